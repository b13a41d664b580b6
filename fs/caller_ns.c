/* caller_ns.c — see caller_ns.h. */
#include "caller_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* The identity of pid's mount namespace. The path is relative to our own /proc and
 * made of an integer and fixed names, none of which is a link in procfs, so nothing on
 * the way can be redirected; the last component, ns/mnt, is a link we must follow (to
 * the namespace's nsfs inode). The kernel allows it for a root daemon (ptrace-read
 * access; a confining profile of the daemon must grant ptrace read). */
static int mntns_of(int proc_fd, pid_t pid, struct stat *st)
{
        char path[32];

        snprintf(path, sizeof(path), "%d/ns/mnt", (int)pid);
        if (fstatat(proc_fd, path, st, 0) < 0)
                return -errno;
        return 0;
}

int mqfs_caller_ns_init(struct mqfs_caller_ns *self)
{
        struct statfs sfs;
        struct stat st;
        int err;

        self->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (self->proc_fd < 0) {
                return mqfs_log_errno(-errno, "cannot open /proc (mqfsd needs it to tell the "
                                              "host's callers from snaps')");
        }
        if (fstatfs(self->proc_fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
                mqfs_log(LOG_ERR, "/proc is not a proc file system; mount one there");
                err = -ENOTSUP;
                goto fail;
        }
        err = mntns_of(self->proc_fd, getpid(), &st);
        if (err) {
                mqfs_log(LOG_ERR,
                         "cannot read the daemon's own mount namespace (/proc/%d/ns/mnt): "
                         "%s",
                         (int)getpid(), mqfs_errstr(-err));
                goto fail;
        }
        self->dev = st.st_dev;
        self->ino = st.st_ino;
        return 0;
fail:
        mqfs_caller_ns_close(self);
        return err;
}

void mqfs_caller_ns_close(struct mqfs_caller_ns *self)
{
        if (self->proc_fd >= 0)
                close(self->proc_fd);
        self->proc_fd = -1;
}

int mqfs_caller_ns_check(const struct mqfs_caller_ns *self, pid_t pid)
{
        struct stat st;

        /* 0: the caller's pid namespace is not ours (or not a descendant), so we cannot
         * see it; nor can we tell where it stands. */
        if (pid <= 0 || self->proc_fd < 0)
                return -ESRCH;
        if (mntns_of(self->proc_fd, pid, &st) != 0)
                return -ESRCH;
        return st.st_dev == self->dev && st.st_ino == self->ino ? 0 : -EACCES;
}
