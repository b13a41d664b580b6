/* dead_mount.c — see dead_mount.h. */
#include "dead_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <syslog.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "mountinfo.h"

int mqfs_clear_dead_mount(const char *mountpoint)
{
        struct mqfs_mount m = {0};
        struct statfs sfs;
        int proc_fd = -1, mnt_id = 0, err = 0;

        /* O_PATH asks the file system nothing, so it opens a dead FUSE root; fstatfs
         * then asks the daemon, and a dead connection answers ENOTCONN. */
        int fd = open(mountpoint, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return 0; /* no mount point: libfuse will say so */
        if (fstatfs(fd, &sfs) == 0 || errno != ENOTCONN)
                goto out;
        proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                err = -errno;
        if (!err)
                err = mqfs_fd_mount_id(proc_fd, fd, &mnt_id);
        if (!err)
                err = mqfs_mount_find(proc_fd, mnt_id, &m);
        if (err) {
                mqfs_log(LOG_ERR,
                         "%s is a dead mount, and which file system it is cannot be read from "
                         "/proc/self/mountinfo: %s; take it off by hand (umount -l %s)",
                         mountpoint, mqfs_errstr(-err), mountpoint);
                goto out;
        }
        if (strcmp(m.fstype, "fuse.mqfs") != 0) {
                mqfs_log(LOG_ERR,
                         "%s holds a dead %s mount, not one of mqfs: left alone; take it off "
                         "(umount -l %s) if nothing needs it",
                         mountpoint, m.fstype, mountpoint);
                err = -EBUSY;
                goto out;
        }
        /* Through our descriptor: exactly the mount we looked at, whatever the path
         * names by now. */
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
        if (umount2(self, MNT_DETACH) < 0) {
                err = mqfs_log_errno(-errno, "cannot take the dead mqfs mount off %s", mountpoint);
                goto out;
        }
        mqfs_log(LOG_NOTICE,
                 "took the dead mqfs mount off %s (left by a daemon that died); "
                 "`mqfs-mount repair` re-attaches the snaps' views",
                 mountpoint);
out:
        mqfs_mount_clear(&m);
        if (proc_fd >= 0)
                close(proc_fd);
        close(fd);
        return err;
}
