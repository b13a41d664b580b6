/* test_faults.c — mqfsd under faults (issue 7, item 3): the daemon killed while writers
 * wait, system.yaml broken or gone while serving, a queue removed under an open file,
 * /dev/mqueue taken away, and the kernel's queue limits reached through a view.
 *
 * The real mqfsd, mqfs-mount and snap namespaces made by the test (e2e_harness.h, in a
 * private IPC and mount namespace with tmpfs over /run and /dev; nothing survives the
 * test). Every test starts its own daemon and ends by stopping it with SIGTERM, which
 * must give exit status 0: a daemon that crashed, aborted on a sanitizer report or
 * leaked fails the test that ran it (hardening_harness.h).
 *
 * Policy: snap "prov" has one slot with every permission on the queues below; snap
 * "cons" (same publisher) is auto-connected to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardening_harness.h"

#define FUSE_SUPER_MAGIC 0x65735546
#define USER_A           47101 /* unusual uids: RLIMIT_MSGQUEUE is charged per uid, host-wide */
#define USER_B           47102
#define LIMIT_QUEUES     16 /* c0..c15 are granted for the limit tests */
#define WRITERS          3

#define QUEUES                                                                                     \
        "[/blk, /unl, /dm0, /dm1, /c0, /c1, /c2, /c3, /c4, /c5, /c6, /c7, /c8, /c9, /c10, /c11, "  \
        "/c12, /c13, /c14, /c15]"

#define SNAP_PROV                                                                                  \
        "  - name: prov\n"                                                                         \
        "    publisher: acme\n"                                                                    \
        "    slots-allowed: true\n"                                                                \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: prov\n"                                                                       \
        "      slots:\n"                                                                           \
        "        rw: {interface: posix-mq, path: " QUEUES ",\n"                                    \
        "             permissions: [read, write, create, delete]}\n"

#define SNAP_CONS                                                                                  \
        "  - name: cons\n"                                                                         \
        "    publisher: acme\n"                                                                    \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: cons\n"                                                                       \
        "      plugs:\n"                                                                           \
        "        rw: {interface: posix-mq}\n"

static const char *const SYSTEM = "snaps:\n" SNAP_PROV SNAP_CONS;

static struct e2e_snap cons_ns;
static char out[8192];
/* Descriptors a test holds on queues, closed by the teardown when the test fails (an open
 * descriptor keeps an unlinked queue, and so the namespace's queue count, alive). */
static int held[4] = {-1, -1, -1, -1};

static const char *view(const char *snap, const char *q)
{
        static char bufs[4][256];
        static int next;
        char *b = bufs[next++ % 4];
        snprintf(b, 256, E2E_ROOT "/%s%s%s", snap, q ? "/" : "", q ? q : "");
        return b;
}

static const char *hostq(const char *q)
{
        static char bufs[4][256];
        static int next;
        char *b = bufs[next++ % 4];
        snprintf(b, 256, "/dev/mqueue/%s", q);
        return b;
}

static int test_setup(void **state)
{
        (void)state;
        hh_remove_test_queues();
        if (e2e_system_write(SYSTEM) != 0 || hh_daemon_start() != 0)
                return -1;
        return 0;
}

static int test_teardown(void **state)
{
        (void)state;
        e2e_mount_helper(out, sizeof(out), "detach", "cons", NULL);
        e2e_snap_stop(&cons_ns);
        for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
                if (held[i] >= 0)
                        close(held[i]);
                held[i] = -1;
        }
        int rc = hh_daemon_teardown();
        hh_remove_test_queues();
        return rc;
}

static void attach_cons(void)
{
        assert_int_equal(e2e_snap_start(&cons_ns, "cons"), 0);
        int rc = e2e_mount_helper(out, sizeof(out), "attach", "cons", NULL);
        if (rc != 0)
                fail_msg("mqfs-mount attach cons: exit %d\n%s", rc, out);
}

/* ---- SIGKILL while writers are blocked ---- */

struct write_result {
        int err; /* 0 when write() sent the whole message */
        ssize_t n;
};

static int blocked_writer(void *arg, void *outp)
{
        struct write_result *r = outp;
        int fd = open("/dev/mqueue/blk", O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                r->err = errno;
                return 1;
        }
        r->n = write(fd, arg, strlen(arg));
        r->err = r->n < 0 ? errno : 0;
        close(fd);
        return 0;
}

/* The daemon is killed while three writers inside a snap wait for room in a full queue:
 * each writer gets an error (its message was not sent, and it is told so), the queue and
 * the messages already in it stay (the kernel keeps them, not the daemon), the views
 * answer ENOTCONN; a new daemon then starts on the same mount point without anyone
 * unmounting the dead mount first, `mqfs-mount repair` brings the snap's view back, and
 * every message is still there, in order. */
