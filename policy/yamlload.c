/* yamlload.c — building a document (yamlnode.h) from YAML text in one pass over
 * libyaml's events, or from a document libyaml loaded; and reading bounded files. */
#include "cleanup.h"
#include "yamlnode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
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
        va_list ap;
        va_start(ap, fmt);
        *error = mqfs_message_at(origin, line, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static size_t event_line(const yaml_event_t *event)
{
        return event->start_mark.line + 1;
}

static uint32_t node_line(const yaml_mark_t *mark)
{
        return mark->line + 1 < UINT32_MAX ? (uint32_t)(mark->line + 1) : UINT32_MAX;
}

struct frame {
        struct mqfs_ynode *node;      /* an open list or map */
        size_t base;                  /* its first child in builder.children */
        const struct mqfs_ynode *key; /* under which it sits (NULL in a list, at the root) */
        bool anchored;                /* it, or a collection around it, has an anchor */
        size_t anchors, aliases;      /* counts when it opened */
        struct mqfs_arena_mark mark;  /* the arena just after its node */
};

struct anchor {
        const char *name;
        const struct mqfs_ynode *node;
        size_t line;
};

/* One pass over libyaml's events of the first document: checks the limits of
 * yamlnode.h at each event, and builds the nodes. libyaml's cost per token grows with
 * the flow nesting depth (every token rescans the open [ and { levels), so both depths
 * are bounded; so are the anchors, which each alias looks up. An alias of no anchor or
 * an anchor defined twice is invalid YAML, as libyaml's own loader says; that is only
 * reported once the whole document has parsed, so that a syntax error further on (which
 * the reader should fix first) wins, as it does with yaml_parser_load. */
struct builder {
        struct mqfs_ydoc *yd;
        const char *buf;
        size_t len;
        const char *origin;
        const struct mqfs_ydoc_hook *hook;
        char **error;
        size_t naliases;
        size_t depth, flow;
        const struct mqfs_ynode **children; /* of the open lists and maps, in order */
        size_t nchildren, cap_children;
        size_t nanchors, nanchors_seen; /* distinct, and all (duplicates too) */
        size_t nodes, scalar_bytes;
        /* The first alias or anchor error: nothing more is built after it. */
        const char *problem, *context;
        size_t problem_line, context_line;
        /* Last, and left unset at the start (7 KiB to zero per document): a frame is
         * written when its level opens, an anchor when it is counted in. */
        struct frame frames[MQFS_YAML_MAX_DEPTH];
        struct anchor anchors[MQFS_YAML_MAX_ANCHORS];
};

/* Adds node to the collection open at level (the number of collections around it). */
static int attach(struct builder *b, const struct mqfs_ynode *node, size_t level)
{
        if (level == 0) {
                b->yd->root = node;
                return 0;
        }
        if (b->nchildren == b->cap_children) {
                size_t cap = b->cap_children ? b->cap_children * 2 : 64;
                const struct mqfs_ynode **v = reallocarray(b->children, cap, sizeof(*v));
                if (v == NULL)
                        return -ENOMEM;
                b->children = v;
                b->cap_children = cap;
        }
        b->children[b->nchildren++] = node;
        return 0;
}

static int too_large(struct builder *b, size_t line)
{
        return refuse(b->error, b->origin, line,
                      "a value or collection larger than %u bytes or items; this cannot be a "
                      "real snap.yaml or system.yaml",
                      MQFS_YNODE_MAX_LEN);
}

static void composer_error(struct builder *b, const char *problem, size_t problem_line,
                           const char *context, size_t context_line)
{
        if (b->problem != NULL)
                return;
        b->problem = problem;
        b->problem_line = problem_line;
        b->context = context;
        b->context_line = context_line;
}

/* A new node for a scalar, list or map event, with its anchor registered. */
static int new_node(struct builder *b, const yaml_event_t *event, enum mqfs_ykind kind,
                    const yaml_char_t *anchor, struct mqfs_ynode **out)
{
        struct mqfs_ynode *node = mqfs_arena_alloc(&b->yd->arena, sizeof(*node));
        if (node == NULL)
                return -ENOMEM;
        memset(node, 0, sizeof(*node));
        node->line = node_line(&event->start_mark);
        node->kind = kind;
        b->nodes++;
        if (anchor != NULL) {
                for (size_t i = 0; i < b->nanchors; i++) {
                        if (strcmp(b->anchors[i].name, (const char *)anchor) == 0) {
                                composer_error(b, "second occurrence", event_line(event),
                                               "found duplicate anchor; first occurrence",
                                               b->anchors[i].line);
                                *out = node;
                                return 0;
                        }
                }
                /* The count was checked against MQFS_YAML_MAX_ANCHORS before. */
                const char *name = mqfs_arena_strndup(&b->yd->arena, (const char *)anchor,
                                                      strlen((const char *)anchor));
                if (name == NULL)
                        return -ENOMEM;
                b->anchors[b->nanchors++] = (struct anchor){name, node, event_line(event)};
        }
        *out = node;
        return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *event)
{
        size_t len = event->data.scalar.length;
        struct mqfs_ynode *node;

        if (len > MQFS_YNODE_MAX_LEN)
                return too_large(b, event_line(event));
        const char *value = (const char *)event->data.scalar.value;
        enum mqfs_ykind kind =
            mqfs_yscalar_kind((const char *)event->data.scalar.tag,
                              event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, value, len);
        int r = new_node(b, event, kind, event->data.scalar.anchor, &node);
        if (r < 0)
                return r;
        node->len = (uint32_t)len;
        node->u.text = len == 0 ? "" : mqfs_arena_strndup(&b->yd->arena, value, len);
        if (node->u.text == NULL)
                return -ENOMEM;
        b->scalar_bytes += len;
        return attach(b, node, b->depth);
}

static int on_start(struct builder *b, const yaml_event_t *event, enum mqfs_ykind kind,
                    const yaml_char_t *anchor)
{
        struct mqfs_ynode *node = NULL;
        struct frame *f = &b->frames[b->depth - 1];
        const struct frame *parent = b->depth > 1 ? f - 1 : NULL;
        /* In a map, an odd number of children so far means this node is a value. */
        const struct mqfs_ynode *key = parent && parent->node && parent->node->kind == MQFS_YMAP &&
                                               (b->nchildren - parent->base) % 2 == 1
                                           ? b->children[b->nchildren - 1]
                                           : NULL;
        int r = 0;
        if (b->problem == NULL) {
                r = new_node(b, event, kind, anchor, &node);
                if (r == 0)
                        r = attach(b, node, b->depth - 1);
        }
        /* Depth was checked against MQFS_YAML_MAX_DEPTH before; after an alias or
         * anchor error the frames keep only the depth (node NULL). */
        *f = (struct frame){
            .node = b->problem == NULL ? node : NULL,
            .base = b->nchildren,
            .key = key,
            .anchored = anchor != NULL || (parent && parent->anchored),
            .anchors = b->nanchors_seen,
            .aliases = b->naliases,
            .mark = mqfs_arena_mark(&b->yd->arena),
        };
        return r;
}

/* Offers a closing map to the hook (see mqfs_ydoc_hook). */
static int offer(struct builder *b, struct frame *f)
{
        const struct mqfs_ynode *keys[MQFS_YAML_MAX_DEPTH];
        size_t level = (size_t)(f - b->frames);
        struct mqfs_ydoc *yd = b->yd;
        struct mqfs_ytaken taken = {0};

        if (b->hook == NULL || f->anchored || f->anchors != b->nanchors_seen ||
            f->aliases != b->naliases)
                return 0;
        for (size_t i = 0; i < level; i++)
                keys[i] = b->frames[i + 1].key;
        yd->visits_left = yd->bytes_left = SIZE_MAX;
        yd->exhausted = false;
        int r = b->hook->map_done(b->hook->ctx, yd, f->node, keys, level, &taken);
        taken.visits = SIZE_MAX - yd->visits_left;
        taken.bytes = SIZE_MAX - yd->bytes_left;
        yd->visits_left = yd->bytes_left = 0;
        if (r <= 0)
                return r;
        /* Nothing refers into the map: its nodes go, the node itself stays. */
        mqfs_arena_rollback(&yd->arena, &f->mark);
        struct mqfs_ytaken *t = mqfs_arena_alloc(&yd->arena, sizeof(*t));
        if (t == NULL) {
                if (taken.value != NULL)
                        taken.free_value(taken.value);
                free(taken.error);
                return -ENOMEM;
        }
        *t = taken;
        t->next = yd->taken;
        yd->taken = t;
        f->node->kind = MQFS_YTAKEN;
        f->node->len = 0;
        f->node->u.taken = t;
        return 0;
}

static int on_end(struct builder *b, const yaml_event_t *event)
{
        struct frame *f = &b->frames[b->depth - 1];
        struct mqfs_ynode *node = f->node;
        if (node == NULL || b->problem != NULL)
                return 0;
        size_t count = b->nchildren - f->base;
        /* b->children stays NULL until a first child: NULL + 0 is undefined (UBSan). */
        const struct mqfs_ynode **children = count ? b->children + f->base : NULL;
        b->nchildren = f->base;
        if (node->kind == MQFS_YMAP)
                count /= 2; /* libyaml gives a value for every key */
        if (count > MQFS_YNODE_MAX_LEN)
                return too_large(b, event_line(event));
        node->len = (uint32_t)count;
        if (count == 0)
                return 0;
        if (node->kind == MQFS_YMAP) {
                struct mqfs_ypair *pairs = mqfs_arena_array(&b->yd->arena, count, sizeof(*pairs));
                if (pairs == NULL)
                        return -ENOMEM;
                for (size_t i = 0; i < count; i++)
                        pairs[i] = (struct mqfs_ypair){children[2 * i], children[2 * i + 1]};
                node->u.pairs = pairs;
        } else {
                const struct mqfs_ynode **items =
                    mqfs_arena_array(&b->yd->arena, count, sizeof(*items));
                if (items == NULL)
                        return -ENOMEM;
                memcpy(items, children, count * sizeof(*items));
                node->u.items = items;
        }
        return node->kind == MQFS_YMAP ? offer(b, f) : 0;
}

static int on_alias(struct builder *b, const yaml_event_t *event)
{
        b->naliases++;
        if (b->problem != NULL)
                return 0;
        const char *name = (const char *)event->data.alias.anchor;
        for (size_t i = 0; i < b->nanchors; i++)
                if (strcmp(b->anchors[i].name, name) == 0)
                        return attach(b, b->anchors[i].node, b->depth);
        composer_error(b, "found undefined alias", event_line(event), NULL, 0);
        return 0;
}

/* The limits, in the order they are reported, for an event that opens a node. */
static int check_limits(struct builder *b, const yaml_event_t *event, const yaml_char_t *anchor)
{
        size_t line = event_line(event);
        if (anchor != NULL && b->nanchors_seen++ >= MQFS_YAML_MAX_ANCHORS)
                return refuse(b->error, b->origin, line,
                              "more than %d anchors (&name); a snap.yaml or system.yaml "
                              "needs few, if any: write the values out",
                              MQFS_YAML_MAX_ANCHORS);
        if (b->flow > MQFS_YAML_MAX_FLOW_DEPTH)
                return refuse(b->error, b->origin, line,
                              "[...] and {...} nested more than %d deep; write the inner "
                              "levels in block style (indented lines)",
                              MQFS_YAML_MAX_FLOW_DEPTH);
        if (b->depth > MQFS_YAML_MAX_DEPTH)
                return refuse(b->error, b->origin, line,
                              "lists and maps nested more than %d deep; a snap.yaml or "
                              "system.yaml is never that deep: check the file",
                              MQFS_YAML_MAX_DEPTH);
        return 0;
}

static int on_event(struct builder *b, const yaml_event_t *event, bool *done)
{
        int r;
        switch (event->type) {
        case YAML_SCALAR_EVENT:
                r = check_limits(b, event, event->data.scalar.anchor);
                return r == 0 && b->problem == NULL ? on_scalar(b, event) : r;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                bool list = event->type == YAML_SEQUENCE_START_EVENT;
                bool flow_style = list
                                      ? event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                                      : event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
                const yaml_char_t *anchor =
                    list ? event->data.sequence_start.anchor : event->data.mapping_start.anchor;
                b->flow += b->flow > 0 || flow_style;
                b->depth++;
                r = check_limits(b, event, anchor);
                return r == 0 ? on_start(b, event, list ? MQFS_YLIST : MQFS_YMAP, anchor) : r;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                r = on_end(b, event);
                b->flow -= b->flow > 0;
                b->depth--;
                return r;
        case YAML_ALIAS_EVENT:
                return on_alias(b, event);
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
                *done = true;
                return 0;
        default:
                return 0;
        }
}

int mqfs_ydoc_load(struct mqfs_ydoc *yd, const char *buf, size_t len, const char *origin,
                   const struct mqfs_ydoc_hook *hook, char **error)
{
        struct builder *b = NULL;
        yaml_parser_t parser;
        bool parser_ready = false;
        int r = 0;

        memset(yd, 0, sizeof(*yd));
        if (error)
                *error = NULL;
        b = malloc(sizeof(*b));
        if (b != NULL) {
                memset(b, 0, offsetof(struct builder, frames));
                b->yd = yd;
                b->buf = buf;
                b->len = len;
                b->origin = origin;
                b->hook = hook;
                b->error = error;
        }
        if (b == NULL || !yaml_parser_initialize(&parser)) {
                r = -ENOMEM;
                goto out;
        }
        parser_ready = true;
        yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
        for (bool done = false; !done && r == 0;) {
                yaml_event_t event;
                if (!yaml_parser_parse(&parser, &event)) {
                        r = parse_error(&parser, buf, len, origin, error);
                        break;
                }
                r = on_event(b, &event, &done);
                yaml_event_delete(&event);
        }
        if (r == 0 && b->problem != NULL) {
                if (error == NULL)
                        r = -EINVAL;
                else if (b->context != NULL)
                        r = refuse(error, origin, b->problem_line,
                                   "not valid YAML: %s (%s at line %zu); fix the syntax",
                                   b->problem, b->context, b->context_line);
                else
                        r = refuse(error, origin, b->problem_line,
                                   "not valid YAML: %s; fix the syntax", b->problem);
        }
        if (r == 0)
                mqfs_ydoc_set_budgets(yd, b->nodes, b->scalar_bytes);
out:
        if (parser_ready)
                yaml_parser_delete(&parser);
        if (b != NULL)
                free(b->children);
        free(b);
        if (r < 0)
                mqfs_ydoc_release(yd);
        return r;
}

int mqfs_ydoc_from_document(struct mqfs_ydoc *yd, const yaml_document_t *doc,
                            const yaml_node_t *doc_node, const struct mqfs_ynode **node)
{
        const yaml_node_t *start = doc->nodes.start;
        size_t n = (size_t)(doc->nodes.top - start), scalar_bytes = 0;
        struct mqfs_ynode *nodes = NULL;
        int r = -EINVAL;

        memset(yd, 0, sizeof(*yd));
        if (doc_node < start || doc_node >= doc->nodes.top)
                return -EINVAL;
        if ((nodes = mqfs_arena_array(&yd->arena, n, sizeof(*nodes))) == NULL) {
                r = -ENOMEM;
                goto fail;
        }
        memset(nodes, 0, n * sizeof(*nodes));
        for (size_t i = 0; i < n; i++) {
                const yaml_node_t *d = &start[i];
                struct mqfs_ynode *m = &nodes[i];
                size_t count = 0;
                m->line = node_line(&d->start_mark);
                if (d->type == YAML_SCALAR_NODE) {
                        bool plain = d->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                        count = d->data.scalar.length;
                        m->u.text = (const char *)d->data.scalar.value;
                        /* Tags were resolved by the loader: only the style is known. */
                        m->kind = mqfs_yscalar_kind(plain ? NULL : (const char *)d->tag, plain,
                                                    m->u.text, count);
                        scalar_bytes += count;
                } else if (d->type == YAML_SEQUENCE_NODE) {
                        const yaml_node_item_t *ids = d->data.sequence.items.start;
                        count = (size_t)(d->data.sequence.items.top - ids);
                        m->kind = MQFS_YLIST;
                        const struct mqfs_ynode **items =
                            count ? mqfs_arena_array(&yd->arena, count, sizeof(*items)) : NULL;
                        if (count > 0 && items == NULL) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        for (size_t k = 0; k < count; k++) {
                                if (ids[k] < 1 || (size_t)ids[k] > n)
                                        goto fail;
                                items[k] = &nodes[ids[k] - 1];
                        }
                        m->u.items = items;
                } else if (d->type == YAML_MAPPING_NODE) {
                        const yaml_node_pair_t *ids = d->data.mapping.pairs.start;
                        count = (size_t)(d->data.mapping.pairs.top - ids);
                        m->kind = MQFS_YMAP;
                        struct mqfs_ypair *pairs =
                            count ? mqfs_arena_array(&yd->arena, count, sizeof(*pairs)) : NULL;
                        if (count > 0 && pairs == NULL) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        for (size_t k = 0; k < count; k++) {
                                if (ids[k].key < 1 || (size_t)ids[k].key > n || ids[k].value < 1 ||
                                    (size_t)ids[k].value > n)
                                        goto fail;
                                pairs[k] = (struct mqfs_ypair){&nodes[ids[k].key - 1],
                                                               &nodes[ids[k].value - 1]};
                        }
                        m->u.pairs = pairs;
                } else {
                        goto fail;
                }
                if (count > MQFS_YNODE_MAX_LEN)
                        goto fail;
                m->len = (uint32_t)count;
        }
        mqfs_ydoc_set_budgets(yd, n, scalar_bytes);
        yd->root = &nodes[doc_node - start];
        *node = yd->root;
        return 0;
fail:
        mqfs_ydoc_release(yd);
        return r;
}

char *mqfs_message_at(const char *origin, size_t line, const char *fmt, va_list ap)
{
        char *what = NULL, *text = NULL;
        if (vasprintf(&what, fmt, ap) < 0)
                return NULL;
        /* Line 0: a file without lines (JSON, an assertion); the text names the key. */
        int n = line ? asprintf(&text, "%s:%zu: %s", origin, line, what)
                     : asprintf(&text, "%s: %s", origin, what);
        if (n < 0)
                text = NULL;
        free(what);
        return text;
}

/* Says why mqfs_read_file refused path (r: its error; nothing for -ENOMEM) in *error,
 * when asked for. Returns r. */
static int read_refused(const char *path, size_t max, int r, char **error)
{
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

int mqfs_read_file(const char *path, size_t max, char **buf, size_t *len, char **error)
{
        struct stat st;
        size_t used = 0;

        if (error)
                *error = NULL;
        /* O_NONBLOCK: opening a FIFO must not hang the caller; it is refused below. */
        MQFS_AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                return read_refused(path, max, -errno, error);
        if (!S_ISREG(st.st_mode))
                return read_refused(path, max, -EINVAL, error);
        if ((uint64_t)st.st_size > max)
                return read_refused(path, max, -EFBIG, error);
        /* One byte more than allowed, to notice a file that grew since fstat. */
        size_t cap = (size_t)st.st_size + 1;
        MQFS_AUTOFREE char *data = malloc(cap + 1);
        if (data == NULL)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, data + used, cap - used);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return read_refused(path, max, -errno, error);
                if (n == 0)
                        break;
                used += (size_t)n;
                if (used == cap) {
                        if (cap > max)
                                return read_refused(path, max, -EFBIG, error);
                        size_t cap2 = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        char *data2 = realloc(data, cap2 + 1);
                        if (data2 == NULL)
                                return -ENOMEM;
                        data = data2;
                        cap = cap2;
                }
        }
        data[used] = '\0';
        *buf = MQFS_MOVE_PTR(data);
        *len = used;
        return 0;
}
