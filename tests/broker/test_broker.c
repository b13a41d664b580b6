/* Broker tests on real queues, inside private IPC and mount namespaces (testns.h).
 * Where the kernel's own answer is the reference, the test asks the kernel too: a child
 * process with the caller's credentials, or the kernel's mqueue mount. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "broker.h"
#include "creds.h"
#include "grants.h"
#include "msgq_rlimit.h"
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

static const gid_t alice_groups[] = {4343, 5000};
static const struct mqfs_caller ROOT = {.uid = 0, .gid = 0, .pid = 1};
static const struct mqfs_caller ALICE = {
    .uid = 4242, .gid = 4343, .pid = 2, .ngroups = 2, .groups = alice_groups};
static const struct mqfs_caller BOB = {.uid = 4244, .gid = 4345, .pid = 3};

/* Small queues: RLIMIT_MSGQUEUE (800 KiB per uid) is shared with everything else. */
static const struct mq_attr SMALL = {.mq_maxmsg = 4, .mq_msgsize = 64};

static struct mqfs_broker *broker;

/* A frozen table from (snap, queue, perms) triples, ended by NULL. */
static struct mqfs_grant_table *table(const char *snap, ...)
{
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        va_list ap;
        va_start(ap, snap);
        for (const char *s = snap; s != NULL; s = va_arg(ap, const char *)) {
                const char *queue = va_arg(ap, const char *);
                unsigned perms = va_arg(ap, unsigned);
                assert_int_equal(mqfs_grant_table_add(g, s, queue, perms), 0);
        }
        va_end(ap);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        return g;
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
        mqfs_test_remove_all_queues();
        umask(022);
        /* A test that failed halfway may have left the mqueue root closed to others. */
        if (chown(mqfs_test_kernel_dir, 0, 0) != 0 || chmod(mqfs_test_kernel_dir, 01777) != 0)
                return -1;
        return 0;
}

/* A queue made directly by the test (as root), outside any view. */
static void make_queue(const char *name, mode_t mode)
{
        assert_int_equal(mqfs_test_make_queue(name, mode, &SMALL), 0);
}
static struct mqfs_handle *open_ok(const char *snap, const struct mqfs_caller *caller,
                                   const char *name, int oflag)
{
        struct mqfs_handle *h = NULL;
        assert_int_equal(mqfs_broker_open(broker, snap, caller, name, oflag, 0600, &SMALL, &h), 0);
        assert_non_null(h);
        return h;
}

static int try_open(const char *snap, const struct mqfs_caller *caller, const char *name, int oflag)
{
        struct mqfs_handle *h = NULL;
        int err = mqfs_broker_open(broker, snap, caller, name, oflag, 0600, &SMALL, &h);
        if (err == 0) {
                assert_non_null(h);
                mqfs_handle_close(h);
        } else {
                assert_null(h);
        }
        return err;
}

static void names_are_checked_like_the_kernel(void **state)
{
        (void)state;
        char longest[258], too_long[259];
        longest[0] = too_long[0] = '/';
        memset(longest + 1, 'a', 255);
        longest[256] = '\0';
        memset(too_long + 1, 'b', 256);
        too_long[257] = '\0';
        mqfs_broker_set_grant_table(broker, table("s", longest, ALL, NULL));

        assert_int_equal(try_open("s", &ALICE, "noslash", O_RDWR | O_CREAT), -EINVAL);
        assert_int_equal(try_open("s", &ALICE, too_long, O_RDWR | O_CREAT), -ENAMETOOLONG);
        assert_int_equal(try_open("s", &ALICE, "/a/b", O_RDWR | O_CREAT), -EACCES);
        assert_int_equal(try_open("s", &ALICE, "/..", O_RDWR), -EACCES);
        /* The kernel says the same for the same names. */
        assert_int_equal(
            mqfs_test_kernel_open_as(&ALICE, "noslash", O_RDWR | O_CREAT, 0600, &SMALL), -EINVAL);
        assert_int_equal(mqfs_test_kernel_open_as(&ALICE, too_long, O_RDWR | O_CREAT, 0600, &SMALL),
                         -ENAMETOOLONG);
        assert_int_equal(mqfs_test_kernel_open_as(&ALICE, "/a/b", O_RDWR | O_CREAT, 0600, &SMALL),
                         -EACCES);
        /* 255 characters are fine. */
        assert_int_equal(try_open("s", &ALICE, longest, O_RDWR | O_CREAT), 0);
        assert_int_equal(mqfs_broker_unlink(broker, "s", &ALICE, too_long), -ENAMETOOLONG);
        struct stat st;
        assert_int_equal(mqfs_broker_stat(broker, "s", &ALICE, "bad", &st), -EINVAL);
}

static void ungranted_queues_do_not_exist(void **state)
{
        (void)state;
        make_queue("/secret", 0666);
        mqfs_broker_set_grant_table(broker, table("s", "/other", ALL, NULL));
        char buf[MQFS_STATUS_MAX];
        struct stat st;
        const char *names[] = {"/secret", "/nothere"};
        for (size_t i = 0; i < 2; i++) {
                const char *n = names[i];
                assert_int_equal(try_open("s", &ALICE, n, O_RDONLY), -ENOENT);
                assert_int_equal(try_open("s", &ROOT, n, O_RDWR), -ENOENT);
                assert_int_equal(try_open("s", &ALICE, n, O_RDWR | O_CREAT), -EACCES);
                assert_int_equal(try_open("s", &ALICE, n, O_RDWR | O_CREAT | O_EXCL), -EACCES);
                assert_int_equal(mqfs_broker_unlink(broker, "s", &ROOT, n), -ENOENT);
                assert_int_equal(mqfs_broker_status(broker, "s", &ROOT, n, buf, sizeof(buf)),
                                 -ENOENT);
                assert_int_equal(mqfs_broker_stat(broker, "s", &ROOT, n, &st), -ENOENT);
                assert_int_equal(mqfs_broker_chmod(broker, "s", &ROOT, n, 0600), -ENOENT);
                assert_int_equal(mqfs_broker_chown(broker, "s", &ROOT, n, 0, 0), -ENOENT);
                /* Unknown snaps see nothing either. */
                assert_int_equal(try_open("ghost", &ROOT, n, O_RDWR), -ENOENT);
        }
        /* No grants at all. */
        mqfs_broker_set_grant_table(broker, NULL);
        assert_int_equal(try_open("s", &ROOT, "/secret", O_RDWR), -ENOENT);
        assert_int_equal(mqfs_test_kernel_stat("/secret", &st), 0); /* untouched */
}

static void granted_but_missing_queues_are_enoent(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/gone", ALL, NULL));
        char buf[MQFS_STATUS_MAX];
        struct stat st;
        assert_int_equal(try_open("s", &ALICE, "/gone", O_RDWR), -ENOENT);
        assert_int_equal(mqfs_broker_unlink(broker, "s", &ALICE, "/gone"), -ENOENT);
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/gone", buf, sizeof(buf)),
                         -ENOENT);
        assert_int_equal(mqfs_broker_stat(broker, "s", &ALICE, "/gone", &st), -ENOENT);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &ALICE, "/gone", 0600), -ENOENT);
}

static void creating_needs_the_create_grant(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/q", O | R | W, "maker", "/q", ALL, NULL));
        assert_int_equal(try_open("s", &ALICE, "/q", O_RDWR | O_CREAT), -EACCES);
        assert_int_equal(mqfs_test_kernel_stat("/q", &(struct stat){0}), -ENOENT);
        assert_int_equal(try_open("maker", &ALICE, "/q", O_RDWR | O_CREAT | O_EXCL), 0);
        assert_int_equal(try_open("maker", &ALICE, "/q", O_RDWR | O_CREAT | O_EXCL), -EEXIST);
        /* O_CREAT on an existing queue is an open: no create grant needed ... */
        assert_int_equal(try_open("s", &ALICE, "/q", O_RDWR | O_CREAT), 0);
        /* ... but O_EXCL asks to create, which s may not. */
        assert_int_equal(try_open("s", &ALICE, "/q", O_RDWR | O_CREAT | O_EXCL), -EACCES);
}

