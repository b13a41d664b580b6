/* snapd.c — snapd's state.json, snap-declaration assertions and snap tree as a source of
 * installed snaps and posix-mq connections (see snapd.h). Read-only. */
#include "snapd.h"

#include "cleanup.h"
#include "escape.h"
#include "loader.h"
#include "qname.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* state.json keeps snapd's whole change history: tens of MiB are seen on old systems. */
enum { STATE_JSON_MAX_BYTES = 512 << 20 };
/* Task data nests a few levels below data.snaps; json-c's default is 32. */
enum { STATE_JSON_MAX_DEPTH = 128 };
/* A snap-declaration is a few KiB (its header rules). */
enum { ASSERTION_MAX_BYTES = 1 << 20 };

static const char STATE_JSON[] = "var/lib/snapd/state.json";
static const char DECLARATIONS[] = "var/lib/snapd/assertions/asserts-v0/snap-declaration/16";

static void put_json(struct json_object **o)
{
        if (*o != NULL)
                json_object_put(*o);
}

/* ---- names ---- */

bool mqfs_instance_name_valid(const char *name, size_t len)
{
        const char *us = memchr(name, '_', len);
        if (us == NULL)
                return mqfs_snap_name_valid(name, len);
        size_t key = len - (size_t)(us - name) - 1;
        if (key < 1 || key > 10 || !mqfs_snap_name_valid(name, (size_t)(us - name)))
                return false;
        for (const char *c = us + 1; c < name + len; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
                        return false;
        return true;
}

/* A store snap-id: letters and digits only, so it is one safe path component. */
static bool snap_id_valid(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                        return false;
        }
        return true;
}

/* ---- the snapd: key of system.yaml ---- */

static char *join(const char *root, const char *path)
{
        char *out = NULL;
        size_t n = strlen(root);
        while (path[0] == '/')
                path++;
        if (asprintf(&out, "%s%s%s", root, n && root[n - 1] == '/' ? "" : "/", path) < 0)
                return NULL;
        return out;
}

static bool is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int config_fail(struct mqfs_loader *ld, const struct mqfs_ynode *node, char **error,
                       const char *what)
{
        if (error != NULL && *error == NULL &&
            asprintf(error, "%s:%zu: snapd: %s; the state is not loaded", ld->origin,
                     mqfs_yline(node), what) < 0)
                *error = NULL;
        return -EINVAL;
}

int mqfs_snapd_config_read(struct mqfs_loader *ld, const struct mqfs_ynode *node,
                           const char *base_dir, struct mqfs_snapd_config *cfg, char **error)
{
        static const char *const keys[] = {"root", "snap-mount-dir"};
        const struct mqfs_ynode *v[2];
        MQFS_AUTOFREE char *root = NULL, *mount = NULL;

        memset(cfg, 0, sizeof(*cfg));
        if (mqfs_ykind(node) != MQFS_YMAP)
                return config_fail(ld, node, error,
                                   "must be a map with root: (where snapd's files are, "
                                   "usually /) and optionally snap-mount-dir:");
        if (!mqfs_ymap_get(ld->yd, node, keys, 2, v))
                return -E2BIG;
        if (mqfs_ykind(v[0]) != MQFS_YSTRING || mqfs_ystrdup(ld->yd, v[0], &root) == -EINVAL ||
            (root != NULL && root[0] == '\0'))
                return config_fail(ld, v[0] ? v[0] : node, error,
                                   "root: must be a path (usually /; a relative one is taken "
                                   "from system.yaml's directory)");
        if (root == NULL)
                return -ENOMEM;
        if (root[0] != '/') {
                char *full = NULL;
                if (asprintf(&full, "%s/%s", base_dir ? base_dir : ".", root) < 0)
                        return -ENOMEM;
                free(root);
                root = full;
        }
        enum mqfs_ykind kind = mqfs_ykind(v[1]);
        if (kind == MQFS_YSTRING) {
                if (mqfs_ystrdup(ld->yd, v[1], &mount) == -EINVAL)
                        return config_fail(ld, v[1], error, "snap-mount-dir: holds a NUL byte");
                if (mount == NULL)
                        return -ENOMEM;
        } else if (kind != MQFS_YABSENT && kind != MQFS_YNULL) {
                return config_fail(ld, v[1], error,
                                   "snap-mount-dir: must be a path under root: (snap, or "
                                   "var/lib/snapd/snap on Fedora-like systems)");
        }
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(node, &pairs);
        for (size_t i = 0; i < n; i++) {
                if (mqfs_yis(pairs[i].key, keys[0]) || mqfs_yis(pairs[i].key, keys[1]))
                        continue;
                MQFS_AUTOFREE char *text = mqfs_shown_scalar(pairs[i].key);
                if (text == NULL ||
                    mqfs_loader_message(ld, ld->origin, mqfs_yline(pairs[i].key),
                                        "snapd: unknown key \"%s\" ignored; snapd: has root "
                                        "and snap-mount-dir",
                                        text) < 0)
                        return -ENOMEM;
        }
        cfg->root = strdup(root);
        if (mount != NULL) {
                cfg->mount_dir = join(root, mount);
        } else {
                /* snapd's default, or where Fedora-like systems put it. */
                cfg->mount_dir = join(root, "snap");
                char *fedora = join(root, "var/lib/snapd/snap");
                if (cfg->mount_dir != NULL && fedora != NULL && !is_dir(cfg->mount_dir) &&
                    is_dir(fedora)) {
                        free(cfg->mount_dir);
                        cfg->mount_dir = fedora;
                        fedora = NULL;
                }
                free(fedora);
        }
        cfg->line = mqfs_yline(node);
        if (cfg->root == NULL || cfg->mount_dir == NULL) {
                mqfs_snapd_config_clear(cfg);
                return -ENOMEM;
        }
        return 0;
}

