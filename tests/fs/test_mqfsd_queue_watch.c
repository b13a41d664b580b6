/* test_mqfsd_queue_watch.c — queues created and removed in the backing mount are
 * reported (fs/queue_watch.h). Root: runs in a private IPC namespace of its own. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backing.h"
#include "queue_watch.h"

struct seen {
        char lines[8][300];
        int n;
};

static void record(void *ctx, enum mqfs_queue_event ev, const char *name)
{
        struct seen *s = ctx;
        if (s->n < 8)
                snprintf(s->lines[s->n++], 300, "%s %s",
                         ev == MQFS_QUEUE_CREATED   ? "created"
                         : ev == MQFS_QUEUE_DELETED ? "deleted"
                                                    : "lost",
                         name ? name : "-");
}

static void test_create_and_unlink_are_seen(void **state)
{
        (void)state;
        int dirfd = mqfs_backing_open();
        assert_true(dirfd >= 0);
        struct mqfs_queue_watch *w;
        assert_int_equal(mqfs_queue_watch_new(dirfd, &w), 0);
        struct seen s = {.n = 0};
        mqfs_queue_watch_read(w, record, &s);
        assert_int_equal(s.n, 0);

        struct mq_attr attr = {.mq_maxmsg = 2, .mq_msgsize = 16};
        mqd_t q = mq_open("/watched", O_CREAT | O_RDWR | O_CLOEXEC, 0600, &attr);
        assert_true(q != (mqd_t)-1);
        assert_int_equal(mq_send(q, "x", 1, 0), 0); /* not an event */
        mq_close(q);
        assert_int_equal(mq_unlink("/watched"), 0);
        mqfs_queue_watch_read(w, record, &s);
        assert_int_equal(s.n, 2);
        assert_string_equal(s.lines[0], "created /watched");
        assert_string_equal(s.lines[1], "deleted /watched");
        mqfs_queue_watch_free(w);
        close(dirfd);
}

int main(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "test_mqfsd_queue_watch: must run as root (it mounts an "
                                "mqueue instance in a private IPC namespace)\n");
                return 1;
        }
        if (unshare(CLONE_NEWIPC) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWIPC): %s\n", strerror(errno));
                return 1;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_create_and_unlink_are_seen),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
