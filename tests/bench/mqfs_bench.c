/* mqfs_bench — what a snap's view costs against the kernel's own mqueue filesystem and
 * against FUSE's floor, measured side by side in one run (issue 6, SPEC §7).
 *
 *   mqfs_bench [--quick] [--out DIR] [--lists 10,100,...] [--scale 10,100,...]
 *              [--rounds R] [--no-scale] [--no-throughput] [--only OPS]
 *
 * Inside private IPC and mount namespaces (never the host's /dev/mqueue) it sets up the
 * same queues three ways:
 *   kernel  the kernel's mqueue filesystem mounted on a private directory (the limit);
 *   floor   mqfs_bench_floor, a FUSE filesystem that answers with fixed data and does
 *           no work (FUSE's own round trip);
 *   view    a snap's view in mqfsd (a system.yaml granting the queues to snap "bench"),
 *           bind-mounted as mqfs-mount would put it over the snap's /dev/mqueue;
 * and, as an unprivileged user (uid 10777), times the same operations on each, the
 * three interleaved round by round so that a burst of load elsewhere hits all three:
 *   stat         stat() of a queue
 *   stat-miss    stat() of a name that does not exist (in the view: not granted)
 *   status       open + read + close of a queue's status line
 *   write        one 1-byte message: write() on an open file (kernel: mq_timedsend on
 *                the descriptor, as write() is not a send there); drained untimed
 *   create       open(O_CREAT|O_EXCL) + close + unlink of a new queue
 *   list N       opendir + readdir to the end + closedir of a directory holding N
 *                granted queues and N ungranted ones (the kernel lists all 2N; the
 *                floor lists N made-up names); queues of maxmsg 1 and msgsize 1,
 *                created under several uids (RLIMIT_MSGQUEUE is per user)
 * then messages per second through write() on the view against mq_timedsend on the
 * same queue, 1 and 4 writers (a reader drains); then, for 10 to 10,000 snaps of 10
 * slots and 10 plugs each: policy load time (in this process), mqfsd's time to mount
 * and its RSS, and stat latency through one snap's view (it must not grow with the
 * number of snaps).
 *
 * Prints tables; with --out DIR also writes ops.csv, list.csv, throughput.csv,
 * scale.csv and machine.txt there. Exit 0 when every measurement ran, 1 when one
 * failed (said on stderr), 2 for bad usage. Needs root. MQFS_BENCH_WRAPPER (e.g.
 * "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p") runs the benchmark's
 * mqfsd under a tool. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <mqueue.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grants.h"
#include "stats.h"
#include "system.h"
#include "world.h"

enum target { KERNEL, FLOOR, VIEW, NTARGETS };
static const char *const TARGET_NAME[NTARGETS] = {"kernel", "floor", "view"};

enum {
        BENCH_UID = 10777,   /* who measures */
        LIST_UID = 20000,    /* owners of the listing sets, one per PER_UID queues */
        PER_UID = 4000,      /* about half what RLIMIT_MSGQUEUE allows per user */
        SCALE_PER_SNAP = 10, /* slots and plugs per snap in the scale test */
        SCALE_GROUP = 10,    /* snaps per publisher */
        MAX_POINTS = 8,      /* list sizes and scale sizes */
        MAX_WRITERS = 4,
        MSG_SIZE = 16, /* the throughput test's messages */
};

/* ---- options ---- */

struct options {
        bool quick;
        const char *out;
        size_t lists[MAX_POINTS], nlists;
        size_t scales[MAX_POINTS], nscales;
        int rounds;
        bool throughput, scale;
        const char *only;            /* comma-separated operation names, or NULL for all */
        int pin_client, pin_daemons; /* CPUs, or -1: wherever the scheduler puts them */
};

static int parse_sizes(const char *arg, size_t *v, size_t *n, size_t max_value)
{
        char *copy = strdup(arg), *save = NULL;
        *n = 0;
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                char *end;
                errno = 0;
                unsigned long long x = strtoull(w, &end, 10);
                if (errno || *end || x < 1 || x > max_value || *n == MAX_POINTS) {
                        free(copy);
                        return -EINVAL;
                }
                v[(*n)++] = (size_t)x;
        }
        free(copy);
        return *n ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
        fprintf(f, "usage: mqfs_bench [--quick] [--out DIR] [--lists N,N,...] [--scale N,N,...]\n"
                   "                  [--rounds R] [--no-scale] [--no-throughput] [--only OPS]\n"
                   "                  [--pin C,D]\n"
                   "  --quick          fewer samples, listings and scale up to 1,000\n"
                   "  --out DIR        write ops.csv, list.csv, throughput.csv, scale.csv and\n"
                   "                   machine.txt into DIR (created if missing)\n"
                   "  --lists          granted queues per listing (default 10,100,1000,10000;\n"
                   "                   at most 20000)\n"
                   "  --scale          snaps per scale step (default 10,100,1000,10000)\n"
                   "  --rounds R       interleaved rounds per operation (default 20)\n"
                   "  --only OPS       only these operations (comma-separated: stat, stat-miss,\n"
                   "                   status, write, create, list), no throughput or scale;\n"
                   "                   for profiling mqfsd (see MQFS_BENCH_WRAPPER)\n"
                   "  --pin C,D        run the measuring processes on CPU C and both FUSE\n"
                   "                   daemons on CPU D (C = D: all on one), so that floor and\n"
                   "                   view get the same placement (not the scale part);\n"
                   "                   default: not pinned\n"
                   "Runs as root, in private IPC and mount namespaces of its own.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
        *o = (struct options){
            .rounds = 20, .throughput = true, .scale = true, .pin_client = -1, .pin_daemons = -1};
        const size_t lists[] = {10, 100, 1000, 10000}, scales[] = {10, 100, 1000, 10000};
        bool lists_set = false, scales_set = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *val = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--quick")) {
                        o->quick = true;
                } else if (!strcmp(a, "--no-scale")) {
                        o->scale = false;
                } else if (!strcmp(a, "--no-throughput")) {
                        o->throughput = false;
                } else if (!strcmp(a, "--out") && val) {
                        o->out = val, i++;
                } else if (!strcmp(a, "--lists") && val) {
                        if (parse_sizes(val, o->lists, &o->nlists, 20000))
                                return 2;
                        lists_set = true, i++;
                } else if (!strcmp(a, "--scale") && val) {
                        if (parse_sizes(val, o->scales, &o->nscales, 100000))
                                return 2;
                        scales_set = true, i++;
                } else if (!strcmp(a, "--only") && val) {
                        o->only = val, i++;
                        o->throughput = o->scale = false;
                } else if (!strcmp(a, "--pin") && val) {
                        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
                        if (sscanf(val, "%d,%d", &o->pin_client, &o->pin_daemons) != 2 ||
                            o->pin_client < 0 || o->pin_daemons < 0 || o->pin_client >= ncpu ||
                            o->pin_daemons >= ncpu) {
                                fprintf(stderr,
                                        "mqfs_bench: --pin %s: want two CPU numbers "
                                        "below %ld, as C,D\n",
                                        val, ncpu);
                                return 2;
                        }
                        i++;
                } else if (!strcmp(a, "--rounds") && val) {
                        o->rounds = atoi(val), i++;
                        if (o->rounds < 1 || o->rounds > 1000)
                                return 2;
                } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                        usage(stdout);
                        return 1;
                } else {
                        return 2;
                }
        }
        size_t top = o->quick ? 1000 : SIZE_MAX;
        for (size_t i = 0; !lists_set && i < 4; i++)
                if (lists[i] <= top)
                        o->lists[o->nlists++] = lists[i];
        for (size_t i = 0; !scales_set && i < 4; i++)
                if (scales[i] <= top)
                        o->scales[o->nscales++] = scales[i];
        if (o->quick && o->rounds > 5)
                o->rounds = 5;
        return 0;
}