static void
sigkill_with_blocked_writers_loses_no_message_then_restart_and_repair_recover(void **state)
{
        (void)state;
        static const char *const before[] = {"m0", "m1", "m2", "m3"};
        char msg[E2E_MSGSIZE + 1];

        attach_cons();
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        for (int i = 0; i < E2E_MAXMSG; i++)
                assert_int_equal(e2e_hq_send("blk", before[i], 2), 0);

        struct hh_caller in_snap = {.snap = &cons_ns, .uid = USER_A, .gid = USER_A};
        struct write_result *res = hh_shared_alloc(WRITERS * sizeof(*res));
        static const char *const lines[WRITERS] = {"w0", "w1", "w2"};
        pid_t writers[WRITERS];
        assert_non_null(res);
        for (int i = 0; i < WRITERS; i++) {
                writers[i] = hh_spawn(&in_snap, blocked_writer, (void *)lines[i], &res[i]);
                assert_true(writers[i] > 0);
                assert_true(e2e_wait_blocked_in(writers[i], SYS_write, SYS_pwrite64));
        }
        /* All three are parked in the daemon (it keeps answering meanwhile). */
        assert_string_equal(hh_list(view("cons", NULL)), "blk");

        int status = e2e_daemon_stop(SIGKILL);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        for (int i = 0; i < WRITERS; i++) {
                assert_int_equal(hh_wait(writers[i]), 0);
                assert_int_equal(res[i].n, -1);
                /* The kernel ends requests of an aborted connection with ECONNABORTED. */
                if (res[i].err != ECONNABORTED && res[i].err != ENOTCONN)
                        fail_msg("blocked writer %d got %s, expected ECONNABORTED or ENOTCONN", i,
                                 strerror(res[i].err));
        }
        hh_shared_free(res, WRITERS * sizeof(*res));
        assert_int_equal(e2e_hq_count("blk"), E2E_MAXMSG);

        /* Dead views: on the host and inside the snap. (stat of a directory may still
         * answer from the kernel's attribute cache; a listing asks the daemon.) */
        assert_string_equal(hh_list(view("cons", NULL)), "ERR:107"); /* ENOTCONN */
        struct statfs sfs;
        assert_int_equal(statfs(E2E_ROOT, &sfs), -1);
        assert_int_equal(errno, ENOTCONN);
        struct e2e_result r = e2e_in_snap(&cons_ns, 0, 0, E2E_STAT, "/dev/mqueue/blk", NULL);
        assert_int_equal(r.open_err, ENOTCONN);

        /* A new daemon, with the dead mount still in place. */
        assert_int_equal(hh_daemon_start(), 0);
        assert_string_equal(hh_list(view("cons", NULL)), "blk");
        /* The snap's namespace holds its own bind of the dead mount until repair. */
        r = e2e_in_snap(&cons_ns, 0, 0, E2E_STAT, "/dev/mqueue/blk", NULL);
        assert_int_equal(r.open_err, ENOTCONN);
        int rc = e2e_mount_helper(out, sizeof(out), "repair", NULL);
        if (rc != 0)
                fail_msg("mqfs-mount repair: exit %d\n%s", rc, out);
        assert_true(e2e_wait_listing(&cons_ns, "/dev/mqueue", "blk"));
        r = e2e_in_snap(&cons_ns, USER_A, USER_A, E2E_STATUS, "/dev/mqueue/blk", NULL);
        assert_int_equal(r.open_err, 0);
        assert_int_equal(strncmp(r.text, "QSIZE:8 ", 8), 0);

        /* Every message sent before the kill, in order; none of the refused ones. */
        for (int i = 0; i < E2E_MAXMSG; i++) {
                assert_int_equal(e2e_hq_receive("blk", msg), 2);
                assert_string_equal(msg, before[i]);
        }
        assert_int_equal(e2e_hq_receive("blk", msg), -EAGAIN);
        /* And the repaired view carries messages again. */
        r = e2e_in_snap(&cons_ns, USER_A, USER_A, E2E_SEND, "/dev/mqueue/blk", "again");
        assert_int_equal(r.open_err, 0);
        assert_int_equal(r.io_err, 0);
        assert_int_equal(e2e_hq_receive("blk", msg), 5);
        assert_string_equal(msg, "again");
}

/* ---- issue 15, finding 8: writers killed at every point of a write ---- */

/* What a numbered writer got acknowledged: messages first, first + 1, ..., acked. */
struct ack_log {
        int acked; /* the last sequence number whose write() returned in full; first - 1: none */
        int err;   /* errno of a write that failed (not by the kill) */
        int interrupted; /* writes that returned EINTR (then written again, same number) */
};

struct numbered_writer_arg {
        int first;
        int self_kill_after; /* SIGKILL itself right after this many acknowledged; 0: never */
};

static void ignore_signal(int sig)
{
        (void)sig;
}

/* Writes first, first + 1, ... to blk; a write interrupted by a signal (EINTR, no
 * SA_RESTART) is written again with the same number, as a careful writer does: a
 * message the daemon sent but reported as interrupted would then arrive twice. */
static int numbered_writer(void *arg, void *outp)
{
        const struct numbered_writer_arg *a = arg;
        struct ack_log *log = outp;
        const struct sigaction sa = {.sa_handler = ignore_signal};
        sigaction(SIGUSR1, &sa, NULL);
        __atomic_store_n(&log->acked, a->first - 1, __ATOMIC_SEQ_CST);
        int fd = open("/dev/mqueue/blk", O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                log->err = errno;
                return 1;
        }
        for (int seq = a->first;; seq++) {
                char m[16];
                int n = snprintf(m, sizeof(m), "%d", seq);
                ssize_t w;
                while ((w = write(fd, m, (size_t)n)) < 0 && errno == EINTR)
                        __atomic_add_fetch(&log->interrupted, 1, __ATOMIC_SEQ_CST);
                if (w != n) {
                        log->err = w < 0 ? errno : EIO;
                        return 1;
                }
                __atomic_store_n(&log->acked, seq, __ATOMIC_SEQ_CST);
                if (a->self_kill_after && seq - a->first + 1 == a->self_kill_after)
                        raise(SIGKILL);
        }
}

