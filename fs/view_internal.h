/* view_internal.h — what view_ops.c (names, attributes, directories) and file_ops.c
 * (open queues: read, write, poll, blocked writes) share. Not a public interface. */
#pragma once

#include <fuse_lowlevel.h>

#include "broker.h"
#include "inode.h"
#include "view_ops.h"

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

/* file_ops.c */
void mqfs_file_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void mqfs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi);
void mqfs_file_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi);
void mqfs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph);
void mqfs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* Wraps a handle the broker just opened (taking it) into an open file; sets fi->fh
 * and the open flags. 0 or -ENOMEM (h is then closed). */
int mqfs_file_attach(struct mqfs_view_fs *fs, struct mqfs_handle *h, struct fuse_file_info *fi);
/* The broker handle of an open queue file (fi of a queue's open or create). */
struct mqfs_handle *mqfs_file_handle(struct fuse_file_info *fi);
/* The handle of some open file of snap's queue (name "/q"), or NULL when none is open.
 * A scan of the open files: for the rare case of a queue whose name is gone. */
struct mqfs_handle *mqfs_files_find(struct mqfs_view_fs *fs, const char *snap, const char *name);
/* Undoes mqfs_file_attach when the reply to open/create could not be delivered. */
void mqfs_file_detach(struct mqfs_view_fs *fs, struct fuse_file_info *fi);
/* Retries every blocked write and wakes every poller (after a policy change). */
void mqfs_files_recheck(struct mqfs_view_fs *fs);
/* Answers every blocked write with err (shutdown). */
void mqfs_files_cancel(struct mqfs_view_fs *fs, int err);
/* Frees every open file (the session is gone: no release will come). */
void mqfs_files_free(struct mqfs_view_fs *fs);