static bool wanted(const struct options *o, const char *op)
{
        if (!o->only)
                return true;
        size_t len = strlen(op);
        for (const char *p = o->only; *p;) {
                size_t n = strcspn(p, ",");
                if (n == len && strncmp(p, op, len) == 0)
                        return true;
                p += n + (p[n] == ',');
        }
        return false;
}

/* ---- the three set-ups ---- */

struct bench {
        struct options opt;
        struct world w;
        char floor_mnt[160], fs_mnt[160], attached[160], sys[160], log[160];
        pid_t floor_pid, daemon_pid;
        /* Per target: the directory holding the queues, and the paths used. */
        char dir[NTARGETS][160];
        char q_stat[NTARGETS][200], q_miss[NTARGETS][200], q_write[NTARGETS][200],
            q_create[NTARGETS][200], q_tput[NTARGETS][200];
        int wfd[NTARGETS]; /* open for writing on q_write */
        mqd_t drain;       /* the kernel's descriptor on /bw, to empty it untimed */
        double load_start[3], load_end[3];
        bool failed;
};

static const char OP_QUEUES[] = "/bq /bw /bt"; /* documented in the system.yaml below */

/* The granted paths: the operation queues and every possible listing queue. */
static int write_system_yaml(const struct bench *b, size_t list_max)
{
        FILE *f = fopen(b->sys, "we");
        if (!f) {
                fprintf(stderr, "mqfs_bench: cannot write %s: %s\n", b->sys, strerror(errno));
                return -errno;
        }
        fprintf(f,
                "# mqfs_bench: snap \"bench\" (unasserted, so its slot is allowed) owns\n"
                "# the operation queues (%s, /c-*) and the granted listing set /l-*.\n"
                "snaps:\n"
                "  - name: bench\n"
                "    snap-yaml-inline:\n"
                "      name: bench\n"
                "      slots:\n"
                "        mq:\n"
                "          interface: posix-mq\n"
                "          permissions: [read, write, create, delete]\n"
                "          path:\n"
                "            - /bq\n"
                "            - /bw\n"
                "            - /bt\n"
                "            - /c-0\n",
                OP_QUEUES);
        for (size_t i = 0; i < list_max; i++)
                fprintf(f, "            - /l-%05zu\n", i);
        return fclose(f) == 0 ? 0 : -EIO;
}

static void set_paths(struct bench *b)
{
        snprintf(b->dir[KERNEL], sizeof(b->dir[0]), "%s", b->w.kernel);
        snprintf(b->dir[FLOOR], sizeof(b->dir[0]), "%s", b->floor_mnt);
        snprintf(b->dir[VIEW], sizeof(b->dir[0]), "%s", b->attached);
        for (int t = 0; t < NTARGETS; t++) {
                snprintf(b->q_stat[t], sizeof(b->q_stat[0]), "%s/bq", b->dir[t]);
                /* c-1: never created, and in the view not granted either */
                snprintf(b->q_miss[t], sizeof(b->q_miss[0]), "%s/c-1", b->dir[t]);
                snprintf(b->q_write[t], sizeof(b->q_write[0]), "%s/bw", b->dir[t]);
                snprintf(b->q_create[t], sizeof(b->q_create[0]), "%s/c-0", b->dir[t]);
                snprintf(b->q_tput[t], sizeof(b->q_tput[0]), "%s/bt", b->dir[t]);
                b->wfd[t] = -1;
        }
        b->drain = (mqd_t)-1;
}

