/* notify.h — cache invalidations sent to the kernel from a thread of their own.
 *
 * Why a thread: the kernel handles FUSE_NOTIFY_INVAL_ENTRY by taking the parent
 * directory's inode lock (fs/fuse/dir.c, fuse_reverse_inval_entry). A lookup, create
 * or unlink in that directory holds the same lock while it waits for our reply. If the
 * request loop itself wrote the notification while such a request sat unread in
 * /dev/fuse, the write would wait for the lock, the lock for the reply, and the reply
 * for the loop: a deadlock. So the loop only queues invalidations here (never blocks),
 * and this thread writes them while the loop goes on answering.
 *
 * Shutdown: mqfs_notifier_finish asks the thread to send what is queued and end;
 * the loop must keep serving requests until mqfs_notifier_done_fd becomes readable,
 * then call mqfs_notifier_free (which joins). */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct fuse_session;
struct mqfs_notifier;

int mqfs_notifier_new(struct fuse_session *se, struct mqfs_notifier **out);
/* Queue an invalidation; never blocks. When the queue is full (a flood of changes),
 * the item is dropped and counted, and -ENOSPC returned. */
int mqfs_notifier_inval_entry(struct mqfs_notifier *n, uint64_t parent, const char *name);
int mqfs_notifier_inval_inode(struct mqfs_notifier *n, uint64_t ino);
/* Becomes readable once the thread has ended (after mqfs_notifier_finish). */
int mqfs_notifier_done_fd(const struct mqfs_notifier *n);
void mqfs_notifier_finish(struct mqfs_notifier *n);
/* Joins the thread (calls finish first if needed) and frees everything. */
void mqfs_notifier_free(struct mqfs_notifier *n);

/* How many notifications the kernel accepted, and how many failed or were dropped. */
void mqfs_notifier_stats(struct mqfs_notifier *n, uint64_t *sent, uint64_t *failed);
