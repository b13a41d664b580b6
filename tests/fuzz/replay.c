/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput on saved inputs, without
 * libFuzzer, so that seed corpora and the reproducers of past findings are replayed by
 * ctest in every build (gcc included).
 *
 *   fuzz_TARGET_replay PATH...    each PATH a file, or a directory whose files are run
 *                                 in name order (dot files skipped)
 *
 * Exit 0 when every input ran (the target aborts on a broken promise), 1 when an input
 * could not be read or no input was found: a replay of nothing proves nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_check.h"

/* libFuzzer's own default -max_len is far smaller; this only bounds a stray big file. */
enum { REPLAY_MAX_BYTES = 16 << 20 };

static int run_file(const char *path)
{
        int rc = -1;
        uint8_t *buf = NULL;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
                fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > REPLAY_MAX_BYTES) {
                fprintf(stderr, "replay: %s is not a regular file of at most %d bytes\n", path,
                        REPLAY_MAX_BYTES);
                goto out;
        }
        size_t size = (size_t)st.st_size, got = 0;
        /* A zero-sized allocation would give NULL on some libcs; libFuzzer passes a valid
         * pointer even for empty inputs, so do the same. */
        buf = malloc(size ? size : 1);
        if (buf == NULL) {
                fprintf(stderr, "replay: out of memory for %s\n", path);
                goto out;
        }
        while (got < size) {
                ssize_t n = read(fd, buf + got, size - got);
                if (n <= 0) {
                        fprintf(stderr, "replay: cannot read %s: %s\n", path,
                                n < 0 ? strerror(errno) : "file shrank");
                        goto out;
                }
                got += (size_t)n;
        }
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
        LLVMFuzzerTestOneInput(buf, size);
        rc = 0;
out:
        free(buf);
        if (fd >= 0)
                close(fd);
        return rc;
}

static int not_dot(const struct dirent *d)
{
        return d->d_name[0] != '.';
}

/* Runs every file of dir; adds the number run to *count. */
static int run_dir(const char *dir, size_t *count)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, not_dot, alphasort);
        if (n < 0) {
                fprintf(stderr, "replay: cannot list %s: %s\n", dir, strerror(errno));
                return -1;
        }
        int rc = 0;
        for (int i = 0; i < n; i++) {
                char *path = NULL;
                if (rc == 0 && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
                        fputs("replay: out of memory\n", stderr);
                        rc = -1;
                }
                if (rc == 0) {
                        rc = run_file(path);
                        *count += rc == 0;
                }
                free(path);
                free(names[i]);
        }
        free(names);
        return rc;
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
                return 2;
        }
        LLVMFuzzerInitialize(&argc, &argv);
        size_t count = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) != 0) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                int rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i]);
                if (rc != 0)
                        return 1;
                count += !S_ISDIR(st.st_mode);
        }
        if (count == 0) {
                fprintf(stderr, "replay: no input found in the paths given\n");
                return 1;
        }
        fprintf(stderr, "replay: %zu input(s) ran without a finding\n", count);
        return 0;
}
