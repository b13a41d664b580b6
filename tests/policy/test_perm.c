#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "perm.h"

static void parse_accepts_each_word_and_nothing_else(void **state)
{
        (void)state;
        const char *words[] = {"open", "read", "write", "create", "delete"};
        for (unsigned i = 0; i < 5; i++) {
                unsigned bit = 0;
                assert_int_equal(mqfs_perm_parse(words[i], &bit), 0);
                assert_int_equal(bit, 1u << i);
                assert_string_equal(mqfs_perm_word(bit), words[i]);
        }
        unsigned bit = 0;
        assert_int_equal(mqfs_perm_parse("Read", &bit), -EINVAL);
        assert_int_equal(mqfs_perm_parse("", &bit), -EINVAL);
        assert_int_equal(mqfs_perm_parse("read ", &bit), -EINVAL);
        assert_null(mqfs_perm_word(MQFS_PERM_READ | MQFS_PERM_WRITE));
        assert_null(mqfs_perm_word(0));
}

static void format_uses_canonical_order(void **state)
{
        (void)state;
        char buf[64];
        assert_int_equal(
            mqfs_perm_format(MQFS_PERM_DELETE | MQFS_PERM_READ | MQFS_PERM_OPEN, buf, sizeof(buf)),
            (int)strlen("open read delete"));
        assert_string_equal(buf, "open read delete");
        assert_int_equal(mqfs_perm_format(MQFS_PERM_ALL, buf, sizeof(buf)),
                         (int)strlen("open read write create delete"));
        assert_string_equal(buf, "open read write create delete");
        assert_int_equal(mqfs_perm_format(0, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "");
}

static void an_access_mask_asks_read_and_write_only(void **state)
{
        (void)state;
        assert_int_equal(mqfs_perm_for_access(F_OK), 0);
        assert_int_equal(mqfs_perm_for_access(X_OK), 0);
        assert_int_equal(mqfs_perm_for_access(R_OK), MQFS_PERM_READ);
        assert_int_equal(mqfs_perm_for_access(W_OK), MQFS_PERM_WRITE);
        assert_int_equal(mqfs_perm_for_access(R_OK | W_OK | X_OK),
                         MQFS_PERM_READ | MQFS_PERM_WRITE);
}

static void format_reports_a_short_buffer(void **state)
{
        (void)state;
        char buf[10];
        assert_int_equal(mqfs_perm_format(MQFS_PERM_OPEN | MQFS_PERM_READ, buf, 9), -ENOSPC);
        assert_int_equal(mqfs_perm_format(MQFS_PERM_OPEN | MQFS_PERM_READ, buf, 10), 9);
        assert_int_equal(mqfs_perm_format(MQFS_PERM_OPEN, buf, 0), -ENOSPC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parse_accepts_each_word_and_nothing_else),
            cmocka_unit_test(format_uses_canonical_order),
            cmocka_unit_test(an_access_mask_asks_read_and_write_only),
            cmocka_unit_test(format_reports_a_short_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
