/* yamlload.c — reading YAML text into a document, with the limits and tag marks of
 * yamlnode.h, and reading bounded files. */
#include "yamlnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Line (1-based) of a byte offset, for reader errors that only know the offset. */
static size_t line_of_offset(const char *buf, size_t len, size_t offset)
{
        size_t line = 1;
        for (size_t i = 0; i < offset && i < len; i++)
                line += buf[i] == '\n';
        return line;
}

static int parse_error(const yaml_parser_t *parser, const char *buf, size_t len, const char *origin,
                       char **error)
{
        if (error == NULL)
                return -EINVAL;
        const char *problem = parser->problem ? parser->problem : "unknown problem";
        int r;
        if (parser->error == YAML_MEMORY_ERROR)
                return -ENOMEM;
        if (parser->error == YAML_READER_ERROR) {
                r = asprintf(error,
                             "%s:%zu: not valid YAML: %s (byte %zu, value 0x%x); the file must be "
                             "UTF-8 text",
                             origin, line_of_offset(buf, len, parser->problem_offset), problem,
                             parser->problem_offset, (unsigned)parser->problem_value);
        } else if (parser->context != NULL) {
                r = asprintf(error, "%s:%zu: not valid YAML: %s (%s at line %zu); fix the syntax",
                             origin, parser->problem_mark.line + 1, problem, parser->context,
                             parser->context_mark.line + 1);
        } else {
                r = asprintf(error, "%s:%zu: not valid YAML: %s; fix the syntax", origin,
                             parser->problem_mark.line + 1, problem);
        }
        if (r < 0) {
                *error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

__attribute__((format(printf, 4, 5))) static int refuse(char **error, const char *origin,
                                                        size_t line, const char *fmt, ...)
{
        if (error == NULL)
                return -EINVAL;
        char *what = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(error, "%s:%zu: %s", origin, line, what) < 0)
                *error = NULL;
        free(what);
        return -EINVAL;
}

static int mark_tagged(struct mqfs_ydoc *yd, size_t id)
{
        while (id > yd->tagged_bytes * 8) {
                size_t cap = yd->tagged_bytes ? yd->tagged_bytes * 2 : 64;
                uint8_t *bits = realloc(yd->tagged, cap);
                if (bits == NULL)
                        return -ENOMEM;
                memset(bits + yd->tagged_bytes, 0, cap - yd->tagged_bytes);
                yd->tagged = bits;
                yd->tagged_bytes = cap;
        }
        yd->tagged[(id - 1) / 8] |= (uint8_t)(1u << ((id - 1) % 8));
        return 0;
}

/* A pass over the events of the first document before the loader sees it, for two
 * reasons. libyaml's cost per token grows with the flow nesting depth (every token
 * rescans the open [ and { levels) and per alias with the number of anchors (looked up
 * linearly), so both are bounded here, where an event parse stops early.
 * And the events show which nodes had an explicit tag, which the loaded document
 * hides: node ids follow event order (scalar, sequence start, mapping start; aliases
 * add no node), exactly as the loader numbers them. */
static int prescan(struct mqfs_ydoc *yd, const char *buf, size_t len, const char *origin,
                   char **error)
{
        yaml_parser_t parser;
        size_t id = 0, depth = 0, flow = 0, anchors = 0;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
        for (bool done = false; !done && r == 0;) {
                yaml_event_t event;
                if (!yaml_parser_parse(&parser, &event)) {
                        r = parse_error(&parser, buf, len, origin, error);
                        break;
                }
                const yaml_char_t *tag = NULL, *anchor = NULL;
                bool node = true;
                switch (event.type) {
                case YAML_SCALAR_EVENT:
                        tag = event.data.scalar.tag;
                        anchor = event.data.scalar.anchor;
                        break;
                case YAML_SEQUENCE_START_EVENT:
                        tag = event.data.sequence_start.tag;
                        anchor = event.data.sequence_start.anchor;
                        flow +=
                            flow > 0 || event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
                        depth++;
                        break;
                case YAML_MAPPING_START_EVENT:
                        tag = event.data.mapping_start.tag;
                        anchor = event.data.mapping_start.anchor;
                        flow +=
                            flow > 0 || event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
                        depth++;
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        flow -= flow > 0;
                        depth--;
                        node = false;
                        break;
                case YAML_DOCUMENT_END_EVENT:
                case YAML_STREAM_END_EVENT:
                        done = true;
                        node = false;
                        break;
                default:
                        node = false;
                        break;
                }
                size_t line = event.start_mark.line + 1;
                if (node) {
                        id++;
                        if (tag != NULL)
                                r = mark_tagged(yd, id);
                }
                if (r == 0 && anchor != NULL && ++anchors > MQFS_YAML_MAX_ANCHORS)
                        r = refuse(error, origin, line,
                                   "more than %d anchors (&name); a snap.yaml or system.yaml "
                                   "needs few, if any: write the values out",
                                   MQFS_YAML_MAX_ANCHORS);
                if (r == 0 && flow > MQFS_YAML_MAX_FLOW_DEPTH)
                        r = refuse(error, origin, line,
                                   "[...] and {...} nested more than %d deep; write the inner "
                                   "levels in block style (indented lines)",
                                   MQFS_YAML_MAX_FLOW_DEPTH);
                if (r == 0 && depth > MQFS_YAML_MAX_DEPTH)
                        r = refuse(error, origin, line,
                                   "lists and maps nested more than %d deep; a snap.yaml or "
                                   "system.yaml is never that deep: check the file",
                                   MQFS_YAML_MAX_DEPTH);
                yaml_event_delete(&event);
        }
        yaml_parser_delete(&parser);
        return r;
}

int mqfs_ydoc_load(struct mqfs_ydoc *yd, const char *buf, size_t len, const char *origin,
                   char **error)
{
        yaml_parser_t parser;
        int r;

        memset(yd, 0, sizeof(*yd));
        if (error)
                *error = NULL;
        r = prescan(yd, buf, len, origin, error);
        if (r < 0)
                goto fail;
        if (!yaml_parser_initialize(&parser)) {
                r = -ENOMEM;
                goto fail;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
        if (!yaml_parser_load(&parser, &yd->owned)) {
                /* The text passed the event parse: what remains is memory, or an
                 * alias to an unknown anchor (found by the loader only). */
                r = parse_error(&parser, buf, len, origin, error);
                yaml_parser_delete(&parser);
                goto fail;
        }
        yaml_parser_delete(&parser);
        yd->owns_doc = true;
        yd->doc = &yd->owned;
        mqfs_ydoc_reset_budgets(yd);
        return 0;
fail:
        mqfs_ydoc_release(yd);
        return r;
}

int mqfs_read_file(const char *path, size_t max, char **buf, size_t *len, char **error)
{
        struct stat st;
        char *data = NULL;
        size_t used = 0;
        int r;

        if (error)
                *error = NULL;
        /* O_NONBLOCK: opening a FIFO must not hang the caller; it is refused below. */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
                goto fail;
        }
        if ((uint64_t)st.st_size > max) {
                r = -EFBIG;
                goto fail;
        }
        /* One byte more than allowed, to notice a file that grew since fstat. */
        size_t cap = (size_t)st.st_size + 1;
        data = malloc(cap + 1);
        if (data == NULL) {
                r = -ENOMEM;
                goto fail;
        }
        for (;;) {
                ssize_t n = read(fd, data + used, cap - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                used += (size_t)n;
                if (used == cap) {
                        if (cap > max) {
                                r = -EFBIG;
                                goto fail;
                        }
                        size_t cap2 = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        char *data2 = realloc(data, cap2 + 1);
                        if (data2 == NULL) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        data = data2;
                        cap = cap2;
                }
        }
        close(fd);
        data[used] = '\0';
        *buf = data;
        *len = used;
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        free(data);
        if (error != NULL && r != -ENOMEM) {
                int w;
                if (r == -EINVAL)
                        w = asprintf(error, "%s: not a regular file; give the path of a YAML file",
                                     path);
                else if (r == -EFBIG)
                        w = asprintf(error, "%s: larger than %zu bytes; this cannot be a real %s",
                                     path, max, "snap.yaml or system.yaml");
                else
                        w = asprintf(error,
                                     "%s: cannot read: %s; check the path and its "
                                     "permissions",
                                     path, strerror(-r));
                if (w < 0)
                        *error = NULL;
        }
        return r;
}
