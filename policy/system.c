/* system.c — loading the system state (SPEC §2.3): the snaps section, and lookups. */
#include "system.h"

#include "qname.h"
#include "resolve.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* system.yaml is root's own file and may hold thousands of snaps inline. */
enum { MQFS_SYSTEM_YAML_MAX_BYTES = 64 << 20 };

static const char *const snap_types[] = {
    [MQFS_SNAP_APP] = "app", [MQFS_SNAP_GADGET] = "gadget", [MQFS_SNAP_CORE] = "core",
    [MQFS_SNAP_OS] = "os",   [MQFS_SNAP_SNAPD] = "snapd",
};

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
        char *what = NULL, *text = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = asprintf(&text, "%s:%zu: %s", file, line, what);
        free(what);
        if (r < 0)
                return -ENOMEM;
        ld->keys[sys->nmessages] = ld->key;
        sys->messages[sys->nmessages++] = text;
        return 0;
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

/* A printable copy of untrusted text for a message (free() it). */
static char *shown(const char *s)
{
        return mqfs_escape(s, strlen(s));
}

static char *shown_scalar(const yaml_node_t *node)
{
        size_t len;
        const char *text = mqfs_yscalar(node, &len);
        return text ? mqfs_escape(text, len) : strdup("?");
}

/* ---- one entry of snaps: ---- */

struct loaded {
        struct mqfs_system_snap snap;
        const char *file; /* owned by the loader's file list */
        size_t line;      /* of the entry in system.yaml */
};

struct snaps_state {
        struct mqfs_loader *ld;
        const char *base_dir;
        struct loaded *v;
        size_t n, cap;
        char **files; /* snap.yaml paths read, kept for messages until the load ends */
        size_t nfiles, cap_files;
        size_t *dup_of; /* per entry: line of the entry that claimed its name first */
};

struct claim {
        const char *name;
        size_t len, line, entry;
};

static void system_snap_clear(struct mqfs_system_snap *snap)
{
        free(snap->name);
        free(snap->publisher);
        mqfs_snap_yaml_free(snap->yaml);
        memset(snap, 0, sizeof(*snap));
}

static int claim_cmp(const void *pa, const void *pb)
{
        const struct claim *a = pa, *b = pb;
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->name, b->name, n);
        if (c == 0)
                c = (a->len > b->len) - (a->len < b->len);
        return c ? c : (a->entry > b->entry) - (a->entry < b->entry);
}

/* The first entry naming a snap claims the name, even when it turns out broken: a later
 * entry never silently replaces it. Fills st->dup_of[entry] with the line of the
 * claiming entry for every later duplicate (0 otherwise). */
static int index_claims(struct snaps_state *st, const yaml_node_item_t *items, size_t n)
{
        static const char *const keys[] = {"name"};
        struct mqfs_ydoc *yd = st->ld->yd;
        struct claim *claims = calloc(n ? n : 1, sizeof(*claims));
        size_t nclaims = 0;
        st->dup_of = calloc(n ? n : 1, sizeof(*st->dup_of));
        if (claims == NULL || st->dup_of == NULL) {
                free(claims);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                yaml_node_t *entry = mqfs_ynode(yd, items[i]), *name;
                if (!mqfs_ymap_get(yd, entry, keys, 1, &name)) {
                        free(claims);
                        return -E2BIG;
                }
                if (mqfs_ykind(yd, name) != MQFS_YSTRING)
                        continue;
                struct claim *c = &claims[nclaims++];
                c->name = mqfs_yscalar(name, &c->len);
                c->line = mqfs_yline(entry);
                c->entry = i;
        }
        qsort(claims, nclaims, sizeof(*claims), claim_cmp);
        for (size_t i = 1; i < nclaims; i++) {
                const struct claim *a = &claims[i - 1], *b = &claims[i];
                if (a->len == b->len && memcmp(a->name, b->name, a->len) == 0)
                        st->dup_of[b->entry] =
                            st->dup_of[a->entry] ? st->dup_of[a->entry] : a->line;
        }
        free(claims);
        return 0;
}

static int keep_file(struct snaps_state *st, char *path)
{
        if (st->nfiles == st->cap_files) {
                size_t cap = st->cap_files ? st->cap_files * 2 : 16;
                char **v = reallocarray(st->files, cap, sizeof(*v));
                if (v == NULL)
                        return -ENOMEM;
                st->files = v;
                st->cap_files = cap;
        }
        st->files[st->nfiles++] = path;
        return 0;
}