/* Takes every waiting message of blk into got[] (sequence numbers). */
static void drain_numbers(int *got, int *ngot, int cap)
{
        char msg[E2E_MSGSIZE + 1];
        ssize_t n;
        while ((n = e2e_hq_receive("blk", msg)) > 0) {
                assert_true(*ngot < cap);
                got[(*ngot)++] = atoi(msg);
        }
        assert_int_equal(n, -EAGAIN);
}

/* Every acknowledged message arrived, once, in order; at most the one write in flight
 * when the writer died arrived besides (sent, its answer lost with the writer). */
static void assert_none_lost_none_doubled(const char *point, int round, int first, int acked,
                                          const int *got, int ngot)
{
        for (int i = 0; i < ngot; i++)
                if (got[i] != first + i)
                        fail_msg("%s, round %d: message %d is %d, expected %d (lost or doubled)",
                                 point, round, i, got[i], first + i);
        if (ngot < acked - first + 1)
                fail_msg("%s, round %d: %d acknowledged, %d arrived: acknowledged messages lost",
                         point, round, acked - first + 1, ngot);
        if (ngot > acked - first + 2)
                fail_msg("%s, round %d: %d acknowledged, %d arrived", point, round,
                         acked - first + 1, ngot);
}

enum kill_point {
        KILL_AFTER_ACK,     /* the writer dies right after a write() returned */
        KILL_PARKED,        /* dies while its write waits in the daemon for room */
        KILL_WITH_ROOM,     /* dies as room appears for its parked write */
        KILL_BEFORE_ROOM,   /* room appears right after it died parked */
        KILL_WHILE_DRAINED, /* dies at an arbitrary point while a reader drains */
        KILL_AFTER_EINTR,   /* its parked write was interrupted (and written again) */
        KILL_POINTS,
};

static const char *const kill_point_name[KILL_POINTS] = {"killed after an acknowledged write",
                                                         "killed while parked",
                                                         "killed as room appears",
                                                         "killed just before room appears",
                                                         "killed while a reader drains",
                                                         "killed after interrupted writes"};

/* Not a timed test: each round waits for states (blocked in write, n acknowledged), and
 * checks an invariant that must hold whatever order the races resolve in. */
static void writers_killed_at_every_point_of_a_write_lose_and_double_nothing(void **state)
{
        (void)state;
        enum { ROUNDS = 8, CAP = 4096 };
        attach_cons();
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        struct hh_caller in_snap = {.snap = &cons_ns, .uid = USER_A, .gid = USER_A};
        struct ack_log *log = hh_shared_alloc(sizeof(*log));
        assert_non_null(log);
        static int got[CAP];
        int first = 1;

        for (int point = 0; point < KILL_POINTS; point++) {
                for (int round = 0; round < ROUNDS; round++) {
                        struct numbered_writer_arg arg = {.first = first};
                        if (point == KILL_AFTER_ACK)
                                arg.self_kill_after = 1 + round % E2E_MAXMSG;
                        memset(log, 0, sizeof(*log));
                        int ngot = 0;
                        pid_t w = hh_spawn(&in_snap, numbered_writer, &arg, log);
                        assert_true(w > 0);
                        switch (point) {
                        case KILL_AFTER_ACK:
                                break;
                        case KILL_PARKED:
                        case KILL_WITH_ROOM:
                        case KILL_BEFORE_ROOM:
                                assert_true(e2e_wait_blocked_in(w, SYS_write, SYS_pwrite64));
                                if (point == KILL_WITH_ROOM) {
                                        char msg[E2E_MSGSIZE + 1];
                                        assert_true(e2e_hq_receive("blk", msg) > 0);
                                        got[ngot++] = atoi(msg);
                                }
                                kill(w, SIGKILL);
                                if (point == KILL_BEFORE_ROOM) {
                                        char msg[E2E_MSGSIZE + 1];
                                        assert_true(e2e_hq_receive("blk", msg) > 0);
                                        got[ngot++] = atoi(msg);
                                }
                                break;
                        case KILL_AFTER_EINTR: {
                                /* Interrupted 1 + round times while parked, then room. */
                                char msg[E2E_MSGSIZE + 1];
                                for (int i = 0; i <= round; i++) {
                                        assert_true(
                                            e2e_wait_blocked_in(w, SYS_write, SYS_pwrite64));
                                        assert_int_equal(kill(w, SIGUSR1), 0);
                                        while (__atomic_load_n(&log->interrupted,
                                                               __ATOMIC_SEQ_CST) <= i)
                                                hh_sleep_ms(1);
                                }
                                assert_true(e2e_wait_blocked_in(w, SYS_write, SYS_pwrite64));
                                assert_true(e2e_hq_receive("blk", msg) > 0);
                                got[ngot++] = atoi(msg);
                                /* Its retried write now fits: wait for it, then more parks. */
                                assert_true(e2e_wait_blocked_in(w, SYS_write, SYS_pwrite64));
                                kill(w, SIGKILL);
                                break;
                        }
                        case KILL_WHILE_DRAINED: {
                                /* Drain as it writes; kill once 50 + 37 * round are acked. */
                                int target = first + 50 + 37 * round;
                                while (__atomic_load_n(&log->acked, __ATOMIC_SEQ_CST) < target) {
                                        char msg[E2E_MSGSIZE + 1];
                                        if (e2e_hq_receive("blk", msg) > 0) {
                                                assert_true(ngot < CAP);
                                                got[ngot++] = atoi(msg);
                                        }
                                }
                                kill(w, SIGKILL);
                                break;
                        }
                        }
                        assert_int_equal(hh_wait(w), 200 + SIGKILL);
                        assert_int_equal(log->err, 0);
                        /* The daemon has answered the killed write one way or the other
                         * when a new request of the same queue gets through: stat it. */
                        struct stat st;
                        assert_int_equal(stat(view("cons", "blk"), &st), 0);
                        drain_numbers(got, &ngot, CAP);
                        assert_none_lost_none_doubled(kill_point_name[point], round, first,
                                                      log->acked, got, ngot);
                        first += ngot + 1; /* a gap: no old message can pass for a new one */
                }
        }
        print_message("%d messages in %d rounds, none lost or doubled\n",
                      first - 1 - KILL_POINTS * ROUNDS, KILL_POINTS * ROUNDS);
        hh_shared_free(log, sizeof(*log));
}

