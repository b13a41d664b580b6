#include "yamlnode.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

/* Budgets: a document is read a few times over at most (plugs map, attribute maps,
 * lists twice), so 16 visits per node plus a fixed slack covers every honest use of
 * anchors. The byte budget allows every scalar to be copied and escaped into a reason
 * (at most 4 bytes per byte) a few times over. */
enum {
        VISITS_PER_NODE = 16,
        VISITS_SLACK = 1 << 16,
        BYTES_PER_BYTE = 16,
        BYTES_SLACK = 1 << 20,
};

static void set_budgets(struct mqfs_ydoc *yd)
{
        size_t scalar_bytes = 0;
        yd->nodes = (size_t)(yd->doc->nodes.top - yd->doc->nodes.start);
        for (yaml_node_t *n = yd->doc->nodes.start; n < yd->doc->nodes.top; n++)
                if (n->type == YAML_SCALAR_NODE)
                        scalar_bytes += n->data.scalar.length;
        yd->visits_left = yd->nodes * VISITS_PER_NODE + VISITS_SLACK;
        yd->bytes_left = scalar_bytes * BYTES_PER_BYTE + BYTES_SLACK;
        yd->exhausted = false;
}

void mqfs_ydoc_wrap(struct mqfs_ydoc *yd, yaml_document_t *doc)
{
        memset(yd, 0, sizeof(*yd));
        yd->doc = doc;
        set_budgets(yd);
}

void mqfs_ydoc_release(struct mqfs_ydoc *yd)
{
        if (yd->owns_doc)
                yaml_document_delete(&yd->owned);
        free(yd->tagged);
        memset(yd, 0, sizeof(*yd));
}

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
        set_budgets(yd);
        return 0;
fail:
        mqfs_ydoc_release(yd);
        return r;
}

bool mqfs_ydoc_visit(struct mqfs_ydoc *yd, size_t n)
{
        if (yd->exhausted || n > yd->visits_left) {
                yd->exhausted = true;
                return false;
        }
        yd->visits_left -= n;
        return true;
}

bool mqfs_ydoc_bytes(struct mqfs_ydoc *yd, size_t n)
{
        if (yd->exhausted || n > yd->bytes_left) {
                yd->exhausted = true;
                return false;
        }
        yd->bytes_left -= n;
        return true;
}

yaml_node_t *mqfs_ynode(const struct mqfs_ydoc *yd, int id)
{
        return yaml_document_get_node(yd->doc, id);
}

size_t mqfs_yline(const yaml_node_t *node)
{
        return node ? node->start_mark.line + 1 : 0;
}

const char *mqfs_yscalar(const yaml_node_t *node, size_t *len)
{
        if (node == NULL || node->type != YAML_SCALAR_NODE) {
                if (len)
                        *len = 0;
                return NULL;
        }
        if (len)
                *len = node->data.scalar.length;
        return (const char *)node->data.scalar.value;
}

static bool equals(const char *s, size_t len, const char *word)
{
        size_t n = strlen(word);
        return n == len && memcmp(s, word, n) == 0;
}

static bool in_list(const char *s, size_t len, const char *const *words)
{
        for (; *words; words++)
                if (equals(s, len, *words))
                        return true;
        return false;
}

static int digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return 99;
}

/* Go's strconv.ParseInt(s, 0, 64) succeeds, or ParseUint(s, 0, 64) does. */
static bool is_go_int(const char *s, size_t len)
{
        size_t i = 0;
        bool negative = false, sign = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
                negative = s[i] == '-';
                sign = true;
                i++;
        }
        unsigned base = 10;
        if (len - i >= 2 && s[i] == '0') {
                char p = s[i + 1];
                if (p == 'x' || p == 'X')
                        base = 16, i += 2;
                else if (p == 'o' || p == 'O')
                        base = 8, i += 2;
                else if (p == 'b' || p == 'B')
                        base = 2, i += 2;
                else
                        base = 8, i += 1; /* leading 0: octal, "0" itself handled below */
        }
        if (i == len)
                return base == 8 && len - (sign ? 1 : 0) == 1; /* just "0" */
        uint64_t value = 0;
        for (; i < len; i++) {
                int d = digit_value(s[i]);
                if (d >= (int)base)
                        return false;
                if (value > (UINT64_MAX - (uint64_t)d) / base)
                        return false; /* out of range for both */
                value = value * base + (uint64_t)d;
        }
        if (!sign)
                return true; /* ParseUint takes all of uint64 */
        return negative ? value <= (uint64_t)INT64_MAX + 1 : value <= (uint64_t)INT64_MAX;
}

