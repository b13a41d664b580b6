/* door.h — the syscall door in mqfsd (SPEC §9): mq_open and mq_unlink of programs started
 * under mqfs-exec, answered by the broker.
 *
 * The door listens on a Unix socket (door_proto.h). A registration hands over a seccomp
 * listener and a descriptor of the caller's view; the door accepts it only when that
 * descriptor is a view root of this daemon's own mount, and the snap is the view's
 * (never a name the client sends). From then on every mq_open/mq_unlink of the processes
 * under that filter arrives on the listener, in the daemon's loop: the name, flags, mode
 * and attributes are read from the caller's memory, its fs ids, groups and umask from
 * /proc, the notification is checked still valid after each read (the pid may have been
 * recycled), and the broker decides. An opened queue's descriptor is installed in the
 * caller (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND, close-on-exec), so the
 * caller's mq_open returns it; the kernel is never asked to carry the call on itself
 * (no SECCOMP_USER_NOTIF_FLAG_CONTINUE: it would read the name again after the check).
 *
 * A registration ends when no process uses its filter any more (the listener hangs up).
 * Bounded: registrations by the budgets of the registering snap and uid (budget.h,
 * system.yaml limits: door-registrations), MQFS_DOOR_CONNS_MAX connections waiting for
 * their registration message.
 * Single-threaded: everything runs on the loop's thread. */
#pragma once

struct mqfs_broker;
struct mqfs_loop;
struct mqfs_filesystem;
struct mqfs_door;

enum {
        MQFS_DOOR_CONNS_MAX = 64,
};

/* Binds the socket at path (replacing what is there: /run is root's alone) and serves it
 * in loop. fs: the filesystem whose view roots identify snaps (its mount_dev must be
 * set). 0 or -errno after logging why. */
int mqfs_door_new(const char *path, struct mqfs_broker *broker, struct mqfs_filesystem *fs,
                  struct mqfs_loop *loop, struct mqfs_door **out);
/* Closes every registration (their processes' mq_open then fail with ENOSYS) and removes
 * the socket. */
void mqfs_door_free(struct mqfs_door *door);
