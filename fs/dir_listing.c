/* dir_listing.c — listing directories: the mount root (one directory per installed
 * snap, for the host's root only: root_guard.c) and a view (the queues that exist and
 * that the snap holds a grant for, names only). A listing is taken whole when reading
 * starts at offset 0, so that one `ls` sees one consistent state however many readdir
 * calls it takes. A view's listing is shared by every handle that starts reading while
 * no queue and no grant has changed (changes are known by the queue watch, whose unread
 * events make any shared listing out of date), so that handles cost listing memory once
 * a view, not once each. mqfs_do_X checks and fills; op_X replies (see names.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "budget.h"
#include "check.h"
#include "filesystem_internal.h"

static struct mqfs_filesystem *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

/* Lets one holder of shot go; the last one gives its bytes back and frees it. */
static void shot_put(struct listing_shot *shot)
{
        if (!shot)
                return;
        MQFS_CHECK(shot->refs > 0, "a listing let go more often than it was held");
        if (--shot->refs)
                return;
        if (shot->budget && shot->charged)
                mqfs_budget_give(shot->budget, MQFS_LIMIT_LISTING, shot->snap, shot->uid,
                                 shot->charged);
        free(shot->e);
        free(shot->names);
        free(shot->snap);
        free(shot);
}

/* The handle holds no listing any more. */
static void listing_drop(struct dir_listing *l)
{
        shot_put(l->shot);
        l->shot = NULL;
}

void mqfs_filesystem_share_listings(struct mqfs_filesystem *fs, int fd)
{
        fs->changes_fd = fd;
}

void mqfs_filesystem_listings_changed(struct mqfs_filesystem *fs)
{
        while (fs->shots) {
                struct listing_shot *shot = fs->shots;
                fs->shots = shot->next;
                shot->next = NULL;
                shot_put(shot);
        }
}

/* Changes of the backing mount were made that the daemon has not read yet (then no
 * listing taken before them may be handed out), or nobody tells it of changes. */
static bool changes_unread(const struct mqfs_filesystem *fs)
{
        int n = 0;
        return fs->changes_fd < 0 || ioctl(fs->changes_fd, FIONREAD, &n) != 0 || n > 0;
}

/* The view's listing to share, NULL when there is none or it may be out of date. */
static struct listing_shot *current_shot(const struct mqfs_filesystem *fs, const char *snap)
{
        if (changes_unread(fs))
                return NULL;
        for (struct listing_shot *shot = fs->shots; shot; shot = shot->next)
                if (strcmp(shot->snap, snap) == 0)
                        return shot;
        return NULL;
}

/* Makes shot the one handed to the next readers of its view (the one before it stays
 * with those reading it). */
static void share_shot(struct mqfs_filesystem *fs, struct listing_shot *shot)
{
        for (struct listing_shot **p = &fs->shots; *p; p = &(*p)->next)
                if (strcmp((*p)->snap, shot->snap) == 0) {
                        struct listing_shot *old = *p;
                        *p = old->next;
                        old->next = NULL;
                        shot_put(old);
                        break;
                }
        shot->refs++;
        shot->next = fs->shots;
        fs->shots = shot;
}

/* Charges the listing's growth to `to` bytes in all; -EMFILE past the
 * budget (the listing is then dropped by the caller). */
static int listing_charge(struct listing_shot *l, size_t to)
{
        if (!l->budget || to <= l->charged)
                return 0;
        int err = mqfs_budget_take(l->budget, MQFS_LIMIT_LISTING, l->snap, l->uid, to - l->charged);
        if (!err)
                l->charged = to;
        return err;
}

static int listing_add(struct listing_shot *l, mode_t type, const char *name)
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
        l->e[l->n++] = (struct dir_entry){.type = type, .name_off = l->names_used};
        l->names_used += len;
        return 0;
}

static int list_queue(void *ctx, const char *name)
{
        const char *entry = name[0] == '/' ? name + 1 : name;
        char q[MQFS_QNAME_MAX + 2];

        /* The kernel's mqueue filesystem holds only names its mq_open accepted. */
        MQFS_CHECK(mqfs_queue_name(entry, q) == 0,
                   "the backing mount lists a queue name the kernel refuses (%zu bytes)",
                   strlen(entry));
        return listing_add(ctx, S_IFREG, entry);
}

