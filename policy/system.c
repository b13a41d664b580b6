/* system.c — loading the system state (SPEC §2.3): the snaps section, and lookups. */
#include "system.h"

#include "escape.h"
#include "qname.h"
#include "loader.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* system.yaml is root's own file and may hold thousands of snaps inline. */
enum { MQFS_SYSTEM_YAML_MAX_BYTES = 64 << 20 };

int mqfs_loader_message(struct mqfs_loader *ld, const char *file, size_t line, const char *fmt, ...)
{
        struct mqfs_system *sys = ld->sys;
        if (sys->nmessages == ld->cap_messages) {
                size_t cap = ld->cap_messages ? ld->cap_messages * 2 : 16;
                char **v = reallocarray(sys->messages, cap, sizeof(*v));
                if (v == NULL)
                        return -ENOMEM;
                sys->messages = v;
                size_t *keys = reallocarray(ld->keys, cap, sizeof(*keys));
                if (keys == NULL)
                        return -ENOMEM;
                ld->keys = keys;
                ld->cap_messages = cap;
        }
        va_list ap;
        va_start(ap, fmt);
        char *text = mqfs_message_at(file, line, fmt, ap);
        va_end(ap);
        if (text == NULL)
                return -ENOMEM;
        ld->keys[sys->nmessages] = ld->key;
        sys->messages[sys->nmessages++] = text;
        return 0;
}

int mqfs_loader_vmessage_key(struct mqfs_loader *ld, const char *file, const char *key,
                             const char *fmt, va_list ap)
{
        char *what = NULL;
        if (vasprintf(&what, fmt, ap) < 0)
                return -ENOMEM;
        int r = mqfs_loader_message(ld, file, 0, "%s: %s", key, what);
        free(what);
        return r;
}

int mqfs_loader_message_key(struct mqfs_loader *ld, const char *file, const char *key,
                            const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = mqfs_loader_vmessage_key(ld, file, key, fmt, ap);
        va_end(ap);
        return r;
}

struct keyed_message {
        size_t key, order;
        char *text;
};

static int keyed_cmp(const void *pa, const void *pb)
{
        const struct keyed_message *a = pa, *b = pb;
        if (a->key != b->key)
                return a->key < b->key ? -1 : 1;
        return (a->order > b->order) - (a->order < b->order);
}

/* Puts the messages in system.yaml order (stable). */
static int sort_messages(struct mqfs_loader *ld)
{
        struct mqfs_system *sys = ld->sys;
        if (sys->nmessages < 2)
                return 0;
        struct keyed_message *v = calloc(sys->nmessages, sizeof(*v));
        if (v == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < sys->nmessages; i++)
                v[i] = (struct keyed_message){ld->keys[i], i, sys->messages[i]};
        qsort(v, sys->nmessages, sizeof(*v), keyed_cmp);
        for (size_t i = 0; i < sys->nmessages; i++)
                sys->messages[i] = v[i].text;
        free(v);
        return 0;
}

/* ---- the whole file ---- */

void mqfs_system_free(struct mqfs_system *sys)
{
        if (sys == NULL)
                return;
        for (size_t i = 0; i < sys->nsnaps; i++)
                mqfs_system_snap_clear(&sys->snaps[i]);
        free(sys->snaps);
        free(sys->conns);
        for (size_t i = 0; i < sys->nowned; i++)
                mqfs_snap_yaml_free(sys->owned[i]);
        free(sys->owned);
        for (size_t i = 0; i < sys->nsources; i++) {
                free(sys->sources[i].dir);
                free(sys->sources[i].name);
        }
        free(sys->sources);
        for (size_t i = 0; i < sys->nmessages; i++)
                free(sys->messages[i]);
        free(sys->messages);
        free(sys);
}

