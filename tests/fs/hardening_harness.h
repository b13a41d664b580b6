/* hardening_harness.h — what the fault and hostile-caller tests (issue 7) need on top of
 * the end-to-end harness (e2e_harness.h, used read-only): arbitrary code run as another
 * caller, inside a snap's namespace or not; the daemon's descriptors; waiting for a
 * process to block; the IPC namespace's mqueue limits; and a daemon check that makes a
 * crash or a sanitizer finding in the daemon fail the test that caused it.
 *
 * Children die with the test (PR_SET_PDEATHSIG) and carry an alarm as a hang guard;
 * every wait is "until a condition holds", bounded only to catch a hang. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "e2e_harness.h"

/* Who runs the code: uid/gid, the supplementary groups (none when ngroups is 0), and
 * where: inside snap's mount namespace, or the test's own when snap is NULL. */
struct hh_caller {
        const struct e2e_snap *snap;
        uid_t uid;
        gid_t gid;
        size_t ngroups;
        const gid_t *groups;
};

/* Runs fn(arg, out) in a child as caller, with umask 022; out points to out_size bytes
 * of memory shared with the test (zeroed first), copied to result (may be NULL) when the
 * child is done. Returns fn's return value (0..255), or 200 + the signal that killed the
 * child, or 199 when the child could not become the caller. */
int hh_run(const struct hh_caller *caller, int (*fn)(void *arg, void *out), void *arg, void *result,
           size_t out_size);

/* The same, without waiting: the child's pid, or -1. Reap it with hh_wait. */
pid_t hh_spawn(const struct hh_caller *caller, int (*fn)(void *arg, void *out), void *arg,
               void *shared_out);
/* fn's return value as hh_run gives it, or -1 when pid is not our child. */
int hh_wait(pid_t pid);
/* Memory shared with children (for hh_spawn's shared_out); hh_shared_free releases it. */
void *hh_shared_alloc(size_t size);
void hh_shared_free(void *p, size_t size);

/* The number of open descriptors of pid (/proc/PID/fd), -1 when unreadable. */
long hh_fd_count(pid_t pid);
/* Sleeps ms milliseconds (for polling loops only). */
void hh_sleep_ms(int ms);

/* /proc/sys/fs/mqueue/KEY of the test's IPC namespace: set (0 or -errno), get (-errno). */
int hh_mq_sysctl_set(const char *key, long value);
long hh_mq_sysctl_get(const char *key);

struct CMUnitTest;
/* A test program's main: enters the test world (e2e_world_enter; 77 when it cannot be
 * made: skipped), runs the tests (MQFS_TEST_FILTER=pattern runs only those matching,
 * with cmocka's wildcards), prints the daemon's log when one failed, and leaves the
 * world. The exit status. */
int hh_main(const char *name, const struct CMUnitTest *tests, size_t n);

/* Starts snap's namespace in s and attaches its view there (mqfs-mount attach); fails
 * the running test when either cannot be done. */
void hh_attach(struct e2e_snap *s, const char *snap);

/* Starts the daemon (e2e_daemon_start); 0 or -1. */
int hh_daemon_start(void);
/* The daemon must still be running; it is stopped with SIGTERM and must exit 0. A crash,
 * an abort (ASan, UBSan with halt_on_error), a leak report at exit or a non-zero exit
 * fails the running cmocka test, with the daemon's log. */
void hh_daemon_stop_clean(void);
/* The same for a teardown: 0, or -1 after printing what went wrong. Either way no daemon
 * runs afterwards, and nothing (not even a dead mount) is left on E2E_ROOT. */
int hh_daemon_teardown(void);
/* Lines of the daemon's log (all daemons of the test) that contain needle, counted from
 * byte offset from; hh_log_size gives the current end. */
int hh_log_count_from(long from, const char *needle);
long hh_log_size(void);
/* Waits until at least n lines after from contain needle; false on the hang guard. */
bool hh_log_wait(long from, const char *needle, int n);

/* The sorted, comma-joined names in the directory path (without . and ..) as seen by
 * root in the test's namespace, or "ERR:<errno>". Static buffer. */
const char *hh_list(const char *path);
/* Removes every queue of the world's /dev/mqueue but E2E_HOST_QUEUE, so that each test
 * starts from the same queues. */
void hh_remove_test_queues(void);
/* Polls hh_list(path) until it equals want; false on the hang guard. */
bool hh_wait_list(const char *path, const char *want);
