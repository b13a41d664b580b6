/* hardening_harness.c — see hardening_harness.h. */
#include "hardening_harness.h"

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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_STEPS  3000 /* x 10 ms: a hang guard, never a timing assertion */
#define CHILD_ALARM 300  /* seconds: a child that runs this long hangs */

void hh_sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

void *hh_shared_alloc(size_t size)
{
        void *p =
            mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
}

void hh_shared_free(void *p, size_t size)
{
        if (p)
                munmap(p, size ? size : 1);
}

static int become(const struct hh_caller *c)
{
        if (c->snap) {
                char ns[64];
                snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)c->snap->pid);
                int fd = open(ns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
                        return -1;
                close(fd);
        }
        umask(022);
        if (c->uid == 0 && c->gid == 0 && c->ngroups == 0)
                return 0;
        if (setgroups(c->ngroups, c->groups) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
            setresuid(c->uid, c->uid, c->uid) < 0)
                return -1;
        return 0;
}

pid_t hh_spawn(const struct hh_caller *caller, int (*fn)(void *arg, void *out), void *arg,
               void *shared_out)
{
        pid_t pid = fork();
        if (pid != 0)
                return pid;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(CHILD_ALARM);
        if (become(caller) < 0)
                _exit(199);
        _exit(fn(arg, shared_out) & 0xff);
}

int hh_wait(pid_t pid)
{
        int status;
        pid_t r;
        while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                ;
        if (r != pid)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

int hh_main(const char *name, const struct CMUnitTest *tests, size_t n)
{
        int rc = e2e_world_enter(name);
        if (rc != 0)
                return rc == E2E_SKIP ? E2E_SKIP : 1;
        if (getenv("MQFS_TEST_FILTER"))
                cmocka_set_test_filter(getenv("MQFS_TEST_FILTER"));
        int failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
        if (failed)
                fprintf(stderr, "---- mqfsd log (tail) ----\n%s\n", e2e_log_tail());
        e2e_world_leave();
        return failed ? 1 : 0;
}

void hh_attach(struct e2e_snap *s, const char *snap)
{
        static char out[8192];
        if (e2e_snap_start(s, snap) != 0)
                fail_msg("cannot start the namespace of %s", snap);
        int rc = e2e_mount_helper(out, sizeof(out), "attach", snap, NULL);
        if (rc != 0)
                fail_msg("mqfs-mount attach %s: exit %d\n%s", snap, rc, out);
}

int hh_run(const struct hh_caller *caller, int (*fn)(void *arg, void *out), void *arg, void *result,
           size_t out_size)
{
        void *shared = hh_shared_alloc(out_size);
        assert_non_null(shared);
        pid_t pid = hh_spawn(caller, fn, arg, shared);
        assert_true(pid > 0);
        int rc = hh_wait(pid);
        if (result && out_size)
                memcpy(result, shared, out_size);
        hh_shared_free(shared, out_size);
        return rc;
}

long hh_fd_count(pid_t pid)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
        DIR *d = opendir(p);
        if (!d)
                return -1;
        long n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static int sysctl_path(char *buf, size_t size, const char *key)
{
        return snprintf(buf, size, "/proc/sys/fs/mqueue/%s", key);
}

int hh_mq_sysctl_set(const char *key, long value)
{
        char p[128], v[32];
        sysctl_path(p, sizeof(p), key);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int len = snprintf(v, sizeof(v), "%ld", value);
        int err = write(fd, v, (size_t)len) == len ? 0 : -errno;
        close(fd);
        return err;
}

long hh_mq_sysctl_get(const char *key)
{
        char p[128], v[32];
        sysctl_path(p, sizeof(p), key);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, v, sizeof(v) - 1);
        int err = errno;
        close(fd);
        if (n <= 0)
                return n < 0 ? -err : -EIO;
        v[n] = '\0';
        return strtol(v, NULL, 10);
}

/* ---- the daemon ---- */

int hh_daemon_start(void)
{
        return e2e_daemon_start() == 0 ? 0 : -1;
}