/* mqfsd clears only a dead mount of its own type from its mount point: a dead FUSE mount
 * of another file system there is left alone, and the daemon refuses to start. */
static void restart_clears_only_a_dead_mqfs_mount(void **state)
{
        (void)state;
        long from = hh_log_size();
        int status = e2e_daemon_stop(SIGKILL);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(hh_daemon_start(), 0);
        assert_true(hh_log_wait(from, "dead mqfs mount", 1));
        assert_string_equal(hh_list(E2E_ROOT), "cons,prov");
        hh_daemon_stop_clean();

        /* A dead FUSE mount of some other file system: mounted by hand, and its
         * connection aborted by closing /dev/fuse without ever serving it. */
        int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        assert_true(fuse >= 0);
        char opts[128];
        snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
        assert_int_equal(mount("other", E2E_ROOT, "fuse.other", 0, opts), 0);
        close(fuse);
        struct stat st;
        assert_int_equal(stat(E2E_ROOT, &st), -1);
        assert_int_equal(errno, ENOTCONN);
        from = hh_log_size();
        assert_int_equal(hh_daemon_start(), -1);
        assert_true(hh_log_count_from(from, "fuse.other") >= 1);
        assert_int_equal(stat(E2E_ROOT, &st), -1); /* still there, still dead */
        assert_int_equal(errno, ENOTCONN);
        assert_int_equal(umount2(E2E_ROOT, MNT_DETACH), 0);
        assert_int_equal(hh_daemon_start(), 0); /* for the teardown */
}

/* ---- system.yaml broken while serving ---- */

/* cons's grants are the base ones: it sees its queue and may write to it. */
static void assert_base_policy_serves(void)
{
        assert_string_equal(hh_list(view("cons", NULL)), "blk");
        int fd = open(view("cons", "blk"), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "ok", 2), 2);
        close(fd);
        char msg[E2E_MSGSIZE + 1];
        assert_int_equal(e2e_hq_receive("blk", msg), 2);
}

/* Waits for the daemon to refuse the state it was just given, and checks it said why. */
static void expect_refused(long from, const char *why)
{
        if (!hh_log_wait(from, "the running policy stays in place", 1))
                fail_msg("no refusal logged; log:\n%s", e2e_log_tail());
        assert_int_equal(hh_log_count_from(from, "policy reloaded"), 0);
        if (hh_log_count_from(from, why) < 1)
                fail_msg("the refusal does not say \"%s\"; log:\n%s", why, e2e_log_tail());
}

static void system_yaml_replaced_by_garbage_keeps_the_running_policy_and_logs_why(void **state)
{
        (void)state;
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        long from = hh_log_size();
        assert_int_equal(e2e_system_write("snaps: [[[\n  - name: {\n\x01\xff\n"), 0);
        expect_refused(from, "not valid YAML");
        assert_string_equal(hh_list(E2E_ROOT), "cons,prov");
        assert_base_policy_serves();

        /* Binary noise too. */
        char noise[512];
        for (size_t i = 0; i < sizeof(noise) - 1; i++)
                noise[i] = (char)(1 + (i * 131 + 7) % 255);
        noise[sizeof(noise) - 1] = '\0';
        from = hh_log_size();
        assert_int_equal(e2e_system_write(noise), 0);
        expect_refused(from, E2E_SYSTEM);
        assert_base_policy_serves();
}

static void system_yaml_emptied_keeps_the_running_policy_and_logs_why(void **state)
{
        (void)state;
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        /* Emptied in place, as an editor that truncates before writing. */
        long from = hh_log_size();
        int fd = open(E2E_SYSTEM, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
        expect_refused(from, "not nothing");
        assert_string_equal(hh_list(E2E_ROOT), "cons,prov");
        assert_base_policy_serves();
        /* The content written back in place is picked up. */
        from = hh_log_size();
        fd = open(E2E_SYSTEM, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, SYSTEM, strlen(SYSTEM)), (ssize_t)strlen(SYSTEM));
        close(fd);
        assert_true(hh_log_wait(from, "policy reloaded", 1));
        assert_base_policy_serves();
}