static int setup(struct bench *b, const char *bindir)
{
        int err = world_enter(&b->w, bindir);
        if (err)
                return err;
        snprintf(b->floor_mnt, sizeof(b->floor_mnt), "%s/floor", b->w.dir);
        snprintf(b->fs_mnt, sizeof(b->fs_mnt), "%s/mqfs", b->w.dir);
        snprintf(b->attached, sizeof(b->attached), "%s/snap-mqueue", b->w.dir);
        snprintf(b->sys, sizeof(b->sys), "%s/system.yaml", b->w.dir);
        snprintf(b->log, sizeof(b->log), "%s/daemons.log", b->w.dir);
        set_paths(b);
        if (mkdir(b->floor_mnt, 0755) != 0 || mkdir(b->fs_mnt, 0755) != 0)
                return -errno;
        size_t list_max = 0;
        for (size_t i = 0; i < b->opt.nlists; i++)
                if (b->opt.lists[i] > list_max)
                        list_max = b->opt.lists[i];
        err = write_system_yaml(b, list_max);
        if (!err)
                err = world_make_queue("/bq", 4, 64);
        if (!err)
                err = world_make_queue("/bw", 4, 64);
        if (!err)
                err = world_make_queue("/bt", 64, 64);
        if (err)
                return err;

        char floor_bin[PATH_MAX + 32], mqfsd_bin[PATH_MAX + 32];
        snprintf(floor_bin, sizeof(floor_bin), "%s/mqfs_bench_floor", b->w.bindir);
        snprintf(mqfsd_bin, sizeof(mqfsd_bin), "%s/mqfsd", b->w.bindir);
        char *floor_argv[] = {floor_bin, b->floor_mnt, NULL};
        char *mqfsd_argv[] = {mqfsd_bin, "-f", "--system", b->sys, b->fs_mnt, NULL};
        double ready;
        err = world_start_fuse(floor_argv, false, b->floor_mnt, b->log, 10, &b->floor_pid, &ready);
        if (!err)
                err = world_start_fuse(mqfsd_argv, true, b->fs_mnt, b->log, 60, &b->daemon_pid,
                                       &ready);
        if (err)
                return err;
        /* What mqfs-mount does in a snap's namespace: the view over its /dev/mqueue. */
        char src[200];
        snprintf(src, sizeof(src), "%s/bench", b->fs_mnt);
        return world_bind(src, b->attached);
}

static void teardown(struct bench *b)
{
        for (int t = 0; t < NTARGETS; t++)
                if (b->wfd[t] >= 0)
                        close(b->wfd[t]);
        if (b->drain != (mqd_t)-1)
                mq_close(b->drain);
        world_become_root();
        if (b->w.entered) {
                world_unmount(b->attached);
                if (b->daemon_pid > 0 && world_stop(b->daemon_pid, 10) != 0)
                        fprintf(stderr, "mqfs_bench: mqfsd did not exit cleanly; its log: %s\n",
                                b->log);
                if (b->floor_pid > 0)
                        world_stop(b->floor_pid, 10);
        }
        world_leave(&b->w);
}

/* ---- one sample of each operation ---- */

static void fail(struct bench *b, const char *op, int t, const char *what, int err)
{
        fprintf(stderr, "mqfs_bench: %s on the %s: %s: %s\n", op, TARGET_NAME[t], what,
                strerror(err));
        b->failed = true;
}

static int op_stat(struct bench *b, int t, double *us)
{
        struct stat st;
        double t0 = stats_now_us();
        int r = stat(b->q_stat[t], &st);
        *us = stats_now_us() - t0;
        if (r != 0) {
                fail(b, "stat", t, b->q_stat[t], errno);
                return -1;
        }
        return 0;
}

static int op_stat_miss(struct bench *b, int t, double *us)
{
        struct stat st;
        double t0 = stats_now_us();
        int r = stat(b->q_miss[t], &st);
        *us = stats_now_us() - t0;
        if (r == 0 || errno != ENOENT) {
                fail(b, "stat-miss", t, b->q_miss[t], r == 0 ? EEXIST : errno);
                return -1;
        }
        return 0;
}

static int op_status(struct bench *b, int t, double *us)
{
        char line[128];
        double t0 = stats_now_us();
        int fd = open(b->q_stat[t], O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, line, sizeof(line)) : -1;
        int err = errno;
        if (fd >= 0)
                close(fd);
        *us = stats_now_us() - t0;
        if (n < 6 || strncmp(line, "QSIZE:", 6) != 0) {
                fail(b, "status", t, b->q_stat[t], n < 0 ? err : EIO);
                return -1;
        }
        return 0;
}

static int op_write(struct bench *b, int t, double *us)
{
        static const char msg[1] = {'m'};
        double t0 = stats_now_us();
        ssize_t n;
        if (t == KERNEL)
                n = mq_send(b->wfd[t], msg, 1, 0) == 0 ? 1 : -1;
        else
                n = write(b->wfd[t], msg, 1);
        *us = stats_now_us() - t0;
        if (n != 1) {
                fail(b, "write", t, b->q_write[t], n < 0 ? errno : EIO);
                return -1;
        }
        if (t != FLOOR) { /* untimed: keep the queue from filling */
                char buf[64];
                if (mq_receive(b->drain, buf, sizeof(buf), NULL) != 1) {
                        fail(b, "write", t, "draining /bw", errno);
                        return -1;
                }
        }
        return 0;
}

