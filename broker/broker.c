/* broker.c — the broker's life cycle, the grant table swap, and the operations named
 * by queue (open, unlink, status, chmod, chown). Handle I/O lives in io.c, stat and
 * listing in listing.c. */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backing.h"
#include "cleanup.h"
#include "creds.h"
#include "grants.h"
#include "internal.h"
#include "msgq_rlimit.h"
#include "perm.h"
#include "qname.h"

/* How often O_CREAT without O_EXCL retries when another process keeps creating and
 * removing the queue between our open and our create; each round is two syscalls. */
enum { OPEN_OR_CREATE_ROUNDS = 16 };

int mqfs_broker_new(int backing_dirfd, struct mqfs_grant_table *grants, struct mqfs_broker **out)
{
        /* Both are taken in every case: released here unless moved into the broker. */
        MQFS_AUTOCLOSE int backing = backing_dirfd;
        MQFS_CLEANUP(mqfs_grant_table_unref_ptr) struct mqfs_grant_table *table = grants;

        if (out == NULL)
                return -EINVAL;
        *out = NULL;
        int err = mqfs_backing_check(backing);
        if (err < 0)
                return err;
        MQFS_AUTOFREE struct mqfs_broker *b = calloc(1, sizeof(*b));
        if (b == NULL)
                return -ENOMEM;
        err = -pthread_mutex_init(&b->grants_lock, NULL);
        if (err < 0)
                return err;
        b->backing_fd = MQFS_MOVE_FD(backing);
        b->grants = MQFS_MOVE_PTR(table);
        *out = MQFS_MOVE_PTR(b);
        return 0;
}

void mqfs_broker_free(struct mqfs_broker *b)
{
        if (b == NULL)
                return;
        mqfs_grant_table_unref(b->grants);
        pthread_mutex_destroy(&b->grants_lock);
        close(b->backing_fd);
        free(b);
}

int mqfs_broker_backing_fd(const struct mqfs_broker *b)
{
        return b->backing_fd;
}

void mqfs_broker_set_grant_table(struct mqfs_broker *b, struct mqfs_grant_table *grants)
{
        pthread_mutex_lock(&b->grants_lock);
        struct mqfs_grant_table *old = b->grants;
        b->grants = grants;
        pthread_mutex_unlock(&b->grants_lock);
        /* Calls still holding a reference keep the old table alive until they finish. */
        mqfs_grant_table_unref(old);
}

struct mqfs_grant_table *mqfs_broker_grant_table(struct mqfs_broker *b)
{
        pthread_mutex_lock(&b->grants_lock);
        struct mqfs_grant_table *g = b->grants != NULL ? mqfs_grant_table_ref(b->grants) : NULL;
        pthread_mutex_unlock(&b->grants_lock);
        return g;
}

unsigned mqfs_broker_perms(struct mqfs_broker *b, const char *snap, const char *name)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(b);
        if (g == NULL)
                return 0;
        unsigned perms = mqfs_grant_set_perms(mqfs_grant_table_set_of(g, snap), name);
        mqfs_grant_table_unref(g);
        return perms;
}

static void verdict_say(struct mqfs_verdict *v, const char *what, const char *word)
{
        if (v != NULL)
                snprintf(v->denial, sizeof(v->denial), "%s%s", what, word ? word : "");
}

int mqfs_judge(struct mqfs_verdict *v, unsigned perms, unsigned needed, int no_grant)
{
        if (v != NULL) {
                v->perms = perms;
                v->denial[0] = '\0';
        }
        if (perms == 0) {
                verdict_say(v, "no grant for this queue", NULL);
                return no_grant;
        }
        unsigned missing = needed & ~perms;
        if (missing == 0)
                return 0;
        /* Name the first missing word, in the canonical order. */
        unsigned first = missing & -missing;
        const char *word = mqfs_perm_word(first);
        verdict_say(v, "the grant does not include ", word ? word : "that");
        return -EACCES;
}

int mqfs_judge_kernel(struct mqfs_verdict *v, int err)
{
        if (err == -EACCES || err == -EPERM)
                verdict_say(v, "refused by the queue's owner and mode", NULL);
        return err;
}

const char *mqfs_handle_denial(int err, unsigned needed)
{
        if (err == -ENOENT)
                return "no grant for this queue";
        if (err != -EACCES)
                return NULL;
        if (needed & MQFS_PERM_WRITE)
                return "the grant does not include write";
        if (needed & MQFS_PERM_READ)
                return "the grant does not include read";
        return "refused by the queue's owner and mode";
}

bool mqfs_broker_snap_installed(struct mqfs_broker *b, const char *snap)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(b);
        bool installed = g != NULL && mqfs_grant_table_set_of(g, snap) != NULL;
        mqfs_grant_table_unref(g);
        return installed;
}

