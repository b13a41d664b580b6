/* invalidate.c — keeping the kernel's cache true: entries that a grant change, a queue
 * removed outside the views, or lost inotify events make wrong are invalidated (through
 * the notifier thread, notify.h), inodes nobody holds any more are dropped, and blocked
 * writes and pollers are woken to ask again. Unlinks made through a view are noted so
 * that their own inotify event does not invalidate the entry a second time. */
#include <stdio.h>
#include <string.h>

#include "grants.h"
#include "notify.h"
#include "filesystem_internal.h"

/* Remembers an unlink through view (see own_unlinks in filesystem.h). When the list is
 * full the event invalidates as usual: one needless round trip, nothing wrong. */
void mqfs_own_unlink_note(struct mqfs_filesystem *fs, uint64_t view, const char *q)
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
static bool was_own_unlink(struct mqfs_filesystem *fs, uint64_t view, const char *q)
{
        for (size_t i = 0; i < fs->nown_unlinks; i++) {
                if (fs->own_unlinks[i].view != view || strcmp(fs->own_unlinks[i].name, q) != 0)
                        continue;
                fs->own_unlinks[i] = fs->own_unlinks[--fs->nown_unlinks];
                return true;
        }
        return false;
}

static void inval_entry(struct mqfs_filesystem *fs, uint64_t parent, const char *name)
{
        if (fs->notifier)
                (void)mqfs_notifier_inval_entry(fs->notifier, parent, name);
}

bool mqfs_queue_inode_holds(struct mqfs_filesystem *fs, struct mqfs_inode *in, uint64_t queue_id)
{
        bool replaced = in->kind == MQFS_INODE_QUEUE && !in->detached && in->queue_id &&
                        in->queue_id != queue_id;
        struct mqfs_inode *view = replaced ? mqfs_inode_find(fs->inodes, in->snap, NULL) : NULL;

        /* The kernel's entry for the name leads to this inode until it is invalidated.
         * The queue watch's events will invalidate it too, but the loop may read them
         * only after this request: ask now, to keep the window short. */
        if (view)
                inval_entry(fs, view->ino, in->queue + 1);
        return mqfs_inode_holds(fs->inodes, in, queue_id);
}

static void on_grant_change(void *ctx, const char *snap, const char *queue, unsigned old_perms,
                            unsigned new_perms)
{
        struct mqfs_filesystem *fs = ctx;

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
        const struct mqfs_grant_table *g;
};

static bool still_granted(void *ctx_, const struct mqfs_inode *in)
{
        struct prune_ctx *ctx = ctx_;
        const struct mqfs_grant_set *set =
            ctx->g ? mqfs_grant_table_set_of(ctx->g, in->snap) : NULL;

        if (in->kind == MQFS_INODE_VIEW)
                return set != NULL;
        return mqfs_grant_set_perms(set, in->queue) != 0;
}

void mqfs_filesystem_grants_changed(struct mqfs_filesystem *fs, const struct mqfs_grant_table *old,
                                    const struct mqfs_grant_table *new)
{
        mqfs_filesystem_listings_changed(fs);
        mqfs_grant_table_diff(old, new, on_grant_change, fs);
        /* A view that lost the grant gets no event for its unlinks: forget them all
         * (the events then invalidate, which is never wrong). */
        fs->nown_unlinks = 0;
        struct prune_ctx ctx = {.g = new};
        mqfs_inode_prune(fs->inodes, still_granted, &ctx);
        mqfs_files_recheck(fs);
}

void mqfs_filesystem_queue_changed(struct mqfs_filesystem *fs, const char *name)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(fs->broker);
        size_t n = g ? mqfs_grant_table_snap_count(g) : 0;

        mqfs_filesystem_listings_changed(fs);
        if (!name)
                fs->nown_unlinks = 0; /* events lost: which are ours is unknown */

        for (size_t i = 0; i < n; i++) {
                const struct mqfs_grant_set *set = mqfs_grant_table_set_at(g, i);
                struct mqfs_inode *view =
                    mqfs_inode_find(fs->inodes, mqfs_grant_set_snap(set), NULL);
                if (!view)
                        continue; /* the kernel holds nothing under it */
                if (name) {
                        if (mqfs_grant_set_perms(set, name) && !was_own_unlink(fs, view->ino, name))
                                inval_entry(fs, view->ino, name + 1);
                        continue;
                }
                for (size_t j = 0, m = mqfs_grant_set_count(set); j < m; j++)
                        inval_entry(fs, view->ino, mqfs_grant_set_queue_at(set, j, NULL) + 1);
        }
        if (g)
                mqfs_grant_table_unref(g);
}
