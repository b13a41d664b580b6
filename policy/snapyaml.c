/* snapyaml.c — the posix-mq plugs and slots of a snap.yaml (SPEC §2.1, §2.2). */
#include "snapyaml.h"

#include "perm.h"
#include "qname.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define IFACE "posix-mq"

/* One plug or slot name as written: a key of plugs:/slots:, or a name listed only under
 * an app's or hook's plugs:/slots:. */
struct entry {
        const char *name; /* into the document; "" for a key that is not a scalar */
        size_t len;
        bool string_key;          /* a string, not null/bool/number (go-yaml would refuse) */
        const yaml_node_t *value; /* the definition; NULL for a listed name */
        bool listed;
        size_t order;
        size_t line;
};

struct entries {
        struct entry *v;
        size_t n, cap;
};

struct parser {
        struct mqfs_ydoc *yd;
        const char *origin;
        struct mqfs_snap_yaml *snap;
        size_t cap_plugs, cap_slots, cap_bad;
        char **error;
};

/* ---- names ---- */

bool mqfs_snap_name_valid(const char *name, size_t len)
{
        bool letter = false;
        if (len == 0 || len > MQFS_SNAP_NAME_MAX || name[0] == '-' || name[len - 1] == '-')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (c >= 'a' && c <= 'z')
                        letter = true;
                else if (c == '-' && i + 1 < len && name[i + 1] == '-')
                        return false;
                else if (!(c >= '0' && c <= '9') && c != '-')
                        return false;
        }
        return letter;
}

bool mqfs_plug_name_valid(const char *name, size_t len)
{
        if (len == 0 || !(name[0] >= 'a' && name[0] <= 'z') || name[len - 1] == '-')
                return false;
        for (size_t i = 1; i < len; i++) {
                char c = name[i];
                if (c == '-' && i + 1 < len && name[i + 1] == '-')
                        return false;
                if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-')
                        return false;
        }
        return true;
}

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int fail(struct parser *p, const yaml_node_t *node,
                                                      int err, const char *fmt, ...)
{
        if (p->error != NULL && *p->error == NULL && err != -ENOMEM) {
                char *what = NULL;
                va_list ap;
                va_start(ap, fmt);
                int r = vasprintf(&what, fmt, ap);
                va_end(ap);
                size_t line = node ? mqfs_yline(node) : 1; /* an empty document */
                if (r < 0 || asprintf(p->error, "%s:%zu: %s", p->origin, line, what) < 0)
                        *p->error = NULL;
                free(what);
        }
        return err;
}

static int fail_budget(struct parser *p, const yaml_node_t *node)
{
        return fail(p, node, -EINVAL,
                    "the document reuses anchors (aliases) so often that reading it would "
                    "take too much memory; write the values out instead of repeating aliases");
}

/* ---- growing arrays ---- */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
        if (n < *cap)
                return 0;
        size_t cap2 = *cap ? *cap * 2 : 8;
        void *v2 = reallocarray(*v, cap2, size);
        if (v2 == NULL)
                return -ENOMEM;
        *v = v2;
        *cap = cap2;
        return 0;
}

/* ---- bad entries ---- */

/* A copy of a name for mqfs_bad.name: raw, or escaped when a NUL byte would cut it. */
static char *name_copy(struct parser *p, const char *name, size_t len)
{
        char *copy = memchr(name, '\0', len) ? mqfs_escape(name, len) : strndup(name, len);
        if (copy != NULL && !mqfs_ydoc_bytes(p->yd, strlen(copy) + 1)) {
                free(copy);
                return NULL;
        }
        return copy;
}

