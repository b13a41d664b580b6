/* mqfs-policy — checks snap.yaml files and system states, and prints what a system state
 * grants: its connections, each snap's queues, and the AppArmor and seccomp rules
 * (docs/design.md, "mqfs-policy"; mqfs-policy(1)).
 *
 * stdout carries only the answer (a table, JSON, rules, report lines), so that scripts
 * can use it as it is; everything else — usage errors, unreadable input, the loader's
 * warnings about skipped entries — goes to stderr as "mqfs-policy: ...". `check` is the
 * exception by design: its report lines are its answer, on stdout.
 * Exit status (cli.h): 0 done; 1 `check` found problems, or rules could not be
 * generated; 2 bad usage or unreadable input. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "aaload.h"
#include "aaparser.h"
#include "apparmor.h"
#include "cli.h"
#include "escape.h"
#include "grants.h"
#include "perm.h"
#include "qname.h"
#include "seccomp.h"
#include "snapyaml.h"
#include "system.h"

#define PROG "mqfs-policy"

enum { EXIT_BAD = MQFS_EXIT_PROBLEMS, EXIT_USAGE = MQFS_EXIT_USAGE };

static const char usage_text[] =
    "Usage: mqfs-policy COMMAND [OPTIONS] [ARGUMENTS]\n"
    "\n"
    "Checks snap.yaml files and system states (system.yaml), and prints what a system\n"
    "state grants: connections, queues, AppArmor and seccomp rules.\n"
    "\n"
    "Commands:\n"
    "  check SNAP.yaml...                 check the posix-mq plugs and slots of each file;\n"
    "                                     prints one report line per file with bad ones\n"
    "  check [--system FILE]              load the whole system state; prints each problem\n"
    "                                     (skipped or refused entry) once, FILE:LINE: ...\n"
    "  connections [--json] [SNAP]        the posix-mq connections, like `snap connections`\n"
    "                                     (only those of SNAP, plug or slot side, if given)\n"
    "  grants [--json] SNAP               the queues SNAP may use: \"/name open read ...\"\n"
    "  apparmor SNAP                      the AppArmor rules for SNAP (snippets)\n"
    "  apparmor --profile [--system FILE] [--only KINDS] [SNAP...]\n"
    "                                     whole profiles, ready for apparmor_parser: the\n"
    "                                     apps' (snap.SNAP.mqfs) and mount helper's\n"
    "                                     (snap-update-ns.SNAP) of each SNAP (default:\n"
    "                                     every installed snap), and the daemon's (mqfsd)\n"
    "  apparmor --profile --install [--dir DIR] ...\n"
    "                                     the same profiles put in place: loaded into the\n"
    "                                     kernel when it runs AppArmor, else written to DIR\n"
    "                                     (default /var/lib/mqfs/apparmor); either way one\n"
    "                                     file per profile in DIR\n"
    "  seccomp SNAP                       the seccomp syscalls of SNAP, one per line\n"
    "\n"
    "Options:\n"
    "  --system FILE       the system state (default " MQFS_SYSTEM_DEFAULT ")\n"
    "  --json              with connections and grants: the answer as JSON\n"
    "  --mount-point DIR   where mqfsd mounts its filesystem (default /run/mqfs)\n"
    "  --only KINDS        with --profile: a comma-separated list of apps, mount, daemon\n"
    "                      (default: all three)\n"
    "  --daemon-path PATH  with --profile: mqfsd's binary (default /usr/local/sbin/mqfsd)\n"
    "  --mqueue WHEN       with --profile: emit `mqueue` rules: auto (default; when the\n"
    "                      installed apparmor_parser understands them), yes, no\n"
    "  --parser PATH       the apparmor_parser to ask (default: from PATH, /usr/sbin, /sbin)\n"
    "  --features PATH     its features file for -M (default: the kernel's, else\n"
    "                      /usr/share/apparmor-features/features)\n"
    "  --install           with --profile: install the profiles instead of printing them\n"
    "  --dir DIR           with --install: where the profile files go\n"
    "  -h, --help          show this help\n"
    "  --version           show the version\n"
    "\n"
    "Exit status: 0 done; 1 check found problems, or rules could not be generated;\n"
    "2 bad usage or unreadable input.\n";

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("mqfs-policy: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

#define usage_error(...) mqfs_cli_usage_error(PROG, __VA_ARGS__)

/* A command-line value printed back safely (it may hold any byte). */
struct shown {
        char *text;
};

static const char *show(struct shown *s, const char *value)
{
        free(s->text);
        s->text = mqfs_escape(value, strlen(value));
        return s->text ? s->text : "(out of memory)";
}

enum { KIND_APPS = 1, KIND_MOUNT = 2, KIND_DAEMON = 4, KIND_ALL = 7 };
enum mqueue_when { MQUEUE_AUTO, MQUEUE_YES, MQUEUE_NO };