/* NULL when the daemon stopped cleanly, else what went wrong (static buffer). */
static const char *stop_checked(void)
{
        static char why[128];
        pid_t pid = e2e_daemon_pid();
        int status;
        if (pid <= 0)
                return "no daemon to stop";
        if (waitpid(pid, &status, WNOHANG) == pid) {
                (void)e2e_daemon_stop(SIGKILL); /* forgets the pid; it is reaped already */
                snprintf(why, sizeof(why), "mqfsd died during the test (status 0x%x)", status);
                return why;
        }
        status = e2e_daemon_stop(SIGTERM);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                snprintf(why, sizeof(why),
                         "mqfsd did not exit cleanly on SIGTERM (status 0x%x: a crash, a "
                         "sanitizer finding, or a hang)",
                         status);
                return why;
        }
        return NULL;
}

void hh_daemon_stop_clean(void)
{
        const char *why = stop_checked();
        if (why)
                fail_msg("%s; its log:\n%s", why, e2e_log_tail());
}

int hh_daemon_teardown(void)
{
        const char *why = e2e_daemon_pid() > 0 ? stop_checked() : NULL;
        if (why)
                fprintf(stderr, "%s; its log:\n%s\n", why, e2e_log_tail());
        /* A test that failed with its daemon dead leaves a dead mount. */
        umount2(E2E_ROOT, MNT_DETACH);
        return why ? -1 : 0;
}

/* The log from byte from on, NUL-terminated (malloc()ed), or NULL. */
static char *log_from(long from)
{
        int fd = open(E2E_LOG, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_size < from) {
                close(fd);
                return NULL;
        }
        size_t len = (size_t)(st.st_size - from);
        char *buf = malloc(len + 1);
        size_t got = 0;
        while (buf && got < len) {
                ssize_t n = pread(fd, buf + got, len - got, from + (off_t)got);
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(fd);
        if (buf)
                buf[got] = '\0';
        return buf;
}

long hh_log_size(void)
{
        struct stat st;
        return stat(E2E_LOG, &st) == 0 ? (long)st.st_size : 0;
}

int hh_log_count_from(long from, const char *needle)
{
        char *log = log_from(from);
        int n = 0;
        for (char *line = log, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                else
                        next = line + strlen(line);
                if (strstr(line, needle))
                        n++;
        }
        free(log);
        return n;
}

bool hh_log_wait(long from, const char *needle, int n)
{
        for (int i = 0; i < WAIT_STEPS; i++) {
                if (hh_log_count_from(from, needle) >= n)
                        return true;
                hh_sleep_ms(10);
        }
        return false;
}

/* ---- listings ---- */

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *hh_list(const char *path)
{
        static char out[8192];
        char *names[512];
        size_t n = 0, len = 0;
        DIR *d = opendir(path);
        if (!d) {
                snprintf(out, sizeof(out), "ERR:%d", errno);
                return out;
        }
        struct dirent *de;
        while ((de = readdir(d)) && n < 512)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        names[n++] = strdup(de->d_name);
        closedir(d);
        qsort(names, n, sizeof(names[0]), cmp_names);
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (len < sizeof(out))
                        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "",
                                                names[i] ? names[i] : "?");
                free(names[i]);
        }
        return out;
}

bool hh_wait_list(const char *path, const char *want)
{
        for (int i = 0; i < WAIT_STEPS; i++) {
                if (strcmp(hh_list(path), want) == 0)
                        return true;
                hh_sleep_ms(10);
        }
        return false;
}

void hh_remove_test_queues(void)
{
        char names[8192];
        snprintf(names, sizeof(names), "%s", hh_list("/dev/mqueue"));
        char *save = NULL;
        for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
                if (strcmp(n, E2E_HOST_QUEUE) == 0 || strncmp(n, "ERR:", 4) == 0)
                        continue;
                char q[300];
                snprintf(q, sizeof(q), "/%s", n);
                mq_unlink(q);
        }
}