/* The snap-yaml path, relative to the system.yaml's directory. */
static char *snap_yaml_path(const struct snaps_state *st, const char *path)
{
        char *full = NULL;
        if (path[0] == '/')
                return strdup(path);
        if (asprintf(&full, "%s/%s", st->base_dir ? st->base_dir : ".", path) < 0)
                return NULL;
        return full;
}

/* mqfs_snap_yaml_load, naming the file as shown (escaped) in every message. */
static int load_snap_yaml(const char *path, const char *shown_path, struct mqfs_snap_yaml **out,
                          char **error)
{
        char *buf = NULL;
        size_t len = 0;
        int r = mqfs_read_file(path, MQFS_YAML_MAX_BYTES, &buf, &len, NULL);
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                if (asprintf(error, "%s: cannot read: %s; check the path and its permissions",
                             shown_path,
                             r == -EINVAL  ? "not a regular file"
                             : r == -EFBIG ? "larger than 4 MiB"
                                           : strerror(-r)) < 0)
                        *error = NULL;
                return r;
        }
        r = mqfs_snap_yaml_parse(buf, len, shown_path, out, error);
        free(buf);
        return r;
}

/* Messages for the snap's bad plugs/slots, and refusal of super-privileged slots. */
static int report_snap(struct snaps_state *st, struct loaded *l)
{
        struct mqfs_loader *ld = st->ld;
        struct mqfs_snap_yaml *yaml = l->snap.yaml;
        int r = 0;
        for (size_t i = 0; r == 0 && i < yaml->nbad; i++) {
                char *name = shown(yaml->bad[i].name);
                if (name == NULL)
                        return -ENOMEM;
                r = mqfs_loader_message(ld, l->file, yaml->bad[i].line,
                                        "snap \"%s\" has bad plugs or slots: %s (%s); it is "
                                        "left out, fix the snap.yaml",
                                        l->snap.name, name, yaml->bad[i].reason);
                free(name);
        }
        /* SPEC §2.3: posix-mq slots are super-privileged. */
        if (r < 0 || yaml->nslots == 0 || l->snap.publisher[0] == '\0' || l->snap.slots_allowed)
                return r;
        for (size_t i = 0; r == 0 && i < yaml->nslots; i++)
                r = mqfs_loader_message(ld, l->file, yaml->slots[i].line,
                                        "snap \"%s\" slot \"%s\" refused: installation not "
                                        "allowed by \"%s\" slot rule of interface \"posix-mq\"; "
                                        "the store must grant it (slots-allowed: true)",
                                        l->snap.name, yaml->slots[i].name, yaml->slots[i].name);
        for (size_t i = 0; i < yaml->nslots; i++) {
                struct mqfs_slot *slot = &yaml->slots[i];
                free(slot->name);
                free(slot->label);
                for (size_t k = 0; k < slot->npaths; k++)
                        free(slot->paths[k]);
                free(slot->paths);
                free(slot->perm_list);
        }
        free(yaml->slots);
        yaml->slots = NULL;
        yaml->nslots = 0;
        return r;
}

static bool bool_value(const yaml_node_t *node)
{
        static const char *const yes[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                          "True", "TRUE", "on",  "On",  "ON"};
        size_t len;
        const char *text = mqfs_yscalar(node, &len);
        for (size_t i = 0; text && i < sizeof(yes) / sizeof(*yes); i++)
                if (strlen(yes[i]) == len && memcmp(text, yes[i], len) == 0)
                        return true;
        return false;
}

