/* e2e_harness.c — see e2e_harness.h. */
#include "e2e_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"

#define FUSE_SUPER_MAGIC 0x65735546
#define HELPER           MQFS_BIN_DIR "/mqfs-mount"
#define DAEMON           MQFS_BIN_DIR "/mqfsd"
#define WAIT_STEPS       3000 /* x 10 ms: a hang guard, never a timing assertion */
#define CHILD_ALARM      120  /* seconds: a child that hangs this long is a hang */

static const char *who = "e2e";
static pid_t daemon_pid = -1;

/* Every snap namespace started, so that leaving the world can stop them all. */
enum { MAX_SNAPS = 16 };
static struct e2e_snap *live_snaps[MAX_SNAPS];

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int write_text(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int err = mqfs_write_all(fd, text, strlen(text));
        if (close(fd) < 0 && err == 0)
                err = -errno;
        return err;
}

/* Reads at most size-1 bytes of path (the last ones when tail) into buf. */
static ssize_t read_text(const char *path, char *buf, size_t size, bool tail)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (tail && fstat(fd, &st) == 0 && (size_t)st.st_size > size - 1)
                lseek(fd, st.st_size - (off_t)(size - 1), SEEK_SET);
        size_t len = 0;
        ssize_t n;
        while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        return (ssize_t)len;
}

/* ---- the world ---- */

static int set_sysctl(const char *path, const char *value)
{
        int err = write_text(path, value);
        if (err)
                fprintf(stderr, "%s: cannot set %s to %s: %s\n", who, path, value, strerror(-err));
        return err;
}

static int copy_node(const char *name, const struct stat *st)
{
        char path[64];
        snprintf(path, sizeof(path), "/dev/%s", name);
        return mknod(path, S_IFCHR | (st->st_mode & 0777), st->st_rdev);
}

/* Binding /proc/PID/ns/mnt to a file is refused (EINVAL) unless the bound namespace's id
 * is greater than the binder's; Linux 6.18 hands mount-namespace ids out in per-CPU
 * batches, so a namespace made later on another CPU can get a smaller one. On one CPU
 * they only grow: the test and every child it forks stay on the CPU it started on. */
static int stay_on_one_cpu(void)
{
        cpu_set_t set;
        int cpu = sched_getcpu();
        if (cpu < 0)
                return -1;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return sched_setaffinity(0, sizeof(set), &set);
}

int e2e_world_enter(const char *name)
{
        static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "fuse"};
        struct stat st[sizeof(nodes) / sizeof(nodes[0])];

        who = name;
        setvbuf(stderr, NULL, _IONBF, 0);
        if (geteuid() != 0) {
                fprintf(stderr, "%s: skipped: needs root (mount namespaces, FUSE, setns)\n", who);
                return E2E_SKIP;
        }
        if (stay_on_one_cpu() < 0) {
                fprintf(stderr, "%s: sched_setaffinity: %s\n", who, strerror(errno));
                return -1;
        }
        for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                char path[64];
                snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
                if (stat(path, &st[i]) < 0 || !S_ISCHR(st[i].st_mode)) {
                        fprintf(stderr, "%s: %s is not a character device\n", who, path);
                        return -1;
                }
        }
        if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0) {
                fprintf(stderr, "%s: unshare(CLONE_NEWNS|CLONE_NEWIPC): %s\n", who,
                        strerror(errno));
                return -1;
        }
        atexit(e2e_world_leave);
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("e2e-run", "/run", "tmpfs", 0, "mode=0755") < 0 ||
            mount("e2e-dev", "/dev", "tmpfs", MS_NOSUID, "mode=0755") < 0) {
                fprintf(stderr, "%s: private /run and /dev: %s\n", who, strerror(errno));
                return -1;
        }
        for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
                if (copy_node(nodes[i], &st[i]) < 0) {
                        fprintf(stderr, "%s: mknod /dev/%s: %s\n", who, nodes[i], strerror(errno));
                        return -1;
                }
        }
        if (mkdir("/dev/mqueue", 01777) < 0 || chmod("/dev/mqueue", 01777) < 0 ||
            mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mkdir(E2E_ROOT, 0700) < 0 || mkdir("/run/snapd", 0755) < 0 ||
            mkdir(E2E_NS_DIR, 0755) < 0 || mkdir(E2E_DIR, 0755) < 0) {
                fprintf(stderr, "%s: preparing /dev/mqueue and /run: %s\n", who, strerror(errno));
                return -1;
        }
        /* Small queues: RLIMIT_MSGQUEUE is per user and shared with everyone else. */
        if (set_sysctl("/proc/sys/fs/mqueue/msg_default", "4") ||
            set_sysctl("/proc/sys/fs/mqueue/msgsize_default", "128") ||
            set_sysctl("/proc/sys/fs/mqueue/queues_max", "256"))
                return -1;
        int err = e2e_hq_create(E2E_HOST_QUEUE, 0666);
        if (!err)
                err = e2e_hq_send(E2E_HOST_QUEUE, "host", 4);
        if (err) {
                fprintf(stderr, "%s: the host's queue: %s\n", who, strerror(-err));
                return -1;
        }
        return 0;
}

