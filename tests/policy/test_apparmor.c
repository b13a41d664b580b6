/* test_apparmor.c — AppArmor rules and profiles (SPEC §3.1, §3.2): every conformance
 * case's lines, the os/snapd and "/" rules, view and mount-helper rules, names that
 * must never reach a rule, and every whole profile compiled by the installed parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aaparser.h"
#include "apparmor.h"
#include "conformance.h"
#include "fixture.h"
#include "grants.h"
#include "perm.h"

static const char *const all_words = "open read write create delete getattr setattr";

/* ---- hand-built inputs ---- */

static char *words_of(unsigned *list, size_t n, unsigned perms)
{
        char *name = "s", *path = "/q";
        struct mqfs_slot slot = {.name = name,
                                 .label = name,
                                 .paths = &path,
                                 .npaths = 1,
                                 .perms = perms,
                                 .perm_list = list,
                                 .nperm_list = n};
        char *out = NULL;
        assert_int_equal(mqfs_apparmor_plug_words(&slot, &out), 0);
        return out;
}

static void plug_words_follow_the_written_order(void **state)
{
        (void)state;
        const unsigned O = MQFS_PERM_OPEN, R = MQFS_PERM_READ, W = MQFS_PERM_WRITE,
                       C = MQFS_PERM_CREATE, D = MQFS_PERM_DELETE;
        static const struct {
                unsigned list[6];
                size_t n;
                const char *words;
        } cases[] = {
            {{R, W}, 2, "read write open getattr setattr"},
            {{C, D, R, W}, 4, "create delete read write open getattr setattr"},
            {{0}, 0, "open"},
            {{R}, 1, "read open getattr"},
            {{W}, 1, "write open setattr"},
            {{W, R, R}, 3, "write read read open getattr setattr"},
            {{O, W}, 2, "open write setattr"},
            {{D, O}, 2, "delete open"},
            {{C}, 1, "create open"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned perms = 0;
                for (size_t k = 0; k < cases[i].n; k++)
                        perms |= cases[i].list[k];
                unsigned list[6];
                memcpy(list, cases[i].list, sizeof(list));
                char *w = words_of(list, cases[i].n, perms);
                assert_string_equal(w, cases[i].words);
                free(w);
        }
        /* Without a written order (a slot built by hand), the canonical order. */
        char *w = words_of(NULL, 0, D | R | W);
        assert_string_equal(w, "read write delete open getattr setattr");
        free(w);
}

static void slot_and_plug_lines_are_exact(void **state)
{
        (void)state;
        char *paths[] = {"/one", "/two"};
        unsigned list[] = {MQFS_PERM_READ};
        struct mqfs_slot slot = {.name = "jobs",
                                 .label = "jobs",
                                 .paths = paths,
                                 .npaths = 2,
                                 .perms = MQFS_PERM_READ,
                                 .perm_list = list,
                                 .nperm_list = 1};
        struct mqfs_plug plug = {.name = "in", .label = "jobs"};
        char *out = NULL;
        assert_int_equal(mqfs_apparmor_slot_lines(&slot, &out), 0);
        assert_string_equal(out, "  # POSIX Message Queue slot: jobs\n"
                                 "  mqueue (open read write create delete getattr setattr) "
                                 "type=posix \"/one\",\n"
                                 "  mqueue (open read write create delete getattr setattr) "
                                 "type=posix \"/two\",\n");
        free(out);
        assert_int_equal(mqfs_apparmor_plug_lines(&plug, &slot, &out), 0);
        assert_string_equal(out, "  # POSIX Message Queue plug: in\n"
                                 "  mqueue (read open getattr) type=posix \"/one\",\n"
                                 "  mqueue (read open getattr) type=posix \"/two\",\n");
        free(out);
}

static void names_safe_for_rules_are_told_apart(void **state)
{
        (void)state;
        char longest[258], too_long[259];
        longest[0] = too_long[0] = '/';
        memset(longest + 1, 'a', 255);
        longest[256] = '\0';
        memset(too_long + 1, 'a', 256);
        too_long[257] = '\0';

        const char *good[] = {
            "/q", "/a b", "/a,b#c@d'e$f(g)!~=+%&<>;:|", "/\xc3\xa9t\xc3\xa9", longest,
            "/-", "/..."};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_true(mqfs_apparmor_name_ok(good[i]));
        const char *bad[] = {NULL,  "",       "/",        "q",     "/a/b",   "/.",
                             "/..", too_long, "/a\nb",    "/a\tb", "/a\x7f", "/a\\b",
                             "/a?", "/a*",    "/a[",      "/a]",   "/a{",    "/a}",
                             "/a^", "/a\"",   "/@{HOME}", "/\x01"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_false(mqfs_apparmor_name_ok(bad[i]));
}

static void paths_safe_for_rules_are_told_apart(void **state)
{
        (void)state;
        const char *good[] = {"/run/mqfs", "/run/mqfs/", "/", "/usr/local/bin/mqfsd",
                              "/a-b_c.d+e/f.g"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_true(mqfs_apparmor_path_ok(good[i]));
        const char *bad[] = {NULL,
                             "",
                             "run/mqfs",
                             "/run//mqfs",
                             "/run/./mqfs",
                             "/run/../x",
                             "/run/mqfs/..",
                             "/run mqfs",
                             "/run/mq\"fs",
                             "/run/@{HOME}",
                             "/run/*",
                             "/run/mq\nfs",
                             "/."};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_false(mqfs_apparmor_path_ok(bad[i]));
}

static void unsafe_names_emit_nothing(void **state)
{
        (void)state;
        char *sentinel = (char *)"untouched";
        char *paths[] = {"/fine", "/a\"b"};
        struct mqfs_slot slot = {
            .name = "s", .label = "s", .paths = paths, .npaths = 2, .perms = MQFS_PERM_READ};
        struct mqfs_plug plug = {.name = "p", .label = "s"};
        char *out = sentinel;
        assert_int_equal(mqfs_apparmor_slot_lines(&slot, &out), -EINVAL);
        assert_ptr_equal(out, sentinel);
        assert_int_equal(mqfs_apparmor_plug_lines(&plug, &slot, &out), -EINVAL);
        assert_ptr_equal(out, sentinel);

        /* A newline in a plug or slot name would end the comment and start a rule. */
        slot.npaths = 1;
        struct mqfs_plug evil = {.name = "p\n  capability sys_admin,", .label = "s"};
        assert_int_equal(mqfs_apparmor_plug_lines(&evil, &slot, &out), -EINVAL);
        assert_ptr_equal(out, sentinel);
        slot.name = "s\nx";
        assert_int_equal(mqfs_apparmor_slot_lines(&slot, &out), -EINVAL);
        assert_ptr_equal(out, sentinel);

        /* The grant table accepts any kernel-valid name; the view rules must not. */
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "snap", "/ok", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_add(g, "snap", "/all*", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        assert_int_equal(mqfs_apparmor_view_rules(mqfs_grant_table_set_of(g, "snap"), &out),
                         -EINVAL);
        assert_ptr_equal(out, sentinel);
        mqfs_grant_table_unref(g);

        assert_int_equal(mqfs_apparmor_mount_rules("snap", "/run/mq fs", &out), -EINVAL);
        assert_int_equal(mqfs_apparmor_mount_rules("Snap", "/run/mqfs", &out), -EINVAL);
        assert_int_equal(mqfs_apparmor_mount_rules("../x", "/run/mqfs", &out), -EINVAL);
        assert_ptr_equal(out, sentinel);
        struct mqfs_apparmor_options opts = {.mount_point = "/run/../etc"};
        assert_int_equal(mqfs_apparmor_daemon_profile(&opts, &out), -EINVAL);
        assert_int_equal(mqfs_apparmor_mount_profile("snap", &opts, &out), -EINVAL);
        opts = (struct mqfs_apparmor_options){.daemon_path = "/usr/bin/"};
        assert_int_equal(mqfs_apparmor_daemon_profile(&opts, &out), -EINVAL);
        assert_ptr_equal(out, sentinel);
}

static void view_rules_are_read_or_read_write(void **state)
{
        (void)state;
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/r", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/w", MQFS_PERM_WRITE), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/c", MQFS_PERM_CREATE), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/d", MQFS_PERM_DELETE), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/o", MQFS_PERM_OPEN), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/odd name,#", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_add_snap(g, "empty"), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);

        char *out = NULL;
        assert_int_equal(mqfs_apparmor_view_rules(mqfs_grant_table_set_of(g, "s"), &out), 0);
        assert_string_equal(out, "  /dev/mqueue/ r,\n"
                                 "  \"/dev/mqueue/c\" rw,\n"
                                 "  \"/dev/mqueue/d\" rw,\n"
                                 "  \"/dev/mqueue/o\" r,\n"
                                 "  \"/dev/mqueue/odd name,#\" r,\n"
                                 "  \"/dev/mqueue/r\" r,\n"
                                 "  \"/dev/mqueue/w\" rw,\n");
        free(out);
        assert_int_equal(mqfs_apparmor_view_rules(mqfs_grant_table_set_of(g, "empty"), &out), 0);
        assert_string_equal(out, "  /dev/mqueue/ r,\n");
        free(out);
        assert_int_equal(mqfs_apparmor_view_rules(NULL, &out), 0);
        assert_string_equal(out, "  /dev/mqueue/ r,\n");
        free(out);
        mqfs_grant_table_unref(g);
}

static void mount_rules_use_the_mount_point(void **state)
{
        (void)state;
        static const struct {
                const char *mount_point, *expected;
        } cases[] = {
            {"/run/mqfs", "  mount options=(rw, bind) /run/mqfs/consumer/ -> /dev/mqueue/,\n"
                          "  mount options=(move) -> /dev/mqueue/,\n"
                          "  umount /dev/mqueue/,\n"},
            {"/srv/views//", NULL}, /* "//" refused */
            {"/srv/views/", "  mount options=(rw, bind) /srv/views/consumer/ -> /dev/mqueue/,\n"
                            "  mount options=(move) -> /dev/mqueue/,\n"
                            "  umount /dev/mqueue/,\n"},
            {"/", "  mount options=(rw, bind) /consumer/ -> /dev/mqueue/,\n"
                  "  mount options=(move) -> /dev/mqueue/,\n"
                  "  umount /dev/mqueue/,\n"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                int rc = mqfs_apparmor_mount_rules("consumer", cases[i].mount_point, &out);
                if (!cases[i].expected) {
                        assert_int_equal(rc, -EINVAL);
                        continue;
                }
                assert_int_equal(rc, 0);
                assert_string_equal(out, cases[i].expected);
                free(out);
        }
}

/* ---- through the loader: conformance cases and systems ---- */

static int setup_conf(void **state)
{
        struct mqfs_conf *conf = NULL;
        char *error = NULL;
        int rc = mqfs_conf_load(mqfs_conf_default_path(), &conf, &error);
        if (rc) {
                fprintf(stderr, "cannot load the conformance cases: %s\n",
                        error ? error : strerror(-rc));
                free(error);
                return -1;
        }
        *state = conf;
        return 0;
}

static int teardown_conf(void **state)
{
        mqfs_conf_free(*state);
        return fx_cleanup_all();
}

static int teardown_dirs(void **state)
{
        (void)state;
        return fx_cleanup_all();
}

static struct mqfs_snap_yaml *parse_case(const struct mqfs_conf_case *c)
{
        struct mqfs_snap_yaml *y = NULL;
        char *error = NULL;
        int rc = mqfs_snap_yaml_parse(c->snap_yaml, c->snap_yaml_len, c->name, &y, &error);
        if (rc)
                fail_msg("case %s does not parse: %s", c->name, error ? error : strerror(-rc));
        return y;
}

/* The plug lines a case lists, under the plug's comment. */
static char *expected_plug_lines(const struct mqfs_conf_case *c, const char *plug)
{
        char *s;
        assert_true(asprintf(&s, "  # POSIX Message Queue plug: %s\n", plug) > 0);
        for (size_t i = 0; i < c->nplug_rules; i++) {
                char *t;
                assert_true(asprintf(&t, "%s  %s\n", s, c->plug_rules[i]) > 0);
                free(s);
                s = t;
        }
        return s;
}

static void conformance_slot_and_plug_lines(void **state)
{
        const struct mqfs_conf *conf = *state;
        size_t checked = 0;
        for (size_t i = 0; i < conf->ncases; i++) {
                const struct mqfs_conf_case *c = &conf->cases[i];
                if (!c->valid)
                        continue;
                struct mqfs_snap_yaml *y = parse_case(c);
                if (c->nplug_rules > 0 || c->slot_rule)
                        assert_int_equal(y->nslots, 1); /* the rules belong to its one slot */
                for (size_t s = 0; s < y->nslots; s++) {
                        const struct mqfs_slot *slot = &y->slots[s];
                        char *out = NULL;
                        assert_int_equal(mqfs_apparmor_slot_lines(slot, &out), 0);
                        char *want;
                        assert_true(
                            asprintf(&want, "  # POSIX Message Queue slot: %s\n", slot->name) > 0);
                        for (size_t p = 0; p < slot->npaths; p++) {
                                char *t;
                                assert_true(asprintf(&t, "%s  mqueue (%s) type=posix \"%s\",\n",
                                                     want, all_words, slot->paths[p]) > 0);
                                free(want);
                                want = t;
                        }
                        assert_string_equal(out, want);
                        if (c->slot_rule) {
                                char *line = fx_concat("  ", c->slot_rule);
                                assert_non_null(strstr(out, line));
                                free(line);
                        }
                        free(want);
                        free(out);

                        if (c->nplug_rules > 0) {
                                struct mqfs_plug plug = {.name = "consumer-plug",
                                                         .label = slot->label};
                                assert_int_equal(slot->npaths, c->nplug_rules);
                                assert_int_equal(mqfs_apparmor_plug_lines(&plug, slot, &out), 0);
                                want = expected_plug_lines(c, plug.name);
                                assert_string_equal(out, want);
                                free(want);
                                free(out);
                                checked++;
                        }
                }
                mqfs_snap_yaml_free(y);
        }
        assert_true(checked >= 7); /* every case with plug-rule lines */
}

/* YAML single-quoted scalar. */
static char *yaml_quote(const char *s)
{
        size_t n = strlen(s), quotes = fx_count(s, "'");
        char *q = malloc(n + quotes + 3), *p = q;
        assert_non_null(q);
        *p++ = '\'';
        for (; *s; s++) {
                if (*s == '\'')
                        *p++ = '\'';
                *p++ = *s;
        }
        *p++ = '\'';
        *p = '\0';
        return q;
}

/* A consumer plugging every slot of y, one plug named like each slot. */
static char *consumer_yaml(const struct mqfs_snap_yaml *y)
{
        char *s = fx_concat("name: consumer\nplugs:\n", NULL);
        for (size_t i = 0; i < y->nslots; i++) {
                char *label = yaml_quote(y->slots[i].label), *t;
                assert_true(asprintf(&t, "%s  %s: {interface: posix-mq, posix-mq: %s}\n", s,
                                     y->slots[i].name, label) > 0);
                free(label);
                free(s);
                s = t;
        }
        return s;
}

static const char provider_consumer_system[] = "snaps:\n"
                                               "  - name: producer\n"
                                               "    publisher: acme\n"
                                               "    slots-allowed: true\n"
                                               "    snap-yaml: producer.yaml\n"
                                               "  - name: consumer\n"
                                               "    publisher: acme\n"
                                               "    snap-yaml: consumer.yaml\n";

static void conformance_through_a_system(void **state)
{
        const struct mqfs_conf *conf = *state;
        size_t checked = 0;
        for (size_t i = 0; i < conf->ncases; i++) {
                const struct mqfs_conf_case *c = &conf->cases[i];
                if (!c->valid || c->nplug_rules == 0)
                        continue;
                struct mqfs_snap_yaml *y = parse_case(c);
                assert_string_equal(y->name, "producer");
                struct fx_dir *d = fx_dir_new();
                fx_write(d, "producer.yaml", c->snap_yaml);
                char *consumer = consumer_yaml(y);
                fx_write(d, "consumer.yaml", consumer);
                free(consumer);
                struct mqfs_system *sys = fx_load_system(d, provider_consumer_system);

                char *out = NULL;
                assert_int_equal(mqfs_apparmor_snap_rules(sys, "consumer", &out), 0);
                char *plug_lines = expected_plug_lines(c, y->slots[0].name);
                char *want = fx_concat(plug_lines, "  mqueue (getattr) type=posix \"/\",\n");
                if (strcmp(out, want) != 0)
                        fail_msg("case %s: consumer rules\n%s\nwanted\n%s", c->name, out, want);
                free(plug_lines);
                free(want);
                free(out);

                assert_int_equal(mqfs_apparmor_snap_rules(sys, "producer", &out), 0);
                char *slot_out = NULL;
                assert_int_equal(mqfs_apparmor_slot_lines(&y->slots[0], &slot_out), 0);
                assert_string_equal(out, slot_out);
                assert_int_equal(fx_count(out, "\"/\","), 0);
                free(slot_out);
                free(out);

                assert_int_equal(mqfs_apparmor_snap_rules(sys, "nobody", &out), -ENOENT);
                mqfs_system_free(sys);
                mqfs_snap_yaml_free(y);
                fx_dir_remove(d);
                checked++;
        }
        assert_true(checked >= 7);
}

static const char typed_provider_yaml[] = "name: provider\n"
                                          "slots:\n"
                                          "  jobs: {interface: posix-mq, path: /jobs}\n";
static const char two_plug_consumer_yaml[] =
    "name: consumer\n"
    "plugs:\n"
    "  jobs: {interface: posix-mq}\n"
    "  events: {interface: posix-mq}\n"
    "  spare: {interface: posix-mq, posix-mq: nothing-offers-this}\n";

static void os_and_snapd_snaps_have_no_slot_lines(void **state)
{
        (void)state;
        static const struct {
                const char *type;
                bool slot_lines;
        } types[] = {
            {"app", true}, {"gadget", true}, {"core", true}, {"os", false}, {"snapd", false}};
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                struct fx_dir *d = fx_dir_new();
                fx_write(d, "provider.yaml", typed_provider_yaml);
                fx_write(d, "consumer.yaml", two_plug_consumer_yaml);
                char *system;
                assert_true(asprintf(&system,
                                     "snaps:\n"
                                     "  - {name: provider, publisher: acme, type: %s,\n"
                                     "     slots-allowed: true, snap-yaml: provider.yaml}\n"
                                     "  - {name: consumer, publisher: acme, snap-yaml: "
                                     "consumer.yaml}\n",
                                     types[i].type) > 0);
                struct mqfs_system *sys = fx_load_system(d, system);
                free(system);

                char *out = NULL;
                assert_int_equal(mqfs_apparmor_snap_rules(sys, "provider", &out), 0);
                size_t want = types[i].slot_lines ? 1 : 0;
                if (fx_count(out, "# POSIX Message Queue slot: jobs\n") != want ||
                    fx_count(out, "type=posix \"/jobs\",") != want)
                        fail_msg("type %s: provider rules:\n%s", types[i].type, out);
                free(out);
                /* The plug side does not depend on the slot snap's type. */
                assert_int_equal(mqfs_apparmor_snap_rules(sys, "consumer", &out), 0);
                assert_string_equal(out, "  # POSIX Message Queue plug: jobs\n"
                                         "  mqueue (read write open getattr setattr) "
                                         "type=posix \"/jobs\",\n"
                                         "  mqueue (getattr) type=posix \"/\",\n");
                free(out);
                mqfs_system_free(sys);
                fx_dir_remove(d);
        }
}

static const char example_provider_yaml[] =
    "name: provider\n"
    "slots:\n"
    "  jobs: {interface: posix-mq, path: [/jobs, /jobs-urgent],\n"
    "         permissions: [read, write, create, delete]}\n"
    "  events: {interface: posix-mq, path: \"/odd name,#@'$\", permissions: [read]}\n"
    "plugs:\n"
    "  own: {interface: posix-mq, posix-mq: jobs}\n";
static const char example_reader_yaml[] = "name: reader\n"
                                          "plugs:\n"
                                          "  events: {interface: posix-mq}\n"
                                          "  lost: {interface: posix-mq}\n";
static const char example_system[] =
    "snaps:\n"
    "  - {name: provider, publisher: acme, slots-allowed: true, snap-yaml: provider.yaml}\n"
    "  - {name: consumer, publisher: acme, snap-yaml: consumer.yaml}\n"
    "  - {name: reader, publisher: acme, snap-yaml: reader.yaml}\n"
    "  - name: loner\n"
    "    snap-yaml-inline: {name: loner}\n";

static struct mqfs_system *example(struct fx_dir **dp)
{
        struct fx_dir *d = *dp = fx_dir_new();
        fx_write(d, "provider.yaml", example_provider_yaml);
        fx_write(d, "consumer.yaml", two_plug_consumer_yaml);
        fx_write(d, "reader.yaml", example_reader_yaml);
        return fx_load_system(d, example_system);
}

static void root_getattr_line_once_per_snap_with_plugs(void **state)
{
        (void)state;
        struct fx_dir *d;
        struct mqfs_system *sys = example(&d);
        static const struct {
                const char *snap;
                size_t plug_comments, root_lines;
        } want[] = {
            {"consumer", 2, 1}, /* jobs and events connected, spare not */
            {"provider", 1, 1}, /* its own plug connects to its own slot */
            {"reader", 1, 1},
            {"loner", 0, 0},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                char *out = NULL;
                assert_int_equal(mqfs_apparmor_snap_rules(sys, want[i].snap, &out), 0);
                if (fx_count(out, "# POSIX Message Queue plug: ") != want[i].plug_comments ||
                    fx_count(out, "  mqueue (getattr) type=posix \"/\",\n") != want[i].root_lines)
                        fail_msg("%s:\n%s", want[i].snap, out);
                free(out);
        }
        char *out = NULL;
        assert_int_equal(mqfs_apparmor_snap_rules(sys, "consumer", &out), 0);
        assert_non_null(
            strstr(out, "  mqueue (read open getattr) type=posix \"/odd name,#@'$\",\n"));
        assert_non_null(strstr(out, "  mqueue (read write create delete open getattr setattr) "
                                    "type=posix \"/jobs-urgent\",\n"));
        free(out);
        mqfs_system_free(sys);
        fx_dir_remove(d);
}

/* ---- the installed parser ---- */

static void probe_answer_matches_the_parser(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        struct mqfs_apparmor_parser p = fx_parser(d);
        int answer = mqfs_apparmor_probe_mqueue(&p);
        assert_true(answer == 0 || answer == 1);
        assert_int_equal(mqfs_apparmor_probe_mqueue(&p), answer); /* cached, same */

        int direct = mqfs_apparmor_compile(&p, "profile t {\n  mqueue type=posix,\n}\n", NULL);
        assert_int_equal(direct == 0, answer == 1);

        char *argv[] = {(char *)p.path, "--version", NULL};
        struct fx_run r;
        fx_run(argv, &r);
        if (strstr(r.out, "version 3.") || strstr(r.err, "version 3."))
                assert_int_equal(answer, 0); /* Debian 12 ships 3.0.8: no mqueue rules */
        fx_run_free(&r);

        char *diag = NULL;
        assert_int_equal(mqfs_apparmor_compile(&p, "profile broken {\n  nonsense here\n}\n", &diag),
                         -EINVAL);
        assert_non_null(diag);
        assert_true(strlen(diag) > 0);
        free(diag);
        struct mqfs_apparmor_parser missing = {.path = "/nonexistent/apparmor_parser",
                                               .features = p.features};
        int rc = mqfs_apparmor_compile(&missing, "profile t {\n}\n", NULL);
        assert_true(rc < 0 && rc != -EINVAL);
        assert_true(mqfs_apparmor_probe_mqueue(&missing) < 0);
        fx_dir_remove(d);
}

/* The mount helper's and the daemon's profiles need no system state. */
static void mount_and_daemon_profiles_compile(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        struct mqfs_apparmor_parser p = fx_parser(d);
        int answer = mqfs_apparmor_probe_mqueue(&p);
        assert_true(answer == 0 || answer == 1);
        const struct mqfs_apparmor_options variants[] = {
            {.mqueue_rules = answer == 1},
            {.mount_point = "/srv/views/",
             .system_path = "/srv/state/system.yaml",
             .daemon_path = "/usr/sbin/mqfsd",
             .mqueue_rules = answer == 1,
             .origin = "/srv/state/system.yaml"},
        };
        for (size_t i = 0; i < 2; i++) {
                char *mount = NULL, *daemon = NULL;
                assert_int_equal(mqfs_apparmor_mount_profile("consumer", &variants[i], &mount), 0);
                fx_assert_compiles(&p, mount, "the mount helper's profile");
                assert_int_equal(fx_count(mount, "profile snap-update-ns.consumer "), 1);
                assert_int_equal(fx_count(mount, "  umount /dev/mqueue/,\n"), 1);
                assert_int_equal(mqfs_apparmor_daemon_profile(&variants[i], &daemon), 0);
                fx_assert_compiles(&p, daemon, "the daemon's profile");
                assert_int_equal(fx_count(daemon, "capability sys_admin,"), 1);
                assert_int_equal(fx_count(daemon, "  /dev/fuse rw,\n"), 1);
                assert_int_equal(fx_count(daemon, "  /proc/[0-9]*/attr/apparmor/current r,\n"), 1);
                if (i == 0) {
                        assert_non_null(strstr(mount, "  mount options=(rw, bind) "
                                                      "/run/mqfs/consumer/ -> /dev/mqueue/,\n"));
                        assert_non_null(strstr(daemon, "profile mqfsd /usr/local/sbin/mqfsd "));
                        assert_non_null(
                            strstr(daemon, "  mount fstype=fuse.mqfs -> /run/mqfs/,\n"));
                        assert_non_null(strstr(daemon, "  /etc/mqfs/** r,\n"));
                } else {
                        assert_non_null(strstr(mount, "  mount options=(rw, bind) "
                                                      "/srv/views/consumer/ -> /dev/mqueue/,\n"));
                        assert_non_null(strstr(daemon, "profile mqfsd /usr/sbin/mqfsd "));
                        assert_non_null(
                            strstr(daemon, "  mount fstype=fuse.mqfs -> /srv/views/,\n"));
                        assert_non_null(strstr(daemon, "  /srv/state/** r,\n"));
                }
                assert_int_equal(fx_count(daemon, "  mqueue type=posix,\n"), answer == 1);
                char *both = fx_concat(mount, daemon);
                fx_assert_compiles(&p, both, "both profiles in one file");
                free(both);
                free(mount);
                free(daemon);
        }
        fx_dir_remove(d);
}

/* The daemon's profile as installed (alone in its file): the ABI pinned first thing, no
 * mqueue rule whatever the parser or the option says, and it compiles: the same text on
 * every build machine. */
static void daemon_profile_alone_pins_its_abi(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        struct mqfs_apparmor_parser p = fx_parser(d);
        char *texts[2] = {NULL, NULL};
        for (int rules = 0; rules < 2; rules++) {
                struct mqfs_apparmor_options opts = {
                    .daemon_path = "/usr/sbin/mqfsd", .mqueue_rules = rules, .daemon_alone = true};
                assert_int_equal(mqfs_apparmor_daemon_profile(&opts, &texts[rules]), 0);
                const char *abi = strstr(texts[rules], "abi <abi/3.0>,\n");
                assert_non_null(abi);
                /* Only comments before it: an abi rule must come first in its file. */
                for (const char *l = texts[rules]; l < abi; l = strchr(l, '\n') + 1)
                        assert_int_equal(l[0], '#');
                assert_int_equal(fx_count(texts[rules], "mqueue type=posix"), 0);
                assert_int_equal(fx_count(texts[rules], "profile mqfsd /usr/sbin/mqfsd "), 1);
                assert_int_equal(
                    fx_count(texts[rules], "  include if exists <local/usr.sbin.mqfsd>\n"), 1);
                fx_assert_compiles(&p, texts[rules], "the daemon's profile, alone");
        }
        assert_string_equal(texts[0], texts[1]);
        free(texts[0]);
        free(texts[1]);
        fx_dir_remove(d);
}

static void every_profile_compiles(void **state)
{
        (void)state;
        struct fx_dir *d;
        struct mqfs_system *sys = example(&d);
        struct mqfs_apparmor_parser p = fx_parser(d);
        int answer = mqfs_apparmor_probe_mqueue(&p);
        assert_true(answer == 0 || answer == 1);
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);

        const char *mount_points[] = {NULL, "/srv/mq-views/"};
        for (size_t m = 0; m < 2; m++) {
                struct mqfs_apparmor_options opts = {.mount_point = mount_points[m],
                                                     .mqueue_rules = answer == 1,
                                                     .origin = "example system"};
                char *all = NULL;
                for (size_t i = 0; i < sys->nsnaps; i++) {
                        const char *snap = sys->snaps[i].name;
                        char *apps = NULL, *mount = NULL, *t;
                        assert_int_equal(mqfs_apparmor_snap_profile(sys, g, snap, &opts, &apps), 0);
                        fx_assert_compiles(&p, apps, "the apps' profile");
                        char name[64];
                        snprintf(name, sizeof(name), "profile snap.%s.mqfs {", snap);
                        assert_int_equal(fx_count(apps, name), 1);
                        if (answer == 0) {
                                assert_int_equal(fx_count(apps, "  mqueue ("), 0);
                                assert_non_null(strstr(apps, "broker enforces"));
                        }
                        assert_int_equal(mqfs_apparmor_mount_profile(snap, &opts, &mount), 0);
                        fx_assert_compiles(&p, mount, "the mount helper's profile");
                        snprintf(name, sizeof(name), "%s/%s/ -> /dev/mqueue/,",
                                 m ? "/srv/mq-views" : "/run/mqfs", snap);
                        assert_int_equal(fx_count(mount, name), 1);
                        t = fx_concat(all, apps);
                        free(all);
                        all = fx_concat(t, mount);
                        free(t);
                        free(apps);
                        free(mount);
                }
                char *daemon = NULL, *t;
                assert_int_equal(mqfs_apparmor_daemon_profile(&opts, &daemon), 0);
                fx_assert_compiles(&p, daemon, "the daemon's profile");
                assert_int_equal(fx_count(daemon, "profile mqfsd /usr/local/sbin/mqfsd "), 1);
                t = fx_concat(all, daemon);
                fx_assert_compiles(&p, t, "all profiles in one file");
                free(t);
                free(daemon);
                free(all);
        }

        /* The odd but valid queue name is quoted in the view rules and still compiles. */
        char *apps = NULL;
        struct mqfs_apparmor_options opts = {.mqueue_rules = answer == 1};
        assert_int_equal(mqfs_apparmor_snap_profile(sys, g, "reader", &opts, &apps), 0);
        assert_non_null(strstr(apps, "  \"/dev/mqueue/odd name,#@'$\" r,\n"));
        fx_assert_compiles(&p, apps, "a profile with an odd queue name");
        free(apps);

        /* Rules the parser does not understand make the profile fail: the probe matters. */
        if (answer == 0) {
                opts.mqueue_rules = true;
                assert_int_equal(mqfs_apparmor_snap_profile(sys, g, "reader", &opts, &apps), 0);
                assert_int_equal(mqfs_apparmor_compile(&p, apps, NULL), -EINVAL);
                free(apps);
        }
        mqfs_grant_table_unref(g);
        mqfs_system_free(sys);
        fx_dir_remove(d);
}

