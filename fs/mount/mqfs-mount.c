/* mqfs-mount — attach and detach the snaps' mqfs views inside their mount namespaces
 * (docs/design.md, "The mount helper"; mqfs-mount(8)). Exit status (cli.h): 0 done,
 * 1 failed, 2 bad usage. */
#include "attach.h"
#include "errors.h"
#include "follow.h"
#include "record.h"
#include "snapname.h"

#include "cli.h"
#include "escape.h"

#include <json.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG         "mqfs-mount"
#define DEFAULT_ROOT "/run/mqfs"
#define SNAPD_NS_DIR "/run/snapd/ns"

enum { EXIT_FAIL = MQFS_EXIT_PROBLEMS, EXIT_USAGE = MQFS_EXIT_USAGE };

static const char usage_text[] =
    "Usage: " PROG " COMMAND [OPTIONS] [SNAP]\n"
    "\n"
    "Puts each snap's mqfs view over " MQFS_TARGET " inside the snap's mount namespace.\n"
    "\n"
    "Commands:\n"
    "  attach SNAP [--ns FILE | --pid PID] [--root MOUNTPOINT]\n"
    "                      bind-mounts the snap's view MOUNTPOINT/SNAP over " MQFS_TARGET "\n"
    "                      inside the snap's mount namespace\n"
    "  detach SNAP [--ns FILE | --pid PID]\n"
    "                      takes the view off " MQFS_TARGET " there again\n"
    "  list [--json]       every attached view: snap, namespace, target, and whether it\n"
    "                      answers\n"
    "  repair              re-attaches every view whose daemon has restarted (ENOTCONN)\n"
    "  follow [--root MOUNTPOINT] [--ns-dir DIR]\n"
    "                      keeps running: attaches each snap's view as snapd creates (or\n"
    "                      rebuilds) its namespace DIR/SNAP.mnt, forgets it when it goes\n"
    "                      (mqfs-follow.service)\n"
    "\n"
    "Options:\n"
    "  --ns FILE           the snap's mount namespace, an nsfs file (default\n"
    "                      " SNAPD_NS_DIR "/SNAP.mnt)\n"
    "  --pid PID           the mount namespace of PID, a process of the snap\n"
    "  --root MOUNTPOINT   where mqfsd mounts its filesystem (default " DEFAULT_ROOT ")\n"
    "  --ns-dir DIR        with follow: snapd's namespace directory (default " SNAPD_NS_DIR ")\n"
    "  --json              with list: the answer as JSON\n"
    "  -h, --help          show this help\n"
    "  --version           show the version\n"
    "\n"
    "Attaches are remembered in " MQFS_RECORD_DIR "/SNAP for list and repair. Runs as root.\n"
    "\n" MQFS_CLI_EXIT_TEXT;

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
        va_list ap;
        fputs(PROG ": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAIL;
}

#define usage_error(...) mqfs_cli_usage_error(PROG, __VA_ARGS__)

struct options {
        const char *command;
        const char *snap;
        const char *ns_file;
        const char *pid;
        const char *root;
        const char *ns_dir;
        bool json;
        long pid_num;
        char pid_ns[64]; /* /proc/PID/ns/mnt */
};

static int parse_pid(const char *s, long *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT_MAX)
                return -EINVAL;
        *out = v;
        return 0;
}

/* A value given to an option that takes one; usage error when given twice. */
static int set_once(const char **slot, const char *name)
{
        if (*slot != NULL)
                return usage_error("%s given twice", name);
        *slot = optarg;
        return 0;
}

/* Parses argv into o; returns 0, or the exit status for bad usage (after saying why).
 * -1 when --help was asked, -2 when --version was. */