int mqfs_broker_list_snaps(struct mqfs_broker *b, mqfs_snap_fn fn, void *ctx)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(b);
        int err = 0;
        for (size_t i = 0, n = g ? mqfs_grant_table_snap_count(g) : 0; i < n && err == 0; i++)
                err = fn(ctx, mqfs_grant_set_snap(mqfs_grant_table_set_at(g, i)));
        mqfs_grant_table_unref(g);
        return err;
}

/* Name and arguments first, so that nothing below sees a name the kernel would refuse. */
static int check_named_call(const struct mqfs_broker *b, const char *snap,
                            const struct mqfs_caller *caller, const char *name)
{
        if (b == NULL || snap == NULL || caller == NULL)
                return -EINVAL;
        return mqfs_qname_check(name);
}

/* mq_open applies the umask of the calling thread's filesystem context, which the
 * daemon's threads share; the caller's mode must come through exactly, and atomically
 * (a queue must never be seen, even briefly, with other bits than asked). So a thread
 * that creates a queue first takes a private copy of its filesystem context
 * (unshare(CLONE_FS), once per thread), whose umask it may then clear for the create
 * without touching any other thread. */
static __thread bool thread_fs_private;

/* The new queue is charged to the caller's uid against the lower of its own
 * RLIMIT_MSGQUEUE and the daemon's (msgq_rlimit.h); pid 0 (unknown): the daemon's. */
static int create_queue(pid_t pid, const char *name, int flags, mode_t mode,
                        const struct mq_attr *attr)
{
        rlim_t cap = RLIM_INFINITY;
        int r = mqfs_msgq_rlimit_of(pid, &cap);
        if (r < 0 && r != -ESRCH)
                return r; /* unreadable: refuse rather than charge the daemon's limit */
        if (!thread_fs_private && unshare(CLONE_FS) == 0)
                thread_fs_private = true;
        if (thread_fs_private) {
                mode_t old = umask(0);
                int fd = mqfs_msgq_create_capped(name, flags | O_CREAT | O_EXCL, mode & 07777, attr,
                                                 cap);
                umask(old);
                return fd;
        }
        /* No private context (unshare refused): fix the mode up afterwards, as the new
         * owner. Until then the queue has fewer bits than asked, never more. */
        int fd = mqfs_msgq_create_capped(name, flags | O_CREAT | O_EXCL, mode & 07777, attr, cap);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != (mode & 07777))
                (void)fchmod(fd, mode & 07777);
        return fd;
}

/* mq_open as the (already assumed) caller. oflag's access mode and O_NONBLOCK are
 * those of the descriptor made. O_CREAT without O_EXCL is split into an open and an
 * exclusive create, because opening an existing queue needs no create grant (perms:
 * the grant read for this call, judged into v when it lacks create). Returns the
 * descriptor or -errno. */
static int open_as_caller(pid_t pid, const char *name, int oflag, unsigned perms,
                          struct mqfs_verdict *v, mode_t mode, const struct mq_attr *attr)
{
        int base = oflag & (O_ACCMODE | O_NONBLOCK);
        int fd;

