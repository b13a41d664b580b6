/* world.c — see world.h. */
#include "world.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define FUSE_MAGIC 0x65735546

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}

int world_write_file(const char *path, const char *value)
{
        int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: cannot open %s: %s\n", path, strerror(-err));
                return err;
        }
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        int err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
        if (close(fd) != 0 && err == 0)
                err = -errno;
        if (err)
                fprintf(stderr, "mqfs_bench: cannot write %s: %s\n", path, strerror(-err));
        return err;
}

int world_enter(struct world *w, const char *bindir)
{
        memset(w, 0, sizeof(*w));
        snprintf(w->bindir, sizeof(w->bindir), "%s", bindir);
        if (geteuid() != 0) {
                fprintf(stderr, "mqfs_bench: must run as root (it mounts filesystems, starts "
                                "mqfsd and acts as several users); run it with sudo\n");
                return -EPERM;
        }
        if (unshare(CLONE_NEWIPC | CLONE_NEWNS) != 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: unshare(CLONE_NEWIPC|CLONE_NEWNS): %s\n",
                        strerror(-err));
                return err;
        }
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, "") != 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: making / private: %s\n", strerror(-err));
                return err;
        }
        /* This IPC namespace is ours alone: room for the large listing sets. Privileged
         * creators ignore queues_max anyway; the other users' queues do not. */
        int err = world_write_file("/proc/sys/fs/mqueue/queues_max", "100000");
        if (err)
                return err;
        err = world_write_file("/proc/sys/fs/mqueue/msg_max", "64");
        if (err)
                return err;
        strcpy(w->dir, "/tmp/mqfs_bench.XXXXXX");
        if (!mkdtemp(w->dir)) {
                err = -errno;
                fprintf(stderr, "mqfs_bench: mkdtemp under /tmp: %s\n", strerror(-err));
                return err;
        }
        w->entered = true;
        if (mount("tmpfs", w->dir, "tmpfs", 0, "mode=0755") != 0) {
                err = -errno;
                fprintf(stderr, "mqfs_bench: tmpfs on %s: %s\n", w->dir, strerror(-err));
                return err;
        }
        snprintf(w->kernel, sizeof(w->kernel), "%s/kernel", w->dir);
        if (mkdir(w->kernel, 0755) != 0 || mount("mqueue", w->kernel, "mqueue", 0, NULL) != 0) {
                err = -errno;
                fprintf(stderr, "mqfs_bench: mqueue on %s: %s\n", w->kernel, strerror(-err));
                return err;
        }
        return 0;
}

void world_leave(struct world *w)
{
        if (!w->entered)
                return;
        /* Everything mounted below the tmpfs goes with it. */
        if (umount2(w->dir, MNT_DETACH) != 0)
                fprintf(stderr, "mqfs_bench: cannot unmount %s: %s\n", w->dir, strerror(errno));
        if (rmdir(w->dir) != 0)
                fprintf(stderr, "mqfs_bench: cannot remove %s: %s\n", w->dir, strerror(errno));
        w->entered = false;
}

bool world_is_fuse(const char *mnt)
{
        struct statfs sf;
        return statfs(mnt, &sf) == 0 && sf.f_type == FUSE_MAGIC;
}

/* Splits MQFS_BENCH_WRAPPER on spaces into argv[0..]; returns the count. */
static int wrapper_words(char *copy, char **argv, int max)
{
        int n = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w && n < max; w = strtok_r(NULL, " ", &save))
                argv[n++] = w;
        return n;
}

static int daemon_cpu = -1;

void world_set_daemon_cpu(int cpu)
{
        daemon_cpu = cpu;
}

int world_start_fuse(char *const argv[], bool wrap, const char *mnt, const char *log,
                     double timeout_s, pid_t *pid, double *ready_s)
{
        double start = stats_now_us();
        pid_t child = fork();
        if (child < 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: fork: %s\n", strerror(-err));
                return err;
        }
        if (child == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (daemon_cpu >= 0) {
                        cpu_set_t set;
                        CPU_ZERO(&set);
                        CPU_SET(daemon_cpu, &set);
                        if (sched_setaffinity(0, sizeof(set), &set) != 0)
                                _exit(126);
                }
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                char *all[64];
                int n = 0;
                const char *wrapper = wrap ? getenv("MQFS_BENCH_WRAPPER") : NULL;
                char *copy = wrapper ? strdup(wrapper) : NULL;
                if (copy)
                        n = wrapper_words(copy, all, 32);
                for (int i = 0; argv[i] && n < 63; i++)
                        all[n++] = argv[i];
                all[n] = NULL;
                execvp(all[0], all);
                fprintf(stderr, "mqfs_bench: cannot run %s: %s\n", all[0], strerror(errno));
                _exit(127);
        }
        for (;;) {
                if (world_is_fuse(mnt)) {
                        *pid = child;
                        *ready_s = (stats_now_us() - start) / 1e6;
                        return 0;
                }
                int status;
                if (waitpid(child, &status, WNOHANG) == child) {
                        fprintf(stderr,
                                "mqfs_bench: %s exited before mounting %s (status 0x%x); "
                                "see %s\n",
                                argv[0], mnt, status, log);
                        return -ECHILD;
                }
                if (stats_now_us() - start > timeout_s * 1e6) {
                        fprintf(stderr, "mqfs_bench: %s did not mount %s within %.0f s; see %s\n",
                                argv[0], mnt, timeout_s, log);
                        world_stop(child, 5);
                        return -ETIMEDOUT;
                }
                sleep_ms(1);
        }
}