__attribute__((format(printf, 3, 4))) static int add_bad(struct parser *p, const struct entry *e,
                                                         const char *fmt, ...)
{
        struct mqfs_snap_yaml *snap = p->snap;
        if (grow((void **)&snap->bad, &p->cap_bad, snap->nbad, sizeof(*snap->bad)) < 0)
                return -ENOMEM;
        struct mqfs_bad *bad = &snap->bad[snap->nbad];
        memset(bad, 0, sizeof(*bad));
        bad->line = e->line;
        bad->name = name_copy(p, e->name, e->len);
        if (bad->name == NULL)
                return p->yd->exhausted ? fail_budget(p, e->value) : -ENOMEM;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&bad->reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                free(bad->name);
                return -ENOMEM;
        }
        if (!mqfs_ydoc_bytes(p->yd, (size_t)r)) {
                free(bad->name);
                free(bad->reason);
                return fail_budget(p, e->value);
        }
        snap->nbad++;
        return 0;
}

/* Escapes bytes for a reason text, charged to the budget. NULL: see yd->exhausted. */
static char *escape(struct parser *p, const char *s, size_t len)
{
        char *shown = mqfs_escape(s, len);
        if (shown != NULL && !mqfs_ydoc_bytes(p->yd, strlen(shown) + 1)) {
                free(shown);
                return NULL;
        }
        return shown;
}

static int escape_failed(struct parser *p, const struct entry *e)
{
        return p->yd->exhausted ? fail_budget(p, e->value) : -ENOMEM;
}

/* ---- collecting names ---- */

static int push_entry(struct entries *es, const struct entry *e)
{
        if (grow((void **)&es->v, &es->cap, es->n, sizeof(*es->v)) < 0)
                return -ENOMEM;
        es->v[es->n] = *e;
        es->v[es->n].order = es->n;
        es->n++;
        return 0;
}

