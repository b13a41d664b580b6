#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "grants.h"
#include "perm.h"

static void lookups_answer_what_was_granted(void **state)
{
        (void)state;
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "consumer", "/b", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_add(g, "consumer", "/a", MQFS_PERM_WRITE), 0);
        assert_int_equal(mqfs_grant_table_add(g, "consumer", "/b", MQFS_PERM_DELETE), 0);
        assert_int_equal(mqfs_grant_table_add_snap(g, "lonely"), 0);
        assert_int_equal(mqfs_grant_table_add_snap(g, "consumer"), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);

        assert_int_equal(mqfs_grant_table_snap_count(g), 2);
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, "consumer");
        assert_non_null(set);
        assert_string_equal(mqfs_grant_set_snap(set), "consumer");
        /* Union of the two grants on /b, and open always present. */
        assert_int_equal(mqfs_grant_set_perms(set, "/b"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_DELETE);
        assert_int_equal(mqfs_grant_set_perms(set, "/a"), MQFS_PERM_OPEN | MQFS_PERM_WRITE);
        assert_int_equal(mqfs_grant_set_perms(set, "/c"), 0);
        assert_int_equal(mqfs_grant_set_count(set), 2);
        unsigned perms;
        assert_string_equal(mqfs_grant_set_queue_at(set, 0, &perms), "/a");
        assert_string_equal(mqfs_grant_set_queue_at(set, 1, &perms), "/b");
        assert_null(mqfs_grant_set_queue_at(set, 2, &perms));

        const struct mqfs_grant_set *lonely = mqfs_grant_table_set_of(g, "lonely");
        assert_non_null(lonely);
        assert_int_equal(mqfs_grant_set_count(lonely), 0);
        assert_int_equal(mqfs_grant_set_perms(lonely, "/a"), 0);
        assert_null(mqfs_grant_table_set_of(g, "stranger"));
        assert_int_equal(mqfs_grant_set_perms(NULL, "/a"), 0);

        assert_int_equal(mqfs_grant_table_add(g, "late", "/x", MQFS_PERM_READ), -EBUSY);
        mqfs_grant_table_unref(g);
}

static void bad_grants_are_refused(void **state)
{
        (void)state;
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "no-slash", MQFS_PERM_READ), -EINVAL);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/q", 0), -EINVAL);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/q", 1u << 9), -EINVAL);
        assert_int_equal(mqfs_grant_table_add(g, "", "/q", MQFS_PERM_READ), -EINVAL);
        assert_int_equal(mqfs_grant_table_add_snap(g, ""), -EINVAL);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        assert_int_equal(mqfs_grant_table_snap_count(g), 0);
        assert_null(mqfs_grant_table_set_of(g, "s"));
        mqfs_grant_table_unref(g);
}

static void references_keep_the_table_alive(void **state)
{
        (void)state;
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/q", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        struct mqfs_grant_table *second = mqfs_grant_table_ref(g);
        mqfs_grant_table_unref(g);
        /* Still readable through the second reference (ASan/valgrind would object otherwise). */
        assert_int_equal(mqfs_grant_set_perms(mqfs_grant_table_set_of(second, "s"), "/q"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ);
        mqfs_grant_table_unref(second);
}

static void many_snaps_sort_and_find(void **state)
{
        (void)state;
        struct mqfs_grant_table *g;
        char snap[32], queue[32];
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        for (int i = 999; i >= 0; i--) {
                snprintf(snap, sizeof(snap), "snap-%04d", i);
                for (int j = 0; j < 10; j++) {
                        snprintf(queue, sizeof(queue), "/q-%d-%d", i, j);
                        assert_int_equal(mqfs_grant_table_add(g, snap, queue, MQFS_PERM_READ), 0);
                }
        }
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        assert_int_equal(mqfs_grant_table_snap_count(g), 1000);
        for (int i = 0; i < 1000; i += 37) {
                snprintf(snap, sizeof(snap), "snap-%04d", i);
                snprintf(queue, sizeof(queue), "/q-%d-7", i);
                const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, snap);
                assert_non_null(set);
                assert_int_equal(mqfs_grant_set_count(set), 10);
                assert_int_equal(mqfs_grant_set_perms(set, queue), MQFS_PERM_OPEN | MQFS_PERM_READ);
                snprintf(queue, sizeof(queue), "/q-%d-7", i + 1);
                assert_int_equal(mqfs_grant_set_perms(set, queue), 0);
        }
        mqfs_grant_table_unref(g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(lookups_answer_what_was_granted),
            cmocka_unit_test(bad_grants_are_refused),
            cmocka_unit_test(references_keep_the_table_alive),
            cmocka_unit_test(many_snaps_sort_and_find),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
