/* dir_listing.c — listing directories: the mount root (one directory per installed
 * snap, for the host's root only: root_guard.c) and a view (the queues that exist and
 * that the snap holds a grant for, names only). A listing is taken whole when reading
 * starts at offset 0, so that one `ls` sees one consistent state however many readdir
 * calls it takes. mqfs_do_X checks and fills; op_X replies (see names.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "budget.h"
#include "check.h"
#include "filesystem_internal.h"

static struct mqfs_filesystem *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

/* Drops the listing's memory (the handle stays) and gives its bytes back. */
static void listing_clear(struct dir_listing *l)
{
        free(l->e);
        free(l->names);
        l->e = NULL;
        l->names = NULL;
        l->n = l->cap = l->names_used = l->names_cap = 0;
        if (l->budget && l->charged)
                mqfs_budget_give(l->budget, MQFS_LIMIT_LISTING, l->snap, l->uid, l->charged);
        l->charged = 0;
}

/* Charges the listing's growth to `to` bytes in all; -EMFILE past the
 * budget (the listing is then dropped by the caller). */
static int listing_charge(struct dir_listing *l, size_t to)
{
        if (!l->budget || to <= l->charged)
                return 0;
        int err = mqfs_budget_take(l->budget, MQFS_LIMIT_LISTING, l->snap, l->uid, to - l->charged);
        if (!err)
                l->charged = to;
        return err;
}

static int listing_add(struct dir_listing *l, uint64_t ino, mode_t type, const char *name)
{
        size_t len = strlen(name) + 1;
        if (l->n == l->cap || l->names_used + len > l->names_cap) {
                size_t cap = l->n == l->cap ? (l->cap ? l->cap * 2 : 16) : l->cap;
                size_t names_cap = l->names_cap;
                while (l->names_used + len > names_cap)
                        names_cap = names_cap ? names_cap * 2 : 256;
                int err = listing_charge(l, cap * sizeof(*l->e) + names_cap);
                if (err)
                        return err;
                if (cap != l->cap) {
                        struct dir_entry *e = realloc(l->e, cap * sizeof(*e));
                        if (!e)
                                return -ENOMEM;
                        l->e = e;
                        l->cap = cap;
                }
                if (names_cap != l->names_cap) {
                        char *names = realloc(l->names, names_cap);
                        if (!names)
                                return -ENOMEM;
                        l->names = names;
                        l->names_cap = names_cap;
                }
        }
        memcpy(l->names + l->names_used, name, len);
        l->e[l->n++] = (struct dir_entry){.ino = ino, .type = type, .name_off = l->names_used};
        l->names_used += len;
        return 0;
}

struct list_ctx {
        struct mqfs_filesystem *fs;
        struct dir_listing *l;
        const char *snap;
};

static int list_queue(void *ctx_, const char *name)
{
        struct list_ctx *ctx = ctx_;
        struct mqfs_inode *in;
        const char *entry = name[0] == '/' ? name + 1 : name;
        char q[MQFS_QNAME_MAX + 2];

        /* The kernel's mqueue filesystem holds only names its mq_open accepted. */
        MQFS_CHECK(mqfs_queue_name(entry, q) == 0,
                   "the backing mount lists a queue name the kernel refuses (%zu bytes)",
                   strlen(entry));
        int err = mqfs_inode_enter(ctx->fs->inodes, ctx->snap, q, &in);
        if (err)
                return err;
        return listing_add(ctx->l, in->ino, S_IFREG, entry);
}

struct snap_list_ctx {
        struct mqfs_filesystem *fs;
        struct dir_listing *l;
};

static int list_snap(void *ctx_, const char *snap)
{
        struct snap_list_ctx *ctx = ctx_;
        struct mqfs_inode *in;
        int err = mqfs_inode_enter(ctx->fs->inodes, snap, NULL, &in);
        return err ? err : listing_add(ctx->l, in->ino, S_IFDIR, snap);
}

static int fill_listing(struct mqfs_filesystem *fs, const struct mqfs_inode *dir,
                        struct dir_listing *l)
{
        int err;

