#include "creds.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "errors.h"

/* Raw system calls act on the calling thread only; see creds.h. */
static int thread_setgroups(size_t n, const gid_t *groups)
{
        return syscall(SYS_setgroups, n, groups) == 0 ? 0 : -errno;
}

static int thread_setresgid(gid_t r, gid_t e, gid_t s)
{
        return syscall(SYS_setresgid, r, e, s) == 0 ? 0 : -errno;
}

static int thread_setresuid(uid_t r, uid_t e, uid_t s)
{
        return syscall(SYS_setresuid, r, e, s) == 0 ? 0 : -errno;
}

static void release_saved(struct mqfs_creds_saved *saved)
{
        if (saved->groups != saved->inline_groups)
                free(saved->groups);
        saved->groups = saved->inline_groups;
        saved->ngroups = 0;
}

/* Whether the daemon's ids came back (err 0); if not, there is no way to go on safely:
 * this thread may hold a caller's identity, or half of it. */
static void check_restored(int err, const char *what)
{
        MQFS_CHECK(err == 0,
                   "cannot restore the daemon's %s after acting for a caller (%s); aborting "
                   "rather than running with the wrong identity",
                   what, mqfs_errstr(err));
}

static int save_groups(struct mqfs_creds_saved *saved)
{
        saved->groups = saved->inline_groups;
        long n = syscall(SYS_getgroups, MQFS_CREDS_INLINE_GROUPS, saved->inline_groups);
        if (n >= 0) {
                saved->ngroups = (size_t)n;
                return 0;
        }
        if (errno != EINVAL)
                return -errno;
        /* More groups than fit inline: ask how many, then fetch them all. No other
         * thread changes this thread's groups, so the count stays true. */
        n = syscall(SYS_getgroups, 0, NULL);
        if (n < 0)
                return -errno;
        gid_t *heap = calloc((size_t)n, sizeof(*heap));
        if (heap == NULL)
                return -ENOMEM;
        long got = syscall(SYS_getgroups, n, heap);
        if (got < 0) {
                int err = -errno;
                free(heap);
                return err;
        }
        saved->groups = heap;
        saved->ngroups = (size_t)got;
        return 0;
}

static bool same_groups(size_t n, const gid_t *groups, const struct mqfs_creds_saved *saved)
{
        return n == saved->ngroups &&
               (n == 0 || memcmp(groups, saved->groups, n * sizeof(gid_t)) == 0);
}

static int enter(const struct mqfs_caller *caller, struct mqfs_creds_saved *saved);

int mqfs_creds_enter(const struct mqfs_caller *caller, struct mqfs_creds_saved *saved)
{
        if (saved != NULL)
                saved->entered = false;
        if (caller != NULL && caller->load_groups != NULL) {
                int err = caller->load_groups(caller->load_ctx);
                if (err < 0)
                        return err;
                if (caller->load_groups != NULL)
                        return -EINVAL; /* the loader must say it has loaded */
        }
        return enter(caller, saved);
}

static int enter(const struct mqfs_caller *caller, struct mqfs_creds_saved *saved)
{
        int err;

        if (caller == NULL || saved == NULL)
                return -EINVAL;
        if ((caller->ngroups > 0 && caller->groups == NULL) || caller->ngroups > NGROUPS_MAX)
                return -EINVAL;
        if (caller->uid == (uid_t)-1 || caller->gid == (gid_t)-1)
                return -EINVAL; /* -1 means "unchanged" to the kernel, never a caller */

        if (syscall(SYS_getresuid, &saved->ruid, &saved->euid, &saved->suid) != 0 ||
            syscall(SYS_getresgid, &saved->rgid, &saved->egid, &saved->sgid) != 0)
                return -errno;
        err = save_groups(saved);
        if (err < 0)
                return err;

        /* Groups and gids first: once the uid is the caller's, CAP_SETGID is gone. */
        saved->groups_kept = same_groups(caller->ngroups, caller->groups, saved);
        if (!saved->groups_kept) {
                err = thread_setgroups(caller->ngroups, caller->groups);
                if (err < 0)
                        goto undone;
        }
        err = thread_setresgid(caller->gid, caller->gid, (gid_t)-1);
        if (err < 0)
                goto undo_groups;
        /* The saved uid becomes the daemon's euid: that keeps the way back open. */
        err = thread_setresuid(caller->uid, caller->uid, saved->euid);
        if (err < 0)
                goto undo_gids;
        saved->entered = true;
        return 0;

undo_gids:
        check_restored(thread_setresgid(saved->rgid, saved->egid, saved->sgid), "group ids");
undo_groups:
        if (!saved->groups_kept)
                check_restored(thread_setgroups(saved->ngroups, saved->groups),
                               "supplementary groups");
undone:
        release_saved(saved);
        return err;
}

