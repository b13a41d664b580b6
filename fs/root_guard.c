/* root_guard.c — the mount-root guard: who may look a snap up in the mount root or
 * list it. */
#include <errno.h>
#include <stdio.h>

#include "log.h"
#include "filesystem_internal.h"

/* Who may use the mount root (look a snap up in it, list it): root (the root's mode is
 * 0700), and only in the daemon's own mount namespace, i.e. the host. 0, or -EACCES
 * (logged).
 *
 * Why: snap namespaces share the host's /run, so every snap sees MOUNTPOINT and each
 * SNAP directory in it. Its 0700 mode stops users but not root, and a root process in
 * snap alpha could walk MOUNTPOINT/beta/QUEUE and act with beta's grants. A snap reaches
 * its own view through the copy mqfs-mount moved over its /dev/mqueue: walks there start
 * at the view's directory and never look a name up in the mount root. The host reaches
 * the views through MOUNTPOINT/SNAP, a lookup in the root: mqfs-mount attach does that
 * in the host's namespace, then enters the snap's. So refusing root lookups to callers
 * of other namespaces closes the path without touching a view's own traffic (one
 * fstatat of /proc per root lookup, none inside a view). For the check to see every
 * walk, the root's entries are never cached by the kernel (entry timeout 0, below).
 *
 * What this does not stop (all need privileges that snapd's AppArmor and seccomp
 * profiles deny to snaps; without those, root in a snap is root on the host):
 * - /proc/PID/root of a process of another snap leads into that snap's view (no root
 *   lookup on the way): the kernel asks for ptrace-read access to PID first, which root
 *   has unless AppArmor (snap profiles deny cross-snap ptrace) or Yama refuse it; a user
 *   has it over its own dumpable processes (test_hostile.c).
 * - A descriptor passed by a process that holds one (SCM_RIGHTS) keeps working with the
 *   view it was opened in, like any open file; a passed descriptor of the mount root
 *   itself gets EACCES here for lookups and listings.
 * - setns(2) into the host's mount namespace (CAP_SYS_ADMIN) makes the caller a host
 *   caller.
 * - open_by_handle_at(2) (CAP_DAC_READ_SEARCH) turns a handle naming an inode number
 *   (our generation is always 0) into an open file without any lookup, for any inode
 *   the kernel holds: a view's directory is held while it is attached anywhere. Tried:
 *   root in alpha's namespace, given its own /dev/mqueue as the mount, opened beta's
 *   view and beta's queue (and read its status) by numbers 3 and 4. A random
 *   generation per inode would make that a 2^32 guess, not a stop. */
int mqfs_root_guard(struct mqfs_filesystem *fs, const struct mqfs_caller *c, const char *name)
{
        char reason[160];
        const char *op = name ? "lookup in the mount root" : "listing of the mount root";

        /* The root's mode (0700, root's) is ours to enforce: the kernel leaves mode
         * checks to the daemon (no default_permissions, mqfsd.c says why). */
        if (c->uid != 0) {
                snprintf(reason, sizeof(reason),
                         "the mount root is root's only (mode 0700) and the caller runs as "
                         "uid %u; a snap reaches its own view at /dev/mqueue",
                         (unsigned)c->uid);
                mqfs_log_denial(name ? name : "-", NULL, op, reason);
                return -EACCES;
        }
        int err = mqfs_caller_ns_check(&fs->host, c->pid);
        if (!err)
                return 0;
        snprintf(reason, sizeof(reason),
                 "the caller (pid %d) is not in the host's mount namespace (%s); a snap "
                 "reaches its own view at /dev/mqueue",
                 (int)c->pid, err == -EACCES ? "it is in another" : "cannot tell which it is in");
        mqfs_log_denial(name ? name : "-", NULL, op, reason);
        return -EACCES;
}
