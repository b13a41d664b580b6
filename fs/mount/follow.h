/* follow.h — `mqfs-mount follow`: views follow snapd's namespaces (SPEC §6).
 *
 * A long-running mode (a systemd service, mqfs-follow.service). It watches snapd's
 * namespace directory (/run/snapd/ns) with inotify and the helper's own mount table
 * (/proc/self/mountinfo polls POLLPRI on every mount and unmount): snap-confine creates
 * SNAP.mnt empty and then bind-mounts the snap's namespace on it, and snapd discards a
 * namespace by unmounting and unlinking it, so the file events and the mount events
 * together see each step. After each batch of events it surveys the directory:
 *  - a SNAP.mnt that is a mount namespace it has not attached to (new, or rebuilt: the
 *    nsfs identity changed) gets MOUNTPOINT/SNAP attached over /dev/mqueue, exactly as
 *    `mqfs-mount attach SNAP` does, and recorded for list and repair;
 *  - a namespace that went (file gone or no longer a namespace) is forgotten, with its
 *    record;
 *  - an attach that failed (daemon not running, snap unknown to it yet) is tried again
 *    at the next event (the daemon's own mount appearing is one), said once per cause.
 * Files of other names (SNAP.fstab, SNAP.info, per-user SNAP.UID.mnt) are left alone.
 * SIGTERM and SIGINT end it (status 0); SIGHUP surveys again. Lines go to stdout (the
 * journal under systemd). */
#pragma once

/* Runs until a signal ends it. 0, or -errno after saying why on stderr when it cannot
 * start (no inotify, no /proc). */
int mqfs_follow(const char *root, const char *ns_dir);
