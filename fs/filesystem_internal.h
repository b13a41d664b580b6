/* filesystem_internal.h — what the files of the filesystem share (filesystem.c lists them), one
 * section per file. Not a public interface.
 *
 * The operations come in pairs: mqfs_do_X(fs, caller, ...) checks, makes the one broker
 * call of the operation and fills its out-parameters, returning 0 or -errno; it needs
 * no kernel (a test can call it with a caller made by mqfs_caller_init). mqfs_op_X is
 * the FUSE operation: it makes the caller from the request, calls mqfs_do_X, replies,
 * and undoes what a reply that could not be delivered leaves behind. */
#pragma once

#include <fuse_lowlevel.h>

#include "broker.h"
#include "inode.h"
#include "filesystem.h"

/* The caller of a request, with room for its supplementary groups, and the verdict
 * the broker gives on its call (c.verdict points at v). */
struct caller_buf {
        struct mqfs_caller c;
        struct mqfs_verdict v;
        fuse_req_t req;
        bool groups_failed; /* a lazy load of the groups failed (the broker got -EACCES) */
        gid_t small[32];
        gid_t *big;
};

/* caller.c: who asks */

/* uid, gid and pid as given (req: for reading the groups later, may be NULL when they
 * are never read). */
void mqfs_caller_init(struct caller_buf *cb, fuse_req_t req, uid_t uid, gid_t gid, pid_t pid);
/* uid, gid and pid only: for operations that check no credentials. */
void mqfs_caller_plain(fuse_req_t req, struct caller_buf *cb);
/* uid, gid, pid and the supplementary groups (from /proc): 0 or -errno. */
int mqfs_caller_full(fuse_req_t req, struct caller_buf *cb);
/* uid, gid and pid, with the groups read from /proc only if the broker asks for them
 * (mqfs_caller load_groups): most opens of an existing queue never need them. */
void mqfs_caller_lazy(fuse_req_t req, struct caller_buf *cb);
void mqfs_caller_release(struct caller_buf *cb);

/* Logs the broker's verdict on a refused call as operation on snap's queue (may be
 * NULL): nothing when the refusal was not a judgement (a missing queue, an I/O error). */
void mqfs_log_verdict(const struct mqfs_verdict *v, const char *snap, const char *queue,
                      const char *operation);

/* Logs the broker's refusal of cb's call as operation on snap's queue (may be NULL):
 * the verdict's reason, or that the caller's groups could not be read; nothing when
 * the call was not refused by a judgement (a missing queue, an I/O error). */
void mqfs_note_denial(const struct caller_buf *cb, const char *snap, const char *queue,
                      const char *operation);

/* root_guard.c: who may use the mount root (root, in the host's mount namespace);
 * 0, or -EACCES (logged). name: the snap looked up, NULL for a listing. */
int mqfs_root_guard(struct mqfs_filesystem *fs, const struct mqfs_caller *c, const char *name);

/* names.c: lookup, forget, create, unlink, and what /dev/mqueue refuses */

/* "/" + entry, checked as the kernel would check the name. */
int mqfs_queue_name(const char *entry, char out[MQFS_QNAME_MAX + 2]);
/* The attributes of the mount root or of a view (a directory). */
void mqfs_dir_attr(const struct mqfs_filesystem *fs, const struct mqfs_inode *in, struct stat *st);
/* Fills e and counts one kernel lookup on its inode. */
int mqfs_do_lookup(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name, struct fuse_entry_param *e);
/* Creates (or opens, without O_EXCL) the queue: *h the open handle, e its entry, one
 * kernel lookup counted. flags: the open(2) flags. */
int mqfs_do_create(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name, mode_t mode, int flags, struct mqfs_handle **h,
                   struct fuse_entry_param *e);
int mqfs_do_unlink(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t parent,
                   const char *name);
void mqfs_op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void mqfs_op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void mqfs_op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void mqfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                    struct fuse_file_info *fi);
void mqfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void mqfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void mqfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void mqfs_op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void mqfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void mqfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                    const char *newname, unsigned int flags);
void mqfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);

/* attrs.c: stat, access, setattr */

/* h: the open file's handle when FUSE passed one (fstat), else NULL. *timeout: how long
 * the kernel may keep the attributes. */
int mqfs_do_getattr(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    struct mqfs_handle *h, struct stat *st, double *timeout);
int mqfs_do_access(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, int mask);
/* to_set: FUSE_SET_ATTR_* bits; h: the open file's handle when FUSE passed one
 * (ftruncate), else NULL; st: the attributes after. */