struct options {
        const char *command;
        const char *system; /* --system, else MQFS_SYSTEM_DEFAULT */
        bool system_given;
        const char *mount_point;
        const char *daemon_path;
        const char *parser;
        const char *features;
        bool profile;
        bool install;
        bool json;
        const char *dir;
        unsigned kinds;
        enum mqueue_when mqueue;
        char **args;
        int nargs;
};

static int parse_kinds(const char *list, unsigned *kinds)
{
        *kinds = 0;
        const char *p = list;
        while (*p) {
                size_t n = strcspn(p, ",");
                if (n == 4 && strncmp(p, "apps", 4) == 0)
                        *kinds |= KIND_APPS;
                else if (n == 5 && strncmp(p, "mount", 5) == 0)
                        *kinds |= KIND_MOUNT;
                else if (n == 6 && strncmp(p, "daemon", 6) == 0)
                        *kinds |= KIND_DAEMON;
                else
                        return -EINVAL;
                p += n;
                if (*p == ',')
                        p++;
        }
        return *kinds ? 0 : -EINVAL;
}

/* 0, or the exit status of a usage error (already reported). -1 when --help was asked,
 * -2 when --version was. */
static int parse_options(int argc, char **argv, struct options *o)
{
        enum {
                OPT_SYSTEM = 256,
                OPT_MOUNT,
                OPT_ONLY,
                OPT_DAEMON,
                OPT_MQUEUE,
                OPT_PARSER,
                OPT_FEATURES,
                OPT_PROFILE,
                OPT_INSTALL,
                OPT_DIR,
                OPT_JSON,
                OPT_VERSION
        };
        static const struct option longopts[] = {
            {"system", required_argument, NULL, OPT_SYSTEM},
            {"mount-point", required_argument, NULL, OPT_MOUNT},
            {"only", required_argument, NULL, OPT_ONLY},
            {"daemon-path", required_argument, NULL, OPT_DAEMON},
            {"mqueue", required_argument, NULL, OPT_MQUEUE},
            {"parser", required_argument, NULL, OPT_PARSER},
            {"features", required_argument, NULL, OPT_FEATURES},
            {"profile", no_argument, NULL, OPT_PROFILE},
            {"install", no_argument, NULL, OPT_INSTALL},
            {"dir", required_argument, NULL, OPT_DIR},
            {"json", no_argument, NULL, OPT_JSON},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, OPT_VERSION},
            {NULL, 0, NULL, 0},
        };
        struct shown s = {NULL};
        int rc = 0;

        *o = (struct options){.kinds = KIND_ALL, .mqueue = MQUEUE_AUTO};
        rc = mqfs_cli_command(PROG, argc, argv, "check, connections, grants, apparmor or seccomp");
        if (rc != 0)
                return rc;
        o->command = argv[1];
        opterr = 0;
        optind = 1;
        /* getopt sees "COMMAND OPTIONS... ARGS...", the command standing in for argv[0]. */
        int c;
        while (rc == 0 && (c = getopt_long(argc - 1, argv + 1, ":h", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_SYSTEM:
                        o->system = optarg;
                        break;
                case OPT_MOUNT:
                        o->mount_point = optarg;
                        break;
                case OPT_ONLY:
                        if (parse_kinds(optarg, &o->kinds))
                                rc = usage_error("--only %s: give apps, mount and/or daemon, "
                                                 "separated by commas",
                                                 show(&s, optarg));
                        break;
                case OPT_DAEMON:
                        o->daemon_path = optarg;
                        break;
                case OPT_MQUEUE:
                        if (strcmp(optarg, "auto") == 0)
                                o->mqueue = MQUEUE_AUTO;
                        else if (strcmp(optarg, "yes") == 0)
                                o->mqueue = MQUEUE_YES;
                        else if (strcmp(optarg, "no") == 0)
                                o->mqueue = MQUEUE_NO;
                        else
                                rc = usage_error("--mqueue %s: give auto, yes or no",
                                                 show(&s, optarg));
                        break;
                case OPT_PARSER:
                        o->parser = optarg;
                        break;
                case OPT_FEATURES:
                        o->features = optarg;
                        break;
                case OPT_PROFILE:
                        o->profile = true;
                        break;
                case OPT_INSTALL:
                        o->install = true;
                        break;
                case OPT_DIR:
                        o->dir = optarg;
                        break;
                case OPT_JSON:
                        o->json = true;
                        break;
                case 'h':
                        rc = -1;
                        break;
                case OPT_VERSION:
                        rc = -2;
                        break;
                default:
                        rc = mqfs_cli_bad_option(PROG, c, argv + 1, optind, optopt);
                        break;
                }
        }
        free(s.text);
        if (rc)
                return rc;
        o->args = argv + 1 + optind;
        o->nargs = argc - 1 - optind;
        return 0;
}

