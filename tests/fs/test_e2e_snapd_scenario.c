/* test_e2e_snapd_scenario.c — snapd's own posix-mq scenario, through a view attached in a
 * snap mount namespace (issue 5, item 3).
 *
 * The real mqfsd serves a system.yaml; mqfs-mount attaches snap "mq-plug"'s view over
 * /dev/mqueue in a mount namespace the test made; every operation is an ordinary file
 * syscall made by a process inside that namespace (e2e_harness.h). Each connect and
 * disconnect is an edit of system.yaml that the daemon notices by itself (inotify on the
 * file's directory; no SIGHUP is sent here — test_mqfsd covers SIGHUP); the test waits
 * for the daemon's "policy reloaded" line, then checks the new state.
 *
 * One snap or two? snapd's test snap has the plug and the five slots in ONE snap; that
 * works there because AppArmor profiles are per app and the slot side is a different
 * app. mqfs grants are per snap, and a snap's own slots give it every permission on
 * their paths (SPEC §2.4), so a single snap would hold all of open..delete on /test
 * whatever is connected. The five slots therefore live in a second snap, "mq-slots",
 * which nobody attaches; the plug's snap "mq-plug" is the one under test. Both are
 * unasserted (no publisher): slots are allowed, nothing auto-connects, and manual
 * connections skip the identifier check (plug "posix-mq" against slots named
 * can-create, ...), as SPEC §2.3 says snapd does without a snap-declaration.
 *
 * The caller inside the namespace is root, as in snapd's spread test. Root passes the
 * kernel's mode checks, so what is refused is refused by the grant (the broker). Where a
 * non-root caller sees something else (the mode bits are narrowed to the grant, and
 * mqfsd judges opens by them as the kernel would), a uid 1000 caller is checked too. */
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
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker.h"
#include "backing.h"
#include "e2e_harness.h"
#include "grants.h"
#include "system.h"

#define SNAP         "mq-plug"
#define Q            "/dev/mqueue/test"
#define USER         1000       /* an unprivileged caller inside the snap */
#define MQUEUE_MAGIC 0x19800202 /* ipc/mqueue.c keeps it to itself */
#define EMPTY_STATUS                                                                               \
        "QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n" /* the kernel's format */

enum slot {
        CAN_CREATE = 1 << 0,
        CAN_DELETE = 1 << 1,
        CAN_OPEN = 1 << 2,
        CAN_READ = 1 << 3,
        CAN_WRITE = 1 << 4,
};

static const char *const slot_names[] = {"can-create", "can-delete", "can-open", "can-read",
                                         "can-write"};

static struct e2e_snap plug_ns;
static const char *step = "setup"; /* named in every failure */

/* The system state with the plug connected to the given slots. */
static const char *state(unsigned connected)
{
        static char yaml[4096];
        int n = snprintf(yaml, sizeof(yaml),
                         "snaps:\n"
                         "  - name: mq-slots\n"
                         "    snap-yaml-inline:\n"
                         "      name: mq-slots\n"
                         "      slots:\n"
                         "        can-create: {interface: posix-mq, path: /test, permissions: "
                         "[create]}\n"
                         "        can-delete: {interface: posix-mq, path: /test, permissions: "
                         "[delete]}\n"
                         "        can-open: {interface: posix-mq, path: /test, permissions: []}\n"
                         "        can-read: {interface: posix-mq, path: /test, permissions: "
                         "[read]}\n"
                         "        can-write: {interface: posix-mq, path: /test, permissions: "
                         "[write]}\n"
                         "  - name: " SNAP "\n"
                         "    snap-yaml-inline:\n"
                         "      name: " SNAP "\n"
                         "      plugs:\n"
                         "        posix-mq: null\n"
                         "connections:%s\n",
                         connected ? "" : " []");
        for (size_t i = 0; i < 5; i++)
                if (connected & (1u << i))
                        n += snprintf(yaml + n, sizeof(yaml) - (size_t)n,
                                      "  - {plug: " SNAP ":posix-mq, slot: mq-slots:%s}\n",
                                      slot_names[i]);
        return yaml;
}

/* Connects/disconnects by editing system.yaml; returns once the daemon has reloaded. */
static void connect_only(unsigned connected)
{
        int changed = e2e_log_count("(the file changed)");
        int err = e2e_system_apply(state(connected));
        if (err)
                fail_msg("[%s] the daemon did not reload system.yaml: %s; its log:\n%s", step,
                         strerror(-err), e2e_log_tail());
        assert_true(e2e_log_count("(the file changed)") > changed);
}

