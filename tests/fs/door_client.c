/* door_client — a small program of our own that uses POSIX queues the way applications
 * do (mq_open(3), mq_send(3), mq_receive(3), ...), for the syscall door's tests, demo and
 * benchmark. Run it under mqfs-exec to go through the door, or alone to go to the kernel.
 *
 *   door_client OP...
 *
 * Each OP prints one line "OP: ok ..." or "OP: ERRNAME" and the next OP runs regardless.
 * One queue descriptor is current at a time.
 *   open:/q:FLAGS[:MODE[:MAXMSG,MSGSIZE]]  FLAGS: r w rw, then c (O_CREAT) x (O_EXCL)
 *                                         n (O_NONBLOCK); MODE octal (default 0600)
 *   send:TEXT[:PRIO]   recv   getattr   setattr:n|b   owner (fstat: uid gid mode)
 *   close   unlink:/q
 *   int80:/q           mq_open(O_RDONLY) through the i386 entry (int 0x80)
 *   race:/a:/b:N       N opens (O_RDONLY) of a name that another thread flips between
 *                      /a and /b (same length); every queue opened is identified by its
 *                      mq_maxmsg: "opened=X refused=Y maxmsg=M,M..." (distinct values)
 *   fork               the remaining OPs run in a child; waits for it
 *   exec               the remaining OPs run in a fresh image of this program
 *   loop:N:OP          OP N times, printing only the first failure (for the benchmark)
 *   killed:N:/q        N children open /q without end and are each killed (SIGKILL)
 *   wait               reads a line from stdin first
 *   pid                prints the pid */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static mqd_t cur = (mqd_t)-1;

static const char *ename(int e)
{
        const char *n = strerrorname_np(e);
        return n ? n : "E?";
}

static int fail(const char *op, int e)
{
        printf("%s: %s\n", op, ename(e));
        return -1;
}

static int parse_flags(const char *s, int *oflag)
{
        int f = 0;
        if (strncmp(s, "rw", 2) == 0) {
                f = O_RDWR;
                s += 2;
        } else if (*s == 'r') {
                f = O_RDONLY;
                s++;
        } else if (*s == 'w') {
                f = O_WRONLY;
                s++;
        } else {
                return -1;
        }
        for (; *s; s++)
                f |= *s == 'c' ? O_CREAT : *s == 'x' ? O_EXCL : *s == 'n' ? O_NONBLOCK : 0;
        *oflag = f;
        return 0;
}

static int op_open(const char *op, char *args, bool quiet)
{
        char *save = NULL;
        char *name = strtok_r(args, ":", &save), *flags = strtok_r(NULL, ":", &save);
        char *mode = strtok_r(NULL, ":", &save), *attr = strtok_r(NULL, ":", &save);
        int oflag;
        struct mq_attr a = {0};
        if (!name || !flags || parse_flags(flags, &oflag) < 0)
                return fail(op, EINVAL);
        mode_t m = mode ? (mode_t)strtoul(mode, NULL, 8) : 0600;
        if (attr && sscanf(attr, "%ld,%ld", &a.mq_maxmsg, &a.mq_msgsize) != 2)
                return fail(op, EINVAL);
        if (cur != (mqd_t)-1)
                mq_close(cur);
        cur = mq_open(name, oflag, m, attr ? &a : NULL);
        if (cur == (mqd_t)-1)
                return fail(op, errno);
        if (!quiet)
                printf("%s: ok\n", op);
        return 0;
}

static int op_send(const char *op, char *args, bool quiet)
{
        char *save = NULL, *text = strtok_r(args, ":", &save), *prio = strtok_r(NULL, ":", &save);
        if (mq_send(cur, text ? text : "", text ? strlen(text) : 0,
                    prio ? (unsigned)atoi(prio) : 0) < 0)
                return fail(op, errno);
        if (!quiet)
                printf("%s: ok\n", op);
        return 0;
}