/* Says which input could not be used, why (the loader's message, which names the file
 * and line, or the errno), and what to do about it. */
static void input_error(const char *what, const char *path, int rc, const char *error)
{
        struct shown s = {NULL};
        const char *hint = rc == -EINVAL   ? "fix the file: it must be a YAML mapping"
                           : rc == -ENOMEM ? "free some memory and retry"
                                           : "check the path and its permissions";
        if (error && strstr(error, hint) != NULL) /* the loader said what to do already */
                complain("cannot %s %s", what, error);
        else if (error && strncmp(error, path, strlen(path)) == 0)
                complain("cannot %s %s (%s)", what, error, hint);
        else if (error)
                complain("cannot %s %s: %s (%s)", what, show(&s, path), error, hint);
        else
                complain("cannot %s %s: %s (%s)", what, show(&s, path), strerror(-rc), hint);
        free(s.text);
}

/* Loads the system state, reporting the loader's warnings on stderr. */
static int load_system(const char *path, struct mqfs_system **sys)
{
        char *error = NULL;
        int rc = mqfs_system_load(path, sys, &error);
        if (rc) {
                input_error("load the system state", path, rc, error);
                free(error);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < (*sys)->nmessages; i++)
                complain("warning: %s", (*sys)->messages[i]);
        return 0;
}

static int unknown_snap(const struct mqfs_system *sys, const char *path, const char *snap)
{
        struct shown s = {NULL}, p = {NULL};
        fprintf(stderr,
                "mqfs-policy: snap \"%s\" is not installed in %s; installed:", show(&s, snap),
                show(&p, path));
        for (size_t i = 0; i < sys->nsnaps; i++)
                fprintf(stderr, "%s %s", i ? "," : "", sys->snaps[i].name);
        fputs(sys->nsnaps ? "\n" : " none\n", stderr);
        free(s.text);
        free(p.text);
        return EXIT_USAGE;
}

/* For the commands that take exactly one SNAP. */
static int need_one_snap(const struct options *o)
{
        if (o->nargs != 1)
                return usage_error("%s takes one SNAP (the snap's name), %d given", o->command,
                                   o->nargs);
        return 0;
}

/* check [--system FILE]: the whole state loaded as the daemon loads it at start-up; every
 * message of the loader (an entry skipped or refused, a bad plug or slot, an unknown
 * key) is a problem, printed once on stdout, and makes the exit status 1, so that a
 * deployment can be gated on it (a reload refuses a state with any problem). */
static int check_system(const struct options *o)
{
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int rc = mqfs_system_load(o->system, &sys, &error);
        if (rc) {
                input_error("load the system state", o->system, rc, error);
                free(error);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < sys->nmessages; i++) {
                bool repeated = false;
                for (size_t j = 0; j < i && !repeated; j++)
                        repeated = strcmp(sys->messages[i], sys->messages[j]) == 0;
                if (!repeated)
                        puts(sys->messages[i]);
        }
        rc = sys->nmessages > 0 ? EXIT_BAD : 0;
        mqfs_system_free(sys);
        return rc;
}

static int cmd_check(const struct options *o)
{
        if (o->nargs == 0)
                return check_system(o);
        if (o->system_given)
                return usage_error("check takes snap.yaml files or --system FILE, not both");
        int status = 0;
        for (int i = 0; i < o->nargs; i++) {
                struct mqfs_snap_yaml *y = NULL;
                char *error = NULL;
                int rc = mqfs_snap_yaml_load(o->args[i], &y, &error);
                if (rc) {
                        input_error("check", o->args[i], rc, error);
                        free(error);
                        status = EXIT_USAGE;
                        continue;
                }
                if (y->nbad > 0) {
                        char *report = mqfs_snap_yaml_report(y);
                        if (report)
                                puts(report);
                        else
                                complain("out of memory reporting on %s", o->args[i]);
                        free(report);
                        if (status == 0)
                                status = EXIT_BAD;
                }
                mqfs_snap_yaml_free(y);
        }
        return status;
}

/* A JSON document printed on stdout, then freed; EXIT_BAD when it could not be made. */
static int print_json(json_object *doc, const char *what)
{
        const char *text = doc ? json_object_to_json_string_ext(
                                     doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                              JSON_C_TO_STRING_NOSLASHESCAPE)
                               : NULL;
        if (text)
                puts(text);
        else
                complain("out of memory writing %s as JSON", what);
        json_object_put(doc);
        return text ? 0 : EXIT_BAD;
}

/* {"snap": SNAP, KEY: NAME}: one end of a connection. */
static json_object *json_end(const char *snap, const char *key, const char *name)
{
        json_object *o = json_object_new_object();
        if (o && (json_object_object_add(o, "snap", json_object_new_string(snap)) ||
                  json_object_object_add(o, key, json_object_new_string(name)))) {
                json_object_put(o);
                o = NULL;
        }
        return o;
}