static void a_created_queue_belongs_to_the_caller(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/mine", ALL, "s", "/dflt", ALL, NULL));
        umask(077); /* the daemon's umask must not leak into the caller's mode */
        struct mqfs_handle *h = NULL;
        assert_int_equal(
            mqfs_broker_open(broker, "s", &ALICE, "/mine", O_RDWR | O_CREAT, 0664, &SMALL, &h), 0);
        struct stat st;
        assert_int_equal(mqfs_test_kernel_stat("/mine", &st), 0);
        assert_int_equal(st.st_uid, ALICE.uid);
        assert_int_equal(st.st_gid, ALICE.gid);
        assert_int_equal(st.st_mode & 07777, 0664);
        struct mq_attr a;
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_maxmsg, SMALL.mq_maxmsg);
        assert_int_equal(a.mq_msgsize, SMALL.mq_msgsize);
        assert_int_equal(a.mq_curmsgs, 0);
        mqfs_handle_close(h);

        /* attr NULL: the kernel's defaults of this IPC namespace. */
        assert_int_equal(
            mqfs_broker_open(broker, "s", &BOB, "/dflt", O_WRONLY | O_CREAT, 0600, NULL, &h), 0);
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_maxmsg, mqfs_test_read_sysctl("msg_default"));
        assert_int_equal(a.mq_msgsize, mqfs_test_read_sysctl("msgsize_default"));
        assert_int_equal(mqfs_test_kernel_stat("/dflt", &st), 0);
        assert_int_equal(st.st_uid, BOB.uid);
        assert_int_equal(st.st_gid, BOB.gid);
        mqfs_handle_close(h);
}

static void send_and_receive_keep_priorities(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/p", ALL, NULL));
        struct mqfs_handle *h = open_ok("s", &ALICE, "/p", O_RDWR | O_CREAT);
        assert_int_equal(mqfs_broker_send(broker, h, "low", 3, 1, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "high!", 5, 9, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "", 0, 1, NULL), 0);
        char buf[64];
        unsigned prio = 0;
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), &prio, NULL), 5);
        assert_memory_equal(buf, "high!", 5);
        assert_int_equal(prio, 9);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), &prio, NULL), 3);
        assert_memory_equal(buf, "low", 3);
        assert_int_equal(prio, 1);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "x", 1, 32768, NULL), -EINVAL);
        mqfs_handle_close(h);
}

/* Every operation, once with only "open" and once with what it needs. */
static void each_operation_needs_its_permission(void **state)
{
        (void)state;
        make_queue("/q", 0666);
        /* Opening for reading and writing needs both grants (judged at open, SPEC §4):
         * the handles are opened under them, then the grants narrow, and every handle
         * operation is judged afresh. */
        mqfs_broker_set_grant_table(
            broker, table("o", "/q", R | W, "r", "/q", R | W, "w", "/q", R | W, NULL));
        struct mqfs_handle *ho = open_ok("o", &ALICE, "/q", O_RDWR);
        struct mqfs_handle *hr = open_ok("r", &ALICE, "/q", O_RDWR);
        struct mqfs_handle *hw = open_ok("w", &ALICE, "/q", O_RDWR);
        mqfs_broker_set_grant_table(
            broker, table("o", "/q", O, "r", "/q", R, "w", "/q", W, "d", "/q", D, NULL));
        char buf[64];
        struct mq_attr a;
        struct stat st;
        short ev;

        assert_int_equal(mqfs_broker_send(broker, ho, "m", 1, 0, NULL), -EACCES);
        assert_int_equal(mqfs_broker_send(broker, hr, "m", 1, 0, NULL), -EACCES);
        assert_int_equal(mqfs_broker_send(broker, hw, "m", 1, 0, NULL), 0);
        assert_int_equal(mqfs_broker_receive(broker, ho, buf, sizeof(buf), NULL, NULL), -EACCES);
        assert_int_equal(mqfs_broker_receive(broker, hw, buf, sizeof(buf), NULL, NULL), -EACCES);
        assert_int_equal(mqfs_broker_receive(broker, hr, buf, sizeof(buf), NULL, NULL), 1);
        /* Any grant: attributes, readiness, status, stat. */
        assert_int_equal(mqfs_broker_getattr(broker, ho, &a), 0);
        assert_int_equal(mqfs_broker_setattr(broker, ho, &(struct mq_attr){0}, NULL), 0);
        assert_int_equal(mqfs_broker_ready(broker, ho, &ev), 0);
        assert_int_equal(mqfs_broker_status(broker, "o", &ALICE, "/q", buf, sizeof(buf)), 60);
        assert_int_equal(mqfs_broker_stat(broker, "o", &ALICE, "/q", &st), 0);
        /* chmod/chown: write (and ownership: root here). */
        assert_int_equal(mqfs_broker_chmod(broker, "o", &ROOT, "/q", 0644), -EACCES);
        assert_int_equal(mqfs_broker_chown(broker, "r", &ROOT, "/q", 1, 1), -EACCES);
        assert_int_equal(mqfs_broker_chmod(broker, "w", &ROOT, "/q", 0644), 0);
        assert_int_equal(mqfs_broker_chown(broker, "w", &ROOT, "/q", 4242, 4343), 0);
        /* unlink: delete. */
        assert_int_equal(mqfs_broker_unlink(broker, "o", &ROOT, "/q"), -EACCES);
        assert_int_equal(mqfs_broker_unlink(broker, "w", &ROOT, "/q"), -EACCES);
        assert_int_equal(mqfs_broker_unlink(broker, "d", &ROOT, "/q"), 0);
        assert_int_equal(mqfs_test_kernel_stat("/q", &st), -ENOENT);
        mqfs_handle_close(ho);
        mqfs_handle_close(hr);
        mqfs_handle_close(hw);
}

/* access(2) through the broker: the grant first (read for R_OK, write for W_OK), then
 * the kernel's own judgement of the caller against the real queue. */
static void access_is_the_grant_then_the_kernels_judgement(void **state)
{
        (void)state;
        make_queue("/a600", 0600);
        make_queue("/a644", 0644);
        make_queue("/a666", 0666);
        mqfs_broker_set_grant_table(broker,
                                    table("s", "/a600", ALL, "s", "/a644", ALL, "s", "/a666",
                                          MQFS_PERM_READ, "s", "/gone", ALL, NULL));
        assert_int_equal(mqfs_broker_access(broker, "s", &ALICE, "/a644", R_OK), 0);
        assert_int_equal(mqfs_broker_access(broker, "s", &ALICE, "/a644", W_OK), -EACCES);
        assert_int_equal(mqfs_broker_access(broker, "s", &ALICE, "/a600", F_OK), 0);
        assert_int_equal(mqfs_broker_access(broker, "s", &ALICE, "/a600", R_OK), -EACCES);
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/a600", R_OK | W_OK), 0);
        /* The grant narrows what the mode allows, for root too. */
        assert_int_equal(mqfs_broker_access(broker, "s", &BOB, "/a666", R_OK), 0);
        assert_int_equal(mqfs_broker_access(broker, "s", &BOB, "/a666", W_OK), -EACCES);
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/a666", W_OK), -EACCES);
        /* No execute bit, no execute, even for root. */
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/a600", X_OK), -EACCES);
        /* Ungranted or missing: not there; other bits: invalid. */
        assert_int_equal(mqfs_broker_access(broker, "t", &ROOT, "/a600", F_OK), -ENOENT);
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/gone", F_OK), -ENOENT);
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/a600", 8), -EINVAL);
        assert_int_equal(mqfs_broker_access(broker, "s", &ROOT, "/../x", F_OK), -EACCES);
}

