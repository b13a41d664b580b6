/* Many threads use the broker while the grant table is swapped underneath them:
 * 8 workers do mixed operations on 64 queues (spread over 4 owners, so no uid comes
 * near RLIMIT_MSGQUEUE) while a ninth thread installs a new table 1,000 times.
 * Every answer must be one the contract allows for some table that was current during
 * the call, and the queues a snap always holds every right on must never fail for
 * lack of a grant. Meant to run under ThreadSanitizer too (-DMQFS_TSAN=ON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "broker.h"
#include "grants.h"
#include "perm.h"
#include "testns.h"

enum {
        QUEUES = 64,
        STABLE = 56, /* queues 0..55 are never removed */
        WORKERS = 8,
        SWAPS = 1000,
        TABLES = 4,
        SLOTS = 4, /* open handles a worker keeps */
        OWNERS = 4,
};

static const struct mq_attr ATTR = {.mq_maxmsg = 3, .mq_msgsize = 64};

static struct mqfs_broker *broker;
static struct mqfs_grant_table *tables[TABLES];
static char names[QUEUES][8];
static atomic_bool swapping_done;
static atomic_long ops_done;
static atomic_long unexpected;

static struct mqfs_caller owner(int i)
{
        return (struct mqfs_caller){.uid = 6100 + (uid_t)(i % OWNERS), .gid = 6100, .pid = 10};
}

/* Snap "a" holds everything on every queue in every table. Snap "b"'s rights change
 * from table to table: all, read+write, open only, or nothing, shifting by queue. */
