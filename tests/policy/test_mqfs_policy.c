/* test_mqfs_policy.c — the mqfs-policy tool end to end (SPEC §3.4): the built binary run
 * on temporary files and on examples/, checking exit status, stdout and stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <unistd.h>

#include "cli.h"
#include "conformance.h"
#include "fixture.h"

#define TOOL    MQFS_BIN_DIR "/mqfs-policy"
#define EXAMPLE MQFS_SOURCE_DIR "/examples/system.yaml"

/* Runs the tool with the given arguments (NULL-terminated). */
static struct fx_run run(const char *first, ...)
{
        char *argv[32] = {(char *)TOOL};
        size_t n = 1;
        va_list ap;
        va_start(ap, first);
        for (const char *a = first; a; a = va_arg(ap, const char *)) {
                assert_true(n < 31);
                argv[n++] = (char *)a;
        }
        va_end(ap);
        argv[n] = NULL;
        struct fx_run r;
        fx_run(argv, &r);
        return r;
}

static bool starts_with(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Every stderr line carries the prefix. */
static void assert_stderr_prefixed(const char *err)
{
        for (const char *line = err; *line;) {
                if (!starts_with(line, "mqfs-policy: "))
                        fail_msg("stderr line without the mqfs-policy: prefix: %s", line);
                const char *nl = strchr(line, '\n');
                assert_non_null(nl);
                line = nl + 1;
        }
}

static void expect_usage_error(struct fx_run r, const char *mention)
{
        if (r.status != 2 || r.out[0] || !starts_with(r.err, "mqfs-policy: ") ||
            (mention && !strstr(r.err, mention)))
                fail_msg("want exit 2, empty stdout and a message naming \"%s\"; got %d\n"
                         "stdout: %s\nstderr: %s",
                         mention ? mention : "", r.status, r.out, r.err);
        assert_stderr_prefixed(r.err);
        fx_run_free(&r);
}

static void help_is_on_stdout(void **state)
{
        (void)state;
        const char *forms[][2] = {{"--help", NULL}, {"-h", NULL}, {"grants", "--help"}};
        for (size_t i = 0; i < 3; i++) {
                struct fx_run r = run(forms[i][0], forms[i][1], NULL);
                assert_int_equal(r.status, 0);
                assert_true(starts_with(r.out, "Usage: mqfs-policy "));
                const char *commands[] = {"check",     "connections", "grants",       "apparmor",
                                          "--profile", "seccomp",     "--mount-point"};
                for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
                        assert_non_null(strstr(r.out, commands[k]));
                assert_string_equal(r.err, "");
                fx_run_free(&r);
        }
}

static void version_is_on_stdout(void **state)
{
        (void)state;
        const char *forms[][2] = {{"--version", NULL}, {"grants", "--version"}};
        for (size_t i = 0; i < 2; i++) {
                struct fx_run r = run(forms[i][0], forms[i][1], NULL);
                assert_int_equal(r.status, 0);
                assert_true(starts_with(r.out, "mqfs-policy (mqfs) "));
                assert_non_null(strchr(r.out, '\n'));
                assert_string_equal(r.err, "");
                fx_run_free(&r);
        }
}

/* Without --system, every command reads MQFS_SYSTEM_DEFAULT: when it is absent, that
 * path is what the error names; when a machine has one, the answer is the same as with
 * --system naming it. */
static void system_defaults_to_etc(void **state)
{
        (void)state;
        const char *cmds[][3] = {{"grants", "provider", NULL},
                                 {"connections", NULL, NULL},
                                 {"seccomp", "provider", NULL},
                                 {"check", NULL, NULL}};
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                struct fx_run r = run(cmds[i][0], cmds[i][1], NULL);
                if (access(MQFS_SYSTEM_DEFAULT, F_OK) != 0) {
                        expect_usage_error(r, MQFS_SYSTEM_DEFAULT);
                        continue;
                }
                struct fx_run e =
                    run(cmds[i][0], "--system", MQFS_SYSTEM_DEFAULT, cmds[i][1], NULL);
                assert_int_equal(r.status, e.status);
                assert_string_equal(r.out, e.out);
                assert_string_equal(r.err, e.err);
                fx_run_free(&r);
                fx_run_free(&e);
        }
}