__attribute__((format(printf, 4, 5))) static int
fail(char **error, const char *origin, const struct mqfs_ynode *node, const char *fmt, ...)
{
        if (error == NULL || *error != NULL)
                return -EINVAL;
        va_list ap;
        va_start(ap, fmt);
        *error = mqfs_message_at(origin, node ? mqfs_yline(node) : 1, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* One value of limits:, a whole number in decimal from 1 to MQFS_LIMIT_MAX. */
static int read_limit(struct mqfs_loader *ld, enum mqfs_limit_kind kind,
                      const struct mqfs_ynode *value)
{
        size_t len;
        const char *text = mqfs_ykind(value) == MQFS_YINT ? mqfs_yscalar(value, &len) : NULL;
        size_t n = 0;
        bool ok = text != NULL && len > 0 && len <= 10;

        for (size_t i = 0; ok && i < len; i++) {
                ok = text[i] >= '0' && text[i] <= '9';
                n = n * 10 + (size_t)(text[i] - '0');
        }
        if (ok && n >= 1 && n <= MQFS_LIMIT_MAX) {
                ld->sys->limits.max[kind] = n;
                return 0;
        }
        ld->key = mqfs_yline(value);
        char *shown = mqfs_shown_scalar(value);
        int r = shown ? mqfs_loader_message(ld, ld->origin, mqfs_yline(value),
                                            "limits: %s: \"%s\" is not a whole number from 1 "
                                            "to %d; the default %zu stays",
                                            mqfs_limit_key(kind), shown, MQFS_LIMIT_MAX,
                                            ld->sys->limits.max[kind])
                      : -ENOMEM;
        free(shown);
        return r;
}

/* The limits: map (caller_limits.h); absent or null keeps the defaults. */
static int read_limits(struct mqfs_loader *ld, const struct mqfs_ynode *map)
{
        enum mqfs_ykind kind = mqfs_ykind(map);
        if (kind == MQFS_YABSENT || kind == MQFS_YNULL)
                return 0;
        ld->key = mqfs_yline(map);
        if (kind != MQFS_YMAP)
                return mqfs_loader_message(ld, ld->origin, mqfs_yline(map),
                                           "limits: must be a map (open-files: N, ...), not "
                                           "%s; the defaults stay",
                                           mqfs_ykind_text(kind));
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(map, &pairs);
        if (!mqfs_ydoc_visit(ld->yd, n))
                return -E2BIG;
        int r = 0;
        for (size_t i = 0; r == 0 && i < n; i++) {
                size_t k = 0;
                while (k < MQFS_LIMIT_KINDS && !mqfs_yis(pairs[i].key, mqfs_limit_key(k)))
                        k++;
                if (k < MQFS_LIMIT_KINDS) {
                        r = read_limit(ld, k, pairs[i].value);
                        continue;
                }
                char *text = mqfs_shown_scalar(pairs[i].key);
                char known[256] = "";
                for (enum mqfs_limit_kind j = 0; j < MQFS_LIMIT_KINDS; j++)
                        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                                 j == 0                     ? ""
                                 : j + 1 < MQFS_LIMIT_KINDS ? ", "
                                                            : " and ",
                                 mqfs_limit_key(j));
                ld->key = mqfs_yline(pairs[i].key);
                r = text ? mqfs_loader_message(ld, ld->origin, mqfs_yline(pairs[i].key),
                                               "limits: unknown key \"%s\" ignored; the keys are "
                                               "%s",
                                               text, known)
                         : -ENOMEM;
                free(text);
        }
        return r;
}

static int load_root(struct mqfs_loader *ld, const char *base_dir, const struct mqfs_ynode *root,
                     char **error)
{
        static const char *const keys[] = {"snaps", "connections", "disconnected", "limits",
                                           "snapd"};
        struct mqfs_ydoc *yd = ld->yd;
        const struct mqfs_ynode *v[5];
        struct mqfs_snapd_config snapd = {0};
        int r = 0;

        enum mqfs_ykind kind = mqfs_ykind(root);
        if (kind != MQFS_YMAP)
                return fail(error, ld->origin, root,
                            "the system state must be a map with snaps:, connections: and "
                            "disconnected:, not %s; check that this is the right file",
                            mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(yd, root, keys, 5, v))
                return -E2BIG;
        /* A section of the wrong shape would drop every snap or connection at once:
         * refuse the file rather than apply that. */
        for (size_t i = 0; i < 3; i++) {
                kind = mqfs_ykind(v[i]);
                if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YLIST)
                        return fail(error, ld->origin, v[i],
                                    "%s: must be a list, not %s; the state is not loaded", keys[i],
                                    mqfs_ykind_text(kind));
        }
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(root, &pairs);
        for (size_t i = 0; r == 0 && i < n; i++) {
                const struct mqfs_ynode *key = pairs[i].key;
                if (mqfs_yis(key, keys[0]) || mqfs_yis(key, keys[1]) || mqfs_yis(key, keys[2]) ||
                    mqfs_yis(key, keys[3]) || mqfs_yis(key, keys[4]))
                        continue;
                char *text = mqfs_shown_scalar(key);
                ld->key = mqfs_yline(key);
                r = text ? mqfs_loader_message(ld, ld->origin, mqfs_yline(key),
                                               "unknown key \"%s\" ignored; the system state "
                                               "has snaps, connections, disconnected, limits "
                                               "and snapd",
                                               text)
                         : -ENOMEM;
                free(text);
        }

        if (r == 0 && v[4] != NULL)
                r = mqfs_snapd_config_read(ld, v[4], base_dir, &snapd, error);
        struct mqfs_snaps st = {.ld = ld, .base_dir = base_dir, .snapd = v[4] ? &snapd : NULL};
        if (r == 0)
                r = read_limits(ld, v[3]);
        if (r == 0)
                r = mqfs_snaps_load(&st, v[0]);
        if (r == 0)
                r = mqfs_resolve_read_list(ld, v[1], true);
        if (r == 0)
                r = mqfs_resolve_read_list(ld, v[2], false);
        if (r == 0)
                r = mqfs_resolve(ld);
        if (r == 0)
                r = sort_messages(ld);
        /* The snap.yaml paths named in messages were needed until here. */
        mqfs_snaps_clear(&st);
        mqfs_snapd_config_clear(&snapd);
        if (r == -E2BIG)
                return fail(error, ld->origin, root,
                            "the file reuses anchors (aliases) so often that reading it would "
                            "take too much memory; write the values out");
        return r;
}

