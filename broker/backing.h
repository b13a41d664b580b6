/* backing.h — the backing mount: the daemon's private mount of its IPC namespace's queues.
 *
 * The broker lists, stats, chmods and reads the status of queues through a mqueue
 * filesystem of the IPC namespace it runs in. Rather than trusting whatever happens to
 * be mounted on /dev/mqueue, the daemon makes its own mount, detached from every
 * mount tree, so nobody else can see it, replace it or mount over it. */
#pragma once

/* Returns a directory descriptor (O_CLOEXEC) on the root of a new, detached mqueue
 * mount of the calling thread's IPC namespace, or -errno. Uses fsopen()/fsmount();
 * where the kernel lacks them (-ENOSYS), mounts on a fresh private directory, opens
 * it and detaches the mount at once. Needs CAP_SYS_ADMIN. */
int mqfs_backing_open(void);

/* The fallback alone (mount on a fresh directory under /tmp, open, detach, remove the
 * directory); exposed so that tests can exercise it on kernels that have fsopen. */
int mqfs_backing_open_with_mount(void);

/* 0 when fd is a directory on a mqueue filesystem, -ENOTDIR or -EINVAL otherwise,
 * or another -errno from fstat/fstatfs. */
int mqfs_backing_check(int fd);