/* One row of `connections`: a plug, and the slot it is connected to (NULL: none). */
struct row {
        const struct mqfs_system_snap *snap;
        const struct mqfs_plug *plug;
        const struct mqfs_connection *conn;
};

/* The Notes column: "manual" or "-" as `snap connections` says; with snapd as a source,
 * where the row came from too: "snapd" (with ",manual" or ",gadget"), "manual" (system.yaml's
 * connections:) or "auto" (resolved by mqfs). */
static const char *conn_notes(const struct mqfs_system *sys, const struct mqfs_connection *c)
{
        if (c == NULL)
                return "-";
        if (!sys->has_snapd)
                return c->manual ? "manual" : "-";
        switch (c->source) {
        case MQFS_CONN_SNAPD:
                return c->manual ? "snapd,manual" : c->by_gadget ? "snapd,gadget" : "snapd";
        case MQFS_CONN_MANUAL:
                return "manual";
        case MQFS_CONN_AUTO:
                return "auto";
        }
        return "-";
}

/* The rows: one per connection of each posix-mq plug, one with no slot for a plug with
 * none; only those with SNAP on either end when snap is not NULL. NULL when out of memory. */
static struct row *connection_rows(const struct mqfs_system *sys, const char *snap, size_t *n)
{
        size_t cap = 16;
        struct row *rows = malloc(cap * sizeof(*rows));
        *n = 0;
        for (size_t i = 0; rows && i < sys->nsnaps; i++) {
                const struct mqfs_system_snap *ss = &sys->snaps[i];
                size_t nconns = 0;
                const struct mqfs_connection *conns =
                    mqfs_system_plug_conns(sys, ss->name, &nconns);
                for (size_t p = 0; rows && ss->yaml && p < ss->yaml->nplugs; p++) {
                        const struct mqfs_plug *plug = &ss->yaml->plugs[p];
                        bool connected = false;
                        for (size_t c = 0; rows && c <= nconns; c++) {
                                const struct mqfs_connection *conn = c < nconns ? &conns[c] : NULL;
                                if (conn && strcmp(conn->plug->name, plug->name) != 0)
                                        continue;
                                if (!conn && connected)
                                        break;
                                connected = true;
                                bool mine = !snap || strcmp(ss->name, snap) == 0 ||
                                            (conn && strcmp(conn->slot_snap->name, snap) == 0);
                                if (!mine)
                                        continue;
                                if (*n == cap) {
                                        struct row *bigger = realloc(rows, 2 * cap * sizeof(*rows));
                                        if (!bigger) {
                                                free(rows);
                                                rows = NULL;
                                                break;
                                        }
                                        rows = bigger;
                                        cap *= 2;
                                }
                                rows[(*n)++] = (struct row){ss, plug, conn};
                        }
                }
        }
        return rows;
}

/* Adds value under key; false (value freed) when out of memory. A NULL value is JSON null
 * only when null_ok (else it is a failed allocation). */
static bool json_put(json_object *o, const char *key, json_object *value, bool null_ok)
{
        if ((!value && !null_ok) || json_object_object_add(o, key, value) != 0) {
                json_object_put(value);
                return false;
        }
        return true;
}

/* {"connections": [{"interface", "plug": {"snap", "plug"}, "slot": {"snap", "slot"} or
 * null, "manual"}, ...]}, the fields snapd's REST API uses for a connection. */
static int print_connections_json(const struct row *rows, size_t n)
{
        json_object *doc = json_object_new_object(), *list = json_object_new_array();
        bool ok = doc && list && json_object_object_add(doc, "connections", list) == 0;
        if (!ok)
                json_object_put(list); /* not attached to doc */
        for (size_t r = 0; ok && r < n; r++) {
                const struct mqfs_connection *conn = rows[r].conn;
                json_object *o = json_object_new_object();
                if (!o || json_object_array_add(list, o) != 0) {
                        json_object_put(o);
                        ok = false;
                        break;
                }
                ok = json_put(o, "interface", json_object_new_string("posix-mq"), false) &&
                     json_put(o, "plug", json_end(rows[r].snap->name, "plug", rows[r].plug->name),
                              false) &&
                     (conn ? json_put(o, "slot",
                                      json_end(conn->slot_snap->name, "slot", conn->slot->name),
                                      false)
                           : json_put(o, "slot", NULL, true)) &&
                     json_put(o, "manual", json_object_new_boolean(conn && conn->manual), false);
        }
        if (!ok) {
                json_object_put(doc);
                doc = NULL;
        }
        return print_json(doc, "the connections");
}

