/* test_e2e_restart.c — the daemon dies (SIGKILL), the views answer ENOTCONN, a new
 * daemon starts, `mqfs-mount repair` re-attaches the views, and nothing queued is lost
 * (issue 5, "Done when", third item).
 *
 * The first restart follows the systemd unit (fs/mqfsd.service.in): take the dead mount
 * off lazily (ExecStartPre=-umount --lazy), start mqfsd, then `mqfs-mount repair`
 * (ExecStartPost). The second starts mqfsd over the dead mount, as a restart by hand
 * would: mqfsd takes it off itself.
 *
 * Two snaps, both attached: "keeper" owns a slot on /kept (all permissions); "watcher"
 * is connected to it read-only. Messages live in the kernel's queue, in the IPC
 * namespace, which outlives the daemon. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_harness.h"

#define USER  1000 /* the snap's user: owns the queue */
#define KEPT  "/dev/mqueue/kept"
#define KEPT2 "/dev/mqueue/kept2" /* the second test's own queue: each test starts clean */

static const char *const SYSTEM = "snaps:\n"
                                  "  - name: keeper\n"
                                  "    snap-yaml-inline:\n"
                                  "      name: keeper\n"
                                  "      slots:\n"
                                  "        kept: {interface: posix-mq, path: [/kept, /kept2], "
                                  "permissions: [read]}\n"
                                  "  - name: watcher\n"
                                  "    snap-yaml-inline:\n"
                                  "      name: watcher\n"
                                  "      plugs:\n"
                                  "        kept: {interface: posix-mq}\n"
                                  "connections:\n"
                                  "  - {plug: watcher:kept, slot: keeper:kept}\n";

static struct e2e_snap keeper, watcher;
static char out[8192];

/* ---- a process of the snap that keeps a queue open across the crash ---- */

struct holder {
        pid_t pid;
        int cmd;    /* write a byte: it writes one message and answers its errno */
        int answer; /* the errno, as an int */
};

static void holder_main(const struct e2e_snap *s, int cmd, int answer)
{
        char ns[64], byte;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)s->pid);
        int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNS) < 0 || setgroups(0, NULL) < 0 ||
            setresgid(USER, USER, USER) < 0 || setresuid(USER, USER, USER) < 0)
                _exit(2);
        int fd = open(KEPT, O_WRONLY | O_CLOEXEC);
        int err = fd < 0 ? errno : 0;
        if (write(answer, &err, sizeof(err)) != sizeof(err))
                _exit(3);
        while (read(cmd, &byte, 1) == 1) {
                err = write(fd, "held", 4) == 4 ? 0 : errno;
                if (write(answer, &err, sizeof(err)) != sizeof(err))
                        _exit(3);
        }
        _exit(0);
}

/* Starts the holder; returns the errno of its open (0: it holds the queue open). */
static int holder_start(struct holder *h, const struct e2e_snap *s)
{
        int cmd[2], answer[2], err = -1;
        assert_int_equal(pipe2(cmd, O_CLOEXEC), 0);
        assert_int_equal(pipe2(answer, O_CLOEXEC), 0);
        h->pid = fork();
        assert_true(h->pid >= 0);
        if (h->pid == 0) {
                close(cmd[1]);
                close(answer[0]);
                holder_main(s, cmd[0], answer[1]);
        }
        close(cmd[0]);
        close(answer[1]);
        h->cmd = cmd[1];
        h->answer = answer[0];
        assert_int_equal(read(h->answer, &err, sizeof(err)), sizeof(err));
        return err;
}

/* The errno of one write() through the held descriptor (0: sent). */
static int holder_write(struct holder *h)
{
        int err = -1;
        assert_int_equal(write(h->cmd, "w", 1), 1);
        assert_int_equal(read(h->answer, &err, sizeof(err)), sizeof(err));
        return err;
}

static void holder_stop(struct holder *h)
{
        if (h->pid <= 0)
                return;
        close(h->cmd);
        close(h->answer);
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
        h->pid = -1;
}

static struct holder held = {.pid = -1};

/* ---- checks ---- */

