/* filesystem.c — the filesystem assembled: its FUSE operations table, its life cycle,
 * and the caching it asks of the kernel (SPEC §5). The operations live by job:
 * caller.c (who asks), root_guard.c (the mount root), names.c (lookup, create, unlink),
 * attrs.c (stat, access, setattr), dir_listing.c (directories), file_ops.c (open
 * queues), invalidate.c (keeping the kernel's cache true).
 *
 * Caching, chosen deliberately:
 * - Positive entries of queues in a view are cached for MQFS_ENTRY_TIMEOUT. They are
 *   invalidated when they become wrong: a grant withdrawn or a snap removed
 *   (mqfs_filesystem_grants_changed, diffing the old and new grant tables), a queue
 *   removed outside the view (inotify on the backing mount,
 *   mqfs_filesystem_queue_changed), or lost inotify events (all granted names). Until the
 *   invalidation lands, a stale entry is harmless: every operation on a queue asks the
 *   broker, which re-reads the grants; getattr and open then answer ESTALE rather than
 *   ENOENT, so that the kernel looks the name up again and retries (a create right
 *   after an outside mq_unlink creates, instead of failing on the stale entry).
 * - Entries of views in the mount root are not cached (timeout 0): each walk through
 *   the root is checked to come from the host's mount namespace (check_root_caller).
 *   Snaps walk from their view's own directory, so this costs them nothing.
 * - Negative entries are not cached (lookup misses answer plain ENOENT). A cached miss
 *   would hide a queue created outside, or a grant just added, until an asynchronous
 *   invalidation arrived; not caching them makes those visible to the very next
 *   lookup, and a miss costs one round trip. Creation then needs no invalidation.
 * - Queue attributes are not cached (timeout 0): st_size (QSIZE) and the times change
 *   with every message, sent through the view or not, and the mode depends on the
 *   grant. The cost is one GETATTR per stat; an open costs none, since the mount has no
 *   default_permissions (mqfsd.c says why, and where each of its checks is made).
 * - Directory attributes never change, so they are cached for an hour; the kernel's
 *   permission checks along a path then cost nothing.
 *
 * Measured on this VM (2 shared cores, noisy: two runs each, µs per operation, a view
 * with 10 granted queues; a throw-away benchmark run in `unshare -im` against daemons
 * built with the timeouts below; the kernel's own mqueue filesystem for contrast):
 *                               these timeouts   queue attrs 1 s   no entry/dir cache
 *   stat of a queue                  27-37            2-2.5 (stale)      95-109
 *   open+read+close                 126-146           115-119           198-200
 *   stat of an ungranted name        27-30            22-24              78-80
 *   (kernel mqueuefs: stat 1.5-2, open+read+close 4-6)
 * A stat is one GETATTR, at the floor of a do-nothing FUSE filesystem (37 µs);
 * caching queue attributes would make stat 15x cheaper but show a stale QSIZE, so it
 * stays 0. Entry and directory caching remove two requests from every path walk. */
#include <string.h>
#include <time.h>

#include "aa_label.h"
#include "filesystem_internal.h"

const char *mqfs_filesystem_view_snap(struct mqfs_filesystem *fs, uint64_t dev, uint64_t ino)
{
        if (fs->mount_dev == 0 || dev != fs->mount_dev)
                return NULL;
        const struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        return in && in->kind == MQFS_INODE_VIEW ? in->snap : NULL;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        (void)userdata;
        /* Each write() must arrive whole, as one message: no writeback cache. */
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = mqfs_op_lookup,
    .forget = mqfs_op_forget,
    .forget_multi = mqfs_op_forget_multi,
    .getattr = mqfs_op_getattr,
    .setattr = mqfs_op_setattr,
    .access = mqfs_op_access,
    .mknod = mqfs_op_mknod,
    .mkdir = mqfs_op_mkdir,
    .unlink = mqfs_op_unlink,
    .rmdir = mqfs_op_rmdir,
    .symlink = mqfs_op_symlink,
    .rename = mqfs_op_rename,
    .link = mqfs_op_link,
    .open = mqfs_file_open,
    .read = mqfs_file_read,
    .write = mqfs_file_write,
    .release = mqfs_file_release,
    .fsync = mqfs_file_fsync,
    .opendir = mqfs_op_opendir,
    .readdir = mqfs_op_readdir,
    .releasedir = mqfs_op_releasedir,
    .create = mqfs_op_create,
    .poll = mqfs_file_poll,
};

const struct fuse_lowlevel_ops *mqfs_filesystem_ops(void)
{
        return &ops;
}

int mqfs_filesystem_init(struct mqfs_filesystem *fs, struct mqfs_broker *broker,
                         struct mqfs_loop *loop)
{
        memset(fs, 0, sizeof(*fs));
        fs->broker = broker;
        fs->loop = loop;
        fs->changes_fd = -1;
        clock_gettime(CLOCK_REALTIME, &fs->born);
        int err = mqfs_caller_ns_init(&fs->host); /* logs why it failed */
        if (err)
                return err;
        fs->aa_labels = mqfs_aa_label_enabled(); /* asked once */
        err = mqfs_inode_table_new(&fs->inodes);
        if (err)
                mqfs_caller_ns_close(&fs->host);
        return err;
}

void mqfs_filesystem_destroy(struct mqfs_filesystem *fs)
{
        mqfs_filesystem_listings_changed(fs);
        mqfs_files_free(fs);
        mqfs_inode_table_free(fs->inodes);
        fs->inodes = NULL;
        mqfs_caller_ns_close(&fs->host);
}

void mqfs_filesystem_close(struct mqfs_filesystem *fs, int err)
{
        fs->closing = true;
        mqfs_files_cancel(fs, err);
}