int world_stop(pid_t pid, double timeout_s)
{
        int status;
        if (pid <= 0)
                return -EINVAL;
        kill(pid, SIGTERM);
        double start = stats_now_us();
        while (stats_now_us() - start < timeout_s * 1e6) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
                if (r < 0)
                        return -errno;
                sleep_ms(5);
        }
        fprintf(stderr, "mqfs_bench: process %d ignored SIGTERM for %.0f s; killing it\n", (int)pid,
                timeout_s);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -ETIMEDOUT;
}

int world_bind(const char *src, const char *dst)
{
        if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: mkdir %s: %s\n", dst, strerror(-err));
                return err;
        }
        if (mount(src, dst, "none", MS_BIND, "") != 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: bind %s on %s: %s\n", src, dst, strerror(-err));
                return err;
        }
        return 0;
}

void world_unmount(const char *path)
{
        if (umount2(path, MNT_DETACH) != 0)
                fprintf(stderr, "mqfs_bench: cannot unmount %s: %s\n", path, strerror(errno));
}

/* Every uid and gid becomes the caller's, as in an ordinary process of a snap (the
 * daemon may then read the caller's limits as the caller, as it does for real ones);
 * the way back is kept by the permitted capabilities (PR_SET_KEEPCAPS), which give
 * the caller no power while they are not effective. */
int world_become(uid_t uid, gid_t gid)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
            setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: cannot act as uid %u: %s\n", (unsigned)uid,
                        strerror(-err));
                return err;
        }
        return 0;
}

int world_become_root(void)
{
        /* CAP_SETUID effective again from the kept permitted set, then uid 0, which makes
         * every permitted capability effective again. */
        struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        int err = 0;
        if (geteuid() != 0) {
                if (syscall(SYS_capget, &head, data) != 0)
                        err = -errno;
                data[0].effective = data[0].permitted;
                data[1].effective = data[1].permitted;
                if (err == 0 && syscall(SYS_capset, &head, data) != 0)
                        err = -errno;
        }
        if (err == 0 && (setresuid(0, 0, 0) != 0 || setresgid(0, 0, 0) != 0 ||
                         prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0))
                err = -errno;
        if (err < 0)
                fprintf(stderr, "mqfs_bench: cannot return to root: %s\n", strerror(-err));
        return err;
}

/* In a child: creates fmt % i for i in [from, to) as uid. Exit status 0 or errno. */
static int make_as(const char *fmt, size_t from, size_t to, uid_t uid)
{
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (world_become(uid, uid) != 0)
                        _exit(EPERM);
                struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 1};
                char name[64];
                for (size_t i = from; i < to; i++) {
                        snprintf(name, sizeof(name), fmt, i);
                        mqd_t q =
                            mq_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644, &attr);
                        if (q == (mqd_t)-1) {
                                int err = errno;
                                fprintf(stderr,
                                        "mqfs_bench: cannot create %s as uid %u (queue %zu of "
                                        "its set): %s\n",
                                        name, (unsigned)uid, i - from + 1, strerror(err));
                                _exit(err);
                        }
                        mq_close(q);
                }
                _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid)
                return -errno;
        if (!WIFEXITED(status))
                return -ECHILD;
        return -WEXITSTATUS(status);
}

int world_make_queues(const char *fmt, size_t from, size_t to, uid_t base_uid, size_t per_uid)
{
        size_t i = from;
        while (i < to) {
                size_t chunk = i / per_uid;
                size_t end = (chunk + 1) * per_uid < to ? (chunk + 1) * per_uid : to;
                int err = make_as(fmt, i, end, base_uid + (uid_t)chunk);
                if (err)
                        return err;
                i = end;
        }
        return 0;
}

int world_make_queue(const char *name, long maxmsg, long msgsize)
{
        struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
        mode_t old = umask(0);
        mqd_t q = mq_open(name, O_RDONLY | O_CREAT | O_CLOEXEC, 0666, &attr);
        umask(old);
        if (q == (mqd_t)-1) {
                int err = -errno;
                fprintf(stderr, "mqfs_bench: cannot create queue %s: %s\n", name, strerror(-err));
                return err;
        }
        mq_close(q);
        return 0;
}

long world_status_kib(pid_t pid, const char *field)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        long kib = -1;
        size_t len = strlen(field);
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, field, len) == 0 && line[len] == ':') {
                        kib = strtol(line + len + 1, NULL, 10);
                        break;
                }
        }
        if (f)
                fclose(f);
        return kib;
}