/* The queue's own bits apply to a non-root caller exactly as the kernel applies them. */
static void queue_modes_apply_to_the_caller(void **state)
{
        (void)state;
        make_queue("/r600", 0600);
        make_queue("/r644", 0644);
        make_queue("/g660", 0660);
        char path[512];
        snprintf(path, sizeof(path), "%s/g660", mqfs_test_kernel_dir);
        assert_int_equal(chown(path, 0, 5000), 0); /* a group ALICE holds as supplementary */
        mqfs_broker_set_grant_table(
            broker, table("s", "/r600", ALL, "s", "/r644", ALL, "s", "/g660", ALL, NULL));
        const struct mqfs_caller *callers[] = {&ALICE, &BOB, &ROOT};
        const char *queues[] = {"/r600", "/r644", "/g660"};
        const int modes[] = {O_RDONLY, O_WRONLY, O_RDWR};
        for (size_t c = 0; c < 3; c++)
                for (size_t q = 0; q < 3; q++)
                        for (size_t m = 0; m < 3; m++) {
                                int want = mqfs_test_kernel_open_as(callers[c], queues[q], modes[m],
                                                                    0, NULL);
                                int got = try_open("s", callers[c], queues[q], modes[m]);
                                print_message("uid %u %s mode %d: kernel %d broker %d\n",
                                              callers[c]->uid, queues[q], modes[m], want, got);
                                assert_int_equal(got, want);
                        }
        /* Spot-check that the matrix really holds refusals and successes. */
        assert_int_equal(try_open("s", &ALICE, "/r600", O_RDONLY), -EACCES);
        assert_int_equal(try_open("s", &ALICE, "/r644", O_RDONLY), 0);
        assert_int_equal(try_open("s", &ALICE, "/r644", O_WRONLY), -EACCES);
        assert_int_equal(try_open("s", &ALICE, "/g660", O_RDWR), 0);
        assert_int_equal(try_open("s", &BOB, "/g660", O_RDONLY), -EACCES);
        assert_int_equal(try_open("s", &ROOT, "/r600", O_RDWR), 0);

        /* Status needs read access as the kernel judges it. */
        char buf[MQFS_STATUS_MAX];
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/r600", buf, sizeof(buf)),
                         -EACCES);
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/r644", buf, sizeof(buf)), 60);
        /* Removing someone else's queue from the sticky mqueue root: the kernel's answer. */
        int want = mqfs_test_kernel_unlink_as(&ALICE, "/r644");
        assert_int_not_equal(want, 0);
        assert_int_equal(mqfs_broker_unlink(broker, "s", &ALICE, "/r644"), want);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &ALICE, "/r644", 0666), -EPERM);
        struct stat st;
        assert_int_equal(mqfs_test_kernel_stat("/r644", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
}

static void chmod_and_chown_follow_ownership(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/mine", ALL, NULL));
        mqfs_handle_close(open_ok("s", &ALICE, "/mine", O_RDWR | O_CREAT));
        struct stat st;
        assert_int_equal(mqfs_broker_chmod(broker, "s", &ALICE, "/mine", 0640), 0);
        assert_int_equal(mqfs_test_kernel_stat("/mine", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &BOB, "/mine", 0666), -EPERM);
        assert_int_equal(mqfs_broker_chown(broker, "s", &BOB, "/mine", (uid_t)-1, (gid_t)-1),
                         -EPERM);
        /* The kernel's chown rules: no giving away, but a group one belongs to is fine. */
        assert_int_equal(mqfs_broker_chown(broker, "s", &ALICE, "/mine", BOB.uid, (gid_t)-1),
                         -EPERM);
        assert_int_equal(mqfs_broker_chown(broker, "s", &ALICE, "/mine", (uid_t)-1, 6000), -EPERM);
        assert_int_equal(mqfs_broker_chown(broker, "s", &ALICE, "/mine", (uid_t)-1, 5000), 0);
        assert_int_equal(mqfs_test_kernel_stat("/mine", &st), 0);
        assert_int_equal(st.st_uid, ALICE.uid);
        assert_int_equal(st.st_gid, 5000);
        assert_int_equal(mqfs_broker_chown(broker, "s", &ROOT, "/mine", BOB.uid, BOB.gid), 0);
        assert_int_equal(mqfs_test_kernel_stat("/mine", &st), 0);
        assert_int_equal(st.st_uid, BOB.uid);
        assert_int_equal(st.st_gid, BOB.gid);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &ROOT, "/mine", 04711), 0);
        assert_int_equal(mqfs_test_kernel_stat("/mine", &st), 0);
        assert_int_equal(st.st_mode & 07777, 04711);
}

static void kernel_errors_come_through(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/e", ALL, "s", "/full", ALL, NULL));
        struct mqfs_handle *h = NULL;
        /* EINVAL: impossible attributes. */
        struct mq_attr zero = {.mq_maxmsg = 0, .mq_msgsize = 64};
        struct mq_attr huge = {.mq_maxmsg = 2,
                               .mq_msgsize = mqfs_test_read_sysctl("msgsize_max") + 1};
        assert_int_equal(
            mqfs_broker_open(broker, "s", &ALICE, "/e", O_RDWR | O_CREAT, 0600, &zero, &h),
            -EINVAL);
        assert_int_equal(
            mqfs_broker_open(broker, "s", &ALICE, "/e", O_RDWR | O_CREAT, 0600, &huge, &h),
            -EINVAL);
        assert_int_equal(mqfs_broker_open(broker, "s", &ALICE, "/e", O_ACCMODE, 0600, &SMALL, &h),
                         -EINVAL);
        /* EEXIST */
        assert_int_equal(try_open("s", &ALICE, "/e", O_RDWR | O_CREAT | O_EXCL), 0);
        assert_int_equal(try_open("s", &BOB, "/e", O_RDWR | O_CREAT | O_EXCL), -EEXIST);

        /* EMSGSIZE, both ways. */
        h = open_ok("s", &ALICE, "/e", O_RDWR);
        char big[65] = {0}, small[63];
        assert_int_equal(mqfs_broker_send(broker, h, big, 65, 0, NULL), -EMSGSIZE);
        assert_int_equal(mqfs_broker_send(broker, h, big, 64, 0, NULL), 0);
        assert_int_equal(mqfs_broker_receive(broker, h, small, sizeof(small), NULL, NULL),
                         -EMSGSIZE);
        /* EBADF: a handle opened for reading cannot send. */
        struct mqfs_handle *ro = open_ok("s", &ALICE, "/e", O_RDONLY);
        assert_int_equal(mqfs_broker_send(broker, ro, "x", 1, 0, NULL), -EBADF);
        mqfs_handle_close(ro);
        mqfs_handle_close(h);

        /* EAGAIN: full queue without waiting, or on an O_NONBLOCK handle even with a wait;
         * empty queue likewise. ETIMEDOUT: a deadline that passes. */
        h = open_ok("s", &ALICE, "/full", O_RDWR | O_CREAT);
        for (int i = 0; i < SMALL.mq_maxmsg; i++)
                assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), -EAGAIN);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 20 * 1000 * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        struct mqfs_wait until = {.deadline = &deadline, .cancel_fd = -1};
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, &until), -ETIMEDOUT);
        struct timespec bad = {.tv_sec = 1, .tv_nsec = 1000000000L};
        struct mqfs_wait bad_wait = {.deadline = &bad, .cancel_fd = -1};
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, &bad_wait), -EINVAL);
        struct mqfs_handle *nb = open_ok("s", &ALICE, "/full", O_RDWR | O_NONBLOCK);
        struct mqfs_wait forever = {.deadline = NULL, .cancel_fd = -1};
        assert_int_equal(mqfs_broker_send(broker, nb, "m", 1, 0, &forever), -EAGAIN);
        char buf[64];
        for (int i = 0; i < SMALL.mq_maxmsg; i++)
                assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), 1);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), -EAGAIN);
        assert_int_equal(mqfs_broker_receive(broker, nb, buf, sizeof(buf), NULL, &forever),
                         -EAGAIN);
        /* A passed deadline is no error when nothing needs to wait, as in the kernel. */
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, &until), 0);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, &until), 1);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, &until),
                         -ETIMEDOUT);
        mqfs_handle_close(nb);
        mqfs_handle_close(h);
}

/* queues_max counts for root too here: the test has no CAP_SYS_RESOURCE. */
static void too_many_queues_is_enospc(void **state)
{
        (void)state;
        long saved = mqfs_test_read_sysctl("queues_max");
        assert_true(saved > 0);
        mqfs_broker_set_grant_table(broker, table("s", "/one", ALL, "s", "/two", ALL, NULL));
        assert_int_equal(try_open("s", &ALICE, "/one", O_RDWR | O_CREAT), 0);
        assert_int_equal(mqfs_test_write_sysctl("queues_max", 1), 0);
        int alice = try_open("s", &ALICE, "/two", O_RDWR | O_CREAT);
        int root = try_open("s", &ROOT, "/two", O_RDWR | O_CREAT);
        int kernel = mqfs_test_kernel_open_as(&ALICE, "/two", O_RDWR | O_CREAT, 0600, &SMALL);
        assert_int_equal(mqfs_test_write_sysctl("queues_max", saved), 0);
        assert_int_equal(alice, -ENOSPC);
        assert_int_equal(root, -ENOSPC);
        assert_int_equal(kernel, -ENOSPC);
        assert_int_equal(try_open("s", &ALICE, "/two", O_RDWR | O_CREAT), 0);
}

/* The new queue is charged to the caller's uid: a non-root caller runs out of its
 * RLIMIT_MSGQUEUE budget while root's stays whole. */