static void bad_usage_exits_2(void **state)
{
        (void)state;
        expect_usage_error(run(NULL), "no command");
        expect_usage_error(run("frobnicate", NULL), "frobnicate");
        expect_usage_error(run("grants", "--bogus", NULL), "--bogus");
        expect_usage_error(run("grants", "-x", NULL), "-x");
        expect_usage_error(run("grants", "--system", NULL), "--system");
        expect_usage_error(run("grants", "--system", EXAMPLE, NULL), "SNAP");
        expect_usage_error(run("seccomp", "--system", EXAMPLE, "a", "b", NULL), "SNAP");
        expect_usage_error(run("check", "--system", EXAMPLE, "a.yaml", NULL), "not both");
        expect_usage_error(run("check", "--json", "--system", EXAMPLE, NULL), "--json");
        expect_usage_error(run("seccomp", "--json", "--system", EXAMPLE, "provider", NULL),
                           "--json");
        expect_usage_error(run("connections", "--profile", "--system", EXAMPLE, NULL), "--profile");
        expect_usage_error(run("connections", "--system", EXAMPLE, "a", "b", NULL), "one SNAP");
        expect_usage_error(run("apparmor", "--profile", "--only", "apps,kernel", NULL), "--only");
        expect_usage_error(run("apparmor", "--profile", "--mqueue", "maybe", NULL), "--mqueue");
        expect_usage_error(run("apparmor", "--only", "daemon", "--system", EXAMPLE, "x", NULL),
                           "--profile");
        expect_usage_error(
            run("apparmor", "--profile", "--only", "daemon", "--mount-point", "/run/../etc", NULL),
            "--mount-point");
        expect_usage_error(
            run("apparmor", "--system", EXAMPLE, "--mount-point", "relative", "consumer", NULL),
            "--mount-point");
        /* A hostile argument comes back escaped, not raw. */
        struct fx_run r = run("bad\x1b[2Jcommand", NULL);
        assert_int_equal(r.status, 2);
        assert_null(strchr(r.err, '\x1b'));
        assert_non_null(strstr(r.err, "bad\\x1b[2Jcommand"));
        fx_run_free(&r);
}

static void unreadable_input_exits_2(void **state)
{
        (void)state;
        expect_usage_error(run("check", "/nonexistent/snap.yaml", NULL), "/nonexistent/snap.yaml");
        expect_usage_error(run("grants", "--system", "/nonexistent/system.yaml", "x", NULL),
                           "/nonexistent/system.yaml");
        expect_usage_error(run("connections", "--system", "/nonexistent/system.yaml", NULL),
                           "/nonexistent/system.yaml");
        expect_usage_error(
            run("apparmor", "--profile", "--system", "/nonexistent/system.yaml", NULL),
            "/nonexistent/system.yaml");

        struct fx_dir *d = fx_dir_new();
        const char *not_yaml = fx_write(d, "broken.yaml", "snaps: [unclosed\n  - {\n");
        const char *not_map = fx_write(d, "list.yaml", "- just\n- a list\n");
        expect_usage_error(run("connections", "--system", not_yaml, NULL), "broken.yaml");
        expect_usage_error(run("grants", "--system", not_map, "x", NULL), "list.yaml");
        expect_usage_error(run("check", not_yaml, NULL), "broken.yaml");

        /* Naming a snap that is not installed is bad input too; the message lists them. */
        const char *cmds[] = {"grants", "connections"};
        for (size_t i = 0; i < 2; i++) {
                struct fx_run r = run(cmds[i], "--system", EXAMPLE, "stranger", NULL);
                assert_int_equal(r.status, 2);
                assert_string_equal(r.out, "");
                assert_non_null(strstr(r.err, "\"stranger\" is not installed"));
                assert_non_null(strstr(r.err, "consumer, monitor, provider"));
                fx_run_free(&r);
        }
        fx_dir_remove(d);
}

/* The case's snap name, from its "name: " line. */
static char *case_snap_name(const struct mqfs_conf_case *c)
{
        const char *p = strstr(c->snap_yaml, "name: ");
        assert_non_null(p);
        p += 6;
        return strndup(p, strcspn(p, "\n"));
}