/* ---- one operation, with a readable failure ---- */

static const char *op_names[] = {"ls", "stat", "touch", "send", "status", "poll", "unlink"};

static struct e2e_result op_as(uid_t uid, enum e2e_op op, const char *data, int want_open,
                               int want_io)
{
        struct e2e_result r =
            e2e_in_snap(&plug_ns, uid, uid, op, op == E2E_LIST ? "/dev/mqueue" : Q, data);
        if (r.open_err != want_open || r.io_err != want_io)
                fail_msg("[%s] %s %s as uid %d inside the snap: got open/lookup %s (%d), then "
                         "%s (%d); expected %s, then %s",
                         step, op_names[op], Q, (int)uid, r.open_err ? strerror(r.open_err) : "ok",
                         r.open_err, r.io_err ? strerror(r.io_err) : "ok", r.io_err,
                         want_open ? strerror(want_open) : "ok",
                         want_io ? strerror(want_io) : "ok");
        return r;
}

static struct e2e_result op(enum e2e_op o, const char *data, int want_open, int want_io)
{
        return op_as(0, o, data, want_open, want_io);
}

static void assert_listing(const char *want)
{
        struct e2e_result r = op(E2E_LIST, NULL, 0, 0);
        assert_string_equal(r.text, want);
}

/* getattr and status work whenever any grant is held: stat gives the queue's real owner,
 * its mode narrowed to the grant and QSIZE; cat gives the kernel's status line. */
static void assert_getattr_and_status(mode_t want_mode, off_t want_qsize)
{
        struct e2e_result r = op(E2E_STAT, NULL, 0, 0);
        assert_true(S_ISREG(r.st.st_mode));
        assert_int_equal(r.st.st_mode & 07777, want_mode);
        assert_int_equal(r.st.st_uid, 0);
        assert_int_equal(r.st.st_size, want_qsize);
        /* A status read opens for reading, which needs the read grant, for root too
         * (SPEC §4: snapd grants getattr only with read). */
        bool can_read = (want_mode & 0444) != 0;
        r = op(E2E_STATUS, NULL, can_read ? 0 : EACCES, 0);
        if (!can_read)
                return;
        char want[128];
        snprintf(want, sizeof(want), "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
                 (unsigned long)want_qsize, 0, 0, 0);
        assert_string_equal(r.text, want);
}

/* ---- the broker's receive decision, on the state the daemon serves ---- */

/* A broker of our own over the same IPC namespace and the same system.yaml: the daemon
 * has no file operation that receives (read() is the status), so the decision
 * "receive needs read" is checked where it is made. Returns the receive's result
 * (length or -errno); the message, when received, goes to buf. */
static ssize_t broker_receive_as_snap(char *buf, size_t size)
{
        struct mqfs_system *sys = NULL;
        struct mqfs_grant_table *grants = NULL;
        struct mqfs_broker *b = NULL;
        struct mqfs_handle *h = NULL;
        char *error = NULL;
        const struct mqfs_caller root = {.uid = 0, .gid = 0, .pid = getpid()};

        if (mqfs_system_load(E2E_SYSTEM, &sys, &error) != 0)
                fail_msg("%s", error ? error : "cannot load " E2E_SYSTEM);
        assert_int_equal(mqfs_system_grant_table(sys, &grants), 0);
        mqfs_system_free(sys);
        int backing = mqfs_backing_open();
        assert_true(backing >= 0);
        assert_int_equal(mqfs_broker_new(backing, grants, &b), 0);
        /* Without read the open for reading is refused already (SPEC §4, root too). */
        int err = mqfs_broker_open(b, SNAP, &root, "/test", O_RDONLY | O_NONBLOCK, 0, NULL, &h);
        if (err) {
                mqfs_broker_free(b);
                return err;
        }
        ssize_t n = mqfs_broker_receive(b, h, buf, size - 1, NULL, NULL);
        if (n >= 0)
                buf[n] = '\0';
        mqfs_handle_close(h);
        mqfs_broker_free(b);
        return n;
}

/* ---- the scenario ---- */