static void the_callers_budget_pays_for_queues(void **state)
{
        (void)state;
        /* A uid nobody else on this machine is likely to be using right now. */
        const struct mqfs_caller hog = {
            .uid = 300000 + (uid_t)(getpid() % 100000), .gid = 300000, .pid = 4};
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        char names[32][16];
        for (int i = 0; i < 32; i++) {
                snprintf(names[i], sizeof(names[i]), "/hog%d", i);
                assert_int_equal(mqfs_grant_table_add(g, "s", names[i], ALL), 0);
        }
        assert_int_equal(mqfs_grant_table_add(g, "s", "/root-q", ALL), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        mqfs_broker_set_grant_table(broker, g);

        /* Default attributes: 10 messages of 8 KiB, about 82 KiB charged per queue. */
        int made = 0, err = 0;
        for (int i = 0; i < 32; i++) {
                struct mqfs_handle *h = NULL;
                err =
                    mqfs_broker_open(broker, "s", &hog, names[i], O_RDWR | O_CREAT, 0600, NULL, &h);
                if (err != 0)
                        break;
                mqfs_handle_close(h);
                made++;
        }
        print_message("uid %u created %d default queues before %d\n", hog.uid, made, err);
        assert_int_equal(err, -EMFILE);
        assert_in_range(made, 1, 10);
        struct stat st;
        assert_int_equal(mqfs_test_kernel_stat(names[0], &st), 0);
        assert_int_equal(st.st_uid, hog.uid);
        /* Root can still create a queue of the very size the caller was refused. */
        struct mqfs_handle *h = NULL;
        assert_int_equal(
            mqfs_broker_open(broker, "s", &ROOT, "/root-q", O_RDWR | O_CREAT, 0600, NULL, &h), 0);
        mqfs_handle_close(h);
        mqd_t direct = mq_open("/root-direct", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
        assert_int_not_equal(direct, (mqd_t)-1);
        mq_close(direct);
}

/* SPEC §4: a setattr is all or nothing. Issue 15, finding 7: chmod 6775, then chown 0,
 * which the kernel sends with the setuid/setgid clearing in one SETATTR: the chown is
 * refused, and the mode must stay 6775. */
static void a_refused_chown_leaves_the_mode_alone(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/sa", ALL, NULL));
        struct mqfs_handle *h = open_ok("s", &BOB, "/sa", O_RDWR | O_CREAT | O_EXCL);
        mqfs_handle_close(h);
        assert_int_equal(mqfs_broker_chmod(broker, "s", &BOB, "/sa", 06775), 0);
        struct stat st;
        assert_int_equal(mqfs_test_kernel_stat("/sa", &st), 0);
        assert_int_equal(st.st_mode & 07777, 06775);
        assert_int_equal(
            mqfs_broker_set_owner_mode(broker, "s", &BOB, "/sa", true, 0775, 0, (gid_t)-1), -EPERM);
        assert_int_equal(mqfs_test_kernel_stat("/sa", &st), 0);
        assert_int_equal(st.st_mode & 07777, 06775);
        assert_int_equal(st.st_uid, BOB.uid);
        /* A group the caller is not in: refused, nothing changes either. */
        assert_int_equal(
            mqfs_broker_set_owner_mode(broker, "s", &BOB, "/sa", true, 0700, (uid_t)-1, 777),
            -EPERM);
        assert_int_equal(mqfs_test_kernel_stat("/sa", &st), 0);
        assert_int_equal(st.st_mode & 07777, 06775);
        assert_int_equal(st.st_gid, BOB.gid);
        /* Root: both parts. */
        assert_int_equal(
            mqfs_broker_set_owner_mode(broker, "s", &ROOT, "/sa", true, 0640, ALICE.uid, ALICE.gid),
            0);
        assert_int_equal(mqfs_test_kernel_stat("/sa", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_uid, ALICE.uid);
        assert_int_equal(st.st_gid, ALICE.gid);
}

/* fchmod, futimens and ftruncate act on the queue an open handle holds, also after its
 * name was unlinked (issue 15): the kernel's f-calls answer from the open file. Times are
 * set as utimensat sets them (explicit ones the owner's alone); a truncate by a
 * non-root caller drops setuid and setgid as the kernel's does. */
static void a_handle_change_acts_on_the_unlinked_queue(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/hc", ALL, NULL));
        struct mqfs_handle *h = open_ok("s", &BOB, "/hc", O_RDWR | O_CREAT | O_EXCL);
        assert_int_equal(mqfs_broker_unlink(broker, "s", &BOB, "/hc"), 0);
        struct mqfs_change mode = {.what = MQFS_CHANGE_MODE, .mode = 06775};
        struct stat st;
        assert_int_equal(mqfs_broker_change(broker, "s", &BOB, "/hc", &mode, &st), -ENOENT);
        assert_int_equal(mqfs_broker_handle_change(broker, h, &BOB, &mode, &st), 0);
        assert_int_equal(st.st_mode & 07777, 06775);
        assert_int_equal(st.st_nlink, 0);
        struct mqfs_change times = {.what = MQFS_CHANGE_ATIME | MQFS_CHANGE_MTIME,
                                    .atime = {.tv_sec = 1000},
                                    .mtime = {.tv_sec = 2000}};
        assert_int_equal(mqfs_broker_handle_change(broker, h, &ALICE, &times, &st), -EPERM);
        assert_int_equal(mqfs_broker_handle_change(broker, h, &BOB, &times, &st), 0);
        assert_int_equal(st.st_atim.tv_sec, 1000);
        assert_int_equal(st.st_mtim.tv_sec, 2000);
        struct mqfs_change trunc = {.what = MQFS_CHANGE_SIZE, .through_file = true};
        assert_int_equal(mqfs_broker_handle_change(broker, h, &BOB, &trunc, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0775);
        assert_int_equal(st.st_atim.tv_sec, 1000); /* a truncate changes no time */
        mqfs_handle_close(h);
}

/* A child with the given RLIMIT_MSGQUEUE that waits until its pipe closes. */
static pid_t start_limited(rlim_t limit, int *go)
{
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[1]);
                const struct rlimit r = {limit, limit};
                char c;
                _exit(setrlimit(RLIMIT_MSGQUEUE, &r) < 0 || read(p[0], &c, 1) != 0);
        }
        close(p[0]);
        *go = p[1];
        /* Until the child's limit shows (it may not have set it yet). */
        rlim_t seen = RLIM_INFINITY;
        for (int i = 0; i < 5000 && (mqfs_msgq_rlimit_of(pid, &seen) != 0 || seen != limit); i++)
                usleep(1000);
        assert_int_equal(seen, limit);
        return pid;
}

/* A thread whose ids are not the target's may not prlimit() it (the kernel's rule for
 * reading another process's limits without CAP_SYS_RESOURCE): the limit is then read
 * from /proc/PID/limits, and both ways give the same answer. */
static void a_limit_prlimit_refuses_is_read_from_proc(void **state)
{
        (void)state;
        int go;
        pid_t pid = start_limited(12345, &go);
        rlim_t as_root = 0, as_bob = 0;
        struct rlimit direct;
        int root_rc = mqfs_msgq_rlimit_of(pid, &as_root);
        struct mqfs_creds_saved saved;
        assert_int_equal(mqfs_creds_enter(&BOB, &saved), 0);
        int refused = prlimit(pid, RLIMIT_MSGQUEUE, NULL, &direct) < 0 ? errno : 0;
        int bob_rc = mqfs_msgq_rlimit_of(pid, &as_bob);
        mqfs_creds_leave(&saved);
        close(go);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        assert_int_equal(refused, EPERM); /* BOB's thread really takes the /proc way */
        assert_int_equal(root_rc, 0);
        assert_int_equal(bob_rc, 0);
        assert_int_equal(as_root, 12345);
        assert_int_equal(as_bob, 12345);
}

/* SPEC §4: a create is charged against the lower of the caller's own RLIMIT_MSGQUEUE
 * (read with prlimit as the caller, or from /proc/PID/limits) and the daemon's, for
 * that one call. */
static void a_create_honours_the_callers_own_rlimit_msgqueue(void **state)
{
        (void)state;
        struct rlimit mine;
        rlim_t read_back;
        assert_int_equal(getrlimit(RLIMIT_MSGQUEUE, &mine), 0);
        assert_int_equal(mqfs_msgq_rlimit_of(getpid(), &read_back), 0);
        assert_int_equal(read_back, mine.rlim_cur);
        assert_int_equal(mqfs_msgq_rlimit_of(0, &read_back), -ESRCH);
        mqfs_broker_set_grant_table(broker, table("s", "/two", ALL, NULL));

        int go;
        pid_t pid = start_limited(0, &go);
        struct mqfs_caller limited = BOB;
        limited.pid = pid;
        int err = try_open("s", &limited, "/two", O_RDWR | O_CREAT);
        int err_root = (limited = ROOT, limited.pid = pid,
                        try_open("s", &limited, "/two", O_RDWR | O_CREAT | O_EXCL));
        close(go);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(status, 0);
        assert_int_equal(err, -EMFILE);
        assert_int_equal(err_root, -EMFILE); /* root too: the kernel exempts no one */
        /* The daemon's own limit is back: the same create now works. */
        struct rlimit after;
        assert_int_equal(getrlimit(RLIMIT_MSGQUEUE, &after), 0);
        assert_int_equal(after.rlim_cur, mine.rlim_cur);
        assert_int_equal(try_open("s", &BOB, "/two", O_RDWR | O_CREAT), 0);
}

/* A child registers for notification and waits until told to go. */
struct notifier {
        pid_t pid;
        int go; /* write end: closing it lets the child exit */
};

static struct notifier start_notifier(const char *name, int how)
{
        int ready[2], go[2];
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(go, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(go[1]);
                close(ready[0]);
                mqd_t q = mq_open(name, O_RDONLY);
                struct sigevent ev = {.sigev_notify = how, .sigev_signo = SIGUSR1};
                char ok = (q != (mqd_t)-1 && mq_notify(q, &ev) == 0) ? 'y' : 'n';
                if (write(ready[1], &ok, 1) != 1)
                        _exit(1);
                char c;
                while (read(go[0], &c, 1) > 0)
                        ;
                _exit(0);
        }
        close(ready[1]);
        close(go[0]);
        char ok = 0;
        assert_int_equal(read(ready[0], &ok, 1), 1);
        close(ready[0]);
        assert_int_equal(ok, 'y');
        return (struct notifier){.pid = pid, .go = go[1]};
}

static void stop_notifier(struct notifier n)
{
        close(n.go);
        int status;
        assert_int_equal(waitpid(n.pid, &status, 0), n.pid);
}

static void assert_status_is_the_kernels(const char *snap, const struct mqfs_caller *caller,
                                         const char *name)
{
        char mine[MQFS_STATUS_MAX], kernels[MQFS_STATUS_MAX];
        int n = mqfs_broker_status(broker, snap, caller, name, mine, sizeof(mine));
        int k = mqfs_test_kernel_status(name, kernels, sizeof(kernels));
        print_message("broker: %s", mine);
        assert_true(k > 0);
        assert_int_equal(n, k);
        assert_string_equal(mine, kernels);
}

static void status_is_the_kernels_line(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/st", ALL, NULL));
        struct mqfs_handle *h = open_ok("s", &ALICE, "/st", O_RDWR | O_CREAT);
        assert_status_is_the_kernels("s", &ALICE, "/st"); /* empty */
        assert_int_equal(mqfs_broker_send(broker, h, "hello", 5, 0, NULL), 0);
        assert_status_is_the_kernels("s", &ALICE, "/st"); /* one */
        assert_int_equal(mqfs_broker_send(broker, h, "0123456789", 10, 3, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "abcdefghijklmnopqrstuvwxyz", 26, 7, NULL), 0);
        assert_status_is_the_kernels("s", &ALICE, "/st"); /* many */
        char line[MQFS_STATUS_MAX];
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/st", line, sizeof(line)), 60);
        assert_string_equal(line, "QSIZE:41         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
        /* Reading the status never consumes. */
        struct mq_attr a;
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_curmsgs, 3);

        /* With a notification registered, by signal and by nothing. */
        char buf[64];
        for (int i = 0; i < 3; i++)
                assert_true(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL) > 0);
        struct notifier n = start_notifier("/st", SIGEV_SIGNAL);
        assert_status_is_the_kernels("s", &ALICE, "/st");
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/st", line, sizeof(line)), 60);
        char want[MQFS_STATUS_MAX];
        snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 0ul,
                 SIGEV_SIGNAL, SIGUSR1, (int)n.pid);
        assert_string_equal(line, want);
        stop_notifier(n);
        n = start_notifier("/st", SIGEV_NONE);
        assert_status_is_the_kernels("s", &ALICE, "/st");
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/st", line, sizeof(line)), 60);
        snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", 0ul,
                 SIGEV_NONE, 0, (int)n.pid);
        assert_string_equal(line, want);
        /* The first message fires (and so ends) the registration. */
        assert_int_equal(mqfs_broker_send(broker, h, "x", 1, 0, NULL), 0);
        assert_status_is_the_kernels("s", &ALICE, "/st");
        stop_notifier(n);

        /* Through a handle: the same line, no credentials needed; a write-only handle
         * cannot read it, as with the kernel's file. */
        n = start_notifier("/st", SIGEV_SIGNAL);
        char via_handle[MQFS_STATUS_MAX], kernels[MQFS_STATUS_MAX];
        assert_int_equal(mqfs_broker_handle_status(broker, h, via_handle, sizeof(via_handle)), 60);
        assert_int_equal(mqfs_test_kernel_status("/st", kernels, sizeof(kernels)), 60);
        assert_string_equal(via_handle, kernels);
        assert_non_null(strstr(via_handle, "QSIZE:1 "));
        stop_notifier(n);
        struct mqfs_handle *wo = open_ok("s", &ALICE, "/st", O_WRONLY);
        assert_int_equal(mqfs_broker_handle_status(broker, wo, via_handle, sizeof(via_handle)),
                         -EBADF);
        mqfs_handle_close(wo);
        assert_int_equal(mqfs_broker_handle_status(broker, h, via_handle, 60), -ERANGE);
        mqfs_broker_set_grant_table(broker, table("s", "/other", ALL, NULL));
        assert_int_equal(mqfs_broker_handle_status(broker, h, via_handle, sizeof(via_handle)),
                         -ENOENT);
        mqfs_broker_set_grant_table(broker, table("s", "/st", ALL, NULL));

        /* Buffer too small for line and NUL. */
        assert_int_equal(mqfs_broker_status(broker, "s", &ALICE, "/st", line, 60), -ERANGE);
        mqfs_handle_close(h);
}