#define SYSTEM_BROKEN_SNAPS                                                                        \
        "snaps:\n" SNAP_PROV SNAP_CONS "  - name: extra\n"                                         \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: extra\n"                                                                      \
        "      slots:\n"                                                                           \
        "        s: {interface: posix-mq, path: /x1}\n"                                            \
        "  - name: bad\n"                                                                          \
        "    snap-yaml: no-such-file.yaml\n"                                                       \
        "  - name: worse\n"                                                                        \
        "    snap-yaml-inline: [1, 2]\n"

#define SYSTEM_BAD_SLOT                                                                            \
        "snaps:\n" SNAP_PROV SNAP_CONS "  - name: extra\n"                                         \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: extra\n"                                                                      \
        "      slots:\n"                                                                           \
        "        s: {interface: posix-mq, path: '/x1*'}\n"

/* Restarts the daemon on the current system.yaml (SIGTERM, which must end it cleanly). */
static void restart_daemon(void)
{
        hh_daemon_stop_clean();
        assert_int_equal(hh_daemon_start(), 0);
}

/* SPEC §2.2/§2.3: what is wrong with one snap is reported; a reload that finds it keeps
 * the running policy whole (all or nothing), while at start-up the rest is served. */
static void system_yaml_with_one_broken_snap_is_refused_at_reload_and_served_at_start(void **state)
{
        (void)state;
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        assert_int_equal(e2e_hq_create("x1", 0666), 0);
        long from = hh_log_size();
        assert_int_equal(e2e_system_apply(SYSTEM_BROKEN_SNAPS), -EINVAL);
        /* Every problem is logged, and the refusal says how many. */
        assert_true(hh_log_count_from(from, "snap \"bad\" is skipped") >= 1);
        assert_true(hh_log_count_from(from, "snap \"worse\" is skipped") >= 1);
        assert_true(hh_log_count_from(from, "2 problems (above): not loaded") >= 1);
        assert_int_equal(hh_log_count_from(from, "policy reloaded"), 0);
        assert_string_equal(hh_list(E2E_ROOT), "cons,prov");
        assert_base_policy_serves();

        /* At start-up the same state serves what is valid, and says so. */
        from = hh_log_size();
        restart_daemon();
        assert_true(hh_log_count_from(from, "snap \"bad\" is skipped") >= 1);
        assert_true(hh_log_count_from(from, "snap \"worse\" is skipped") >= 1);
        assert_true(hh_log_count_from(from, "serving what is valid") >= 1);
        assert_true(hh_wait_list(E2E_ROOT, "cons,extra,prov"));
        assert_string_equal(hh_list(view("extra", NULL)), "x1");
        assert_base_policy_serves();

        /* A bad slot: refused at a reload, the good state stays (extra keeps x1). */
        from = hh_log_size();
        assert_int_equal(e2e_system_apply(SYSTEM_BAD_SLOT), -EINVAL);
        assert_true(hh_log_count_from(from, "snap \"extra\" has bad plugs or slots: s") >= 1);
        assert_string_equal(hh_list(view("extra", NULL)), "x1");
        assert_base_policy_serves();
        /* At start-up the slot is dropped, the snap stays installed (with nothing). */
        restart_daemon();
        assert_true(hh_wait_list(view("extra", NULL), ""));
        assert_string_equal(hh_list(E2E_ROOT), "cons,extra,prov");
        assert_base_policy_serves();
}

#define SNAP_BETA                                                                                  \
        "  - name: beta\n"                                                                         \
        "    publisher: acme\n"                                                                    \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: beta\n"                                                                       \
        "      plugs:\n"                                                                           \
        "        rw: {interface: posix-mq}\n"

/* Issue 15, finding 4: system.yaml rewritten in place, a SIGHUP arriving while it is half
 * written (cut at "  - name: be"). The half file parses as a smaller state with one
 * problem; it must not replace the good policy, and the watch must wait for the close. */
static void system_yaml_half_written_in_place_does_not_replace_the_policy(void **state)
{
        (void)state;
        static const char full[] = "snaps:\n" SNAP_PROV SNAP_CONS SNAP_BETA;
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        assert_int_equal(e2e_system_apply(full), 0);
        assert_string_equal(hh_list(E2E_ROOT), "beta,cons,prov");
        assert_string_equal(hh_list(view("beta", NULL)), "blk");

        const char *cut = strstr(full, "  - name: be");
        assert_non_null(cut);
        size_t half = (size_t)(cut - full) + strlen("  - name: be");
        long from = hh_log_size();
        int fd = open(E2E_SYSTEM, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, full, half), (ssize_t)half);
        assert_int_equal(kill(e2e_daemon_pid(), SIGHUP), 0);
        expect_refused(from, "1 problem (above): not loaded");
        assert_string_equal(hh_list(E2E_ROOT), "beta,cons,prov");
        assert_string_equal(hh_list(view("beta", NULL)), "blk");
        assert_base_policy_serves();

        /* The rest written and the file closed: now it is read, whole. */
        from = hh_log_size();
        assert_int_equal(write(fd, full + half, strlen(full) - half),
                         (ssize_t)(strlen(full) - half));
        assert_int_equal(close(fd), 0);
        assert_true(hh_log_wait(from, "policy reloaded", 1));
        assert_int_equal(hh_log_count_from(from, "stays in place"), 0);
        assert_string_equal(hh_list(view("beta", NULL)), "blk");
}

