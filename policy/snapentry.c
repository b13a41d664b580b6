/* snapentry.c — one entry of system.yaml's snaps: (SPEC §2.3): checks it, reads its
 * snap.yaml (by path or inline), refuses super-privileged slots, and reports every
 * skipped entry with FILE:LINE and what to do. */
#include "cleanup.h"
#include "escape.h"
#include "loader.h"

#include "posixmq.h"
#include "qname.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const snap_types[] = {
    [MQFS_SNAP_APP] = "app", [MQFS_SNAP_GADGET] = "gadget", [MQFS_SNAP_CORE] = "core",
    [MQFS_SNAP_OS] = "os",   [MQFS_SNAP_SNAPD] = "snapd",
};

/* A printable copy of untrusted text for a message (free() it). */
static char *shown(const char *s)
{
        return mqfs_escape(s, strlen(s));
}

struct claim {
        const char *name;
        size_t len, line, entry;
};

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
static int index_claims(struct mqfs_snaps *st, const struct mqfs_ynode *const *items, size_t n)
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
                const struct mqfs_ynode *entry = items[i], *name;
                if (!mqfs_ymap_get(yd, entry, keys, 1, &name)) {
                        free(claims);
                        return -E2BIG;
                }
                if (mqfs_ykind(name) != MQFS_YSTRING)
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

int mqfs_snaps_keep_file(struct mqfs_snaps *st, char *path)
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
static char *snap_yaml_path(const struct mqfs_snaps *st, const char *path)
{
        char *full = NULL;
        if (path[0] == '/')
                return strdup(path);
        if (asprintf(&full, "%s/%s", st->base_dir ? st->base_dir : ".", path) < 0)
                return NULL;
        return full;
}

/* The entry's snap.yaml at path: as read ahead (see read_ahead) when it was, else now. */
static int load_snap_yaml(struct mqfs_snaps *st, size_t index, const char *path,
                          const char *shown_path, struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_read_ahead *a = index < st->nahead ? &st->ahead[index] : NULL;
        if (a == NULL || a->path == NULL || strcmp(a->path, path) != 0)
                return mqfs_read_snap_yaml(path, shown_path, out, error);
        /* Taken once: the read-ahead gives up what it holds. */
        int r = a->result;
        *out = a->yaml;
        *error = a->error;
        a->yaml = NULL;
        a->error = NULL;
        free(a->path);
        a->path = NULL;
        return r;
}

int mqfs_snaps_report(struct mqfs_snaps *st, struct mqfs_loaded_snap *l, const char *hint)
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
                                        "%s",
                                        l->snap.name, yaml->slots[i].name, yaml->slots[i].name,
                                        hint);
        /* The slots' bytes stay in the snap_yaml's block until it is freed. */
        yaml->slots = NULL;
        yaml->nslots = 0;
        return r;
}

static bool bool_value(const struct mqfs_ynode *node)
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

/* The keys of a snaps: entry. */
static const char *const keys[] = {"name",          "publisher", "type",
                                   "slots-allowed", "snap-yaml", "snap-yaml-inline"};
enum { NAME, PUBLISHER, TYPE, SLOTS_ALLOWED, SNAP_YAML, INLINE, NKEYS };

/* A loaded snap's own blocks (name, publisher, snap.yaml) until it is moved into st->v. */
static void loaded_snap_clear(struct mqfs_loaded_snap *l)
{
        mqfs_system_snap_clear(&l->snap);
}

