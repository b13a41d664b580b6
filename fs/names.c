/* names.c — names in the filesystem: lookup and forget, create and unlink of queues,
 * mknod of a regular file (a create), and the operations /dev/mqueue refuses (rename,
 * link, symlink, mkdir, mknod of anything else, rmdir).
 *
 * Each operation is split in two, as libfuse's passthrough_hp does: mqfs_do_X checks,
 * makes its one broker call and fills its out-parameters, returning 0 or -errno, and
 * can be run without a kernel; op_X turns the request into a caller, calls it, and
 * replies. The broker judges every grant question (SPEC §4, one judge); these
 * functions only translate. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "aa_label.h"
#include "perm.h"
#include "budget.h"
#include "filesystem_internal.h"

static struct mqfs_filesystem *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

int mqfs_queue_name(const char *entry, char out[MQFS_QNAME_MAX + 2])
{
        int err = mqfs_qname_check_entry(entry);

        if (err)
                return err;
        out[0] = '/';
        strcpy(out + 1, entry); /* length checked above */
        return 0;
}

void mqfs_dir_attr(const struct mqfs_filesystem *fs, const struct mqfs_inode *in, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = in->ino;
        st->st_mode = S_IFDIR | (in->kind == MQFS_INODE_ROOT ? 0700 : 01777);
        st->st_nlink = 2;
        st->st_uid = 0;
        st->st_gid = 0;
        st->st_atim = st->st_mtim = st->st_ctim = fs->born;
}

/* The inode of snap's queue q, whose name holds the backing queue queue_id now: the one
 * the name had, or a new one when that stood for a queue removed since outside the view
 * (mqfs_inode_holds). */
static int enter_queue(struct mqfs_inode_table *t, const char *snap, const char *q,
                       uint64_t queue_id, struct mqfs_inode **out)
{
        int err = mqfs_inode_enter(t, snap, q, out);

        if (err || mqfs_inode_holds(t, *out, queue_id))
                return err;
        err = mqfs_inode_enter(t, snap, q, out);
        if (!err)
                (*out)->queue_id = queue_id;
        return err;
}

int mqfs_do_lookup(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name, struct fuse_entry_param *e)
{
        struct mqfs_inode *dir = mqfs_inode_get(fs->inodes, parent);
        struct mqfs_inode *in;
        char q[MQFS_QNAME_MAX + 2];
        int err;

        memset(e, 0, sizeof(*e));
        if (!dir)
                return -ESTALE;
        switch (dir->kind) {
        case MQFS_INODE_ROOT:
                err = mqfs_root_guard(fs, &cb->c, name);
                if (err)
                        return err;
                if (!mqfs_broker_snap_installed(fs->broker, name))
                        return -ENOENT;
                err = mqfs_inode_enter(fs->inodes, name, NULL, &in);
                if (err)
                        return err;
                mqfs_dir_attr(fs, in, &e->attr);
                e->attr_timeout = MQFS_DIR_ATTR_TIMEOUT;
                /* Never cached, so that every walk through the root is checked above. */
                e->entry_timeout = 0;
                break;
        case MQFS_INODE_VIEW:
                err = mqfs_queue_name(name, q);
                if (err)
                        return err;
                err = mqfs_broker_stat(fs->broker, dir->snap, &cb->c, q, &e->attr);
                if (err) {
                        mqfs_note_denial(cb, dir->snap, q, "lookup");
                        return err;
                }
                err = enter_queue(fs->inodes, dir->snap, q, e->attr.st_ino, &in);
                if (err)
                        return err;
                e->attr.st_ino = in->ino;
                e->attr_timeout = MQFS_QUEUE_ATTR_TIMEOUT;
                e->entry_timeout = MQFS_ENTRY_TIMEOUT;
                break;
        default:
                return -ENOTDIR;
        }
        e->ino = in->ino;
        in->nlookup++;
        return 0;
}