static int op_recv(const char *op, bool quiet)
{
        struct mq_attr a;
        if (mq_getattr(cur, &a) < 0)
                return fail(op, errno);
        char *buf = malloc((size_t)a.mq_msgsize + 1);
        unsigned prio;
        ssize_t n = buf ? mq_receive(cur, buf, (size_t)a.mq_msgsize, &prio) : -1;
        if (n < 0) {
                int e = buf ? errno : ENOMEM;
                free(buf);
                return fail(op, e);
        }
        buf[n] = '\0';
        if (!quiet)
                printf("%s: ok %s prio %u\n", op, buf, prio);
        free(buf);
        return 0;
}

/* The i386 mq_open (277) with a name below 4 GiB, as a 32-bit program would call it. */
static int op_int80(const char *op, const char *name)
{
#if defined(__x86_64__)
        char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (low == MAP_FAILED)
                return fail(op, errno);
        snprintf(low, 4096, "%s", name[0] == '/' ? name + 1 : name);
        long ret;
        __asm__ volatile("int $0x80"
                         : "=a"(ret)
                         : "a"(277L), "b"((long)(uintptr_t)low), "c"((long)O_RDONLY), "d"(0L),
                           "S"(0L)
                         : "memory", "r8", "r9", "r10", "r11");
        munmap(low, 4096);
        if (ret < 0)
                return fail(op, (int)-ret);
        close((int)ret);
        printf("%s: ok\n", op);
        return 0;
#else
        (void)name;
        return fail(op, ENOSYS);
#endif
}

struct flipper {
        char *buf;
        const char *a, *b;
        atomic_bool stop;
};

static void *flip(void *arg)
{
        struct flipper *f = arg;
        size_t len = strlen(f->a);
        while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
                memcpy(f->buf, f->a, len);
                memcpy(f->buf, f->b, len);
        }
        return NULL;
}

static int op_race(const char *op, char *args)
{
        char *save = NULL;
        char *a = strtok_r(args, ":", &save), *b = strtok_r(NULL, ":", &save);
        char *n = strtok_r(NULL, ":", &save);
        if (!a || !b || !n || strlen(a) != strlen(b) || a[0] != '/' || b[0] != '/')
                return fail(op, EINVAL);
        /* The syscall gets the name without its "/", as glibc passes it. */
        struct flipper f = {.a = a + 1, .b = b + 1};
        static char buf[256];
        snprintf(buf, sizeof(buf), "%s", a + 1);
        f.buf = buf;
        atomic_init(&f.stop, false);
        pthread_t t;
        if (pthread_create(&t, NULL, flip, &f) != 0)
                return fail(op, EAGAIN);
        long opened = 0, refused = 0, seen[8];
        int nseen = 0;
        for (long i = 0, count = atol(n); i < count; i++) {
                long fd = syscall(SYS_mq_open, buf, O_RDONLY | O_CLOEXEC, 0, NULL);
                if (fd < 0) {
                        refused++;
                        continue;
                }
                opened++;
                struct mq_attr at;
                if (mq_getattr((mqd_t)fd, &at) == 0) {
                        bool known = false;
                        for (int k = 0; k < nseen; k++)
                                known |= seen[k] == at.mq_maxmsg;
                        if (!known && nseen < 8)
                                seen[nseen++] = at.mq_maxmsg;
                }
                close((int)fd);
        }
        atomic_store(&f.stop, true);
        pthread_join(t, NULL);
        printf("%s: ok opened=%ld refused=%ld maxmsg=", op, opened, refused);
        for (int k = 0; k < nseen; k++)
                printf("%s%ld", k ? "," : "", seen[k]);
        printf("\n");
        return 0;
}

static int run(int argc, char **argv, char *self);