        if ((oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
                return create_queue(pid, name, base, mode, attr);
        int err = -ENOENT;
        for (int round = 0; round < OPEN_OR_CREATE_ROUNDS; round++) {
                fd = mq_open(name, base);
                if (fd >= 0)
                        return fd;
                err = -errno;
                if (err != -ENOENT || !(oflag & O_CREAT))
                        return err;
                if (!(perms & MQFS_PERM_CREATE))
                        return mqfs_judge(v, perms, MQFS_PERM_CREATE, -EACCES);
                fd = create_queue(pid, name, base, mode, attr);
                if (fd >= 0)
                        return fd;
                err = fd;
                if (err != -EEXIST)
                        return err;
        }
        return err;
}

/* Whether the queue's group bits and other bits differ on the access oflag asks: only
 * then can membership of the queue's group change the kernel's answer. */
static bool group_and_other_differ(const struct stat *st, int oflag)
{
        mode_t mask = (oflag & O_ACCMODE) == O_RDONLY ? 4 : (oflag & O_ACCMODE) == O_WRONLY ? 2 : 6;
        return ((st->st_mode >> 3) & mask) != (st->st_mode & mask);
}

/* Whether the caller's supplementary groups could change the kernel's answer to opening
 * the queue st describes with oflag's access: only for a caller who is not root, does
 * not own the queue, does not have its group as primary group, and for whom the
 * queue's group bits and other bits differ on the access asked. */
static bool groups_matter(const struct stat *st, const struct mqfs_caller *caller, int oflag)
{
        if (caller->uid == 0 || caller->uid == st->st_uid || caller->gid == st->st_gid)
                return false;
        return group_and_other_differ(st, oflag);
}

/* Whether the caller's primary gid could (when groups_matter is false: the caller is
 * then in the queue's group by it, or the group cannot decide). */
static bool gid_matters(const struct stat *st, const struct mqfs_caller *caller, int oflag)
{
        if (caller->uid == 0 || caller->uid == st->st_uid)
                return false;
        return group_and_other_differ(st, oflag);
}

/* Nothing that decides an open changed between the two readings: the same queue, with
 * the same owner, group and mode, and no change of its attributes in between (chmod
 * and chown move ctime). */
static bool same_queue_attrs(const struct stat *a, const struct stat *b)
{
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
               a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Opens an existing queue (no O_CREAT), whose attributes were just read into *before,
 * as the caller without reading its groups, when they cannot matter (see
 * mqfs_broker_open). Returns the descriptor, -errno for an answer the groups could not
 * have changed, or -EAGAIN to say: load them and retry. */
static int open_seen_without_groups(const struct mqfs_caller *caller, const char *name, int oflag,
                                    const struct stat *before)
{
        struct stat after;
        if (groups_matter(before, caller, oflag))
                return -EAGAIN;
        /* The check of an existing queue's open is inode_permission alone (fsuid, fsgid,
         * groups) and charges nothing: the fs ids suffice, and the gid only when the
         * caller is in the queue's group by it (groups_matter said the rest cannot
         * decide, whatever groups the daemon's thread has). */
        int fd;
        {
                MQFS_FSIDS_SCOPE as_caller = {0};
                int err = mqfs_creds_enter_fsids(caller->uid, caller->gid,
                                                 gid_matters(before, caller, oflag), &as_caller);
                if (err < 0)
                        return err;
                fd = open_as_caller(caller->pid, name, oflag & ~(O_CREAT | O_EXCL), 0, NULL, 0,
                                    NULL);
        }
        if (fd == -ENOENT)
                return fd; /* gone: no group would bring it back */
        if (fd < 0)
                return -EAGAIN; /* refused (or failed) under attributes that may have moved */
        if (fstat(fd, &after) == 0 && same_queue_attrs(before, &after))
                return fd;
        close(fd);
        return -EAGAIN;
}

/* open_seen_without_groups of the queue as it is now. */
static int open_without_groups(int backing_fd, const struct mqfs_caller *caller, const char *name,
                               int oflag)
{
        struct stat before;
        if (fstatat(backing_fd, name + 1, &before, AT_SYMLINK_NOFOLLOW) != 0)
                return -EAGAIN;
        return open_seen_without_groups(caller, name, oflag, &before);
}

/* Whether the mqueue root lets anyone create and remove entries (write and search for
 * others), so that a caller's groups cannot decide its own check: the kernel makes it
 * 1777; only an administrator's chmod makes it otherwise. */
static bool dir_open_to_all(int backing_fd)
{
        struct stat st;
        const mode_t wx = S_IWOTH | S_IXOTH;
        return fstat(backing_fd, &st) == 0 && (st.st_mode & wx) == wx;
}

/* The caller with no supplementary groups, for calls they cannot decide. */
static struct mqfs_caller without_groups(const struct mqfs_caller *caller)
{
        struct mqfs_caller bare = *caller;
        bare.ngroups = 0;
        bare.groups = NULL;
        bare.load_groups = NULL;
        bare.load_ctx = NULL;
        return bare;
}

/* O_CREAT as the caller without reading its groups, when the mqueue root is open to
 * all: an exclusive create checks nothing but that directory, and the new queue takes
 * the caller's uid and primary gid. A queue that exists already (without O_EXCL) is
 * opened as open_seen_without_groups judges it. Returns the descriptor, -errno, or -EAGAIN
 * to say: load the groups and take the full path. */
static int create_without_groups(int backing_fd, const struct mqfs_caller *caller, const char *name,
                                 int oflag, unsigned perms, mode_t mode, const struct mq_attr *attr)
{
        if (!(oflag & O_EXCL)) {
                struct stat st;
                if (fstatat(backing_fd, name + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        int fd = open_seen_without_groups(caller, name, oflag, &st);
                        return fd == -ENOENT ? -EAGAIN : fd; /* gone: create it after all */
                }
                if (errno != ENOENT)
                        return -EAGAIN;
                if (!(perms & MQFS_PERM_CREATE))
                        return mqfs_judge(mqfs_verdict_of(caller), perms, MQFS_PERM_CREATE,
                                          -EACCES);
        }
        struct mqfs_caller bare = without_groups(caller);
        int fd;
        {
                MQFS_CREDS_SCOPE as_caller = {0};
                int err = mqfs_creds_enter(&bare, &as_caller);
                if (err < 0)
                        return err;
                fd = create_queue(caller->pid, name, oflag & (O_ACCMODE | O_NONBLOCK), mode, attr);
        }
        /* Made by someone else meanwhile: opening it is the full path's job. */
        return fd == -EEXIST && !(oflag & O_EXCL) ? -EAGAIN : fd;
}

static struct mqfs_handle *handle_new(const char *snap, const char *name, int oflag)
{
        size_t snap_len = strlen(snap), name_len = strlen(name);
        struct mqfs_handle *h = malloc(sizeof(*h) + snap_len + 1 + name_len + 1);
        if (h == NULL)
                return NULL;
        h->fd = -1;
        atomic_init(&h->nonblock, (oflag & O_NONBLOCK) != 0);
        memcpy(h->names, snap, snap_len + 1);
        memcpy(h->names + snap_len + 1, name, name_len + 1);
        h->snap = h->names;
        h->name = h->names + snap_len + 1;
        return h;
}

/* The grant an open needs for its access mode (SPEC §4): read for O_RDONLY and O_RDWR,
 * write for O_WRONLY and O_RDWR, and write for a truncation. */
static unsigned access_needed(int oflag, unsigned options)
{
        int acc = oflag & O_ACCMODE;
        unsigned needed = 0;
        if (acc != O_WRONLY)
                needed |= MQFS_PERM_READ;
        if (acc != O_RDONLY || (options & MQFS_OPEN_TRUNC))
                needed |= MQFS_PERM_WRITE;
        return needed;
}

static bool caller_in_group(const struct mqfs_caller *caller, gid_t gid)
{
        if (caller->gid == gid)
                return true;
        if (caller->load_groups != NULL && caller->load_groups(caller->load_ctx) < 0)
                return false; /* unknown: as the kernel would for a stranger */
        for (size_t i = 0; i < caller->ngroups; i++)
                if (caller->groups[i] == gid)
                        return true;
        return false;
}

/* What a truncate by caller takes from the queue (dirfd/entry/flags as fstatat), as the
 * kernel's truncate does (setattr_should_drop_suidgid): the setuid bit, and the setgid bit
 * when the group may execute or the caller is not in the queue's group; nothing for
 * root (CAP_FSETID). The mount leaves this to us (FUSE_CAP_HANDLE_KILLPRIV); done as
 * the daemon, on the queue itself. 0 or -errno. */
static int drop_privs(int dirfd, const char *entry, int flags, const struct mqfs_caller *caller)
{
        struct stat st;
        if (caller->uid == 0)
                return 0;
        if (fstatat(dirfd, entry, &st, flags) != 0)
                return -errno;
        mode_t kill = st.st_mode & S_ISUID;
        if ((st.st_mode & S_ISGID) &&
            ((st.st_mode & S_IXGRP) || !caller_in_group(caller, st.st_gid)))
                kill |= S_ISGID;
        if (!kill)
                return 0;
        mode_t mode = st.st_mode & 07777 & ~kill;
        int err = entry[0] ? fchmodat(dirfd, entry, mode, 0) : fchmod(dirfd, mode);
        return err != 0 ? -errno : 0;
}

/* The full path: acts as the caller, with its groups. A truncation of a queue opened
 * O_RDONLY has the kernel judge the caller's write access first, as open(2) would. */
static int open_with_creds(int backing_fd, const struct mqfs_open_req *req, int oflag,
                           unsigned perms)
{
        MQFS_CREDS_SCOPE as_caller = {0};
        int err = mqfs_creds_enter(req->caller, &as_caller);
        if (err < 0)
                return err;
        if ((req->options & MQFS_OPEN_TRUNC) && (oflag & O_ACCMODE) == O_RDONLY &&
            faccessat(backing_fd, req->name + 1, W_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0)
                return -errno;
        return open_as_caller(req->caller->pid, req->name, oflag, perms,
                              mqfs_verdict_of(req->caller), req->mode, req->attr);
}

/* Judges req from one grant lookup and opens the queue as the caller with oflag's
 * access mode and O_NONBLOCK. The descriptor (or -errno); *perms_out: the grant read. */
static int open_judged(struct mqfs_broker *b, const struct mqfs_open_req *req, int oflag,
                       unsigned *perms_out)
{
        const struct mqfs_caller *caller = req->caller;
        struct mqfs_verdict *v = mqfs_verdict_of(caller);
        int err = check_named_call(b, req->snap, caller, req->name);
        if (err < 0)
                return err;
        if ((oflag & O_ACCMODE) == O_ACCMODE)
                return -EINVAL;

        bool create = (oflag & O_CREAT) != 0;
        unsigned perms = mqfs_broker_perms(b, req->snap, req->name);
        *perms_out = perms;
        unsigned access = access_needed(oflag, req->options);
        err = mqfs_judge(v, perms, create && (oflag & O_EXCL) ? MQFS_PERM_CREATE : 0,
                         create ? -EACCES : -ENOENT);
        if (err < 0)
                return err;
        bool may_open = (perms & access) == access;
        /* Without the access mode's grant only a queue this call creates may be opened,
         * and only when the access mode is not judged on create: opening an existing
         * one is then refused like any open, and a create that finds one (the
         * exclusive create made of it below) says so. */
        if (!may_open &&
            (!create || (req->options & MQFS_OPEN_JUDGE_CREATE) || !(perms & MQFS_PERM_CREATE)))
                return mqfs_judge(v, perms, access, -ENOENT);
        bool create_only = create && !may_open && !(oflag & O_EXCL);
        if (create_only)
                oflag |= O_EXCL;

        int fd = -EAGAIN;
        bool trunc_ro = (req->options & MQFS_OPEN_TRUNC) && (oflag & O_ACCMODE) == O_RDONLY;
        if (caller->load_groups != NULL && !create && !trunc_ro)
                fd = open_without_groups(b->backing_fd, caller, req->name, oflag);
        else if (caller->load_groups != NULL && create && dir_open_to_all(b->backing_fd))
                fd = create_without_groups(b->backing_fd, caller, req->name, oflag, perms,
                                           req->mode, req->attr);
        if (fd == -EAGAIN)
                fd = open_with_creds(b->backing_fd, req, oflag, perms);
        if (fd == -EEXIST && create_only)
                return mqfs_judge(v, perms, access, -EACCES);
        if (fd < 0 && (v == NULL || v->denial[0] == '\0'))
                mqfs_judge_kernel(v, fd);
        return fd;
}

int mqfs_broker_open_req(struct mqfs_broker *b, const struct mqfs_open_req *req,
                         struct mqfs_handle **out, struct stat *st)
{
        if (out == NULL || req == NULL)
                return -EINVAL;
        *out = NULL;
        if (req->snap == NULL || req->name == NULL)
                return -EINVAL;
        struct mqfs_handle *h = handle_new(req->snap, req->name, req->oflag);
        if (h == NULL)
                return -ENOMEM;
        /* O_NONBLOCK always: no mq_* call on a handle ever sleeps in the kernel. */
        unsigned perms = 0;
        int fd = open_judged(b, req, req->oflag | O_NONBLOCK, &perms);
        if (fd < 0) {
                free(h);
                return fd;
        }
        h->fd = fd;
        h->uid = req->caller ? req->caller->uid : (uid_t)-1;
        /* O_TRUNC of a queue this open did not create: the truncate's drop of setuid and
         * setgid (a queue it created has none to drop). */
        if (req->options & MQFS_OPEN_TRUNC) {
                int err = drop_privs(fd, "", AT_EMPTY_PATH, req->caller);
                if (err < 0) {
                        mqfs_handle_close(h);
                        return err;
                }
        }
        if (st != NULL) {
                int err = mqfs_queue_stat_fd(fd, perms, st);
                if (err < 0) {
                        mqfs_handle_close(h);
                        return err;
                }
        }
        *out = h;
        return 0;
}

int mqfs_broker_open(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                     const char *name, int oflag, mode_t mode, const struct mq_attr *attr,
                     struct mqfs_handle **out)
{
        struct mqfs_open_req req = {
            .snap = snap,
            .caller = caller,
            .name = name,
            .oflag = oflag,
            .mode = mode,
            .attr = attr,
        };
        return mqfs_broker_open_req(b, &req, out, NULL);
}

int mqfs_broker_open_fd(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                        const char *name, int oflag, mode_t mode, const struct mq_attr *attr)
{
        struct mqfs_open_req req = {
            .snap = snap,
            .caller = caller,
            .name = name,
            .oflag = oflag,
            .mode = mode,
            .attr = attr,
            .options = MQFS_OPEN_JUDGE_CREATE,
        };
        unsigned perms = 0;
        /* The caller's own O_NONBLOCK: a descriptor that leaves the daemon may block in
         * the caller's mq_send and mq_receive, in the kernel. */
        return open_judged(b, &req, oflag, &perms);
}

void mqfs_handle_close(struct mqfs_handle *h)
{
        if (h == NULL)
                return;
        if (h->fd >= 0)
                close(h->fd);
        free(h);
}

int mqfs_handle_fd(const struct mqfs_handle *h)
{
        return h->fd;
}

const char *mqfs_handle_name(const struct mqfs_handle *h)
{
        return h->name;
}

uid_t mqfs_handle_uid(const struct mqfs_handle *h)
{
        return h->uid;
}

const char *mqfs_handle_snap(const struct mqfs_handle *h)
{
        return h->snap;
}

int mqfs_broker_unlink(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name)
{
        int err = check_named_call(b, snap, caller, name);
        if (err < 0)
                return err;
        err = mqfs_judge(mqfs_verdict_of(caller), mqfs_broker_perms(b, snap, name),
                         MQFS_PERM_DELETE, -ENOENT);
        if (err < 0)
                return err;
        /* The kernel's checks of an unlink are the directory's and the sticky bit's (the
         * caller must own the queue or the directory): no group decides them when the
         * directory is open to all. */
        struct mqfs_caller bare;
        if (caller->load_groups != NULL && dir_open_to_all(b->backing_fd)) {
                bare = without_groups(caller);
                caller = &bare;
        }
        {
                MQFS_CREDS_SCOPE as_caller = {0};
                err = mqfs_creds_enter(caller, &as_caller);
                if (err < 0)
                        return err;
                if (mq_unlink(name) != 0)
                        err = -errno;
        }
        return mqfs_judge_kernel(mqfs_verdict_of(caller), err);
}

int mqfs_broker_status(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, char *buf, size_t size)
{
        int err = check_named_call(b, snap, caller, name);
        if (err < 0)
                return err;
        if (buf == NULL)
                return -EINVAL;
        err = mqfs_judge(mqfs_verdict_of(caller), mqfs_broker_perms(b, snap, name), 0, -ENOENT);
        if (err < 0)
                return err;

        /* Opened as the caller, so the kernel applies its read check to the caller. */
        int fd;
        {
                MQFS_CREDS_SCOPE as_caller = {0};
                err = mqfs_creds_enter(caller, &as_caller);
                if (err < 0)
                        return err;
                fd = openat(b->backing_fd, name + 1,
                            O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
                if (fd < 0)
                        err = -errno;
        }
        if (fd < 0)
                return mqfs_judge_kernel(mqfs_verdict_of(caller), err);

        char line[MQFS_STATUS_MAX];
        ssize_t n = read(fd, line, sizeof(line) - 1);
        if (n < 0)
                err = -errno;
        close(fd);
        if (n < 0)
                return err;
        if ((size_t)n >= size)
                return -ERANGE;
        memcpy(buf, line, (size_t)n);
        buf[n] = '\0';
        return (int)n;
}

/* The queue a change acts on: a name in the backing directory, or the queue an open
 * handle holds (which may have lost its name: the kernel's f-calls act on it still). */
struct qtarget {
        int dirfd;
        const char *entry; /* "" for a handle */
        int flags;         /* AT_SYMLINK_NOFOLLOW for a name, AT_EMPTY_PATH for a handle */
};

static struct qtarget target_of_name(int backing_fd, const char *name)
{
        return (struct qtarget){backing_fd, name + 1, AT_SYMLINK_NOFOLLOW};
}

static struct qtarget target_of_handle(const struct mqfs_handle *h)
{
        return (struct qtarget){h->fd, "", AT_EMPTY_PATH};
}

static int target_chmod(const struct qtarget *t, mode_t mode)
{
        /* fchmodat knows no AT_EMPTY_PATH (glibc 2.36): a handle's queue by its fd. */
        return t->entry[0] ? fchmodat(t->dirfd, t->entry, mode, 0) : fchmod(t->dirfd, mode);
}

/* The queue's owner or root, or -EPERM (judged into the caller's verdict); *st gets
 * the queue as it is. */
static int check_owner(const struct qtarget *t, const struct mqfs_caller *caller, struct stat *st)
{
        if (fstatat(t->dirfd, t->entry, st, t->flags) != 0)
                return -errno;
        if (caller->uid != 0 && caller->uid != st->st_uid) {
                verdict_say(mqfs_verdict_of(caller), "the caller does not own the queue", NULL);
                return -EPERM;
        }
        return 0;
}

/* chmod and chown of one setattr as the caller, all or nothing: the owner and group
 * first (the kernel's chown rules are the ones that refuse: a non-root caller giving a
 * queue away, or to a group it is not in; a chmod by the owner or root that comes after
 * cannot fail but for a vanished queue), then the mode; when a part is refused, what
 * the chown changed (owner, group, and the setuid/setgid bits it cleared) is put back
 * as the daemon. before: the queue as check_owner saw it. */
static int set_owner_mode_as_caller(const struct qtarget *t, const struct mqfs_caller *caller,
                                    const struct stat *before, bool set_mode, mode_t mode,
                                    uid_t uid, gid_t gid)
{
        bool set_owner = uid != (uid_t)-1 || gid != (gid_t)-1;
        bool owner_set = false;
        int err;
        {
                MQFS_CREDS_SCOPE as_caller = {0};
                err = mqfs_creds_enter(caller, &as_caller);
                if (err < 0)
                        return err;
                if (set_owner) {
                        if (fchownat(t->dirfd, t->entry, uid, gid, t->flags) != 0)
                                err = -errno;
                        else
                                owner_set = true;
                }
                if (!err && set_mode && target_chmod(t, mode & 07777) != 0)
                        err = -errno;
        }
        /* The daemon again: an undo is not the caller's to make. */
        if (err && owner_set) {
                /* The caller gets err whether or not this undo works (a queue removed
                 * meanwhile has nothing to undo). A variable, not a (void) cast: glibc
                 * marks these warn_unused_result under _FORTIFY_SOURCE (Debian's flags). */
                bool undone =
                    fchownat(t->dirfd, t->entry, before->st_uid, before->st_gid, t->flags) == 0 &&
                    target_chmod(t, before->st_mode & 07777) == 0;
                (void)undone;
        }
        return mqfs_judge_kernel(mqfs_verdict_of(caller), err);
}

/* faccessat as the caller: its fs ids and groups, and root's override for root. */
static int access_as_caller(const struct qtarget *t, const struct mqfs_caller *caller, int mask)
{
        MQFS_CREDS_SCOPE as_caller = {0};
        int err = mqfs_creds_enter(caller, &as_caller);
        if (err < 0)
                return err;
        if (faccessat(t->dirfd, t->entry, mask, AT_EACCESS | t->flags) != 0)
                err = -errno;
        return mqfs_judge_kernel(mqfs_verdict_of(caller), err);
}

int mqfs_broker_set_owner_mode(struct mqfs_broker *b, const char *snap,
                               const struct mqfs_caller *caller, const char *name, bool set_mode,
                               mode_t mode, uid_t uid, gid_t gid)
{
        /* A chown that keeps both ids is still a chown: judged, and the owner's alone. */
        bool chown = !set_mode || uid != (uid_t)-1 || gid != (gid_t)-1;
        struct mqfs_change c = {
            .what =
                (set_mode ? MQFS_CHANGE_MODE : 0) | (chown ? MQFS_CHANGE_UID | MQFS_CHANGE_GID : 0),
            .mode = mode,
            .uid = uid,
            .gid = gid,
        };
        return mqfs_broker_change(b, snap, caller, name, &c, NULL);
}

int mqfs_broker_chmod(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                      const char *name, mode_t mode)
{
        return mqfs_broker_set_owner_mode(b, snap, caller, name, true, mode, (uid_t)-1, (gid_t)-1);
}

int mqfs_broker_chown(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                      const char *name, uid_t uid, gid_t gid)
{
        return mqfs_broker_set_owner_mode(b, snap, caller, name, false, 0, uid, gid);
}

int mqfs_broker_access(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, int mask)
{
        int err = check_named_call(b, snap, caller, name);
        if (err < 0)
                return err;
        if (mask & ~(R_OK | W_OK | X_OK))
                return -EINVAL;
        err = mqfs_judge(mqfs_verdict_of(caller), mqfs_broker_perms(b, snap, name),
                         mqfs_perm_for_access(mask), -ENOENT);
        if (err < 0)
                return err;
        struct qtarget t = target_of_name(b->backing_fd, name);
        return access_as_caller(&t, caller, mask);
}

/* What the kernel checks before a setattr when it checks modes itself (the FUSE mount
 * has no default_permissions and leaves it to us): truncate by name needs write
 * access; times set to given values need the owner (or root), set to now the owner or
 * write access. Through a file the kernel has already checked that it allows writing
 * (ftruncate); futimens comes without the file, and is judged as utimensat is.
 * Root passes the mode, as the kernel lets it (the grant is judged for every caller in
 * the call, before this). 0 or -errno, judged into v. */
static int check_size_and_times(const struct qtarget *t, const struct mqfs_caller *caller,
                                const struct mqfs_change *c, unsigned perms)
{
        struct mqfs_verdict *v = mqfs_verdict_of(caller);
        const unsigned times = MQFS_CHANGE_ATIME | MQFS_CHANGE_MTIME;
        const unsigned now = MQFS_CHANGE_ATIME_NOW | MQFS_CHANGE_MTIME_NOW;
        unsigned what = c->what & (c->through_file ? times | now : MQFS_CHANGE_SIZE | times | now);
        if (!what)
                return 0;
        bool owner = caller->uid == 0;
        if (!owner && (what & times)) {
                struct stat st;
                if (fstatat(t->dirfd, t->entry, &st, t->flags) != 0)
                        return -errno;
                owner = st.st_uid == caller->uid;
        }
        bool given_times = ((what & MQFS_CHANGE_ATIME) && !(what & MQFS_CHANGE_ATIME_NOW)) ||
                           ((what & MQFS_CHANGE_MTIME) && !(what & MQFS_CHANGE_MTIME_NOW));
        if (given_times && !owner) {
                verdict_say(v, "the caller does not own the queue", NULL);
                return -EPERM;
        }
        if (caller->uid == 0 || !((what & MQFS_CHANGE_SIZE) || ((what & times) && !owner)))
                return 0;
        int err = mqfs_judge(v, perms, MQFS_PERM_WRITE, -ENOENT);
        if (err < 0)
                return err;
        return access_as_caller(t, caller, W_OK);
}

/* Sets the times a change asks for, as the kernel's setattr would (judged before). A
 * truncate's own stamp of now is not applied: truncate changes nothing (SPEC §5). */
static int set_times(const struct qtarget *t, const struct mqfs_change *c)
{
        if (c->what & MQFS_CHANGE_SIZE)
                return 0;
        struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
        if (c->what & MQFS_CHANGE_ATIME)
                ts[0] = (c->what & MQFS_CHANGE_ATIME_NOW) ? (struct timespec){.tv_nsec = UTIME_NOW}
                                                          : c->atime;
        if (c->what & MQFS_CHANGE_MTIME)
                ts[1] = (c->what & MQFS_CHANGE_MTIME_NOW) ? (struct timespec){.tv_nsec = UTIME_NOW}
                                                          : c->mtime;
        if (!(c->what & (MQFS_CHANGE_ATIME | MQFS_CHANGE_MTIME)))
                return 0;
        return utimensat(t->dirfd, t->entry, ts, t->flags) != 0 ? -errno : 0;
}

/* A change of t, judged from perms (the one grant lookup): everything is checked
 * before anything changes, then owner and mode (all or nothing), then the times. */
static int change_target(const struct qtarget *t, const struct mqfs_caller *caller,
                         const struct mqfs_change *asked, unsigned perms)
{
        struct mqfs_verdict *v = mqfs_verdict_of(caller);
        struct mqfs_change kept = *asked, *c = &kept;
        /* FUSE sends a truncate's drop of setuid/setgid as a mode in the same setattr
         * (seen on 6.18 although FUSE_CAP_HANDLE_KILLPRIV is asked for): that is no
         * chmod of the caller's, which a non-owner with write access could not make,
         * but the truncate's own; drop_privs below makes it, by the kernel's rules. */
        struct stat now;
        if ((c->what & MQFS_CHANGE_SIZE) && (c->what & MQFS_CHANGE_MODE) &&
            fstatat(t->dirfd, t->entry, &now, t->flags) == 0) {
                mode_t diff = (c->mode ^ now.st_mode) & 07777;
                bool only_clears =
                    diff && !(diff & ~(mode_t)(S_ISUID | S_ISGID)) && !(c->mode & diff);
                if (only_clears)
                        c->what &= ~MQFS_CHANGE_MODE;
        }
        int err = mqfs_judge(v, perms, 0, -ENOENT);
        if (err == 0)
                err = check_size_and_times(t, caller, c, perms);
        if (err == 0 && (c->what & (MQFS_CHANGE_MODE | MQFS_CHANGE_UID | MQFS_CHANGE_GID))) {
                struct stat before;
                err = mqfs_judge(v, perms, MQFS_PERM_WRITE, -ENOENT);
                if (err == 0)
                        err = check_owner(t, caller, &before);
                uid_t uid = (c->what & MQFS_CHANGE_UID) ? c->uid : (uid_t)-1;
                gid_t gid = (c->what & MQFS_CHANGE_GID) ? c->gid : (gid_t)-1;
                if (err == 0)
                        err = set_owner_mode_as_caller(t, caller, &before,
                                                       (c->what & MQFS_CHANGE_MODE) != 0, c->mode,
                                                       uid, gid);
        }
        if (err == 0)
                err = set_times(t, c);
        if (err == 0 && (c->what & MQFS_CHANGE_SIZE))
                err = drop_privs(t->dirfd, t->entry, t->flags, caller);
        return err;
}

int mqfs_broker_change(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, const struct mqfs_change *c, struct stat *st)
{
        int err = check_named_call(b, snap, caller, name);
        if (err < 0)
                return err;
        if (c == NULL)
                return -EINVAL;
        unsigned perms = mqfs_broker_perms(b, snap, name);
        struct qtarget t = target_of_name(b->backing_fd, name);
        err = change_target(&t, caller, c, perms);
        if (err == 0 && st != NULL)
                err = mqfs_queue_stat(b->backing_fd, name + 1, perms, st);
        return err;
}

int mqfs_broker_handle_change(struct mqfs_broker *b, struct mqfs_handle *h,
                              const struct mqfs_caller *caller, const struct mqfs_change *c,
                              struct stat *st)
{
        if (b == NULL || h == NULL || caller == NULL || c == NULL)
                return -EINVAL;
        unsigned perms = mqfs_broker_perms(b, h->snap, h->name);
        struct qtarget t = target_of_handle(h);
        int err = change_target(&t, caller, c, perms);
        if (err == 0 && st != NULL)
                err = mqfs_queue_stat_fd(h->fd, perms, st);
        return err;
}
