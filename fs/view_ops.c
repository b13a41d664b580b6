/* view_ops.c — names, attributes and directories of the views (SPEC §5); the open
 * files are in file_ops.c.
 *
 * Caching, chosen deliberately:
 * - Positive entries of queues in a view are cached for MQFS_ENTRY_TIMEOUT. They are
 *   invalidated when they become wrong: a grant withdrawn or a snap removed
 *   (mqfs_view_fs_grants_changed, diffing the old and new grant tables), a queue
 *   removed outside the view (inotify on the backing mount,
 *   mqfs_view_fs_queue_changed), or lost inotify events (all granted names). Until the
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
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "aa_label.h"
#include "grants.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "perm.h"
#include "qname.h"
#include "reload.h"
#include "view_internal.h"

static struct mqfs_view_fs *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

void mqfs_caller_plain(fuse_req_t req, struct caller_buf *cb)
{
        const struct fuse_ctx *ctx = fuse_req_ctx(req);

        cb->c = (struct mqfs_caller){
            .uid = ctx->uid,
            .gid = ctx->gid,
            .pid = ctx->pid,
            .verdict = &cb->v,
        };
        cb->v.perms = 0;
        cb->v.denial[0] = '\0';
        cb->req = req;
        cb->big = NULL;
        cb->groups_failed = false;
}

static int read_groups(struct caller_buf *cb)
{
        gid_t *list = cb->small;
        int size = (int)(sizeof(cb->small) / sizeof(cb->small[0]));

        cb->c.load_groups = NULL;
        for (;;) {
                int n = fuse_req_getgroups(cb->req, size, list);
                if (n < 0)
                        return n;
                if (n <= size) {
                        cb->c.ngroups = (size_t)n;
                        cb->c.groups = n ? list : NULL;
                        return 0;
                }
                /* More groups than room: grow and read again (they may change between
                 * the two reads, hence the loop). */
                free(cb->big);
                cb->big = malloc((size_t)n * sizeof(*cb->big));
                if (!cb->big)
                        return -ENOMEM;
                list = cb->big;
                size = n;
        }
}

int mqfs_caller_full(fuse_req_t req, struct caller_buf *cb)
{
        mqfs_caller_plain(req, cb);
        int err = read_groups(cb);
        cb->groups_failed = err != 0;
        return err;
}

static int load_groups(void *ctx)
{
        struct caller_buf *cb = ctx;

        if (read_groups(cb) == 0)
                return 0;
        cb->groups_failed = true;
        return -EACCES;
}

void mqfs_caller_lazy(fuse_req_t req, struct caller_buf *cb)
{
        mqfs_caller_plain(req, cb);
        cb->c.load_groups = load_groups;
        cb->c.load_ctx = cb;
}

void mqfs_caller_release(struct caller_buf *cb)
{
        free(cb->big);
        cb->big = NULL;
}

void mqfs_log_verdict(const struct mqfs_verdict *v, const char *snap, const char *queue,
                      const char *operation)
{
        if (v->denial[0] != '\0')
                mqfs_log_denial(snap, queue, operation, v->denial);
}

void mqfs_note_denial(const struct caller_buf *cb, const char *snap, const char *queue,
                      const char *operation)
{
        if (cb->groups_failed)
                mqfs_log_denial(snap, queue, operation,
                                "the caller's supplementary groups cannot be read");
        else
                mqfs_log_verdict(&cb->v, snap, queue, operation);
}

const char *mqfs_view_fs_root_snap(struct mqfs_view_fs *fs, uint64_t dev, uint64_t ino)
{
        if (fs->mount_dev == 0 || dev != fs->mount_dev)
                return NULL;
        const struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        return in && in->kind == MQFS_INODE_VIEW ? in->snap : NULL;
}