void mqfs_snapd_config_clear(struct mqfs_snapd_config *cfg)
{
        free(cfg->root);
        free(cfg->mount_dir);
        memset(cfg, 0, sizeof(*cfg));
}

/* ---- state.json ---- */

static bool all_space(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
                        return false;
        return true;
}

/* Parses the file with json-c's incremental tokener, a buffer at a time. 0, or -errno
 * with *why saying what is wrong (to free()). */
static int read_json(const char *path, struct json_object **out, char **why)
{
        enum { CHUNK = 1 << 16 };
        struct json_tokener *tok = NULL;
        struct json_object *obj = NULL;
        size_t total = 0;
        char *buf = NULL;
        int r = 0;

        *why = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                if (asprintf(why, "cannot read it: %s", strerror(-r)) < 0)
                        *why = NULL;
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
                *why = strdup("not a regular file");
                goto out;
        }
        tok = json_tokener_new_ex(STATE_JSON_MAX_DEPTH);
        buf = malloc(CHUNK);
        if (tok == NULL || buf == NULL) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, buf, CHUNK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        if (asprintf(why, "cannot read it: %s", strerror(-r)) < 0)
                                *why = NULL;
                        goto out;
                }
                if (n == 0)
                        break;
                total += (size_t)n;
                if (total > STATE_JSON_MAX_BYTES) {
                        r = -EFBIG;
                        if (asprintf(why, "larger than %d MiB; not snapd's state",
                                     STATE_JSON_MAX_BYTES >> 20) < 0)
                                *why = NULL;
                        goto out;
                }
                if (obj != NULL) {
                        if (!all_space(buf, (size_t)n))
                                goto trailing;
                        continue;
                }
                obj = json_tokener_parse_ex(tok, buf, (int)n);
                enum json_tokener_error jerr = json_tokener_get_error(tok);
                if (obj == NULL && jerr != json_tokener_continue) {
                        r = -EINVAL;
                        if (asprintf(why, "not JSON: %s at byte %zu", json_tokener_error_desc(jerr),
                                     total - (size_t)n + json_tokener_get_parse_end(tok)) < 0)
                                *why = NULL;
                        goto out;
                }
                if (obj != NULL) {
                        size_t used = json_tokener_get_parse_end(tok);
                        if (!all_space(buf + used, (size_t)n - used))
                                goto trailing;
                }
        }
        if (obj == NULL) {
                r = -EINVAL;
                if (asprintf(why,
                             total ? "truncated: the JSON ends early, after %zu bytes (a "
                                     "half-written file?)"
                                   : "empty (%zu bytes)",
                             total) < 0)
                        *why = NULL;
                goto out;
        }
        *out = obj;
        obj = NULL;
        goto out;
trailing:
        r = -EINVAL;
        *why = strdup("not JSON: more data after the end of the value");
out:
        if (fd >= 0)
                close(fd);
        if (obj != NULL)
                json_object_put(obj);
        if (tok != NULL)
                json_tokener_free(tok);
        free(buf);
        if (r < 0 && r != -ENOMEM && *why == NULL)
                return -ENOMEM;
        return r;
}