static int op_create(struct bench *b, int t, double *us)
{
        double t0 = stats_now_us();
        int fd = open(b->q_create[t], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        int err = errno;
        if (fd >= 0) {
                close(fd);
                if (unlink(b->q_create[t]) != 0)
                        err = errno, fd = -1;
        }
        *us = stats_now_us() - t0;
        if (fd < 0) {
                fail(b, "create", t, b->q_create[t], err);
                return -1;
        }
        return 0;
}

/* Entries listed (".", ".." included), or -1. */
static long list_dir(struct bench *b, const char *dir, int t, double *us)
{
        double t0 = stats_now_us();
        DIR *d = opendir(dir);
        long n = 0;
        if (d) {
                errno = 0;
                while (readdir(d))
                        n++;
                if (errno)
                        n = -1;
                closedir(d);
        } else {
                n = -1;
        }
        *us = stats_now_us() - t0;
        if (n < 0)
                fail(b, "list", t, dir, errno ? errno : EIO);
        return n;
}

/* ---- the interleaved runs ---- */

struct op {
        const char *name;
        const char *what;
        int (*run)(struct bench *b, int t, double *us);
        int batch; /* samples per target per round (full run) */
};

static const struct op OPS[] = {
    {"stat", "stat() of a queue", op_stat, 100},
    {"stat-miss", "stat() of a missing (ungranted) name", op_stat_miss, 100},
    {"status", "open+read+close of the status", op_status, 50},
    {"write", "one 1-byte message", op_write, 100},
    {"create", "create+close+unlink of a queue", op_create, 25},
};
enum { NOPS = sizeof(OPS) / sizeof(OPS[0]) };

struct result {
        char name[32];
        struct summary s[NTARGETS];
        double daemon_cpu_us[NTARGETS]; /* per sample, of the serving process (floor, view) */
        long entries[NTARGETS];         /* listings: entries seen */
};

/* Sum of on-CPU time of a process's main thread, in µs (0 when unknown). */
static double process_cpu_us(pid_t pid)
{
        char path[64];
        unsigned long long ns = 0;
        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
        FILE *f = fopen(path, "re");
        if (f) {
                if (fscanf(f, "%llu", &ns) != 1)
                        ns = 0;
                fclose(f);
        }
        return (double)ns / 1e3;
}

static pid_t server_of(const struct bench *b, int t)
{
        return t == FLOOR ? b->floor_pid : t == VIEW ? b->daemon_pid : 0;
}

/* rounds x (each target in turn, the order rotating) x batch samples of op. */
static int run_interleaved(struct bench *b, const char *name, int rounds, int batch,
                           int (*sample)(struct bench *b, int t, void *ctx, double *us), void *ctx,
                           struct result *res)
{
        struct series s[NTARGETS] = {{0}};
        double cpu[NTARGETS] = {0};
        int err = 0;
        snprintf(res->name, sizeof(res->name), "%s", name);
        /* Warm-up: caches, dentries, the daemon's inodes, untimed. */
        for (int t = 0; t < NTARGETS && !err; t++)
                for (int k = 0; k < 3 && !err; k++) {
                        double us;
                        err = sample(b, t, ctx, &us);
                }
        for (int r = 0; r < rounds && !err; r++) {
                for (int j = 0; j < NTARGETS && !err; j++) {
                        int t = (j + r) % NTARGETS;
                        pid_t server = server_of(b, t);
                        double c0 = server ? process_cpu_us(server) : 0;
                        for (int k = 0; k < batch && !err; k++) {
                                double us;
                                err = sample(b, t, ctx, &us);
                                if (!err)
                                        err = series_add(&s[t], us);
                        }
                        if (server)
                                cpu[t] += process_cpu_us(server) - c0;
                }
        }
        for (int t = 0; t < NTARGETS; t++) {
                if (!err)
                        err = series_summary(&s[t], &res->s[t]);
                res->daemon_cpu_us[t] = s[t].n ? cpu[t] / (double)s[t].n : 0;
                series_free(&s[t]);
        }
        return err;
}

static int op_sample(struct bench *b, int t, void *ctx, double *us)
{
        const struct op *op = ctx;
        return op->run(b, t, us);
}

struct list_ctx {
        size_t n;
        long entries[NTARGETS];
};

static int list_sample(struct bench *b, int t, void *ctx_, double *us)
{
        struct list_ctx *ctx = ctx_;
        char floor_dir[200];
        const char *dir = b->dir[t];
        if (t == FLOOR) {
                snprintf(floor_dir, sizeof(floor_dir), "%s/l%zu", b->floor_mnt, ctx->n);
                dir = floor_dir;
        }
        long n = list_dir(b, dir, t, us);
        if (n < 0)
                return -1;
        if (ctx->entries[t] >= 0 && ctx->entries[t] != n) {
                fprintf(stderr, "mqfs_bench: the %s listed %ld entries, then %ld\n", TARGET_NAME[t],
                        ctx->entries[t], n);
                b->failed = true;
                return -1;
        }
        ctx->entries[t] = n;
        return 0;
}

static int open_write_targets(struct bench *b)
{
        for (int t = 0; t < NTARGETS; t++) {
                b->wfd[t] = open(b->q_write[t], O_WRONLY | O_CLOEXEC);
                if (b->wfd[t] < 0) {
                        fail(b, "write", t, b->q_write[t], errno);
                        return -1;
                }
        }
        b->drain = mq_open("/bw", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (b->drain == (mqd_t)-1) {
                fail(b, "write", KERNEL, "opening /bw to drain it", errno);
                return -1;
        }
        return 0;
}

static double loadavg(void)
{
        double l = -1;
        FILE *f = fopen("/proc/loadavg", "re");
        if (f) {
                if (fscanf(f, "%lf", &l) != 1)
                        l = -1;
                fclose(f);
        }
        return l;
}

/* ---- throughput ---- */

struct tput_shared {
        struct timespec start;
        atomic_int stop;
        long count[MAX_WRITERS];
        double elapsed[MAX_WRITERS];
        int err[MAX_WRITERS];
};

static void sleep_until(const struct timespec *when)
{
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, when, NULL) == EINTR)
                ;
}

static double ts_us(const struct timespec *ts)
{
        return (double)ts->tv_sec * 1e6 + (double)ts->tv_nsec / 1e3;
}

static void writer(struct bench *b, int t, struct tput_shared *sh, int i, double seconds)
{
        char msg[MSG_SIZE];
        memset(msg, 'w', sizeof(msg));
        int fd = t == KERNEL ? mq_open("/bt", O_WRONLY | O_CLOEXEC) : open(b->q_tput[t], O_WRONLY);
        if (fd < 0) {
                sh->err[i] = errno;
                _exit(1);
        }
        sleep_until(&sh->start);
        double t0 = ts_us(&sh->start), end = t0 + seconds * 1e6, now = t0;
        long n = 0;
        while (now < end) {
                int r = t == KERNEL
                            ? mq_send(fd, msg, sizeof(msg), 0)
                            : (write(fd, msg, sizeof(msg)) == (ssize_t)sizeof(msg) ? 0 : -1);
                if (r != 0) {
                        sh->err[i] = errno;
                        break;
                }
                n++;
                now = stats_now_us();
        }
        sh->count[i] = n;
        sh->elapsed[i] = (now - t0) / 1e6;
        _exit(sh->err[i] ? 1 : 0);
}

static void drainer(struct tput_shared *sh)
{
        mqd_t q = mq_open("/bt", O_RDONLY | O_CLOEXEC);
        char buf[64];
        if (q == (mqd_t)-1)
                _exit(1);
        for (;;) {
                struct timespec dl;
                clock_gettime(CLOCK_REALTIME, &dl);
                dl.tv_nsec += 20 * 1000000L;
                if (dl.tv_nsec >= 1000000000L)
                        dl.tv_sec++, dl.tv_nsec -= 1000000000L;
                if (mq_timedreceive(q, buf, sizeof(buf), NULL, &dl) < 0 && atomic_load(&sh->stop))
                        _exit(0);
        }
}

static pid_t spawn(void)
{
        pid_t pid = fork();
        if (pid == 0)
                prctl(PR_SET_PDEATHSIG, SIGKILL);
        return pid;
}

