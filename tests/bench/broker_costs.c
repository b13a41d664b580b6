/* broker_costs — what each step of a view operation costs inside mqfsd, without FUSE.
 *
 *   broker_costs [ITERATIONS]
 *
 * mqfs_bench shows how much slower than FUSE's floor each operation of the view is;
 * this says where that time goes. In private IPC and mount namespaces (world.h) it
 * calls, in a loop, each broker function the daemon calls per request, and the raw
 * system calls behind them, and prints the median and p99 in ns per call:
 *   a system call (getppid), the grant lookup, the credential switch and back,
 *   reading the caller's groups from /proc (what libfuse's fuse_req_getgroups does),
 *   mq_open+close as root, mqfs_broker_stat (GETATTR), mqfs_broker_open+close (OPEN +
 *   RELEASE), mqfs_broker_handle_status (READ), mqfs_broker_send (WRITE; drained),
 *   mqfs_broker_list_names over 10 and 1,000 granted queues (READDIR).
 * The caller is uid 10777 with no supplementary groups. Needs root. Exit 0, or 1 when a
 * call failed (said on stderr). */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "broker.h"
#include "creds.h"
#include "grants.h"
#include "perm.h"
#include "stats.h"
#include "world.h"

enum { CALLER_UID = 10777, LISTED = 1000 };

static struct mqfs_broker *broker;
static const struct mqfs_caller CALLER = {.uid = CALLER_UID, .gid = CALLER_UID};
static char proc_status[64];
static mqd_t drain = (mqd_t)-1;

typedef int (*step_fn)(void);

static int step_syscall(void)
{
        return getppid() > 0 ? 0 : -EIO;
}

static int step_lookup(void)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(broker);
        unsigned perms = mqfs_grant_set_perms(mqfs_grant_table_set_of(g, "s"), "/bq");
        mqfs_grant_table_unref(g);
        return perms ? 0 : -ENOENT;
}

static int step_creds(void)
{
        struct mqfs_creds_saved saved;
        int err = mqfs_creds_enter(&CALLER, &saved);
        if (!err)
                mqfs_creds_leave(&saved);
        return err;
}

static int step_groups(void)
{
        char buf[4096];
        int fd = open(proc_status, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof(buf));
        close(fd);
        return n > 0 && strstr(buf, "Groups:") ? 0 : -EIO;
}