/* "/" + entry, checked as the kernel would check the name. */
static int queue_name(const char *entry, char out[MQFS_QNAME_MAX + 2])
{
        int err = mqfs_qname_check_entry(entry);

        if (err)
                return err;
        out[0] = '/';
        strcpy(out + 1, entry); /* length checked above */
        return 0;
}

static void dir_attr(const struct mqfs_view_fs *fs, const struct mqfs_inode *in, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = in->ino;
        st->st_mode = S_IFDIR | (in->kind == MQFS_INODE_ROOT ? 0700 : 01777);
        st->st_nlink = 2;
        st->st_uid = 0;
        st->st_gid = 0;
        st->st_atim = st->st_mtim = st->st_ctim = fs->born;
}

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
static int check_root_caller(fuse_req_t req, struct mqfs_view_fs *fs, const char *name)
{
        const struct fuse_ctx *ctx = fuse_req_ctx(req);
        pid_t pid = ctx->pid;
        char reason[160];

        /* The root's mode (0700, root's) is ours to enforce: the kernel leaves mode
         * checks to the daemon (no default_permissions, mqfsd.c says why). */
        if (ctx->uid != 0) {
                snprintf(reason, sizeof(reason),
                         "the mount root is root's only (mode 0700) and the caller runs as "
                         "uid %u; a snap reaches its own view at /dev/mqueue",
                         (unsigned)ctx->uid);
                mqfs_log_denial(name ? name : "-", NULL,
                                name ? "lookup in the mount root" : "listing of the mount root",
                                reason);
                return -EACCES;
        }
        int err = mqfs_caller_ns_check(&fs->host, pid);
        if (!err)
                return 0;
        snprintf(reason, sizeof(reason),
                 "the caller (pid %d) is not in the host's mount namespace (%s); a snap "
                 "reaches its own view at /dev/mqueue",
                 (int)pid, err == -EACCES ? "it is in another" : "cannot tell which it is in");
        mqfs_log_denial(name ? name : "-", NULL,
                        name ? "lookup in the mount root" : "listing of the mount root", reason);
        return -EACCES;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        (void)userdata;
        /* Each write() must arrive whole, as one message: no writeback cache. */
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *dir = mqfs_inode_get(fs->inodes, parent);
        struct fuse_entry_param e;
        struct mqfs_inode *in;
        char q[MQFS_QNAME_MAX + 2];
        int err;

        memset(&e, 0, sizeof(e));
        if (!dir) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        switch (dir->kind) {
        case MQFS_INODE_ROOT:
                err = check_root_caller(req, fs, name);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
                if (!mqfs_broker_snap_installed(fs->broker, name)) {
                        fuse_reply_err(req, ENOENT);
                        return;
                }
                err = mqfs_inode_enter(fs->inodes, name, NULL, &in);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
                dir_attr(fs, in, &e.attr);
                e.attr_timeout = MQFS_DIR_ATTR_TIMEOUT;
                /* Never cached, so that every walk through the root is checked above. */
                e.entry_timeout = 0;
                break;
        case MQFS_INODE_VIEW: {
                err = queue_name(name, q);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
                struct caller_buf cb;
                mqfs_caller_plain(req, &cb);
                err = mqfs_broker_stat(fs->broker, dir->snap, &cb.c, q, &e.attr);
                if (err) {
                        mqfs_note_denial(&cb, dir->snap, q, "lookup");
                        fuse_reply_err(req, -err);
                        return;
                }
                err = mqfs_inode_enter(fs->inodes, dir->snap, q, &in);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
                e.attr.st_ino = in->ino;
                e.attr_timeout = MQFS_QUEUE_ATTR_TIMEOUT;
                e.entry_timeout = MQFS_ENTRY_TIMEOUT;
                break;
        }
        default:
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        e.ino = in->ino;
        in->nlookup++;
        if (fuse_reply_entry(req, &e) != 0)
                mqfs_inode_forget(fs->inodes, in->ino, 1);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
        mqfs_inode_forget(fs_of(req)->inodes, ino, nlookup);
        fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        struct mqfs_view_fs *fs = fs_of(req);

        for (size_t i = 0; i < count; i++)
                mqfs_inode_forget(fs->inodes, forgets[i].ino, forgets[i].nlookup);
        fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        struct stat st;

        if (!in) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (in->kind != MQFS_INODE_QUEUE) {
                /* A view whose snap was removed stays an empty directory while the
                 * kernel still holds it (it may be bind-mounted in a snap). */
                dir_attr(fs, in, &st);
                fuse_reply_attr(req, &st, MQFS_DIR_ATTR_TIMEOUT);
                return;
        }
        /* With an open file (FUSE passes one when refreshing attributes for I/O): the
         * queue that file holds, even when it has lost its name since. */
        struct mqfs_handle *h = fi ? mqfs_file_handle(fi) : NULL;
        struct caller_buf cb;
        mqfs_caller_plain(req, &cb);
        int err = h ? mqfs_broker_handle_stat(fs->broker, h, &st)
                    : mqfs_broker_stat(fs->broker, in->snap, &cb.c, in->queue, &st);
        /* fstat comes without the file. A queue unlinked outside lives on while files
         * are open on it, and the kernel's fstat of such a file answers (st_nlink 0): so
         * when the name is gone, answer from an open file of this inode. (A new queue of
         * the same name has the same inode here; then its attributes are shown.) */
        if (err == -ENOENT && !h && (h = mqfs_files_find(fs, in->snap, in->queue)))
                err = mqfs_broker_handle_stat(fs->broker, h, &st);
        if (err) {
                mqfs_note_denial(&cb, in->snap, in->queue, "stat");
                /* The name is gone (removed outside, or its grant withdrawn) but the
                 * kernel still holds its entry: the invalidation is asynchronous and may
                 * land later. ESTALE makes the kernel look the name up again and redo the
                 * system call once (LOOKUP_REVAL), so the caller sees what the name is
                 * now: ENOENT for stat, a new queue for open(O_CREAT). Only a call on a
                 * descriptor without a path (fstat of an O_PATH one) sees ESTALE. */
                fuse_reply_err(req, err == -ENOENT ? ESTALE : -err);
                return;
        }
        st.st_ino = in->ino;
        fuse_reply_attr(req, &st, MQFS_QUEUE_ATTR_TIMEOUT);
}

/* access(2), chdir: the kernel asks us, as it leaves mode checks to the daemon. A queue:
 * its grant, then the kernel's own judgement of the caller against the real queue
 * (broker.h). The views are 1777, so they allow everything; the root is 0700, root's. */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        struct caller_buf cb;

        if (!in) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (in->kind != MQFS_INODE_QUEUE) {
                bool refused =
                    in->kind == MQFS_INODE_ROOT && mask != F_OK && fuse_req_ctx(req)->uid != 0;
                fuse_reply_err(req, refused ? EACCES : 0);
                return;
        }
        mqfs_caller_lazy(req, &cb);
        int err = mqfs_broker_access(fs->broker, in->snap, &cb.c, in->queue, mask);
        if (err) {
                mqfs_note_denial(&cb, in->snap, in->queue, "access");
                /* Gone under a cached entry: have the kernel look the name up again. */
                err = err == -ENOENT ? -ESTALE : err;
        }
        fuse_reply_err(req, -err);
        mqfs_caller_release(&cb);
}

