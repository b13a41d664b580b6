/* msgq_rlimit.h — a new queue charged against the caller's own RLIMIT_MSGQUEUE (SPEC §4).
 *
 * The kernel charges a new queue's worst-case size to its owner's uid and compares the
 * total with RLIMIT_MSGQUEUE of the process that creates it: here the daemon, whose
 * limit the caller does not share. So, for a create only, the caller's soft limit is
 * read (prlimit, or /proc/PID/limits where prlimit is not allowed) and the lower of it
 * and the daemon's applies to that one mq_open: the daemon's soft limit is lowered
 * around the call and put back. Limits are the process's, shared by its threads, so
 * every create made through this module is serialised (a create is some 15 us); no
 * other part of the daemon may create queues meanwhile.
 *
 * The pid is the caller's as its front end saw it (FUSE's request, the door's
 * notification). A caller that exits and whose pid is reused before the read may be
 * judged by another process's limit: never above the daemon's own. */
#pragma once

#include <mqueue.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The soft RLIMIT_MSGQUEUE of pid (RLIM_INFINITY for "unlimited"). 0, or -errno
 * (-ESRCH when pid is 0 or gone, -EINVAL when the file has no such line). */
int mqfs_msgq_rlimit_of(pid_t pid, rlim_t *out);

/* mq_open(name, flags, mode, attr) (flags include O_CREAT) with the daemon's soft
 * RLIMIT_MSGQUEUE lowered to cap for the call when cap is lower (RLIM_INFINITY: as
 * is). The descriptor or -errno (the kernel's EMFILE past the limit). */
int mqfs_msgq_create_capped(const char *name, int flags, mode_t mode, const struct mq_attr *attr,
                            rlim_t cap);