static int step_mq_open(void)
{
        mqd_t q = mq_open("/bq", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (q == (mqd_t)-1)
                return -errno;
        mq_close(q);
        return 0;
}

static int step_stat(void)
{
        struct stat st;
        return mqfs_broker_stat(broker, "s", &CALLER, "/bq", &st);
}

static int step_open(void)
{
        struct mqfs_handle *h;
        int err = mqfs_broker_open(broker, "s", &CALLER, "/bq", O_RDONLY, 0, NULL, &h);
        if (!err)
                mqfs_handle_close(h);
        return err;
}

static struct mqfs_handle *reader, *writer;

static int step_status(void)
{
        char line[MQFS_STATUS_MAX];
        int n = mqfs_broker_handle_status(broker, reader, line, sizeof(line));
        return n > 0 ? 0 : n;
}

static int step_send(void)
{
        return mqfs_broker_send(broker, writer, "m", 1, 0, NULL);
}

static int count_name(void *ctx, const char *name)
{
        (void)name;
        ++*(size_t *)ctx;
        return 0;
}

static int list_snap(const char *snap, size_t want)
{
        size_t n = 0;
        int err = mqfs_broker_list_names(broker, snap, count_name, &n);
        return err ? err : n == want ? 0 : -EIO;
}

static int step_list10(void)
{
        return list_snap("ten", 10);
}

static int step_list1000(void)
{
        return list_snap("many", LISTED);
}

struct step {
        const char *name;
        step_fn fn;
        int divisor; /* fewer iterations for the slow ones */
};

static const struct step STEPS[] = {
    {"syscall (getppid)", step_syscall, 1},
    {"grant lookup", step_lookup, 1},
    {"credential switch + back", step_creds, 1},
    {"groups from /proc (libfuse)", step_groups, 1},
    {"mq_open+close as root", step_mq_open, 1},
    {"broker stat (GETATTR)", step_stat, 1},
    {"broker open+close (OPEN)", step_open, 1},
    {"broker handle status (READ)", step_status, 1},
    {"broker send (WRITE)", step_send, 1},
    {"broker list names, 10", step_list10, 10},
    {"broker list names, 1000", step_list1000, 100},
};

static int setup(void)
{
        int err = world_make_queue("/bq", 4, 64);
        if (!err)
                err = world_make_queue("/bw", 4, 64);
        if (!err)
                err = world_make_queues("/l-%05zu", 0, LISTED, 20000, 4000);
        if (err)
                return err;
        struct mqfs_grant_table *g;
        err = mqfs_grant_table_new(&g);
        unsigned all = MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE;
        if (!err)
                err = mqfs_grant_table_add(g, "s", "/bq", all);
        if (!err)
                err = mqfs_grant_table_add(g, "s", "/bw", all);
        char name[32];
        for (size_t i = 0; i < LISTED && !err; i++) {
                snprintf(name, sizeof(name), "/l-%05zu", i);
                err = mqfs_grant_table_add(g, "many", name, all);
                if (!err && i < 10)
                        err = mqfs_grant_table_add(g, "ten", name, all);
        }
        if (!err)
                err = mqfs_grant_table_freeze(g);
        int backing = err ? -1 : mqfs_backing_open();
        if (backing < 0) {
                fprintf(stderr, "broker_costs: cannot set up the broker: %s\n",
                        strerror(err ? -err : -backing));
                return err ? err : backing;
        }
        err = mqfs_broker_new(backing, g, &broker);
        if (!err)
                err = mqfs_broker_open(broker, "s", &CALLER, "/bq", O_RDONLY, 0, NULL, &reader);
        if (!err)
                err = mqfs_broker_open(broker, "s", &CALLER, "/bw", O_WRONLY, 0, NULL, &writer);
        drain = mq_open("/bw", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (!err && drain == (mqd_t)-1)
                err = -errno;
        if (err)
                fprintf(stderr, "broker_costs: cannot open the queues: %s\n", strerror(-err));
        snprintf(proc_status, sizeof(proc_status), "/proc/%d/task/%d/status", (int)getpid(),
                 (int)getpid());
        return err;
}

int main(int argc, char **argv)
{
        long iterations = argc > 1 ? atol(argv[1]) : 20000;
        if (argc > 2 || iterations < 100 || iterations > 10000000) {
                fprintf(stderr, "usage: broker_costs [ITERATIONS (100..10000000, default "
                                "20000)]\n");
                return 2;
        }
        struct world w;
        int status = 1;
        if (world_enter(&w, ".") != 0 || setup() != 0)
                goto out;
        printf("%-30s %10s %10s %8s\n", "step", "median ns", "p99 ns", "calls");
        status = 0;
        for (size_t i = 0; i < sizeof(STEPS) / sizeof(STEPS[0]); i++) {
                struct series s = {0};
                struct summary sum;
                long n = iterations / STEPS[i].divisor;
                for (long k = 0; k < n + 10; k++) {
                        double t0 = stats_now_us();
                        int err = STEPS[i].fn();
                        double us = stats_now_us() - t0;
                        if (err) {
                                fprintf(stderr, "broker_costs: %s: %s\n", STEPS[i].name,
                                        strerror(-err));
                                status = 1;
                                break;
                        }
                        if (STEPS[i].fn == step_send) {
                                char buf[64];
                                if (mq_receive(drain, buf, sizeof(buf), NULL) != 1) {
                                        fprintf(stderr, "broker_costs: draining: %s\n",
                                                strerror(errno));
                                        status = 1;
                                        break;
                                }
                        }
                        if (k >= 10 && series_add(&s, us) != 0)
                                status = 1;
                }
                if (series_summary(&s, &sum) == 0)
                        printf("%-30s %10.0f %10.0f %8zu\n", STEPS[i].name, sum.median * 1e3,
                               sum.p99 * 1e3, sum.n);
                series_free(&s);
        }
out:
        mqfs_handle_close(reader);
        mqfs_handle_close(writer);
        if (drain != (mqd_t)-1)
                mq_close(drain);
        mqfs_broker_free(broker);
        world_leave(&w);
        return status;
}