/* Messages per second into /bt through target t with the given number of writers. */
static int throughput(struct bench *b, int t, int writers, double seconds, double *rate)
{
        struct tput_shared *sh =
            mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                return -errno;
        memset(sh, 0, sizeof(*sh));
        clock_gettime(CLOCK_MONOTONIC, &sh->start);
        sh->start.tv_nsec += 100 * 1000000L; /* everyone ready before the start */
        if (sh->start.tv_nsec >= 1000000000L)
                sh->start.tv_sec++, sh->start.tv_nsec -= 1000000000L;
        pid_t pids[MAX_WRITERS + 1];
        int started = 0, err = 0;
        pid_t dpid = spawn();
        if (dpid == 0)
                drainer(sh);
        for (int i = 0; i < writers && dpid > 0; i++) {
                pids[i] = spawn();
                if (pids[i] == 0)
                        writer(b, t, sh, i, seconds);
                if (pids[i] < 0)
                        break;
                started++;
        }
        for (int i = 0; i < started; i++) {
                int status;
                waitpid(pids[i], &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "mqfs_bench: throughput writer %d on the %s failed: %s\n",
                                i, TARGET_NAME[t], strerror(sh->err[i] ? sh->err[i] : ECHILD));
                        err = -EIO;
                }
        }
        atomic_store(&sh->stop, 1);
        if (dpid > 0)
                waitpid(dpid, NULL, 0);
        if (dpid < 0 || started < writers)
                err = -EAGAIN;
        long total = 0;
        double elapsed = 0;
        for (int i = 0; i < writers; i++) {
                total += sh->count[i];
                if (sh->elapsed[i] > elapsed)
                        elapsed = sh->elapsed[i];
        }
        *rate = elapsed > 0 ? (double)total / elapsed : 0;
        munmap(sh, sizeof(*sh));
        return err;
}

/* ---- scale ---- */

static size_t auto_target(size_t i, size_t n)
{
        size_t base = i - i % SCALE_GROUP;
        size_t size = n - base < SCALE_GROUP ? n - base : SCALE_GROUP;
        return base + (i - base + 1) % size;
}

static size_t manual_target(size_t i, size_t n)
{
        return (i + SCALE_GROUP + 3) % n;
}

/* The shape of policy_scale's states: N snaps in publisher groups of 10, each with 10
 * slots (paths /q-I-K) and 10 plugs; plugs 0..8 auto-connect to the next snap of the
 * group, plug 9 is connected manually (when N >= 20) to a snap of another publisher. */
static int generate_state(const char *dir, size_t n)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        FILE *sys = fopen(path, "we");
        if (!sys)
                return -errno;
        fprintf(sys, "snaps:\n");
        for (size_t i = 0; i < n; i++) {
                fprintf(sys,
                        "  - name: snap-%zu\n    publisher: pub-%zu\n    slots-allowed: true\n"
                        "    snap-yaml: snap-%zu.yaml\n",
                        i, i / SCALE_GROUP, i);
                snprintf(path, sizeof(path), "%s/snap-%zu.yaml", dir, i);
                FILE *f = fopen(path, "we");
                if (!f) {
                        fclose(sys);
                        return -errno;
                }
                fprintf(f, "name: snap-%zu\nslots:\n", i);
                for (size_t k = 0; k < SCALE_PER_SNAP; k++)
                        fprintf(f,
                                "  s%zu:\n    interface: posix-mq\n    posix-mq: l-%zu-%zu\n"
                                "    path: /q-%zu-%zu\n    permissions: [%s]\n",
                                k, i, k, i, k,
                                k % 3 == 0   ? "read"
                                : k % 3 == 1 ? "read, write"
                                             : "write, create, delete");
                fprintf(f, "plugs:\n");
                for (size_t k = 0; k < SCALE_PER_SNAP; k++) {
                        size_t to = k < SCALE_PER_SNAP - 1 || n < 2 * SCALE_GROUP
                                        ? auto_target(i, n)
                                        : manual_target(i, n);
                        fprintf(f, "  p%zu: {interface: posix-mq, posix-mq: l-%zu-%zu}\n", k, to,
                                k);
                }
                if (fclose(f) != 0) {
                        fclose(sys);
                        return -EIO;
                }
        }
        if (n >= 2 * SCALE_GROUP) {
                fprintf(sys, "connections:\n");
                for (size_t i = 0; i < n; i++)
                        fprintf(sys, "  - {plug: snap-%zu:p%d, slot: snap-%zu:s%d}\n", i,
                                SCALE_PER_SNAP - 1, manual_target(i, n), SCALE_PER_SNAP - 1);
        }
        return fclose(sys) == 0 ? 0 : -EIO;
}