/* go-yaml's float syntax ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and a
 * value Go's ParseFloat accepts (it refuses overflow). */
static bool is_yaml_float(const char *s, size_t len, bool allow_sign)
{
        size_t i = 0, digits = 0;
        if (allow_sign && i < len && (s[i] == '+' || s[i] == '-'))
                i++;
        if (i < len && s[i] == '.') {
                i++;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, digits++;
                if (digits == 0)
                        return false;
        } else {
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, digits++;
                if (digits == 0)
                        return false;
                if (i < len && s[i] == '.') {
                        i++;
                        while (i < len && s[i] >= '0' && s[i] <= '9')
                                i++;
                }
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                size_t exp_digits = 0;
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, exp_digits++;
                if (exp_digits == 0)
                        return false;
        }
        if (i != len)
                return false;
        /* The syntax is plain ASCII without NULs, so strtod sees exactly these bytes. */
        char copy[64];
        char *heap = NULL, *text = copy;
        if (len >= sizeof(copy)) {
                heap = malloc(len + 1);
                if (heap == NULL)
                        return true; /* syntax says number; cannot check the range */
                text = heap;
        }
        memcpy(text, s, len);
        text[len] = '\0';
        errno = 0;
        double v = strtod(text, NULL);
        bool overflow = errno == ERANGE && isinf(v);
        free(heap);
        return !overflow;
}

/* The go-yaml v2 type of an untagged plain scalar. */
static enum mqfs_ykind resolve_plain(const char *s, size_t len)
{
        static const char *const bools[] = {
            "y", "Y",  "yes", "Yes", "YES",   "true",  "True",  "TRUE", "on",  "On",  "ON", "n",
            "N", "no", "No",  "NO",  "false", "False", "FALSE", "off",  "Off", "OFF", NULL,
        };
        static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
        static const char *const floats[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                             ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                             "-.Inf", "-.INF", NULL};
        if (len == 0)
                return MQFS_YNULL;
        char first = s[0];
        /* Most scalars are names and paths: only these first characters can start a
         * word of the lists (the longest has 6 characters) or a number. */
        if (strchr("yYnNtTfFoO~.+-0123456789", first) == NULL || first == '\0')
                return MQFS_YSTRING;
        if (len <= 6) {
                if (in_list(s, len, bools))
                        return MQFS_YBOOL;
                if (in_list(s, len, nulls))
                        return MQFS_YNULL;
                if (in_list(s, len, floats))
                        return MQFS_YFLOAT;
        }
        if (first == '.')
                return is_yaml_float(s, len, false) ? MQFS_YFLOAT : MQFS_YSTRING;
        if (first != '+' && first != '-' && !(first >= '0' && first <= '9'))
                return MQFS_YSTRING;
        /* go-yaml drops every '_' before trying numbers (YAML 1.1 digit grouping). */
        char small[64];
        char *heap = NULL, *plain = small;
        if (len > sizeof(small)) {
                heap = malloc(len);
                if (heap == NULL)
                        return MQFS_YSTRING;
                plain = heap;
        }
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                if (s[i] != '_')
                        plain[n++] = s[i];
        enum mqfs_ykind kind = MQFS_YSTRING;
        if (n > 0 && is_go_int(plain, n))
                kind = MQFS_YINT;
        else if (n > 0 && is_yaml_float(plain, n, true))
                kind = MQFS_YFLOAT;
        free(heap);
        return kind;
}

static enum mqfs_ykind kind_of_tag(const char *tag)
{
        if (tag == NULL)
                return MQFS_YSTRING;
        if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
                const char *t = tag + strlen(TAG_PREFIX);
                if (strcmp(t, "str") == 0)
                        return MQFS_YSTRING;
                if (strcmp(t, "null") == 0)
                        return MQFS_YNULL;
                if (strcmp(t, "bool") == 0)
                        return MQFS_YBOOL;
                if (strcmp(t, "int") == 0)
                        return MQFS_YINT;
                if (strcmp(t, "float") == 0)
                        return MQFS_YFLOAT;
        }
        return MQFS_YSCALAR;
}