int mqfs_do_setattr(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    const struct stat *attr, int to_set, struct mqfs_handle *h, struct stat *st);
void mqfs_op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mqfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask);
void mqfs_op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                     struct fuse_file_info *fi);

/* dir_listing.c: directories */

struct dir_entry {
        mode_t type;
        char *name;      /* into the listing's names, once it is whole */
        size_t name_off; /* while it is being taken */
};

/* A directory's listing as taken at offset 0: entries, and every name end to end (two
 * blocks, not one allocation a name, so that the memory goes back whole). Its bytes are
 * charged to listing-bytes of the snap and uid whose read took it (budget.h) until the
 * last holder lets it go. A view's listing is shared: while no queue or grant has
 * changed since, a read at offset 0 of any handle of that view takes the same one. */
struct listing_shot {
        unsigned refs;
        struct listing_shot *next; /* in fs->shots: handed to the next reader of the view */
        size_t n, cap;
        struct dir_entry *e;
        char *names;
        size_t names_used, names_cap;
        size_t charged;             /* listing bytes charged to (snap, uid) */
        struct mqfs_budget *budget; /* NULL: nothing was charged */
        uid_t uid;
        char *snap; /* the view's snap; "" for the mount root (never shared) */
};

/* What an open directory holds: the listing it is reading, none when idle (dropped when
 * read to its end). The handle counts against its opener's open-directories budget. */
struct dir_listing {
        struct listing_shot *shot;  /* NULL: none held */
        struct mqfs_budget *budget; /* NULL: nothing was charged */
        uid_t uid;
        char *snap; /* "" for the mount root */
};

/* *out: a new empty listing for the open directory, charged to the caller's
 * open-directories budget (-EMFILE past it). */
int mqfs_do_opendir(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino,
                    struct dir_listing **out);
/* At offset 0, (re)takes the listing into l; other offsets read the one taken. */
int mqfs_do_readdir(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, off_t off,
                    struct dir_listing *l);
void mqfs_dir_listing_free(struct dir_listing *l);
void mqfs_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mqfs_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi);
void mqfs_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* invalidate.c (the rest of it: filesystem.h) */

/* Remembers an unlink made through view (inode number) of queue q, so that its inotify
 * event does not invalidate the entry again (see own_unlinks in filesystem.h). */
void mqfs_own_unlink_note(struct mqfs_filesystem *fs, uint64_t view, const char *q);
/* mqfs_inode_holds (inode.h), and when in stood for another queue than queue_id (its
 * name was removed and made again outside the view), the kernel's entry for the name is
 * invalidated too. Do not use in after false. */
bool mqfs_queue_inode_holds(struct mqfs_filesystem *fs, struct mqfs_inode *in, uint64_t queue_id);

/* file_ops.c: open queues */

/* Opens the queue of inode ino with the open(2) flags: *h the handle. */
int mqfs_do_open(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, int flags,
                 struct mqfs_handle **h);
void mqfs_file_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mqfs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi);
void mqfs_file_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi);
void mqfs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph);
void mqfs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mqfs_file_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
/* Wraps a handle the broker just opened (taking it) into an open file; sets fi->fh
 * and the open flags. 0 or -ENOMEM (h is then closed). */
int mqfs_file_attach(struct mqfs_filesystem *fs, uint64_t ino, struct mqfs_handle *h,
                     struct fuse_file_info *fi);
/* The broker handle of an open queue file (fi of a queue's open or create). */
struct mqfs_handle *mqfs_file_handle(struct fuse_file_info *fi);
/* The handle of some open file opened through inode ino, or NULL when none is open. A
 * scan of the open files: for the f-calls that come without their file (fstat, fchmod,
 * fchown, futimens) on a queue whose name is gone. */
struct mqfs_handle *mqfs_files_find(struct mqfs_filesystem *fs, uint64_t ino);
/* Undoes mqfs_file_attach when the reply to open/create could not be delivered. */
void mqfs_file_detach(struct mqfs_filesystem *fs, struct fuse_file_info *fi);
/* Retries every blocked write and wakes every poller (after a policy change). */
void mqfs_files_recheck(struct mqfs_filesystem *fs);
/* Answers every blocked write with err (shutdown). */
void mqfs_files_cancel(struct mqfs_filesystem *fs, int err);
/* Frees every open file (the session is gone: no release will come). */
void mqfs_files_free(struct mqfs_filesystem *fs);