/* chmod, chown, truncate, utimes: one broker call (mqfs_broker_change), which judges
 * what the kernel would check before a setattr, since the mount leaves mode checks to
 * us (no default_permissions). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        struct caller_buf cb = {.big = NULL};
        struct stat st;
        int err = 0;

        if (!in) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (in->kind != MQFS_INODE_QUEUE) {
                fuse_reply_err(req, EPERM);
                return;
        }
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
        struct mqfs_change change = {
            .mode = attr->st_mode & 07777,
            .uid = attr->st_uid,
            .gid = attr->st_gid,
            .through_file = fi != NULL,
        };
        for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
                if (to_set & bits[i].fuse)
                        change.what |= bits[i].change;
        const unsigned judged = MQFS_CHANGE_MODE | MQFS_CHANGE_UID | MQFS_CHANGE_GID |
                                MQFS_CHANGE_SIZE | MQFS_CHANGE_ATIME | MQFS_CHANGE_MTIME;
        if (change.what & judged) {
                err = mqfs_caller_full(req, &cb);
                if (err) {
                        mqfs_note_denial(&cb, in->snap, in->queue, "setattr");
                        err = -EACCES;
                        goto reply;
                }
        } else {
                mqfs_caller_plain(req, &cb);
        }
        /* Size (truncate, O_TRUNC) and times are accepted and change nothing: a queue
         * has no bytes to cut, and its times are the kernel's (SPEC §5). Who may ask
         * is still checked, as the kernel would. */
        err = mqfs_broker_change(fs->broker, in->snap, &cb.c, in->queue, &change, &st);
        if (err)
                mqfs_note_denial(&cb, in->snap, in->queue,
                                 (change.what & (MQFS_CHANGE_UID | MQFS_CHANGE_GID)) ? "chown"
                                 : (change.what & MQFS_CHANGE_MODE)                  ? "chmod"
                                                                    : "truncate/utime");
