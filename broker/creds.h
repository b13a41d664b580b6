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
 * root caller (uid 0) keeps root's, as with the kernel. Leaving restores everything.
 *
 * The broker holds the saved credentials in a scope, which restores them on every way
 * out of it (cleanup.h):
 *     MQFS_CREDS_SCOPE saved = {0};
 *     int err = mqfs_creds_enter(caller, &saved);
 *     if (err < 0)
 *             return err;
 *     return mq_unlink(name) == 0 ? 0 : -errno;    runs as the caller, then back
 * A thread that cannot get the daemon's credentials back is an impossible state: the
 * process aborts (MQFS_CHECK), leaving the message in the daemon's log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "broker.h"
#include "cleanup.h"

enum { MQFS_CREDS_INLINE_GROUPS = 32 };

/* What the thread had before mqfs_creds_enter, to put back. */
struct mqfs_creds_saved {
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;
        size_t ngroups;
        gid_t *groups; /* inline_groups, or a heap array when there are many */
        gid_t inline_groups[MQFS_CREDS_INLINE_GROUPS];
        bool groups_kept; /* the caller's groups were the thread's own: nothing to undo */
        bool entered;     /* mqfs_creds_enter succeeded, and nothing has left since */
};

/* Saved credentials that mqfs_creds_leave puts back when their scope ends, if entered.
 * Initialise with {0}. */
#define MQFS_CREDS_SCOPE MQFS_CLEANUP(mqfs_creds_leave_scope) struct mqfs_creds_saved

/* Switches the calling thread to caller's uid, gid and groups (loading them first when
 * the caller has load_groups; its error is returned as is). When the caller's group
 * list is the thread's own, setgroups is skipped (2 system calls of 9). 0, or -errno
 * with the thread's credentials unchanged (-EINVAL for more groups than the kernel
 * allows, -EPERM when the thread lacks the privilege, -ENOMEM). Calls do not nest. */
int mqfs_creds_enter(const struct mqfs_caller *caller, struct mqfs_creds_saved *saved);

/* Puts the thread's credentials back. If the kernel refuses, the process aborts: a root
 * daemon left running with a caller's identity, or half of it, is worse than a dead one.
 * Only after a successful mqfs_creds_enter (else it aborts too). */
void mqfs_creds_leave(struct mqfs_creds_saved *saved);

/* MQFS_CREDS_SCOPE's cleanup: mqfs_creds_leave when entered, else nothing. */
void mqfs_creds_leave_scope(struct mqfs_creds_saved *saved);

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
        bool entered; /* mqfs_creds_enter_fsids succeeded, and nothing has left since */
};

/* As MQFS_CREDS_SCOPE, for the fs ids alone. Initialise with {0}. */
#define MQFS_FSIDS_SCOPE MQFS_CLEANUP(mqfs_creds_leave_fsids_scope) struct mqfs_fsids_saved

/* 0, or -errno with the thread's fs ids unchanged: -EINVAL for an id of -1, -EPERM
 * when the kernel refused the change (the thread lacks CAP_SETUID/CAP_SETGID). */
int mqfs_creds_enter_fsids(uid_t uid, gid_t gid, bool set_gid, struct mqfs_fsids_saved *saved);

/* Puts the thread's fsuid and fsgid back; aborts if the kernel refuses (see above), or
 * without a successful mqfs_creds_enter_fsids before. */
void mqfs_creds_leave_fsids(struct mqfs_fsids_saved *saved);

/* MQFS_FSIDS_SCOPE's cleanup: mqfs_creds_leave_fsids when entered, else nothing. */
void mqfs_creds_leave_fsids_scope(struct mqfs_fsids_saved *saved);
