#include "backing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* The kernel's mqueue superblock magic (ipc/mqueue.c). */
#define MQFS_MQUEUE_MAGIC 0x19800202

static int open_with_fsmount(void)
{
        int fs = fsopen("mqueue", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        int ret;
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
                ret = -errno;
                goto out;
        }
        ret =
            fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (ret < 0)
                ret = -errno;
out:
        close(fs);
        return ret;
}

/* For kernels without the new mount API: a mount that is visible only for the few
 * instructions between mount() and umount2(MNT_DETACH), on a directory only root can
 * enter, in a tree whose propagation we do not spread it to. */
int mqfs_backing_open_with_mount(void)
{
        char dir[] = "/tmp/mqfs-backing-XXXXXX";
        if (mkdtemp(dir) == NULL)
                return -errno;
        int ret;
        if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
                ret = -errno;
                goto out_rmdir;
        }
        ret = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (ret < 0)
                ret = -errno;
        if (umount2(dir, MNT_DETACH) != 0) {
                int err = -errno;
                if (ret >= 0)
                        close(ret);
                ret = err;
        }
out_rmdir:
        rmdir(dir);
        return ret;
}

int mqfs_backing_open(void)
{
        int fd = open_with_fsmount();
        if (fd == -ENOSYS)
                fd = mqfs_backing_open_with_mount();
        return fd;
}

int mqfs_backing_check(int fd)
{
        struct stat st;
        struct statfs sfs;
        if (fstat(fd, &st) != 0 || fstatfs(fd, &sfs) != 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((unsigned long)sfs.f_type != MQFS_MQUEUE_MAGIC)
                return -EINVAL;
        return 0;
}