static int one(char *arg, int i, int argc, char **argv, char *self, bool quiet, bool *done)
{
        char op[512];
        snprintf(op, sizeof(op), "%s", arg);
        char *colon = strchr(arg, ':');
        char *args = colon ? colon + 1 : arg + strlen(arg);
        size_t verb = colon ? (size_t)(colon - arg) : strlen(arg);
#define IS(word) (verb == strlen(word) && strncmp(arg, word, verb) == 0)
        if (IS("open"))
                return op_open(op, args, quiet);
        if (IS("send"))
                return op_send(op, args, quiet);
        if (IS("recv"))
                return op_recv(op, quiet);
        if (IS("getattr")) {
                struct mq_attr a;
                if (mq_getattr(cur, &a) < 0)
                        return fail(op, errno);
                printf("%s: ok maxmsg=%ld msgsize=%ld curmsgs=%ld nonblock=%d\n", op, a.mq_maxmsg,
                       a.mq_msgsize, a.mq_curmsgs, (a.mq_flags & O_NONBLOCK) != 0);
                return 0;
        }
        if (IS("setattr")) {
                struct mq_attr a = {.mq_flags = *args == 'n' ? O_NONBLOCK : 0};
                if (mq_setattr(cur, &a, NULL) < 0)
                        return fail(op, errno);
                printf("%s: ok\n", op);
                return 0;
        }
        if (IS("owner")) {
                struct stat st;
                if (fstat(cur, &st) < 0)
                        return fail(op, errno);
                int fl = fcntl(cur, F_GETFD);
                printf("%s: ok uid=%u gid=%u mode=%04o cloexec=%d\n", op, (unsigned)st.st_uid,
                       (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777), (fl & FD_CLOEXEC) != 0);
                return 0;
        }
        if (IS("close")) {
                int r = mq_close(cur);
                cur = (mqd_t)-1;
                if (r < 0)
                        return fail(op, errno);
                if (!quiet)
                        printf("%s: ok\n", op);
                return 0;
        }
        if (IS("unlink")) {
                if (mq_unlink(args) < 0)
                        return fail(op, errno);
                printf("%s: ok\n", op);
                return 0;
        }
        if (IS("int80"))
                return op_int80(op, args);
        if (IS("race"))
                return op_race(op, args);
        if (IS("killed")) {
                /* N children that call mq_open without end, each killed at some point of
                 * its calls: a door that answers a dead caller must not leak. */
                char *save = NULL, *n = strtok_r(args, ":", &save), *q = strtok_r(NULL, ":", &save);
                if (!n || !q || q[0] != '/')
                        return fail(op, EINVAL);
                for (long k = 0, count = atol(n); k < count; k++) {
                        pid_t pid = fork();
                        if (pid < 0)
                                return fail(op, errno);
                        if (pid == 0)
                                for (;;) {
                                        long fd = syscall(SYS_mq_open, q + 1, O_RDONLY | O_CLOEXEC,
                                                          0, NULL);
                                        if (fd >= 0)
                                                close((int)fd);
                                }
                        for (volatile long spin = 0; spin < (k % 64) * 2000; spin++)
                                ;
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                }
                printf("%s: ok\n", op);
                return 0;
        }
        if (IS("wait")) {
                char line[64];
                if (!fgets(line, sizeof(line), stdin))
                        return fail(op, EPIPE);
                printf("%s: ok\n", op);
                return 0;
        }
        if (IS("pid")) {
                printf("%s: ok %d\n", op, (int)getpid());
                return 0;
        }
        if (IS("fork")) {
                fflush(stdout);
                pid_t pid = fork();
                if (pid < 0)
                        return fail(op, errno);
                if (pid == 0)
                        exit(run(argc - i - 1, argv + i + 1, self));
                int status;
                waitpid(pid, &status, 0);
                *done = true;
                return WIFEXITED(status) ? 0 : -1;
        }
        if (IS("exec")) {
                fflush(stdout);
                argv[i] = self;
                execv("/proc/self/exe", argv + i);
                return fail(op, errno);
        }
        if (IS("loop")) {
                char *save = NULL, *n = strtok_r(args, ":", &save);
                char *rest = n ? n + strlen(n) + 1 : NULL;
                long count = n ? atol(n) : 0;
                char inner[512];
                for (long k = 0; rest && k < count; k++) {
                        snprintf(inner, sizeof(inner), "%s", rest);
                        bool d = false;
                        if (one(inner, i, argc, argv, self, true, &d) < 0)
                                return -1;
                }
                printf("%s: ok\n", op);
                return 0;
        }
#undef IS
        return fail(op, EINVAL);
}

static int run(int argc, char **argv, char *self)
{
        int bad = 0;
        for (int i = 0; i < argc; i++) {
                bool done = false;
                if (one(argv[i], i, argc, argv, self, false, &done) < 0)
                        bad = 1;
                if (done)
                        break;
        }
        fflush(stdout);
        return bad;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        return run(argc - 1, argv + 1, argv[0]);
}