/* One entry of snaps:. 0 when loaded or skipped with a message; <0 for -ENOMEM/-E2BIG. */
static int load_entry(struct mqfs_snaps *st, const struct mqfs_ynode *entry, size_t index)
{
        struct mqfs_loader *ld = st->ld;
        struct mqfs_ydoc *yd = ld->yd;
        const char *sys_file = ld->origin;
        size_t line = mqfs_yline(entry);
        const struct mqfs_ynode *v[NKEYS];
        MQFS_CLEANUP(loaded_snap_clear) struct mqfs_loaded_snap l = {.line = line};
        MQFS_AUTOFREE char *error = NULL;
        int r = 0;

        enum mqfs_ykind kind = mqfs_ykind(entry);
        if (kind != MQFS_YMAP)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snaps entry %zu is %s, not a map; it is skipped: "
                                           "give it name: and snap-yaml: or snap-yaml-inline:",
                                           index + 1, mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(yd, entry, keys, NKEYS, v))
                return -E2BIG;

        /* Unknown keys are most likely typos of known ones: say so, but load. */
        const struct mqfs_ypair *pairs;
        size_t npairs = mqfs_ymap(entry, &pairs);
        for (size_t i = 0; i < npairs; i++) {
                const struct mqfs_ynode *key = pairs[i].key;
                bool known = false;
                for (size_t k = 0; k < NKEYS && !known; k++)
                        known = mqfs_yis(key, keys[k]);
                if (known)
                        continue;
                MQFS_AUTOFREE char *text = mqfs_shown_scalar(key);
                if (text == NULL)
                        return -ENOMEM;
                r = mqfs_loader_message(ld, sys_file, mqfs_yline(key),
                                        "unknown key \"%s\" ignored; the keys of a snap are "
                                        "name, publisher, type, slots-allowed, snap-yaml and "
                                        "snap-yaml-inline",
                                        text);
                if (r < 0)
                        return r;
        }

        size_t name_len;
        const char *name = mqfs_yscalar(v[NAME], &name_len);
        if (mqfs_ykind(v[NAME]) != MQFS_YSTRING)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snaps entry %zu has no name (a string); it is "
                                           "skipped: add name: SNAP",
                                           index + 1);
        if (!mqfs_snap_name_valid(name, name_len)) {
                MQFS_AUTOFREE char *text = mqfs_escape(name, name_len);
                if (text == NULL)
                        return -ENOMEM;
                return mqfs_loader_message(ld, sys_file, mqfs_yline(v[NAME]),
                                           "invalid snap name \"%s\"; the snap is skipped: a "
                                           "snap name has 1 to 40 characters a-z, 0-9 and '-', "
                                           "at least one letter, and no '-' at either end or "
                                           "twice in a row",
                                           text);
        }
        size_t first = st->dup_of[index];
        if (first != 0)
                return mqfs_loader_message(ld, sys_file, line,
                                           "snap \"%s\" is listed again (first at line %zu); "
                                           "this entry is skipped: remove one of them",
                                           name, first);

        kind = mqfs_ykind(v[PUBLISHER]);
        if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YSTRING)
                return mqfs_loader_message(ld, sys_file, mqfs_yline(v[PUBLISHER]),
                                           "snap \"%s\": publisher must be a string (the "
                                           "publisher id; \"\" when unasserted), not %s; the "
                                           "snap is skipped",
                                           name, mqfs_ykind_text(kind));
        kind = mqfs_ykind(v[TYPE]);
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
                MQFS_AUTOFREE char *text = mqfs_shown_scalar(v[TYPE]);
                if (text == NULL)
                        return -ENOMEM;
                return mqfs_loader_message(ld, sys_file, mqfs_yline(v[TYPE]),
                                           "snap \"%s\": unknown type \"%s\"; the snap is "
                                           "skipped: use app, gadget, core, os or snapd",
                                           name, text);
        }
        kind = mqfs_ykind(v[SLOTS_ALLOWED]);
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
                MQFS_AUTOFREE char *path = NULL;
                if (mqfs_ykind(v[SNAP_YAML]) != MQFS_YSTRING ||
                    mqfs_ystrdup(yd, v[SNAP_YAML], &path) == -EINVAL)
                        return mqfs_loader_message(ld, sys_file, mqfs_yline(v[SNAP_YAML]),
                                                   "snap \"%s\": snap-yaml must be a path (a "
                                                   "string); the snap is skipped",
                                                   name);
                if (path == NULL)
                        return yd->exhausted ? -E2BIG : -ENOMEM;
                MQFS_AUTOFREE char *full = snap_yaml_path(st, path);
                /* Messages name the file escaped; the raw path is only opened. */
                MQFS_AUTOFREE char *shown_path = full ? shown(full) : NULL;
                if (shown_path == NULL || mqfs_snaps_keep_file(st, shown_path) < 0)
                        return -ENOMEM;
                l.file = MQFS_MOVE_PTR(shown_path); /* st->files holds it now */
                r = load_snap_yaml(st, index, full, l.file, &l.snap.yaml, &error);
                /* Watched even when missing or broken: fixing it reloads. */
                if (r != -ENOMEM && mqfs_system_add_source(ld->sys, full, false, false) < 0)
                        r = -ENOMEM;
        } else {
                l.file = sys_file;
                r = mqfs_snap_yaml_from_ydoc(yd, v[INLINE], sys_file, &l.snap.yaml, &error);
        }
        /* An exhausted budget refuses the whole file, not entry by entry. */
        if (r == -ENOMEM || yd->exhausted)
                return r == -ENOMEM ? r : -E2BIG;
        if (r < 0)
                return mqfs_loader_message(ld, sys_file, line, "snap \"%s\" is skipped: %s", name,
                                           error ? error : strerror(-r));
        if (strlen(l.snap.yaml->name) != name_len ||
            memcmp(l.snap.yaml->name, name, name_len) != 0) {
                MQFS_AUTOFREE char *text = shown(l.snap.yaml->name);
                return text ? mqfs_loader_message(ld, sys_file, line,
                                                  "snap \"%s\": its snap.yaml (%s) is named "
                                                  "\"%s\"; the snap is skipped: make the "
                                                  "names equal",
                                                  name, l.file, text)
                            : -ENOMEM;
        }
        l.snap.type = type;
        l.snap.slots_allowed = bool_value(v[SLOTS_ALLOWED]);
        l.snap.name = strndup(name, name_len);
        if (v[PUBLISHER] != NULL && mqfs_ykind(v[PUBLISHER]) == MQFS_YSTRING) {
                if (mqfs_ystrdup(yd, v[PUBLISHER], &l.snap.publisher) == -EINVAL)
                        return mqfs_loader_message(ld, sys_file, mqfs_yline(v[PUBLISHER]),
                                                   "snap \"%s\": the publisher holds a NUL "
                                                   "byte; the snap is skipped",
                                                   name);
        } else {
                l.snap.publisher = strdup("");
        }
        if (l.snap.name == NULL || l.snap.publisher == NULL)
                return yd->exhausted ? -E2BIG : -ENOMEM;
        r = mqfs_snaps_report(st, &l, "the store must grant it (slots-allowed: true)");
        if (r < 0)
                return r;
        if (st->n == st->cap) {
                size_t cap = st->cap ? st->cap * 2 : 16;
                struct mqfs_loaded_snap *vv = reallocarray(st->v, cap, sizeof(*vv));
                if (vv == NULL)
                        return -ENOMEM;
                st->v = vv;
                st->cap = cap;
        }
        st->v[st->n++] = l;
        l.snap = (struct mqfs_system_snap){0}; /* moved into st->v */
        return 0;
}

