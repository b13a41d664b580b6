/* test_judge.c — the broker as the one judge (SPEC §4): every operation reads the grant
 * table once, judges the access mode of an open for every caller (root included), and
 * answers with the verdict a front end logs. Real queues in private IPC and mount
 * namespaces (testns.c). */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker.h"
#include "grants.h"
#include "perm.h"
#include "testns.h"

enum {
        O = MQFS_PERM_OPEN,
        R = MQFS_PERM_READ,
        W = MQFS_PERM_WRITE,
        C = MQFS_PERM_CREATE,
        D = MQFS_PERM_DELETE,
        ALL = MQFS_PERM_ALL,
};

static const struct mqfs_caller ROOT = {.uid = 0, .gid = 0, .pid = 1};
static const struct mq_attr SMALL = {.mq_maxmsg = 4, .mq_msgsize = 64};

static struct mqfs_broker *broker;
static struct mqfs_grant_table *grants; /* the table installed, one reference of ours */

static void install(const char *snap, const char *queue, unsigned perms)
{
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, snap, queue, perms), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        mqfs_grant_table_unref(grants);
        grants = mqfs_grant_table_ref(g);
        mqfs_broker_set_grant_table(broker, g);
}

static int setup(void **state)
{
        (void)state;
        return mqfs_test_broker_new(&broker) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        mqfs_broker_free(broker);
        broker = NULL;
        mqfs_grant_table_unref(grants);
        grants = NULL;
        mqfs_test_remove_all_queues();
        return 0;
}

static void make_queue(const char *name, mode_t mode)
{
        assert_int_equal(mqfs_test_make_queue(name, mode, &SMALL), 0);
}
static int try_open(const char *snap, const struct mqfs_caller *c, const char *name, int oflag,
                    unsigned options)
{
        struct mqfs_open_req req = {.snap = snap,
                                    .caller = c,
                                    .name = name,
                                    .oflag = oflag,
                                    .mode = 0600,
                                    .attr = &SMALL,
                                    .options = options};
        struct mqfs_handle *h = NULL;
        int err = mqfs_broker_open_req(broker, &req, &h, NULL);
        mqfs_handle_close(h);
        return err;
}

/* The door's open (always judges the access mode, also on create). */
static int open_fd(const struct mqfs_open_req *req)
{
        return mqfs_broker_open_fd(broker, req->snap, req->caller, req->name, req->oflag, req->mode,
                                   req->attr);
}

/* Issue 15's finding: a root caller with a read-only grant could open for writing and
 * was refused only at write(). The grant is judged at open, for every caller. */
static void root_is_judged_at_open(void **state)
{
        (void)state;
        make_queue("/ro", 0666);
        install("s", "/ro", R);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_WRONLY, 0), -EACCES);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_RDWR, 0), -EACCES);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_RDONLY, 0), 0);
        /* A truncation asks for writing, also with O_RDONLY. */
        assert_int_equal(try_open("s", &ROOT, "/ro", O_RDONLY, MQFS_OPEN_TRUNC), -EACCES);
        install("s", "/ro", W);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_RDONLY, 0), -EACCES);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_WRONLY, 0), 0);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_WRONLY | O_CREAT, 0), 0);
        /* Open alone: neither. */
        install("s", "/ro", O);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_RDONLY, 0), -EACCES);
        assert_int_equal(try_open("s", &ROOT, "/ro", O_WRONLY, 0), -EACCES);
}

/* Through a file (touch), creating needs only create; the handle then does only what
 * the grant allows. The door's option judges the access mode on create too. */