static int parse_args(int argc, char **argv, struct options *o)
{
        enum { OPT_NS = 256, OPT_PID, OPT_ROOT, OPT_JSON, OPT_VERSION, OPT_NS_DIR };
        static const struct option longopts[] = {
            {"ns", required_argument, NULL, OPT_NS},
            {"pid", required_argument, NULL, OPT_PID},
            {"root", required_argument, NULL, OPT_ROOT},
            {"ns-dir", required_argument, NULL, OPT_NS_DIR},
            {"json", no_argument, NULL, OPT_JSON},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, OPT_VERSION},
            {NULL, 0, NULL, 0},
        };
        int first = mqfs_cli_command(PROG, argc, argv, "attach, detach, list, repair or follow");
        if (first != 0)
                return first;
        o->command = argv[1];
        bool takes_snap = strcmp(o->command, "attach") == 0 || strcmp(o->command, "detach") == 0;
        if (!takes_snap && strcmp(o->command, "list") != 0 && strcmp(o->command, "repair") != 0 &&
            strcmp(o->command, "follow") != 0) {
                char *shown = mqfs_escape(o->command, strlen(o->command));
                int rc = usage_error(
                    "unknown command \"%s\": use attach, detach, list, repair or follow",
                    shown ? shown : "?");
                free(shown);
                return rc;
        }
        /* getopt sees "COMMAND OPTIONS... ARGS...", the command standing in for argv[0]. */
        int c, rc = 0;
        opterr = 0;
        optind = 1;
        while (rc == 0 && (c = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_NS:
                        rc = set_once(&o->ns_file, "--ns");
                        break;
                case OPT_PID:
                        rc = set_once(&o->pid, "--pid");
                        break;
                case OPT_ROOT:
                        rc = set_once(&o->root, "--root");
                        break;
                case OPT_NS_DIR:
                        rc = set_once(&o->ns_dir, "--ns-dir");
                        break;
                case OPT_JSON:
                        o->json = true;
                        break;
                case 'h':
                        return -1;
                case OPT_VERSION:
                        return -2;
                default:
                        return mqfs_cli_bad_option(PROG, c, argv + 1, optind, optopt);
                }
        }
        if (rc != 0)
                return rc;
        if ((o->ns_file || o->pid) && !takes_snap)
                return usage_error("--ns and --pid go with attach and detach");
        if (o->root && strcmp(o->command, "attach") != 0 && strcmp(o->command, "follow") != 0)
                return usage_error("--root goes with attach and follow");
        if (o->ns_dir && strcmp(o->command, "follow") != 0)
                return usage_error("--ns-dir goes with follow");
        if (o->json && strcmp(o->command, "list") != 0)
                return usage_error("--json goes with list");
        for (int i = optind + 1; i < argc; i++) {
                if (!takes_snap || o->snap != NULL) {
                        char *shown = mqfs_escape(argv[i], strlen(argv[i]));
                        rc = usage_error("unexpected argument \"%s\"", shown ? shown : "?");
                        free(shown);
                        return rc;
                }
                o->snap = argv[i];
        }
        if (takes_snap && o->snap == NULL)
                return usage_error("%s needs a SNAP name", o->command);
        if (o->ns_file != NULL && o->pid != NULL)
                return usage_error("--ns and --pid name the namespace twice: give one");
        if (o->pid != NULL) {
                if (parse_pid(o->pid, &o->pid_num) < 0)
                        return usage_error("--pid needs a process id (a positive number), not "
                                           "\"%s\"",
                                           o->pid);
                snprintf(o->pid_ns, sizeof(o->pid_ns), "/proc/%ld/ns/mnt", o->pid_num);
        }
        if (o->snap != NULL) {
                const char *problem = mqfs_snap_name_problem(o->snap);
                if (problem != NULL) {
                        char *shown = mqfs_escape(o->snap, strlen(o->snap));
                        int rc = usage_error("invalid snap name \"%s\": %s", shown ? shown : "?",
                                             problem);
                        free(shown);
                        return rc;
                }
        }
        if (o->root == NULL)
                o->root = DEFAULT_ROOT;
        return 0;
}

/* The namespace file an attach or detach means; path has room for PATH_MAX. */
static const char *ns_path_of(struct options *o, char *path, size_t size)
{
        if (o->ns_file != NULL)
                return o->ns_file;
        if (o->pid != NULL)
                return o->pid_ns;
        snprintf(path, size, SNAPD_NS_DIR "/%s.mnt", o->snap);
        return path;
}

/* A --pid that names no process gets its own message; the namespace file's would talk
 * about snapd. 0 or EXIT_FAIL (said). */
static int check_pid(const struct options *o, const char *verb)
{
        char dir[64];
        if (o->pid == NULL)
                return 0;
        snprintf(dir, sizeof(dir), "/proc/%ld", o->pid_num);
        if (access(dir, F_OK) == 0)
                return 0;
        return fail("cannot %s snap \"%s\": there is no process %ld: pass the pid of a running "
                    "process of the snap",
                    verb, o->snap, o->pid_num);
}

static const char *errno_name(int err)
{
        const char *name = mqfs_errname(err);
        return name != NULL ? name : "error";
}

/* ---- attach ---- */