static void system_yaml_deleted_keeps_the_running_policy_and_logs_it(void **state)
{
        (void)state;
        assert_int_equal(e2e_hq_create("blk", 0666), 0);
        long from = hh_log_size();
        assert_int_equal(unlink(E2E_SYSTEM), 0);
        expect_refused(from, "No such file");
        assert_string_equal(hh_list(E2E_ROOT), "cons,prov");
        assert_base_policy_serves();
        /* SIGHUP with no file: refused again, still serving. */
        from = hh_log_size();
        assert_int_equal(kill(e2e_daemon_pid(), SIGHUP), 0);
        expect_refused(from, "No such file");
        assert_base_policy_serves();
        /* The file back: loaded. */
        from = hh_log_size();
        assert_int_equal(e2e_system_write(SYSTEM), 0);
        assert_true(hh_log_wait(from, "policy reloaded", 1));
        assert_base_policy_serves();
}

/* ---- a queue removed from the host while a view holds it open ---- */

static ssize_t pread_status(int fd, char *buf, size_t size)
{
        ssize_t n = pread(fd, buf, size - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        return n;
}

/* Waits until stat(path) gives ENOENT; false on the hang guard. */
static bool wait_gone(const char *path)
{
        struct stat st;
        for (int i = 0; i < 3000; i++) {
                if (stat(path, &st) < 0 && errno == ENOENT)
                        return true;
                hh_sleep_ms(10);
        }
        return false;
}

/* The kernel keeps an unlinked queue alive for its open descriptors; a view's open file
 * is one, so it goes on as the kernel's own open file of the queue does: status, poll,
 * and (the view's write = send) messages into the unlinked queue. The name vanishes from
 * the listing, and a new queue of that name is another queue. */
static void
queue_unlinked_on_host_stays_usable_through_an_open_view_file_and_leaves_the_listing(void **state)
{
        (void)state;
        char vline[128], kline[128];

        assert_int_equal(e2e_hq_create("unl", 0666), 0);
        assert_int_equal(e2e_hq_send("unl", "one", 3), 0);
        int vfd = held[0] = open(view("cons", "unl"), O_RDWR | O_CLOEXEC);
        assert_true(vfd >= 0);
        int kfd = held[1] = open(hostq("unl"), O_RDONLY | O_CLOEXEC); /* the kernel's own */
        assert_true(kfd >= 0);
        /* Opened last, so the daemon finds it first: a write-only file, through which
         * the status (for st_size) cannot be read directly. */
        int wfd = held[3] = open(view("cons", "unl"), O_WRONLY | O_CLOEXEC);
        assert_true(wfd >= 0);
        struct stat kst_before, vst_before;
        assert_int_equal(fstat(kfd, &kst_before), 0);
        assert_int_equal(fstat(vfd, &vst_before), 0);

        assert_int_equal(mq_unlink("/unl"), 0);

        /* The name is gone: from the listing (inotify tells the daemon), and from lookups
         * once the kernel's cached entry is invalidated (a moment later: the daemon's
         * notifier thread sends that). */
        assert_true(hh_wait_list(view("cons", NULL), ""));
        assert_true(wait_gone(view("cons", "unl")));

        /* The open files still reach the queue, and agree. */
        assert_true(pread_status(vfd, vline, sizeof(vline)) > 0);
        assert_true(pread_status(kfd, kline, sizeof(kline)) > 0);
        assert_string_equal(vline, kline);
        assert_int_equal(strncmp(vline, "QSIZE:3 ", 8), 0);
        struct pollfd p = {.fd = vfd, .events = POLLIN | POLLOUT};
        assert_int_equal(poll(&p, 1, 0), 1);
        assert_int_equal(p.revents, POLLIN | POLLOUT);
        assert_int_equal(write(vfd, "two", 3), 3);
        assert_true(pread_status(kfd, kline, sizeof(kline)) > 0);
        assert_int_equal(strncmp(kline, "QSIZE:6 ", 8), 0);
        assert_true(pread_status(vfd, vline, sizeof(vline)) > 0);
        assert_string_equal(vline, kline);
        /* fstat of the open file, as the kernel's: the same queue, now without a name. */
        struct stat kst, vst;
        assert_int_equal(fstat(kfd, &kst), 0);
        assert_int_equal(kst.st_nlink, 0);
        if (fstat(vfd, &vst) != 0)
                fail_msg("fstat of the view's open file of an unlinked queue: %s (the kernel's "
                         "own file answers)",
                         strerror(errno));
        assert_int_equal(vst.st_ino, vst_before.st_ino);
        assert_int_equal(vst.st_mode, kst.st_mode);
        assert_int_equal(vst.st_uid, kst.st_uid);
        assert_int_equal(vst.st_nlink, 0);
        assert_int_equal(vst.st_size, 6);
        assert_int_equal(fstat(wfd, &vst), 0);
        assert_int_equal(vst.st_size, 6);

        /* A new queue of the same name is another queue; the open files keep the old one. */
        assert_int_equal(e2e_hq_create("unl", 0666), 0);
        assert_true(hh_wait_list(view("cons", NULL), "unl"));
        assert_true(pread_status(vfd, vline, sizeof(vline)) > 0);
        assert_int_equal(strncmp(vline, "QSIZE:6 ", 8), 0);
        int vfd2 = held[2] = open(view("cons", "unl"), O_RDONLY | O_CLOEXEC);
        assert_true(vfd2 >= 0);
        assert_true(pread_status(vfd2, vline, sizeof(vline)) > 0);
        assert_int_equal(strncmp(vline, "QSIZE:0 ", 8), 0);
        for (int i = 0; i < 4; i++) {
                close(held[i]);
                held[i] = -1;
        }
        assert_int_equal(e2e_hq_count("unl"), 0);
}

/* ---- /dev/mqueue unmounted or covered in the daemon's namespace ---- */

/* Creates, lists, sends, reads and removes through prov's view; the queue really is in
 * the IPC namespace (checked with mq_* calls, which need no mount). */
static void assert_view_works_without_dev_mqueue(const char *q)
{
        char line[128], msg[129];
        int fd = open(view("prov", q), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "hello", 5), 5);
        assert_true(pread_status(fd, line, sizeof(line)) > 0);
        assert_int_equal(strncmp(line, "QSIZE:5 ", 8), 0);
        close(fd);
        assert_non_null(strstr(hh_list(view("prov", NULL)), q));
        char name[64];
        snprintf(name, sizeof(name), "/%s", q);
        mqd_t m = mq_open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        assert_true(m != (mqd_t)-1);
        assert_int_equal(mq_receive(m, msg, sizeof(msg), NULL), 5);
        mq_close(m);
        assert_int_equal(unlink(view("prov", q)), 0);
        assert_int_equal(mq_unlink(name), -1);
        assert_int_equal(errno, ENOENT);
}