/* A member of an object, or NULL (also when o is not an object). */
static struct json_object *member(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;
        if (o == NULL || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static const char *string_member(struct json_object *o, const char *key)
{
        struct json_object *v = member(o, key);
        return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                     : NULL;
}

/* A snapd revision as text: "5" for a store revision, "x1" for a local one. snapd writes
 * it as a string; state files of old snapd versions hold a number. false when v is
 * neither (or out of range). */
static bool revision_text(struct json_object *v, char out[24])
{
        if (v == NULL)
                return false;
        if (json_object_is_type(v, json_type_int)) {
                int64_t n = json_object_get_int64(v);
                if (n == 0 || n > INT32_MAX || n < -(int64_t)INT32_MAX)
                        return false;
                snprintf(out, 24, n > 0 ? "%lld" : "x%lld", (long long)(n > 0 ? n : -n));
                return true;
        }
        if (!json_object_is_type(v, json_type_string))
                return false;
        const char *s = json_object_get_string(v);
        size_t len = strlen(s);
        if (len == 0 || len > 12)
                return false;
        for (size_t i = s[0] == 'x'; i < len; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        if (len == (s[0] == 'x'))
                return false;
        memcpy(out, s, len + 1);
        return true;
}

/* ---- snap-declaration assertions ---- */

/* What a declaration says: the publisher, and whether posix-mq slots are allowed. */
struct declaration {
        char *publisher;
        bool slots_allowed;
};

/* The value of a top-level header line "name: value" (NULL when absent), and the
 * indented block under "slots:". Assertion headers are "name: value" lines, with
 * lists and maps as indented lines below an empty value; they end at the first empty
 * line (then come the body and the signature). */
static int parse_declaration(char *text, const char *snap_id, struct declaration *d,
                             const char **why)
{
        const char *type = NULL, *id = NULL, *publisher = NULL;
        bool in_slots = false, in_posix_mq = false, allowed = false;

        for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
                next = strchr(line, '\n');
                if (next != NULL)
                        *next++ = '\0';
                if (*line == '\0')
                        break; /* the end of the headers */
                size_t indent = strspn(line, " ");
                char *colon = strchr(line, ':');
                if (indent == 0) {
                        in_slots = in_posix_mq = false;
                        if (colon == NULL)
                                continue;
                        *colon = '\0';
                        const char *value = colon + 1 + (colon[1] == ' ');
                        if (strcmp(line, "type") == 0)
                                type = value;
                        else if (strcmp(line, "snap-id") == 0)
                                id = value;
                        else if (strcmp(line, "publisher-id") == 0)
                                publisher = value;
                        else if (strcmp(line, "slots") == 0)
                                in_slots = *value == '\0';
                        continue;
                }
                if (!in_slots || colon == NULL)
                        continue;
                /* Under slots: an interface at indent 2, its rules at indent 4. */
                *colon = '\0';
                const char *value = colon + 1 + (colon[1] == ' ');
                if (indent == 2) {
                        in_posix_mq = strcmp(line + 2, "posix-mq") == 0;
                        /* "posix-mq: true" is the short form of allowing it all. */
                        if (in_posix_mq && strcmp(value, "true") == 0)
                                allowed = true;
                } else if (indent == 4 && in_posix_mq &&
                           strcmp(line + 4, "allow-installation") == 0) {
                        /* true, or constraints (a map or list below) that snapd
                         * checked when it installed the snap; false refuses. */
                        allowed = strcmp(value, "true") == 0 || *value == '\0';
                }
        }
        if (type == NULL || strcmp(type, "snap-declaration") != 0) {
                *why = "it is not a snap-declaration (no \"type: snap-declaration\" header)";
                return -EINVAL;
        }
        if (id == NULL || strcmp(id, snap_id) != 0) {
                *why = "its snap-id header is not the snap's";
                return -EINVAL;
        }
        if (publisher == NULL || *publisher == '\0') {
                *why = "it has no publisher-id header";
                return -EINVAL;
        }
        d->publisher = strdup(publisher);
        d->slots_allowed = allowed;
        return d->publisher ? 0 : -ENOMEM;
}

/* ---- the snaps of data.snaps ---- */

static const struct {
        const char *name;
        enum mqfs_snap_type type;
} snapd_types[] = {
    {"app", MQFS_SNAP_APP},  {"gadget", MQFS_SNAP_GADGET}, {"core", MQFS_SNAP_CORE},
    {"os", MQFS_SNAP_OS},    {"snapd", MQFS_SNAP_SNAPD},   {"kernel", MQFS_SNAP_APP},
    {"base", MQFS_SNAP_APP},
};

struct ctx {
        struct mqfs_snaps *st;
        struct mqfs_loader *ld;
        const struct mqfs_snapd_config *cfg;
        const char *file; /* state.json, escaped */
        size_t nsystem;   /* st->v[0, nsystem) came from system.yaml, sorted */
};

__attribute__((format(printf, 3, 4))) static int skip(struct ctx *c, const char *key,
                                                      const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = mqfs_loader_vmessage_key(c->ld, c->file, key, fmt, ap);
        va_end(ap);
        return r;
}

static int loaded_name_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_loaded_snap *)elem)->snap.name);
}

