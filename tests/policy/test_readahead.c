/* test_readahead — reading the snap.yaml files of a system ahead, on helper threads
 * (policy/readahead.c, loader.h).
 *
 * 300 files, some broken, with gaps (entries without a path) between them: every
 * entry must get exactly what reading it alone gives (mqfs_read_snap_yaml), whichever
 * thread read it. The test lets itself run on every online CPU; with two or more, the
 * loader must start a helper. How many files the helper gets to read depends on the
 * scheduler (on a busy machine the calling thread may read them all before it runs),
 * so that is printed, not asserted. Labelled "concurrency": scripts/test also runs it
 * under ThreadSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "snapyaml.h"

enum { NENTRIES = 300 };

static char dir[] = "/tmp/test_readahead.XXXXXX";

/* Entry i: no path when i % 7 == 3; a missing file when i % 11 == 5; broken YAML when
 * i % 13 == 6; else a valid snap named sN with one posix-mq slot. */
static void write_entry_file(size_t i, char *path, size_t size)
{
        snprintf(path, size, "%s/s%zu.yaml", dir, i);
        if (i % 11 == 5)
                return;
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        if (i % 13 == 6)
                fprintf(f, "name: s%zu\nslots: [unclosed\n", i);
        else
                fprintf(f, "name: s%zu\nslots:\n  q:\n    interface: posix-mq\n    path: /q%zu\n",
                        i, i);
        assert_int_equal(fclose(f), 0);
}

static int use_every_cpu(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cpu_set_t set;
        CPU_ZERO(&set);
        for (long c = 0; c < n && c < CPU_SETSIZE; c++)
                CPU_SET((int)c, &set);
        (void)sched_setaffinity(0, sizeof(set), &set);
        return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
}

static void every_entry_gets_what_reading_it_alone_gives(void **state)
{
        (void)state;
        static struct mqfs_read_ahead v[NENTRIES];
        char path[PATH_MAX];
        memset(v, 0, sizeof(v));
        for (size_t i = 0; i < NENTRIES; i++) {
                if (i % 7 == 3)
                        continue;
                write_entry_file(i, path, sizeof(path));
                v[i].path = strdup(path);
                assert_int_not_equal(asprintf(&v[i].shown, "snaps/s%zu.yaml", i), -1);
        }
        int cpus = use_every_cpu();

        size_t helpers = mqfs_read_ahead_run(v, NENTRIES);

        size_t by_helpers = 0;
        for (size_t i = 0; i < NENTRIES; i++) {
                if (i % 7 == 3) {
                        assert_null(v[i].yaml);
                        assert_null(v[i].error);
                        continue;
                }
                struct mqfs_snap_yaml *alone = NULL;
                char *alone_error = NULL;
                int want = mqfs_read_snap_yaml(v[i].path, v[i].shown, &alone, &alone_error);
                assert_int_equal(v[i].result, want);
                if (want == 0) {
                        assert_non_null(v[i].yaml);
                        char name[32];
                        snprintf(name, sizeof(name), "s%zu", i);
                        assert_string_equal(v[i].yaml->name, name);
                        assert_string_equal(v[i].yaml->name, alone->name);
                } else {
                        assert_null(v[i].yaml);
                        assert_non_null(v[i].error);
                        assert_non_null(alone_error);
                        assert_string_equal(v[i].error, alone_error);
                        assert_non_null(strstr(v[i].error, v[i].shown));
                }
                assert_int_equal(want != 0, i % 11 == 5 || i % 13 == 6);
                by_helpers += v[i].by_helper;
                mqfs_snap_yaml_free(alone);
                free(alone_error);
        }
        print_message("%d CPUs usable, %zu helper threads, %zu of %d entries read by them\n", cpus,
                      helpers, by_helpers, NENTRIES);
        if (cpus >= 2)
                assert_true(helpers > 0);
        else
                assert_int_equal(by_helpers, 0);
        mqfs_read_ahead_clear(v, NENTRIES);
}

/* Too few files to share: everything is read on the calling thread. */
static void a_few_files_are_read_in_place(void **state)
{
        (void)state;
        struct mqfs_read_ahead v[4];
        char path[PATH_MAX];
        memset(v, 0, sizeof(v));
        for (size_t i = 0; i < 4; i++) {
                write_entry_file(2000 + i, path, sizeof(path)); /* all valid */
                v[i].path = strdup(path);
                v[i].shown = strdup(path);
        }
        assert_int_equal(mqfs_read_ahead_run(v, 4), 0);
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(v[i].result, 0);
                assert_false(v[i].by_helper);
        }
        mqfs_read_ahead_clear(v, 4);
}

static int make_dir(void **state)
{
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st, (void)ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int remove_dir(void **state)
{
        (void)state;
        return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(every_entry_gets_what_reading_it_alone_gives),
            cmocka_unit_test(a_few_files_are_read_in_place),
        };
        return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
