/* inode.h — the numbers the kernel knows our files by.
 *
 * Inode 1 is the mount root. Every other inode stands for a view (one snap's
 * directory) or a queue in a view, and is keyed by (snap, queue). A number stays the
 * same for as long as the kernel holds a lookup on it, and is never reused for
 * another key.
 *
 * Numbers say nothing about other snaps (SPEC §5): each view has its own series,
 * PREFIX << MQFS_INO_SERIES_SHIFT, where PREFIX is derived from the snap's name alone
 * (a hash, moved on to the next free one in the rare case another snap's name took
 * it first). The view itself is PREFIX:1, whenever it is entered; its queues count up
 * from PREFIX:2 in the order this view entered them, whatever other views do. The kernel's lookup
 * count is kept here: lookup and create add one, forget takes n away, and at zero the inode is
 * dropped. Inodes may also be entered with no lookup (for readdir's d_ino); they stay until
 * forgotten or pruned. Single-threaded; every operation is O(1) on average. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MQFS_ROOT_INO = 1 };
/* A view's series: its numbers share the bits above this shift. */
#define MQFS_INO_SERIES_SHIFT 40
#define MQFS_INO_SERIES_SIZE  (UINT64_C(1) << MQFS_INO_SERIES_SHIFT)

enum mqfs_inode_kind {
        MQFS_INODE_ROOT,
        MQFS_INODE_VIEW,
        MQFS_INODE_QUEUE,
};

struct mqfs_inode {
        uint64_t ino;
        enum mqfs_inode_kind kind;
        char *snap;  /* NULL for the root */
        char *queue; /* "/name" for a queue, NULL otherwise */
        uint64_t nlookup;
        /* The backing queue this inode stands for: its inode number in the daemon's
         * mqueue mount (0 until known). A name removed and made again outside the view
         * holds another one (mqfs_inode_holds). */
        uint64_t queue_id;
        /* The queue's name was unlinked through the view (mqfs_inode_detach): the inode
         * stands for the queue its open files hold, no longer for the name. */
        bool detached;
        /* private: hash chains */
        struct mqfs_inode *next_by_ino;
        struct mqfs_inode *next_by_key;
};

struct mqfs_inode_table;

int mqfs_inode_table_new(struct mqfs_inode_table **out);
void mqfs_inode_table_free(struct mqfs_inode_table *t);

/* The inode numbered ino, or NULL. */
struct mqfs_inode *mqfs_inode_get(struct mqfs_inode_table *t, uint64_t ino);
/* The inode of a view (queue NULL) or of a queue, or NULL. */
struct mqfs_inode *mqfs_inode_find(struct mqfs_inode_table *t, const char *snap, const char *queue);
/* Finds or enters the inode for (snap, queue) without changing its lookup count.
 * 0, -ENOMEM, or -ENOSPC when the view's series is used up (2^40 queues entered).
 * The door identifies a view root by its number: mqfs_inode_get, kind MQFS_INODE_VIEW,
 * and its snap. */
int mqfs_inode_enter(struct mqfs_inode_table *t, const char *snap, const char *queue,
                     struct mqfs_inode **out);
/* Parts a queue's inode from its name, when the name was unlinked: the kernel keeps the
 * inode for the files open on the unlinked queue (their fstat, fchmod, ... come to it),
 * while a queue created later under the name gets a new inode and number, as the
 * kernel's mqueuefs gives it a new inode. mqfs_inode_find and mqfs_inode_enter no
 * longer see it; mqfs_inode_get does until it is forgotten (dropped at once when the
 * kernel holds no lookup on it). Views and the root are not detached. */
void mqfs_inode_detach(struct mqfs_inode_table *t, struct mqfs_inode *in);
/* Says that the name of queue inode in holds the backing queue queue_id now. true when
 * in stands for that queue (its queue_id is recorded on first use). false when it stood
 * for another one: the name was removed and made again outside the view (mq_unlink and
 * mq_open on the backing instance, the syscall door), which the kernel's mqueuefs
 * answers with a new inode, so in is detached (and freed when the kernel holds no
 * lookup on it: do not use in after false), or was detached already. */
bool mqfs_inode_holds(struct mqfs_inode_table *t, struct mqfs_inode *in, uint64_t queue_id);
/* Takes n lookups away (as FUSE's forget); drops the inode at zero. The root is ignored
 * (it is never dropped); an unknown number, or more lookups than the inode holds, is an
 * impossible state: the daemon aborts (check.h). */
void mqfs_inode_forget(struct mqfs_inode_table *t, uint64_t ino, uint64_t n);
/* Drops every inode with no lookup for which keep(ctx, inode) is false. */
void mqfs_inode_prune(struct mqfs_inode_table *t,
                      bool (*keep)(void *ctx, const struct mqfs_inode *), void *ctx);
/* Calls fn for every inode but the root; fn must not change the table. */
void mqfs_inode_foreach(struct mqfs_inode_table *t,
                        void (*fn)(void *ctx, const struct mqfs_inode *), void *ctx);
size_t mqfs_inode_count(const struct mqfs_inode_table *t);