void e2e_world_leave(void)
{
        for (size_t i = 0; i < MAX_SNAPS; i++)
                if (live_snaps[i] != NULL)
                        e2e_snap_stop(live_snaps[i]);
        if (daemon_pid > 0)
                e2e_daemon_stop(SIGTERM);
        umount2(E2E_ROOT, MNT_DETACH);
}

bool e2e_known_issues(void)
{
        return getenv("MQFS_TEST_KNOWN_ISSUES") != NULL;
}

/* ---- the system state and the daemon ---- */

int e2e_system_write(const char *yaml)
{
        int err = write_text(E2E_SYSTEM ".new", yaml);
        if (!err && rename(E2E_SYSTEM ".new", E2E_SYSTEM) < 0)
                err = -errno;
        return err;
}

int e2e_log_count(const char *needle)
{
        static char log[1 << 20];
        int n = 0;
        if (read_text(E2E_LOG, log, sizeof(log), false) < 0)
                return 0;
        for (const char *p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
                n++;
        return n;
}

const char *e2e_log_tail(void)
{
        static char tail[8192];
        if (read_text(E2E_LOG, tail, sizeof(tail), true) < 0)
                snprintf(tail, sizeof(tail), "(no log at %s)", E2E_LOG);
        return tail;
}

int e2e_system_apply(const char *yaml)
{
        int reloaded = e2e_log_count("policy reloaded");
        int refused = e2e_log_count("stays in place");
        int err = e2e_system_write(yaml);
        if (err)
                return err;
        for (int i = 0; i < WAIT_STEPS; i++) {
                if (e2e_log_count("policy reloaded") > reloaded)
                        return 0;
                if (e2e_log_count("stays in place") > refused)
                        return -EINVAL;
                sleep_ms(10);
        }
        return -ETIMEDOUT;
}

static bool root_is_fuse(void)
{
        struct statfs sfs;
        return statfs(E2E_ROOT, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
}

pid_t e2e_daemon_pid(void)
{
        return daemon_pid;
}

int e2e_daemon_start(void)
{
        int serving = e2e_log_count("serving"); /* earlier daemons' lines stay in the log */
        if (e2e_daemon_spawn() < 0)
                return -1;
        pid_t pid = daemon_pid;
        for (int i = 0; i < WAIT_STEPS; i++) {
                int status;
                if (e2e_log_count("serving") > serving && root_is_fuse())
                        return 0;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        daemon_pid = -1;
                        fprintf(stderr, "%s: mqfsd exited early (status 0x%x); its log:\n%s\n", who,
                                status, e2e_log_tail());
                        return -1;
                }
                sleep_ms(10);
        }
        fprintf(stderr, "%s: mqfsd did not mount %s; its log:\n%s\n", who, E2E_ROOT,
                e2e_log_tail());
        e2e_daemon_stop(SIGKILL);
        return -1;
}

bool e2e_root_is_fuse(void)
{
        return root_is_fuse();
}

/* mqfsd sets its filesystem ids per request, and that clears a parent-death signal
 * (prctl(2)): a daemon whose test was killed (a timeout, a closed pipe) outlived it. So
 * the daemon's child, forked before the exec, watches both: it kills the daemon when the
 * test goes, and goes when the daemon does. Without pidfds nothing watches. */
static void watch_for_test_death(void)
{
        pid_t test = getppid(), daemon = getpid();
        int tfd = (int)syscall(SYS_pidfd_open, test, 0);
        if (getppid() != test)
                _exit(1); /* the test went before it could be watched */
        if (tfd < 0)
                return;
        pid_t w = fork();
        if (w != 0) {
                close(tfd);
                return;
        }
        if (tfd > 0)
                close_range(0, (unsigned)tfd - 1, 0);
        close_range((unsigned)tfd + 1, ~0U, 0);
        int dfd = (int)syscall(SYS_pidfd_open, daemon, 0);
        if (dfd < 0 || getppid() != daemon)
                _exit(0);
        struct pollfd p[2] = {{.fd = tfd, .events = POLLIN}, {.fd = dfd, .events = POLLIN}};
        while (poll(p, 2, -1) < 0 && errno == EINTR)
                ;
        if (p[0].revents)
                (void)syscall(SYS_pidfd_send_signal, dfd, SIGKILL, NULL, 0);
        _exit(0);
}

pid_t e2e_daemon_spawn(void)
{
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int fd = open(E2E_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(126);
                char *argv[32];
                int argc = 0;
                char *wrapper = getenv("MQFS_TEST_WRAPPER");
                char *save = NULL;
                for (char *w = wrapper ? strtok_r(wrapper, " ", &save) : NULL; w && argc < 24;
                     w = strtok_r(NULL, " ", &save))
                        argv[argc++] = w;
                argv[argc++] = DAEMON;
                argv[argc++] = "-f";
                argv[argc++] = "--system";
                argv[argc++] = E2E_SYSTEM;
                argv[argc++] = E2E_ROOT;
                argv[argc] = NULL;
                watch_for_test_death();
                execvp(argv[0], argv);
                _exit(127);
        }
        daemon_pid = pid;
        return pid;
}

/* The system call pid sits in (/proc/PID/syscall): -1 when running, -2 when unreadable. */
static long blocked_syscall(pid_t pid)
{
        char p[64], buf[256];
        snprintf(p, sizeof(p), "/proc/%d/syscall", (int)pid);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -2;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -2;
        buf[n] = '\0';
        if (strncmp(buf, "running", 7) == 0)
                return -1;
        return strtol(buf, NULL, 10);
}

bool e2e_wait_blocked_in(pid_t pid, long nr, long alt)
{
        for (int i = 0; i < WAIT_STEPS; i++) {
                long now = blocked_syscall(pid);
                if (now == nr || now == alt)
                        return true;
                sleep_ms(10);
        }
        return false;
}

/* Sends sig to pid (a child) and reaps it: its wait status, or -1 when it had to be
 * killed after a hang. */
static int stop_child(pid_t pid, int sig)
{
        int status;
        kill(pid, sig);
        for (int i = 0; i < WAIT_STEPS; i++) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return status;
                sleep_ms(10);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
}

int e2e_daemon_stop(int sig)
{
        pid_t pid = daemon_pid;
        if (pid <= 0)
                return -1;
        daemon_pid = -1;
        return stop_child(pid, sig);
}

int e2e_daemon_stop_clean(void)
{
        int status = e2e_daemon_stop(SIGTERM);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "mqfsd did not exit cleanly on SIGTERM (status 0x%x):\n%s\n",
                        status, e2e_log_tail());
                return -1;
        }
        return 0;
}

