/* attach.h — attachments: a snap's view bind-mounted over /dev/mqueue inside the
 * snap's mount namespace (SPEC §6).
 *
 * Everything that names a file on the host (the daemon's mount, the view, the
 * namespace file) is opened here, in the helper's own namespace, before anything else
 * happens. The work inside the snap's namespace is done by a forked child that enters it
 * with setns(2), so the helper itself never changes namespace, root or cwd. Inside, paths
 * are resolved component by component without following any symlink (the snap may have
 * planted one), and the view is attached with open_tree(2) + move_mount(2) from
 * descriptors: a classic bind mount cannot take a source from another namespace.
 *
 * Every function returns 0 or -errno and, on failure, leaves in why a sentence that
 * says what was wrong, with which input, and what to do (without a "mqfs-mount: "
 * prefix). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define MQFS_FUSE_FSTYPE "fuse.mqfs"
#define MQFS_TARGET      "/dev/mqueue"

struct mqfs_msg {
        char text[640];
};

/* What the helper knows about its own side, gathered once. */
struct mqfs_host {
        int proc_fd;        /* the host's /proc, used from inside the snap's namespace too */
        int *shared_groups; /* peer groups of the host's shared mounts, sorted */
        size_t nshared;
        dev_t ns_dev; /* the helper's own mount namespace */
        ino_t ns_ino;
};

int mqfs_host_open(struct mqfs_host *host, struct mqfs_msg *why);
void mqfs_host_close(struct mqfs_host *host);

/* A snap's view on the daemon's mount, MOUNTPOINT/SNAP. */
struct mqfs_view {
        int root_fd; /* O_PATH: MOUNTPOINT, the root of a fuse.mqfs mount */
        int fd;      /* O_PATH|O_DIRECTORY: MOUNTPOINT/SNAP */
        dev_t dev;   /* identity of the view's root directory */
        ino_t ino;
        const char *root; /* the caller's strings, for messages */
        const char *snap;
};

/* Opens MOUNTPOINT/SNAP after checking that MOUNTPOINT is the root of a running mqfs
 * daemon's mount (statfs FUSE_SUPER_MAGIC and fstype "fuse.mqfs" in mountinfo) and that
 * SNAP is a view there. snap must already be a valid snap name.
 * -EHOSTDOWN  no mqfs mount at root (the daemon is not running);
 * -ENOTCONN   the mount is there but its daemon is dead;
 * -ENOENT     the daemon does not know the snap;
 * -EBUSY      something else is mounted over the view. */
int mqfs_view_open(const struct mqfs_host *host, const char *root, const char *snap,
                   struct mqfs_view *view, struct mqfs_msg *why);
void mqfs_view_close(struct mqfs_view *view);

/* A snap's mount namespace. */
struct mqfs_snap_ns {
        int fd;
        dev_t dev; /* its identity (nsfs inode) */
        ino_t ino;
        const char *path; /* the caller's string, for messages */
};

/* Opens a namespace file and checks that it is a mount namespace other than the
 * helper's own. -ENOENT missing file, -ENOTTY not a namespace file, -EINVAL a namespace
 * of another type, -EPERM the helper's own namespace (attaching there would cover the
 * host's /dev/mqueue). */
int mqfs_ns_open(const struct mqfs_host *host, const char *path, struct mqfs_snap_ns *ns,
                 struct mqfs_msg *why);
void mqfs_ns_close(struct mqfs_snap_ns *ns);

enum mqfs_attach_outcome {
        MQFS_ATTACHED,         /* the view now covers /dev/mqueue */
        MQFS_ALREADY_ATTACHED, /* it already did: nothing changed */
        MQFS_REPLACED_BROKEN,  /* an attachment that no longer answered was taken off first */
};

/* Attaches view over /dev/mqueue in ns, creating /dev/mqueue (01777) when missing.
 * Idempotent. An attachment there whose daemon is gone (ENOTCONN) is unmounted first; a live
 * attachment of something else is left alone (-EBUSY). Refuses (-EXDEV) when the mount that
 * would hold the view shares mount events with the host's namespace. -ELOOP for a
 * symlink at /dev or /dev/mqueue. */
int mqfs_attach(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
                const struct mqfs_view *view, enum mqfs_attach_outcome *outcome,
                struct mqfs_msg *why);

enum mqfs_detach_outcome {
        MQFS_DETACHED,
        MQFS_NOT_ATTACHED, /* /dev/mqueue there is not an attachment: nothing changed */
};

/* Unmounts (lazily, so a dead daemon's view goes too) the attachment at /dev/mqueue in
 * ns, uncovering whatever was below it. Only a fuse.mqfs mount is ever unmounted. */
int mqfs_detach(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
                enum mqfs_detach_outcome *outcome, struct mqfs_msg *why);

/* What /dev/mqueue in a namespace is. */
struct mqfs_probe {
        bool attached;  /* an attachment (fuse.mqfs) is there */
        int view_errno; /* 0 when it answers (stat works), else the errno, e.g. ENOTCONN */
        dev_t dev;      /* identity of the view when it answers */
        ino_t ino;
};

int mqfs_probe(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
               struct mqfs_probe *probe, struct mqfs_msg *why);
