/* test_mqfsd_log.c — the denial rate limit (fs/log.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log.h"

#define SEC 1000000000ull

static void test_burst_then_rate(void **state)
{
        (void)state;
        struct mqfs_ratelimit rl;
        unsigned long dropped = 99;
        uint64_t t = 5 * SEC;
        mqfs_ratelimit_init(&rl, 20, 100, t);
        for (int i = 0; i < 100; i++) {
                assert_true(mqfs_ratelimit_take(&rl, t, &dropped));
                assert_int_equal(dropped, 0);
        }
        /* The burst is spent: a flood at the same instant is dropped and counted. */
        for (int i = 0; i < 1000; i++)
                assert_false(mqfs_ratelimit_take(&rl, t, &dropped));
        /* 50 ms later: one token (20/s); the line that passes reports the 1000. */
        t += SEC / 20;
        assert_true(mqfs_ratelimit_take(&rl, t, &dropped));
        assert_int_equal(dropped, 1000);
        assert_false(mqfs_ratelimit_take(&rl, t, &dropped));
        assert_int_equal(dropped, 0);
        /* Over one second of flood, about 20 lines pass, never more than the rate. */
        int passed = 0;
        for (int ms = 1; ms <= 1000; ms++)
                passed += mqfs_ratelimit_take(&rl, t + (uint64_t)ms * 1000000u, &dropped);
        assert_in_range(passed, 19, 21);
        /* A long quiet time refills to the burst, not beyond. */
        t += 3600 * SEC;
        passed = 0;
        for (int i = 0; i < 500; i++)
                passed += mqfs_ratelimit_take(&rl, t, &dropped);
        assert_int_equal(passed, 100);
}

/* A clock that goes backwards (or stands still) never mints tokens. */
static void test_time_going_backwards(void **state)
{
        (void)state;
        struct mqfs_ratelimit rl;
        unsigned long dropped;
        mqfs_ratelimit_init(&rl, 20, 1, 10 * SEC);
        assert_true(mqfs_ratelimit_take(&rl, 10 * SEC, &dropped));
        assert_false(mqfs_ratelimit_take(&rl, 9 * SEC, &dropped));
        assert_false(mqfs_ratelimit_take(&rl, 10 * SEC, &dropped));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_burst_then_rate),
            cmocka_unit_test(test_time_going_backwards),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