int e2e_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                  e2e_fixture_fn setup, e2e_fixture_fn teardown)
{
        int rc = e2e_world_enter(name);
        if (rc != 0)
                return rc == E2E_SKIP ? E2E_SKIP : 1;
        if (getenv("MQFS_TEST_FILTER"))
                cmocka_set_test_filter(getenv("MQFS_TEST_FILTER"));
        int failed = _cmocka_run_group_tests(name, tests, count, setup, teardown);
        if (failed)
                fprintf(stderr, "---- mqfsd log (tail) ----\n%s\n", e2e_log_tail());
        e2e_world_leave();
        return failed ? 1 : 0;
}

/* ---- snap namespaces ---- */

static void snap_child(enum e2e_snap_dev dev, int ready_fd, int hold_fd)
{
        char byte;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS) < 0)
                _exit(1);
        if (dev != E2E_DEV_INHERIT && mount("snapdev", "/dev", "tmpfs", 0, "mode=0755") < 0)
                _exit(1);
        if (dev == E2E_DEV_SYMLINK && symlink("/run/evil", "/dev/mqueue") < 0)
                _exit(1);
        if (write(ready_fd, "R", 1) != 1)
                _exit(1);
        while (read(hold_fd, &byte, 1) < 0 && errno == EINTR)
                ;
        _exit(0);
}

