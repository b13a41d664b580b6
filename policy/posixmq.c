/* posixmq.c — SPEC §2.2 on one posix-mq plug or slot: name, identifier, permissions,
 * paths, in that order; the first failure is the entry's reason. */
#include "posixmq.h"

#include "escape.h"
#include "perm.h"
#include "qname.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int mqfs_pmq_fail(struct mqfs_snap_parser *p, const struct mqfs_ynode *node, int err,
                  const char *fmt, ...)
{
        if (p->error != NULL && *p->error == NULL && err != -ENOMEM) {
                size_t line = node ? mqfs_yline(node) : 1; /* an empty document */
                va_list ap;
                va_start(ap, fmt);
                *p->error = mqfs_message_at(p->origin, line, fmt, ap);
                va_end(ap);
        }
        return err;
}

int mqfs_pmq_fail_budget(struct mqfs_snap_parser *p, const struct mqfs_ynode *node)
{
        return mqfs_pmq_fail(
            p, node, -EINVAL,
            "the document reuses anchors (aliases) so often that reading it would "
            "take too much memory; write the values out instead of repeating aliases");
}

/* ---- growing arrays ---- */

int mqfs_pmq_grow(struct mqfs_snap_parser *p, void **v, size_t *cap, size_t n, size_t size)
{
        if (n < *cap)
                return 0;
        /* The old array stays in the scratch arena until the parse ends. */
        size_t cap2 = *cap ? *cap * 2 : 8;
        void *v2 = mqfs_arena_array(&p->scratch, cap2, size);
        if (v2 == NULL)
                return -ENOMEM;
        if (n > 0)
                memcpy(v2, *v, n * size);
        *v = v2;
        *cap = cap2;
        return 0;
}

char *mqfs_pmq_strndup(struct mqfs_snap_parser *p, const char *s, size_t len)
{
        return mqfs_arena_strndup(&p->scratch, s, len);
}

/* ---- bad entries ---- */

/* A copy of a name for mqfs_bad.name: raw, or escaped when a NUL byte would cut it. */
static char *name_copy(struct mqfs_snap_parser *p, const char *name, size_t len)
{
        if (memchr(name, '\0', len) == NULL)
                return mqfs_ydoc_bytes(p->yd, len + 1) ? mqfs_pmq_strndup(p, name, len) : NULL;
        char *shown = mqfs_escape(name, len), *copy = NULL;
        if (shown != NULL && mqfs_ydoc_bytes(p->yd, strlen(shown) + 1))
                copy = mqfs_pmq_strndup(p, shown, strlen(shown));
        free(shown);
        return copy;
}

__attribute__((format(printf, 3, 4))) static int
add_bad(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e, const char *fmt, ...)
{
        struct mqfs_snap_yaml *snap = p->snap;
        if (mqfs_pmq_grow(p, (void **)&snap->bad, &p->cap_bad, snap->nbad, sizeof(*snap->bad)) < 0)
                return -ENOMEM;
        struct mqfs_bad *bad = &snap->bad[snap->nbad];
        memset(bad, 0, sizeof(*bad));
        bad->line = e->line;
        bad->name = name_copy(p, e->name, e->len);
        if (bad->name == NULL)
                return p->yd->exhausted ? mqfs_pmq_fail_budget(p, e->value) : -ENOMEM;
        char *reason = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&reason, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (!mqfs_ydoc_bytes(p->yd, (size_t)r)) {
                free(reason);
                return mqfs_pmq_fail_budget(p, e->value);
        }
        bad->reason = mqfs_pmq_strndup(p, reason, (size_t)r);
        free(reason);
        if (bad->reason == NULL)
                return -ENOMEM;
        snap->nbad++;
        return 0;
}

/* Escapes bytes for a reason text, charged to the budget. NULL: see yd->exhausted. */
static char *escape(struct mqfs_snap_parser *p, const char *s, size_t len)
{
        char *shown = mqfs_escape(s, len);
        if (shown != NULL && !mqfs_ydoc_bytes(p->yd, strlen(shown) + 1)) {
                free(shown);
                return NULL;
        }
        return shown;
}

