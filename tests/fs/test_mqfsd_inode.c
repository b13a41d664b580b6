/* test_mqfsd_inode.c — the inode table (fs/inode.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "inode.h"

static void test_root_is_one(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        struct mqfs_inode *root = mqfs_inode_get(t, MQFS_ROOT_INO);
        assert_non_null(root);
        assert_int_equal(root->kind, MQFS_INODE_ROOT);
        mqfs_inode_forget(t, MQFS_ROOT_INO, 1000); /* never dropped */
        assert_ptr_equal(mqfs_inode_get(t, MQFS_ROOT_INO), root);
        assert_null(mqfs_inode_get(t, 2));
        assert_int_equal(mqfs_inode_count(t), 0);
        mqfs_inode_table_free(t);
}

static void test_keys_and_numbers(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        struct mqfs_inode *view, *q, *again, *other;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        assert_int_equal(mqfs_inode_enter(t, "snap", NULL, &view), 0);
        assert_int_equal(view->kind, MQFS_INODE_VIEW);
        assert_int_equal(mqfs_inode_enter(t, "snap", "/q", &q), 0);
        assert_int_equal(q->kind, MQFS_INODE_QUEUE);
        assert_true(q->ino != view->ino && q->ino != MQFS_ROOT_INO && view->ino != MQFS_ROOT_INO);
        assert_int_equal(mqfs_inode_enter(t, "snap", "/q", &again), 0);
        assert_ptr_equal(again, q);
        /* Keys that concatenate alike stay apart. */
        assert_int_equal(mqfs_inode_enter(t, "sna", "p/q", &other), 0);
        assert_ptr_not_equal(other, q);
        assert_ptr_equal(mqfs_inode_find(t, "snap", "/q"), q);
        assert_ptr_equal(mqfs_inode_find(t, "snap", NULL), view);
        assert_null(mqfs_inode_find(t, "snap", "/r"));
        assert_ptr_equal(mqfs_inode_get(t, q->ino), q);
        mqfs_inode_table_free(t);
}

/* Whether mqfs_inode_forget(t, ino, n) aborts (SIGABRT), run in a child so that the test
 * lives on. */
static bool forget_aborts(struct mqfs_inode_table *t, uint64_t ino, uint64_t n)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (devnull >= 0)
                        dup2(devnull, STDERR_FILENO); /* the abort's message is expected */
                mqfs_inode_forget(t, ino, n);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void test_forget_drops_at_zero_and_numbers_are_not_reused(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        struct mqfs_inode *q;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &q), 0);
        uint64_t ino = q->ino;
        q->nlookup = 3;
        mqfs_inode_forget(t, ino, 2);
        assert_ptr_equal(mqfs_inode_get(t, ino), q);
        assert_int_equal(q->nlookup, 1);
        /* More than held is an impossible state (the kernel forgets only what it was
         * given): the daemon aborts rather than clamp, and the inode stays as it was. */
        assert_true(forget_aborts(t, ino, 5));
        assert_int_equal(q->nlookup, 1);
        mqfs_inode_forget(t, ino, 1);
        assert_null(mqfs_inode_get(t, ino));
        assert_null(mqfs_inode_find(t, "s", "/q"));
        assert_true(forget_aborts(t, ino, 1)); /* unknown: impossible too */
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &q), 0);
        assert_true(q->ino > ino);
        mqfs_inode_table_free(t);
}

static bool keep_even(void *ctx, const struct mqfs_inode *in)
{
        (void)ctx;
        return in->queue && (in->queue[2] - '0') % 2 == 0;
}

static void count_one(void *ctx, const struct mqfs_inode *in)
{
        (void)in;
        (*(int *)ctx)++;
}