static int cmd_attach(struct options *o)
{
        struct mqfs_host host = {.proc_fd = -1};
        struct mqfs_snap_ns ns = {.fd = -1};
        struct mqfs_view view = {.root_fd = -1, .fd = -1};
        struct mqfs_msg why = {{0}};
        enum mqfs_attach_outcome outcome;
        char default_ns[PATH_MAX], *root_abs = NULL;
        int records = -1, status = EXIT_FAIL, rc;
        const char *ns_path = ns_path_of(o, default_ns, sizeof(default_ns));

        if (strchr(ns_path, '\n') != NULL || strchr(o->root, '\n') != NULL)
                return usage_error("paths with a newline are not accepted");
        if (check_pid(o, "attach") != 0)
                return EXIT_FAIL;
        if (mqfs_host_open(&host, &why) < 0)
                return fail("%s", why.text);
        if (mqfs_ns_open(&host, ns_path, &ns, &why) < 0 ||
            mqfs_view_open(&host, o->root, o->snap, &view, &why) < 0) {
                fail("cannot attach snap \"%s\": %s", o->snap, why.text);
                goto out;
        }
        /* Only now, with both ends known good, is there anything to record. */
        rc = mqfs_records_open(MQFS_RECORD_DIR, 1, &records);
        if (rc == 0)
                rc = mqfs_records_lock(records);
        if (rc < 0) {
                fail("cannot use the record directory " MQFS_RECORD_DIR ": %s%s", mqfs_errstr(-rc),
                     rc == -EPERM ? " (it must be a directory owned by root, not writable by "
                                    "others)"
                                  : "");
                goto out;
        }
        if (mqfs_attach(&host, &ns, &view, &outcome, &why) < 0) {
                fail("cannot attach snap \"%s\": %s", o->snap, why.text);
                goto out;
        }
        switch (outcome) {
        case MQFS_ATTACHED:
                printf("attached %s/%s at " MQFS_TARGET " in %s\n", o->root, o->snap, ns_path);
                break;
        case MQFS_ALREADY_ATTACHED:
                printf("already attached: %s/%s at " MQFS_TARGET " in %s; nothing changed\n",
                       o->root, o->snap, ns_path);
                break;
        case MQFS_REPLACED_BROKEN:
                printf("attached %s/%s at " MQFS_TARGET " in %s, replacing a view that no "
                       "longer answered\n",
                       o->root, o->snap, ns_path);
                break;
        }
        root_abs = realpath(o->root, NULL);
        struct mqfs_record rec = {.ns_path = (char *)ns_path,
                                  .root = root_abs ? root_abs : (char *)o->root,
                                  .ns_dev = ns.dev,
                                  .ns_ino = ns.ino};
        rc = mqfs_record_save(records, o->snap, &rec);
        if (rc < 0) {
                fail("attached, but cannot record it in " MQFS_RECORD_DIR "/%s: %s; list and "
                     "repair will not see this view unless it is in " SNAPD_NS_DIR,
                     o->snap, mqfs_errstr(-rc));
                goto out;
        }
        status = EXIT_SUCCESS;
out:
        free(root_abs);
        mqfs_view_close(&view);
        mqfs_ns_close(&ns);
        if (records >= 0)
                close(records);
        mqfs_host_close(&host);
        return status;
}

/* ---- detach ---- */

static int cmd_detach(struct options *o)
{
        struct mqfs_host host = {.proc_fd = -1};
        struct mqfs_snap_ns ns = {.fd = -1};
        struct mqfs_record rec = {0};
        struct mqfs_msg why = {{0}};
        enum mqfs_detach_outcome outcome;
        char default_ns[PATH_MAX];
        int records = -1, status = EXIT_FAIL, rc;
        const char *ns_path = ns_path_of(o, default_ns, sizeof(default_ns));

        if (check_pid(o, "detach") != 0)
                return EXIT_FAIL;
        if (mqfs_host_open(&host, &why) < 0)
                return fail("%s", why.text);
        rc = mqfs_records_open(MQFS_RECORD_DIR, 0, &records);
        if (rc == 0)
                rc = mqfs_records_lock(records);
        if (rc < 0 && rc != -ENOENT) {
                fail("cannot use the record directory " MQFS_RECORD_DIR ": %s", mqfs_errstr(-rc));
                goto out;
        }
        if (mqfs_ns_open(&host, ns_path, &ns, &why) < 0 ||
            mqfs_detach(&host, &ns, &outcome, &why) < 0) {
                fail("cannot detach snap \"%s\": %s", o->snap, why.text);
                goto out;
        }
        if (outcome == MQFS_DETACHED)
                printf("detached the view of snap \"%s\" from " MQFS_TARGET " in %s\n", o->snap,
                       ns_path);
        else
                printf("no attachment at " MQFS_TARGET " in %s; nothing changed\n", ns_path);
        /* Forget the record only when it is about this namespace. */
        if (records >= 0 && mqfs_record_load(records, o->snap, &rec) == 0 && rec.ns_dev == ns.dev &&
            rec.ns_ino == ns.ino) {
                rc = mqfs_record_drop(records, o->snap);
                if (rc < 0) {
                        fail("detached, but cannot remove " MQFS_RECORD_DIR "/%s: %s", o->snap,
                             mqfs_errstr(-rc));
                        goto out;
                }
        }
        status = EXIT_SUCCESS;
out:
        mqfs_record_clear(&rec);
        mqfs_ns_close(&ns);
        if (records >= 0)
                close(records);
        mqfs_host_close(&host);
        return status;
}