static void create_needs_create_and_the_door_also_the_mode(void **state)
{
        (void)state;
        install("s", "/c", C);
        struct mqfs_open_req req = {.snap = "s",
                                    .caller = &ROOT,
                                    .name = "/c",
                                    .oflag = O_WRONLY | O_CREAT,
                                    .mode = 0600,
                                    .attr = &SMALL};
        struct mqfs_handle *h = NULL;
        assert_int_equal(mqfs_broker_open_req(broker, &req, &h, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), -EACCES);
        mqfs_handle_close(h);
        /* It exists now: opening it again is an open, judged by its access mode. */
        assert_int_equal(try_open("s", &ROOT, "/c", O_WRONLY | O_CREAT, 0), -EACCES);
        assert_int_equal(mqfs_test_kernel_unlink_as(&ROOT, "/c"), 0);
        /* The door's descriptor bypasses the broker: the mode is judged on create. */
        req.options = MQFS_OPEN_JUDGE_CREATE;
        assert_int_equal(mqfs_broker_open_req(broker, &req, &h, NULL), -EACCES);
        assert_null(h);
        assert_int_equal(open_fd(&req), -EACCES);
        assert_int_equal(mqfs_test_kernel_unlink_as(&ROOT, "/c"), -ENOENT); /* nothing was made */
        install("s", "/c", C | W);
        int fd = open_fd(&req);
        assert_true(fd >= 0);
        close(fd);
}

/* The door's descriptor has the caller's exact flags: blocking unless asked, and
 * close-on-exec; the handle's is always non-blocking. */
static void the_doors_descriptor_keeps_the_callers_flags(void **state)
{
        (void)state;
        make_queue("/d", 0666);
        install("s", "/d", R | W);
        struct mqfs_open_req req = {.snap = "s", .caller = &ROOT, .name = "/d", .oflag = O_RDWR};
        int fd = open_fd(&req);
        assert_true(fd >= 0);
        int fl = fcntl(fd, F_GETFL);
        assert_int_equal(fl & O_NONBLOCK, 0);
        assert_int_equal(fl & O_ACCMODE, O_RDWR);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        close(fd);
        req.oflag = O_RDONLY | O_NONBLOCK;
        fd = open_fd(&req);
        assert_true(fd >= 0);
        fl = fcntl(fd, F_GETFL);
        assert_int_equal(fl & O_NONBLOCK, O_NONBLOCK);
        assert_int_equal(fl & O_ACCMODE, O_RDONLY);
        close(fd);
        /* Ungranted: not there, as for every open. */
        req.snap = "t";
        assert_int_equal(open_fd(&req), -ENOENT);
}

/* The verdict says why, so that a front end logs without asking the table itself. */
static void the_verdict_says_why(void **state)
{
        (void)state;
        make_queue("/v", 0600);
        install("s", "/v", R);
        struct mqfs_verdict v;
        struct mqfs_caller alice = {.uid = 4242, .gid = 4343, .pid = 2, .verdict = &v};
        struct mqfs_caller root = ROOT;
        root.verdict = &v;

        assert_int_equal(try_open("t", &root, "/v", O_RDONLY, 0), -ENOENT);
        assert_int_equal(v.perms, 0);
        assert_string_equal(v.denial, "no grant for this queue");
        assert_int_equal(try_open("s", &root, "/v", O_WRONLY, 0), -EACCES);
        assert_int_equal(v.perms, O | R);
        assert_string_equal(v.denial, "the grant does not include write");
        assert_int_equal(try_open("s", &alice, "/v", O_RDONLY, 0), -EACCES);
        assert_string_equal(v.denial, "refused by the queue's owner and mode");
        assert_int_equal(try_open("s", &root, "/v", O_RDONLY, 0), 0);
        assert_string_equal(v.denial, "");
        assert_int_equal(mqfs_broker_unlink(broker, "s", &root, "/v"), -EACCES);
        assert_string_equal(v.denial, "the grant does not include delete");
        assert_int_equal(mqfs_broker_chmod(broker, "s", &alice, "/v", 0644), -EACCES);
        assert_string_equal(v.denial, "the grant does not include write");
        install("s", "/v", W);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &alice, "/v", 0644), -EPERM);
        assert_string_equal(v.denial, "the caller does not own the queue");
        install("s", "/gone", ALL);
        assert_int_equal(try_open("s", &root, "/gone", O_RDONLY, 0), -ENOENT);
        assert_string_equal(v.denial, ""); /* granted but missing: not a denial */
        assert_string_equal(mqfs_handle_denial(-ENOENT, W), "no grant for this queue");
        assert_string_equal(mqfs_handle_denial(-EACCES, W), "the grant does not include write");
        assert_null(mqfs_handle_denial(-EAGAIN, W));
}

