/* testns.h — the private world every broker test runs in.
 *
 * Broker tests create real queues and switch credentials, so they must never touch the
 * host's queues: main() calls mqfs_test_private_world() before anything else. It
 * unshares the IPC and mount namespaces (so every queue dies with the test), makes the
 * mount tree private, covers an existing directory (/srv, or /media, ...) with a tmpfs
 * of its own, so that nothing the test makes survives it even when it is killed, and
 * mounts there the kernel's own mqueue filesystem of the new IPC namespace, so tests
 * can compare the broker's answers with what the kernel itself shows in /dev/mqueue.
 * Not root, or no namespaces: the test fails loudly (exit 1), it never skips. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "broker.h"

/* The kernel's mqueue mount of the test's IPC namespace (its /dev/mqueue). */
extern char mqfs_test_kernel_dir[];
/* A private, empty 1777 directory for the test's own files. */
extern char mqfs_test_scratch_dir[];

void mqfs_test_private_world(void);

/* Reads the kernel's /dev/mqueue/NAME for queue name ("/name") into buf; returns the
 * length or -errno. */
int mqfs_test_kernel_status(const char *name, char *buf, size_t size);

/* stat of the kernel's /dev/mqueue/NAME; 0 or -errno. */
int mqfs_test_kernel_stat(const char *name, struct stat *st);

/* A queue made directly by the test (as root, umask 0: exactly mode), outside any view:
 * 0 or -errno. */
int mqfs_test_make_queue(const char *name, mode_t mode, const struct mq_attr *attr);

/* A broker over a fresh backing mount of the test's IPC namespace, without grants:
 * 0 or -errno. */
int mqfs_test_broker_new(struct mqfs_broker **out);

/* Removes every queue of the test's IPC namespace. */
void mqfs_test_remove_all_queues(void);

/* What the kernel answers a real process with caller's credentials doing
 * mq_open(name, oflag, mode, attr): 0 or -errno. Runs in a child process. */
int mqfs_test_kernel_open_as(const struct mqfs_caller *caller, const char *name, int oflag,
                             mode_t mode, const struct mq_attr *attr);
/* The same for mq_unlink(name). */
int mqfs_test_kernel_unlink_as(const struct mqfs_caller *caller, const char *name);

/* Writes value to /proc/sys/fs/mqueue/KEY of the test's IPC namespace; 0 or -errno. */
int mqfs_test_write_sysctl(const char *key, long value);
long mqfs_test_read_sysctl(const char *key);

/* Runs call and fails the (cmocka) test unless it read the grant table g exactly once
 * (mqfs_grant_table_lookups, grants.h): the one judge's cost model (SPEC §4). */
#define MQFS_TEST_ONE_LOOKUP(g, call)                                                              \
        do {                                                                                       \
                unsigned long before_ = mqfs_grant_table_lookups(g);                               \
                (void)(call);                                                                      \
                unsigned long n_ = mqfs_grant_table_lookups(g) - before_;                          \
                if (n_ != 1)                                                                       \
                        fail_msg("%s read the grant table %lu times", #call, n_);                  \
        } while (0)