static int escape_failed(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e)
{
        return p->yd->exhausted ? mqfs_pmq_fail_budget(p, e->value) : -ENOMEM;
}

/* ---- interface and attributes ---- */

static bool text_is(const char *s, size_t len, const char *word)
{
        return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Whether the entry is a posix-mq plug/slot, as snapd decides the interface: the value
 * string, else the map's `interface`, else (null, {} or no interface) the name. */
bool mqfs_pmq_is_posix_mq(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e)
{
        const struct mqfs_ynode *iface = NULL;
        static const char *const keys[] = {"interface"};
        const struct mqfs_ynode *found;

        if (e->value != NULL) {
                enum mqfs_ykind kind = mqfs_ykind(e->value);
                if (kind == MQFS_YSTRING) {
                        iface = e->value;
                } else if (kind == MQFS_YMAP) {
                        if (!mqfs_ymap_get(p->yd, e->value, keys, 1, &found))
                                return false; /* the caller sees yd->exhausted */
                        if (found != NULL && mqfs_ykind(found) != MQFS_YSTRING)
                                return false;
                        iface = found;
                } else if (kind != MQFS_YNULL) {
                        return false;
                }
        }
        size_t len = 0;
        const char *text = mqfs_yscalar(iface, &len);
        if (text == NULL || len == 0)
                return text_is(e->name, e->len, MQFS_IFACE);
        return text_is(text, len, MQFS_IFACE);
}

/* The posix-mq identifier: absent or "" means the name. 1 when bad (reported). */
static int read_label(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e,
                      const struct mqfs_ynode *attr, char **label)
{
        enum mqfs_ykind kind = mqfs_ykind(attr);
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
                return mqfs_pmq_fail_budget(p, attr);
        *label = mqfs_pmq_strndup(p, text, len);
        return *label ? 0 : -ENOMEM;
}

static int check_name(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e, const char *kind)
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

int mqfs_pmq_add_plug(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e)
{
        static const char *const keys[] = {MQFS_IFACE};
        const struct mqfs_ynode *attr[1] = {NULL};
        char *label = NULL;

        int r = check_name(p, e, "plug");
        if (r != 0)
                return r < 0 ? r : 0;
        if (!mqfs_ymap_get(p->yd, e->value, keys, 1, attr))
                return mqfs_pmq_fail_budget(p, e->value);
        r = read_label(p, e, attr[0], &label);
        if (r != 0)
                return r < 0 ? r : 0;

        struct mqfs_snap_yaml *snap = p->snap;
        if (mqfs_pmq_grow(p, (void **)&snap->plugs, &p->cap_plugs, snap->nplugs,
                          sizeof(*snap->plugs)) < 0 ||
            (snap->plugs[snap->nplugs].name = mqfs_pmq_strndup(p, e->name, e->len)) == NULL)
                return -ENOMEM;
        snap->plugs[snap->nplugs].label = label;
        snap->plugs[snap->nplugs].line = e->line;
        snap->nplugs++;
        return 0;
}

/* SPEC §2.2 permissions: a list of strings, each a permission word. 1 when bad. */
static int read_permissions(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e,
                            const struct mqfs_ynode *attr, struct mqfs_slot *slot)
{
        enum mqfs_ykind kind = mqfs_ykind(attr);
        if (kind == MQFS_YABSENT) {
                slot->perm_list = mqfs_arena_array(&p->scratch, 2, sizeof(*slot->perm_list));
                if (slot->perm_list == NULL)
                        return -ENOMEM;
                slot->perm_list[0] = MQFS_PERM_READ;
                slot->perm_list[1] = MQFS_PERM_WRITE;
                slot->nperm_list = 2;
                slot->perms = MQFS_PERM_READ | MQFS_PERM_WRITE;
                return 0;
        }
        const struct mqfs_ynode *const *items;
        size_t n = mqfs_ylist(attr, &items);
        bool strings = kind == MQFS_YLIST;
        if (!mqfs_ydoc_visit(p->yd, 2 * n))
                return mqfs_pmq_fail_budget(p, attr);
        for (size_t i = 0; strings && i < n; i++)
                strings = mqfs_ykind(items[i]) == MQFS_YSTRING;
        if (!strings) {
                int r = add_bad(p, e,
                                "posix-mq slot \"permissions\" attribute must be a list "
                                "of strings");
                return r < 0 ? r : 1;
        }
        if (n > 0 &&
            (slot->perm_list = mqfs_arena_array(&p->scratch, n, sizeof(*slot->perm_list))) == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t len;
                const char *word = mqfs_yscalar(items[i], &len);
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
static int check_path(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e, const char *text,
                      size_t len, char **out)
{
        if (len == 0) {
                int r = add_bad(p, e, "posix-mq slot \"path\" attribute values cannot be empty");
                return r < 0 ? r : 1;
        }
        bool add_slash = text[0] != '/';
        size_t full = len + add_slash;
        if (!mqfs_ydoc_bytes(p->yd, full + 1))
                return mqfs_pmq_fail_budget(p, e->value);
        char *path = mqfs_arena_alloc(&p->scratch, full + 1);
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
        if (shown == NULL)
                return escape_failed(p, e);
        int r = add_bad(p, e, quoted ? "%s\"%s\"" : "%s%s", reason, shown);
        free(shown);
        return r < 0 ? r : 1;
}

static int read_paths(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e,
                      const struct mqfs_ynode *attr, struct mqfs_slot *slot)
{
        enum mqfs_ykind kind = mqfs_ykind(attr);
        const struct mqfs_ynode *const *items = NULL;
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
                        return mqfs_pmq_fail_budget(p, attr);
                strings = true;
                for (size_t i = 0; strings && i < n; i++)
                        strings = mqfs_ykind(items[i]) == MQFS_YSTRING;
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
        if ((slot->paths = mqfs_arena_array(&p->scratch, n, sizeof(*slot->paths))) == NULL)
                return -ENOMEM;
        /* Value by value, as snapd does: the first bad value decides the reason. */
        for (size_t i = 0; i < n; i++) {
                size_t len;
                const struct mqfs_ynode *value = items ? items[i] : attr;
                const char *text = mqfs_yscalar(value, &len);
                r = check_path(p, e, text, len, &slot->paths[i]);
                if (r != 0)
                        return r;
                slot->npaths = i + 1;
        }
        return 0;
}

int mqfs_pmq_add_slot(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e)
{
        static const char *const keys[] = {MQFS_IFACE, "permissions", "path"};
        const struct mqfs_ynode *attr[3] = {NULL, NULL, NULL};
        struct mqfs_slot slot = {.line = e->line};

        int r = check_name(p, e, "slot");
        if (r != 0)
                return r < 0 ? r : 0;
        if (!mqfs_ymap_get(p->yd, e->value, keys, 3, attr))
                return mqfs_pmq_fail_budget(p, e->value);
        /* SPEC §2.2 order: identifier, permissions, path. */
        r = read_label(p, e, attr[0], &slot.label);
        if (r == 0)
                r = read_permissions(p, e, attr[1], &slot);
        if (r == 0)
                r = read_paths(p, e, attr[2], &slot);
        if (r != 0)
                return r < 0 ? r : 0; /* what was read stays in the scratch arena */
        struct mqfs_snap_yaml *snap = p->snap;
        if (mqfs_pmq_grow(p, (void **)&snap->slots, &p->cap_slots, snap->nslots,
                          sizeof(*snap->slots)) < 0 ||
            (slot.name = mqfs_pmq_strndup(p, e->name, e->len)) == NULL)
                return -ENOMEM;
        snap->slots[snap->nslots++] = slot;
        return 0;
}
