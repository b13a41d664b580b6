/* caller_ns.h — is the process behind a FUSE request in the daemon's own mount
 * namespace?
 *
 * The daemon's mount root (MOUNTPOINT, with one directory per snap) is meant for the
 * host: the administrator, and mqfs-mount, which opens MOUNTPOINT/SNAP there and moves a
 * copy of it over /dev/mqueue in the snap's namespace. Snap namespaces see the mount too
 * (they share the host's /run), so filesystem.c answers names in the mount root only for
 * callers of the daemon's own namespace; see the comment at that check for what this
 * does and does not stop.
 *
 * The caller's namespace is read from /proc/PID/ns/mnt of the request's pid (the thread
 * that made the system call, as the daemon's pid namespace numbers it). That pid cannot
 * be reused while we read: once the daemon has read a request, the kernel waits for the
 * reply without giving up, even on SIGKILL, so the thread cannot exit before we answer. */
#pragma once

#include <sys/types.h>

struct mqfs_caller_ns {
        int proc_fd; /* the daemon's /proc, O_PATH */
        dev_t dev;   /* of the daemon's own /proc/self/ns/mnt */
        ino_t ino;
};

/* Opens /proc (checked to be a procfs) and notes the daemon's own mount namespace.
 * 0, or -errno after logging what is wrong. */
int mqfs_caller_ns_init(struct mqfs_caller_ns *self);
/* Closes what init opened; safe after a failed init, and twice. */
void mqfs_caller_ns_close(struct mqfs_caller_ns *self);

/* 0 when the thread pid is in the daemon's own mount namespace; -EACCES when it is in
 * another one; -ESRCH when it cannot be told (pid 0: a caller outside the daemon's pid
 * namespace; the thread is gone; /proc refused). Callers treat every error as "not
 * ours". */
int mqfs_caller_ns_check(const struct mqfs_caller_ns *self, pid_t pid);