/* Many inodes (the tables grow), then prune keeps what is held or wanted. */
static void test_growth_and_prune(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        char name[32];
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        for (int i = 0; i < 5000; i++) {
                struct mqfs_inode *in;
                snprintf(name, sizeof(name), "/q%d", i % 10);
                char snap[16];
                snprintf(snap, sizeof(snap), "s%d", i);
                assert_int_equal(mqfs_inode_enter(t, snap, name, &in), 0);
                if (i % 100 == 1)
                        in->nlookup = 1; /* held by the kernel */
        }
        assert_int_equal(mqfs_inode_count(t), 5000);
        for (int i = 0; i < 5000; i += 7) {
                char snap[16];
                snprintf(snap, sizeof(snap), "s%d", i);
                snprintf(name, sizeof(name), "/q%d", i % 10);
                struct mqfs_inode *in = mqfs_inode_find(t, snap, name);
                assert_non_null(in);
                assert_ptr_equal(mqfs_inode_get(t, in->ino), in);
        }
        mqfs_inode_prune(t, keep_even, NULL);
        /* Kept: the 2500 even ones, and the 50 held ones (all odd: i % 100 == 1). */
        assert_int_equal(mqfs_inode_count(t), 2550);
        int n = 0;
        mqfs_inode_foreach(t, count_one, &n);
        assert_int_equal(n, 2550);
        mqfs_inode_table_free(t);
}

/* Issue 15, finding 5: one counter served every view, so a snap reading its own
 * queues' numbers saw the gap another snap's listing left (8, 9, 10, then 14). Each
 * view now counts alone. */
static void test_numbers_say_nothing_about_other_views(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        struct mqfs_inode *a_view, *b_view, *in;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        assert_int_equal(mqfs_inode_enter(t, "a", NULL, &a_view), 0);
        uint64_t a_view_ino = a_view->ino;
        uint64_t last = 0;
        for (int round = 0; round < 3; round++) {
                char q[16];
                snprintf(q, sizeof(q), "/q%d", round);
                assert_int_equal(mqfs_inode_enter(t, "a", q, &in), 0);
                if (round)
                        assert_int_equal(in->ino, last + 1); /* no gap */
                last = in->ino;
                mqfs_inode_forget(t, in->ino, 0); /* no lookup held: the number stays out */
                /* Another snap lists its view of 50 queues in between. */
                assert_int_equal(mqfs_inode_enter(t, "b", NULL, &b_view), 0);
                for (int i = 0; i < 50; i++) {
                        snprintf(q, sizeof(q), "/b%d-%d", round, i);
                        assert_int_equal(mqfs_inode_enter(t, "b", q, &in), 0);
                        assert_int_equal(in->ino >> MQFS_INO_SERIES_SHIFT,
                                         b_view->ino >> MQFS_INO_SERIES_SHIFT);
                }
        }
        /* A view's own number depends on its name alone: forgotten and entered again, or
         * in another table where other snaps came first, it is the same. */
        a_view->nlookup = 1; /* the one lookup the kernel then forgets */
        mqfs_inode_forget(t, a_view_ino, 1);
        struct mqfs_inode_table *t2;
        assert_int_equal(mqfs_inode_table_new(&t2), 0);
        assert_int_equal(mqfs_inode_enter(t2, "zz", NULL, &in), 0);
        assert_int_equal(mqfs_inode_enter(t2, "a", NULL, &in), 0);
        assert_int_equal(in->ino, a_view_ino);
        assert_int_equal(mqfs_inode_enter(t2, "a", "/q0", &in), 0);
        assert_int_equal(in->ino, a_view_ino + 1);
        mqfs_inode_table_free(t2);
        mqfs_inode_table_free(t);
}

/* Prefixes come from a hash of the name: among 20,000 views some hash alike (24 bits;
 * 10 pairs of these names do), and each still gets a series of its own. */
static void test_view_prefix_collisions_are_handled(void **state)
{
        (void)state;
        enum { N = 20000 };
        struct mqfs_inode_table *t;
        static uint64_t seen[N];
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        for (int i = 0; i < N; i++) {
                char snap[16];
                struct mqfs_inode *in;
                snprintf(snap, sizeof(snap), "s%d", i);
                assert_int_equal(mqfs_inode_enter(t, snap, NULL, &in), 0);
                seen[i] = in->ino;
                assert_int_equal(in->ino & (MQFS_INO_SERIES_SIZE - 1), 1);
                assert_true(in->ino >> MQFS_INO_SERIES_SHIFT != 0);
        }
        for (int i = 0; i < N; i++) {
                char snap[16];
                snprintf(snap, sizeof(snap), "s%d", i);
                struct mqfs_inode *in = mqfs_inode_get(t, seen[i]);
                assert_non_null(in);
                assert_string_equal(in->snap, snap); /* unique: get finds this one */
        }
        mqfs_inode_table_free(t);
}

