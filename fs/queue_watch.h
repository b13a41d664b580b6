/* queue_watch.h — queues created or removed in the backing mount.
 *
 * mqueuefs reports IN_CREATE and IN_DELETE on its root for mq_open(O_CREAT) and
 * mq_unlink by anyone in the IPC namespace (checked on this kernel: a watch on a
 * detached fsmount() root sees both), so the daemon learns of queues made or removed
 * outside the views and can drop the kernel's cached entries for them. */
#pragma once

struct mqfs_queue_watch;

enum mqfs_queue_event {
        MQFS_QUEUE_CREATED,
        MQFS_QUEUE_DELETED,
        MQFS_QUEUE_LOST, /* the kernel dropped events: anything may have changed */
};

/* dirfd: the backing mount's root (not taken over). */
int mqfs_queue_watch_new(int dirfd, struct mqfs_queue_watch **out);
void mqfs_queue_watch_free(struct mqfs_queue_watch *w);
int mqfs_queue_watch_fd(const struct mqfs_queue_watch *w);
/* Reads every pending event and calls fn for each; name is the queue ("/name"),
 * NULL for MQFS_QUEUE_LOST. */
void mqfs_queue_watch_read(struct mqfs_queue_watch *w,
                           void (*fn)(void *ctx, enum mqfs_queue_event ev, const char *name),
                           void *ctx);
