/* e2e_harness.h — the private world of the end-to-end tests (issue 5): a real mqfsd, real
 * snap mount namespaces, the real mqfs-mount, and file syscalls made from inside a snap.
 *
 * e2e_world_enter() moves the test, first thing, into private IPC and mount namespaces of
 * its own, pinned to one CPU, with tmpfs over /run and /dev (a few device nodes, and a
 * /dev/mqueue that is an mqueue mount of the private IPC namespace holding one queue,
 * E2E_HOST_QUEUE): that is "the host" for the test; the real host is never reachable.
 * The daemon serves E2E_SYSTEM on E2E_ROOT, as the systemd unit does on the real host.
 *
 * A snap namespace is a child that unshares its mount namespace (inheriting the host's
 * /dev/mqueue, as snap-confine's namespaces do) and waits; its /proc/PID/ns/mnt is bound
 * to E2E_NS_DIR/SNAP.mnt as snapd keeps it. Operations "inside the snap" are made by a
 * fresh child that setns()es into it, optionally drops to another uid, and makes one
 * ordinary file syscall sequence; its outcome comes back in a struct e2e_result.
 *
 * Everything the harness starts (daemon, namespaces, helpers, operation children) dies
 * with the test (PR_SET_PDEATHSIG), is stopped by pid in e2e_world_leave() (also run at
 * exit), and every mount lives in the test's namespaces, which die with it. Waits are
 * "until a condition holds", bounded only to catch a hang; nothing asserts a duration. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define E2E_ROOT       "/run/mqfs"
#define E2E_NS_DIR     "/run/snapd/ns"
#define E2E_DIR        "/run/e2e"
#define E2E_SYSTEM     E2E_DIR "/system.yaml"
#define E2E_LOG        E2E_DIR "/mqfsd.log"
#define E2E_HOST_QUEUE "host-only" /* a queue of the host that no snap is granted */
#define E2E_SKIP       77          /* ctest's SKIP_RETURN_CODE */
#define E2E_MSGSIZE    128         /* msgsize_default in the private IPC namespace (its minimum) */
#define E2E_MAXMSG     4           /* msg_default */

/* Pins to one CPU, checks root, enters the private world. 0, E2E_SKIP when not root, or
 * -1 after printing why. name prefixes messages. */
int e2e_world_enter(const char *name);
/* Stops everything started, by pid. Idempotent; also registered with atexit. */
void e2e_world_leave(void);

/* The whole main() of an end-to-end test: enters the world, runs tests[0..count) as one
 * cmocka group (setup and teardown may be NULL), prints the daemon's log tail when a test
 * failed, and leaves. MQFS_TEST_FILTER=pattern runs only the tests whose names match.
 * Returns the process exit code (0, 1, or E2E_SKIP). */
struct CMUnitTest;
typedef int (*e2e_fixture_fn)(void **state);
int e2e_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                  e2e_fixture_fn setup, e2e_fixture_fn teardown);

/* Tests of known, reported defects are skipped unless MQFS_TEST_KNOWN_ISSUES is set: they
 * fail until the defect is fixed, and must not break everyone's ctest meanwhile. */
bool e2e_known_issues(void);

/* ---- the system state and the daemon ---- */

/* Replaces E2E_SYSTEM by rename (as editors do). 0 or -errno. */
int e2e_system_write(const char *yaml);
/* Writes the state and waits until the running daemon has reloaded it, noticing the
 * change itself (no signal): its log gains a "policy reloaded" line. 0, -ETIMEDOUT when
 * it never did (hang guard), -EINVAL when it refused the state ("stays in place"). */
int e2e_system_apply(const char *yaml);

/* Starts mqfsd -f --system E2E_SYSTEM E2E_ROOT (MQFS_TEST_WRAPPER, e.g. valgrind, runs it
 * under another program) and returns once E2E_ROOT is its FUSE mount; 0 or -1 (the log
 * is printed). E2E_ROOT must not hold a mount. */
int e2e_daemon_start(void);
/* Only starts it (as e2e_daemon_start, without waiting for anything); its pid, or -1. */
pid_t e2e_daemon_spawn(void);
/* Whether E2E_ROOT is a FUSE mount now (the test's mount table). */
bool e2e_root_is_fuse(void);
/* Sends sig and reaps the daemon. SIGKILL is a crash: the mount stays, dead. Returns the
 * wait status, or -1 when there was no daemon or it had to be killed after a hang. */
int e2e_daemon_stop(int sig);
pid_t e2e_daemon_pid(void);
/* Stops the daemon with SIGTERM and expects a clean exit (status 0): under
 * MQFS_TEST_WRAPPER (valgrind) or a sanitizer build, a finding shows here. 0, or -1 after
 * printing the status and the daemon's log tail. */
int e2e_daemon_stop_clean(void);
/* Waits until pid sits in system call nr or alt (/proc/PID/syscall), as a writer parked
 * on a full queue does; false on the hang guard. */
bool e2e_wait_blocked_in(pid_t pid, long nr, long alt);