/* ---- list and repair: which namespaces may hold a view ---- */

struct candidate {
        char *snap;
        char *ns_path;
        char *root;
        bool stale; /* a record whose namespace is gone; ns is closed */
        struct mqfs_snap_ns ns;
};

struct candidates {
        struct candidate *v;
        size_t n, cap;
};

static void candidates_free(struct candidates *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->v[i].snap);
                free(c->v[i].ns_path);
                free(c->v[i].root);
                mqfs_ns_close(&c->v[i].ns);
        }
        free(c->v);
        *c = (struct candidates){0};
}

static bool candidates_have(const struct candidates *c, const char *snap,
                            const struct mqfs_snap_ns *ns)
{
        for (size_t i = 0; i < c->n; i++) {
                if (!c->v[i].stale && strcmp(c->v[i].snap, snap) == 0 &&
                    c->v[i].ns.dev == ns->dev && c->v[i].ns.ino == ns->ino)
                        return true;
        }
        return false;
}

/* Takes ownership of the strings and of ns (on failure too). */
static int candidates_add(struct candidates *c, char *snap, char *ns_path, char *root, bool stale,
                          struct mqfs_snap_ns *ns)
{
        if (snap == NULL || ns_path == NULL || root == NULL)
                goto nomem;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 16;
                struct candidate *v = reallocarray(c->v, cap, sizeof(*v));
                if (v == NULL)
                        goto nomem;
                c->v = v;
                c->cap = cap;
        }
        ns->path = ns_path;
        c->v[c->n++] = (struct candidate){
            .snap = snap, .ns_path = ns_path, .root = root, .stale = stale, .ns = *ns};
        return 0;
nomem:
        free(snap);
        free(ns_path);
        free(root);
        mqfs_ns_close(ns);
        return -ENOMEM;
}

static int add_recorded(const struct mqfs_host *host, int records, struct candidates *c)
{
        char **snaps = NULL;
        size_t nsnaps = 0;
        int rc = mqfs_record_snaps(records, &snaps, &nsnaps);
        if (rc < 0) {
                fail("cannot read " MQFS_RECORD_DIR ": %s", mqfs_errstr(-rc));
                return rc;
        }
        for (size_t i = 0; i < nsnaps && rc == 0; i++) {
                struct mqfs_record rec = {0};
                struct mqfs_snap_ns ns = {.fd = -1};
                struct mqfs_msg why;
                bool stale = false;
                if (mqfs_record_load(records, snaps[i], &rec) < 0) {
                        fail("note: ignoring the unreadable record " MQFS_RECORD_DIR "/%s",
                             snaps[i]);
                        continue;
                }
                if (mqfs_ns_open(host, rec.ns_path, &ns, &why) < 0 || ns.dev != rec.ns_dev ||
                    ns.ino != rec.ns_ino) {
                        mqfs_ns_close(&ns);
                        stale = true;
                }
                rc = candidates_add(c, strdup(snaps[i]), rec.ns_path, rec.root, stale, &ns);
                rec.ns_path = rec.root = NULL; /* moved */
                mqfs_record_clear(&rec);
        }
        mqfs_names_free(snaps, nsnaps);
        return rc;
}

/* The namespaces snapd keeps, /run/snapd/ns/SNAP.mnt (per-user ones, SNAP.UID.mnt, do
 * not make a valid snap name and are skipped). */