static struct mqfs_grant_table *build_table(int t)
{
        static const unsigned b_rights[] = {MQFS_PERM_ALL, MQFS_PERM_READ | MQFS_PERM_WRITE,
                                            MQFS_PERM_OPEN, 0};
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        for (int q = 0; q < QUEUES; q++) {
                assert_int_equal(mqfs_grant_table_add(g, "a", names[q], MQFS_PERM_ALL), 0);
                unsigned r = b_rights[(q + t) % 4];
                if (r != 0)
                        assert_int_equal(mqfs_grant_table_add(g, "b", names[q], r), 0);
        }
        assert_int_equal(mqfs_grant_table_add_snap(g, "b"), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        return g;
}

static void note(const char *what, int q, const char *snap, long err)
{
        atomic_fetch_add(&unexpected, 1);
        fprintf(stderr, "unexpected: %s on %s by %s gave %ld\n", what, names[q], snap, err);
}

/* Allowed answers for any snap on any table: success, or the contract's refusals, or
 * the queue state's own errors. A snap holding every right on a stable queue must
 * never see ENOENT or EACCES. */
static void judge(const char *what, int q, const char *snap, long ret, const long *also)
{
        if (ret >= 0)
                return;
        bool full = strcmp(snap, "a") == 0;
        if (ret == -ENOENT && !(full && q < STABLE))
                return;
        if (ret == -EACCES && !full)
                return;
        for (; also != NULL && *also != 0; also++)
                if (ret == *also)
                        return;
        note(what, q, snap, ret);
}

struct slot {
        struct mqfs_handle *h;
        int q;
        const char *snap;
};

static int count_entry(void *ctx, const char *name, const struct stat *st)
{
        (void)name;
        (void)st;
        ++*(int *)ctx;
        return 0;
}

static void one_operation(unsigned *seed, struct slot *slots)
{
        static const long queue_state[] = {-EAGAIN, -ETIMEDOUT, 0};
        int q = rand_r(seed) % QUEUES;
        const char *snap = rand_r(seed) % 2 ? "a" : "b";
        struct mqfs_caller caller = owner(rand_r(seed));
        struct slot *s = &slots[rand_r(seed) % SLOTS];
        char buf[64];
        long ret;

        switch (rand_r(seed) % 13) {
        case 0: { /* (re)open a handle */
                mqfs_handle_close(s->h);
                s->h = NULL;
                ret = mqfs_broker_open(broker, snap, &caller, names[q], O_RDWR | O_CREAT, 0666,
                                       &ATTR, &s->h);
                s->q = q;
                s->snap = snap;
                judge("open", q, snap, ret, NULL);
                break;
        }
        case 1:
                if (s->h == NULL)
                        break;
                ret = mqfs_broker_send(broker, s->h, "message", 7, (unsigned)q % 5, NULL);
                judge("send", s->q, s->snap, ret, queue_state);
                break;
        case 2:
                if (s->h == NULL)
                        break;
                ret = mqfs_broker_receive(broker, s->h, buf, sizeof(buf), NULL, NULL);
                judge("receive", s->q, s->snap, ret, queue_state);
                break;
        case 3: { /* a short blocking receive: sleeps in ppoll while tables change */
                if (s->h == NULL)
                        break;
                struct timespec deadline;
                clock_gettime(CLOCK_REALTIME, &deadline);
                deadline.tv_nsec += 200 * 1000;
                if (deadline.tv_nsec >= 1000000000L) {
                        deadline.tv_sec++;
                        deadline.tv_nsec -= 1000000000L;
                }
                struct mqfs_wait wait = {.deadline = &deadline, .cancel_fd = -1};
                ret = mqfs_broker_receive(broker, s->h, buf, sizeof(buf), NULL, &wait);
                judge("timed receive", s->q, s->snap, ret, queue_state);
                break;
        }
        case 4: {
                if (s->h == NULL)
                        break;
                struct mq_attr a;
                ret = mqfs_broker_getattr(broker, s->h, &a);
                judge("getattr", s->q, s->snap, ret, NULL);
                if (ret == 0 && (a.mq_maxmsg != ATTR.mq_maxmsg || a.mq_msgsize != ATTR.mq_msgsize))
                        note("getattr sizes", s->q, s->snap, a.mq_maxmsg);
                break;
        }
        case 5: {
                if (s->h == NULL)
                        break;
                short ev;
                ret = mqfs_broker_ready(broker, s->h, &ev);
                judge("ready", s->q, s->snap, ret, NULL);
                break;
        }
        case 6:
                ret = mqfs_broker_status(broker, snap, &caller, names[q], buf, sizeof(buf));
                judge("status", q, snap, ret, NULL);
                break;
        case 7: {
                struct stat st;
                ret = mqfs_broker_stat(broker, snap, &caller, names[q], &st);
                judge("stat", q, snap, ret, NULL);
                break;
        }
        case 8: {
                int n = 0;
                ret = mqfs_broker_list(broker, snap, count_entry, &n);
                judge("list", 0, snap, ret, NULL);
                if (ret == 0 && strcmp(snap, "a") == 0 && n < STABLE)
                        note("list count", 0, snap, n);
                break;
        }
        case 9: { /* only the removable queues go away (and come back through open) */
                int r = STABLE + q % (QUEUES - STABLE);
                /* The mqueue root is sticky: only a queue's owner (or root) may remove
                 * it, and the kernel says EACCES to the others. */
                static const long sticky[] = {-EACCES, -EPERM, 0};
                ret = mqfs_broker_unlink(broker, snap, &caller, names[r]);
                judge("unlink", r, snap, ret, sticky);
                break;
        }
        case 10: {
                struct mqfs_caller root = {.uid = 0, .gid = 0, .pid = 1};
                ret = mqfs_broker_chmod(broker, snap, &root, names[q], 0666);
                judge("chmod", q, snap, ret, NULL);
                break;
        }
        case 12:
                if (s->h == NULL)
                        break;
                ret = mqfs_broker_handle_status(broker, s->h, buf, sizeof(buf));
                judge("handle status", s->q, s->snap, ret, NULL);
                break;
        case 11: {
                if (s->h == NULL)
                        break;
                struct mq_attr set = {.mq_flags = rand_r(seed) % 2 ? O_NONBLOCK : 0};
                ret = mqfs_broker_setattr(broker, s->h, &set, NULL);
                judge("setattr", s->q, s->snap, ret, NULL);
                break;
        }
        }
        atomic_fetch_add(&ops_done, 1);
}

static void *worker(void *arg)
{
        unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
        struct slot slots[SLOTS] = {0};
        while (!atomic_load(&swapping_done))
                one_operation(&seed, slots);
        for (int i = 0; i < SLOTS; i++)
                mqfs_handle_close(slots[i].h);
        return NULL;
}

static void *swapper(void *arg)
{
        (void)arg;
        for (int i = 0; i < SWAPS; i++) {
                /* Let the workers make progress between two swaps, without timing. */
                long seen = atomic_load(&ops_done);
                while (atomic_load(&ops_done) < seen + WORKERS)
                        sched_yield();
                mqfs_broker_set_grant_table(broker, mqfs_grant_table_ref(tables[i % TABLES]));
                /* Readers may hold the old table; it stays valid for them. */
                struct mqfs_grant_table *now = mqfs_broker_grant_table(broker);
                if (now != tables[i % TABLES])
                        atomic_fetch_add(&unexpected, 1);
                mqfs_grant_table_unref(now);
        }
        atomic_store(&swapping_done, true);
        return NULL;
}

static void workers_and_a_policy_swapper(void **state)
{
        (void)state;
        for (int q = 0; q < QUEUES; q++)
                snprintf(names[q], sizeof(names[q]), "/c%02d", q);
        for (int t = 0; t < TABLES; t++)
                tables[t] = build_table(t);
        int fd = mqfs_backing_open();
        assert_true(fd >= 0);
        assert_int_equal(mqfs_broker_new(fd, mqfs_grant_table_ref(tables[0]), &broker), 0);
        for (int q = 0; q < QUEUES; q++) {
                struct mqfs_caller c = owner(q);
                struct mqfs_handle *h;
                assert_int_equal(mqfs_broker_open(broker, "a", &c, names[q],
                                                  O_RDWR | O_CREAT | O_EXCL, 0666, &ATTR, &h),
                                 0);
                mqfs_handle_close(h);
        }

        pthread_t workers[WORKERS], swap;
        for (int i = 0; i < WORKERS; i++)
                assert_int_equal(
                    pthread_create(&workers[i], NULL, worker, (void *)(uintptr_t)(i + 1)), 0);
        assert_int_equal(pthread_create(&swap, NULL, swapper, NULL), 0);
        assert_int_equal(pthread_join(swap, NULL), 0);
        for (int i = 0; i < WORKERS; i++)
                assert_int_equal(pthread_join(workers[i], NULL), 0);

        print_message("%ld operations across %d table swaps\n", atomic_load(&ops_done), SWAPS);
        assert_int_equal(atomic_load(&unexpected), 0);
        assert_true(atomic_load(&ops_done) >= (long)SWAPS * WORKERS);
        /* Every stable queue is still there, still owned as created. */
        for (int q = 0; q < STABLE; q++) {
                struct stat st;
                assert_int_equal(mqfs_test_kernel_stat(names[q], &st), 0);
                assert_int_equal(st.st_uid, owner(q).uid);
        }
        mqfs_broker_free(broker);
        for (int t = 0; t < TABLES; t++)
                mqfs_grant_table_unref(tables[t]);
        mqfs_test_remove_all_queues();
}

int main(void)
{
        mqfs_test_private_world();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(workers_and_a_policy_swapper),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