static int list_snap(void *ctx, const char *snap)
{
        return listing_add(ctx, S_IFDIR, snap);
}

static int fill_listing(struct mqfs_filesystem *fs, const struct mqfs_inode *dir,
                        struct listing_shot *l)
{
        int err = listing_add(l, S_IFDIR, ".");
        if (!err)
                err = listing_add(l, S_IFDIR, "..");
        if (err)
                return err;
        if (dir->kind == MQFS_INODE_VIEW) {
                /* Names only: readdir shows no attributes, and opening every queue
                 * to stat it cost 5 µs a queue (a listing of 10,000 took 50 ms). */
                err = mqfs_broker_list_names(fs->broker, dir->snap, list_queue, l);
                /* A view of a snap that was removed lists empty. */
                return err == -ENOENT ? 0 : err;
        }
        return mqfs_broker_list_snaps(fs->broker, list_snap, l);
}

/* The listing for a read at offset 0 into l: a view's shared one when nothing has
 * changed since it was taken, else a new one, charged to l's opener, and for a view
 * shared from then on. */
static int take_listing(struct mqfs_filesystem *fs, const struct mqfs_inode *dir,
                        struct dir_listing *l)
{
        listing_drop(l);
        struct listing_shot *shot =
            dir->kind == MQFS_INODE_VIEW ? current_shot(fs, dir->snap) : NULL;
        if (shot) {
                shot->refs++;
                l->shot = shot;
                return 0;
        }
        shot = calloc(1, sizeof(*shot));
        if (!shot)
                return -ENOMEM;
        shot->refs = 1;
        shot->budget = l->budget;
        shot->uid = l->uid;
        shot->snap = strdup(l->snap);
        int err = shot->snap ? fill_listing(fs, dir, shot) : -ENOMEM;
        if (err) {
                shot_put(shot);
                return err;
        }
        /* The names' addresses, now that the block has stopped moving. */
        for (size_t i = 0; i < shot->n; i++)
                shot->e[i].name = shot->names + shot->e[i].name_off;
        l->shot = shot;
        if (dir->kind == MQFS_INODE_VIEW && fs->changes_fd >= 0)
                share_shot(fs, shot);
        return 0;
}

/* The inode number of entry i of dir's listing, as the inode table gives it now (a name
 * listed earlier may have been forgotten and entered again since). */
static int entry_ino(struct mqfs_filesystem *fs, const struct mqfs_inode *dir,
                     const struct dir_entry *e, size_t i, uint64_t *ino)
{
        struct mqfs_inode *in;
        char q[MQFS_QNAME_MAX + 2];
        int err;

        if (i < 2) {
                *ino = i == 0 ? dir->ino : MQFS_ROOT_INO;
                return 0;
        }
        if (e->type == S_IFDIR)
                err = mqfs_inode_enter(fs->inodes, e->name, NULL, &in);
        else
                err =
                    mqfs_queue_name(e->name, q) ?: mqfs_inode_enter(fs->inodes, dir->snap, q, &in);
        if (!err)
                *ino = in->ino;
        return err;
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
        struct mqfs_filesystem *fs = fs_of(req);
        const struct mqfs_inode *dir = mqfs_inode_get(fs->inodes, ino); /* checked above */
        size_t used = 0, i, n = l->shot ? l->shot->n : 0;
        for (i = (size_t)off; i < n; i++) {
                const struct dir_entry *e = &l->shot->e[i];
                struct stat st = {.st_mode = e->type};
                uint64_t entry;
                err = entry_ino(fs, dir, e, i, &entry);
                if (err)
                        break;
                st.st_ino = entry;
                size_t need =
                    fuse_add_direntry(req, buf + used, size - used, e->name, &st, (off_t)(i + 1));
                if (need > size - used)
                        break;
                used += need;
        }
        /* Read to its end: the handle lets the listing go now, not at closedir (an idle
         * handle holds none; 38,000 handles once held 474 MB). A later read past the end
         * finds nothing either way; rewinddir takes the listing again. */
        if (i >= n)
                listing_drop(l);
        if (err && used == 0)
                fuse_reply_err(req, -err);
        else
                fuse_reply_buf(req, buf, used);
        free(buf);
}

void mqfs_dir_listing_free(struct dir_listing *l)
{
        if (l) {
                listing_drop(l);
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