static int add_snapd_namespaces(const struct mqfs_host *host, struct candidates *c)
{
        DIR *d = opendir(SNAPD_NS_DIR);
        int rc = 0;
        if (d == NULL)
                return errno == ENOENT ? 0 : -errno;
        for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
                char snap[MQFS_SNAP_NAME_MAX + 1], path[sizeof(SNAPD_NS_DIR) + NAME_MAX + 2];
                struct mqfs_snap_ns ns = {.fd = -1};
                struct mqfs_msg why;
                size_t len = strlen(e->d_name);
                if (len <= 4 || len - 4 > MQFS_SNAP_NAME_MAX ||
                    strcmp(e->d_name + len - 4, ".mnt") != 0)
                        continue;
                memcpy(snap, e->d_name, len - 4);
                snap[len - 4] = '\0';
                if (!mqfs_snap_name_valid(snap))
                        continue;
                snprintf(path, sizeof(path), SNAPD_NS_DIR "/%s", e->d_name);
                if (mqfs_ns_open(host, path, &ns, &why) < 0)
                        continue; /* no live namespace, so no view in it */
                if (candidates_have(c, snap, &ns)) {
                        mqfs_ns_close(&ns);
                        continue;
                }
                rc =
                    candidates_add(c, strdup(snap), strdup(path), strdup(DEFAULT_ROOT), false, &ns);
        }
        closedir(d);
        return rc;
}

static int cmp_candidate(const void *a, const void *b)
{
        const struct candidate *x = a, *y = b;
        int r = strcmp(x->snap, y->snap);
        return r != 0 ? r : strcmp(x->ns_path, y->ns_path);
}

/* What list and repair look at: the host, the record directory (-1 when there is none
 * yet) and every snap namespace found through it or snapd's, in order. */
struct survey {
        struct mqfs_host host;
        int records;
        struct candidates c;
};

static void survey_close(struct survey *s)
{
        candidates_free(&s->c);
        if (s->records >= 0)
                close(s->records);
        mqfs_host_close(&s->host);
}

/* 0, or EXIT_FAIL after saying why (nothing then needs closing). lock: hold the record
 * directory's lock (repair changes records). */
static int survey_open(struct survey *s, bool lock)
{
        struct mqfs_msg why = {{0}};

        *s = (struct survey){.host = {.proc_fd = -1}, .records = -1};
        if (mqfs_host_open(&s->host, &why) < 0)
                return fail("%s", why.text);
        int rc = mqfs_records_open(MQFS_RECORD_DIR, 0, &s->records);
        if (rc == 0 && lock)
                rc = mqfs_records_lock(s->records);
        if (rc < 0 && rc != -ENOENT) {
                fail("cannot use the record directory " MQFS_RECORD_DIR ": %s", mqfs_errstr(-rc));
                goto fail;
        }
        rc = s->records >= 0 ? add_recorded(&s->host, s->records, &s->c) : 0;
        if (rc == 0)
                rc = add_snapd_namespaces(&s->host, &s->c);
        if (rc < 0)
                goto fail;
        if (s->c.n > 1)
                qsort(s->c.v, s->c.n, sizeof(*s->c.v), cmp_candidate);
        return 0;
fail:
        survey_close(s);
        return EXIT_FAIL;
}

/* One attached view as list --json gives it: {"snap", "namespace", "target", "view"},
 * view being "answers" or the errno name a stat of it gets. Added to list; false when out
 * of memory. */
static bool json_add_view(json_object *list, const char *snap, const char *ns_path,
                          const char *view)
{
        json_object *o = json_object_new_object();
        if (!o || json_object_array_add(list, o) != 0) {
                json_object_put(o);
                return false;
        }
        const char *keys[] = {"snap", "namespace", "target", "view"};
        const char *values[] = {snap, ns_path, MQFS_TARGET, view};
        for (size_t i = 0; i < 4; i++) {
                json_object *v = json_object_new_string(values[i]);
                if (!v || json_object_object_add(o, keys[i], v) != 0) {
                        json_object_put(v);
                        return false;
                }
        }
        return true;
}