/* The daemon's backing store is a detached mqueue instance of its own (fsmount), which no
 * path reaches and nobody else can unmount: /dev/mqueue unmounted, or covered by another
 * file system, in the daemon's own mount namespace changes nothing, for a running daemon
 * or one started meanwhile. (What can make the backing "unavailable" is the IPC
 * namespace's limits: see the queues_max and RLIMIT_MSGQUEUE tests.) */
static void daemon_does_not_depend_on_dev_mqueue_being_mounted(void **state)
{
        (void)state;
        assert_int_equal(umount2("/dev/mqueue", MNT_DETACH), 0);
        assert_view_works_without_dev_mqueue("dm0");

        /* Covered by a tmpfs with a decoy file: the view shows queues, not the decoy. */
        assert_int_equal(mount("decoy", "/dev/mqueue", "tmpfs", 0, "mode=1777"), 0);
        int fd = open("/dev/mqueue/dm1", O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        assert_true(fd >= 0);
        close(fd);
        assert_string_equal(hh_list(view("prov", NULL)), "");
        assert_view_works_without_dev_mqueue("dm0");
        /* A daemon started now is no different. */
        hh_daemon_stop_clean();
        assert_int_equal(hh_daemon_start(), 0);
        assert_view_works_without_dev_mqueue("dm0");

        assert_int_equal(umount2("/dev/mqueue", MNT_DETACH), 0);
        assert_int_equal(
            mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL), 0);
        assert_int_equal(e2e_hq_count(E2E_HOST_QUEUE), 1); /* the world's queue, untouched */
}

/* ---- the kernel's limits through the view ---- */

struct create_log {
        int created;     /* queues created before the first failure */
        int err;         /* errno of that failure, 0 when none */
        int kernel_err;  /* what the kernel itself then says to the same caller */
        char prefix[16]; /* queue names: PREFIX0, PREFIX1, ... */
};

/* What the kernel itself says to this caller about one more queue. */
static void kernel_probe(struct create_log *log)
{
        mqd_t m = mq_open("/kernel-probe", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
        if (m == (mqd_t)-1) {
                log->kernel_err = errno;
        } else {
                mq_close(m);
                mq_unlink("/kernel-probe");
        }
}

/* Creates c0, c1, ... through the view (as touch does) until one fails; then asks the
 * kernel directly, with the same credentials, for one more queue. */
static int create_until_refused(void *arg, void *outp)
{
        struct create_log *log = outp;
        const char *prefix = arg;
        char p[128];
        for (int i = 0; i < LIMIT_QUEUES; i++) {
                snprintf(p, sizeof(p), "/dev/mqueue/%s%d", prefix, i);
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600);
                if (fd < 0) {
                        log->err = errno;
                        break;
                }
                close(fd);
                log->created++;
        }
        kernel_probe(log);
        return 0;
}

static int count_queues(void)
{
        const char *l = hh_list("/dev/mqueue");
        int n = *l ? 1 : 0;
        for (; *l; l++)
                n += *l == ',';
        return n;
}

