/* creds.h — acting as a caller on the calling thread only.
 *
 * The daemon runs as root. To let the kernel judge a call exactly as it would judge
 * the caller's own call (owner/group/other bits, supplementary groups, the owner of a
 * new queue, whose RLIMIT_MSGQUEUE budget a new queue is charged to), the broker
 * switches the credentials of the calling thread only, with raw system calls. glibc's
 * setresuid()/setgroups() would broadcast the change to every thread of the process.
 *
 * While switched: real and effective uid (hence fsuid) are the caller's, the saved uid
 * stays the daemon's (0) so the way back remains open; real and effective gid and the
 * supplementary groups are the caller's. Moving euid from 0 to the caller's uid clears
 * the thread's effective capabilities, so a non-root caller gets no root privilege; a
 * root caller (uid 0) keeps root's, as with the kernel. Leaving restores everything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "broker.h"

enum { MQFS_CREDS_INLINE_GROUPS = 32 };

/* What the thread had before mqfs_creds_enter, to put back. */
struct mqfs_creds_saved {
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;
        size_t ngroups;
        gid_t *groups; /* inline_groups, or a heap array when there are many */
        gid_t inline_groups[MQFS_CREDS_INLINE_GROUPS];
        bool groups_kept; /* the caller's groups were the thread's own: nothing to undo */
};

/* Switches the calling thread to caller's uid, gid and groups (loading them first when
 * the caller has load_groups; its error is returned as is). When the caller's group
 * list is the thread's own, setgroups is skipped (2 system calls of 9). 0, or -errno
 * with the thread's credentials unchanged (-EINVAL for more groups than the kernel
 * allows, -EPERM when the thread lacks the privilege, -ENOMEM). Calls do not nest. */
int mqfs_creds_enter(const struct mqfs_caller *caller, struct mqfs_creds_saved *saved);

/* Puts the thread's credentials back. If the kernel refuses, the process aborts: a root
 * daemon left running with a caller's identity, or half of it, is worse than a dead one. */
void mqfs_creds_leave(struct mqfs_creds_saved *saved);

/* Only the filesystem ids of the calling thread: for a call whose permission check the
 * kernel makes with fsuid, fsgid and the groups alone, and that charges nothing to a
 * uid (opening an EXISTING queue: mq_open's check is inode_permission). One or two
 * cred changes in and as many out, where the full switch makes four (about 1 us each)
 * and reads three id lists. fsuid becomes uid; fsgid becomes gid when set_gid, else
 * stays the daemon's. Real, effective and saved ids and the supplementary groups stay
 * the daemon's: use this only when the broker has shown that neither the groups nor
 * (without set_gid) the gid can decide the answer. Moving fsuid from 0 to the caller's
 * uid clears the thread's filesystem capabilities (CAP_DAC_OVERRIDE and the like), so
 * a non-root caller gets none of root's file access; a root caller (uid 0) keeps them,
 * as with the kernel. */
struct mqfs_fsids_saved {
        uid_t fsuid;
        gid_t fsgid;
        bool gid_set;
};

/* 0, or -errno with the thread's fs ids unchanged: -EINVAL for an id of -1, -EPERM
 * when the kernel refused the change (the thread lacks CAP_SETUID/CAP_SETGID). */
int mqfs_creds_enter_fsids(uid_t uid, gid_t gid, bool set_gid, struct mqfs_fsids_saved *saved);

/* Puts the thread's fsuid and fsgid back; aborts if the kernel refuses (see above). */
void mqfs_creds_leave_fsids(const struct mqfs_fsids_saved *saved);