static int print_connections_table(const struct mqfs_system *sys, const struct row *rows, size_t n)
{
        size_t w_plug = strlen("Plug"), w_slot = strlen("Slot");
        for (size_t r = 0; r < n; r++) {
                const struct mqfs_connection *conn = rows[r].conn;
                size_t plug = strlen(rows[r].snap->name) + 1 + strlen(rows[r].plug->name);
                size_t slot =
                    conn ? strlen(conn->slot_snap->name) + 1 + strlen(conn->slot->name) : 1;
                w_plug = plug > w_plug ? plug : w_plug;
                w_slot = slot > w_slot ? slot : w_slot;
        }
        printf("%-9s  %-*s  %-*s  %s\n", "Interface", (int)w_plug, "Plug", (int)w_slot, "Slot",
               "Notes");
        for (size_t r = 0; r < n; r++) {
                const struct mqfs_connection *conn = rows[r].conn;
                int plug = (int)strlen(rows[r].snap->name) + 1;
                printf("%-9s  %s:%-*s  ", "posix-mq", rows[r].snap->name, (int)w_plug - plug,
                       rows[r].plug->name);
                if (conn)
                        printf("%s:%-*s", conn->slot_snap->name,
                               (int)w_slot - (int)strlen(conn->slot_snap->name) - 1,
                               conn->slot->name);
                else
                        printf("%-*s", (int)w_slot, "-");
                printf("  %s\n", conn_notes(sys, conn));
        }
        return 0;
}

static int cmd_connections(const struct options *o)
{
        if (o->nargs > 1)
                return usage_error("connections takes at most one SNAP, %d given", o->nargs);
        struct mqfs_system *sys = NULL;
        int rc = load_system(o->system, &sys);
        if (rc)
                return rc;
        const char *snap = o->nargs == 1 ? o->args[0] : NULL;
        if (snap && !mqfs_system_snap(sys, snap)) {
                rc = unknown_snap(sys, o->system, snap);
                mqfs_system_free(sys);
                return rc;
        }
        size_t n = 0;
        struct row *rows = connection_rows(sys, snap, &n);
        if (!rows) {
                complain("out of memory listing the connections of %s", o->system);
                rc = EXIT_BAD;
        } else {
                rc = o->json ? print_connections_json(rows, n)
                             : print_connections_table(sys, rows, n);
        }
        free(rows);
        mqfs_system_free(sys);
        return rc;
}

/* Loads the system and its grant table for a command about one snap. */
static int load_for_snap(const struct options *o, struct mqfs_system **sys,
                         struct mqfs_grant_table **grants)
{
        int rc = need_one_snap(o);
        if (rc)
                return rc;
        rc = load_system(o->system, sys);
        if (rc)
                return rc;
        if (!mqfs_system_snap(*sys, o->args[0])) {
                rc = unknown_snap(*sys, o->system, o->args[0]);
                goto fail;
        }
        if (grants) {
                rc = mqfs_system_grant_table(*sys, grants);
                if (rc) {
                        complain("cannot compute the grants of %s: %s", o->system, strerror(-rc));
                        rc = EXIT_BAD;
                        goto fail;
                }
        }
        return 0;
fail:
        mqfs_system_free(*sys);
        *sys = NULL;
        return rc;
}

/* {"snap": SNAP, "queues": [{"name": "/q", "permissions": ["open", ...]}, ...]}. */
static int print_grants_json(const char *snap, const struct mqfs_grant_set *set)
{
        json_object *doc = json_object_new_object(), *list = json_object_new_array();
        bool ok = doc && list && json_put(doc, "snap", json_object_new_string(snap), false) &&
                  json_object_object_add(doc, "queues", list) == 0;
        if (!ok)
                json_object_put(list); /* not attached to doc */
        size_t n = set ? mqfs_grant_set_count(set) : 0;
        for (size_t i = 0; ok && i < n; i++) {
                unsigned perms = 0;
                const char *q = mqfs_grant_set_queue_at(set, i, &perms);
                json_object *o = json_object_new_object(), *words = json_object_new_array();
                ok = o && json_object_array_add(list, o) == 0;
                if (!ok) {
                        json_object_put(o);
                        json_object_put(words);
                        break;
                }
                ok = json_put(o, "name", json_object_new_string(q), false) &&
                     json_put(o, "permissions", words, false);
                for (unsigned bit = 1; ok && bit <= MQFS_PERM_ALL; bit <<= 1)
                        if (perms & bit)
                                ok = json_object_array_add(
                                         words, json_object_new_string(mqfs_perm_word(bit))) == 0;
        }
        if (!ok) {
                json_object_put(doc);
                doc = NULL;
        }
        return print_json(doc, "the grants");
}