int main(void)
{
        const struct CMUnitTest hand_built[] = {
            cmocka_unit_test(plug_words_follow_the_written_order),
            cmocka_unit_test(slot_and_plug_lines_are_exact),
            cmocka_unit_test(names_safe_for_rules_are_told_apart),
            cmocka_unit_test(paths_safe_for_rules_are_told_apart),
            cmocka_unit_test(unsafe_names_emit_nothing),
            cmocka_unit_test(view_rules_are_read_or_read_write),
            cmocka_unit_test(mount_rules_use_the_mount_point),
            cmocka_unit_test(probe_answer_matches_the_parser),
            cmocka_unit_test(mount_and_daemon_profiles_compile),
            cmocka_unit_test(daemon_profile_alone_pins_its_abi),
        };
        const struct CMUnitTest loaded[] = {
            cmocka_unit_test(conformance_slot_and_plug_lines),
            cmocka_unit_test(conformance_through_a_system),
            cmocka_unit_test(os_and_snapd_snaps_have_no_slot_lines),
            cmocka_unit_test(root_getattr_line_once_per_snap_with_plugs),
            cmocka_unit_test(every_profile_compiles),
        };
        int failed = cmocka_run_group_tests_name("apparmor, hand-built input", hand_built, NULL,
                                                 teardown_dirs);
        failed += cmocka_run_group_tests_name("apparmor, through the loader", loaded, setup_conf,
                                              teardown_conf);
        return failed ? 1 : 0;
}