reply:
        if (err) {
                fuse_reply_err(req, -err);
        } else {
                st.st_ino = in->ino;
                fuse_reply_attr(req, &st, MQFS_QUEUE_ATTR_TIMEOUT);
        }
        mqfs_caller_release(&cb);
}

/* A directory listing, taken whole when reading starts at offset 0, so that one
 * `ls` sees one consistent state however many readdir calls it takes. */
struct dir_entry {
        uint64_t ino;
        mode_t type;
        char *name;
};

struct dir_listing {
        size_t n, cap;
        struct dir_entry *e;
};

static void listing_clear(struct dir_listing *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->e[i].name);
        l->n = 0;
}

static int listing_add(struct dir_listing *l, uint64_t ino, mode_t type, const char *name)
{
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                struct dir_entry *e = realloc(l->e, cap * sizeof(*e));
                if (!e)
                        return -ENOMEM;
                l->e = e;
                l->cap = cap;
        }
        char *copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        l->e[l->n++] = (struct dir_entry){.ino = ino, .type = type, .name = copy};
        return 0;
}

struct list_ctx {
        struct mqfs_view_fs *fs;
        struct dir_listing *l;
        const char *snap;
};

static int list_queue(void *ctx_, const char *name)
{
        struct list_ctx *ctx = ctx_;
        struct mqfs_inode *in;
        const char *entry = name[0] == '/' ? name + 1 : name;
        char q[MQFS_QNAME_MAX + 2];

        if (queue_name(entry, q) != 0)
                return 0; /* cannot happen for a name the kernel holds; skip it */
        int err = mqfs_inode_enter(ctx->fs->inodes, ctx->snap, q, &in);
        if (err)
                return err;
        return listing_add(ctx->l, in->ino, S_IFREG, entry);
}

struct snap_list_ctx {
        struct mqfs_view_fs *fs;
        struct dir_listing *l;
};

static int list_snap(void *ctx_, const char *snap)
{
        struct snap_list_ctx *ctx = ctx_;
        struct mqfs_inode *in;
        int err = mqfs_inode_enter(ctx->fs->inodes, snap, NULL, &in);
        return err ? err : listing_add(ctx->l, in->ino, S_IFDIR, snap);
}