static int cmd_list(const struct options *o)
{
        struct survey s;
        struct mqfs_msg why = {{0}};
        int status = EXIT_SUCCESS;

        if (survey_open(&s, false) != 0)
                return EXIT_FAIL;
        json_object *doc = NULL, *list = NULL;
        if (o->json) {
                doc = json_object_new_object();
                list = json_object_new_array();
                if (!doc || !list || json_object_object_add(doc, "views", list) != 0) {
                        json_object_put(list);
                        json_object_put(doc);
                        survey_close(&s);
                        return fail("out of memory");
                }
        } else {
                printf("%-20s %-36s %-12s %s\n", "SNAP", "NAMESPACE", "TARGET", "VIEW");
        }
        for (size_t i = 0; i < s.c.n; i++) {
                struct candidate *k = &s.c.v[i];
                struct mqfs_probe probe;
                if (k->stale) {
                        fail("note: snap \"%s\" was attached in %s, which is gone; '" PROG
                             " repair' forgets it",
                             k->snap, k->ns_path);
                        continue;
                }
                if (mqfs_probe(&s.host, &k->ns, &probe, &why) < 0) {
                        fail("cannot look into %s for snap \"%s\": %s", k->ns_path, k->snap,
                             why.text);
                        status = EXIT_FAIL;
                        continue;
                }
                if (!probe.attached)
                        continue;
                const char *view = probe.view_errno == 0 ? "answers" : errno_name(probe.view_errno);
                if (!doc)
                        printf("%-20s %-36s %-12s %s\n", k->snap, k->ns_path, MQFS_TARGET, view);
                else if (!json_add_view(list, k->snap, k->ns_path, view))
                        status = fail("out of memory");
        }
        if (doc) {
                const char *text = json_object_to_json_string_ext(
                    doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                             JSON_C_TO_STRING_NOSLASHESCAPE);
                if (text)
                        puts(text);
                else
                        status = fail("out of memory");
                json_object_put(doc);
        }
        survey_close(&s);
        return status;
}

/* Re-attaches one view that no longer answers. */
static int repair_one(const struct mqfs_host *host, struct candidate *k)
{
        struct mqfs_view view = {.root_fd = -1, .fd = -1};
        struct mqfs_msg why = {{0}};
        enum mqfs_attach_outcome outcome;
        int rc = mqfs_view_open(host, k->root, k->snap, &view, &why);
        if (rc == 0)
                rc = mqfs_attach(host, &k->ns, &view, &outcome, &why);
        mqfs_view_close(&view);
        if (rc < 0)
                return fail("cannot repair snap \"%s\" in %s: %s", k->snap, k->ns_path, why.text);
        printf("repaired snap \"%s\": %s/%s at " MQFS_TARGET " in %s\n", k->snap, k->root, k->snap,
               k->ns_path);
        return 0;
}

static int cmd_repair(void)
{
        struct survey s;
        struct mqfs_msg why = {{0}};
        unsigned repaired = 0, failed = 0;

        if (survey_open(&s, true) != 0)
                return EXIT_FAIL;
        for (size_t i = 0; i < s.c.n; i++) {
                struct candidate *k = &s.c.v[i];
                struct mqfs_probe probe;
                if (k->stale) {
                        if (mqfs_record_drop(s.records, k->snap) == 0)
                                printf("forgot snap \"%s\": its namespace %s is gone\n", k->snap,
                                       k->ns_path);
                        continue;
                }
                if (mqfs_probe(&s.host, &k->ns, &probe, &why) < 0) {
                        fail("cannot look into %s for snap \"%s\": %s", k->ns_path, k->snap,
                             why.text);
                        failed++;
                        continue;
                }
                if (!probe.attached || probe.view_errno == 0)
                        continue;
                if (repair_one(&s.host, k) == 0)
                        repaired++;
                else
                        failed++;
        }
        if (repaired == 0 && failed == 0)
                printf("nothing to repair: every attached view answers\n");
        survey_close(&s);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAIL;
}

int main(int argc, char **argv)
{
        struct options o = {0};

        int rc = parse_args(argc, argv, &o);
        if (rc == -1)
                return mqfs_cli_help(usage_text);
        if (rc == -2)
                return mqfs_cli_version(PROG, NULL);
        if (rc != 0)
                return rc;
        if (geteuid() != 0)
                return fail("must run as root (it enters other mount namespaces and mounts)");
        if (strcmp(o.command, "attach") == 0)
                return cmd_attach(&o);
        if (strcmp(o.command, "detach") == 0)
                return cmd_detach(&o);
        if (strcmp(o.command, "list") == 0)
                return cmd_list(&o);
        if (strcmp(o.command, "follow") == 0)
                return mqfs_follow(o.root, o.ns_dir ? o.ns_dir : SNAPD_NS_DIR) == 0 ? EXIT_SUCCESS
                                                                                    : EXIT_FAIL;
        return cmd_repair();
}