static void check_reports_the_bad_conformance_cases(void **state)
{
        (void)state;
        struct mqfs_conf *conf = NULL;
        char *error = NULL;
        int rc = mqfs_conf_load(mqfs_conf_default_path(), &conf, &error);
        if (rc)
                fail_msg("cannot load the conformance cases: %s", error ? error : strerror(-rc));
        struct fx_dir *d = fx_dir_new();
        size_t bad = 0, valid = 0;
        const char *a_valid = NULL, *a_bad = NULL, *a_bad_line = NULL;
        char *lines[64] = {NULL};
        for (size_t i = 0; i < conf->ncases; i++) {
                const struct mqfs_conf_case *c = &conf->cases[i];
                char name[80];
                snprintf(name, sizeof(name), "case-%zu.yaml", i);
                const char *path = fx_write(d, name, c->snap_yaml);
                struct fx_run r = run("check", path, NULL);
                if (c->valid) {
                        if (r.status != 0 || r.out[0] || r.err[0])
                                fail_msg("valid case %s: exit %d\n%s%s", c->name, r.status, r.out,
                                         r.err);
                        a_valid = path;
                        valid++;
                } else {
                        /* The cases have one bad entry each: one report line, exactly. */
                        assert_int_equal(c->nbad, 1);
                        char *want, *snap = case_snap_name(c);
                        assert_true(asprintf(&want, "snap \"%s\" has bad plugs or slots: %s (%s)\n",
                                             snap, c->bad[0].name, c->bad[0].reason) > 0);
                        free(snap);
                        if (r.status != 1 || strcmp(r.out, want) != 0 || r.err[0])
                                fail_msg("bad case %s: exit %d\nstdout: %swant:   %sstderr: %s",
                                         c->name, r.status, r.out, want, r.err);
                        a_bad = path;
                        a_bad_line = lines[bad] = want;
                        bad++;
                }
                fx_run_free(&r);
        }
        assert_int_equal(valid + bad, conf->ncases);
        assert_true(valid > 0 && bad > 0);

        /* Several files: one line per bad file; a missing file makes it exit 2 but the
         * others are still checked. */
        struct fx_run r = run("check", a_valid, a_bad, NULL);
        assert_int_equal(r.status, 1);
        assert_string_equal(r.out, a_bad_line);
        fx_run_free(&r);
        r = run("check", a_bad, "/nonexistent/x.yaml", a_valid, NULL);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.out, a_bad_line);
        assert_stderr_prefixed(r.err);
        assert_non_null(strstr(r.err, "/nonexistent/x.yaml"));
        fx_run_free(&r);

        for (size_t i = 0; i < bad; i++)
                free(lines[i]);
        fx_dir_remove(d);
        mqfs_conf_free(conf);
}

static void connections_table_like_snap_connections(void **state)
{
        (void)state;
        struct fx_run r = run("connections", "--system", EXAMPLE, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "Interface  Plug             Slot             Notes\n"
                                   "posix-mq   consumer:jobs    provider:jobs    -\n"
                                   "posix-mq   monitor:metrics  -                -\n"
                                   "posix-mq   monitor:status   provider:status  manual\n");
        assert_string_equal(r.err, "");
        fx_run_free(&r);

        /* The loader's warnings go to stderr; stdout stays the table. */
        struct fx_dir *d = fx_dir_new();
        const char *path = fx_write(d, "system.yaml",
                                    "snaps:\n"
                                    "  - name: solo\n"
                                    "    snap-yaml-inline:\n"
                                    "      name: solo\n"
                                    "      plugs: {mq: {interface: posix-mq}}\n"
                                    "connections:\n"
                                    "  - {plug: 'solo:mq', slot: 'ghost:mq'}\n");
        r = run("connections", "--system", path, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "Interface  Plug     Slot  Notes\n"
                                   "posix-mq   solo:mq  -     -\n");
        assert_true(starts_with(r.err, "mqfs-policy: warning: "));
        assert_non_null(strstr(r.err, "ghost"));
        assert_stderr_prefixed(r.err);
        fx_run_free(&r);
        fx_dir_remove(d);
}

/* check --system: 0 and nothing printed for a state that loads whole; 1 with each
 * problem printed once (FILE:LINE: ...) on stdout for one that skips or refuses anything;
 * 2 for one that cannot be read. */