static void stat_shows_owner_times_size_and_narrowed_mode(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(
            broker, table("all", "/sz", ALL, "ro", "/sz", R, "wo", "/sz", W, "op", "/sz", O, NULL));
        mode_t old = umask(0);
        struct mqfs_handle *h = NULL;
        assert_int_equal(
            mqfs_broker_open(broker, "all", &ALICE, "/sz", O_RDWR | O_CREAT, 0666, &SMALL, &h), 0);
        umask(old);
        struct stat st, k;
        assert_int_equal(mqfs_broker_stat(broker, "all", &BOB, "/sz", &st), 0);
        assert_int_equal(st.st_size, 0);
        assert_int_equal(mqfs_broker_send(broker, h, "12345", 5, 0, NULL), 0);
        assert_int_equal(mqfs_broker_send(broker, h, "678", 3, 0, NULL), 0);
        assert_int_equal(mqfs_test_kernel_stat("/sz", &k), 0);
        assert_int_equal(mqfs_broker_stat(broker, "all", &BOB, "/sz", &st), 0);
        assert_int_equal(st.st_size, 8);
        assert_int_equal(st.st_uid, ALICE.uid);
        assert_int_equal(st.st_gid, ALICE.gid);
        assert_int_equal(st.st_ino, k.st_ino);
        assert_int_equal(st.st_mtim.tv_sec, k.st_mtim.tv_sec);
        assert_int_equal(st.st_mtim.tv_nsec, k.st_mtim.tv_nsec);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0666);
        assert_int_equal(mqfs_broker_stat(broker, "ro", &BOB, "/sz", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0444);
        assert_int_equal(mqfs_broker_stat(broker, "wo", &BOB, "/sz", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0222);
        assert_int_equal(mqfs_broker_stat(broker, "op", &BOB, "/sz", &st), 0);
        assert_int_equal(st.st_mode & 07777, 0);
        mqfs_handle_close(h);
}

struct collected {
        char names[16][8];
        off_t sizes[16];
        int n;
};

static int collect(void *ctx, const char *name, const struct stat *st)
{
        struct collected *c = ctx;
        if (c->n == 16)
                return -ENOSPC;
        snprintf(c->names[c->n], sizeof(c->names[c->n]), "%s", name);
        c->sizes[c->n++] = st->st_size;
        return 0;
}

static int collect_name(void *ctx, const char *name)
{
        struct collected *c = ctx;
        if (c->n == 16)
                return -ENOSPC;
        snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", name);
        return 0;
}

static int stop_at_first_name(void *ctx, const char *name)
{
        (void)name;
        ++*(int *)ctx;
        return 43;
}

static int stop_at_first(void *ctx, const char *name, const struct stat *st)
{
        (void)name;
        (void)st;
        ++*(int *)ctx;
        return 42;
}

static void listing_shows_existing_granted_queues_in_order(void **state)
{
        (void)state;
        make_queue("/d", 0600);
        make_queue("/b", 0600);
        make_queue("/a", 0600);
        make_queue("/c", 0600);
        make_queue("/hidden", 0600);
        /* Enough ungranted queues that probing 3 grants is cheaper than reading them. */
        for (int i = 0; i < 8; i++) {
                char n[16];
                snprintf(n, sizeof(n), "/u%d", i);
                make_queue(n, 0600);
        }
        mqd_t q = mq_open("/c", O_WRONLY);
        assert_int_equal(mq_send(q, "xyz", 3, 0), 0);
        mq_close(q);

        /* Fewer grants than queues: the broker probes the grants. */
        mqfs_broker_set_grant_table(broker, table("s", "/c", R, "s", "/a", O, "s", "/missing", ALL,
                                                  "other", "/b", ALL, NULL));
        struct collected got = {0};
        assert_int_equal(mqfs_broker_list(broker, "s", collect, &got), 0);
        assert_int_equal(got.n, 2);
        assert_string_equal(got.names[0], "/a");
        assert_string_equal(got.names[1], "/c");
        assert_int_equal(got.sizes[1], 3);
        got = (struct collected){0};
        assert_int_equal(mqfs_broker_list_names(broker, "s", collect_name, &got), 0);
        assert_int_equal(got.n, 2);
        assert_string_equal(got.names[0], "/a");
        assert_string_equal(got.names[1], "/c");

        /* Many more grants than queues: the broker reads the directory. */
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        for (int i = 0; i < 100; i++) {
                char n[16];
                snprintf(n, sizeof(n), "/m%03d", i);
                assert_int_equal(mqfs_grant_table_add(g, "s", n, R), 0);
        }
        assert_int_equal(mqfs_grant_table_add(g, "s", "/d", R), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/b", R), 0);
        assert_int_equal(mqfs_grant_table_add_snap(g, "empty"), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        mqfs_broker_set_grant_table(broker, g);
        got = (struct collected){0};
        assert_int_equal(mqfs_broker_list(broker, "s", collect, &got), 0);
        assert_int_equal(got.n, 2);
        assert_string_equal(got.names[0], "/b");
        assert_string_equal(got.names[1], "/d");
        got = (struct collected){0};
        assert_int_equal(mqfs_broker_list_names(broker, "s", collect_name, &got), 0);
        assert_int_equal(got.n, 2);
        assert_string_equal(got.names[0], "/b");
        assert_string_equal(got.names[1], "/d");

        got = (struct collected){0};
        assert_int_equal(mqfs_broker_list(broker, "empty", collect, &got), 0);
        assert_int_equal(got.n, 0);
        assert_int_equal(mqfs_broker_list(broker, "ghost", collect, &got), -ENOENT);
        assert_int_equal(mqfs_broker_list_names(broker, "ghost", collect_name, &got), -ENOENT);
        int calls = 0;
        assert_int_equal(mqfs_broker_list(broker, "s", stop_at_first, &calls), 42);
        assert_int_equal(calls, 1);
        calls = 0;
        assert_int_equal(mqfs_broker_list_names(broker, "s", stop_at_first_name, &calls), 43);
        assert_int_equal(calls, 1);
}

/* A caller whose groups are loaded on demand (as the FUSE layer reads them from /proc). */
struct lazy {
        struct mqfs_caller c;
        const gid_t *groups;
        size_t ngroups;
        int loads;
        int fail; /* the loader's error, 0 to succeed */
};

static int lazy_load(void *ctx)
{
        struct lazy *l = ctx;
        l->loads++;
        l->c.load_groups = NULL;
        if (l->fail)
                return l->fail;
        l->c.ngroups = l->ngroups;
        l->c.groups = l->groups;
        return 0;
}

/* Alice (4242, primary group 4343, supplementary 5000) with her groups still unread. */
static struct lazy lazy_alice(void)
{
        return (struct lazy){
            .c = {.uid = 4242, .gid = 4343, .pid = 2, .load_groups = lazy_load},
            .groups = alice_groups,
            .ngroups = 2,
        };
}

/* Opens name as the lazy caller; returns 0 or -errno and how often it loaded groups. */
static int lazy_open(struct lazy *l, const char *name, int oflag)
{
        l->c.load_ctx = l;
        struct mqfs_handle *h = NULL;
        int err = mqfs_broker_open(broker, "s", &l->c, name, oflag, 0600, &SMALL, &h);
        mqfs_handle_close(h);
        return err;
}

static void make_owned_queue(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
        make_queue(name, mode);
        char path[512];
        snprintf(path, sizeof(path), "%s%s", mqfs_test_kernel_dir, name);
        assert_int_equal(chown(path, uid, gid), 0);
}

static void groups_are_read_only_when_they_can_decide(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/open", ALL, "s", "/own", ALL, "s", "/prim",
                                                  ALL, "s", "/grp", ALL, "s", "/deny", ALL, "s",
                                                  "/new", ALL, NULL));
        make_owned_queue("/open", 0666, 7000, 7000); /* group and other agree */
        make_owned_queue("/own", 0600, 4242, 7000);  /* Alice owns it */
        make_owned_queue("/prim", 0640, 7000, 4343); /* her primary group */
        make_owned_queue("/grp", 0640, 7000, 5000);  /* only a supplementary group reads */
        make_owned_queue("/deny", 0604, 7000, 5000); /* the group is refused, others not */
        struct lazy l;

        /* Groups that cannot decide are never read. */
        const char *no_groups[] = {"/open", "/own", "/prim"};
        for (size_t i = 0; i < 3; i++) {
                l = lazy_alice();
                assert_int_equal(lazy_open(&l, no_groups[i], O_RDONLY), 0);
                assert_int_equal(l.loads, 0);
        }
        /* Groups that decide are read, and the answer is the kernel's. */
        l = lazy_alice();
        assert_int_equal(lazy_open(&l, "/grp", O_RDONLY), 0);
        assert_int_equal(l.loads, 1);
        assert_int_equal(mqfs_test_kernel_open_as(&ALICE, "/grp", O_RDONLY, 0, NULL), 0);
        l = lazy_alice();
        assert_int_equal(lazy_open(&l, "/deny", O_RDONLY), -EACCES);
        assert_int_equal(l.loads, 1);
        assert_int_equal(mqfs_test_kernel_open_as(&ALICE, "/deny", O_RDONLY, 0, NULL), -EACCES);
        /* Writing /deny: group and other both lack w, so no groups; the kernel refuses. */
        l = lazy_alice();
        assert_int_equal(lazy_open(&l, "/deny", O_WRONLY), -EACCES);
        assert_int_equal(mqfs_test_kernel_open_as(&ALICE, "/deny", O_WRONLY, 0, NULL), -EACCES);
        /* Bob, in none of the groups, gets the other bits either way. */
        assert_int_equal(try_open("s", &BOB, "/deny", O_RDONLY), 0);

        /* Creating and removing in the kernel's 1777 mqueue root: the directory lets
         * everyone, so no groups; the new queue is the caller's uid and primary gid. */
        l = lazy_alice();
        assert_int_equal(lazy_open(&l, "/new", O_RDWR | O_CREAT), 0);
        assert_int_equal(l.loads, 0);
        struct stat st;
        char path[512];
        snprintf(path, sizeof(path), "%s/new", mqfs_test_kernel_dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_uid, ALICE.uid);
        assert_int_equal(st.st_gid, ALICE.gid);
        l = lazy_alice();
        l.c.load_ctx = &l;
        assert_int_equal(mqfs_broker_unlink(broker, "s", &l.c, "/new"), 0);
        assert_int_equal(l.loads, 0);
        /* O_CREAT on a queue that exists is an open, judged as one: /grp needs them. */
        l = lazy_alice();
        assert_int_equal(lazy_open(&l, "/grp", O_RDONLY | O_CREAT), 0);
        assert_int_equal(l.loads, 1);
        /* A root an administrator closed to others: the groups can decide, so read. */
        assert_int_equal(chmod(mqfs_test_kernel_dir, 01775), 0);
        assert_int_equal(chown(mqfs_test_kernel_dir, 0, 5000), 0);
        l = lazy_alice();
        int made = lazy_open(&l, "/new", O_RDWR | O_CREAT);
        assert_int_equal(l.loads, 1);
        assert_int_equal(made,
                         mqfs_test_kernel_open_as(&ALICE, "/new2", O_RDWR | O_CREAT, 0600, NULL));
        assert_int_equal(made, 0); /* by supplementary group 5000 */
        l = lazy_alice();
        l.c.load_ctx = &l;
        assert_int_equal(mqfs_broker_unlink(broker, "s", &l.c, "/new"), 0);
        assert_int_equal(l.loads, 1);
        assert_int_equal(chown(mqfs_test_kernel_dir, 0, 0), 0);
        assert_int_equal(chmod(mqfs_test_kernel_dir, 01777), 0);

        /* A loader that fails refuses only what needed it. */
        l = lazy_alice();
        l.fail = -EACCES;
        assert_int_equal(lazy_open(&l, "/grp", O_RDONLY), -EACCES);
        l = lazy_alice();
        l.fail = -EACCES;
        assert_int_equal(lazy_open(&l, "/open", O_RDONLY), 0);
        assert_int_equal(l.loads, 0);
        /* A missing queue is missing, groups or not. */
        l = lazy_alice();
        assert_int_equal(mqfs_broker_unlink(broker, "s", &ROOT, "/open"), 0);
        assert_int_equal(lazy_open(&l, "/open", O_RDONLY), -ENOENT);
}

/* Opening an existing queue without the groups switches only fsuid (and fsgid when the
 * primary group decides): the kernel's answer must still be the caller's, for owner,
 * primary group, supplementary group and other bits, for root and non-root callers. */
static void an_open_without_groups_is_judged_as_the_caller(void **state)
{
        (void)state;
        static const struct {
                const char *name;
                mode_t mode;
                uid_t uid;
                gid_t gid;
        } queues[] = {
            {"/o600", 0600, 4242, 7000}, /* Alice owns it */
            {"/o066", 0066, 4242, 7000}, /* Alice owns it and may not: owner bits rule */
            {"/p460", 0460, 7000, 4343}, /* Alice's primary group reads */
            {"/p406", 0406, 7000, 4343}, /* Alice's primary group is refused, others not */
            {"/s044", 0044, 7000, 5000}, /* group and other agree */
            {"/s640", 0640, 7000, 5000}, /* only Alice's supplementary group reads */
            {"/r600", 0600, 0, 0},       /* root's */
        };
        const size_t nqueues = sizeof(queues) / sizeof(queues[0]);
        struct mqfs_grant_table *g =
            table("s", "/o600", ALL, "s", "/o066", ALL, "s", "/p460", ALL, "s", "/p406", ALL, "s",
                  "/s044", ALL, "s", "/s640", ALL, "s", "/r600", ALL, NULL);
        mqfs_broker_set_grant_table(broker, g);
        for (size_t q = 0; q < nqueues; q++)
                make_owned_queue(queues[q].name, queues[q].mode, queues[q].uid, queues[q].gid);

        const struct mqfs_caller *callers[] = {&ALICE, &BOB, &ROOT};
        const int modes[] = {O_RDONLY, O_WRONLY, O_RDWR};
        int without_groups = 0;
        for (size_t c = 0; c < 3; c++)
                for (size_t q = 0; q < nqueues; q++)
                        for (size_t m = 0; m < 3; m++) {
                                struct lazy l = {.c = *callers[c],
                                                 .groups = callers[c]->groups,
                                                 .ngroups = callers[c]->ngroups};
                                l.c.ngroups = 0;
                                l.c.groups = NULL;
                                l.c.load_groups = lazy_load;
                                int got = lazy_open(&l, queues[q].name, modes[m]);
                                int want = mqfs_test_kernel_open_as(callers[c], queues[q].name,
                                                                    modes[m], 0, NULL);
                                print_message("uid %u %s mode %d: kernel %d broker %d loads %d\n",
                                              callers[c]->uid, queues[q].name, modes[m], want, got,
                                              l.loads);
                                assert_int_equal(got, want);
                                without_groups += l.loads == 0;
                        }
        /* Most of the matrix went through the fs-ids path alone (32 cases today: a
         * refusal there is redone with the groups, so a wrong answer from the fs ids can
         * only show as a success the kernel refuses, which the comparison catches). */
        assert_true(without_groups >= 30);
}

static void a_withdrawn_grant_stops_an_open_handle(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/w", ALL, NULL));
        struct mqfs_handle *h = open_ok("s", &ALICE, "/w", O_RDWR | O_CREAT);
        assert_int_equal(mqfs_broker_send(broker, h, "1", 1, 0, NULL), 0);

        mqfs_broker_set_grant_table(broker, table("s", "/elsewhere", ALL, NULL));
        char buf[64];
        struct mq_attr a;
        short ev;
        assert_int_equal(mqfs_broker_send(broker, h, "2", 1, 0, NULL), -ENOENT);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), -ENOENT);
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), -ENOENT);
        assert_int_equal(mqfs_broker_setattr(broker, h, &a, NULL), -ENOENT);
        assert_int_equal(mqfs_broker_ready(broker, h, &ev), -ENOENT);

        mqfs_broker_set_grant_table(broker, table("s", "/w", O, NULL));
        assert_int_equal(mqfs_broker_send(broker, h, "2", 1, 0, NULL), -EACCES);
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_curmsgs, 1);

        mqfs_broker_set_grant_table(broker, table("s", "/w", R | W, NULL));
        assert_int_equal(mqfs_broker_send(broker, h, "2", 1, 0, NULL), 0);
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, NULL), 1);
        mqfs_handle_close(h);
}