static int fill_listing(struct mqfs_view_fs *fs, const struct mqfs_inode *dir,
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

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        if (!in) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (in->kind == MQFS_INODE_QUEUE) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        int err = in->kind == MQFS_INODE_ROOT ? check_root_caller(req, fs, NULL) : 0;
        if (err) {
                fuse_reply_err(req, -err);
                return;
        }
        struct dir_listing *l = calloc(1, sizeof(*l));
        if (!l) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        fi->fh = (uintptr_t)l;
        if (fuse_reply_open(req, fi) != 0) {
                free(l);
                fi->fh = 0;
        }
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);
        struct dir_listing *l = (struct dir_listing *)(uintptr_t)fi->fh;
        int err;

        if (!in) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (off < 0) {
                fuse_reply_err(req, EINVAL);
                return;
        }
        if (off == 0) {
                /* Also here: a descriptor of the root may have been passed to a snap. */
                err = in->kind == MQFS_INODE_ROOT ? check_root_caller(req, fs, NULL) : 0;
                if (!err)
                        err = fill_listing(fs, in, l);
                if (err) {
                        fuse_reply_err(req, -err);
                        return;
                }
        }
        if (size > 1 << 20)
                size = 1 << 20;
        char *buf = malloc(size ? size : 1);
        if (!buf) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        size_t used = 0;
        for (size_t i = (size_t)off; i < l->n; i++) {
                struct stat st = {.st_ino = l->e[i].ino, .st_mode = l->e[i].type};
                size_t need = fuse_add_direntry(req, buf + used, size - used, l->e[i].name, &st,
                                                (off_t)(i + 1));
                if (need > size - used)
                        break;
                used += need;
        }
        fuse_reply_buf(req, buf, used);
        free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct dir_listing *l = (struct dir_listing *)(uintptr_t)fi->fh;

        (void)ino;
        if (l) {
                listing_clear(l);
                free(l->e);
                free(l);
        }
        fuse_reply_err(req, 0);
}

/* What a create and an unlink in a view check before the broker: the parent is a view
 * (the root holds views only), the name is a queue name, and the caller's AppArmor label
 * fits the view. The caller's supplementary groups are read only if the broker finds
 * they could matter (broker.h); see groups_unreadable after the call. 0 with *dir, q and
 * cb filled in, or -errno to reply. */
static int prepare_entry_change(fuse_req_t req, struct mqfs_view_fs *fs, fuse_ino_t parent,
                                const char *name, const char *op, struct mqfs_inode **dir,
                                char q[MQFS_QNAME_MAX + 2], struct caller_buf *cb)
{
        struct mqfs_inode *d = mqfs_inode_get(fs->inodes, parent);
        if (!d)
                return -ESTALE;
        /* In the root (views only, 0700): EPERM for root, EACCES for others, as the
         * kernel's directory check would say first. */
        if (d->kind == MQFS_INODE_ROOT)
                return fuse_req_ctx(req)->uid == 0 ? -EPERM : -EACCES;
        if (d->kind != MQFS_INODE_VIEW)
                return -ENOTDIR;
        int err = queue_name(name, q);
        if (err)
                return err;
        err = mqfs_aa_label_check(fs->aa_labels, fuse_req_ctx(req)->pid, d->snap, q, op);
        if (err)
                return err;
        mqfs_caller_lazy(req, cb);
        *dir = d;
        return 0;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *dir = NULL;
        struct fuse_entry_param e;
        struct mqfs_handle *h = NULL;
        struct mqfs_inode *in;
        struct caller_buf cb = {.big = NULL};
        char q[MQFS_QNAME_MAX + 2];
        int err;

        memset(&e, 0, sizeof(e));
        err = prepare_entry_change(req, fs, parent, name, "create", &dir, q, &cb);
        if (err)
                goto out;
        /* A create through a file needs only the create grant; the open file may then do
         * only what the grant allows (SPEC §4). */
        struct mqfs_open_req open = {
            .snap = dir->snap,
            .caller = &cb.c,
            .name = q,
            .oflag = (fi->flags & (O_ACCMODE | O_EXCL)) | O_CREAT | O_NONBLOCK,
            .mode = mode & 07777,
        };
        err = mqfs_broker_open_req(fs->broker, &open, &h, &e.attr);
        if (err) {
                mqfs_note_denial(&cb, dir->snap, q, "create");
                goto out;
        }
        err = mqfs_inode_enter(fs->inodes, dir->snap, q, &in);
        if (err) {
                mqfs_handle_close(h);
                goto out;
        }
        err = mqfs_file_attach(fs, h, fi); /* takes h, also on failure */
        if (err)
                goto out;
        e.ino = in->ino;
        e.attr.st_ino = in->ino;
        e.attr_timeout = MQFS_QUEUE_ATTR_TIMEOUT;
        e.entry_timeout = MQFS_ENTRY_TIMEOUT;
        in->nlookup++;
        if (fuse_reply_create(req, &e, fi) != 0) {
                mqfs_file_detach(fs, fi);
                mqfs_inode_forget(fs->inodes, in->ino, 1);
        }
out:
        if (err)
                fuse_reply_err(req, -err);
        mqfs_caller_release(&cb);
}

