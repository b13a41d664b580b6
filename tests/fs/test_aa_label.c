/* test_aa_label.c — the label cross-check's pure part (every label shape against a
 * snap), and the check itself with "enabled" given: off passes without reading
 * anything; on, this kernel (no AppArmor) has no label to read, so it fails closed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "aa_label.h"
#include "log.h"

struct label_case {
        const char *label;
        const char *snap;
        bool allowed;
};

static void test_label_shapes(void **state)
{
        (void)state;
        static const struct label_case cases[] = {
            /* the snap's own apps, hooks, children and stacks */
            {"snap.a.app", "a", true},
            {"snap.a.hook.configure", "a", true},
            {"snap.a.app (enforce)", "a", true},
            {"snap.a.app (complain)\n", "a", true},
            {"snap.a.app\n", "a", true},
            {"snap.a.app//child", "a", true},
            {"snap.a_inst.app", "a_inst", true},
            {"snap.my-snap2.daemon", "my-snap2", true},
            {"snap-update-ns.a", "a", true},
            {"snap-update-ns.a (enforce)", "a", true},
            {"snap-update-ns.a//null-/usr/bin/x", "a", true},
            /* another snap's */
            {"snap.b.app", "a", false},
            {"snap.ab.x", "a", false},
            {"snap.a.x", "ab", false},
            {"snap.a_inst.app", "a", false},
            {"snap.a.hook.configure", "b", false},
            {"snap-update-ns.b", "a", false},
            {"snap-update-ns.ab", "a", false},
            {"snap-update-ns.a", "ab", false},
            {"snap.b.app (enforce)", "a", false},
            /* host tools and the unconfined */
            {"unconfined", "a", true},
            {"unconfined\n", "a", true},
            {"/usr/bin/mqfs-mount (enforce)", "a", true},
            {"mqfsd (enforce)", "a", true},
            {"snapd", "a", true},
            {"snap", "a", true},
            {"snapcraft.a.app", "a", true},
            /* malformed snap labels: refused */
            {"", "a", false},
            {" (enforce)", "a", false},
            {"\n", "a", false},
            {"snap.", "a", false},
            {"snap.a", "a", false},
            {"snap.a.", "a", false},
            {"snap.a. (enforce)", "a", false},
            {"snap..x", "a", false},
            {"snap.A.app", "A", false},
            {"snap.a/b.app", "a/b", false},
            {"snap-update-ns.", "a", false},
            {"snap-update-ns. (enforce)", "a", false},
            {"snap-update-ns.a.b", "a.b", false},
            {"snap-update-ns.a.b", "a", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                bool got = mqfs_label_allows(cases[i].label, cases[i].snap);
                if (got != cases[i].allowed)
                        fail_msg("label \"%s\" for snap %s: %s, expected %s", cases[i].label,
                                 cases[i].snap, got ? "allowed" : "refused",
                                 cases[i].allowed ? "allowed" : "refused");
        }
        assert_false(mqfs_label_allows(NULL, "a"));
        assert_false(mqfs_label_allows("snap.a.app", NULL));
}

static void test_check_off_passes(void **state)
{
        (void)state;
        /* Off: no label is read, so even a pid that cannot exist passes. */
        assert_int_equal(mqfs_aa_label_check(false, getpid(), "a", "/q", "open"), 0);
        assert_int_equal(mqfs_aa_label_check(false, 0, "a", "/q", "open"), 0);
}

static void test_check_on_fails_closed(void **state)
{
        (void)state;
        assert_int_equal(mqfs_aa_label_check(true, 0, "a", "/q", "create"), -EACCES);
        assert_int_equal(mqfs_aa_label_check(true, -1, "a", "/q", "create"), -EACCES);
        if (access("/sys/kernel/security/apparmor", F_OK) == 0)
                skip(); /* this kernel has labels: an unconfined test passes, not tested here */
        /* No AppArmor: the label cannot be read, and "enabled" (given) refuses. */
        assert_int_equal(mqfs_aa_label_check(true, getpid(), "a", "/q", "unlink"), -EACCES);
        assert_false(mqfs_aa_label_enabled());
}

int main(void)
{
        mqfs_log_open(true, false);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_label_shapes),
            cmocka_unit_test(test_check_off_passes),
            cmocka_unit_test(test_check_on_fails_closed),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        mqfs_log_close();
        return rc;
}