static void attributes_and_readiness(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker,
                                    table("s", "/at", ALL, "r", "/at", R, "o", "/at", O, NULL));
        struct mqfs_handle *h = open_ok("s", &ALICE, "/at", O_RDWR | O_CREAT);
        struct mq_attr a, old;
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_flags, 0);
        struct mq_attr set = {.mq_flags = O_NONBLOCK};
        assert_int_equal(mqfs_broker_setattr(broker, h, &set, &old), 0);
        assert_int_equal(old.mq_flags, 0);
        assert_int_equal(old.mq_maxmsg, SMALL.mq_maxmsg);
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_flags, O_NONBLOCK);
        /* Now non-blocking: a wait is not honoured, as with the kernel. */
        char buf[64];
        struct mqfs_wait forever = {.deadline = NULL, .cancel_fd = -1};
        assert_int_equal(mqfs_broker_receive(broker, h, buf, sizeof(buf), NULL, &forever), -EAGAIN);
        set.mq_flags = 0;
        assert_int_equal(mqfs_broker_setattr(broker, h, &set, &old), 0);
        assert_int_equal(old.mq_flags, O_NONBLOCK);
        set.mq_flags = O_NONBLOCK | O_APPEND;
        assert_int_equal(mqfs_broker_setattr(broker, h, &set, NULL), -EINVAL);
        /* Only O_NONBLOCK changes; the queue's sizes do not. */
        set = (struct mq_attr){.mq_flags = 0, .mq_maxmsg = 1, .mq_msgsize = 1};
        assert_int_equal(mqfs_broker_setattr(broker, h, &set, NULL), 0);
        assert_int_equal(mqfs_broker_getattr(broker, h, &a), 0);
        assert_int_equal(a.mq_maxmsg, SMALL.mq_maxmsg);

        short ev = -1;
        assert_int_equal(mqfs_broker_ready(broker, h, &ev), 0);
        assert_int_equal(ev, POLLOUT);
        assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), 0);
        assert_int_equal(mqfs_broker_ready(broker, h, &ev), 0);
        assert_int_equal(ev, POLLIN | POLLOUT);
        for (int i = 1; i < SMALL.mq_maxmsg; i++)
                assert_int_equal(mqfs_broker_send(broker, h, "m", 1, 0, NULL), 0);
        assert_int_equal(mqfs_broker_ready(broker, h, &ev), 0);
        assert_int_equal(ev, POLLIN);
        /* Readiness is narrowed to the grant (opened under a read grant, which an open
         * for reading needs, then narrowed). */
        mqfs_broker_set_grant_table(broker,
                                    table("s", "/at", ALL, "r", "/at", R, "o", "/at", R, NULL));
        struct mqfs_handle *hr = open_ok("r", &ALICE, "/at", O_RDONLY);
        struct mqfs_handle *ho = open_ok("o", &ALICE, "/at", O_RDONLY);
        mqfs_broker_set_grant_table(broker,
                                    table("s", "/at", ALL, "r", "/at", R, "o", "/at", O, NULL));
        assert_int_equal(mqfs_broker_receive(broker, hr, buf, sizeof(buf), NULL, NULL), 1);
        assert_int_equal(mqfs_broker_ready(broker, hr, &ev), 0);
        assert_int_equal(ev, POLLIN);
        assert_int_equal(mqfs_broker_ready(broker, ho, &ev), 0);
        assert_int_equal(ev, 0);
        /* The descriptor itself polls as the kernel's does. */
        struct pollfd p = {.fd = mqfs_handle_fd(ho), .events = POLLIN | POLLOUT};
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(p.revents, POLLIN | POLLOUT);
        assert_string_equal(mqfs_handle_name(ho), "/at");
        assert_string_equal(mqfs_handle_snap(ho), "o");
        mqfs_handle_close(hr);
        mqfs_handle_close(ho);
        mqfs_handle_close(h);
}

