/* test_cleanup — scope-bound release and explicit moves (policy/base/cleanup.h).
 *
 * free() is wrapped at link time (-Wl,--wrap=free, see CMakeLists.txt) so that the
 * test sees which blocks the cleanups free; descriptors are seen through fcntl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* ---- free(), watched ---- */

void __real_free(void *p);
void __wrap_free(void *p);

enum { MAX_WATCHED = 4 };
static const void *watched[MAX_WATCHED]; /* the blocks whose frees are counted */
static size_t nwatched;
static int watched_frees;

void __wrap_free(void *p)
{
        for (size_t i = 0; p != NULL && i < nwatched; i++)
                if (p == watched[i]) {
                        watched_frees++;
                        watched[i] = NULL; /* an address malloc hands out again is not ours */
                }
        __real_free(p);
}

static void watch_nothing(void)
{
        nwatched = 0;
        watched_frees = 0;
}

/* A new block, watched from now on. */
static char *watched_block(void)
{
        char *p = strdup("owned");
        assert_non_null(p);
        assert_true(nwatched < MAX_WATCHED);
        watched[nwatched++] = p;
        return p;
}

static bool fd_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static int new_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* ---- memory ---- */

static void memory_is_freed_at_the_end_of_the_scope(void **state)
{
        (void)state;
        watch_nothing();
        {
                MQFS_AUTOFREE char *p = watched_block();
                assert_int_equal(watched_frees, 0);
        }
        assert_int_equal(watched_frees, 1);
}

static char *early_return(bool leave_early)
{
        MQFS_AUTOFREE char *p = watched_block();
        if (leave_early)
                return NULL;
        return MQFS_MOVE_PTR(p);
}

static void memory_is_freed_on_an_early_return(void **state)
{
        (void)state;
        watch_nothing();
        assert_null(early_return(true));
        assert_int_equal(watched_frees, 1);
}

static void moved_memory_is_not_freed(void **state)
{
        (void)state;
        watch_nothing();
        char *kept;
        {
                MQFS_AUTOFREE char *p = watched_block();
                kept = MQFS_MOVE_PTR(p);
                assert_null(p);
        }
        assert_int_equal(watched_frees, 0);
        assert_string_equal(kept, "owned"); /* still ours: ASan would call this a use after free */
        free(kept);
        assert_int_equal(watched_frees, 1);
        kept = early_return(false); /* returned by a move */
        assert_int_equal(watched_frees, 1);
        assert_string_equal(kept, "owned");
        free(kept);
        assert_int_equal(watched_frees, 2);
}

static void a_loop_frees_each_round(void **state)
{
        (void)state;
        watch_nothing();
        int rounds = 0;
        for (int i = 0; i < 3; i++) {
                MQFS_AUTOFREE char *p = watched_block();
                if (i == 1)
                        continue; /* leaves this round's scope too */
                rounds++;
        }
        assert_int_equal(rounds, 2);
        assert_int_equal(watched_frees, 3);
}

/* ---- descriptors ---- */

static void a_descriptor_is_closed_at_the_end_of_the_scope(void **state)
{
        (void)state;
        int seen;
        {
                MQFS_AUTOCLOSE int fd = new_fd();
                seen = fd;
                assert_true(fd_open(seen));
        }
        assert_false(fd_open(seen));
        assert_int_equal(errno, EBADF);
}

static void a_moved_descriptor_stays_open(void **state)
{
        (void)state;
        int kept;
        {
                MQFS_AUTOCLOSE int fd = new_fd();
                kept = MQFS_MOVE_FD(fd);
                assert_int_equal(fd, -1);
        }
        assert_true(fd_open(kept));
        close(kept);
}

static void closing_keeps_errno(void **state)
{
        (void)state;
        {
                MQFS_AUTOCLOSE int fd = new_fd();
                errno = ENOENT;
        }
        assert_int_equal(errno, ENOENT);
        /* A close that fails (EBADF: the number names no open file) changes nothing. */
        {
                MQFS_AUTOCLOSE int fd = new_fd();
                assert_int_equal(close(fd), 0);
                errno = ENOSPC;
        }
        assert_int_equal(errno, ENOSPC);
        {
                MQFS_AUTOCLOSE int fd = -1; /* empty: nothing to close */
                errno = EXDEV;
        }
        assert_int_equal(errno, EXDEV);
}

/* ---- FILE* ---- */

static void a_stream_is_closed_at_the_end_of_the_scope(void **state)
{
        (void)state;
        int seen;
        {
                MQFS_AUTOFCLOSE FILE *f = fopen("/dev/null", "re");
                assert_non_null(f);
                seen = fileno(f);
                assert_true(fd_open(seen));
                errno = EPIPE;
        }
        assert_int_equal(errno, EPIPE);
        assert_false(fd_open(seen));
}

static void a_moved_stream_stays_open(void **state)
{
        (void)state;
        FILE *kept;
        {
                MQFS_AUTOFCLOSE FILE *f = fopen("/dev/null", "re");
                assert_non_null(f);
                kept = MQFS_MOVE_PTR(f);
                assert_null(f);
        }
        assert_true(fd_open(fileno(kept)));
        fclose(kept);
}

/* ---- a release function of one's own ---- */

struct counted {
        int releases;
};

static void release_counted(struct counted **c)
{
        if (*c != NULL)
                (*c)->releases++;
}

static void an_own_release_runs_once_and_not_after_a_move(void **state)
{
        (void)state;
        struct counted a = {0}, b = {0};
        {
                MQFS_CLEANUP(release_counted) struct counted *x = &a;
                MQFS_CLEANUP(release_counted) struct counted *y = &b;
                struct counted *moved = MQFS_MOVE_PTR(y);
                assert_ptr_equal(moved, &b);
        }
        assert_int_equal(a.releases, 1);
        assert_int_equal(b.releases, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(memory_is_freed_at_the_end_of_the_scope),
            cmocka_unit_test(memory_is_freed_on_an_early_return),
            cmocka_unit_test(moved_memory_is_not_freed),
            cmocka_unit_test(a_loop_frees_each_round),
            cmocka_unit_test(a_descriptor_is_closed_at_the_end_of_the_scope),
            cmocka_unit_test(a_moved_descriptor_stays_open),
            cmocka_unit_test(closing_keeps_errno),
            cmocka_unit_test(a_stream_is_closed_at_the_end_of_the_scope),
            cmocka_unit_test(a_moved_stream_stays_open),
            cmocka_unit_test(an_own_release_runs_once_and_not_after_a_move),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
