/* test_e2e_aa_labels.c — the daemon's AppArmor label check is wired where aa_label.h
 * says: open, create and unlink in a view, not stat or listing.
 *
 * This kernel has no AppArmor, so the real check (a snap.OTHER.* label refused) cannot
 * run here. MQFS_AA_LABELS=check makes the real mqfsd check anyway; no label can then be
 * read and the check fails closed, which shows which operations pass through it. The
 * same calls then succeed with a daemon started without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e_harness.h"

static const char *const SYSTEM = "snaps:\n"
                                  "  - name: alpha\n"
                                  "    snap-yaml-inline:\n"
                                  "      name: alpha\n"
                                  "      slots:\n"
                                  "        jobs: {interface: posix-mq, path: /a-jobs}\n"
                                  "        more: {interface: posix-mq, path: /a-new}\n";

#define QUEUE E2E_ROOT "/alpha/a-jobs"
#define FRESH E2E_ROOT "/alpha/a-new"
#define DENY  "AppArmor label cannot be read"

static void expect(enum e2e_op op, const char *path, int want, const char *what)
{
        struct e2e_result r = e2e_on_host(0, 0, op, path, "m");
        if (r.open_err != want || r.io_err != 0)
                fail_msg("%s %s: got %s, then %s; expected %s", what, path,
                         r.open_err ? strerror(r.open_err) : "ok",
                         r.io_err ? strerror(r.io_err) : "ok", want ? strerror(want) : "ok");
}

static void stop_daemon(void)
{
        assert_int_equal(e2e_daemon_stop_clean(), 0);
}

static void checked_operations_are_refused_without_a_label(void **state)
{
        (void)state;
        assert_int_equal(setenv("MQFS_AA_LABELS", "check", 1), 0);
        int started = e2e_daemon_start();
        unsetenv("MQFS_AA_LABELS");
        assert_int_equal(started, 0);
        assert_int_equal(e2e_log_count("MQFS_AA_LABELS=check: callers' labels are checked"), 1);
        assert_int_equal(e2e_hq_create("a-jobs", 0666), 0);
        assert_int_equal(e2e_hq_send("a-jobs", "kept", 4), 0);

        /* Not checked: stat and listing. */
        expect(E2E_STAT, QUEUE, 0, "stat");
        struct e2e_result r = e2e_on_host(0, 0, E2E_LIST, E2E_ROOT "/alpha", NULL);
        assert_int_equal(r.open_err, 0);
        assert_string_equal(r.text, "a-jobs");

        /* Checked: each refused, and each refusal logged. */
        int before = e2e_log_count(DENY);
        expect(E2E_STATUS, QUEUE, EACCES, "open for reading");
        expect(E2E_SEND, QUEUE, EACCES, "open for writing");
        expect(E2E_TOUCH, FRESH, EACCES, "create");
        expect(E2E_UNLINK, QUEUE, EACCES, "unlink");
        assert_int_equal(e2e_log_count(DENY), before + 4);
        assert_int_equal(e2e_hq_count("a-new"), -ENOENT); /* not created */
        assert_int_equal(e2e_hq_count("a-jobs"), 1);      /* not removed, message kept */
        stop_daemon();

        /* Without the check, the same calls work. */
        assert_int_equal(e2e_daemon_start(), 0);
        before = e2e_log_count(DENY);
        expect(E2E_STATUS, QUEUE, 0, "open for reading");
        expect(E2E_TOUCH, FRESH, 0, "create");
        expect(E2E_UNLINK, FRESH, 0, "unlink");
        assert_int_equal(e2e_log_count(DENY), before);
        assert_int_equal(e2e_hq_count("a-new"), -ENOENT);
        stop_daemon();
}

static int world_setup(void **state)
{
        (void)state;
        return e2e_system_write(SYSTEM) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(checked_operations_are_refused_without_a_label),
        };
        return e2e_run_group("test_e2e_aa_labels", tests, sizeof(tests) / sizeof(tests[0]),
                             world_setup, NULL);
}