static struct e2e_result in(struct e2e_snap *s, uid_t uid, enum e2e_op op, const char *path,
                            const char *data, int want_open, int want_io)
{
        static const char *names[] = {"ls", "stat", "touch", "send", "status", "poll", "unlink"};
        struct e2e_result r = e2e_in_snap(s, uid, uid, op, path, data);
        if (r.open_err != want_open || r.io_err != want_io)
                fail_msg(
                    "%s %s as uid %d inside %s: got %s, then %s; expected %s, then %s", names[op],
                    path, (int)uid, s->name, r.open_err ? strerror(r.open_err) : "ok",
                    r.io_err ? strerror(r.io_err) : "ok", want_open ? strerror(want_open) : "ok",
                    want_io ? strerror(want_io) : "ok");
        return r;
}

static void helper_ok(const char *cmd, const char *expect_out)
{
        int rc = e2e_mount_helper(out, sizeof(out), cmd, NULL);
        if (rc != 0 || strstr(out, expect_out) == NULL)
                fail_msg("mqfs-mount %s: exit %d, expected \"%s\" in:\n%s", cmd, rc, expect_out,
                         out);
}

/* What a queue looks like from inside keeper: owner, mode, bytes, status line. */
static void assert_queue(const char *path, off_t qsize)
{
        char want[128];
        struct e2e_result r = in(&keeper, USER, E2E_STAT, path, NULL, 0, 0);
        assert_int_equal(r.st.st_uid, USER);
        assert_int_equal(r.st.st_mode & 07777, 0644);
        assert_int_equal(r.st.st_size, qsize);
        r = in(&keeper, USER, E2E_STATUS, path, NULL, 0, 0);
        snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
                 (unsigned long)qsize, 0, 0, 0);
        assert_string_equal(r.text, want);
}

static void sigkill_restart_repair_keeps_messages(void **state)
{
        (void)state;
        static const char *const sent[] = {"one", "two"};
        char msg[E2E_MSGSIZE + 1];
        struct e2e_result r;

        /* Before: the snap's user makes the queue and sends two messages; a process of
         * the snap that keeps the queue open sends a third (E2E_MAXMSG is 4). */
        in(&keeper, USER, E2E_TOUCH, KEPT, NULL, 0, 0);
        for (int i = 0; i < 2; i++)
                in(&keeper, USER, E2E_SEND, KEPT, sent[i], 0, 0);
        assert_queue(KEPT, 6);
        r = in(&watcher, USER, E2E_LIST, "/dev/mqueue", NULL, 0, 0);
        assert_string_equal(r.text, "kept");
        assert_int_equal(holder_start(&held, &keeper), 0);
        assert_int_equal(holder_write(&held), 0);
        assert_int_equal(e2e_hq_count("kept"), 3);

        /* The crash. */
        int status = e2e_daemon_stop(SIGKILL);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        /* Every view, and the daemon's mount on the host, answer ENOTCONN. (A plain stat
         * of a view's directory itself may still be answered from the kernel's cache:
         * mqfsd lets it keep directory attributes, which never change, for an hour.) */
        in(&keeper, USER, E2E_LIST, "/dev/mqueue", NULL, ENOTCONN, 0);
        in(&keeper, USER, E2E_STAT, KEPT, NULL, ENOTCONN, 0);
        in(&keeper, USER, E2E_STATUS, KEPT, NULL, ENOTCONN, 0);
        in(&keeper, USER, E2E_SEND, KEPT, "lost?", ENOTCONN, 0);
        in(&watcher, 0, E2E_LIST, "/dev/mqueue", NULL, ENOTCONN, 0);
        r = e2e_on_host(0, 0, E2E_LIST, E2E_ROOT, NULL);
        assert_int_equal(r.open_err, ENOTCONN);
        assert_int_equal(holder_write(&held), ENOTCONN);
        helper_ok("list", "ENOTCONN");
        /* repair cannot help while no daemon runs, and says so. */
        assert_int_equal(e2e_mount_helper(out, sizeof(out), "repair", NULL), 1);
        /* The messages are in the kernel, untouched. */
        assert_int_equal(e2e_hq_count("kept"), 3);

        /* The restart, as the systemd unit makes it. */
        assert_int_equal(umount2(E2E_ROOT, MNT_DETACH), 0);
        assert_int_equal(e2e_daemon_start(), 0);
        /* The snaps still hold the dead views until repair. */
        in(&keeper, USER, E2E_LIST, "/dev/mqueue", NULL, ENOTCONN, 0);
        int rc = e2e_mount_helper(out, sizeof(out), "repair", NULL);
        if (rc != 0 || strstr(out, "repaired snap \"keeper\"") == NULL ||
            strstr(out, "repaired snap \"watcher\"") == NULL)
                fail_msg("mqfs-mount repair: exit %d:\n%s", rc, out);

        /* The views work again, and nothing was lost: same owner, mode, bytes, and the
         * same messages in the same order. */
        assert_queue(KEPT, 10);
        r = in(&keeper, USER, E2E_LIST, "/dev/mqueue", NULL, 0, 0);
        assert_string_equal(r.text, "kept");
        r = in(&watcher, USER, E2E_STAT, KEPT, NULL, 0, 0);
        assert_int_equal(r.st.st_mode & 07777, 0444); /* read only, as before */
        in(&watcher, USER, E2E_SEND, KEPT, "no", EACCES, 0);
        /* A descriptor opened before the crash belongs to the dead connection. */
        assert_int_equal(holder_write(&held), ENOTCONN);
        in(&keeper, USER, E2E_SEND, KEPT, "four", 0, 0);
        assert_int_equal(e2e_hq_count("kept"), 4);
        static const char *const expected[] = {"one", "two", "held", "four"};
        for (int i = 0; i < 4; i++) {
                assert_int_equal(e2e_hq_receive("kept", msg), (ssize_t)strlen(expected[i]));
                assert_string_equal(msg, expected[i]);
        }
        assert_int_equal(e2e_hq_receive("kept", msg), -EAGAIN);
        helper_ok("repair", "nothing to repair");
        helper_ok("list", "answers");
        holder_stop(&held);
        assert_int_equal(mq_unlink("/kept"), 0);
}