int e2e_snap_start(struct e2e_snap *s, const char *name)
{
        return e2e_snap_start_dev(s, name, E2E_DEV_INHERIT);
}

int e2e_snap_start_dev(struct e2e_snap *s, const char *name, enum e2e_snap_dev dev)
{
        int ready[2], hold[2];
        char byte = 0, proc_ns[64];
        size_t slot = MAX_SNAPS;

        *s = (struct e2e_snap){.pid = -1, .hold_fd = -1};
        for (size_t i = 0; i < MAX_SNAPS && slot == MAX_SNAPS; i++)
                if (live_snaps[i] == NULL)
                        slot = i;
        if (slot == MAX_SNAPS || (name && strlen(name) >= sizeof(s->name)))
                return -1;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(hold, O_CLOEXEC) < 0) {
                close(ready[0]);
                close(ready[1]);
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                close(ready[0]);
                close(hold[1]);
                snap_child(dev, ready[1], hold[0]);
        }
        close(ready[1]);
        close(hold[0]);
        if (pid < 0) {
                close(ready[0]);
                close(hold[1]);
                return -1;
        }
        s->pid = pid;
        s->hold_fd = hold[1];
        snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
        live_snaps[slot] = s;
        ssize_t n = read(ready[0], &byte, 1);
        close(ready[0]);
        if (n != 1) {
                e2e_snap_stop(s);
                return -1;
        }
        if (!name)
                return 0;
        snprintf(proc_ns, sizeof(proc_ns), "/proc/%d/ns/mnt", (int)pid);
        snprintf(s->ns_file, sizeof(s->ns_file), E2E_NS_DIR "/%s.mnt", name);
        int fd = open(s->ns_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || close(fd) < 0 || mount(proc_ns, s->ns_file, "none", MS_BIND, NULL) < 0) {
                fprintf(stderr, "%s: cannot bind %s to %s: %s\n", who, proc_ns, s->ns_file,
                        strerror(errno));
                e2e_snap_stop(s);
                return -1;
        }
        return 0;
}

void e2e_snap_stop(struct e2e_snap *s)
{
        for (size_t i = 0; i < MAX_SNAPS; i++)
                if (live_snaps[i] == s)
                        live_snaps[i] = NULL;
        if (s->pid <= 0)
                return;
        close(s->hold_fd);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        if (s->ns_file[0] != '\0') {
                umount2(s->ns_file, MNT_DETACH);
                unlink(s->ns_file);
        }
        s->pid = -1;
        s->hold_fd = -1;
}