/* A thread blocked in the broker, and a way to see that it really sleeps in ppoll. */
struct blocked_call {
        struct mqfs_handle *h;
        struct mqfs_wait wait;
        bool send;
        pid_t tid;
        ssize_t result;
        char buf[64];
        unsigned prio;
        _Atomic bool started, done;
};

static void *blocked_call_run(void *p)
{
        struct blocked_call *c = p;
        c->tid = gettid();
        atomic_store(&c->started, true);
        if (c->send)
                c->result = mqfs_broker_send(broker, c->h, "late", 4, 5, &c->wait);
        else
                c->result =
                    mqfs_broker_receive(broker, c->h, c->buf, sizeof(c->buf), &c->prio, &c->wait);
        atomic_store(&c->done, true);
        return NULL;
}

/* Waits until thread tid sleeps in ppoll(2), as /proc shows it. Not timed: it polls
 * the thread's state and fails if the call returned instead of blocking. */
static void await_sleeping_in_ppoll(struct blocked_call *c)
{
        while (!atomic_load(&c->started))
                sched_yield();
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)c->tid);
        for (;;) {
                assert_false(atomic_load(&c->done));
                FILE *f = fopen(path, "re");
                assert_non_null(f);
                long nr = -1;
                int got = fscanf(f, "%ld", &nr);
                fclose(f);
                if (got == 1 && nr == SYS_ppoll)
                        return;
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
}

