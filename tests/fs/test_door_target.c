/* test_door_target.c — what the door reads of a caller: /proc/PID/status parsing, and
 * memory reads that stop at the NUL without touching a page past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "door_target.h"

static void parses_fs_ids_umask_and_groups(void **state)
{
        (void)state;
        const char *text = "Name:\tx\nUmask:\t0027\nState:\tS\n"
                           "Uid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\n"
                           "FDSize:\t64\nGroups:\t4 24 27 \nNgid:\t0\n";
        struct mqfs_target_creds c;
        assert_int_equal(mqfs_target_parse_status(text, &c), 0);
        assert_int_equal(c.fsuid, 1003);
        assert_int_equal(c.fsgid, 2003);
        assert_int_equal(c.umask, 027);
        assert_int_equal(c.ngroups, 3);
        assert_int_equal(c.groups[0], 4);
        assert_int_equal(c.groups[2], 27);
        mqfs_target_creds_clear(&c);
}

static void no_groups_and_bad_lines(void **state)
{
        (void)state;
        struct mqfs_target_creds c;
        assert_int_equal(
            mqfs_target_parse_status("Umask:\t0022\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                                     "Groups:\t\n",
                                     &c),
            0);
        assert_int_equal(c.ngroups, 0);
        assert_null(c.groups);
        mqfs_target_creds_clear(&c);
        /* A missing field, a short Uid line, a non-octal umask: refused, never guessed. */
        assert_int_equal(
            mqfs_target_parse_status("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\n", &c), -EINVAL);
        assert_int_equal(mqfs_target_parse_status("Umask:\t0022\nUid:\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                                                  "Groups:\n",
                                                  &c),
                         -EINVAL);
        assert_int_equal(
            mqfs_target_parse_status("Umask:\t0099\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
                                     "Groups:\n",
                                     &c),
            -EINVAL);
}

static void own_status_matches(void **state)
{
        (void)state;
        int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(proc >= 0);
        struct mqfs_target_creds c;
        mode_t old = umask(023);
        assert_int_equal(mqfs_target_creds(proc, getpid(), &c), 0);
        umask(old);
        assert_int_equal(c.fsuid, geteuid());
        assert_int_equal(c.umask, 023);
        mqfs_target_creds_clear(&c);
        close(proc);
}

/* A name that ends right before an unmapped page is read; one that runs into it is
 * EFAULT; no NUL within the size is ENAMETOOLONG. */
static void strings_stop_at_the_page(void **state)
{
        (void)state;
        long page = sysconf(_SC_PAGESIZE);
        char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(two != MAP_FAILED);
        assert_int_equal(munmap(two + page, (size_t)page), 0);
        char *end = two + page;
        memcpy(end - 4, "abc", 4);
        char buf[256];
        assert_int_equal(mqfs_target_read_string(getpid(), (uintptr_t)(end - 4), buf, sizeof(buf)),
                         3);
        assert_string_equal(buf, "abc");
        memset(end - 8, 'x', 8);
        assert_int_equal(mqfs_target_read_string(getpid(), (uintptr_t)(end - 8), buf, sizeof(buf)),
                         -EFAULT);
        memset(two, 'y', 300);
        assert_int_equal(mqfs_target_read_string(getpid(), (uintptr_t)two, buf, sizeof(buf)),
                         -ENAMETOOLONG);
        assert_int_equal(mqfs_target_read(getpid(), (uintptr_t)(end - 2), buf, 4), -EFAULT);
        munmap(two, (size_t)page);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parses_fs_ids_umask_and_groups),
            cmocka_unit_test(no_groups_and_bad_lines),
            cmocka_unit_test(own_status_matches),
            cmocka_unit_test(strings_stop_at_the_page),
        };
        return cmocka_run_group_tests_name("door_target", tests, NULL, NULL);
}