static void free_snap_yaml(void *snap)
{
        mqfs_snap_yaml_free(snap);
}

/* Reads each snaps[i].snap-yaml-inline map as soon as it closes, so that its nodes (most
 * of a system.yaml that holds its snaps inline) are dropped at once; load_entry then
 * finds the result in the map's place (mqfs_snap_yaml_from_ydoc takes it). */
static int read_inline_snap(void *ctx, struct mqfs_ydoc *yd, const struct mqfs_ynode *map,
                            const struct mqfs_ynode *const *keys, size_t depth,
                            struct mqfs_ytaken *taken)
{
        const char *origin = ctx;
        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;

        if (depth != 3 || !mqfs_yis(keys[0], "snaps") || keys[1] != NULL ||
            !mqfs_yis(keys[2], "snap-yaml-inline"))
                return 0;
        taken->result = mqfs_snap_yaml_from_ydoc(yd, map, origin, &snap, &error);
        taken->value = snap;
        taken->free_value = free_snap_yaml;
        taken->error = error;
        return 1;
}

/* buf is freed as soon as it is parsed when owned_buf points at it. */
static int load(const char *buf, size_t len, char **owned_buf, const char *base_dir,
                const char *origin, struct mqfs_system **out, char **error)
{
        struct mqfs_ydoc yd;
        struct mqfs_loader ld = {.origin = origin ? origin : "system.yaml", .yd = &yd};
        const struct mqfs_ydoc_hook hook = {read_inline_snap, (void *)ld.origin};

        if (error)
                *error = NULL;
        int r = mqfs_ydoc_load(&yd, buf, len, ld.origin, &hook, error);
        if (owned_buf != NULL) {
                /* The nodes hold their own copies: the text can go before the walk. */
                free(*owned_buf);
                *owned_buf = NULL;
        }
        if (r < 0)
                return r;
        ld.sys = calloc(1, sizeof(*ld.sys));
        if (ld.sys == NULL)
                r = -ENOMEM;
        else {
                mqfs_limits_default(&ld.sys->limits);
                r = load_root(&ld, base_dir, yd.root, error);
        }
        mqfs_ydoc_release(&yd);
        free(ld.files);
        free(ld.entry_lines);
        free(ld.keys);
        free(ld.conns);
        free(ld.disconnected);
        mqfs_snapd_conns_clear(&ld);
        if (r < 0) {
                if (r == -ENOMEM && error != NULL && *error == NULL &&
                    asprintf(error, "%s: out of memory while loading", ld.origin) < 0)
                        *error = NULL;
                mqfs_system_free(ld.sys);
                return r;
        }
        *out = ld.sys;
        return 0;
}