static int push_loaded(struct mqfs_snaps *st, struct mqfs_loaded_snap *l)
{
        if (st->n == st->cap) {
                size_t cap = st->cap ? st->cap * 2 : 16;
                struct mqfs_loaded_snap *v = reallocarray(st->v, cap, sizeof(*v));
                if (v == NULL)
                        return -ENOMEM;
                st->v = v;
                st->cap = cap;
        }
        st->v[st->n++] = *l;
        return 0;
}

/* The declaration of snap_id, or a message naming the file. 1 when skipped. */
static int read_declaration(struct ctx *c, const char *key, const char *snap_id,
                            struct declaration *d)
{
        MQFS_AUTOFREE char *path = NULL, *shown = NULL, *text = NULL, *error = NULL;
        size_t len;
        const char *why = NULL;

        if (asprintf(&path, "%s/%s/%s/active", c->cfg->root, DECLARATIONS, snap_id) < 0)
                return -ENOMEM;
        /* The root directory is stripped of its trailing slash by join's rule. */
        char *p = path;
        while (p[0] == '/' && p[1] == '/')
                p++;
        shown = mqfs_escape(p, strlen(p));
        if (shown == NULL)
                return -ENOMEM;
        int r = mqfs_read_file(p, ASSERTION_MAX_BYTES, &text, &len, &error);
        if (r == -ENOMEM)
                return r;
        if (r == 0 && memchr(text, '\0', len) != NULL) {
                why = "it holds a NUL byte";
                r = -EINVAL;
        }
        if (r == 0)
                r = parse_declaration(text, snap_id, d, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = skip(c, key,
                         "the snap-declaration of snap-id %s (%s) cannot be used: %s; the snap "
                         "is skipped (its publisher is unknown)",
                         snap_id, shown,
                         why     ? why
                         : error ? error
                                 : strerror(-r));
                return r < 0 ? r : 1;
        }
        return 0;
}

/* MOUNT_DIR/INSTANCE/current/meta/snap.yaml, opened without following a symlink below
 * current. A descriptor, or -errno (-ELOOP for a symlink). */
static int open_beneath(const char *mount_dir, const char *instance)
{
        MQFS_AUTOFREE char *dir = NULL;
        if (asprintf(&dir, "%s/%s/current", mount_dir, instance) < 0)
                return -ENOMEM;
        int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        struct open_how how = {
            .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dfd, "meta/snap.yaml", &how, sizeof(how));
        int err = fd < 0 ? -errno : 0;
        close(dfd);
        return fd < 0 ? err : (int)fd;
}

/* snap.yaml of the instance's current revision; 1 when skipped with a message. */
static int read_snap_yaml(struct ctx *c, const char *key, const char *instance,
                          const char *snap_name, struct mqfs_loaded_snap *l)
{
        MQFS_AUTOFREE char *path = NULL, *error = NULL;
        if (asprintf(&path, "%s/%s/current/meta/snap.yaml", c->cfg->mount_dir, instance) < 0)
                return -ENOMEM;
        char *shown = mqfs_escape(path, strlen(path));
        if (shown == NULL || mqfs_snaps_keep_file(c->st, shown) < 0) {
                free(shown);
                return -ENOMEM;
        }
        l->file = shown;
        /* meta/ and snap.yaml are the snap's own (its squashfs): a symlink there could
         * point at any file of the host, which root must not read on the snap's behalf.
         * Only "current", snapd's link to the revision, is followed. */
        int r = open_beneath(c->cfg->mount_dir, instance);
        if (r >= 0) {
                char proc[32];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r);
                int fd = r;
                r = mqfs_read_snap_yaml(proc, shown, &l->snap.yaml, &error);
                close(fd);
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = skip(c, key, "snap \"%s\": its snap.yaml %s %s: %s; the snap is skipped",
                         instance, shown, r == -ENOENT ? "is missing" : "cannot be used",
                         error         ? error
                         : r == -ELOOP ? "a symbolic link in meta/ (not followed)"
                                       : strerror(-r));
                return r < 0 ? r : 1;
        }
        if (strcmp(l->snap.yaml->name, snap_name) != 0) {
                MQFS_AUTOFREE char *text =
                    mqfs_escape(l->snap.yaml->name, strlen(l->snap.yaml->name));
                r = text ? skip(c, key,
                                "snap \"%s\": its snap.yaml (%s) is named \"%s\", not \"%s\"; "
                                "the snap is skipped",
                                instance, shown, text, snap_name)
                         : -ENOMEM;
                mqfs_snap_yaml_free(l->snap.yaml);
                l->snap.yaml = NULL;
                return r < 0 ? r : 1;
        }
        return 0;
}

