/* msgq_rlimit.c — see msgq_rlimit.h. */
#include "msgq_rlimit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

/* The text of /proc/PID/limits: for a caller whose ids are not the thread's own
 * (prlimit's permission rule), at the cost of the kernel formatting every limit. */
static int rlimit_from_proc(pid_t pid, rlim_t *out)
{
        char path[40], buf[4096];

        snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        /* "Max msgqueue size         819200               819200               bytes" */
        const char *line = strstr(buf, "\nMax msgqueue size");
        if (!line)
                return -EINVAL;
        const char *p = line + strlen("\nMax msgqueue size");
        while (*p == ' ')
                p++;
        if (strncmp(p, "unlimited", 9) == 0) {
                *out = RLIM_INFINITY;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || *end != ' ')
                return -EINVAL;
        *out = (rlim_t)v;
        return 0;
}

int mqfs_msgq_rlimit_of(pid_t pid, rlim_t *out)
{
        if (pid <= 0)
                return -ESRCH;
        /* One system call, where the text file costs the kernel a page of formatting.
         * The kernel allows it to a thread whose real uid and gid equal every uid and gid
         * of the target, or that has CAP_SYS_RESOURCE over it. The broker reads as the
         * caller it has become, which an ordinary caller's process matches; anything
         * else (a setuid caller, a process keeping a saved uid of root) gets EPERM, and
         * the text file, which anyone may read, answers. */
        struct rlimit r;
        if (prlimit(pid, RLIMIT_MSGQUEUE, NULL, &r) == 0) {
                *out = r.rlim_cur;
                return 0;
        }
        if (errno != EPERM)
                return -errno;
        return rlimit_from_proc(pid, out);
}

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

int mqfs_msgq_create_capped(const char *name, int flags, mode_t mode, const struct mq_attr *attr,
                            rlim_t cap)
{
        struct rlimit old;
        int fd;

        pthread_mutex_lock(&create_lock);
        if (getrlimit(RLIMIT_MSGQUEUE, &old) < 0) {
                fd = -errno;
                goto out;
        }
        bool lower = cap < old.rlim_cur;
        if (lower) {
                /* Lowering the soft limit, and raising it back up to the hard one, needs
                 * no privilege: this works under the caller's credentials too. */
                const struct rlimit tmp = {.rlim_cur = cap, .rlim_max = old.rlim_max};
                if (setrlimit(RLIMIT_MSGQUEUE, &tmp) < 0) {
                        fd = -errno;
                        goto out;
                }
        }
        fd = mq_open(name, flags, mode, attr);
        if (fd < 0)
                fd = -errno;
        if (lower && setrlimit(RLIMIT_MSGQUEUE, &old) < 0) {
                /* Every later create would be judged by this caller's limit. */
                fprintf(stderr, "mqfs: cannot restore RLIMIT_MSGQUEUE: %s\n", mqfs_errstr(errno));
                abort();
        }
out:
        pthread_mutex_unlock(&create_lock);
        return fd;
}