/* Remembers an unlink through view (see own_unlinks in view_ops.h). When the list is
 * full the event invalidates as usual: one needless round trip, nothing wrong. */
static void note_own_unlink(struct mqfs_view_fs *fs, uint64_t view, const char *q)
{
        size_t max = sizeof(fs->own_unlinks) / sizeof(fs->own_unlinks[0]);

        if (fs->nown_unlinks == max)
                return;
        fs->own_unlinks[fs->nown_unlinks].view = view;
        snprintf(fs->own_unlinks[fs->nown_unlinks].name,
                 sizeof(fs->own_unlinks[fs->nown_unlinks].name), "%s", q);
        fs->nown_unlinks++;
}

/* Whether the removal of q seen now was an unlink through view; forgets it if so (each
 * unlink makes one event, and events come in order). */
static bool was_own_unlink(struct mqfs_view_fs *fs, uint64_t view, const char *q)
{
        for (size_t i = 0; i < fs->nown_unlinks; i++) {
                if (fs->own_unlinks[i].view != view || strcmp(fs->own_unlinks[i].name, q) != 0)
                        continue;
                fs->own_unlinks[i] = fs->own_unlinks[--fs->nown_unlinks];
                return true;
        }
        return false;
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct mqfs_view_fs *fs = fs_of(req);
        struct mqfs_inode *dir = NULL;
        struct caller_buf cb = {.big = NULL};
        char q[MQFS_QNAME_MAX + 2];

        int err = prepare_entry_change(req, fs, parent, name, "unlink", &dir, q, &cb);
        if (!err) {
                err = mqfs_broker_unlink(fs->broker, dir->snap, &cb.c, q);
                mqfs_note_denial(&cb, dir->snap, q, "unlink");
                /* With the grant, a refusal is the kernel's sticky-bit rule (the caller
                 * owns neither queue nor directory), which unlink(2) gives as EPERM
                 * where mq_unlink says EACCES. The VFS does not check it for us: FUSE
                 * hides the sticky bit from it without default_permissions. */
                if (err == -EACCES && !cb.groups_failed && (cb.v.perms & MQFS_PERM_DELETE))
                        err = -EPERM;
                if (!err)
                        note_own_unlink(fs, dir->ino, q);
        }
        fuse_reply_err(req, -err);
        mqfs_caller_release(&cb);
}

/* rename, link, symlink, mkdir, mknod, rmdir: EPERM, as on /dev/mqueue. */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
        (void)parent, (void)name, (void)mode, (void)rdev;
        fuse_reply_err(req, EPERM);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
        (void)parent, (void)name, (void)mode;
        fuse_reply_err(req, EPERM);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        (void)parent, (void)name;
        fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
        (void)link, (void)parent, (void)name;
        fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
        (void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
        fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
        (void)ino, (void)newparent, (void)newname;
        fuse_reply_err(req, EPERM);
}