static double cpu_s(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct scale_result {
        size_t snaps;
        size_t messages, conns;
        double load_s, load_cpu_s; /* median of the runs, in this process */
        double ready_s;            /* mqfsd: fork to mounted */
        long rss_kib, hwm_kib;     /* mqfsd once mounted */
        struct summary stat, miss; /* through snap-1's view */
};

static int compare_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static int time_load(const char *path, int runs, struct scale_result *r)
{
        double wall[5], cpu[5];
        for (int i = 0; i < runs; i++) {
                struct mqfs_system *sys = NULL;
                struct mqfs_grant_table *g = NULL;
                char *error = NULL;
                double t0 = stats_now_us(), c0 = cpu_s();
                int err = mqfs_system_load(path, &sys, &error);
                if (!err)
                        err = mqfs_system_grant_table(sys, &g);
                wall[i] = (stats_now_us() - t0) / 1e6;
                cpu[i] = cpu_s() - c0;
                if (err) {
                        fprintf(stderr, "mqfs_bench: loading %s: %s\n", path,
                                error ? error : strerror(-err));
                        free(error);
                        mqfs_system_free(sys);
                        return err;
                }
                r->messages = sys->nmessages;
                r->conns = sys->nconns;
                if (sys->nmessages)
                        fprintf(stderr, "mqfs_bench: note: %s: %s (and %zu more messages)\n", path,
                                sys->messages[0], sys->nmessages - 1);
                mqfs_grant_table_unref(g);
                mqfs_system_free(sys);
        }
        qsort(wall, (size_t)runs, sizeof(double), compare_double);
        qsort(cpu, (size_t)runs, sizeof(double), compare_double);
        r->load_s = wall[runs / 2];
        r->load_cpu_s = cpu[runs / 2];
        return 0;
}

static int stat_path_sample(struct bench *b, const char *path, bool missing, double *us)
{
        struct stat st;
        double t0 = stats_now_us();
        int r = stat(path, &st);
        *us = stats_now_us() - t0;
        if ((r == 0) == missing || (r != 0 && errno != ENOENT)) {
                fprintf(stderr, "mqfs_bench: scale: stat %s: %s\n", path,
                        r == 0 ? "exists" : strerror(errno));
                b->failed = true;
                return -1;
        }
        return 0;
}

static int sample_series(struct bench *b, const char *path, bool missing, int n,
                         struct summary *out)
{
        struct series s = {0};
        int err = 0;
        double us;
        for (int i = 0; i < 20 && !err; i++)
                err = stat_path_sample(b, path, missing, &us);
        for (int i = 0; i < n && !err; i++) {
                err = stat_path_sample(b, path, missing, &us);
                if (!err)
                        err = series_add(&s, us);
        }
        if (!err)
                err = series_summary(&s, out);
        series_free(&s);
        return err;
}

static int scale_step(struct bench *b, size_t n, struct scale_result *r)
{
        char dir[200], path[260], mnt[200], view[200], src[260];
        memset(r, 0, sizeof(*r));
        r->snaps = n;
        snprintf(dir, sizeof(dir), "%s/scale-%zu", b->w.dir, n);
        snprintf(mnt, sizeof(mnt), "%s/scale-mnt", b->w.dir);
        snprintf(view, sizeof(view), "%s/scale-view", b->w.dir);
        if (mkdir(dir, 0755) != 0 || (mkdir(mnt, 0755) != 0 && errno != EEXIST))
                return -errno;
        int err = generate_state(dir, n);
        if (err) {
                fprintf(stderr, "mqfs_bench: cannot write the state of %zu snaps: %s\n", n,
                        strerror(-err));
                return err;
        }
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        err = time_load(path, n >= 10000 ? 1 : 3, r);
        if (err)
                return err;

        char mqfsd_bin[PATH_MAX + 32];
        snprintf(mqfsd_bin, sizeof(mqfsd_bin), "%s/mqfsd", b->w.bindir);
        char *argv[] = {mqfsd_bin, "-f", "--system", path, mnt, NULL};
        pid_t pid;
        err = world_start_fuse(argv, false, mnt, b->log, 120, &pid, &r->ready_s);
        if (err)
                return err;
        r->rss_kib = world_status_kib(pid, "VmRSS");
        r->hwm_kib = world_status_kib(pid, "VmHWM");
        /* snap-1's plug p1 auto-connects to snap-2's slot s1: /q-2-1 (read, write). */
        snprintf(src, sizeof(src), "%s/snap-1", mnt);
        err = world_bind(src, view);
        if (!err) {
                char q[260], miss[260];
                snprintf(q, sizeof(q), "%s/q-2-1", view);
                snprintf(miss, sizeof(miss), "%s/q-3-1", view); /* exists, not granted */
                int samples = b->opt.quick ? 300 : 2000;
                err = world_become(BENCH_UID, BENCH_UID);
                if (!err)
                        err = sample_series(b, q, false, samples, &r->stat);
                if (!err)
                        err = sample_series(b, miss, true, samples, &r->miss);
                int back = world_become_root();
                if (!err)
                        err = back;
                world_unmount(view);
        }
        if (world_stop(pid, 20) != 0)
                fprintf(stderr, "mqfs_bench: mqfsd with %zu snaps did not exit cleanly; see %s\n",
                        n, b->log);
        /* The generated files (tmpfs memory) are not needed any more. */
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/snap-%zu.yaml", dir, i);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        unlink(path);
        rmdir(dir);
        return err;
}

/* ---- output ---- */

static double ratio(double a, double b)
{
        return b > 0 ? a / b : 0;
}

static void print_result_row(FILE *f, const struct result *r)
{
        const struct summary *s = r->s;
        fprintf(f, "%-11s %8.1f %8.1f  %8.1f %8.1f  %8.1f %8.1f  %7.2f %8.1f  %6.1f\n", r->name,
                s[KERNEL].median, s[KERNEL].p99, s[FLOOR].median, s[FLOOR].p99, s[VIEW].median,
                s[VIEW].p99, ratio(s[VIEW].median, s[FLOOR].median),
                ratio(s[VIEW].median, s[KERNEL].median), r->daemon_cpu_us[VIEW]);
}

static void print_header(FILE *f)
{
        fprintf(f, "%-11s %17s  %17s  %17s  %7s %8s  %6s\n", "", "kernel (us)", "floor (us)",
                "view (us)", "view/", "view/", "mqfsd");
        fprintf(f, "%-11s %8s %8s  %8s %8s  %8s %8s  %7s %8s  %6s\n", "operation", "median", "p99",
                "median", "p99", "median", "p99", "floor", "kernel", "CPU us");
}

static void csv_result(FILE *f, const struct result *r)
{
        const struct summary *s = r->s;
        fprintf(f, "%s,%zu,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f,%.2f,%.2f,%.2f\n", r->name, s[VIEW].n,
                s[KERNEL].median, s[KERNEL].p99, s[FLOOR].median, s[FLOOR].p99, s[VIEW].median,
                s[VIEW].p99, ratio(s[VIEW].median, s[FLOOR].median),
                ratio(s[VIEW].median, s[KERNEL].median), r->daemon_cpu_us[FLOOR],
                r->daemon_cpu_us[VIEW]);
}

static FILE *open_out(const struct options *o, const char *name)
{
        char path[PATH_MAX];
        if (!o->out)
                return NULL;
        snprintf(path, sizeof(path), "%s/%s", o->out, name);
        FILE *f = fopen(path, "we");
        if (!f)
                fprintf(stderr, "mqfs_bench: cannot write %s: %s\n", path, strerror(errno));
        return f;
}

static void cpu_model(char *out, size_t size)
{
        char line[256];
        FILE *f = fopen("/proc/cpuinfo", "re");
        snprintf(out, size, "unknown CPU");
        while (f && fgets(line, sizeof(line), f)) {
                char *colon = strchr(line, ':');
                if (strncmp(line, "model name", 10) == 0 && colon) {
                        snprintf(out, size, "%s", colon + 2);
                        out[strcspn(out, "\n")] = '\0';
                        break;
                }
        }
        if (f)
                fclose(f);
}

static void describe_machine(FILE *f, const struct options *o, double load_before,
                             double load_after)
{
        struct utsname u;
        char cpu[200], date[64];
        time_t now = time(NULL);
        struct tm tm;
        uname(&u);
        cpu_model(cpu, sizeof(cpu));
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
        fprintf(f, "date: %s\nmachine: %s, %ld CPUs, Linux %s %s\n", date, cpu,
                sysconf(_SC_NPROCESSORS_ONLN), u.release, u.machine);
        fprintf(f, "load average (1 min): %.2f before, %.2f after\n", load_before, load_after);
        if (o->pin_client >= 0)
                fprintf(f,
                        "pinned: measuring processes on CPU %d, FUSE daemons on CPU %d "
                        "(latency, throughput, listing; the scale part is not pinned)\n",
                        o->pin_client, o->pin_daemons);
        else
                fprintf(f, "placement: not pinned (the scheduler's choice)\n");
}

/* ---- main ---- */

static void bin_dir(char *out, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", out, size - 1);
        if (n <= 0) {
                snprintf(out, size, ".");
                return;
        }
        out[n] = '\0';
        char *slash = strrchr(out, '/');
        if (slash)
                *slash = '\0';
}

int main(int argc, char **argv)
{
        static struct bench b; /* large; zeroed */
        int r = parse_options(argc, argv, &b.opt);
        if (r) {
                if (r == 2)
                        usage(stderr);
                return r == 1 ? 0 : 2;
        }
        const struct options *o = &b.opt;
        if (o->out && mkdir(o->out, 0755) != 0 && errno != EEXIST) {
                fprintf(stderr, "mqfs_bench: cannot create %s: %s\n", o->out, strerror(errno));
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        cpu_set_t unpinned;
        if (sched_getaffinity(0, sizeof(unpinned), &unpinned) != 0) {
                fprintf(stderr, "mqfs_bench: cannot read the CPU affinity: %s\n", strerror(errno));
                return 1;
        }
        if (o->pin_client >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(o->pin_client, &set);
                if (sched_setaffinity(0, sizeof(set), &set) != 0) {
                        fprintf(stderr, "mqfs_bench: cannot pin to CPU %d: %s\n", o->pin_client,
                                strerror(errno));
                        return 1;
                }
                world_set_daemon_cpu(o->pin_daemons);
        }
        char bindir[PATH_MAX];
        bin_dir(bindir, sizeof(bindir));
        double load_before = loadavg();

        struct result ops[NOPS + MAX_POINTS];
        size_t nres = 0;
        double rates[2][NTARGETS] = {{0}};
        struct scale_result scale[MAX_POINTS];
        size_t nscale = 0;
        memset(ops, 0, sizeof(ops));

        if (setup(&b, bindir) != 0) {
                b.failed = true;
                goto out;
        }
        if (world_become(BENCH_UID, BENCH_UID) != 0 || open_write_targets(&b) != 0) {
                b.failed = true;
                goto out;
        }
        printf("mqfs_bench: kernel %s, floor %s, view %s (mqfsd pid %d), as uid %d\n",
               b.dir[KERNEL], b.dir[FLOOR], b.dir[VIEW], (int)b.daemon_pid, BENCH_UID);
        int scale_div = o->quick ? 4 : 1;
        for (size_t i = 0; i < NOPS && !b.failed; i++) {
                if (!wanted(o, OPS[i].name))
                        continue;
                int batch = OPS[i].batch / scale_div > 0 ? OPS[i].batch / scale_div : 1;
                if (run_interleaved(&b, OPS[i].name, o->rounds, batch, op_sample, (void *)&OPS[i],
                                    &ops[nres]) != 0)
                        b.failed = true;
                else
                        nres++;
        }

        if (o->throughput && !b.failed) {
                double seconds = o->quick ? 0.3 : 1.0;
                const int writers[2] = {1, MAX_WRITERS};
                /* Interleaved: kernel, view, floor; then again with more writers. */
                for (int w = 0; w < 2 && !b.failed; w++)
                        for (int t = 0; t < NTARGETS && !b.failed; t++)
                                if (throughput(&b, t, writers[w], seconds, &rates[w][t]) != 0)
                                        b.failed = true;
        }

        /* Listings: the sets grow in place (10 within 100 within 1,000...). */
        size_t made = 0;
        for (size_t i = 0; i < o->nlists && !b.failed && wanted(o, "list"); i++) {
                size_t n = o->lists[i];
                struct list_ctx ctx = {.n = n, .entries = {-1, -1, -1}};
                if (n > made) {
                        int err = world_become_root();
                        if (!err)
                                err = world_make_queues("/l-%05zu", made, n, LIST_UID, PER_UID);
                        if (!err)
                                err =
                                    world_make_queues("/u-%05zu", made, n, LIST_UID + 100, PER_UID);
                        if (!err)
                                err = world_become(BENCH_UID, BENCH_UID);
                        if (err) {
                                b.failed = true;
                                break;
                        }
                        made = n;
                }
                /* Let mqfsd drain the inotify events of the new queues first. */
                usleep(200 * 1000);
                char name[32];
                snprintf(name, sizeof(name), "list %zu", n);
                int samples = n <= 10 ? 1000 : n <= 100 ? 500 : n <= 1000 ? 200 : 40;
                if (o->quick)
                        samples /= 4;
                int rounds = samples >= 100 ? 10 : 5;
                if (run_interleaved(&b, name, rounds, samples / rounds, list_sample, &ctx,
                                    &ops[nres]) != 0) {
                        b.failed = true;
                        break;
                }
                memcpy(ops[nres].entries, ctx.entries, sizeof(ctx.entries));
                /* ".", "..", the three operation queues and the N granted ones. */
                if (ctx.entries[VIEW] != (long)n + 5) {
                        fprintf(stderr, "mqfs_bench: the view listed %ld entries, want %zu\n",
                                ctx.entries[VIEW], n + 5);
                        b.failed = true;
                }
                nres++;
        }

        if (world_become_root() != 0)
                b.failed = true;
        /* Loading is parsed on several threads when CPUs are free: the scale part runs
         * wherever the scheduler likes, as a daemon starting at boot would. */
        if (o->pin_client >= 0) {
                world_set_daemon_cpu(-1);
                if (sched_setaffinity(0, sizeof(unpinned), &unpinned) != 0)
                        b.failed = true;
        }
        if (o->scale && !b.failed) {
                if (world_make_queue("/q-2-1", 4, 64) != 0 || world_make_queue("/q-3-1", 4, 64))
                        b.failed = true;
                for (size_t i = 0; i < o->nscales && !b.failed; i++) {
                        printf("mqfs_bench: scale step: %zu snaps\n", o->scales[i]);
                        if (scale_step(&b, o->scales[i], &scale[nscale]) != 0)
                                b.failed = true;
                        else
                                nscale++;
                }
        }

out:;
        double load_after = loadavg();
        teardown(&b);

        FILE *csv = open_out(o, "ops.csv"), *list = open_out(o, "list.csv");
        printf("\nLatency per operation, interleaved in one run (us; CPU = mqfsd's own CPU "
               "time per operation):\n");
        print_header(stdout);
        if (csv)
                fprintf(csv, "operation,samples,kernel_median_us,kernel_p99_us,floor_median_us,"
                             "floor_p99_us,view_median_us,view_p99_us,view_over_floor,"
                             "view_over_kernel,floor_cpu_us,view_cpu_us\n");
        if (list)
                fprintf(list, "granted,kernel_median_us,floor_median_us,view_median_us,"
                              "kernel_entries,floor_entries,view_entries\n");
        for (size_t i = 0; i < nres; i++) {
                print_result_row(stdout, &ops[i]);
                if (csv)
                        csv_result(csv, &ops[i]);
                size_t n;
                if (list && sscanf(ops[i].name, "list %zu", &n) == 1)
                        fprintf(list, "%zu,%.2f,%.2f,%.2f,%ld,%ld,%ld\n", n,
                                ops[i].s[KERNEL].median, ops[i].s[FLOOR].median,
                                ops[i].s[VIEW].median, ops[i].entries[KERNEL] - 2,
                                ops[i].entries[FLOOR] - 2, ops[i].entries[VIEW] - 2);
        }
        for (size_t i = 0; i < nres; i++)
                if (ops[i].entries[KERNEL] > 0)
                        printf("  %s: entries listed: kernel %ld, floor %ld, view %ld; "
                               "samples %zu each\n",
                               ops[i].name, ops[i].entries[KERNEL], ops[i].entries[FLOOR],
                               ops[i].entries[VIEW], ops[i].s[VIEW].n);
        if (csv)
                fclose(csv);
        if (list)
                fclose(list);

        if (o->throughput && rates[1][VIEW] > 0) {
                FILE *tp = open_out(o, "throughput.csv");
                printf("\nMessages per second (%d-byte messages, one reader draining):\n",
                       MSG_SIZE);
                printf("%-8s %14s %14s %14s %10s\n", "writers", "mq_timedsend", "view write()",
                       "floor write()", "view/kernel");
                if (tp)
                        fprintf(tp, "writers,kernel_msgs_per_s,view_msgs_per_s,floor_writes_per_s,"
                                    "view_over_kernel\n");
                const int writers[2] = {1, MAX_WRITERS};
                for (int w = 0; w < 2; w++) {
                        printf("%-8d %14.0f %14.0f %14.0f %10.3f\n", writers[w], rates[w][KERNEL],
                               rates[w][VIEW], rates[w][FLOOR],
                               ratio(rates[w][VIEW], rates[w][KERNEL]));
                        if (tp)
                                fprintf(tp, "%d,%.0f,%.0f,%.0f,%.4f\n", writers[w],
                                        rates[w][KERNEL], rates[w][VIEW], rates[w][FLOOR],
                                        ratio(rates[w][VIEW], rates[w][KERNEL]));
                }
                if (tp)
                        fclose(tp);
        }

        if (nscale) {
                FILE *sc = open_out(o, "scale.csv");
                printf("\nScale (10 slots + 10 plugs per snap): policy load in-process "
                       "(load + resolve + grants), mqfsd start and RSS, stat through one view:\n");
                printf("%-7s %11s %9s %10s %9s %9s %10s %10s %10s\n", "snaps", "connections",
                       "load s", "load CPU s", "mqfsd s", "RSS MiB", "peak MiB", "stat us",
                       "miss us");
                if (sc)
                        fprintf(sc, "snaps,connections,load_s,load_cpu_s,daemon_ready_s,"
                                    "daemon_rss_kib,daemon_hwm_kib,stat_median_us,stat_p99_us,"
                                    "miss_median_us,miss_p99_us\n");
                for (size_t i = 0; i < nscale; i++) {
                        const struct scale_result *s = &scale[i];
                        printf("%-7zu %11zu %9.3f %10.3f %9.3f %9.1f %10.1f %10.1f %10.1f\n",
                               s->snaps, s->conns, s->load_s, s->load_cpu_s, s->ready_s,
                               s->rss_kib / 1024.0, s->hwm_kib / 1024.0, s->stat.median,
                               s->miss.median);
                        if (sc)
                                fprintf(sc, "%zu,%zu,%.4f,%.4f,%.4f,%ld,%ld,%.2f,%.2f,%.2f,%.2f\n",
                                        s->snaps, s->conns, s->load_s, s->load_cpu_s, s->ready_s,
                                        s->rss_kib, s->hwm_kib, s->stat.median, s->stat.p99,
                                        s->miss.median, s->miss.p99);
                }
                if (sc)
                        fclose(sc);
        }
        printf("\n");
        describe_machine(stdout, o, load_before, load_after);
        FILE *m = open_out(o, "machine.txt");
        if (m) {
                describe_machine(m, o, load_before, load_after);
                fclose(m);
        }
        if (b.failed)
                fprintf(stderr, "mqfs_bench: some measurements failed (see above)\n");
        return b.failed ? 1 : 0;
}