static void snapd_posix_mq_scenario(void **state_)
{
        (void)state_;
        char msg[E2E_MSGSIZE + 1];
        struct e2e_result r;

        /* The view is attached (/dev/mqueue inside is the daemon's directory for the
         * snap); the host's own queue is not in it. */
        struct stat view;
        assert_int_equal(stat(E2E_ROOT "/" SNAP, &view), 0);
        r = e2e_in_snap(&plug_ns, 0, 0, E2E_STAT, "/dev/mqueue", NULL);
        assert_int_equal(r.open_err, 0);
        assert_true(r.st.st_dev == view.st_dev && r.st.st_ino == view.st_ino);
        assert_int_equal(r.st.st_mode & 07777, 01777);
        assert_listing("");

        step = "1: nothing connected";
        /* 1. Nothing connected: creating /test fails (EACCES, as for any name the snap
         * holds no grant for), and nothing is created. */
        op(E2E_TOUCH, NULL, EACCES, 0);
        assert_int_equal(e2e_hq_count("test"), -ENOENT);
        op(E2E_STAT, NULL, ENOENT, 0);
        /* ... also when /test exists on the host: its existence does not leak. */
        assert_int_equal(e2e_hq_create("test", 0666), 0);
        op(E2E_STAT, NULL, ENOENT, 0);
        op(E2E_TOUCH, NULL, EACCES, 0);
        op(E2E_STATUS, NULL, ENOENT, 0);
        op(E2E_SEND, "x", ENOENT, 0);
        op(E2E_UNLINK, NULL, ENOENT, 0);
        assert_listing("");
        assert_int_equal(mq_unlink("/test"), 0);

        step = "2: can-create + can-read";
        /* 2. Connect can-create and can-read: creating succeeds, the queue is the
         * caller's (root, mode 0666 & ~umask 022), with the kernel's default attributes,
         * and it shows in the view with its w bits narrowed away (no write grant). */
        connect_only(CAN_CREATE | CAN_READ);
        op(E2E_TOUCH, NULL, 0, 0);
        assert_int_equal(e2e_hq_count("test"), 0);
        assert_listing("test");
        assert_getattr_and_status(0444, 0);
        r = e2e_on_host(0, 0, E2E_STAT, "/dev/mqueue/test", NULL);
        assert_int_equal(r.st.st_mode & 07777, 0644); /* the real mode on the host */

        step = "3: can-create only";
        /* 3. Disconnect can-read: a send still fails (no write grant) ... */
        connect_only(CAN_CREATE);
        op(E2E_SEND, "hello", EACCES, 0);          /* root too: the open is judged (SPEC §4) */
        op_as(USER, E2E_SEND, "hello", EACCES, 0); /* a user: mode 0000 in the view */
        assert_int_equal(e2e_hq_count("test"), 0);
        assert_getattr_and_status(0000, 0);
        /* ... until can-write is connected; then it succeeds: one message, exactly. */
        step = "3: can-create + can-write";
        connect_only(CAN_CREATE | CAN_WRITE);
        op(E2E_SEND, "hello", 0, 0);
        assert_int_equal(e2e_hq_count("test"), 1);
        assert_getattr_and_status(0200, 5);

        step = "4: can-write disconnected";
        /* 4. Disconnect can-write: receiving needs can-read again.
         *
         * What "receive through the view" means: the view has no file operation that
         * dequeues (read() returns the status line and never consumes, SPEC §5; the
         * snap's own mq_receive would go to the kernel by name, not through the view).
         * What the view offers a receiver is (a) POLLIN, "a message waits", which it
         * gives only with the read grant, and (b) the r bits, which it narrows away
         * without read, so a non-root receiver cannot even open the queue for
         * reading. Both are checked, and the dequeue itself is checked at the broker,
         * on the same system.yaml. */
        connect_only(CAN_CREATE);
        /* A message waits, but not for us: without read no caller, root included, opens
         * the queue for reading (SPEC §4). */
        op(E2E_POLLIN, NULL, EACCES, 0);
        op_as(USER, E2E_POLLIN, NULL, EACCES, 0);
        assert_int_equal(broker_receive_as_snap(msg, sizeof(msg)), -EACCES);
        assert_int_equal(e2e_hq_count("test"), 1); /* nothing was taken */
        assert_getattr_and_status(0000, 5);
        step = "4: can-open only";
        /* Only can-open ([] permissions: open alone): getattr still works; the status
         * needs read, as for every open for reading. */
        connect_only(CAN_OPEN);
        assert_listing("test");
        assert_getattr_and_status(0000, 5);
        /* Not so for a non-root caller: without read the view shows no r bits, and mqfsd
         * refuses the open for reading by them, as the kernel would. SPEC §4 says status needs any
         * grant, §5 narrows the mode to the grant; for non-root callers the narrowing wins. Its
         * stat still works. */
        op_as(USER, E2E_STATUS, NULL, EACCES, 0);
        op_as(USER, E2E_STAT, NULL, 0, 0);
        op(E2E_SEND, "more", EACCES, 0); /* no write: the open for writing is refused */
        op(E2E_UNLINK, NULL, EACCES, 0);

        step = "4: can-open + can-read";
        connect_only(CAN_OPEN | CAN_READ);
        r = op(E2E_POLLIN, NULL, 0, 0);
        assert_int_equal(r.revents & (POLLIN | POLLOUT), POLLIN); /* no POLLOUT: no write */
        r = op_as(USER, E2E_POLLIN, NULL, 0, 0);
        assert_int_equal(r.revents & POLLIN, POLLIN);
        assert_getattr_and_status(0444, 5);
        r = op_as(USER, E2E_STATUS, NULL, 0, 0); /* a user reads the status, too, now */
        assert_true(strncmp(r.text, "QSIZE:5 ", 8) == 0);
        assert_int_equal(broker_receive_as_snap(msg, sizeof(msg)), 5);
        assert_string_equal(msg, "hello");
        assert_getattr_and_status(0444, 0);

        step = "5: unlink without can-delete";
        /* 5. Unlink fails until can-delete is connected (EACCES: the queue is granted,
         * so it exists for the snap, but removing it is not), then the queue is gone. */
        op(E2E_UNLINK, NULL, EACCES, 0);
        connect_only(CAN_CREATE | CAN_WRITE);
        op(E2E_UNLINK, NULL, EACCES, 0);
        assert_int_equal(e2e_hq_count("test"), 0);
        step = "5: can-delete only";
        connect_only(CAN_DELETE);
        assert_getattr_and_status(0000, 0); /* delete alone is a grant too */
        op(E2E_UNLINK, NULL, 0, 0);
        assert_int_equal(e2e_hq_count("test"), -ENOENT);
        assert_listing("");
        op(E2E_STAT, NULL, ENOENT, 0);
        op(E2E_UNLINK, NULL, ENOENT, 0); /* granted, but no longer there */
        op(E2E_TOUCH, NULL, EACCES, 0);  /* and delete does not allow creating */

        /* Every change above came from the file alone. */
        assert_int_equal(e2e_log_count("SIGHUP"), 0);
}

