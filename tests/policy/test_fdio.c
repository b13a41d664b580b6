/* test_fdio — whole reads and writes (policy/base/fdio.c), and errno text and
 * log-and-return (policy/base/errors.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "fdio.h"

enum { BIG = 1 << 20 }; /* far more than a pipe holds: the writes come back short */

struct drain {
        int fd;
        char *got;
        size_t len;
};

static void *drain_main(void *arg)
{
        struct drain *d = arg;
        ssize_t n;
        while (d->len < BIG && (n = read(d->fd, d->got + d->len, 4096)) > 0)
                d->len += (size_t)n;
        return NULL;
}

static void everything_arrives_through_a_small_pipe(void **state)
{
        (void)state;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) > 0);
        char *data = malloc(BIG);
        struct drain d = {.fd = p[0], .got = malloc(BIG)};
        assert_non_null(data);
        assert_non_null(d.got);
        for (size_t i = 0; i < BIG; i++)
                data[i] = (char)(i * 7 + i / 4099);
        pthread_t reader;
        assert_int_equal(pthread_create(&reader, NULL, drain_main, &d), 0);
        assert_int_equal(mqfs_write_all(p[1], data, BIG), 0);
        close(p[1]);
        pthread_join(reader, NULL);
        close(p[0]);
        assert_int_equal(d.len, BIG);
        assert_memory_equal(d.got, data, BIG);
        free(data);
        free(d.got);
}

static void errors_come_back_as_negative_errno(void **state)
{
        (void)state;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(mqfs_write_all(p[0], "x", 1), -EBADF); /* the read end */
        close(p[0]);
        close(p[1]);
        assert_int_equal(mqfs_write_all(-1, "x", 1), -EBADF);
        assert_int_equal(mqfs_write_all(-1, "", 0), 0); /* nothing to write: nothing done */
}

/* Reads come back whole however the writer splits them; a writer that dies half way
 * is -EIO, not a short success. */
static void a_whole_read_waits_for_every_byte(void **state)
{
        (void)state;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_int_equal(mqfs_write_all(p[1], "ab", 2), 0);
        assert_int_equal(mqfs_write_all(p[1], "cd", 2), 0);
        char buf[8];
        assert_int_equal(mqfs_read_full(p[0], buf, 4), 0);
        assert_memory_equal(buf, "abcd", 4);
        assert_int_equal(mqfs_write_all(p[1], "e", 1), 0);
        close(p[1]);
        assert_int_equal(mqfs_read_full(p[0], buf, 2), -EIO);
        close(p[0]);
        assert_int_equal(mqfs_read_full(-1, buf, 1), -EBADF);
}

static char sunk[1024];

static void sink(const char *line)
{
        snprintf(sunk, sizeof(sunk), "%s", line);
}

/* One expression logs and returns; the text is the errno's, whatever its sign. */
static void log_errno_logs_and_returns_the_error(void **state)
{
        (void)state;
        mqfs_set_error_sink(sink);
        assert_int_equal(mqfs_log_errno(-ENOENT, "cannot open %s; is it there?", "/x"), -ENOENT);
        assert_string_equal(sunk, "cannot open /x; is it there?: No such file or directory");
        sunk[0] = '\0';
        assert_int_equal(mqfs_log_errno(0, "nothing"), 0);
        assert_string_equal(sunk, "");
        mqfs_set_error_sink(NULL);
        assert_string_equal(mqfs_errstr(-EACCES), mqfs_errstr(EACCES));
        assert_string_equal(mqfs_errname(-EACCES), "EACCES");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(everything_arrives_through_a_small_pipe),
            cmocka_unit_test(errors_come_back_as_negative_errno),
            cmocka_unit_test(a_whole_read_waits_for_every_byte),
            cmocka_unit_test(log_errno_logs_and_returns_the_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