static void check_system_gates_a_deployment(void **state)
{
        (void)state;
        struct fx_run r = run("check", "--system", EXAMPLE, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "");
        assert_string_equal(r.err, "");
        fx_run_free(&r);

        struct fx_dir *d = fx_dir_new();
        const char *empty = fx_write(d, "empty.yaml", "snaps: []\n");
        r = run("check", "--system", empty, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "");
        fx_run_free(&r);

        const char *bad =
            fx_write(d, "system.yaml",
                     "snaps:\n"
                     "  - name: provider\n"
                     "    publisher: acme\n"
                     "    snap-yaml-inline:\n"
                     "      name: provider\n"
                     "      slots:\n"
                     "        mq: {interface: posix-mq, path: /q, permissions: [bogus]}\n"
                     "        ok: {interface: posix-mq, path: /ok}\n"
                     "  - name: provider\n"
                     "  - name: lost\n"
                     "    snap-yaml: missing.yaml\n"
                     "connections:\n"
                     "  - {plug: 'nobody:mq', slot: 'provider:ok'}\n");
        r = run("check", "--system", bad, NULL);
        assert_int_equal(r.status, 1);
        assert_string_equal(r.err, "");
        /* Five problems, one line each, in file order, each naming the file and line. */
        const char *want[] = {":7: snap \"provider\" has bad plugs or slots: mq",
                              ":8: snap \"provider\" slot \"ok\" refused",
                              ":9: snap \"provider\" is listed again",
                              ":10: snap \"lost\" is skipped",
                              ":13: connections entry 1: no installed snap \"nobody\""};
        const char *line = r.out;
        for (size_t i = 0; i < 5; i++) {
                assert_true(starts_with(line, bad));
                if (!starts_with(line + strlen(bad), want[i]))
                        fail_msg("problem %zu: want %s%s...; got:\n%s", i, bad, want[i], r.out);
                assert_int_equal(fx_count(r.out, want[i]), 1);
                line = strchr(line, '\n') + 1;
        }
        assert_string_equal(line, "");
        fx_run_free(&r);

        const char *not_yaml = fx_write(d, "broken.yaml", "snaps: [unclosed\n  - {\n");
        expect_usage_error(run("check", "--system", not_yaml, NULL), "broken.yaml");
        expect_usage_error(run("check", "--system", "/nonexistent/system.yaml", NULL),
                           "/nonexistent/system.yaml");
        fx_dir_remove(d);
}

/* connections SNAP: the rows with SNAP at either end, plug or slot. */
static void connections_of_one_snap(void **state)
{
        (void)state;
        struct fx_run r = run("connections", "--system", EXAMPLE, "monitor", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "Interface  Plug             Slot             Notes\n"
                                   "posix-mq   monitor:metrics  -                -\n"
                                   "posix-mq   monitor:status   provider:status  manual\n");
        fx_run_free(&r);
        r = run("connections", "--system", EXAMPLE, "provider", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "Interface  Plug            Slot             Notes\n"
                                   "posix-mq   consumer:jobs   provider:jobs    -\n"
                                   "posix-mq   monitor:status  provider:status  manual\n");
        fx_run_free(&r);
}

static json_object *parse_json(const char *text)
{
        enum json_tokener_error jerr;
        json_object *doc = json_tokener_parse_verbose(text, &jerr);
        if (!doc)
                fail_msg("not JSON (%s):\n%s", json_tokener_error_desc(jerr), text);
        return doc;
}

