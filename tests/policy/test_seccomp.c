/* test_seccomp.c — the posix-mq seccomp sets (SPEC §3.3): the slot set, every
 * conformance case's plug-syscalls in order, and a snap's union. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "fixture.h"
#include "perm.h"
#include "seccomp.h"

/* The calls joined by spaces, to compare whole sets in one assertion with a readable
 * failure. */
static char *joined(const char *const *calls, size_t n)
{
        char *s = fx_concat("", NULL);
        for (size_t i = 0; i < n; i++) {
                char *t;
                assert_true(asprintf(&t, "%s%s%s", s, i ? " " : "", calls[i]) > 0);
                free(s);
                s = t;
        }
        return s;
}

static char *plug_set_of(unsigned *list, size_t n, unsigned perms)
{
        char *name = "s", *path = "/q";
        struct mqfs_slot slot = {.name = name,
                                 .label = name,
                                 .paths = &path,
                                 .npaths = 1,
                                 .perms = perms,
                                 .perm_list = list,
                                 .nperm_list = n};
        const char *calls[MQFS_SECCOMP_MAX];
        size_t got = mqfs_seccomp_plug_set(&slot, calls);
        assert_true(got <= MQFS_SECCOMP_MAX);
        return joined(calls, got);
}

static void slot_set_is_the_spec_list(void **state)
{
        (void)state;
        size_t n = 0;
        while (mqfs_seccomp_slot_set[n])
                n++;
        char *s = joined(mqfs_seccomp_slot_set, n);
        assert_string_equal(s, "mq_open mq_getsetattr mq_unlink mq_notify mq_timedreceive "
                               "mq_timedreceive_time64 mq_timedsend mq_timedsend_time64");
        free(s);
}

static void plug_sets_follow_the_written_order_once_each(void **state)
{
        (void)state;
        const unsigned O = MQFS_PERM_OPEN, R = MQFS_PERM_READ, W = MQFS_PERM_WRITE,
                       C = MQFS_PERM_CREATE, D = MQFS_PERM_DELETE;
        static const char rd[] = "mq_timedreceive mq_timedreceive_time64 mq_notify";
        static const char wr[] = "mq_timedsend mq_timedsend_time64";
        struct {
                unsigned list[6];
                size_t n;
                char want[200];
        } cases[] = {
            {{0}, 0, "mq_open mq_getsetattr"},
            {{O, C}, 2, "mq_open mq_getsetattr"},
            {{R, R, W, D, D, W}, 6, ""},
            {{W, R}, 2, ""},
            {{D}, 1, "mq_open mq_getsetattr mq_unlink"},
        };
        snprintf(cases[2].want, sizeof(cases[2].want), "mq_open mq_getsetattr %s %s mq_unlink", rd,
                 wr);
        snprintf(cases[3].want, sizeof(cases[3].want), "mq_open mq_getsetattr %s %s", wr, rd);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned perms = 0;
                for (size_t k = 0; k < cases[i].n; k++)
                        perms |= cases[i].list[k];
                char *got = plug_set_of(cases[i].list, cases[i].n, perms);
                assert_string_equal(got, cases[i].want);
                free(got);
        }
        /* A slot built without the written order: canonical order. */
        char *got = plug_set_of(NULL, 0, D | W | R);
        char want[200];
        snprintf(want, sizeof(want), "mq_open mq_getsetattr %s %s mq_unlink", rd, wr);
        assert_string_equal(got, want);
        free(got);
}

