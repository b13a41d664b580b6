/* dead_mount.h — the mount a killed daemon leaves behind.
 *
 * A daemon that dies (SIGKILL, a crash) leaves its FUSE mount in place, dead: every
 * access to it gives ENOTCONN, and libfuse refuses to mount over it (it cannot stat the
 * mount point). The systemd unit takes it off with `umount --lazy` before starting
 * mqfsd; a daemon started any other way (by hand, another supervisor) does the same
 * itself, but only for a dead mount of its own type (fuse.mqfs). Anything else on the
 * mount point, dead or alive, is left alone. */
#pragma once

/* Takes a dead fuse.mqfs mount off mountpoint, lazily (the binds of it in snap mount
 * namespaces stay dead until `mqfs-mount repair` re-attaches them). 0 when there was
 * nothing to do or it was taken off; -EBUSY when a dead mount of another type is there;
 * another -errno when it could not be checked or unmounted. Logs what it did or why not. */
int mqfs_clear_dead_mount(const char *mountpoint);