enum mqfs_ykind mqfs_ykind(const struct mqfs_ydoc *yd, const yaml_node_t *node)
{
        if (node == NULL)
                return MQFS_YABSENT;
        if (node->type == YAML_SEQUENCE_NODE)
                return MQFS_YLIST;
        if (node->type == YAML_MAPPING_NODE)
                return MQFS_YMAP;
        if (node->type != YAML_SCALAR_NODE)
                return MQFS_YABSENT;
        size_t id = (size_t)(node - yd->doc->nodes.start) + 1;
        bool explicit_tag =
            (id - 1) / 8 < yd->tagged_bytes && (yd->tagged[(id - 1) / 8] & (1u << ((id - 1) % 8)));
        /* The loader tags every untagged scalar !!str; only plain ones need resolving. */
        if (explicit_tag || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return kind_of_tag((const char *)node->tag);
        return resolve_plain((const char *)node->data.scalar.value, node->data.scalar.length);
}

const char *mqfs_ykind_text(enum mqfs_ykind kind)
{
        switch (kind) {
        case MQFS_YABSENT:
                return "nothing";
        case MQFS_YNULL:
                return "null";
        case MQFS_YBOOL:
                return "a boolean";
        case MQFS_YINT:
        case MQFS_YFLOAT:
                return "a number";
        case MQFS_YSTRING:
                return "a string";
        case MQFS_YSCALAR:
                return "a tagged value";
        case MQFS_YLIST:
                return "a list";
        case MQFS_YMAP:
                return "a map";
        }
        return "something else";
}

bool mqfs_yis(const struct mqfs_ydoc *yd, const yaml_node_t *node, const char *s)
{
        size_t len;
        const char *value = mqfs_yscalar(node, &len);
        return value != NULL && equals(value, len, s) && mqfs_ykind(yd, node) == MQFS_YSTRING;
}

int mqfs_ystrdup(struct mqfs_ydoc *yd, const yaml_node_t *node, char **out)
{
        size_t len;
        const char *value = mqfs_yscalar(node, &len);
        if (value == NULL || memchr(value, '\0', len) != NULL)
                return -EINVAL;
        if (!mqfs_ydoc_bytes(yd, len + 1))
                return -E2BIG;
        char *copy = malloc(len + 1);
        if (copy == NULL)
                return -ENOMEM;
        memcpy(copy, value, len);
        copy[len] = '\0';
        *out = copy;
        return 0;
}

size_t mqfs_ylist(const yaml_node_t *node, yaml_node_item_t **items)
{
        if (node == NULL || node->type != YAML_SEQUENCE_NODE) {
                *items = NULL;
                return 0;
        }
        *items = node->data.sequence.items.start;
        return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

size_t mqfs_ymap(const yaml_node_t *node, yaml_node_pair_t **pairs)
{
        if (node == NULL || node->type != YAML_MAPPING_NODE) {
                *pairs = NULL;
                return 0;
        }
        *pairs = node->data.mapping.pairs.start;
        return (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
}

bool mqfs_ymap_get(struct mqfs_ydoc *yd, const yaml_node_t *map, const char *const *keys,
                   size_t nkeys, yaml_node_t **values)
{
        yaml_node_pair_t *pairs;
        size_t n = mqfs_ymap(map, &pairs);

        for (size_t k = 0; k < nkeys; k++)
                values[k] = NULL;
        if (!mqfs_ydoc_visit(yd, n))
                return false;
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *key = mqfs_ynode(yd, pairs[i].key);
                size_t len;
                const char *text = mqfs_yscalar(key, &len);
                if (text == NULL)
                        continue;
                for (size_t k = 0; k < nkeys; k++) {
                        if (len > 0 && text[0] == keys[k][0] && equals(text, len, keys[k]) &&
                            mqfs_ykind(yd, key) == MQFS_YSTRING)
                                values[k] = mqfs_ynode(yd, pairs[i].value);
                }
        }
        return true;
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