/* The path load_entry will read the entry's snap.yaml from, by the same checks without
 * their messages and without charging the document's budget (entries of more keys
 * than a real one has are left to load_entry). NULL when it will read none, or on out
 * of memory: the entry is then read in its turn, if at all. */
static char *ahead_path(const struct mqfs_snaps *st, const struct mqfs_ynode *entry, size_t index)
{
        enum { MAX_PAIRS = 16 };
        struct mqfs_ydoc quiet = {.visits_left = MAX_PAIRS}; /* the only budget spent */
        const struct mqfs_ynode *v[NKEYS];
        size_t len;

        if (st->dup_of[index] != 0 || mqfs_ykind(entry) != MQFS_YMAP ||
            !mqfs_ymap_get(&quiet, entry, keys, NKEYS, v))
                return NULL;
        const char *text = mqfs_yscalar(v[NAME], &len);
        if (mqfs_ykind(v[NAME]) != MQFS_YSTRING || !mqfs_snap_name_valid(text, len))
                return NULL;
        enum mqfs_ykind kind = mqfs_ykind(v[PUBLISHER]);
        if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YSTRING)
                return NULL;
        kind = mqfs_ykind(v[TYPE]);
        if (kind == MQFS_YSTRING) {
                text = mqfs_yscalar(v[TYPE], &len);
                size_t type = 0;
                while (
                    type < sizeof(snap_types) / sizeof(*snap_types) &&
                    (strlen(snap_types[type]) != len || memcmp(snap_types[type], text, len) != 0))
                        type++;
                if (type == sizeof(snap_types) / sizeof(*snap_types))
                        return NULL;
        } else if (kind != MQFS_YABSENT && kind != MQFS_YNULL) {
                return NULL;
        }
        kind = mqfs_ykind(v[SLOTS_ALLOWED]);
        if (kind != MQFS_YABSENT && kind != MQFS_YNULL && kind != MQFS_YBOOL)
                return NULL;
        if (v[SNAP_YAML] == NULL || v[INLINE] != NULL || mqfs_ykind(v[SNAP_YAML]) != MQFS_YSTRING)
                return NULL;
        text = mqfs_yscalar(v[SNAP_YAML], &len);
        if (memchr(text, '\0', len) != NULL)
                return NULL;
        char *path = strndup(text, len);
        char *full = path ? snap_yaml_path(st, path) : NULL;
        free(path);
        return full;
}