static int collect_section(struct parser *p, const yaml_node_t *section, const char *what,
                           struct entries *es)
{
        enum mqfs_ykind kind = mqfs_ykind(p->yd, section);
        if (kind == MQFS_YABSENT || kind == MQFS_YNULL)
                return 0;
        if (kind != MQFS_YMAP)
                return fail(p, section, -EINVAL,
                            "\"%s\" must be a map from names to definitions, not %s; fix the "
                            "snap.yaml",
                            what, mqfs_ykind_text(kind));
        yaml_node_pair_t *pairs;
        size_t n = mqfs_ymap(section, &pairs);
        if (!mqfs_ydoc_visit(p->yd, n))
                return fail_budget(p, section);
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *key = mqfs_ynode(p->yd, pairs[i].key);
                struct entry e = {.name = "", .value = mqfs_ynode(p->yd, pairs[i].value)};
                const char *text = mqfs_yscalar(key, &e.len);
                if (text != NULL) {
                        e.name = text;
                        e.string_key = mqfs_ykind(p->yd, key) == MQFS_YSTRING;
                }
                e.line = mqfs_yline(key);
                if (push_entry(es, &e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Names listed under apps: and hooks: (`apps: {A: {plugs: [x]}}`): they declare a plug
 * or slot x of interface x when the top-level section does not define x. */
static int collect_listed(struct parser *p, const yaml_node_t *root, struct entries *plugs,
                          struct entries *slots)
{
        static const char *const groups[] = {"apps", "hooks"};
        static const char *const lists[] = {"plugs", "slots"};
        yaml_node_t *group_nodes[2];

        if (!mqfs_ymap_get(p->yd, root, groups, 2, group_nodes))
                return fail_budget(p, root);
        for (size_t g = 0; g < 2; g++) {
                yaml_node_pair_t *pairs;
                size_t n = mqfs_ymap(group_nodes[g], &pairs);
                if (!mqfs_ydoc_visit(p->yd, n))
                        return fail_budget(p, group_nodes[g]);
                for (size_t i = 0; i < n; i++) {
                        yaml_node_t *lists_nodes[2];
                        yaml_node_t *app = mqfs_ynode(p->yd, pairs[i].value);
                        if (!mqfs_ymap_get(p->yd, app, lists, 2, lists_nodes))
                                return fail_budget(p, app);
                        for (size_t l = 0; l < 2; l++) {
                                yaml_node_item_t *items;
                                size_t count = mqfs_ylist(lists_nodes[l], &items);
                                if (!mqfs_ydoc_visit(p->yd, count))
                                        return fail_budget(p, lists_nodes[l]);
                                for (size_t k = 0; k < count; k++) {
                                        yaml_node_t *item = mqfs_ynode(p->yd, items[k]);
                                        /* go-yaml wants strings here; anything else is
                                         * no name of ours. */
                                        if (mqfs_ykind(p->yd, item) != MQFS_YSTRING)
                                                continue;
                                        struct entry e = {.string_key = true, .listed = true};
                                        e.name = mqfs_yscalar(item, &e.len);
                                        e.line = mqfs_yline(item);
                                        if (push_entry(l == 0 ? plugs : slots, &e) < 0)
                                                return -ENOMEM;
                                }
                        }
                }
        }
        return 0;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
        int c = memcmp(a, b, alen < blen ? alen : blen);
        if (c != 0)
                return c;
        return (alen > blen) - (alen < blen);
}

static int entry_cmp(const void *pa, const void *pb)
{
        const struct entry *a = pa, *b = pb;
        int c = name_cmp(a->name, a->len, b->name, b->len);
        if (c != 0)
                return c;
        if (a->listed != b->listed)
                return a->listed ? 1 : -1;
        return (a->order > b->order) - (a->order < b->order);
}

/* Sorts by name and keeps one entry per name: the last definition (a later duplicate
 * key wins in go-yaml v2), or the first listing when no section defines the name. */
static void sort_unique(struct entries *es)
{
        if (es->n == 0)
                return;
        qsort(es->v, es->n, sizeof(*es->v), entry_cmp);
        size_t out = 0;
        for (size_t i = 0; i < es->n;) {
                size_t j = i + 1;
                while (j < es->n &&
                       name_cmp(es->v[i].name, es->v[i].len, es->v[j].name, es->v[j].len) == 0)
                        j++;
                size_t keep = i;
                while (keep + 1 < j && !es->v[keep + 1].listed)
                        keep++;
                es->v[out++] = es->v[keep];
                i = j;
        }
        es->n = out;
}

/* ---- interface and attributes ---- */

static bool text_is(const char *s, size_t len, const char *word)
{
        return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Whether the entry is a posix-mq plug/slot, as snapd decides the interface: the value
 * string, else the map's `interface`, else (null, {} or no interface) the name. */
static bool is_posix_mq(struct parser *p, const struct entry *e)
{
        const yaml_node_t *iface = NULL;
        static const char *const keys[] = {"interface"};
        yaml_node_t *found;

        if (e->value != NULL) {
                enum mqfs_ykind kind = mqfs_ykind(p->yd, e->value);
                if (kind == MQFS_YSTRING) {
                        iface = e->value;
                } else if (kind == MQFS_YMAP) {
                        if (!mqfs_ymap_get(p->yd, e->value, keys, 1, &found))
                                return false; /* the caller sees yd->exhausted */
                        if (found != NULL && mqfs_ykind(p->yd, found) != MQFS_YSTRING)
                                return false;
                        iface = found;
                } else if (kind != MQFS_YNULL) {
                        return false;
                }
        }
        size_t len = 0;
        const char *text = mqfs_yscalar(iface, &len);
        if (text == NULL || len == 0)
                return text_is(e->name, e->len, IFACE);
        return text_is(text, len, IFACE);
}

/* The posix-mq identifier: absent or "" means the name. 1 when bad (reported). */
static int read_label(struct parser *p, const struct entry *e, const yaml_node_t *attr,
                      char **label)
{
        enum mqfs_ykind kind = mqfs_ykind(p->yd, attr);
        size_t len = 0;
        if (kind != MQFS_YABSENT && kind != MQFS_YSTRING) {
                int r = add_bad(p, e, "posix-mq \"posix-mq\" attribute must be a string");
                return r < 0 ? r : 1;
        }
        const char *text = mqfs_yscalar(attr, &len);
        if (text == NULL || len == 0) {
                text = e->name;
                len = e->len;
        }
        if (memchr(text, '\0', len) != NULL) {
                /* Stricter than snapd: a C string would cut the identifier short. */
                int r = add_bad(p, e,
                                "posix-mq \"posix-mq\" attribute must not contain a NUL "
                                "byte");
                return r < 0 ? r : 1;
        }
        if (!mqfs_ydoc_bytes(p->yd, len + 1))
                return fail_budget(p, attr);
        *label = strndup(text, len);
        return *label ? 0 : -ENOMEM;
}

static int check_name(struct parser *p, const struct entry *e, const char *kind)
{
        if (e->string_key && mqfs_plug_name_valid(e->name, e->len))
                return 0;
        char *shown = escape(p, e->name, e->len);
        if (shown == NULL)
                return escape_failed(p, e);
        int r = add_bad(p, e, "invalid %s name: \"%s\"", kind, shown);
        free(shown);
        return r < 0 ? r : 1;
}

static int add_plug(struct parser *p, const struct entry *e)
{
        static const char *const keys[] = {IFACE};
        yaml_node_t *attr[1] = {NULL};
        char *label = NULL;

        int r = check_name(p, e, "plug");
        if (r != 0)
                return r < 0 ? r : 0;
        if (!mqfs_ymap_get(p->yd, e->value, keys, 1, attr))
                return fail_budget(p, e->value);
        r = read_label(p, e, attr[0], &label);
        if (r != 0)
                return r < 0 ? r : 0;

        struct mqfs_snap_yaml *snap = p->snap;
        if (grow((void **)&snap->plugs, &p->cap_plugs, snap->nplugs, sizeof(*snap->plugs)) < 0 ||
            (snap->plugs[snap->nplugs].name = strndup(e->name, e->len)) == NULL) {
                free(label);
                return -ENOMEM;
        }
        snap->plugs[snap->nplugs].label = label;
        snap->plugs[snap->nplugs].line = e->line;
        snap->nplugs++;
        return 0;
}

/* SPEC §2.2 permissions: a list of strings, each a permission word. 1 when bad. */
static int read_permissions(struct parser *p, const struct entry *e, const yaml_node_t *attr,
                            struct mqfs_slot *slot)
{
        enum mqfs_ykind kind = mqfs_ykind(p->yd, attr);
        if (kind == MQFS_YABSENT) {
                slot->perm_list = malloc(2 * sizeof(*slot->perm_list));
                if (slot->perm_list == NULL)
                        return -ENOMEM;
                slot->perm_list[0] = MQFS_PERM_READ;
                slot->perm_list[1] = MQFS_PERM_WRITE;
                slot->nperm_list = 2;
                slot->perms = MQFS_PERM_READ | MQFS_PERM_WRITE;
                return 0;
        }
        yaml_node_item_t *items;
        size_t n = mqfs_ylist(attr, &items);
        bool strings = kind == MQFS_YLIST;
        if (!mqfs_ydoc_visit(p->yd, 2 * n))
                return fail_budget(p, attr);
        for (size_t i = 0; strings && i < n; i++)
                strings = mqfs_ykind(p->yd, mqfs_ynode(p->yd, items[i])) == MQFS_YSTRING;
        if (!strings) {
                int r = add_bad(p, e,
                                "posix-mq slot \"permissions\" attribute must be a list "
                                "of strings");
                return r < 0 ? r : 1;
        }
        if (n > 0 && (slot->perm_list = calloc(n, sizeof(*slot->perm_list))) == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t len;
                const char *word = mqfs_yscalar(mqfs_ynode(p->yd, items[i]), &len);
                unsigned bit = 0;
                for (unsigned b = MQFS_PERM_OPEN; b < MQFS_PERM_ALL; b <<= 1)
                        if (text_is(word, len, mqfs_perm_word(b)))
                                bit = b;
                if (bit == 0) {
                        char *shown = escape(p, word, len);
                        if (shown == NULL)
                                return escape_failed(p, e);
                        int r = add_bad(p, e,
                                        "posix-mq slot permission \"%s\" not valid, must be one "
                                        "of [open read write create delete]",
                                        shown);
                        free(shown);
                        return r < 0 ? r : 1;
                }
                slot->perm_list[i] = bit;
                slot->perms |= bit;
        }
        slot->nperm_list = n;
        return 0;
}

/* SPEC §2.2 on one path value; *out gets the normalised "/name". 1 when bad. */
static int check_path(struct parser *p, const struct entry *e, const char *text, size_t len,
                      char **out)
{
        if (len == 0) {
                int r = add_bad(p, e, "posix-mq slot \"path\" attribute values cannot be empty");
                return r < 0 ? r : 1;
        }
        bool add_slash = text[0] != '/';
        size_t full = len + add_slash;
        if (!mqfs_ydoc_bytes(p->yd, full + 1))
                return fail_budget(p, e->value);
        char *path = malloc(full + 1);
        if (path == NULL)
                return -ENOMEM;
        path[0] = '/';
        memcpy(path + add_slash, text, len);
        path[full] = '\0';

        const char *reason = NULL;
        bool quoted = false;
        /* Bytes, not characters: the kernel's NAME_MAX counts bytes (stricter than
         * snapd's regexp for multi-byte names, which the kernel would refuse anyway). */
        if (full < 2 || full - 1 > MQFS_QNAME_MAX || memchr(path + 1, '/', full - 1) != NULL)
                reason = "posix-mq \"path\" attribute must conform to the POSIX message queue "
                         "name specifications (see \"man mq_overview\"): ";
        for (size_t i = 1; reason == NULL && i < full; i++) {
                unsigned char c = (unsigned char)path[i];
                if (strchr("?*[]{}^\"", c) != NULL || c < 0x20 || c == 0x7f || c == '\\')
                        reason = "posix-mq \"path\" attribute is invalid: ";
        }
        if (reason == NULL && (strcmp(path, "/.") == 0 || strcmp(path, "/..") == 0)) {
                reason = "posix-mq \"path\" attribute is not a clean path: ";
                quoted = true;
        }
        if (reason == NULL) {
                *out = path;
                return 0;
        }
        char *shown = escape(p, path, full);
        free(path);
        if (shown == NULL)
                return escape_failed(p, e);
        int r = add_bad(p, e, quoted ? "%s\"%s\"" : "%s%s", reason, shown);
        free(shown);
        return r < 0 ? r : 1;
}

static int read_paths(struct parser *p, const struct entry *e, const yaml_node_t *attr,
                      struct mqfs_slot *slot)
{
        enum mqfs_ykind kind = mqfs_ykind(p->yd, attr);
        yaml_node_item_t *items = NULL;
        size_t n = 1;
        int r;

        if (kind == MQFS_YABSENT) {
                r = add_bad(p, e, "posix-mq slot requires the \"path\" attribute");
                return r < 0 ? r : 1;
        }
        bool strings = kind == MQFS_YSTRING;
        if (kind == MQFS_YLIST) {
                n = mqfs_ylist(attr, &items);
                if (!mqfs_ydoc_visit(p->yd, 2 * n))
                        return fail_budget(p, attr);
                strings = true;
                for (size_t i = 0; strings && i < n; i++)
                        strings = mqfs_ykind(p->yd, mqfs_ynode(p->yd, items[i])) == MQFS_YSTRING;
        }
        if (!strings) {
                r = add_bad(p, e,
                            "posix-mq slot \"path\" attribute must be a string or a list "
                            "of strings");
                return r < 0 ? r : 1;
        }
        if (n == 0) {
                r = add_bad(p, e,
                            "posix-mq slot requires at least one value in the \"path\" "
                            "attribute");
                return r < 0 ? r : 1;
        }
        if ((slot->paths = calloc(n, sizeof(*slot->paths))) == NULL)
                return -ENOMEM;
        /* Value by value, as snapd does: the first bad value decides the reason. */
        for (size_t i = 0; i < n; i++) {
                size_t len;
                const yaml_node_t *value = items ? mqfs_ynode(p->yd, items[i]) : attr;
                const char *text = mqfs_yscalar(value, &len);
                r = check_path(p, e, text, len, &slot->paths[i]);
                if (r != 0)
                        return r;
                slot->npaths = i + 1;
        }
        return 0;
}

static void slot_clear(struct mqfs_slot *slot)
{
        free(slot->name);
        free(slot->label);
        for (size_t i = 0; i < slot->npaths; i++)
                free(slot->paths[i]);
        free(slot->paths);
        free(slot->perm_list);
        memset(slot, 0, sizeof(*slot));
}

static int add_slot(struct parser *p, const struct entry *e)
{
        static const char *const keys[] = {IFACE, "permissions", "path"};
        yaml_node_t *attr[3] = {NULL, NULL, NULL};
        struct mqfs_slot slot = {.line = e->line};

        int r = check_name(p, e, "slot");
        if (r != 0)
                return r < 0 ? r : 0;
        if (!mqfs_ymap_get(p->yd, e->value, keys, 3, attr))
                return fail_budget(p, e->value);
        /* SPEC §2.2 order: identifier, permissions, path. */
        r = read_label(p, e, attr[0], &slot.label);
        if (r == 0)
                r = read_permissions(p, e, attr[1], &slot);
        if (r == 0)
                r = read_paths(p, e, attr[2], &slot);
        if (r != 0) {
                slot_clear(&slot);
                return r < 0 ? r : 0;
        }
        struct mqfs_snap_yaml *snap = p->snap;
        if (grow((void **)&snap->slots, &p->cap_slots, snap->nslots, sizeof(*snap->slots)) < 0 ||
            (slot.name = strndup(e->name, e->len)) == NULL) {
                slot_clear(&slot);
                return -ENOMEM;
        }
        snap->slots[snap->nslots++] = slot;
        return 0;
}

static int bad_cmp(const void *pa, const void *pb)
{
        const struct mqfs_bad *a = pa, *b = pb;
        int c = strcmp(a->name, b->name);
        if (c != 0)
                return c;
        return (a->line > b->line) - (a->line < b->line);
}

static int parse_root(struct parser *p, const yaml_node_t *root)
{
        static const char *const keys[] = {"name", "plugs", "slots"};
        yaml_node_t *top[3];
        struct entries plugs = {0}, slots = {0};
        int r;

        enum mqfs_ykind kind = mqfs_ykind(p->yd, root);
        if (kind != MQFS_YMAP)
                return fail(p, root, -EINVAL,
                            "a snap.yaml must be a map (with name, plugs, slots), not %s; check "
                            "that this is the right file",
                            mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(p->yd, root, keys, 3, top))
                return fail_budget(p, root);
        if (mqfs_ykind(p->yd, top[0]) == MQFS_YSTRING) {
                r = mqfs_ystrdup(p->yd, top[0], &p->snap->name);
                if (r == -E2BIG)
                        return fail_budget(p, top[0]);
                if (r == -EINVAL)
                        return fail(p, top[0], -EINVAL,
                                    "the snap name contains a NUL byte; fix the name");
                if (r < 0)
                        return r;
        }
        r = collect_section(p, top[1], "plugs", &plugs);
        if (r == 0)
                r = collect_section(p, top[2], "slots", &slots);
        if (r == 0)
                r = collect_listed(p, root, &plugs, &slots);
        if (r < 0)
                goto out;
        sort_unique(&plugs);
        sort_unique(&slots);
        for (size_t i = 0; r == 0 && i < plugs.n; i++) {
                if (is_posix_mq(p, &plugs.v[i]))
                        r = add_plug(p, &plugs.v[i]);
                else if (p->yd->exhausted)
                        r = fail_budget(p, plugs.v[i].value);
        }
        for (size_t i = 0; r == 0 && i < slots.n; i++) {
                if (is_posix_mq(p, &slots.v[i]))
                        r = add_slot(p, &slots.v[i]);
                else if (p->yd->exhausted)
                        r = fail_budget(p, slots.v[i].value);
        }
        if (r == 0 && p->snap->nbad > 1)
                qsort(p->snap->bad, p->snap->nbad, sizeof(*p->snap->bad), bad_cmp);
out:
        free(plugs.v);
        free(slots.v);
        return r;
}

/* ---- public ---- */

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap)
{
        if (snap == NULL)
                return;
        free(snap->name);
        for (size_t i = 0; i < snap->nplugs; i++) {
                free(snap->plugs[i].name);
                free(snap->plugs[i].label);
        }
        free(snap->plugs);
        for (size_t i = 0; i < snap->nslots; i++)
                slot_clear(&snap->slots[i]);
        free(snap->slots);
        for (size_t i = 0; i < snap->nbad; i++) {
                free(snap->bad[i].name);
                free(snap->bad[i].reason);
        }
        free(snap->bad);
        free(snap);
}

int mqfs_snap_yaml_from_ydoc(struct mqfs_ydoc *yd, const yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error)
{
        struct parser p = {.yd = yd, .origin = origin, .error = error};

        if (error)
                *error = NULL;
        p.snap = calloc(1, sizeof(*p.snap));
        if (p.snap == NULL)
                return -ENOMEM;
        int r = parse_root(&p, node);
        if (r == 0 && p.snap->name == NULL && (p.snap->name = strdup("")) == NULL)
                r = -ENOMEM;
        if (r < 0) {
                if (r == -ENOMEM && error != NULL && *error == NULL)
                        fail(&p, node, -EINVAL, "out of memory while reading the snap.yaml");
                mqfs_snap_yaml_free(p.snap);
                return r;
        }
        *out = p.snap;
        return 0;
}

int mqfs_snap_yaml_from_node(yaml_document_t *doc, yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_ydoc yd;
        mqfs_ydoc_wrap(&yd, doc);
        int r = mqfs_snap_yaml_from_ydoc(&yd, node, origin, out, error);
        mqfs_ydoc_release(&yd);
        return r;
}

int mqfs_snap_yaml_parse(const char *buf, size_t len, const char *origin,
                         struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_ydoc yd;
        int r = mqfs_ydoc_load(&yd, buf, len, origin, error);
        if (r < 0)
                return r;
        r = mqfs_snap_yaml_from_ydoc(&yd, yaml_document_get_root_node(yd.doc), origin, out, error);
        mqfs_ydoc_release(&yd);
        return r;
}

int mqfs_snap_yaml_load(const char *path, struct mqfs_snap_yaml **out, char **error)
{
        char *buf = NULL;
        size_t len = 0;

        if (error)
                *error = NULL;
        int r = mqfs_read_file(path, MQFS_YAML_MAX_BYTES, &buf, &len, error);
        if (r < 0)
                return r;
        r = mqfs_snap_yaml_parse(buf, len, path, out, error);
        free(buf);
        return r;
}

char *mqfs_snap_yaml_report(const struct mqfs_snap_yaml *snap)
{
        if (snap == NULL || snap->nbad == 0)
                return NULL;
        char *text = NULL, *shown = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (f == NULL)
                return NULL;
        bool ok = (shown = mqfs_escape(snap->name, strlen(snap->name))) != NULL &&
                  fprintf(f, "snap \"%s\" has bad plugs or slots: ", shown) >= 0;
        free(shown);
        for (size_t i = 0; ok && i < snap->nbad; i++) {
                shown = mqfs_escape(snap->bad[i].name, strlen(snap->bad[i].name));
                ok = shown != NULL &&
                     fprintf(f, "%s%s (%s)", i ? "; " : "", shown, snap->bad[i].reason) >= 0;
                free(shown);
        }
        if (fclose(f) != 0 || !ok) {
                free(text);
                return NULL;
        }
        return text;
}

static int plug_key_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_plug *)elem)->name);
}

static int slot_key_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_slot *)elem)->name);
}

const struct mqfs_plug *mqfs_snap_yaml_plug(const struct mqfs_snap_yaml *snap, const char *name)
{
        if (snap == NULL || snap->nplugs == 0)
                return NULL;
        return bsearch(name, snap->plugs, snap->nplugs, sizeof(*snap->plugs), plug_key_cmp);
}

const struct mqfs_slot *mqfs_snap_yaml_slot(const struct mqfs_snap_yaml *snap, const char *name)
{
        if (snap == NULL || snap->nslots == 0)
                return NULL;
        return bsearch(name, snap->slots, snap->nslots, sizeof(*snap->slots), slot_key_cmp);
}