/* One lookup in the grant table per operation, whatever it judges. */
static void each_operation_reads_the_grant_table_once(void **state)
{
        (void)state;
        make_queue("/n", 0666);
        install("s", "/n", ALL);
        char buf[MQFS_STATUS_MAX];
        struct stat st;
        struct mq_attr a;
        short ev, can;
        struct mqfs_handle *h = NULL;
        struct mqfs_change change = {.what = MQFS_CHANGE_MODE | MQFS_CHANGE_SIZE, .mode = 0644};
        struct mqfs_open_req create = {.snap = "s",
                                       .caller = &ROOT,
                                       .name = "/new",
                                       .oflag = O_RDWR | O_CREAT,
                                       .mode = 0600,
                                       .attr = &SMALL};
        int fd = -1;
        struct mqfs_handle *hc = NULL;
        install("s", "/new", ALL);
        /* "/n" and "/new" in one table. */
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/n", ALL), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/new", ALL), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        mqfs_grant_table_unref(grants);
        grants = mqfs_grant_table_ref(g);
        mqfs_broker_set_grant_table(broker, g);

#define ONCE(call) MQFS_TEST_ONE_LOOKUP(grants, call)

        ONCE(assert_int_equal(mqfs_broker_open(broker, "s", &ROOT, "/n", O_RDWR, 0, NULL, &h), 0));
        ONCE(assert_int_equal(mqfs_broker_stat(broker, "s", &ROOT, "/n", &st), 0));
        ONCE(assert_int_equal(mqfs_broker_stat(broker, "s", &ROOT, "/missing", &st), -ENOENT));
        ONCE(assert_true(mqfs_broker_status(broker, "s", &ROOT, "/n", buf, sizeof(buf)) > 0));
        ONCE(assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/n", R_OK | W_OK), 0));
        ONCE(assert_int_equal(mqfs_broker_chmod(broker, "s", &ROOT, "/n", 0666), 0));
        ONCE(assert_int_equal(mqfs_broker_chown(broker, "s", &ROOT, "/n", 0, 0), 0));
        ONCE(assert_int_equal(mqfs_broker_change(broker, "s", &ROOT, "/n", &change, &st), 0));
        ONCE(assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), 0));
        ONCE(assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), 1));
        ONCE(assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0));
        ONCE(assert_int_equal(mqfs_broker_poll(broker, h, &ev, &can), 0));
        ONCE(assert_true(mqfs_broker_handle_status(broker, h, buf, sizeof(buf)) > 0));
        ONCE(assert_int_equal(mqfs_broker_handle_stat(broker, h, &st), 0));
        ONCE(assert_int_equal(mqfs_broker_open_req(broker, &create, &hc, &st), 0));
        ONCE(assert_int_equal(mqfs_broker_unlink(broker, "s", &ROOT, "/new"), 0));
        ONCE(assert_true((fd = open_fd(&create)) >= 0));
        ONCE(assert_true(mqfs_broker_snap_installed(broker, "s")));
        ONCE(assert_int_equal(mqfs_broker_unlink(broker, "s", &ROOT, "/n"), 0));
#undef ONCE
        close(fd);
        mqfs_handle_close(hc);
        mqfs_handle_close(h);
}

int main(void)
{
        mqfs_test_private_world();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(root_is_judged_at_open, setup, teardown),
            cmocka_unit_test_setup_teardown(create_needs_create_and_the_door_also_the_mode, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(the_doors_descriptor_keeps_the_callers_flags, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(the_verdict_says_why, setup, teardown),
            cmocka_unit_test_setup_teardown(each_operation_reads_the_grant_table_once, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