/* An unlinked queue's inode stays for its open files, by number only; a queue created
 * again under the name gets a new inode (issue 15, item 6). Growth keeps it detached. */
static void test_detach_parts_the_inode_from_its_name(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        struct mqfs_inode *q, *fresh, *unheld, *view;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        assert_int_equal(mqfs_inode_enter(t, "s", NULL, &view), 0);
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &q), 0);
        q->nlookup = 1;
        uint64_t ino = q->ino;
        mqfs_inode_detach(t, q);
        assert_true(q->detached);
        assert_null(mqfs_inode_find(t, "s", "/q"));
        assert_ptr_equal(mqfs_inode_get(t, ino), q);
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &fresh), 0);
        assert_ptr_not_equal(fresh, q);
        assert_true(fresh->ino != ino);
        for (int i = 0; i < 300; i++) { /* several doublings */
                char name[16];
                struct mqfs_inode *in;
                snprintf(name, sizeof(name), "/g%d", i);
                assert_int_equal(mqfs_inode_enter(t, "s", name, &in), 0);
        }
        assert_ptr_equal(mqfs_inode_get(t, ino), q);
        assert_ptr_equal(mqfs_inode_find(t, "s", "/q"), fresh);
        mqfs_inode_forget(t, ino, 1);
        assert_null(mqfs_inode_get(t, ino));
        assert_ptr_equal(mqfs_inode_find(t, "s", "/q"), fresh);
        /* No lookup held: dropped at once. A view is never detached. */
        assert_int_equal(mqfs_inode_enter(t, "s", "/u", &unheld), 0);
        uint64_t uino = unheld->ino;
        mqfs_inode_detach(t, unheld);
        assert_null(mqfs_inode_get(t, uino));
        mqfs_inode_detach(t, view);
        assert_ptr_equal(mqfs_inode_find(t, "s", NULL), view);
        mqfs_inode_table_free(t);
}

/* A name removed and made again outside the view holds another backing queue: the
 * inode that stood for the old one is detached (kept while looked up), and the name's
 * next inode is a new one. */
static void test_a_name_holding_another_queue_parts_the_inode(void **state)
{
        (void)state;
        struct mqfs_inode_table *t;
        struct mqfs_inode *q, *again, *fresh, *unheld;
        assert_int_equal(mqfs_inode_table_new(&t), 0);
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &q), 0);
        q->nlookup = 1;
        uint64_t ino = q->ino;
        assert_true(mqfs_inode_holds(t, q, 41)); /* the first id seen is recorded */
        assert_true(mqfs_inode_holds(t, q, 41));
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &again), 0);
        assert_ptr_equal(again, q);
        assert_false(mqfs_inode_holds(t, q, 42));
        assert_true(q->detached);
        assert_ptr_equal(mqfs_inode_get(t, ino), q);
        assert_false(mqfs_inode_holds(t, q, 42)); /* detached: stands for queue 41 alone */
        assert_int_equal(mqfs_inode_enter(t, "s", "/q", &fresh), 0);
        assert_ptr_not_equal(fresh, q);
        assert_true(fresh->ino != ino);
        assert_true(mqfs_inode_holds(t, fresh, 42));
        mqfs_inode_forget(t, ino, 1);
        assert_null(mqfs_inode_get(t, ino));
        /* No lookup held: dropped at once. */
        assert_int_equal(mqfs_inode_enter(t, "s", "/u", &unheld), 0);
        uint64_t uino = unheld->ino;
        assert_true(mqfs_inode_holds(t, unheld, 7));
        assert_false(mqfs_inode_holds(t, unheld, 8));
        assert_null(mqfs_inode_get(t, uino));
        mqfs_inode_table_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_root_is_one),
            cmocka_unit_test(test_keys_and_numbers),
            cmocka_unit_test(test_forget_drops_at_zero_and_numbers_are_not_reused),
            cmocka_unit_test(test_growth_and_prune),
            cmocka_unit_test(test_numbers_say_nothing_about_other_views),
            cmocka_unit_test(test_view_prefix_collisions_are_handled),
            cmocka_unit_test(test_detach_parts_the_inode_from_its_name),
            cmocka_unit_test(test_a_name_holding_another_queue_parts_the_inode),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