static int cmd_grants(const struct options *o)
{
        struct mqfs_system *sys = NULL;
        struct mqfs_grant_table *grants = NULL;
        int rc = load_for_snap(o, &sys, &grants);
        if (rc)
                return rc;
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(grants, o->args[0]);
        size_t n = set && !o->json ? mqfs_grant_set_count(set) : 0;
        if (o->json)
                rc = print_grants_json(o->args[0], set);
        for (size_t i = 0; i < n && rc == 0; i++) {
                unsigned perms = 0;
                const char *q = mqfs_grant_set_queue_at(set, i, &perms);
                char words[64];
                char *name = mqfs_escape(q, strlen(q));
                if (!name || mqfs_perm_format(perms, words, sizeof(words)) < 0) {
                        complain("out of memory listing the grants of %s", o->args[0]);
                        rc = EXIT_BAD;
                } else {
                        printf("%s %s\n", name, words);
                }
                free(name);
        }
        mqfs_grant_table_unref(grants);
        mqfs_system_free(sys);
        return rc;
}

static int cmd_seccomp(const struct options *o)
{
        struct mqfs_system *sys = NULL;
        int rc = load_for_snap(o, &sys, NULL);
        if (rc)
                return rc;
        char *text = NULL;
        rc = mqfs_seccomp_snap_rules(sys, o->args[0], &text);
        if (rc) {
                complain("cannot generate the seccomp rules of %s: %s", o->args[0], strerror(-rc));
                rc = EXIT_BAD;
        } else {
                fputs(text, stdout);
                if (*text)
                        fputs("# mq_open and mq_unlink of programs started under mqfs-exec are "
                              "answered by\n# mqfsd's syscall door (SPEC 9); the rest run in "
                              "the kernel.\n",
                              stdout);
        }
        free(text);
        mqfs_system_free(sys);
        return rc;
}

static int generation_failed(const char *what, const char *snap, int err)
{
        if (err == -EINVAL)
                complain("refusing to generate %s%s%s: a name or path in it is not safe in an "
                         "AppArmor rule (queue names must not hold control characters, \\ or "
                         "any of ?*[]{}^\"; paths only A-Z a-z 0-9 . _ + - /)",
                         what, snap ? " for " : "", snap ? snap : "");
        else
                complain("cannot generate %s%s%s: %s", what, snap ? " for " : "", snap ? snap : "",
                         strerror(-err));
        return EXIT_BAD;
}

static int check_mount_point(const struct options *o)
{
        struct shown s = {NULL};
        int rc = 0;
        if (o->mount_point && !mqfs_apparmor_path_ok(o->mount_point))
                rc = usage_error("--mount-point %s: give an absolute path of A-Z a-z 0-9 . _ + - "
                                 "/ without . or .. components",
                                 show(&s, o->mount_point));
        free(s.text);
        return rc;
}

static int cmd_apparmor_snippets(const struct options *o)
{
        int rc = check_mount_point(o);
        if (rc)
                return rc;
        struct mqfs_system *sys = NULL;
        struct mqfs_grant_table *grants = NULL;
        rc = load_for_snap(o, &sys, &grants);
        if (rc)
                return rc;
        const char *snap = o->args[0];
        const char *mp = o->mount_point ? o->mount_point : "/run/mqfs";
        char *rules = NULL, *view = NULL, *mount = NULL, *door = NULL;
        int err = mqfs_apparmor_snap_rules(sys, snap, &rules);
        if (!err)
                err = mqfs_apparmor_view_rules(mqfs_grant_table_set_of(grants, snap), &view);
        if (!err)
                err = mqfs_apparmor_door_rules(mp, &door);
        if (!err)
                err = mqfs_apparmor_mount_rules(snap, mp, &mount);
        if (err) {
                rc = generation_failed("the AppArmor rules", snap, err);
        } else {
                printf("# snap.%s.* (the snap's apps): posix-mq rules\n%s", snap, rules);
                printf("# snap.%s.* (the snap's apps): the mqfs view of /dev/mqueue\n%s", snap,
                       view);
                printf("# snap.%s.* (the snap's apps): under mqfs-exec, the syscall door\n%s", snap,
                       door);
                printf("# snap-update-ns.%s (the mount helper): the view over /dev/mqueue\n%s",
                       snap, mount);
        }
        free(rules);
        free(view);
        free(door);
        free(mount);
        mqfs_grant_table_unref(grants);
        mqfs_system_free(sys);
        return rc;
}