/* One entry of snaps:. 0 when loaded or skipped with a message; <0 for -ENOMEM/-E2BIG. */
static int load_entry(struct snaps_state *st, const yaml_node_t *entry, size_t index)
{
        static const char *const keys[] = {"name",          "publisher", "type",
                                           "slots-allowed", "snap-yaml", "snap-yaml-inline"};
        enum { NAME, PUBLISHER, TYPE, SLOTS_ALLOWED, SNAP_YAML, INLINE, NKEYS };
        struct mqfs_loader *ld = st->ld;
        struct mqfs_ydoc *yd = ld->yd;
        const char *sys_file = ld->origin;
        size_t line = mqfs_yline(entry);
        yaml_node_t *v[NKEYS];
        struct loaded l = {.line = line};
        char *error = NULL, *path = NULL;
        int r = 0;

        enum mqfs_ykind kind = mqfs_ykind(yd, entry);
        if (kind != MQFS_YMAP)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snaps entry %zu is %s, not a map; it is skipped: "
                                           "give it name: and snap-yaml: or snap-yaml-inline:",
                                           index + 1, mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(yd, entry, keys, NKEYS, v))
                return -E2BIG;

        /* Unknown keys are most likely typos of known ones: say so, but load. */
        yaml_node_pair_t *pairs;
        size_t npairs = mqfs_ymap(entry, &pairs);
        for (size_t i = 0; i < npairs; i++) {
                yaml_node_t *key = mqfs_ynode(yd, pairs[i].key);
                bool known = false;
                for (size_t k = 0; k < NKEYS && !known; k++)
                        known = mqfs_yis(yd, key, keys[k]);
                if (known)
                        continue;
                char *text = shown_scalar(key);
                if (text == NULL)
                        return -ENOMEM;
                r = mqfs_loader_message(ld, sys_file, mqfs_yline(key),
                                        "unknown key \"%s\" ignored; the keys of a snap are "
                                        "name, publisher, type, slots-allowed, snap-yaml and "
                                        "snap-yaml-inline",
                                        text);
                free(text);
                if (r < 0)
                        return r;
        }

        size_t name_len;
        const char *name = mqfs_yscalar(v[NAME], &name_len);
        if (mqfs_ykind(yd, v[NAME]) != MQFS_YSTRING)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snaps entry %zu has no name (a string); it is "
                                           "skipped: add name: SNAP",
                                           index + 1);
        if (!mqfs_snap_name_valid(name, name_len)) {
                char *text = mqfs_escape(name, name_len);
                if (text == NULL)
                        return -ENOMEM;
                r = mqfs_loader_message(ld, sys_file, mqfs_yline(v[NAME]),
                                        "invalid snap name \"%s\"; the snap is skipped: a snap "
                                        "name has 1 to 40 characters a-z, 0-9 and '-', at "
                                        "least one letter, and no '-' at either end or twice "
                                        "in a row",
                                        text);
                free(text);
                return r;
        }
        size_t first = st->dup_of[index];
        if (first != 0)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snap \"%s\" is listed again (first at line %zu); "
                                           "this entry is skipped: remove one of them",
                                           name, first);

        kind = mqfs_ykind(yd, v[PUBLISHER]);
        if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YSTRING)
                return mqfs_loader_message(ld, sys_file, mqfs_yline(v[PUBLISHER]),
                                           "snap \"%s\": publisher must be a string (the "
                                           "publisher id; \"\" when unasserted), not %s; the "
                                           "snap is skipped",
                                           name, mqfs_ykind_text(kind));
        kind = mqfs_ykind(yd, v[TYPE]);
        enum mqfs_snap_type type = MQFS_SNAP_APP;
        if (kind == MQFS_YSTRING) {
                size_t len;
                const char *text = mqfs_yscalar(v[TYPE], &len);
                for (type = 0; type < sizeof(snap_types) / sizeof(*snap_types); type++)
                        if (strlen(snap_types[type]) == len &&
                            memcmp(snap_types[type], text, len) == 0)
                                break;
        }
        if ((kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YSTRING) ||
            type >= sizeof(snap_types) / sizeof(*snap_types)) {
                char *text = shown_scalar(v[TYPE]);
                if (text == NULL)
                        return -ENOMEM;
                r = mqfs_loader_message(ld, sys_file, mqfs_yline(v[TYPE]),
                                        "snap \"%s\": unknown type \"%s\"; the snap is "
                                        "skipped: use app, gadget, core, os or snapd",
                                        name, text);
                free(text);
                return r;
        }
        kind = mqfs_ykind(yd, v[SLOTS_ALLOWED]);
        if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YBOOL)
                return mqfs_loader_message(ld, sys_file, mqfs_yline(v[SLOTS_ALLOWED]),
                                           "snap \"%s\": slots-allowed must be true or false, "
                                           "not %s; the snap is skipped",
                                           name, mqfs_ykind_text(kind));
        if ((v[SNAP_YAML] == NULL) == (v[INLINE] == NULL))
                return mqfs_loader_message(ld, sys_file, line,
                                           "snap \"%s\" needs exactly one of snap-yaml: (a "
                                           "path) and snap-yaml-inline: (a map); the snap is "
                                           "skipped",
                                           name);

        /* The entry is sound: read its snap.yaml. */
        if (v[SNAP_YAML] != NULL) {
                if (mqfs_ykind(yd, v[SNAP_YAML]) != MQFS_YSTRING ||
                    mqfs_ystrdup(yd, v[SNAP_YAML], &path) == -EINVAL)
                        return mqfs_loader_message(ld, sys_file, mqfs_yline(v[SNAP_YAML]),
                                                   "snap \"%s\": snap-yaml must be a path (a "
                                                   "string); the snap is skipped",
                                                   name);
                if (path == NULL)
                        return yd->exhausted ? -E2BIG : -ENOMEM;
                char *full = snap_yaml_path(st, path);
                free(path);
                /* Messages name the file escaped; the raw path is only opened. */
                char *shown_path = full ? shown(full) : NULL;
                if (shown_path == NULL || keep_file(st, shown_path) < 0) {
                        free(full);
                        free(shown_path);
                        return -ENOMEM;
                }
                l.file = shown_path;
                r = load_snap_yaml(full, shown_path, &l.snap.yaml, &error);
                free(full);
        } else {
                l.file = sys_file;
                r = mqfs_snap_yaml_from_ydoc(yd, v[INLINE], sys_file, &l.snap.yaml, &error);
        }
        if (r == -ENOMEM || yd->exhausted) {
                /* An exhausted budget refuses the whole file, not entry by entry. */
                free(error);
                return r == -ENOMEM ? r : -E2BIG;
        }
        if (r < 0) {
                r = mqfs_loader_message(ld, sys_file, line, "snap \"%s\" is skipped: %s", name,
                                        error ? error : strerror(-r));
                free(error);
                return r;
        }
        if (strlen(l.snap.yaml->name) != name_len ||
            memcmp(l.snap.yaml->name, name, name_len) != 0) {
                char *text = shown(l.snap.yaml->name);
                r = text ? mqfs_loader_message(ld, sys_file, line,
                                               "snap \"%s\": its snap.yaml (%s) is named "
                                               "\"%s\"; the snap is skipped: make the names "
                                               "equal",
                                               name, l.file, text)
                         : -ENOMEM;
                free(text);
                mqfs_snap_yaml_free(l.snap.yaml);
                return r;
        }
        l.snap.type = type;
        l.snap.slots_allowed = bool_value(v[SLOTS_ALLOWED]);
        l.snap.name = strndup(name, name_len);
        if (v[PUBLISHER] != NULL && mqfs_ykind(yd, v[PUBLISHER]) == MQFS_YSTRING) {
                r = mqfs_ystrdup(yd, v[PUBLISHER], &l.snap.publisher);
                if (r == -EINVAL) {
                        system_snap_clear(&l.snap);
                        return mqfs_loader_message(ld, sys_file, mqfs_yline(v[PUBLISHER]),
                                                   "snap \"%s\": the publisher holds a NUL "
                                                   "byte; the snap is skipped",
                                                   name);
                }
        } else {
                l.snap.publisher = strdup("");
        }
        if (l.snap.name == NULL || l.snap.publisher == NULL) {
                system_snap_clear(&l.snap);
                return yd->exhausted ? -E2BIG : -ENOMEM;
        }
        r = report_snap(st, &l);
        if (r == 0 && st->n == st->cap) {
                size_t cap = st->cap ? st->cap * 2 : 16;
                struct loaded *vv = reallocarray(st->v, cap, sizeof(*vv));
                if (vv == NULL)
                        r = -ENOMEM;
                else
                        st->v = vv, st->cap = cap;
        }
        if (r < 0) {
                system_snap_clear(&l.snap);
                return r;
        }
        st->v[st->n++] = l;
        return 0;
}