int mqfs_system_load_buffer(const char *buf, size_t len, const char *base_dir, const char *origin,
                            struct mqfs_system **out, char **error)
{
        return load(buf, len, NULL, base_dir, origin, out, error);
}

int mqfs_system_load(const char *path, struct mqfs_system **out, char **error)
{
        char *buf = NULL, *dir = NULL;
        size_t len = 0;

        if (error)
                *error = NULL;
        int r = mqfs_read_file(path, MQFS_SYSTEM_YAML_MAX_BYTES, &buf, &len, error);
        if (r < 0)
                return r;
        /* The path names the file in messages, escaped. */
        char *origin = mqfs_escape(path, strlen(path));
        if (origin == NULL) {
                free(buf);
                return -ENOMEM;
        }
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
                dir = strdup(".");
        else
                dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (dir == NULL)
                r = -ENOMEM;
        else
                r = load(buf, len, &buf, dir, origin, out, error);
        free(origin);
        free(dir);
        free(buf);
        return r;
}

int mqfs_system_add_source(struct mqfs_system *sys, const char *path, bool whole_dir,
                           bool whole_on_create)
{
        struct mqfs_source src = {.whole_on_create = whole_on_create};
        const char *slash = strrchr(path, '/');
        if (whole_dir)
                src.dir = strdup(path);
        else if (slash == NULL)
                src.dir = strdup(".");
        else
                src.dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        if (!whole_dir)
                src.name = strdup(slash ? slash + 1 : path);
        struct mqfs_source *v = reallocarray(sys->sources, sys->nsources + 1, sizeof(*v));
        if (src.dir == NULL || (!whole_dir && src.name == NULL) || v == NULL) {
                free(src.dir);
                free(src.name);
                if (v != NULL)
                        sys->sources = v;
                return -ENOMEM;
        }
        sys->sources = v;
        v[sys->nsources++] = src;
        return 0;
}

static int snap_key_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_system_snap *)elem)->name);
}

const struct mqfs_system_snap *mqfs_system_snap(const struct mqfs_system *sys, const char *name)
{
        if (sys == NULL || sys->nsnaps == 0 || name == NULL)
                return NULL;
        return bsearch(name, sys->snaps, sys->nsnaps, sizeof(*sys->snaps), snap_key_cmp);
}

const struct mqfs_connection *mqfs_system_plug_conns(const struct mqfs_system *sys,
                                                     const char *snap, size_t *count)
{
        *count = 0;
        if (sys == NULL || snap == NULL)
                return NULL;
        /* First connection whose plug snap is not before snap. */
        size_t lo = 0, hi = sys->nconns;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(sys->conns[mid].plug_snap->name, snap) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < sys->nconns && strcmp(sys->conns[end].plug_snap->name, snap) == 0)
                end++;
        *count = end - lo;
        return end > lo ? &sys->conns[lo] : NULL;
}

char *mqfs_shown_scalar(const struct mqfs_ynode *node)
{
        size_t len;
        const char *text = mqfs_yscalar(node, &len);
        return text ? mqfs_escape(text, len) : strdup("?");
}

void mqfs_system_snap_clear(struct mqfs_system_snap *snap)
{
        free(snap->name);
        free(snap->publisher);
        mqfs_snap_yaml_free(snap->yaml);
        memset(snap, 0, sizeof(*snap));
}