/* Whether profiles get mqueue rules; asks the parser for --mqueue auto. */
static bool want_mqueue_rules(const struct options *o)
{
        if (o->mqueue != MQUEUE_AUTO)
                return o->mqueue == MQUEUE_YES;
        struct mqfs_apparmor_parser parser = {
            .path = o->parser ? o->parser : mqfs_apparmor_find_parser(),
            .features = o->features ? o->features : mqfs_apparmor_find_features(),
        };
        if (!parser.path || !parser.features) {
                complain("warning: no %s found to ask whether it understands mqueue rules; "
                         "leaving them out (install apparmor, or pass --parser, --features or "
                         "--mqueue yes)",
                         parser.path ? "AppArmor features file" : "apparmor_parser");
                return false;
        }
        int answer = mqfs_apparmor_probe_mqueue(&parser);
        if (answer < 0) {
                struct shown s = {NULL}, f = {NULL};
                complain("warning: cannot ask %s (features %s) whether it understands mqueue "
                         "rules: %s; leaving them out (check the parser with --parser and "
                         "--features, or pass --mqueue yes|no)",
                         show(&s, parser.path), show(&f, parser.features),
                         answer == -EIO ? "it rejects even a minimal profile" : strerror(-answer));
                free(s.text);
                free(f.text);
                return false;
        }
        return answer == 1;
}

/* With --install, the profiles are kept here (names and texts owned) until all are made. */
struct collected {
        struct mqfs_aa_profile *profiles;
        size_t n;
};

static void collected_free(struct collected *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free((char *)c->profiles[i].name);
                free((char *)c->profiles[i].text);
        }
        free(c->profiles);
}

/* Prints text, or, when c is not NULL, keeps it as the profile named by name_fmt (a "%s"
 * for the snap). */
static int emit(const char *what, const char *snap, int err, char *text, bool *first,
                struct collected *c, const char *name_fmt)
{
        if (err)
                return generation_failed(what, snap, err);
        if (!c) {
                printf("%s%s", *first ? "" : "\n", text);
                *first = false;
                free(text);
                return 0;
        }
        char *name = NULL;
        struct mqfs_aa_profile *grown = realloc(c->profiles, (c->n + 1) * sizeof(*grown));
        if (grown)
                c->profiles = grown;
        if (!grown || asprintf(&name, name_fmt, snap ? snap : "") < 0) {
                free(text);
                complain("out of memory while making %s", what);
                return EXIT_BAD;
        }
        c->profiles[c->n++] = (struct mqfs_aa_profile){.name = name, .text = text};
        return 0;
}

/* Installs what was collected; says once where the profiles went. */
static int install(const struct options *o, const struct collected *c)
{
        struct mqfs_aa_status st;
        int rc = mqfs_aa_status_read(&st);
        if (rc)
                complain("warning: cannot tell whether the kernel runs AppArmor (%s); treating "
                         "it as not enabled",
                         strerror(-rc));
        struct mqfs_aa_install_options io = {.dir = o->dir, .parser = o->parser};
        char *message = NULL;
        rc = mqfs_aa_install(&st, c->profiles, c->n, &io, &message);
        complain("%s", message ? message : "out of memory");
        free(message);
        return rc ? EXIT_BAD : 0;
}

