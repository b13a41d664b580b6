/* filesystem.h — the filesystem: FUSE low-level operations over the broker (SPEC §5).
 *
 * The tree: inode 1 is the mount root (0700 root:root) with one directory per
 * installed snap (01777 root:root, as /dev/mqueue); in each, the queues that exist
 * and that the snap holds a grant for. Every operation on a queue is a broker call
 * with the FUSE caller's credentials; the supplementary groups (read from /proc by
 * libfuse) are fetched only for the operations that check credentials (open, create,
 * unlink, chmod, chown), never for lookup, stat or readdir.
 *
 * Only callers in the daemon's own mount namespace (the host) may look names up in or
 * list the mount root; snaps use their view through /dev/mqueue (filesystem.c says why).
 *
 * Caching (see the comment in filesystem.c for the figures): positive entries of queues
 * are cached for MQFS_ENTRY_TIMEOUT and invalidated when a grant or a queue changes;
 * entries of views in the root and negative entries are not cached; queue attributes
 * are never cached (QSIZE and the times change with every message); directory
 * attributes never change.
 *
 * Everything here runs on the loop's thread; cache invalidations go through the
 * notifier thread (notify.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "caller_ns.h"
#include "qname.h"

struct fuse_session;
struct fuse_lowlevel_ops;
struct mqfs_broker;
struct mqfs_grant_table;
struct mqfs_loop;
struct mqfs_notifier;
struct mqfs_inode_table;
struct mqfs_open_file;
struct mqfs_budget;

/* Seconds. Overridable at build time only to measure the alternatives. */
#ifndef MQFS_ENTRY_TIMEOUT
#define MQFS_ENTRY_TIMEOUT 60.0
#endif
#ifndef MQFS_DIR_ATTR_TIMEOUT
#define MQFS_DIR_ATTR_TIMEOUT 3600.0
#endif
#ifndef MQFS_QUEUE_ATTR_TIMEOUT
#define MQFS_QUEUE_ATTR_TIMEOUT 0.0
#endif

struct mqfs_filesystem {
        struct mqfs_broker *broker;      /* not owned */
        struct mqfs_loop *loop;          /* not owned */
        struct mqfs_notifier *notifier;  /* not owned; NULL until the session exists */
        struct fuse_session *se;         /* not owned */
        struct mqfs_inode_table *inodes; /* owned */
        struct mqfs_open_file *files;    /* every open queue file (a list) */
        struct mqfs_budget *budget;      /* not owned; NULL: no per-caller budgets */
        struct timespec born;            /* times of the root and the views */
        struct mqfs_caller_ns host;      /* the daemon's own mount namespace */
        uint64_t mount_dev;              /* st_dev of the mount; 0 until mounted */
        bool aa_labels; /* AppArmor runs: callers' labels are checked (aa_label.h) */
        bool closing;
        /* Unlinks made through a view whose inotify event has not been read yet: the
         * kernel removed that view's entry itself, so the event must not invalidate the
         * entry again (by then it may be a queue created anew through the view). */
        struct {
                uint64_t view;
                char name[MQFS_QNAME_MAX + 2];
        } own_unlinks[16];
        size_t nown_unlinks;
        /* Listings of views shared by the handles that read them (dir_listing.c): one per
         * view at most, while no queue or grant has changed since it was taken. */
        struct listing_shot *shots;
        int changes_fd; /* readable while backing changes are unread; -1: never share */
};

/* 0, or -errno after logging why (no /proc, no memory). */
int mqfs_filesystem_init(struct mqfs_filesystem *fs, struct mqfs_broker *broker,
                         struct mqfs_loop *loop);
/* Frees what the filesystem owns, open files included; call after the session is
 * destroyed (no request can come any more). */
void mqfs_filesystem_destroy(struct mqfs_filesystem *fs);

const struct fuse_lowlevel_ops *mqfs_filesystem_ops(void);

/* After a new grant table is in place: invalidates the kernel's entries that the
 * change makes wrong, drops inodes nobody holds, and retries blocked writes (which
 * now fail if their grant went away). old and new may be NULL. */
void mqfs_filesystem_grants_changed(struct mqfs_filesystem *fs, const struct mqfs_grant_table *old,
                                    const struct mqfs_grant_table *new);
/* A queue appeared in or vanished from the backing mount (name "/q"), or, with
 * name NULL, events were lost: invalidate what the kernel may have cached. */
void mqfs_filesystem_queue_changed(struct mqfs_filesystem *fs, const char *name);
/* The snap whose view root is the directory (dev, ino) (as statx gives them for an open
 * descriptor), or NULL when that is not a view root of this mount (another file system,
 * the mount root, a queue). The string lives until the view's inode is forgotten: copy it.
 * The syscall door identifies a registering snap by it (door.h). */
const char *mqfs_filesystem_view_snap(struct mqfs_filesystem *fs, uint64_t dev, uint64_t ino);
/* fd (not taken over) is readable while changes of the backing mount's queues wait to
 * be read (the queue watch's inotify descriptor): from then on a view's listing is
 * shared by the handles that read it while nothing has changed. Whoever reads the
 * changes calls mqfs_filesystem_queue_changed (or _listings_changed) for each. */
void mqfs_filesystem_share_listings(struct mqfs_filesystem *fs, int fd);
/* Some view's queues or grants changed: no listing taken before is shared again. */
void mqfs_filesystem_listings_changed(struct mqfs_filesystem *fs);
/* Shutdown: answers every blocked write with err and stops parking new ones. */
void mqfs_filesystem_close(struct mqfs_filesystem *fs, int err);
