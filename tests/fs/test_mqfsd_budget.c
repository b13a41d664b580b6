/* test_mqfsd_budget.c — per-caller budgets (fs/budget.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "budget.h"

static struct mqfs_limits small(void)
{
        struct mqfs_limits l;
        mqfs_limits_default(&l);
        l.max[MQFS_LIMIT_FILES] = 3;
        l.max[MQFS_LIMIT_PARKED] = 2;
        return l;
}

/* One snap at its budget: refused alone; another snap, even under the same uid's
 * budget, still takes. */
static void test_per_snap_and_per_uid(void **state)
{
        (void)state;
        struct mqfs_limits l = small();
        struct mqfs_budget *b;
        assert_int_equal(mqfs_budget_new(&l, 100000, &b), 0);
        for (int i = 0; i < 3; i++)
                assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "a", 1000, 1), 0);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "a", 1001, 1), -EMFILE); /* snap */
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "b", 1000, 1), -EMFILE); /* uid */
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "b", 1001, 1), 0);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_PARKED, "a", 1000, 2), 0);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_PARKED, "a", 1000, 1), -EAGAIN);
        assert_int_equal(mqfs_budget_refusals(b), 3);
        assert_int_equal(mqfs_budget_held(b, MQFS_LIMIT_FILES, "a", 0), 3);
        assert_int_equal(mqfs_budget_held(b, MQFS_LIMIT_FILES, NULL, 1000), 3);
        assert_int_equal(mqfs_budget_held(b, MQFS_LIMIT_FILES, "b", 0), 1);
        /* Given back: taken again. */
        mqfs_budget_give(b, MQFS_LIMIT_FILES, "a", 1000, 1);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "a", 1000, 1), 0);
        /* A reload with higher limits lets more in; what is held stays. */
        l.max[MQFS_LIMIT_FILES] = 5;
        mqfs_budget_set_limits(b, &l);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "a", 1000, 2), 0);
        assert_int_equal(mqfs_budget_take(b, MQFS_LIMIT_FILES, "a", 1000, 1), -EMFILE);
        for (int i = 0; i < 5; i++)
                mqfs_budget_give(b, MQFS_LIMIT_FILES, "a", 1000, 1);
        mqfs_budget_give(b, MQFS_LIMIT_FILES, "b", 1001, 1);
        mqfs_budget_give(b, MQFS_LIMIT_PARKED, "a", 1000, 2);
        assert_int_equal(mqfs_budget_held(b, MQFS_LIMIT_FILES, "a", 0), 0);
        mqfs_budget_free(b);
}

/* The descriptors of all callers together stay MQFS_BUDGET_FD_RESERVE below the
 * daemon's limit, whatever the per-caller budgets say. */
static void test_fd_pool_keeps_a_reserve(void **state)
{
        (void)state;
        struct mqfs_limits l;
        mqfs_limits_default(&l);
        struct mqfs_budget *b;
        size_t fd_limit = MQFS_BUDGET_FD_RESERVE + 600;
        assert_int_equal(mqfs_budget_new(&l, fd_limit, &b), 0);
        int taken = 0;
        char snap[16];
        for (int i = 0; i < 2000; i++) {
                snprintf(snap, sizeof(snap), "s%d", i % 7);
                if (mqfs_budget_take(b, i % 2 ? MQFS_LIMIT_FILES : MQFS_LIMIT_DIRS, snap,
                                     (uid_t)(1000 + i % 5), 1) == 0)
                        taken++;
        }
        assert_int_equal(taken, 600);
        mqfs_budget_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_per_snap_and_per_uid),
            cmocka_unit_test(test_fd_pool_keeps_a_reserve),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
