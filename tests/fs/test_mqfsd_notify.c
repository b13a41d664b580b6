/* test_mqfsd_notify.c — the notifier thread's queue and shutdown (fs/notify.h).
 * Without a mounted session the kernel is never reached: libfuse refuses every
 * notification (-ENOTCONN before INIT), which the notifier counts as failed. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fuse_lowlevel.h>

#include "notify.h"

static void test_drains_then_ends(void **state)
{
        (void)state;
        char *argv[] = {"test", NULL};
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        struct fuse_lowlevel_ops ops = {0};
        struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
        assert_non_null(se);

        struct mqfs_notifier *n;
        assert_int_equal(mqfs_notifier_new(se, &n), 0);
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(mqfs_notifier_inval_entry(n, 2, "queue"), 0);
                assert_int_equal(mqfs_notifier_inval_inode(n, 3), 0);
        }
        /* Not finished: the done descriptor stays quiet. */
        struct pollfd p = {.fd = mqfs_notifier_done_fd(n), .events = POLLIN};
        assert_int_equal(poll(&p, 1, 0), 0);
        mqfs_notifier_finish(n);
        assert_int_equal(poll(&p, 1, -1), 1); /* ends once the queue is drained */
        uint64_t sent, failed;
        mqfs_notifier_stats(n, &sent, &failed);
        assert_int_equal(sent + failed, 2000);
        assert_int_equal(failed, 2000);
        /* After finish nothing more is taken. */
        assert_int_equal(mqfs_notifier_inval_inode(n, 4), -ENOSPC);
        mqfs_notifier_free(n);
        fuse_session_destroy(se);
        fuse_opt_free_args(&args);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_drains_then_ends),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