static const struct fuse_lowlevel_ops view_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .access = op_access,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = mqfs_file_open,
    .read = mqfs_file_read,
    .write = mqfs_file_write,
    .release = mqfs_file_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .create = op_create,
    .poll = mqfs_file_poll,
};

const struct fuse_lowlevel_ops *mqfs_view_ops(void)
{
        return &view_ops;
}

int mqfs_view_fs_init(struct mqfs_view_fs *fs, struct mqfs_broker *broker, struct mqfs_loop *loop)
{
        memset(fs, 0, sizeof(*fs));
        fs->broker = broker;
        fs->loop = loop;
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

void mqfs_view_fs_destroy(struct mqfs_view_fs *fs)
{
        mqfs_files_free(fs);
        mqfs_inode_table_free(fs->inodes);
        fs->inodes = NULL;
        mqfs_caller_ns_close(&fs->host);
}

static void inval_entry(struct mqfs_view_fs *fs, uint64_t parent, const char *name)
{
        if (fs->notifier)
                (void)mqfs_notifier_inval_entry(fs->notifier, parent, name);
}

static void on_grant_change(void *ctx, const char *snap, const char *queue, unsigned old_perms,
                            unsigned new_perms)
{
        struct mqfs_view_fs *fs = ctx;

        (void)new_perms;
        if (!queue) {
                inval_entry(fs, MQFS_ROOT_INO, snap);
                return;
        }
        /* Only a grant that shrank can leave a wrong entry behind: misses are never
         * cached, and queue attributes never. */
        if (!(old_perms & ~new_perms))
                return;
        struct mqfs_inode *view = mqfs_inode_find(fs->inodes, snap, NULL);
        if (view)
                inval_entry(fs, view->ino, queue + 1);
}

struct prune_ctx {
        const struct mqfs_grants *g;
};

static bool still_granted(void *ctx_, const struct mqfs_inode *in)
{
        struct prune_ctx *ctx = ctx_;
        const struct mqfs_view *v = ctx->g ? mqfs_grants_view(ctx->g, in->snap) : NULL;

        if (in->kind == MQFS_INODE_VIEW)
                return v != NULL;
        return mqfs_view_perms(v, in->queue) != 0;
}

void mqfs_view_fs_grants_changed(struct mqfs_view_fs *fs, const struct mqfs_grants *old,
                                 const struct mqfs_grants *new)
{
        mqfs_grants_diff(old, new, on_grant_change, fs);
        /* A view that lost the grant gets no event for its unlinks: forget them all
         * (the events then invalidate, which is never wrong). */
        fs->nown_unlinks = 0;
        struct prune_ctx ctx = {.g = new};
        mqfs_inode_prune(fs->inodes, still_granted, &ctx);
        mqfs_files_recheck(fs);
}

void mqfs_view_fs_queue_changed(struct mqfs_view_fs *fs, const char *name)
{
        struct mqfs_grants *g = mqfs_broker_grants(fs->broker);
        size_t n = g ? mqfs_grants_snap_count(g) : 0;

        if (!name)
                fs->nown_unlinks = 0; /* events lost: which are ours is unknown */

        for (size_t i = 0; i < n; i++) {
                const struct mqfs_view *v = mqfs_grants_view_at(g, i);
                struct mqfs_inode *view = mqfs_inode_find(fs->inodes, mqfs_view_snap(v), NULL);
                if (!view)
                        continue; /* the kernel holds nothing under it */
                if (name) {
                        if (mqfs_view_perms(v, name) && !was_own_unlink(fs, view->ino, name))
                                inval_entry(fs, view->ino, name + 1);
                        continue;
                }
                for (size_t j = 0, m = mqfs_view_count(v); j < m; j++)
                        inval_entry(fs, view->ino, mqfs_view_queue_at(v, j, NULL) + 1);
        }
        if (g)
                mqfs_grants_unref(g);
}

void mqfs_view_fs_close(struct mqfs_view_fs *fs, int err)
{
        fs->closing = true;
        mqfs_files_cancel(fs, err);
}