static void queues_max_reached_through_the_view_gives_the_kernels_enospc(void **state)
{
        (void)state;
        long saved = hh_mq_sysctl_get("queues_max");
        assert_true(saved > 0);
        attach_cons();
        assert_int_equal(hh_mq_sysctl_set("queues_max", count_queues() + 2), 0);

        struct hh_caller user = {.snap = &cons_ns, .uid = USER_A, .gid = USER_A};
        struct create_log log;
        assert_int_equal(hh_run(&user, create_until_refused, "c", &log, sizeof(log)), 0);
        hh_mq_sysctl_set("queues_max", saved);
        assert_int_equal(log.created, 2);
        assert_int_equal(log.err, ENOSPC);
        assert_int_equal(log.kernel_err, ENOSPC);
        /* Root: the same answer through the view as from the kernel (exempt with
         * CAP_SYS_RESOURCE, ENOSPC without it, as in the sandbox these tests ran in). */
        assert_int_equal(hh_mq_sysctl_set("queues_max", count_queues()), 0);
        int fd = open(view("cons", "c9"), O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
        int err = fd < 0 ? errno : 0;
        mqd_t m = mq_open("/c10", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
        int kernel_err = m == (mqd_t)-1 ? errno : 0;
        hh_mq_sysctl_set("queues_max", saved);
        assert_int_equal(err, kernel_err);
        if (fd >= 0)
                close(fd);
        if (m != (mqd_t)-1)
                mq_close(m);
}

/* The kernel charges each queue's worst-case size to its creator's uid, against
 * RLIMIT_MSGQUEUE (of the creating process: here the daemon's, which it inherits like any
 * process). Big default queues make the 800 KiB limit near. */
static void rlimit_msgqueue_reached_through_the_view_gives_the_kernels_emfile(void **state)
{
        (void)state;
        long msg = hh_mq_sysctl_get("msg_default"), size = hh_mq_sysctl_get("msgsize_default");
        attach_cons();
        assert_int_equal(hh_mq_sysctl_set("msg_default", 10), 0);
        assert_int_equal(hh_mq_sysctl_set("msgsize_default", 8192), 0);

        struct hh_caller user = {.snap = &cons_ns, .uid = USER_B, .gid = USER_B};
        struct create_log log;
        int rc = hh_run(&user, create_until_refused, "c", &log, sizeof(log));
        hh_mq_sysctl_set("msg_default", msg);
        hh_mq_sysctl_set("msgsize_default", size);
        assert_int_equal(rc, 0);
        assert_true(log.created > 0 && log.created < LIMIT_QUEUES);
        assert_int_equal(log.err, EMFILE);
        assert_int_equal(log.kernel_err, EMFILE);
        /* They are the caller's queues. */
        struct stat st;
        assert_int_equal(stat(hostq("c0"), &st), 0);
        assert_int_equal(st.st_uid, USER_B);
}

/* Issue 15, finding 6: the caller's own RLIMIT_MSGQUEUE applies to a create through the
 * view (the lower of the caller's and the daemon's), as to its own mq_open. */
static int create_with_no_msgqueue_budget(void *arg, void *outp)
{
        struct create_log *log = outp;
        (void)arg;
        const struct rlimit none = {0, 0};
        if (setrlimit(RLIMIT_MSGQUEUE, &none) < 0)
                return 1;
        int fd = open("/dev/mqueue/c0", O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600);
        log->err = fd < 0 ? errno : 0;
        if (fd >= 0) {
                close(fd);
                log->created++;
        }
        kernel_probe(log);
        return 0;
}

static void the_callers_own_rlimit_msgqueue_applies_to_a_create_through_the_view(void **state)
{
        (void)state;
        attach_cons();
        struct hh_caller user = {.snap = &cons_ns, .uid = USER_A, .gid = USER_A};
        struct create_log log;
        assert_int_equal(hh_run(&user, create_with_no_msgqueue_budget, NULL, &log, sizeof(log)), 0);
        assert_int_equal(log.kernel_err, EMFILE);
        assert_int_equal(log.err, EMFILE);
        assert_int_equal(log.created, 0);
        assert_int_equal(e2e_hq_count("c0"), -ENOENT);
        /* The daemon's own limit is whole again: the same caller with its budget creates. */
        int fd =
            open(view("cons", "c1"), O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(
                sigkill_with_blocked_writers_loses_no_message_then_restart_and_repair_recover,
                test_setup, test_teardown),
            cmocka_unit_test_setup_teardown(
                writers_killed_at_every_point_of_a_write_lose_and_double_nothing, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(restart_clears_only_a_dead_mqfs_mount, test_setup,
                                            test_teardown),
            cmocka_unit_test_setup_teardown(
                system_yaml_replaced_by_garbage_keeps_the_running_policy_and_logs_why, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                system_yaml_emptied_keeps_the_running_policy_and_logs_why, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                system_yaml_with_one_broken_snap_is_refused_at_reload_and_served_at_start,
                test_setup, test_teardown),
            cmocka_unit_test_setup_teardown(
                system_yaml_half_written_in_place_does_not_replace_the_policy, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                system_yaml_deleted_keeps_the_running_policy_and_logs_it, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                queue_unlinked_on_host_stays_usable_through_an_open_view_file_and_leaves_the_listing,
                test_setup, test_teardown),
            cmocka_unit_test_setup_teardown(daemon_does_not_depend_on_dev_mqueue_being_mounted,
                                            test_setup, test_teardown),
            cmocka_unit_test_setup_teardown(
                queues_max_reached_through_the_view_gives_the_kernels_enospc, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                rlimit_msgqueue_reached_through_the_view_gives_the_kernels_emfile, test_setup,
                test_teardown),
            cmocka_unit_test_setup_teardown(
                the_callers_own_rlimit_msgqueue_applies_to_a_create_through_the_view, test_setup,
                test_teardown),
        };
        return hh_main("test_faults", tests, sizeof(tests) / sizeof(tests[0]));
}