/* How many lines of the daemon's log contain needle. */
int e2e_log_count(const char *needle);
/* The daemon's log, for a failure message (static buffer, the last 8 KiB). */
const char *e2e_log_tail(void);

/* ---- snap namespaces ---- */

struct e2e_snap {
        pid_t pid;
        int hold_fd; /* the namespace's process lives until this closes */
        char name[48];
        char ns_file[128]; /* E2E_NS_DIR/NAME.mnt */
};

/* A new snap mount namespace for name, with its file at E2E_NS_DIR/NAME.mnt. 0 or -1. */
int e2e_snap_start(struct e2e_snap *s, const char *name);
/* What a snap namespace has on /dev. */
enum e2e_snap_dev {
        E2E_DEV_INHERIT, /* the host's /dev with its /dev/mqueue, as snap-confine's */
        E2E_DEV_FRESH,   /* an empty tmpfs /dev: an attachment must make /dev/mqueue */
        E2E_DEV_SYMLINK, /* a tmpfs /dev whose mqueue is a symlink to /run/evil */
};
/* e2e_snap_start with dev on /dev; name NULL: no namespace file (a namespace snapd does
 * not know). */
int e2e_snap_start_dev(struct e2e_snap *s, const char *name, enum e2e_snap_dev dev);
/* Ends the namespace's process and removes its file. Idempotent. */
void e2e_snap_stop(struct e2e_snap *s);

/* Runs mqfs-mount with the NULL-terminated arguments; stdout and stderr land in out
 * (NUL-terminated). Returns its exit status, or -1 when it did not exit normally.
 * MQFS_TEST_HELPER_WRAPPER runs it under another program (valgrind cannot: it lacks
 * open_tree(2)); MQFS_TEST_VERBOSE echoes each run. */
int e2e_mount_helper(char *out, size_t size, const char *arg, ...) __attribute__((sentinel));

/* The usual world of a view test: system.yaml written from yaml, the daemon started, a
 * snap namespace for snap and its view attached over /dev/mqueue there. 0, or -1 with
 * what failed on stderr. e2e_attached_stop undoes it (also after a partial start) and
 * returns e2e_daemon_stop_clean's answer. */
int e2e_attached_start(const char *yaml, struct e2e_snap *s, const char *snap);
int e2e_attached_stop(struct e2e_snap *s, const char *snap);

/* The mount table of pid's mount namespace (a snap's s->pid, or getpid() for the host),
 * one "MOUNT_POINT FSTYPE SOURCE ID" line per mount, as /proc/PID/mountinfo gives it; 0 or
 * -errno. Two equal snapshots mean the same mounts at the same places (an id is not
 * reused while its mount exists). */
int e2e_mounts(pid_t pid, char *out, size_t size);

/* ---- file syscalls from inside a snap ---- */

enum e2e_op {
        E2E_LIST,   /* opendir+readdir path: text = sorted names joined by ',' */
        E2E_STAT,   /* stat path: st */
        E2E_TOUCH,  /* open(path, O_WRONLY|O_CREAT|O_NONBLOCK, 0666) + close, as touch(1) */
        E2E_SEND,   /* open(path, O_WRONLY|O_NONBLOCK) + one write() of data (EAGAIN: full) */
        E2E_STATUS, /* open(path, O_RDONLY) + read(): text = what read gave */
        E2E_POLLIN, /* open(path, O_RDONLY|O_NONBLOCK) + poll(POLLIN|POLLOUT, 0): revents */
        E2E_UNLINK, /* unlink path */
};

struct e2e_result {
        int open_err; /* errno of the open/opendir/stat/unlink, 0 when it worked */
        int io_err;   /* errno of the write/read/poll that followed, 0 when it worked */
        struct stat st;
        short revents;
        char text[1024];
};

/* Runs op on path from a child inside s's mount namespace, as uid/gid (0/0: root), with
 * umask 022. Fails the running cmocka test when the child cannot be run. */
struct e2e_result e2e_in_snap(const struct e2e_snap *s, uid_t uid, gid_t gid, enum e2e_op op,
                              const char *path, const char *data);

/* The same from the host's (the test's) own namespace. */
struct e2e_result e2e_on_host(uid_t uid, gid_t gid, enum e2e_op op, const char *path,
                              const char *data);

/* Polls until e2e_in_snap(s, 0, 0, E2E_LIST, path) gives want (hang guard only). */
bool e2e_wait_listing(const struct e2e_snap *s, const char *path, const char *want);

/* ---- queues of the host (the test's IPC namespace, which the daemon serves) ---- */

/* Creates /name (E2E_MAXMSG x E2E_MSGSIZE) with exactly mode, owned by root. 0 or -errno. */
int e2e_hq_create(const char *name, mode_t mode);
/* Sends len bytes of msg without blocking. 0 or -errno. */
int e2e_hq_send(const char *name, const char *msg, size_t len);
/* Receives one message without blocking into buf (E2E_MSGSIZE + 1 bytes, NUL-terminated);
 * its length or -errno. */
ssize_t e2e_hq_receive(const char *name, char *buf);
/* The number of messages waiting, or -errno. */
long e2e_hq_count(const char *name);
