/* attrs.c — attributes: stat (getattr), access(2), and setattr (chmod, chown,
 * truncate, utimes). mqfs_do_X checks and makes one broker call; op_X replies (see
 * names.c). Queue attributes come from the broker already narrowed to the grant. */
#include <errno.h>
#include <unistd.h>

#include "filesystem_internal.h"

static struct mqfs_filesystem *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

int mqfs_do_getattr(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    struct mqfs_handle *h, struct stat *st, double *timeout)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        if (!in)
                return -ESTALE;
        if (in->kind != MQFS_INODE_QUEUE) {
                /* A view whose snap was removed stays an empty directory while the
                 * kernel still holds it (it may be bind-mounted in a snap). */
                mqfs_dir_attr(fs, in, st);
                *timeout = MQFS_DIR_ATTR_TIMEOUT;
                return 0;
        }
        /* With an open file (FUSE passes one when refreshing attributes for I/O): the
         * queue that file holds, even when it has lost its name since. fstat comes
         * without the file: an inode whose name was unlinked through the view stands for
         * the queue its open files hold (inode.h), and the kernel's fstat of such a file
         * answers (st_nlink 0), also when the name holds a new queue by now. */
        if (!h && in->detached)
                h = mqfs_files_find(fs, ino);
        int err = h              ? mqfs_broker_handle_stat(fs->broker, h, st)
                  : in->detached ? -ENOENT
                                 : mqfs_broker_stat(fs->broker, in->snap, &cb->c, in->queue, st);
        /* The name holds another queue than this inode's: removed and made again outside
         * the view. The inode now stands for its open files' queue, as after an unlink
         * through the view. A stat by a path whose entry the kernel still caches cannot
         * be told from an fstat here: it sees that queue too until the invalidation
         * (asked for now, and by the queue watch's events) lands. */
        if (!err && !h && !mqfs_queue_inode_holds(fs, in, (uint64_t)st->st_ino)) {
                h = mqfs_files_find(fs, ino);
                if (!h)
                        return -ESTALE; /* a path: looked up again, it finds the new queue */
                err = mqfs_broker_handle_stat(fs->broker, h, st);
                if (err) {
                        mqfs_note_denial(cb, mqfs_handle_snap(h), mqfs_handle_name(h), "stat");
                        return err;
                }
                st->st_ino = ino;
                *timeout = MQFS_QUEUE_ATTR_TIMEOUT;
                return 0;
        }
        /* A queue unlinked outside lives on while files are open on it too: when the
         * name is gone, answer from an open file of this inode. */
        if (err == -ENOENT && !h && (h = mqfs_files_find(fs, ino)))
                err = mqfs_broker_handle_stat(fs->broker, h, st);
        if (err) {
                mqfs_note_denial(cb, in->snap, in->queue, "stat");
                /* The name is gone (removed outside, or its grant withdrawn) but the
                 * kernel still holds its entry: the invalidation is asynchronous and may
                 * land later. ESTALE makes the kernel look the name up again and redo the
                 * system call once (LOOKUP_REVAL), so the caller sees what the name is
                 * now: ENOENT for stat, a new queue for open(O_CREAT). Only a call on a
                 * descriptor without a path (fstat of an O_PATH one) sees ESTALE. */
                return err == -ENOENT ? -ESTALE : err;
        }
        st->st_ino = in->ino;
        *timeout = MQFS_QUEUE_ATTR_TIMEOUT;
        return 0;
}

void mqfs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct caller_buf cb;
        struct stat st;
        double timeout;

        mqfs_caller_plain(req, &cb);
        int err =
            mqfs_do_getattr(fs_of(req), &cb, ino, fi ? mqfs_file_handle(fi) : NULL, &st, &timeout);
        if (err)
                fuse_reply_err(req, -err);
        else
                fuse_reply_attr(req, &st, timeout);
}

/* access(2), chdir: the kernel asks us, as it leaves mode checks to the daemon. A queue:
 * its grant, then the kernel's own judgement of the caller against the real queue
 * (broker.h). The views are 1777, so they allow everything; the root is 0700, root's. */
int mqfs_do_access(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, int mask)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        if (!in)
                return -ESTALE;
        if (in->kind != MQFS_INODE_QUEUE) {
                bool refused = in->kind == MQFS_INODE_ROOT && mask != F_OK && cb->c.uid != 0;
                return refused ? -EACCES : 0;
        }
        int err = mqfs_broker_access(fs->broker, in->snap, &cb->c, in->queue, mask);
        if (err) {
                mqfs_note_denial(cb, in->snap, in->queue, "access");
                /* Gone under a cached entry: have the kernel look the name up again. */
                err = err == -ENOENT ? -ESTALE : err;
        }
        return err;
}

void mqfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
        struct caller_buf cb;

        mqfs_caller_lazy(req, &cb);
        fuse_reply_err(req, -mqfs_do_access(fs_of(req), &cb, ino, mask));
        mqfs_caller_release(&cb);
}