int e2e_mount_helper(char *out, size_t size, const char *arg, ...)
{
        const char *argv[40];
        /* Not MQFS_TEST_WRAPPER: valgrind 3.19 (Debian 12) lacks open_tree(2) and
         * move_mount(2), which attach needs. */
        const char *w0 = getenv("MQFS_TEST_HELPER_WRAPPER");
        char *wrapper = w0 != NULL ? strdup(w0) : NULL;
        char *save = NULL;
        int argc = 0, p[2], status;
        va_list ap;

        for (char *w = wrapper ? strtok_r(wrapper, " ", &save) : NULL; w && argc < 24;
             w = strtok_r(NULL, " ", &save))
                argv[argc++] = w;
        argv[argc++] = HELPER;
        va_start(ap, arg);
        for (const char *a = arg; a != NULL && argc < 39; a = va_arg(ap, const char *))
                argv[argc++] = a;
        va_end(ap);
        argv[argc] = NULL;
        if (pipe2(p, O_CLOEXEC) < 0) {
                free(wrapper);
                return -1;
        }
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                dup2(p[1], STDOUT_FILENO);
                dup2(p[1], STDERR_FILENO);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        free(wrapper);
        close(p[1]);
        size_t len = 0;
        ssize_t n;
        char sink[256];
        /* Read everything (a helper blocked on a full pipe would never exit); keep what
         * fits. */
        while ((n = read(p[0], len < size - 1 ? out + len : sink,
                         len < size - 1 ? size - 1 - len : sizeof(sink))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                if (len < size - 1)
                        len += (size_t)n;
        }
        out[len] = '\0';
        close(p[0]);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return -1;
        if (getenv("MQFS_TEST_VERBOSE") != NULL) {
                fprintf(stderr, "$");
                for (int i = 0; i < argc; i++)
                        fprintf(stderr, " %s", argv[i]);
                fprintf(stderr, "   (exit %d)\n%s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                        out);
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int e2e_mounts(pid_t pid, char *out, size_t size)
{
        char path[64], *line = NULL;
        size_t cap = 0, len = 0;
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
        FILE *f = fopen(path, "re");
        if (f == NULL)
                return -errno;
        out[0] = '\0';
        while (getline(&line, &cap, f) >= 0) {
                /* ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [TAGS...] - FSTYPE SOURCE ... */
                char id[32], mp[512], fstype[64], source[256];
                const char *sep = strstr(line, " - ");
                if (sep == NULL || sscanf(line, "%31s %*s %*s %*s %511s", id, mp) != 2 ||
                    sscanf(sep + 3, "%63s %255s", fstype, source) != 2)
                        continue;
                int n = snprintf(out + len, size - len, "%s %s %s %s\n", mp, fstype, source, id);
                if (n < 0 || (size_t)n >= size - len) {
                        free(line);
                        fclose(f);
                        return -ENOSPC;
                }
                len += (size_t)n;
        }
        free(line);
        fclose(f);
        return 0;
}

/* ---- file syscalls from inside a snap ---- */

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_list(const char *path, struct e2e_result *r)
{
        char *names[128];
        size_t n = 0, len = 0;
        DIR *d = opendir(path);
        if (d == NULL) {
                r->open_err = errno;
                return;
        }
        struct dirent *de;
        errno = 0;
        while ((de = readdir(d)) != NULL && n < 128) {
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        names[n++] = strdup(de->d_name);
                errno = 0;
        }
        if (errno != 0)
                r->io_err = errno;
        closedir(d);
        qsort(names, n, sizeof(names[0]), cmp_names);
        for (size_t i = 0; i < n; i++) {
                if (names[i] != NULL)
                        len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "%s%s",
                                                i ? "," : "", names[i]);
                free(names[i]);
                if (len >= sizeof(r->text))
                        len = sizeof(r->text) - 1;
        }
}

static void do_op(enum e2e_op op, const char *path, const char *data, struct e2e_result *r)
{
        int fd;
        ssize_t n;
        struct pollfd p;

        switch (op) {
        case E2E_LIST:
                do_list(path, r);
                break;
        case E2E_STAT:
                if (stat(path, &r->st) < 0)
                        r->open_err = errno;
                break;
        case E2E_TOUCH:
                fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);
                if (fd < 0)
                        r->open_err = errno;
                else if (close(fd) < 0)
                        r->io_err = errno;
                break;
        case E2E_SEND:
                fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0) {
                        r->open_err = errno;
                        break;
                }
                n = write(fd, data, strlen(data));
                if (n < 0)
                        r->io_err = errno;
                else if ((size_t)n != strlen(data))
                        r->io_err = EIO;
                close(fd);
                break;
        case E2E_STATUS:
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        r->open_err = errno;
                        break;
                }
                n = read(fd, r->text, sizeof(r->text) - 1);
                if (n < 0)
                        r->io_err = errno;
                else
                        r->text[n] = '\0';
                close(fd);
                break;
        case E2E_POLLIN:
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0) {
                        r->open_err = errno;
                        break;
                }
                p = (struct pollfd){.fd = fd, .events = POLLIN | POLLOUT};
                if (poll(&p, 1, 0) < 0)
                        r->io_err = errno;
                else
                        r->revents = p.revents;
                close(fd);
                break;
        case E2E_UNLINK:
                if (unlink(path) < 0)
                        r->open_err = errno;
                break;
        }
}

