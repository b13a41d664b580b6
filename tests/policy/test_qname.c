#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "qname.h"

static char *name_of_length(size_t n)
{
        char *s = malloc(n + 2);
        assert_non_null(s);
        s[0] = '/';
        memset(s + 1, 'q', n);
        s[n + 1] = '\0';
        return s;
}

static void check_follows_the_kernel(void **state)
{
        (void)state;
        assert_int_equal(mqfs_qname_check("/q"), 0);
        assert_int_equal(mqfs_qname_check("/with space and ünïcode"), 0);
        assert_int_equal(mqfs_qname_check("q"), -EINVAL);
        assert_int_equal(mqfs_qname_check(""), -EINVAL);
        assert_int_equal(mqfs_qname_check(NULL), -EINVAL);
        assert_int_equal(mqfs_qname_check("/"), -EACCES);
        assert_int_equal(mqfs_qname_check("/."), -EACCES);
        assert_int_equal(mqfs_qname_check("/.."), -EACCES);
        assert_int_equal(mqfs_qname_check("/..."), 0);
        assert_int_equal(mqfs_qname_check("/a/b"), -EACCES);
        assert_int_equal(mqfs_qname_check("//"), -EACCES);
        assert_int_equal(mqfs_qname_check_entry("q"), 0);
        assert_int_equal(mqfs_qname_check_entry("a/b"), -EACCES);
        assert_int_equal(mqfs_qname_check_entry(".."), -EACCES);
}

static void check_draws_the_line_at_255(void **state)
{
        (void)state;
        char *ok = name_of_length(255), *long_name = name_of_length(256);
        assert_int_equal(mqfs_qname_check(ok), 0);
        assert_int_equal(mqfs_qname_check(long_name), -ENAMETOOLONG);
        /* A further '/' is judged before the length, as mq_open(3) does. */
        long_name[100] = '/';
        assert_int_equal(mqfs_qname_check(long_name), -EACCES);
        free(ok);
        free(long_name);
}

static void escape_never_prints_control_bytes(void **state)
{
        (void)state;
        const char raw[] = "/a\nb\tc\\d\x01\x7f\"e\xff\xc3\xa9";
        char *out = mqfs_escape(raw, sizeof(raw) - 1);
        assert_non_null(out);
        assert_string_equal(out, "/a\\nb\\tc\\\\d\\x01\\x7f\"e\\xff\xc3\xa9");
        free(out);

        /* An embedded NUL is escaped too, since the length is explicit. */
        out = mqfs_escape("a\0b", 3);
        assert_string_equal(out, "a\\x00b");
        free(out);

        /* Overlong and truncated sequences are not UTF-8. */
        out = mqfs_escape("\xc0\xaf\xe2\x82", 4);
        assert_string_equal(out, "\\xc0\\xaf\\xe2\\x82");
        free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(check_follows_the_kernel),
                cmocka_unit_test(check_draws_the_line_at_255),
                cmocka_unit_test(escape_never_prints_control_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