static void conformance_plug_syscalls(void **state)
{
        struct mqfs_conf *conf = NULL;
        char *error = NULL;
        int rc = mqfs_conf_load(mqfs_conf_default_path(), &conf, &error);
        if (rc)
                fail_msg("cannot load the conformance cases: %s", error ? error : strerror(-rc));
        (void)state;
        size_t checked = 0;
        for (size_t i = 0; i < conf->ncases; i++) {
                const struct mqfs_conf_case *c = &conf->cases[i];
                if (!c->valid || !c->has_plug_syscalls)
                        continue;
                struct mqfs_snap_yaml *y = NULL;
                rc = mqfs_snap_yaml_parse(c->snap_yaml, c->snap_yaml_len, c->name, &y, &error);
                if (rc)
                        fail_msg("case %s: %s", c->name, error ? error : strerror(-rc));
                assert_int_equal(y->nslots, 1);
                const char *calls[MQFS_SECCOMP_MAX];
                size_t n = mqfs_seccomp_plug_set(&y->slots[0], calls);
                char *got = joined(calls, n);
                char *want = joined((const char *const *)c->plug_syscalls, c->nplug_syscalls);
                if (strcmp(got, want) != 0)
                        fail_msg("case %s: got [%s], want [%s]", c->name, got, want);
                free(got);
                free(want);
                mqfs_snap_yaml_free(y);
                checked++;
        }
        assert_true(checked >= 4); /* every case that lists plug-syscalls */
        mqfs_conf_free(conf);
}

static const char provider_yaml[] =
    "name: provider\n"
    "slots:\n"
    "  jobs: {interface: posix-mq, path: /jobs, permissions: [write, delete]}\n"
    "  events: {interface: posix-mq, path: /events, permissions: [read]}\n"
    "plugs:\n"
    "  own: {interface: posix-mq, posix-mq: events}\n";
static const char consumer_yaml[] = "name: consumer\n"
                                    "plugs:\n"
                                    "  jobs: {interface: posix-mq}\n"
                                    "  events: {interface: posix-mq}\n";
static const char reader_yaml[] = "name: reader\n"
                                  "plugs:\n"
                                  "  events: {interface: posix-mq}\n"
                                  "  nothing: {interface: posix-mq}\n";
static const char system_yaml[] =
    "snaps:\n"
    "  - {name: provider, publisher: acme, slots-allowed: true, snap-yaml: provider.yaml}\n"
    "  - {name: consumer, publisher: acme, snap-yaml: consumer.yaml}\n"
    "  - {name: reader, publisher: acme, snap-yaml: reader.yaml}\n"
    "  - name: loner\n"
    "    snap-yaml-inline: {name: loner}\n";

static void snap_rules_are_the_union_one_per_line(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        fx_write(d, "provider.yaml", provider_yaml);
        fx_write(d, "consumer.yaml", consumer_yaml);
        fx_write(d, "reader.yaml", reader_yaml);
        struct mqfs_system *sys = fx_load_system(d, system_yaml);
        static const struct {
                const char *snap, *want;
        } cases[] = {
            /* The slot set covers its own plug's calls: nothing added. */
            {"provider", "mq_open\nmq_getsetattr\nmq_unlink\nmq_notify\nmq_timedreceive\n"
                         "mq_timedreceive_time64\nmq_timedsend\nmq_timedsend_time64\n"},
            /* Plugs in name order (events, then jobs), each call once. */
            {"consumer", "mq_open\nmq_getsetattr\nmq_timedreceive\nmq_timedreceive_time64\n"
                         "mq_notify\nmq_timedsend\nmq_timedsend_time64\nmq_unlink\n"},
            {"reader", "mq_open\nmq_getsetattr\nmq_timedreceive\nmq_timedreceive_time64\n"
                       "mq_notify\n"},
            {"loner", ""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = NULL;
                assert_int_equal(mqfs_seccomp_snap_rules(sys, cases[i].snap, &out), 0);
                if (strcmp(out, cases[i].want) != 0)
                        fail_msg("%s:\n%s\nwanted\n%s", cases[i].snap, out, cases[i].want);
                free(out);
        }
        char *out = NULL;
        assert_int_equal(mqfs_seccomp_snap_rules(sys, "stranger", &out), -ENOENT);
        assert_null(out);
        mqfs_system_free(sys);
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
            cmocka_unit_test(slot_set_is_the_spec_list),
            cmocka_unit_test(plug_sets_follow_the_written_order_once_each),
            cmocka_unit_test(conformance_plug_syscalls),
            cmocka_unit_test(snap_rules_are_the_union_one_per_line),
        };
        return cmocka_run_group_tests_name("seccomp", tests, NULL, teardown_dirs);
}