        listing_clear(l);
        err = listing_add(l, dir->ino, S_IFDIR, ".");
        if (!err)
                err = listing_add(l, MQFS_ROOT_INO, S_IFDIR, "..");
        if (err)
                return err;
        if (dir->kind == MQFS_INODE_VIEW) {
                struct list_ctx ctx = {.fs = fs, .l = l, .snap = dir->snap};
                /* Names only: readdir shows no attributes, and opening every queue
                 * to stat it cost 5 µs a queue (a listing of 10,000 took 50 ms). */
                err = mqfs_broker_list_names(fs->broker, dir->snap, list_queue, &ctx);
                /* A view of a snap that was removed lists empty. */
                return err == -ENOENT ? 0 : err;
        }
        struct snap_list_ctx ctx = {.fs = fs, .l = l};
        return mqfs_broker_list_snaps(fs->broker, list_snap, &ctx);
}

/* fill_listing, then the names' addresses (the block may have moved while growing). */
static int take_listing(struct mqfs_filesystem *fs, const struct mqfs_inode *dir,
                        struct dir_listing *l)
{
        int err = fill_listing(fs, dir, l);
        if (err) {
                listing_clear(l);
                return err;
        }
        for (size_t i = 0; i < l->n; i++)
                l->e[i].name = l->names + l->e[i].name_off;
        return 0;
}

int mqfs_do_opendir(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    struct dir_listing **out)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        *out = NULL;
        if (!in)
                return -ESTALE;
        if (in->kind == MQFS_INODE_QUEUE)
                return -ENOTDIR;
        int err = in->kind == MQFS_INODE_ROOT ? mqfs_root_guard(fs, &cb->c, NULL) : 0;
        if (err)
                return err;
        struct dir_listing *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->uid = cb->c.uid;
        l->snap = strdup(in->snap ? in->snap : "");
        if (!l->snap) {
                free(l);
                return -ENOMEM;
        }
        if (fs->budget) {
                err = mqfs_budget_take(fs->budget, MQFS_LIMIT_DIRS, l->snap, l->uid, 1);
                if (err) {
                        free(l->snap);
                        free(l);
                        return err;
                }
                l->budget = fs->budget;
        }
        *out = l;
        return 0;
}

void mqfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct dir_listing *l;
        struct caller_buf cb;

        mqfs_caller_plain(req, &cb);
        int err = mqfs_do_opendir(fs_of(req), &cb, ino, &l);
        if (err) {
                fuse_reply_err(req, -err);
                return;
        }
        fi->fh = (uintptr_t)l;
        if (fuse_reply_open(req, fi) != 0) {
                mqfs_dir_listing_free(l);
                fi->fh = 0;
        }
}

int mqfs_do_readdir(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, off_t off,
                    struct dir_listing *l)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        if (!in)
                return -ESTALE;
        if (off < 0)
                return -EINVAL;
        if (off != 0)
                return 0;
        /* Also here: a descriptor of the root may have been passed to a snap. */
        int err = in->kind == MQFS_INODE_ROOT ? mqfs_root_guard(fs, &cb->c, NULL) : 0;
        return err ? err : take_listing(fs, in, l);
}

void mqfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
        struct dir_listing *l = (struct dir_listing *)(uintptr_t)fi->fh;
        struct caller_buf cb;

        mqfs_caller_plain(req, &cb);
        int err = mqfs_do_readdir(fs_of(req), &cb, ino, off, l);
        if (err) {
                fuse_reply_err(req, -err);
                return;
        }
        if (size > 1 << 20)
                size = 1 << 20;
        char *buf = malloc(size ? size : 1);
        if (!buf) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        size_t used = 0, i;
        for (i = (size_t)off; i < l->n; i++) {
                struct stat st = {.st_ino = l->e[i].ino, .st_mode = l->e[i].type};
                size_t need = fuse_add_direntry(req, buf + used, size - used, l->e[i].name, &st,
                                                (off_t)(i + 1));
                if (need > size - used)
                        break;
                used += need;
        }
        /* Read to its end: the listing goes now, not at closedir (an open, idle handle
         * holds no listing; 38,000 handles once held 474 MB). A later read past the end
         * finds nothing either way; rewinddir takes a new one. */
        if (i >= l->n)
                listing_clear(l);
        fuse_reply_buf(req, buf, used);
        free(buf);
}

void mqfs_dir_listing_free(struct dir_listing *l)
{
        if (l) {
                listing_clear(l);
                if (l->budget)
                        mqfs_budget_give(l->budget, MQFS_LIMIT_DIRS, l->snap, l->uid, 1);
                free(l->snap);
                free(l);
        }
}

void mqfs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)ino;
        mqfs_dir_listing_free((struct dir_listing *)(uintptr_t)fi->fh);
        fuse_reply_err(req, 0);
}