static int cmd_apparmor_profiles(const struct options *o)
{
        int rc = check_mount_point(o);
        if (rc)
                return rc;
        struct shown s = {NULL};
        if (o->daemon_path && !mqfs_apparmor_path_ok(o->daemon_path)) {
                rc = usage_error("--daemon-path %s: give an absolute path of A-Z a-z 0-9 . _ + - "
                                 "/ without . or .. components",
                                 show(&s, o->daemon_path));
                free(s.text);
                return rc;
        }
        bool per_snap = o->kinds & (KIND_APPS | KIND_MOUNT);
        if (!per_snap && o->nargs > 0)
                return usage_error("--only daemon takes no SNAP");

        /* The daemon profile names system.yaml's directory: an absolute, rule-safe path. */
        char system_abs[PATH_MAX];
        const char *system_path = NULL;
        if (o->system) {
                /* The daemon's profile alone may be made before the state exists (at
                 * install time): an absolute path is then taken as it is. */
                bool taken_as_is =
                    !per_snap && o->system[0] == '/' && strlen(o->system) < sizeof(system_abs);
                if (taken_as_is)
                        strcpy(system_abs, o->system);
                if (!taken_as_is && !realpath(o->system, system_abs)) {
                        complain("cannot read the system state %s: %s (check the path)",
                                 show(&s, o->system), strerror(errno));
                        free(s.text);
                        return EXIT_USAGE;
                }
                if (!mqfs_apparmor_path_ok(system_abs)) {
                        complain("the system state's path %s cannot appear in an AppArmor rule "
                                 "(only A-Z a-z 0-9 . _ + - /); move it",
                                 show(&s, system_abs));
                        free(s.text);
                        return EXIT_USAGE;
                }
                system_path = system_abs;
        }

        struct mqfs_system *sys = NULL;
        struct mqfs_grant_table *grants = NULL;
        if (per_snap) {
                rc = load_system(o->system, &sys);
                if (rc)
                        return rc;
                for (int i = 0; i < o->nargs && rc == 0; i++)
                        if (!mqfs_system_snap(sys, o->args[i]))
                                rc = unknown_snap(sys, o->system, o->args[i]);
                if (rc == 0 && mqfs_system_grant_table(sys, &grants) != 0) {
                        complain("cannot compute the grants of %s", o->system);
                        rc = EXIT_BAD;
                }
        }

        struct mqfs_apparmor_options aa = {
            .mount_point = o->mount_point,
            .system_path = system_path,
            .daemon_path = o->daemon_path,
            .origin = system_path,
        };
        /* The daemon's profile alone (--only daemon: what `cmake --install` and the package
         * ship) pins its ABI and needs no probe (apparmor.h, daemon_alone). --install runs
         * on the machine the profiles are for, whose parser the probe rightly asks. */
        aa.daemon_alone = o->kinds == KIND_DAEMON;
        if (rc == 0 && per_snap)
                aa.mqueue_rules = want_mqueue_rules(o);
        bool first = true;
        struct collected kept = {NULL, 0};
        struct collected *c = o->install ? &kept : NULL;
        size_t nsnaps = per_snap ? (o->nargs > 0 ? (size_t)o->nargs : sys->nsnaps) : 0;
        for (size_t i = 0; i < nsnaps && rc == 0; i++) {
                const char *snap = o->nargs > 0 ? o->args[i] : sys->snaps[i].name;
                char *text = NULL;
                if (o->kinds & KIND_APPS) {
                        int err = mqfs_apparmor_snap_profile(sys, grants, snap, &aa, &text);
                        rc = emit("the apps' profile", snap, err, text, &first, c, "snap.%s.mqfs");
                }
                if (rc == 0 && (o->kinds & KIND_MOUNT)) {
                        int err = mqfs_apparmor_mount_profile(snap, &aa, &text);
                        rc = emit("the mount helper's profile", snap, err, text, &first, c,
                                  "snap-update-ns.%s");
                }
        }
        if (rc == 0 && (o->kinds & KIND_DAEMON)) {
                char *text = NULL;
                int err = mqfs_apparmor_daemon_profile(&aa, &text);
                rc = emit("the daemon's profile", NULL, err, text, &first, c, "mqfsd%s");
        }
        if (rc == 0 && c)
                rc = install(o, c);
        collected_free(&kept);
        mqfs_grant_table_unref(grants);
        mqfs_system_free(sys);
        return rc;
}

static int cmd_apparmor(const struct options *o)
{
        if (o->profile)
                return cmd_apparmor_profiles(o);
        return cmd_apparmor_snippets(o);
}

/* Options that only mean something for some commands are refused elsewhere, so that a
 * mistyped command line is not silently half-obeyed. */
static int check_option_use(const struct options *o, bool is_apparmor)
{
        if (!is_apparmor && (o->profile || o->mount_point || o->daemon_path || o->parser ||
                             o->features || o->kinds != KIND_ALL || o->mqueue != MQUEUE_AUTO))
                return usage_error("%s does not take --profile, --mount-point, --only, "
                                   "--daemon-path, --mqueue, --parser or --features",
                                   o->command);
        if ((o->install || o->dir) && (!is_apparmor || !o->profile))
                return usage_error("--install and --dir go with apparmor --profile");
        if (o->dir && !o->install)
                return usage_error("--dir goes with --install");
        if (is_apparmor && !o->profile &&
            (o->daemon_path || o->parser || o->features || o->kinds != KIND_ALL ||
             o->mqueue != MQUEUE_AUTO))
                return usage_error("--only, --daemon-path, --mqueue, --parser and --features "
                                   "go with apparmor --profile");
        return 0;
}

int main(int argc, char **argv)
{
        struct options o;
        int rc = parse_options(argc, argv, &o);
        if (rc == -1)
                return mqfs_cli_help(usage_text);
        if (rc == -2)
                return mqfs_cli_version(PROG, NULL);
        if (rc)
                return rc;
        o.system_given = o.system != NULL;
        if (!o.system)
                o.system = MQFS_SYSTEM_DEFAULT;

        static const struct {
                const char *name;
                int (*run)(const struct options *);
        } commands[] = {
            {"check", cmd_check},       {"connections", cmd_connections}, {"grants", cmd_grants},
            {"apparmor", cmd_apparmor}, {"seccomp", cmd_seccomp},
        };
        int (*run)(const struct options *) = NULL;
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(o.command, commands[i].name) == 0)
                        run = commands[i].run;
        if (!run) {
                struct shown s = {NULL};
                rc = usage_error("unknown command \"%s\"", show(&s, o.command));
                free(s.text);
                return rc;
        }
        if (o.json && run != cmd_connections && run != cmd_grants)
                return usage_error("--json goes with connections and grants");
        rc = check_option_use(&o, run == cmd_apparmor);
        if (rc)
                return rc;
        rc = run(&o);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                complain("cannot write the output: %s", strerror(errno));
                return EXIT_USAGE;
        }
        return rc;
}