static struct e2e_result run_op(const struct e2e_snap *s, uid_t uid, gid_t gid, enum e2e_op op,
                                const char *path, const char *data)
{
        struct e2e_result r;
        int res[2], status;

        memset(&r, 0, sizeof(r));
        assert_int_equal(pipe2(res, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                alarm(CHILD_ALARM);
                if (s != NULL) {
                        char ns[64];
                        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)s->pid);
                        int fd = open(ns, O_RDONLY | O_CLOEXEC);
                        if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
                                _exit(2);
                        close(fd);
                }
                umask(022);
                if (uid != 0 && (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
                                 setresuid(uid, uid, uid) < 0))
                        _exit(3);
                do_op(op, path, data, &r);
                _exit(mqfs_write_all(res[1], (const char *)&r, sizeof(r)) == 0 ? 0 : 4);
        }
        close(res[1]);
        ssize_t n = read(res[0], &r, sizeof(r));
        close(res[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (n != (ssize_t)sizeof(r))
                fail_msg("the child for op %d on %s %s (status 0x%x)", (int)op, path,
                         s != NULL ? "inside the snap's namespace failed" : "failed", status);
        return r;
}

struct e2e_result e2e_in_snap(const struct e2e_snap *s, uid_t uid, gid_t gid, enum e2e_op op,
                              const char *path, const char *data)
{
        assert_non_null(s);
        return run_op(s, uid, gid, op, path, data);
}

struct e2e_result e2e_on_host(uid_t uid, gid_t gid, enum e2e_op op, const char *path,
                              const char *data)
{
        return run_op(NULL, uid, gid, op, path, data);
}

bool e2e_wait_listing(const struct e2e_snap *s, const char *path, const char *want)
{
        for (int i = 0; i < WAIT_STEPS; i++) {
                struct e2e_result r = e2e_in_snap(s, 0, 0, E2E_LIST, path, NULL);
                if (r.open_err == 0 && r.io_err == 0 && strcmp(r.text, want) == 0)
                        return true;
                sleep_ms(10);
        }
        return false;
}

/* ---- queues of the host ---- */

static void qname(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "/%s", name);
}

int e2e_hq_create(const char *name, mode_t mode)
{
        struct mq_attr attr = {.mq_maxmsg = E2E_MAXMSG, .mq_msgsize = E2E_MSGSIZE};
        char q[300];
        qname(q, sizeof(q), name);
        mqd_t m = mq_open(q, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode, &attr);
        if (m == (mqd_t)-1)
                return -errno;
        int err = fchmod(m, mode) < 0 ? -errno : 0; /* mq_open applied the umask */
        mq_close(m);
        return err;
}

int e2e_hq_send(const char *name, const char *msg, size_t len)
{
        char q[300];
        qname(q, sizeof(q), name);
        mqd_t m = mq_open(q, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (m == (mqd_t)-1)
                return -errno;
        int err = mq_send(m, msg, len, 0) < 0 ? -errno : 0;
        mq_close(m);
        return err;
}

ssize_t e2e_hq_receive(const char *name, char *buf)
{
        char q[300];
        qname(q, sizeof(q), name);
        mqd_t m = mq_open(q, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (m == (mqd_t)-1)
                return -errno;
        ssize_t n = mq_receive(m, buf, E2E_MSGSIZE, NULL);
        if (n < 0)
                n = -errno;
        else
                buf[n] = '\0';
        mq_close(m);
        return n;
}

long e2e_hq_count(const char *name)
{
        char q[300];
        struct mq_attr attr;
        qname(q, sizeof(q), name);
        mqd_t m = mq_open(q, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (m == (mqd_t)-1)
                return -errno;
        long n = mq_getattr(m, &attr) < 0 ? -errno : attr.mq_curmsgs;
        mq_close(m);
        return n;
}

int e2e_attached_start(const char *yaml, struct e2e_snap *s, const char *snap)
{
        char out[8192];

        if (e2e_system_write(yaml) != 0 || e2e_daemon_start() != 0 || e2e_snap_start(s, snap) != 0)
                return -1;
        int rc = e2e_mount_helper(out, sizeof(out), "attach", snap, NULL);
        if (rc != 0) {
                fprintf(stderr, "mqfs-mount attach %s: exit %d\n%s", snap, rc, out);
                return -1;
        }
        return 0;
}

int e2e_attached_stop(struct e2e_snap *s, const char *snap)
{
        char out[8192];

        e2e_mount_helper(out, sizeof(out), "detach", snap, NULL);
        e2e_snap_stop(s);
        return e2e_daemon_stop_clean();
}