static void a_blocked_receive_wakes_on_send_and_on_cancel(void **state)
{
        (void)state;
        mqfs_broker_set_grant_table(broker, table("s", "/blk", ALL, NULL));
        struct mqfs_handle *rx = NULL;
        assert_int_equal(
            mqfs_broker_open(broker, "s", &ALICE, "/blk", O_RDWR | O_CREAT, 0622, &SMALL, &rx), 0);
        struct mqfs_handle *tx = open_ok("s", &BOB, "/blk", O_WRONLY);
        int cancel = eventfd(0, EFD_CLOEXEC);
        assert_true(cancel >= 0);

        /* Woken by a send from another thread. */
        struct blocked_call c = {.h = rx, .wait = {.deadline = NULL, .cancel_fd = cancel}};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, blocked_call_run, &c), 0);
        await_sleeping_in_ppoll(&c);
        assert_int_equal(mqfs_broker_send(broker, tx, "wake", 4, 2, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(c.result, 4);
        assert_memory_equal(c.buf, "wake", 4);
        assert_int_equal(c.prio, 2);

        /* Woken by cancellation. */
        struct blocked_call d = {.h = rx, .wait = {.deadline = NULL, .cancel_fd = cancel}};
        assert_int_equal(pthread_create(&t, NULL, blocked_call_run, &d), 0);
        await_sleeping_in_ppoll(&d);
        assert_int_equal(eventfd_write(cancel, 1), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(d.result, -EINTR);
        eventfd_t v;
        assert_int_equal(eventfd_read(cancel, &v), 0);

        /* A blocked send, woken by a receive. */
        for (int i = 0; i < SMALL.mq_maxmsg; i++)
                assert_int_equal(mqfs_broker_send(broker, tx, "f", 1, 0, NULL), 0);
        struct blocked_call s = {
            .h = tx, .send = true, .wait = {.deadline = NULL, .cancel_fd = cancel}};
        assert_int_equal(pthread_create(&t, NULL, blocked_call_run, &s), 0);
        await_sleeping_in_ppoll(&s);
        char buf[64];
        assert_int_equal(mqfs_broker_receive(broker, rx, buf, sizeof(buf), NULL, NULL), 1);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(s.result, 0);

        /* A grant withdrawn while a receive sleeps: the wake-up finds no right left. */
        for (int i = 0; i < SMALL.mq_maxmsg; i++)
                assert_true(mqfs_broker_receive(broker, rx, buf, sizeof(buf), NULL, NULL) > 0);
        struct blocked_call w = {.h = rx, .wait = {.deadline = NULL, .cancel_fd = cancel}};
        assert_int_equal(pthread_create(&t, NULL, blocked_call_run, &w), 0);
        await_sleeping_in_ppoll(&w);
        mqfs_broker_set_grant_table(broker, table("s", "/blk", W, NULL));
        assert_int_equal(mqfs_broker_send(broker, tx, "no", 2, 0, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(w.result, -EACCES);

        close(cancel);
        mqfs_handle_close(rx);
        mqfs_handle_close(tx);
}

static void the_backing_mount_is_private_and_checked(void **state)
{
        (void)state;
        /* Not in this process's mount table: nobody can find or cover it. */
        FILE *f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        char line[1024];
        int mqueue_mounts = 0;
        while (fgets(line, sizeof(line), f) != NULL)
                if (strstr(line, " - mqueue ") != NULL)
                        mqueue_mounts++;
        fclose(f);
        assert_int_equal(mqueue_mounts, 1); /* the test's own kernel mount only */
        /* It sees the queues of this IPC namespace. */
        make_queue("/seen", 0600);
        struct stat st;
        assert_int_equal(fstatat(mqfs_broker_backing_fd(broker), "seen", &st, 0), 0);
        /* The listing picks its strategy from the root's size, which the kernel keeps
         * at 20 bytes per queue over two entries' worth (ipc/mqueue.c DIRENT_SIZE). */
        make_queue("/seen2", 0600);
        make_queue("/seen3", 0600);
        assert_int_equal(fstat(mqfs_broker_backing_fd(broker), &st), 0);
        assert_int_equal(st.st_size, 40 + 20 * 3);
        assert_int_equal(mq_unlink("/seen3"), 0);
        assert_int_equal(fstat(mqfs_broker_backing_fd(broker), &st), 0);
        assert_int_equal(st.st_size, 40 + 20 * 2);
        /* Anything but a mqueue directory is refused, and the descriptor still taken. */
        int tmp = open(mqfs_test_scratch_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(tmp >= 0);
        assert_int_equal(mqfs_backing_check(tmp), -EINVAL);
        struct mqfs_broker *b = NULL;
        assert_int_equal(mqfs_broker_new(tmp, NULL, &b), -EINVAL);
        assert_null(b);
        assert_int_equal(fcntl(tmp, F_GETFD), -1);
        char path[512];
        snprintf(path, sizeof(path), "%s/seen", mqfs_test_kernel_dir);
        int file = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(file >= 0);
        assert_int_equal(mqfs_backing_check(file), -ENOTDIR);
        close(file);
}

/* The fallback for kernels without fsopen() gives the same kind of backing mount and
 * leaves neither a mount nor a directory behind. */
static void the_mount_fallback_leaves_nothing_behind(void **state)
{
        (void)state;
        int fd = mqfs_backing_open_with_mount();
        assert_true(fd >= 0);
        assert_int_equal(mqfs_backing_check(fd), 0);
        make_queue("/fallback", 0600);
        struct stat st;
        assert_int_equal(fstatat(fd, "fallback", &st, 0), 0);
        FILE *f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        char line[1024];
        int mqueue_mounts = 0;
        while (fgets(line, sizeof(line), f) != NULL)
                if (strstr(line, " - mqueue ") != NULL)
                        mqueue_mounts++;
        fclose(f);
        assert_int_equal(mqueue_mounts, 1);
        DIR *tmp = opendir("/tmp");
        assert_non_null(tmp);
        struct dirent *de;
        while ((de = readdir(tmp)) != NULL)
                assert_null(strstr(de->d_name, "mqfs-backing-"));
        closedir(tmp);
        close(fd);
}

int main(void)
{
        mqfs_test_private_world();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(names_are_checked_like_the_kernel, setup, teardown),
            cmocka_unit_test_setup_teardown(ungranted_queues_do_not_exist, setup, teardown),
            cmocka_unit_test_setup_teardown(granted_but_missing_queues_are_enoent, setup, teardown),
            cmocka_unit_test_setup_teardown(creating_needs_the_create_grant, setup, teardown),
            cmocka_unit_test_setup_teardown(a_created_queue_belongs_to_the_caller, setup, teardown),
            cmocka_unit_test_setup_teardown(send_and_receive_keep_priorities, setup, teardown),
            cmocka_unit_test_setup_teardown(each_operation_needs_its_permission, setup, teardown),
            cmocka_unit_test_setup_teardown(access_is_the_grant_then_the_kernels_judgement, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(queue_modes_apply_to_the_caller, setup, teardown),
            cmocka_unit_test_setup_teardown(chmod_and_chown_follow_ownership, setup, teardown),
            cmocka_unit_test_setup_teardown(kernel_errors_come_through, setup, teardown),
            cmocka_unit_test_setup_teardown(too_many_queues_is_enospc, setup, teardown),
            cmocka_unit_test_setup_teardown(the_callers_budget_pays_for_queues, setup, teardown),
            cmocka_unit_test_setup_teardown(status_is_the_kernels_line, setup, teardown),
            cmocka_unit_test_setup_teardown(stat_shows_owner_times_size_and_narrowed_mode, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(listing_shows_existing_granted_queues_in_order, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(groups_are_read_only_when_they_can_decide, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(an_open_without_groups_is_judged_as_the_caller, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_withdrawn_grant_stops_an_open_handle, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(attributes_and_readiness, setup, teardown),
            cmocka_unit_test_setup_teardown(a_blocked_receive_wakes_on_send_and_on_cancel, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(the_backing_mount_is_private_and_checked, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(the_mount_fallback_leaves_nothing_behind, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_limit_prlimit_refuses_is_read_from_proc, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_create_honours_the_callers_own_rlimit_msgqueue, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_handle_change_acts_on_the_unlinked_queue, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_refused_chown_leaves_the_mode_alone, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