/* One entry of data.snaps. 0 when loaded or skipped with a message; -ENOMEM. */
static int load_snap(struct ctx *c, const char *instance, struct json_object *snapst)
{
        MQFS_AUTOFREE char *key = NULL, *shown_name = mqfs_escape(instance, strlen(instance));
        struct declaration d = {0};
        struct mqfs_loaded_snap l = {.line = c->cfg->line};
        char current[24], rev[24];
        int r;

        if (shown_name == NULL || asprintf(&key, "data.snaps[\"%s\"]", shown_name) < 0)
                return -ENOMEM;
        if (!mqfs_instance_name_valid(instance, strlen(instance)))
                return skip(c, key, "not a valid snap instance name; the entry is skipped");
        /* A new revision flips its "current" symlink (snapd replaces it by rename). */
        MQFS_AUTOFREE char *current_link = NULL;
        if (asprintf(&current_link, "%s/%s/current", c->cfg->mount_dir, instance) < 0 ||
            mqfs_system_add_source(c->ld->sys, current_link, false, true) < 0)
                return -ENOMEM;
        if (!json_object_is_type(snapst, json_type_object))
                return skip(c, key, "not an object; the entry is skipped");
        struct json_object *seq = member(snapst, "sequence");
        if (seq == NULL || !json_object_is_type(seq, json_type_array) ||
            json_object_array_length(seq) == 0)
                return skip(c, key,
                            "no \"sequence\" of revisions; the entry is skipped (snapd's own "
                            "state has one for every installed snap)");
        /* Old snapd versions had no "current": the last revision was the current one. */
        struct json_object *cur = member(snapst, "current");
        size_t nseq = json_object_array_length(seq);
        struct json_object *si = NULL;
        if (cur == NULL) {
                si = json_object_array_get_idx(seq, nseq - 1);
        } else {
                if (!revision_text(cur, current))
                        return skip(c, key, "\"current\" is not a revision; the entry is skipped");
                for (size_t i = nseq; si == NULL && i-- > 0;) {
                        struct json_object *e = json_object_array_get_idx(seq, i);
                        if (revision_text(member(e, "revision"), rev) && strcmp(rev, current) == 0)
                                si = e;
                }
                if (si == NULL)
                        return skip(c, key,
                                    "current revision %s is not in its \"sequence\"; the entry is "
                                    "skipped",
                                    current);
        }
        const char *snap_name = string_member(si, "name");
        const char *snap_id = string_member(si, "snap-id");
        const char *ikey = string_member(snapst, "instance-key");
        if (!json_object_is_type(si, json_type_object) || snap_name == NULL)
                return skip(c, key, "the current revision has no \"name\"; the entry is skipped");
        /* The instance name is the snap's name, and "_KEY" for a parallel instance. */
        size_t nlen = strlen(snap_name);
        bool named = strncmp(instance, snap_name, nlen) == 0 &&
                     (ikey == NULL || ikey[0] == '\0'
                          ? instance[nlen] == '\0'
                          : instance[nlen] == '_' && strcmp(instance + nlen + 1, ikey) == 0);
        if (!named)
                return skip(c, key,
                            "the instance name is not the snap's name \"%s\" with its "
                            "instance-key; the entry is skipped",
                            snap_name);
        if (snap_id == NULL)
                snap_id = ""; /* a local revision without one: unasserted */
        if (snap_id[0] != '\0' && !snap_id_valid(snap_id))
                return skip(c, key, "the snap-id is not letters and digits; the entry is skipped");
        const char *type = string_member(snapst, "type");
        l.snap.type = MQFS_SNAP_APP;
        if (member(snapst, "type") != NULL) {
                size_t t = 0;
                while (t < sizeof(snapd_types) / sizeof(*snapd_types) &&
                       (type == NULL || strcmp(type, snapd_types[t].name) != 0))
                        t++;
                if (t == sizeof(snapd_types) / sizeof(*snapd_types))
                        return skip(c, key, "unknown \"type\"; the entry is skipped");
                l.snap.type = snapd_types[t].type;
        }
        /* system.yaml's entry of the same name wins. */
        if (c->nsystem > 0 &&
            bsearch(instance, c->st->v, c->nsystem, sizeof(*c->st->v), loaded_name_cmp) != NULL)
                return 0;

        if (snap_id[0] != '\0') {
                r = read_declaration(c, key, snap_id, &d);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        r = read_snap_yaml(c, key, instance, snap_name, &l);
        if (r != 0) {
                free(d.publisher);
                return r < 0 ? r : 0;
        }
        l.snap.name = strdup(instance);
        l.snap.publisher = d.publisher ? d.publisher : strdup("");
        l.snap.slots_allowed = d.slots_allowed;
        if (l.snap.name == NULL || l.snap.publisher == NULL)
                r = -ENOMEM;
        if (r == 0)
                r = mqfs_snaps_report(c->st, &l,
                                      "its snap-declaration does not allow posix-mq slots");
        if (r == 0)
                r = push_loaded(c->st, &l);
        if (r < 0)
                mqfs_system_snap_clear(&l.snap);
        return r;
}

/* ---- the posix-mq entries of data.conns ---- */

/* "plugsnap:plug slotsnap:slot", as snapd's ParseConnRef splits it. */
static bool split_ref(const char *text, size_t len, char **snap, char **name)
{
        const char *colon = memchr(text, ':', len);
        if (colon == NULL || colon == text || colon == text + len - 1 ||
            memchr(colon + 1, ':', len - (size_t)(colon + 1 - text)) != NULL)
                return false;
        if (!mqfs_instance_name_valid(text, (size_t)(colon - text)) ||
            !mqfs_plug_name_valid(colon + 1, len - (size_t)(colon + 1 - text)))
                return false;
        *snap = strndup(text, (size_t)(colon - text));
        *name = strndup(colon + 1, len - (size_t)(colon + 1 - text));
        return true;
}

static bool bool_member(struct json_object *o, const char *name, bool *out, bool *bad)
{
        struct json_object *v = member(o, name);
        *out = false;
        if (v == NULL)
                return true;
        if (!json_object_is_type(v, json_type_boolean)) {
                *bad = true;
                return false;
        }
        *out = json_object_get_boolean(v);
        return true;
}

/* snapd's slot-static attributes as a snap.yaml slot, validated by SPEC §2.2 like any
 * other (JSON is YAML's flow style). NULL in *out when the entry has none. 1 when the
 * attributes are bad (reported). */
static int read_slot_static(struct ctx *c, const char *key, struct json_object *attrs,
                            const char *slot_snap, const char *slot, struct mqfs_snap_yaml **out)
{
        *out = NULL;
        if (attrs == NULL)
                return 0;
        if (!json_object_is_type(attrs, json_type_object)) {
                int r = skip(c, key, "\"slot-static\" is not an object; the connection is skipped");
                return r < 0 ? r : 1;
        }
        MQFS_AUTOFREE char *origin = NULL, *doc = NULL, *error = NULL;
        struct json_object *copy = NULL;
        if (json_object_deep_copy(attrs, &copy, NULL) < 0)
                return -ENOMEM;
        json_object_object_add(copy, "interface", json_object_new_string("posix-mq"));
        const char *flow = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_SPACED |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = flow && asprintf(&doc, "name: %.*s\nslots:\n  %s: %s\n",
                                 (int)strcspn(slot_snap, "_"), slot_snap, slot, flow) >= 0
                    ? 0
                    : -ENOMEM;
        json_object_put(copy);
        if (r == 0 && asprintf(&origin, "%s: %s.slot-static", c->file, key) < 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        struct mqfs_snap_yaml *yaml = NULL;
        r = mqfs_snap_yaml_parse(doc, strlen(doc), origin, &yaml, &error);
        if (r == -ENOMEM)
                return r;
        if (r == 0 && yaml->nslots == 1) {
                *out = yaml;
                return 0;
        }
        const char *reason = r < 0 ? error : yaml->nbad ? yaml->bad[0].reason : "no posix-mq slot";
        r = skip(c, key,
                 "\"slot-static\" is not a valid posix-mq slot (%s); the connection is "
                 "skipped",
                 reason ? reason : "not valid");
        mqfs_snap_yaml_free(yaml);
        return r < 0 ? r : 1;
}

static int load_conn(struct ctx *c, const char *id, struct json_object *cs)
{
        struct mqfs_loader *ld = c->ld;
        MQFS_AUTOFREE char *shown = mqfs_escape(id, strlen(id)), *key = NULL;
        struct mqfs_snapd_conn conn = {0};
        bool bad = false;
        int r;

        if (shown == NULL || asprintf(&key, "data.conns[\"%s\"]", shown) < 0)
                return -ENOMEM;
        if (!json_object_is_type(cs, json_type_object))
                return skip(c, key, "not an object; the entry is skipped");
        const char *iface = string_member(cs, "interface");
        if (iface == NULL || strcmp(iface, "posix-mq") != 0)
                return 0; /* another interface's business */
        const char *space = strchr(id, ' ');
        if (space == NULL || strchr(space + 1, ' ') != NULL ||
            !split_ref(id, (size_t)(space - id), &conn.plug_snap, &conn.plug) ||
            !split_ref(space + 1, strlen(space + 1), &conn.slot_snap, &conn.slot)) {
                r = skip(c, key,
                         "the key does not parse as \"PLUGSNAP:PLUG SLOTSNAP:SLOT\"; the "
                         "connection is skipped");
                goto out;
        }
        if (!conn.plug_snap || !conn.plug || !conn.slot_snap || !conn.slot) {
                r = -ENOMEM;
                goto out;
        }
        bool is_auto;
        bool_member(cs, "auto", &is_auto, &bad);
        bool_member(cs, "undesired", &conn.undesired, &bad);
        bool_member(cs, "by-gadget", &conn.by_gadget, &bad);
        struct json_object *ps = member(cs, "plug-static");
        if (bad || (ps != NULL && !json_object_is_type(ps, json_type_object))) {
                r = skip(c, key,
                         "auto, undesired and by-gadget must be true or false and plug-static "
                         "an object; the connection is skipped");
                goto out;
        }
        conn.manual = !is_auto;
        if (!conn.undesired) {
                r = read_slot_static(c, key, member(cs, "slot-static"), conn.slot_snap, conn.slot,
                                     &conn.slot_static);
                if (r != 0)
                        goto out;
        }
        conn.key = key;
        key = NULL;
        if (ld->nsnapd_conns == ld->cap_snapd_conns) {
                size_t cap = ld->cap_snapd_conns ? ld->cap_snapd_conns * 2 : 16;
                struct mqfs_snapd_conn *v = reallocarray(ld->snapd_conns, cap, sizeof(*v));
                if (v == NULL) {
                        r = -ENOMEM;
                        goto out;
                }
                ld->snapd_conns = v;
                ld->cap_snapd_conns = cap;
        }
        ld->snapd_conns[ld->nsnapd_conns++] = conn;
        return 0;
out:
        free(conn.plug_snap);
        free(conn.plug);
        free(conn.slot_snap);
        free(conn.slot);
        free(conn.key);
        mqfs_snap_yaml_free(conn.slot_static);
        return r < 0 ? r : 0;
}

static int loaded_cmp(const void *pa, const void *pb)
{
        const struct mqfs_loaded_snap *a = pa, *b = pb;
        return strcmp(a->snap.name, b->snap.name);
}

int mqfs_snapd_load(struct mqfs_snaps *st, const struct mqfs_snapd_config *cfg)
{
        struct mqfs_loader *ld = st->ld;
        MQFS_CLEANUP(put_json) struct json_object *root = NULL;
        MQFS_AUTOFREE char *path = join(cfg->root, STATE_JSON), *why = NULL;
        int r;

        ld->sys->has_snapd = true;
        ld->key = ld->snapd_line = cfg->line;
        if (path == NULL)
                return -ENOMEM;
        ld->snapd_file = mqfs_escape(path, strlen(path));
        if (ld->snapd_file == NULL)
                return -ENOMEM;
        /* A daemon watches state.json (replaced by rename) and the snap mount directory
         * (a new snap), whatever is found in them. */
        if (mqfs_system_add_source(ld->sys, path, false, false) < 0 ||
            mqfs_system_add_source(ld->sys, cfg->mount_dir, true, true) < 0)
                return -ENOMEM;
        struct ctx c = {st, ld, cfg, ld->snapd_file, st->n};
        if (st->n > 1)
                qsort(st->v, st->n, sizeof(*st->v), loaded_cmp);

        r = read_json(path, &root, &why);
        if (r == -ENOMEM)
                return r;
        struct json_object *data = member(root, "data");
        struct json_object *snaps = member(data, "snaps"), *conns = member(data, "conns");
        if (r == 0 && (!json_object_is_type(root, json_type_object) || data == NULL ||
                       !json_object_is_type(data, json_type_object) ||
                       (snaps != NULL && !json_object_is_type(snaps, json_type_object)) ||
                       (conns != NULL && !json_object_is_type(conns, json_type_object)))) {
                r = -EINVAL;
                why = strdup("unknown shape: snapd's state is an object whose \"data\" object "
                             "holds \"snaps\" and \"conns\" objects");
                if (why == NULL)
                        return -ENOMEM;
        }
        if (r < 0) {
                ld->sys->snapd_failed = true;
                return mqfs_loader_message(ld, ld->snapd_file, 0,
                                           "%s; no snap or connection is taken from snapd", why);
        }
        if (snaps != NULL) {
                json_object_object_foreach(snaps, name, value)
                {
                        r = load_snap(&c, name, value);
                        if (r < 0)
                                return r;
                }
        }
        if (conns != NULL) {
                json_object_object_foreach(conns, id, value)
                {
                        r = load_conn(&c, id, value);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- connections, once the snaps are loaded ---- */

void mqfs_snapd_conns_clear(struct mqfs_loader *ld)
{
        for (size_t i = 0; i < ld->nsnapd_conns; i++) {
                struct mqfs_snapd_conn *c = &ld->snapd_conns[i];
                free(c->plug_snap);
                free(c->plug);
                free(c->slot_snap);
                free(c->slot);
                free(c->key);
                mqfs_snap_yaml_free(c->slot_static);
        }
        free(ld->snapd_conns);
        ld->snapd_conns = NULL;
        ld->nsnapd_conns = ld->cap_snapd_conns = 0;
        free(ld->snapd_file);
        ld->snapd_file = NULL;
        free(ld->held);
        ld->held = NULL;
        ld->nheld = ld->cap_held = 0;
}

/* Gives the slot-static set to the system, which frees it. */
static int own(struct mqfs_system *sys, struct mqfs_snap_yaml **yaml)
{
        struct mqfs_snap_yaml **v = reallocarray(sys->owned, sys->nowned + 1, sizeof(*v));
        if (v == NULL)
                return -ENOMEM;
        sys->owned = v;
        v[sys->nowned++] = *yaml;
        *yaml = NULL;
        return 0;
}

int mqfs_snapd_resolve(struct mqfs_loader *ld)
{
        const struct mqfs_system *sys = ld->sys;
        int r = 0;
        for (size_t i = 0; r == 0 && i < ld->nsnapd_conns; i++) {
                struct mqfs_snapd_conn *c = &ld->snapd_conns[i];
                ld->key = ld->snapd_line;
                ssize_t ps = mqfs_find_snap(sys, c->plug_snap, strlen(c->plug_snap));
                ssize_t ss = mqfs_find_snap(sys, c->slot_snap, strlen(c->slot_snap));
                ssize_t p =
                    ps < 0 ? -1
                           : mqfs_find_end(sys->snaps[ps].yaml, false, c->plug, strlen(c->plug));
                ssize_t s =
                    ss < 0 ? -1
                           : mqfs_find_end(sys->snaps[ss].yaml, true, c->slot, strlen(c->slot));
                if (p < 0) {
                        /* Not a plug mqfs knows (a snap skipped above, or gone). */
                        if (!c->undesired)
                                r = mqfs_loader_message_key(
                                    ld, ld->snapd_file, c->key,
                                    "no loaded snap \"%s\" with a posix-mq plug \"%s\"; the "
                                    "connection is skipped",
                                    c->plug_snap, c->plug);
                        continue;
                }
                struct mqfs_conn_ref ref = {.plug_snap = (size_t)ps, .plug = (size_t)p};
                r = mqfs_push_ref(&ld->held, &ld->nheld, &ld->cap_held, &ref);
                if (r < 0 || c->undesired)
                        continue;
                if (s < 0) {
                        r = mqfs_loader_message_key(
                            ld, ld->snapd_file, c->key,
                            "no loaded snap \"%s\" with a usable posix-mq slot \"%s\" (see its "
                            "messages if it was refused); the connection is skipped",
                            c->slot_snap, c->slot);
                        continue;
                }
                ref.slot_snap = (size_t)ss;
                ref.slot = (size_t)s;
                ref.manual = c->manual;
                ref.by_gadget = c->by_gadget;
                ref.source = MQFS_CONN_SNAPD;
                if (c->slot_static != NULL) {
                        ref.slot_static = &c->slot_static->slots[0];
                        r = own(ld->sys, &c->slot_static);
                }
                if (r == 0)
                        r = mqfs_push_ref(&ld->conns, &ld->nconns, &ld->cap_conns, &ref);
        }
        if (r == 0 && ld->nheld > 1)
                qsort(ld->held, ld->nheld, sizeof(*ld->held), mqfs_ref_cmp);
        return r;
}