void mqfs_creds_leave(struct mqfs_creds_saved *saved)
{
        MQFS_CHECK(saved->entered, "leaving a caller's credentials that were not entered");
        /* uid first: returning euid to 0 brings the capabilities back that the gid and
         * group changes need. */
        check_restored(thread_setresuid(saved->ruid, saved->euid, saved->suid), "user ids");
        check_restored(thread_setresgid(saved->rgid, saved->egid, saved->sgid), "group ids");
        if (!saved->groups_kept)
                check_restored(thread_setgroups(saved->ngroups, saved->groups),
                               "supplementary groups");
        release_saved(saved);
        saved->entered = false;
}

void mqfs_creds_leave_scope(struct mqfs_creds_saved *saved)
{
        if (saved->entered)
                mqfs_creds_leave(saved);
}

/* setfsuid/setfsgid report no error: they return the previous id, and an invalid id
 * (-1) changes nothing, so the id in force is read back with -1 (no cred change). */
static uid_t thread_setfsuid(uid_t uid)
{
        return (uid_t)syscall(SYS_setfsuid, uid);
}

static gid_t thread_setfsgid(gid_t gid)
{
        return (gid_t)syscall(SYS_setfsgid, gid);
}

static void restore_fsuid(uid_t uid)
{
        thread_setfsuid(uid);
        check_restored(thread_setfsuid((uid_t)-1) == uid ? 0 : -EPERM, "filesystem user id");
}

static void restore_fsgid(gid_t gid)
{
        thread_setfsgid(gid);
        check_restored(thread_setfsgid((gid_t)-1) == gid ? 0 : -EPERM, "filesystem group id");
}

int mqfs_creds_enter_fsids(uid_t uid, gid_t gid, bool set_gid, struct mqfs_fsids_saved *saved)
{
        if (saved == NULL)
                return -EINVAL;
        saved->entered = false;
        if (uid == (uid_t)-1 || (set_gid && gid == (gid_t)-1))
                return -EINVAL;
        saved->gid_set = set_gid;
        /* fsgid first, while the thread still has the daemon's fsuid. */
        if (set_gid) {
                saved->fsgid = thread_setfsgid(gid);
                if (thread_setfsgid((gid_t)-1) != gid)
                        return -EPERM; /* refused: nothing changed */
        }
        saved->fsuid = thread_setfsuid(uid);
        if (thread_setfsuid((uid_t)-1) != uid) {
                if (set_gid)
                        restore_fsgid(saved->fsgid);
                return -EPERM;
        }
        saved->entered = true;
        return 0;
}

void mqfs_creds_leave_fsids(struct mqfs_fsids_saved *saved)
{
        MQFS_CHECK(saved->entered, "leaving filesystem ids that were not entered");
        /* uid first: back at fsuid 0 the filesystem capabilities return. */
        restore_fsuid(saved->fsuid);
        if (saved->gid_set)
                restore_fsgid(saved->fsgid);
        saved->entered = false;
}

void mqfs_creds_leave_fsids_scope(struct mqfs_fsids_saved *saved)
{
        if (saved->entered)
                mqfs_creds_leave_fsids(saved);
}