/* The host's own /dev/mqueue is still the kernel's, with its queue as it was, while the
 * snap's /dev/mqueue is the view stacked over the mqueue mount it inherited. */
static void host_untouched_by_the_scenario(void **state_)
{
        (void)state_;
        char msg[E2E_MSGSIZE + 1];
        struct statfs sfs;
        assert_int_equal(statfs("/dev/mqueue", &sfs), 0);
        assert_true(sfs.f_type == MQUEUE_MAGIC);
        assert_int_equal(e2e_hq_count(E2E_HOST_QUEUE), 1);
        struct e2e_result r =
            e2e_in_snap(&plug_ns, 0, 0, E2E_STAT, "/dev/mqueue/" E2E_HOST_QUEUE, NULL);
        assert_int_equal(r.open_err, ENOENT);

        char mounts[16384];
        assert_int_equal(e2e_mounts(plug_ns.pid, mounts, sizeof(mounts)), 0);
        const char *mq = strstr(mounts, "/dev/mqueue mqueue ");
        const char *view = strstr(mounts, "/dev/mqueue fuse.mqfs ");
        assert_non_null(mq);
        assert_non_null(view);
        assert_true(mq < view); /* the view is on top */

        /* The host's message is the one it sent, and still there after a look at it. */
        assert_int_equal(e2e_hq_receive(E2E_HOST_QUEUE, msg), 4);
        assert_string_equal(msg, "host");
        assert_int_equal(e2e_hq_send(E2E_HOST_QUEUE, "host", 4), 0);
}

/* ---- setup ---- */

static int world_setup(void **state_)
{
        (void)state_;
        return e2e_attached_start(state(0), &plug_ns, SNAP);
}

static int world_teardown(void **state_)
{
        (void)state_;
        return e2e_attached_stop(&plug_ns, SNAP);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(snapd_posix_mq_scenario),
            cmocka_unit_test(host_untouched_by_the_scenario),
        };
        return e2e_run_group("test_e2e_snapd_scenario", tests, sizeof(tests) / sizeof(tests[0]),
                             world_setup, world_teardown);
}