void mqfs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct fuse_entry_param e;
        struct caller_buf cb;

        mqfs_caller_plain(req, &cb);
        int err = mqfs_do_lookup(fs, &cb, parent, name, &e);
        if (err)
                fuse_reply_err(req, -err);
        else if (fuse_reply_entry(req, &e) != 0)
                mqfs_inode_forget(fs->inodes, e.ino, 1);
}

void mqfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
        mqfs_inode_forget(fs_of(req)->inodes, ino, nlookup);
        fuse_reply_none(req);
}

void mqfs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        struct mqfs_filesystem *fs = fs_of(req);

        for (size_t i = 0; i < count; i++)
                mqfs_inode_forget(fs->inodes, forgets[i].ino, forgets[i].nlookup);
        fuse_reply_none(req);
}

/* What a create and an unlink in a view check before the broker: the parent is a view
 * (the root holds views only), the name is a queue name, and the caller's AppArmor label
 * fits the view. 0 with *dir and q filled in, or -errno. */
static int prepare_entry_change(struct mqfs_filesystem *fs, const struct caller_buf *cb,
                                fuse_ino_t parent, const char *name, const char *op,
                                struct mqfs_inode **dir, char q[MQFS_QNAME_MAX + 2])
{
        struct mqfs_inode *d = mqfs_inode_get(fs->inodes, parent);
        if (!d)
                return -ESTALE;
        /* In the root (views only, 0700): EPERM for root, EACCES for others, as the
         * kernel's directory check would say first. */
        if (d->kind == MQFS_INODE_ROOT)
                return cb->c.uid == 0 ? -EPERM : -EACCES;
        if (d->kind != MQFS_INODE_VIEW)
                return -ENOTDIR;
        int err = mqfs_queue_name(name, q);
        if (err)
                return err;
        err = mqfs_aa_label_check(fs->aa_labels, cb->c.pid, d->snap, q, op);
        if (err)
                return err;
        *dir = d;
        return 0;
}

int mqfs_do_create(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name, mode_t mode, int flags, struct mqfs_handle **h,
                   struct fuse_entry_param *e)
{
        struct mqfs_inode *dir = NULL;
        struct mqfs_inode *in;
        char q[MQFS_QNAME_MAX + 2];

        *h = NULL;
        memset(e, 0, sizeof(*e));
        int err = prepare_entry_change(fs, cb, parent, name, "create", &dir, q);
        if (err)
                return err;
        /* A create through a file needs only the create grant; the open file may then do
         * only what the grant allows (SPEC §4). */
        struct mqfs_open_req open = {
            .snap = dir->snap,
            .caller = &cb->c,
            .name = q,
            .oflag = (flags & (O_ACCMODE | O_EXCL)) | O_CREAT | O_NONBLOCK,
            .mode = mode & 07777,
        };
        err = mqfs_broker_open_req(fs->broker, &open, h, &e->attr);
        if (err) {
                mqfs_note_denial(cb, dir->snap, q, "create");
                return err;
        }
        err = enter_queue(fs->inodes, dir->snap, q, e->attr.st_ino, &in);
        if (err) {
                mqfs_handle_close(*h);
                *h = NULL;
                return err;
        }
        e->ino = in->ino;
        e->attr.st_ino = in->ino;
        e->attr_timeout = MQFS_QUEUE_ATTR_TIMEOUT;
        e->entry_timeout = MQFS_ENTRY_TIMEOUT;
        in->nlookup++;
        return 0;
}

void mqfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                    struct fuse_file_info *fi)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct fuse_entry_param e;
        struct mqfs_handle *h;
        struct caller_buf cb;

        /* Past the caller's open-files budget (budget.h) nothing is created: EMFILE
         * before the queue is made, as the kernel's open checks its descriptors first.
         * (The loop is one thread: the check holds until mqfs_file_attach charges.) */
        struct mqfs_inode *dir = mqfs_inode_get(fs->inodes, parent);
        if (fs->budget && dir && dir->snap) {
                uid_t uid = fuse_req_ctx(req)->uid;
                int err = mqfs_budget_take(fs->budget, MQFS_LIMIT_FILES, dir->snap, uid, 1);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
                mqfs_budget_give(fs->budget, MQFS_LIMIT_FILES, dir->snap, uid, 1);
        }
        /* The groups are read only if the broker finds they could matter (broker.h). */
        mqfs_caller_lazy(req, &cb);
        int err = mqfs_do_create(fs, &cb, parent, name, mode, fi->flags, &h, &e);
        if (!err) {
                err = mqfs_file_attach(fs, e.ino, h, fi); /* takes h, also on failure */
                if (err)
                        mqfs_inode_forget(fs->inodes, e.ino, 1);
        }
        if (err)
                fuse_reply_err(req, -err);
        else if (fuse_reply_create(req, &e, fi) != 0) {
                mqfs_file_detach(fs, fi);
                mqfs_inode_forget(fs->inodes, e.ino, 1);
        }
        mqfs_caller_release(&cb);
}

int mqfs_do_unlink(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name)
{
        struct mqfs_inode *dir = NULL;
        char q[MQFS_QNAME_MAX + 2];

        int err = prepare_entry_change(fs, cb, parent, name, "unlink", &dir, q);
        if (err)
                return err;
        err = mqfs_broker_unlink(fs->broker, dir->snap, &cb->c, q);
        mqfs_note_denial(cb, dir->snap, q, "unlink");
        /* With the grant, a refusal is the kernel's sticky-bit rule (the caller owns
         * neither queue nor directory), which unlink(2) gives as EPERM where mq_unlink
         * says EACCES. The VFS does not check it for us: FUSE hides the sticky bit from
         * it without default_permissions. */
        if (err == -EACCES && !cb->groups_failed && (cb->v.perms & MQFS_PERM_DELETE))
                err = -EPERM;
        if (err)
                return err;
        mqfs_own_unlink_note(fs, dir->ino, q);
        /* The files still open on the queue keep its inode; a queue made again under
         * the name gets a new one, as in the kernel's mqueuefs (inode.h). */
        struct mqfs_inode *qin = mqfs_inode_find(fs->inodes, dir->snap, q);
        if (qin)
                mqfs_inode_detach(fs->inodes, qin);
        return 0;
}

void mqfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct caller_buf cb;

        mqfs_caller_lazy(req, &cb);
        fuse_reply_err(req, -mqfs_do_unlink(fs_of(req), &cb, parent, name));
        mqfs_caller_release(&cb);
}

/* mknod of a regular file creates a queue, as the kernel's mqueuefs does (its mknod of a
 * regular file is its create): the create grant, like touch; the queue is not kept
 * open. Any other type, and rename, link, symlink, mkdir, rmdir: EPERM, as on
 * /dev/mqueue. */
void mqfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct fuse_entry_param e;
        struct mqfs_handle *h;
        struct caller_buf cb;

        (void)rdev;
        if (!S_ISREG(mode)) {
                fuse_reply_err(req, EPERM);
                return;
        }
        mqfs_caller_lazy(req, &cb);
        int err = mqfs_do_create(fs, &cb, parent, name, mode, O_RDONLY | O_EXCL, &h, &e);
        if (!err)
                mqfs_handle_close(h);
        if (err)
                fuse_reply_err(req, -err);
        else if (fuse_reply_entry(req, &e) != 0)
                mqfs_inode_forget(fs->inodes, e.ino, 1);
        mqfs_caller_release(&cb);
}

void mqfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
        (void)parent, (void)name, (void)mode;
        fuse_reply_err(req, EPERM);
}

void mqfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        (void)parent, (void)name;
        fuse_reply_err(req, EPERM);
}

void mqfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
        (void)link, (void)parent, (void)name;
        fuse_reply_err(req, EPERM);
}

void mqfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                    const char *newname, unsigned int flags)
{
        (void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
        fuse_reply_err(req, EPERM);
}

void mqfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
        (void)ino, (void)newparent, (void)newname;
        fuse_reply_err(req, EPERM);
}