static int loaded_cmp(const void *pa, const void *pb)
{
        const struct loaded *a = pa, *b = pb;
        return strcmp(a->snap.name, b->snap.name);
}

static int load_snaps(struct snaps_state *st, const yaml_node_t *list)
{
        struct mqfs_loader *ld = st->ld;
        yaml_node_item_t *items;
        size_t n = mqfs_ylist(list, &items);
        if (!mqfs_ydoc_visit(ld->yd, n))
                return -E2BIG;
        int r = index_claims(st, items, n);
        for (size_t i = 0; r == 0 && i < n; i++) {
                yaml_node_t *entry = mqfs_ynode(ld->yd, items[i]);
                ld->key = mqfs_yline(entry);
                r = load_entry(st, entry, i);
        }
        if (r < 0)
                return r;
        /* Names are unique now: sort, and move into the system. */
        if (st->n > 1)
                qsort(st->v, st->n, sizeof(*st->v), loaded_cmp);
        struct mqfs_system *sys = ld->sys;
        sys->snaps = calloc(st->n ? st->n : 1, sizeof(*sys->snaps));
        ld->files = calloc(st->n ? st->n : 1, sizeof(*ld->files));
        ld->entry_lines = calloc(st->n ? st->n : 1, sizeof(*ld->entry_lines));
        if (sys->snaps == NULL || ld->files == NULL || ld->entry_lines == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < st->n; i++) {
                sys->snaps[i] = st->v[i].snap;
                ld->files[i] = st->v[i].file;
                ld->entry_lines[i] = st->v[i].line;
        }
        sys->nsnaps = st->n;
        st->n = 0;
        return 0;
}