/* FUSE's setattr bits, in the broker's words. */
static unsigned change_of(int to_set)
{
        static const struct {
                int fuse;
                unsigned change;
        } bits[] = {
            {FUSE_SET_ATTR_MODE, MQFS_CHANGE_MODE},
            {FUSE_SET_ATTR_UID, MQFS_CHANGE_UID},
            {FUSE_SET_ATTR_GID, MQFS_CHANGE_GID},
            {FUSE_SET_ATTR_SIZE, MQFS_CHANGE_SIZE},
            {FUSE_SET_ATTR_ATIME, MQFS_CHANGE_ATIME},
            {FUSE_SET_ATTR_MTIME, MQFS_CHANGE_MTIME},
            {FUSE_SET_ATTR_ATIME_NOW, MQFS_CHANGE_ATIME_NOW},
            {FUSE_SET_ATTR_MTIME_NOW, MQFS_CHANGE_MTIME_NOW},
        };
        unsigned what = 0;
        for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
                if (to_set & bits[i].fuse)
                        what |= bits[i].change;
        return what;
}

/* The changes that check the caller's credentials (and so need its groups). */
static const unsigned judged_changes = MQFS_CHANGE_MODE | MQFS_CHANGE_UID | MQFS_CHANGE_GID |
                                       MQFS_CHANGE_SIZE | MQFS_CHANGE_ATIME | MQFS_CHANGE_MTIME;

/* chmod, chown, truncate, utimes: one broker call (mqfs_broker_change), which judges
 * what the kernel would check before a setattr, since the mount leaves mode checks to
 * us (no default_permissions), changes owner and mode all or nothing, then sets the
 * times as utimensat does. A size is accepted and changes nothing: a queue has no bytes
 * to cut (SPEC §5). h: the setattr came through an open file (ftruncate, the truncate
 * of an O_TRUNC open), which the kernel has checked allows writing; it acts on that
 * file's queue. fchmod, fchown and futimens come without their file: on an inode whose
 * name is gone they act on the queue its open files hold, as the kernel's do. */
int mqfs_do_setattr(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    const struct stat *attr, int to_set, struct mqfs_handle *h, struct stat *st)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        if (!in)
                return -ESTALE;
        if (in->kind != MQFS_INODE_QUEUE)
                return -EPERM;
        struct mqfs_change change = {
            .what = change_of(to_set),
            .mode = attr->st_mode & 07777,
            .uid = attr->st_uid,
            .gid = attr->st_gid,
            .through_file = h != NULL,
            .atime = attr->st_atim,
            .mtime = attr->st_mtim,
        };
        if (cb->groups_failed && (change.what & judged_changes)) {
                mqfs_note_denial(cb, in->snap, in->queue, "setattr");
                return -EACCES;
        }
        /* A name removed and made again outside the view holds another queue: the
         * change is for this inode's own (its open files'), as in getattr. */
        uint64_t id;
        if (!h && !in->detached && mqfs_broker_queue_id(fs->broker, in->queue, &id) == 0 &&
            !mqfs_queue_inode_holds(fs, in, id)) {
                h = mqfs_files_find(fs, ino);
                if (!h)
                        return -ESTALE;
                /* Detached, so kept while the kernel holds it (an open file's inode). */
                in = mqfs_inode_get(fs->inodes, ino);
                if (!in)
                        return -ESTALE;
        }
        if (!h && in->detached)
                h = mqfs_files_find(fs, ino);
        int err = h ? mqfs_broker_handle_change(fs->broker, h, &cb->c, &change, st)
                  : in->detached
                      ? -ESTALE
                      : mqfs_broker_change(fs->broker, in->snap, &cb->c, in->queue, &change, st);
        if (err == -ENOENT && !h && (h = mqfs_files_find(fs, ino)))
                err = mqfs_broker_handle_change(fs->broker, h, &cb->c, &change, st);
        if (err) {
                const char *op = (change.what & (MQFS_CHANGE_UID | MQFS_CHANGE_GID)) ? "chown"
                                 : (change.what & MQFS_CHANGE_MODE)                  ? "chmod"
                                                                    : "truncate/utime";
                mqfs_note_denial(cb, in->snap, in->queue, op);
                return err;
        }
        st->st_ino = in->ino;
        return 0;
}

void mqfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                     struct fuse_file_info *fi)
{
        struct caller_buf cb;
        struct stat st;

        if (change_of(to_set) & judged_changes)
                (void)mqfs_caller_full(req, &cb); /* a failure: cb.groups_failed */
        else
                mqfs_caller_plain(req, &cb);
        int err = mqfs_do_setattr(fs_of(req), &cb, ino, attr, to_set,
                                  fi ? mqfs_file_handle(fi) : NULL, &st);
        if (err)
                fuse_reply_err(req, -err);
        else
                fuse_reply_attr(req, &st, MQFS_QUEUE_ATTR_TIMEOUT);
        mqfs_caller_release(&cb);
}