/* Restarted by hand, without the unit's `umount --lazy`: mqfsd itself takes the dead
 * fuse.mqfs mount off its mount point (and says so), mounts, and repair brings the views
 * back. */
static void restart_over_a_dead_mount(void **state)
{
        (void)state;
        char msg[E2E_MSGSIZE + 1];
        in(&keeper, USER, E2E_TOUCH, KEPT2, NULL, 0, 0);
        in(&keeper, USER, E2E_SEND, KEPT2, "survives", 0, 0);
        int status = e2e_daemon_stop(SIGKILL);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        struct e2e_result r = e2e_on_host(0, 0, E2E_LIST, E2E_ROOT, NULL);
        assert_int_equal(r.open_err, ENOTCONN);
        int took_off = e2e_log_count("took the dead mqfs mount off");
        int started = e2e_daemon_start();
        if (started != 0) { /* leave a working daemon for the teardown */
                umount2(E2E_ROOT, MNT_DETACH);
                assert_int_equal(e2e_daemon_start(), 0);
        }
        assert_int_equal(started, 0);
        assert_int_equal(e2e_log_count("took the dead mqfs mount off"), took_off + 1);
        helper_ok("repair", "repaired snap \"keeper\"");
        assert_queue(KEPT2, 8);
        assert_int_equal(e2e_hq_receive("kept2", msg), 8);
        assert_string_equal(msg, "survives");
        assert_int_equal(mq_unlink("/kept2"), 0);
}

static int world_setup(void **state)
{
        (void)state;
        if (e2e_system_write(SYSTEM) != 0 || e2e_daemon_start() != 0)
                return -1;
        if (e2e_snap_start(&keeper, "keeper") != 0 || e2e_snap_start(&watcher, "watcher") != 0)
                return -1;
        const char *names[] = {"keeper", "watcher"};
        for (int i = 0; i < 2; i++) {
                int rc = e2e_mount_helper(out, sizeof(out), "attach", names[i], NULL);
                if (rc != 0) {
                        fprintf(stderr, "mqfs-mount attach %s: exit %d\n%s", names[i], rc, out);
                        return -1;
                }
        }
        return 0;
}

static int world_teardown(void **state)
{
        (void)state;
        holder_stop(&held);
        e2e_mount_helper(out, sizeof(out), "detach", "keeper", NULL);
        e2e_mount_helper(out, sizeof(out), "detach", "watcher", NULL);
        e2e_snap_stop(&keeper);
        e2e_snap_stop(&watcher);
        return e2e_daemon_stop_clean();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(sigkill_restart_repair_keeps_messages),
            cmocka_unit_test(restart_over_a_dead_mount),
        };
        return e2e_run_group("test_e2e_restart", tests, sizeof(tests) / sizeof(tests[0]),
                             world_setup, world_teardown);
}