/* ---- the whole file ---- */

void mqfs_system_free(struct mqfs_system *sys)
{
        if (sys == NULL)
                return;
        for (size_t i = 0; i < sys->nsnaps; i++)
                system_snap_clear(&sys->snaps[i]);
        free(sys->snaps);
        free(sys->conns);
        for (size_t i = 0; i < sys->nmessages; i++)
                free(sys->messages[i]);
        free(sys->messages);
        free(sys);
}

__attribute__((format(printf, 4, 5))) static int fail(char **error, const char *origin,
                                                      const yaml_node_t *node, const char *fmt, ...)
{
        if (error == NULL || *error != NULL)
                return -EINVAL;
        char *what = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(error, "%s:%zu: %s", origin, node ? mqfs_yline(node) : 1, what) < 0)
                *error = NULL;
        free(what);
        return -EINVAL;
}

static int load_root(struct mqfs_loader *ld, const char *base_dir, const yaml_node_t *root,
                     char **error)
{
        static const char *const keys[] = {"snaps", "connections", "disconnected"};
        struct mqfs_ydoc *yd = ld->yd;
        yaml_node_t *v[3];
        int r = 0;

        enum mqfs_ykind kind = mqfs_ykind(yd, root);
        if (kind != MQFS_YMAP)
                return fail(error, ld->origin, root,
                            "the system state must be a map with snaps:, connections: and "
                            "disconnected:, not %s; check that this is the right file",
                            mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(yd, root, keys, 3, v))
                return -E2BIG;
        /* A section of the wrong shape would drop every snap or connection at once:
         * refuse the file rather than apply that. */
        for (size_t i = 0; i < 3; i++) {
                kind = mqfs_ykind(yd, v[i]);
                if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YLIST)
                        return fail(error, ld->origin, v[i],
                                    "%s: must be a list, not %s; the state is not loaded", keys[i],
                                    mqfs_ykind_text(kind));
        }
        yaml_node_pair_t *pairs;
        size_t n = mqfs_ymap(root, &pairs);
        for (size_t i = 0; r == 0 && i < n; i++) {
                yaml_node_t *key = mqfs_ynode(yd, pairs[i].key);
                if (mqfs_yis(yd, key, keys[0]) || mqfs_yis(yd, key, keys[1]) ||
                    mqfs_yis(yd, key, keys[2]))
                        continue;
                char *text = shown_scalar(key);
                ld->key = mqfs_yline(key);
                r = text ? mqfs_loader_message(ld, ld->origin, mqfs_yline(key),
                                               "unknown key \"%s\" ignored; the system state "
                                               "has snaps, connections and disconnected",
                                               text)
                         : -ENOMEM;
                free(text);
        }

        struct snaps_state st = {.ld = ld, .base_dir = base_dir};
        if (r == 0)
                r = load_snaps(&st, v[0]);
        if (r == 0)
                r = mqfs_resolve_read_list(ld, v[1], true);
        if (r == 0)
                r = mqfs_resolve_read_list(ld, v[2], false);
        if (r == 0)
                r = mqfs_resolve(ld);
        if (r == 0)
                r = sort_messages(ld);
        for (size_t i = 0; i < st.n; i++)
                system_snap_clear(&st.v[i].snap);
        free(st.v);
        for (size_t i = 0; i < st.nfiles; i++)
                free(st.files[i]);
        free(st.files);
        free(st.dup_of);
        if (r == -E2BIG)
                return fail(error, ld->origin, root,
                            "the file reuses anchors (aliases) so often that reading it would "
                            "take too much memory; write the values out");
        return r;
}

int mqfs_system_load_buffer(const char *buf, size_t len, const char *base_dir, const char *origin,
                            struct mqfs_system **out, char **error)
{
        struct mqfs_ydoc yd;
        struct mqfs_loader ld = {.origin = origin ? origin : "system.yaml", .yd = &yd};

        if (error)
                *error = NULL;
        int r = mqfs_ydoc_load(&yd, buf, len, ld.origin, error);
        if (r < 0)
                return r;
        ld.sys = calloc(1, sizeof(*ld.sys));
        if (ld.sys == NULL)
                r = -ENOMEM;
        else
                r = load_root(&ld, base_dir, yaml_document_get_root_node(yd.doc), error);
        mqfs_ydoc_release(&yd);
        free(ld.files);
        free(ld.entry_lines);
        free(ld.keys);
        free(ld.conns);
        free(ld.disconnected);
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
        char *origin = shown(path);
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
                r = mqfs_system_load_buffer(buf, len, dir, origin, out, error);
        free(origin);
        free(dir);
        free(buf);
        return r;
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