/* Reads ahead the snap.yaml of every entry that load_entry will read (see readahead.c). */
static int read_ahead(struct mqfs_snaps *st, const struct mqfs_ynode *const *items, size_t n)
{
        st->ahead = calloc(n ? n : 1, sizeof(*st->ahead));
        if (st->ahead == NULL)
                return -ENOMEM;
        st->nahead = n;
        for (size_t i = 0; i < n; i++) {
                struct mqfs_read_ahead *a = &st->ahead[i];
                a->path = ahead_path(st, items[i], i);
                a->shown = a->path ? shown(a->path) : NULL;
                if (a->path != NULL && a->shown == NULL)
                        return -ENOMEM;
        }
        (void)mqfs_read_ahead_run(st->ahead, n);
        return 0;
}

static int loaded_cmp(const void *pa, const void *pb)
{
        const struct mqfs_loaded_snap *a = pa, *b = pb;
        return strcmp(a->snap.name, b->snap.name);
}

int mqfs_snaps_load(struct mqfs_snaps *st, const struct mqfs_ynode *list)
{
        struct mqfs_loader *ld = st->ld;
        const struct mqfs_ynode *const *items;
        size_t n = mqfs_ylist(list, &items);
        if (!mqfs_ydoc_visit(ld->yd, n))
                return -E2BIG;
        int r = index_claims(st, items, n);
        if (r == 0)
                r = read_ahead(st, items, n);
        for (size_t i = 0; r == 0 && i < n; i++) {
                const struct mqfs_ynode *entry = items[i];
                ld->key = mqfs_yline(entry);
                r = load_entry(st, entry, i);
        }
        if (r == 0 && st->snapd != NULL)
                r = mqfs_snapd_load(st, st->snapd);
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

void mqfs_snaps_clear(struct mqfs_snaps *st)
{
        for (size_t i = 0; i < st->n; i++)
                mqfs_system_snap_clear(&st->v[i].snap);
        free(st->v);
        for (size_t i = 0; i < st->nfiles; i++)
                free(st->files[i]);
        free(st->files);
        free(st->dup_of);
        mqfs_read_ahead_clear(st->ahead, st->nahead);
        free(st->ahead);
        memset(st, 0, sizeof(*st));
}
