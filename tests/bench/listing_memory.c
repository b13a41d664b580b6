/* listing_memory.c — what open directory handles of a view cost mqfsd in memory (issue 15,
 * finding 2: 38,000 handles of a 200-queue view once took its RSS from 2.4 to 474 MB, and
 * it stayed there after they were closed).
 *
 * In the benchmark's private world (world.h): a snap "s" granted Q queues, mqfsd with
 * budgets raised far enough to hold N directory handles, and this process, as host root,
 * opening N handles of the view and reading one getdents64 of 512 bytes from each (less
 * than the listing, so each handle is in the middle of reading it). mqfsd's VmRSS is
 * printed before, with the N handles open, and after they are closed; with the listing
 * shared, the handles cost only themselves.
 *
 * Usage (root): listing_memory [--handles N] [--queues Q]   (defaults 2000, 200)
 * Starts mqfsd from its own directory. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "world.h"

enum { LIST_UID = 61000, PER_UID = 1000 };

static int write_system_yaml(const char *path, size_t queues, size_t handles)
{
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f,
                "limits:\n"
                "  open-directories: %zu\n"
                "  listing-bytes: %zu\n"
                "snaps:\n"
                "  - name: s\n"
                "    snap-yaml-inline:\n"
                "      name: s\n"
                "      slots:\n"
                "        mq:\n"
                "          interface: posix-mq\n"
                "          path:\n",
                handles + 16, (size_t)1 << 30);
        for (size_t i = 0; i < queues; i++)
                fprintf(f, "            - /l-%05zu\n", i);
        return fclose(f) == 0 ? 0 : -EIO;
}

static long arg_number(const char *s, const char *what)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (*s == '\0' || *end != '\0' || v <= 0) {
                fprintf(stderr, "listing_memory: %s must be a positive number, not \"%s\"\n", what,
                        s);
                exit(2);
        }
        return v;
}

int main(int argc, char **argv)
{
        size_t handles = 2000, queues = 200;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--handles") == 0 && i + 1 < argc)
                        handles = (size_t)arg_number(argv[++i], "--handles");
                else if (strcmp(argv[i], "--queues") == 0 && i + 1 < argc)
                        queues = (size_t)arg_number(argv[++i], "--queues");
                else {
                        fprintf(stderr, "usage: listing_memory [--handles N] [--queues Q]\n");
                        return 2;
                }
        }
        char self[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len <= 0)
                return 1;
        self[len] = '\0';
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < handles + 64) {
                nofile.rlim_cur = nofile.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &nofile) != 0 || nofile.rlim_cur < handles + 64) {
                        fprintf(stderr, "listing_memory: %zu handles need RLIMIT_NOFILE %zu\n",
                                handles, handles + 64);
                        return 1;
                }
        }

        struct world w = {0};
        int err = world_enter(&w, dirname(self));
        char sys[200], mnt[200], view[220], log[200];
        snprintf(sys, sizeof(sys), "%s/system.yaml", w.dir);
        snprintf(mnt, sizeof(mnt), "%s/mqfs", w.dir);
        snprintf(view, sizeof(view), "%s/s", mnt);
        snprintf(log, sizeof(log), "%s/mqfsd.log", w.dir);
        pid_t pid = -1;
        int *fds = calloc(handles, sizeof(*fds));
        if (!err && !fds)
                err = -ENOMEM;
        if (!err)
                err = world_make_queues("/l-%05zu", 0, queues, LIST_UID, PER_UID);
        if (!err)
                err = write_system_yaml(sys, queues, handles);
        if (!err && mkdir(mnt, 0755) != 0)
                err = -errno;
        if (!err) {
                char mqfsd[PATH_MAX + 8];
                snprintf(mqfsd, sizeof(mqfsd), "%s/mqfsd", w.bindir);
                char *args[] = {mqfsd, "-f", "--system", sys, mnt, NULL};
                double ready;
                err = world_start_fuse(args, true, mnt, log, 60, &pid, &ready);
        }
        if (!err) {
                sleep(1); /* mqfsd reads the queue watch's events of the queues made */
                long before = world_status_kib(pid, "VmRSS");
                size_t opened = 0;
                char buf[512];
                for (; opened < handles; opened++) {
                        fds[opened] = open(view, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (fds[opened] < 0 ||
                            syscall(SYS_getdents64, fds[opened], buf, sizeof(buf)) <= 0) {
                                fprintf(stderr, "listing_memory: handle %zu of %s: %s\n", opened,
                                        view, strerror(errno));
                                err = -errno;
                                if (fds[opened] >= 0)
                                        close(fds[opened]);
                                break;
                        }
                }
                long held = world_status_kib(pid, "VmRSS");
                for (size_t i = 0; i < opened; i++)
                        close(fds[i]);
                sleep(1); /* the releases are asynchronous */
                long after = world_status_kib(pid, "VmRSS");
                printf("mqfsd VmRSS (KiB), a view of %zu queues: %ld before, %ld with %zu handles "
                       "each in the middle of its listing (%.1f KiB a handle), %ld after closing "
                       "them\n",
                       queues, before, held, opened,
                       opened ? (double)(held - before) / (double)opened : 0.0, after);
        }
        if (err)
                fprintf(stderr, "listing_memory: failed (%s); mqfsd's log: %s\n", strerror(-err),
                        log);
        if (pid > 0)
                world_stop(pid, 20);
        free(fds);
        world_leave(&w);
        return err ? 1 : 0;
}