static const char *json_str(json_object *o, const char *key)
{
        json_object *v = NULL;
        assert_true(json_object_object_get_ex(o, key, &v));
        assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

/* --json: parsed back, it says what the table says, row for row. */
static void json_parses_back(void **state)
{
        (void)state;
        struct fx_run r = run("connections", "--json", "--system", EXAMPLE, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        json_object *doc = parse_json(r.out), *list = NULL;
        assert_true(json_object_object_get_ex(doc, "connections", &list));
        assert_int_equal(json_object_array_length(list), 3);
        static const char *const want[3][5] = {
            {"consumer", "jobs", "provider", "jobs", "false"},
            {"monitor", "metrics", NULL, NULL, "false"},
            {"monitor", "status", "provider", "status", "true"},
        };
        for (size_t i = 0; i < 3; i++) {
                json_object *c = json_object_array_get_idx(list, i), *plug, *slot, *manual;
                assert_string_equal(json_str(c, "interface"), "posix-mq");
                assert_true(json_object_object_get_ex(c, "plug", &plug));
                assert_string_equal(json_str(plug, "snap"), want[i][0]);
                assert_string_equal(json_str(plug, "plug"), want[i][1]);
                assert_true(json_object_object_get_ex(c, "slot", &slot));
                if (want[i][2]) {
                        assert_string_equal(json_str(slot, "snap"), want[i][2]);
                        assert_string_equal(json_str(slot, "slot"), want[i][3]);
                } else {
                        assert_null(slot); /* JSON null */
                }
                assert_true(json_object_object_get_ex(c, "manual", &manual));
                assert_true(json_object_is_type(manual, json_type_boolean));
                assert_int_equal(json_object_get_boolean(manual), want[i][4][0] == 't');
        }
        json_object_put(doc);
        fx_run_free(&r);

        r = run("grants", "--system", EXAMPLE, "--json", "monitor", NULL);
        assert_int_equal(r.status, 0);
        doc = parse_json(r.out);
        assert_string_equal(json_str(doc, "snap"), "monitor");
        assert_true(json_object_object_get_ex(doc, "queues", &list));
        assert_int_equal(json_object_array_length(list), 2);
        const char *names[] = {"/alerts", "/status"};
        for (size_t i = 0; i < 2; i++) {
                json_object *q = json_object_array_get_idx(list, i), *perms;
                assert_string_equal(json_str(q, "name"), names[i]);
                assert_true(json_object_object_get_ex(q, "permissions", &perms));
                assert_int_equal(json_object_array_length(perms), 2);
                assert_string_equal(json_object_get_string(json_object_array_get_idx(perms, 0)),
                                    "open");
                assert_string_equal(json_object_get_string(json_object_array_get_idx(perms, 1)),
                                    "read");
        }
        json_object_put(doc);
        fx_run_free(&r);
}

static void grants_seccomp_and_snippets(void **state)
{
        (void)state;
        static const struct {
                const char *snap, *want;
        } grants[] = {
            {"consumer", "/jobs open read write create delete\n"},
            {"monitor", "/alerts open read\n/status open read\n"},
            {"provider", "/alerts open read write create delete\n"
                         "/jobs open read write create delete\n"
                         "/status open read write create delete\n"},
        };
        for (size_t i = 0; i < 3; i++) {
                struct fx_run r = run("grants", "--system", EXAMPLE, grants[i].snap, NULL);
                assert_int_equal(r.status, 0);
                assert_string_equal(r.out, grants[i].want);
                assert_string_equal(r.err, "");
                fx_run_free(&r);
        }

        struct fx_run r = run("seccomp", "--system", EXAMPLE, "monitor", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "mq_open\nmq_getsetattr\nmq_timedreceive\n"
                                   "mq_timedreceive_time64\nmq_notify\n"
                                   "# mq_open and mq_unlink of programs started under mqfs-exec "
                                   "are answered by\n# mqfsd's syscall door (SPEC 9); the rest "
                                   "run in the kernel.\n");
        fx_run_free(&r);

        r = run("apparmor", "--system", EXAMPLE, "--mount-point", "/srv/views", "monitor", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        assert_string_equal(r.out,
                            "# snap.monitor.* (the snap's apps): posix-mq rules\n"
                            "  # POSIX Message Queue plug: status\n"
                            "  mqueue (read open getattr) type=posix \"/status\",\n"
                            "  mqueue (read open getattr) type=posix \"/alerts\",\n"
                            "  mqueue (getattr) type=posix \"/\",\n"
                            "# snap.monitor.* (the snap's apps): the mqfs view of /dev/mqueue\n"
                            "  /dev/mqueue/ r,\n"
                            "  \"/dev/mqueue/alerts\" r,\n"
                            "  \"/dev/mqueue/status\" r,\n"
                            "# snap.monitor.* (the snap's apps): under mqfs-exec, the syscall "
                            "door\n"
                            "  # The syscall door (mqfs-exec, SPEC 9): reach mqfsd's socket to "
                            "hand it the\n"
                            "  # mq_open/mq_unlink listener.\n"
                            "  /srv/views.door rw,\n"
                            "  unix (connect, send, receive) type=seqpacket,\n"
                            "  # mqfsd reads the arguments of each mq_open from the app's memory.\n"
                            "  ptrace (readby, tracedby) peer=mqfsd,\n"
                            "# snap-update-ns.monitor (the mount helper): the view over "
                            "/dev/mqueue\n"
                            "  mount options=(rw, bind) /srv/views/monitor/ -> /dev/mqueue/,\n"
                            "  mount options=(move) -> /dev/mqueue/,\n"
                            "  umount /dev/mqueue/,\n");
        fx_run_free(&r);
}

static void profiles_compile(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        struct mqfs_apparmor_parser p = fx_parser(d);
        int answer = mqfs_apparmor_probe_mqueue(&p);
        assert_true(answer == 0 || answer == 1);

        struct fx_run r = run("apparmor", "--profile", "--system", EXAMPLE, "--parser", p.path,
                              "--features", p.features, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        const char *names[] = {"profile snap.consumer.mqfs {",
                               "profile snap.monitor.mqfs {",
                               "profile snap.provider.mqfs {",
                               "profile snap-update-ns.consumer ",
                               "profile snap-update-ns.monitor ",
                               "profile snap-update-ns.provider ",
                               "profile mqfsd "};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                assert_int_equal(fx_count(r.out, names[i]), 1);
        assert_int_equal(fx_count(r.out, "  mqueue ("), answer == 1 ? 8 : 0);
        fx_assert_compiles(&p, r.out, "mqfs-policy apparmor --profile");
        fx_run_free(&r);

        r = run("apparmor", "--profile", "--only", "apps", "--system", EXAMPLE, "--mqueue", "no",
                "monitor", NULL);
        assert_int_equal(r.status, 0);
        assert_int_equal(fx_count(r.out, "\nprofile "), 1);
        assert_non_null(strstr(r.out, "profile snap.monitor.mqfs {"));
        fx_assert_compiles(&p, r.out, "the monitor's apps profile");
        fx_run_free(&r);

        r = run("apparmor", "--profile", "--only", "daemon", "--mount-point", "/srv/views",
                "--daemon-path", "/usr/sbin/mqfsd", "--mqueue", "no", NULL);
        assert_int_equal(r.status, 0);
        assert_int_equal(fx_count(r.out, "\nprofile mqfsd /usr/sbin/mqfsd "), 1);
        assert_non_null(strstr(r.out, "  mount fstype=fuse.mqfs -> /srv/views/,\n"));
        fx_assert_compiles(&p, r.out, "the daemon's profile");
        fx_run_free(&r);

        /* The daemon's profile may name a state file that does not exist yet. */
        r = run("apparmor", "--profile", "--only", "daemon", "--system", "/srv/later/system.yaml",
                "--mqueue", "no", NULL);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "  /srv/later/** r,\n"));
        fx_run_free(&r);
        expect_usage_error(run("apparmor", "--profile", "--only", "daemon", "--system",
                               "/srv/my state/system.yaml", NULL),
                           "AppArmor rule");

        /* No parser to ask: a warning, and the mqueue rules left out. */
        r = run("apparmor", "--profile", "--only", "apps", "--system", EXAMPLE, "--parser",
                "/nonexistent/parser", "--features", p.features, NULL);
        assert_int_equal(r.status, 0);
        assert_true(starts_with(r.err, "mqfs-policy: warning: "));
        assert_int_equal(fx_count(r.out, "  mqueue ("), 0);
        assert_non_null(strstr(r.out, "broker enforces"));
        fx_run_free(&r);
        /* The daemon's profile alone asks no parser: its ABI is pinned (apparmor.h). */
        r = run("apparmor", "--profile", "--only", "daemon", "--parser", "/nonexistent/parser",
                "--features", p.features, NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        assert_int_equal(fx_count(r.out, "abi <abi/3.0>,\n"), 1);
        assert_int_equal(fx_count(r.out, "mqueue type=posix,\n"), 0);
        fx_run_free(&r);

        expect_usage_error(run("apparmor", "--profile", "--system", EXAMPLE, "stranger", NULL),
                           "stranger");
        fx_dir_remove(d);
}

static int teardown_dirs(void **state)
{
        (void)state;
        return fx_cleanup_all();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(help_is_on_stdout),
            cmocka_unit_test(version_is_on_stdout),
            cmocka_unit_test(system_defaults_to_etc),
            cmocka_unit_test(check_system_gates_a_deployment),
            cmocka_unit_test(connections_of_one_snap),
            cmocka_unit_test(json_parses_back),
            cmocka_unit_test(bad_usage_exits_2),
            cmocka_unit_test(unreadable_input_exits_2),
            cmocka_unit_test(check_reports_the_bad_conformance_cases),
            cmocka_unit_test(connections_table_like_snap_connections),
            cmocka_unit_test(grants_seccomp_and_snippets),
            cmocka_unit_test(profiles_compile),
        };
        return cmocka_run_group_tests_name("mqfs-policy", tests, NULL, teardown_dirs);
}
