/* broker.h — mediated POSIX message-queue operations (SPEC §4).
 *
 * Every operation names the snap whose grant set is used, the caller, and a queue. The
 * broker looks the snap's grant up afresh in the current grant table (never cached
 * across calls, so a disconnection takes effect at once, also on open handles),
 * checks the permission the operation needs, and then performs the real mq_* call
 * with the caller's credentials on the calling thread (fsuid/euid, real uid, gids
 * and groups switched per thread with raw syscalls), so that the kernel's own owner
 * and mode checks, the owner of a new queue and the RLIMIT_MSGQUEUE charge all fall
 * on the caller and never on root.
 *
 * A queue the snap holds no grant for does not exist for it: -ENOENT for every
 * operation but create, which gives -EACCES; whether the queue exists on the host
 * is never revealed. Other errors are the kernel's own, as negative errno values.
 *
 * One judge (SPEC §4): every grant question of an operation is answered here, from
 * one lookup in the grant table; a front end (the FUSE filesystem, the syscall door)
 * makes one broker call per operation and never asks the grant table itself. What it
 * needs besides the result comes with the answer: the attributes are already narrowed
 * to the grant, and the verdict (struct mqfs_verdict) says why a call was refused.
 *
 * All functions are thread-safe. No lock is held across a blocking call. The FUSE
 * layer may call with wait == NULL (never block) and poll mqfs_handle_fd() itself. */
#pragma once

#include <mqueue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct mqfs_grant_table;

/* What the broker decided on one call, for the front end's log (and for the errno a
 * front end translates, e.g. mq_unlink's EACCES into unlink(2)'s EPERM).
 * perms: the grant the call read (enum mqfs_perm bits, 0 for none; left 0 when the
 * call was refused before reading it: a bad name or argument).
 * denial: why the call was refused, "" when it was not a denial (success, a granted
 * queue that does not exist, a bad name, an I/O error): "no grant for this queue",
 * "the grant does not include WORD", "the caller does not own the queue", "refused by
 * the queue's owner and mode". */
struct mqfs_verdict {
        unsigned perms;
        char denial[64];
};

/* Who asks. groups may be NULL when ngroups is 0.
 *
 * load_groups (optional, NULL when groups are given): for callers whose supplementary
 * groups are costly to learn (the FUSE layer reads them from /proc: 16 us, more than
 * the rest of an open). When set, ngroups/groups are not known yet; the broker calls
 * load_groups(load_ctx) before acting with the caller's credentials, which must fill
 * ngroups/groups of this very struct and clear load_groups, and return 0 or -errno.
 * mqfs_broker_open and mqfs_broker_unlink skip it when the groups cannot change the
 * kernel's answer: opening a queue whose group cannot decide (see mqfs_broker_open),
 * and creating or removing in an mqueue root open to all (1777, the kernel's own). */
struct mqfs_caller {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        size_t ngroups;
        const gid_t *groups;
        int (*load_groups)(void *load_ctx);
        void *load_ctx;
        /* Where the verdict of each call made for this caller goes; NULL for none. */
        struct mqfs_verdict *verdict;
};

/* How long a send or receive may wait when the queue is full or empty.
 * deadline: absolute CLOCK_REALTIME time, NULL for no limit (-ETIMEDOUT when reached).
 * cancel_fd: a descriptor that becomes readable to cancel the wait (-EINTR), or -1. */
struct mqfs_wait {
        const struct timespec *deadline;
        int cancel_fd;
};

struct mqfs_broker;
struct mqfs_handle;

/* backing_dirfd: a directory descriptor on a mqueue filesystem of the broker's IPC
 * namespace (the daemon's private backing mount, see backing.h), used for listing,
 * stat, chmod/chown and the status line. The broker takes ownership of it (closed by
 * mqfs_broker_free, or at once when mqfs_broker_new fails).
 * grants: the first grant table (the broker takes this reference in every case), may
 * be NULL for none. -EINVAL when backing_dirfd is not a mqueue directory. */
int mqfs_broker_new(int backing_dirfd, struct mqfs_grant_table *grants, struct mqfs_broker **out);
void mqfs_broker_free(struct mqfs_broker *b);
/* The backing directory descriptor (owned by the broker), e.g. to watch it with inotify
 * through /proc/self/fd/N. */
int mqfs_broker_backing_fd(const struct mqfs_broker *b);

/* Installs a new frozen grant table, taking the caller's reference. Calls already
 * running finish with the table they started with. */
void mqfs_broker_set_grant_table(struct mqfs_broker *b, struct mqfs_grant_table *grants);
/* A new reference to the current table (release with mqfs_grant_table_unref), or NULL. */
struct mqfs_grant_table *mqfs_broker_grant_table(struct mqfs_broker *b);

/* Opens queue name ("/name") for snap. oflag: O_RDONLY, O_WRONLY or O_RDWR, with
 * O_CREAT, O_EXCL, O_NONBLOCK as for mq_open (other bits are ignored).
 * The grant is judged at open for every caller, root included (SPEC §4): opening an
 * existing queue for reading (O_RDONLY, O_RDWR) needs read, for writing (O_WRONLY,
 * O_RDWR) needs write (-EACCES without). O_CREAT on a missing queue needs the create
 * grant (-EACCES without it), O_CREAT|O_EXCL always does; a queue this call creates
 * needs nothing more (a file's touch): the handle's sends and receives are judged one
 * by one. With O_CREAT and a grant that lacks the access mode, an existing queue gives
 * -EACCES (the exclusive create finds it). attr NULL means the kernel's default
 * attributes; the new queue is owned by the
 * caller and gets exactly mode & 07777 (the daemon's umask does not apply: apply the
 * caller's umask before calling; to that end a thread that creates a queue gets its
 * own filesystem context, unshare(CLONE_FS), so a later chdir/umask by another thread
 * no longer reaches it). Opening needs any grant. The new queue is charged to
 * the caller's uid against the daemon's RLIMIT_MSGQUEUE (-EMFILE when over).
 * A caller whose groups are still to load (load_groups) opening an existing queue
 * (no O_CREAT) is let in without them when they cannot matter: the caller is root, or
 * owns the queue, or has its group as primary group, or the queue's group bits and
 * other bits agree on the access asked. The queue's attributes are read before the
 * open and again from the opened descriptor; if they differ (a chmod or chown raced
 * with the open), or the open was refused, the groups are loaded and the open redone. */
int mqfs_broker_open(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                     const char *name, int oflag, mode_t mode, const struct mq_attr *attr,
                     struct mqfs_handle **out);

/* The general open, for the front ends: mqfs_broker_open is mqfs_open_req without
 * options. All of mqfs_broker_open's rules apply. */
enum mqfs_open_option {
        /* Judge the access mode also when this call creates the queue: for a descriptor
         * that bypasses the broker from then on (the syscall door, SPEC §9). */
        MQFS_OPEN_JUDGE_CREATE = 1u << 0,
        /* open(2) with O_TRUNC (which the FUSE front end receives and the kernel's
         * mq_open has no notion of): writing is judged too, grant and the queue's mode,
         * also with O_RDONLY, as the kernel's open(2) judges a truncation. The queue is
         * not changed (a queue has no bytes to cut). */
        MQFS_OPEN_TRUNC = 1u << 1,
};

struct mqfs_open_req {
        const char *snap;                 /* whose grant set is used */
        const struct mqfs_caller *caller; /* who asks; its verdict is filled */
        const char *name;                 /* "/name" */
        int oflag;                        /* mq_open's: access mode, O_CREAT, O_EXCL, O_NONBLOCK */
        mode_t mode;                      /* with O_CREAT: the caller's umask already applied */
        const struct mq_attr *attr;       /* with O_CREAT: NULL for the kernel's defaults */
        unsigned options;                 /* enum mqfs_open_option bits */
};

/* Opens as req says into a handle (*out). st (may be NULL): the view attributes of the
 * queue opened (as mqfs_broker_handle_stat gives them), from the same grant lookup, so
 * that a front end's create costs one broker call. */
int mqfs_broker_open_req(struct mqfs_broker *b, const struct mqfs_open_req *req,
                         struct mqfs_handle **out, struct stat *st);

void mqfs_handle_close(struct mqfs_handle *h);

/* mq_open for the syscall door (SPEC §9): every rule and the same judging as
 * mqfs_broker_open, with MQFS_OPEN_JUDGE_CREATE (the grant must hold the access mode
 * also when the queue is created, because the descriptor then leaves the broker and the
 * kernel alone judges what is done with it). mode: the caller's umask already applied.
 * caller->verdict, when set, says why a refusal was one. Returns a plain queue
 * descriptor of the caller's exact oflag: its access mode, O_NONBLOCK only when asked
 * (a blocking mq_send/mq_receive on it sleeps in the kernel, in the caller once
 * installed with SECCOMP_IOCTL_NOTIF_ADDFD), close-on-exec; no handle is kept, the
 * descriptor is the caller's of this function to install and close. Or -errno. */
int mqfs_broker_open_fd(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                        const char *name, int oflag, mode_t mode, const struct mq_attr *attr);
/* The queue descriptor, for poll(2)/epoll: readable when a message waits, writable when
 * there is room. Owned by the handle. It is always in non-blocking mode (the handle
 * keeps the caller's O_NONBLOCK apart); do not change its flags, and do not hand it
 * out (a front end that gives a descriptor away uses mqfs_broker_open_fd). */
int mqfs_handle_fd(const struct mqfs_handle *h);
const char *mqfs_handle_name(const struct mqfs_handle *h);
const char *mqfs_handle_snap(const struct mqfs_handle *h);
/* The uid of the caller that opened it. */
uid_t mqfs_handle_uid(const struct mqfs_handle *h);

/* Sends one message (write grant). wait NULL, or a handle opened O_NONBLOCK: -EAGAIN
 * when the queue is full. -EMSGSIZE when len exceeds the queue's msgsize, -EBADF on a
 * handle not opened for writing, -EINVAL for prio >= MQ_PRIO_MAX or a malformed
 * deadline. While waiting: -ETIMEDOUT, -EINTR (cancelled, or a signal), and the grant
 * is checked again after every wake-up. */
int mqfs_broker_send(struct mqfs_broker *b, struct mqfs_handle *h, const void *msg, size_t len,
                     unsigned prio, const struct mqfs_wait *wait);
/* Receives the oldest message of highest priority (read grant); returns its length.
 * size must be at least the queue's msgsize (-EMSGSIZE otherwise). prio may be NULL. */
ssize_t mqfs_broker_receive(struct mqfs_broker *b, struct mqfs_handle *h, void *buf, size_t size,
                            unsigned *prio, const struct mqfs_wait *wait);

/* mq_getattr (any grant). */
int mqfs_broker_getattr(struct mqfs_broker *b, struct mqfs_handle *h, struct mq_attr *attr);
/* mq_setattr (any grant): only O_NONBLOCK in attr->mq_flags changes, as in the kernel.
 * old may be NULL. */
int mqfs_broker_setattr(struct mqfs_broker *b, struct mqfs_handle *h, const struct mq_attr *attr,
                        struct mq_attr *old);
/* Which of POLLIN (a message waits, read grant) and POLLOUT (room, write grant) hold now. */
int mqfs_broker_ready(struct mqfs_broker *b, struct mqfs_handle *h, short *revents);
/* The same, and in *possible which of the two the grant allows at all (what a poller
 * may usefully wait for), from the same grant lookup. */
int mqfs_broker_poll(struct mqfs_broker *b, struct mqfs_handle *h, short *revents, short *possible);

/* Why a handle operation that needed `needed` (enum mqfs_perm, 0 for any grant) was
 * refused with err, for the log: a static string, or NULL when err is not a denial.
 * A handle's queue always exists, so -ENOENT means the grant was withdrawn. */
const char *mqfs_handle_denial(int err, unsigned needed);

/* Removes the queue (delete grant), with the caller's credentials: the mqueue root is
 * sticky, so the kernel refuses (-EACCES) a caller who owns neither queue nor root. */
int mqfs_broker_unlink(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name);

/* The kernel's status line for the queue, byte for byte (SPEC §5 read), without
 * consuming anything (any grant; the caller needs read access to the queue as the
 * kernel judges it). Reading it moves the queue's atime and ctime, as the kernel's own
 * read does. Writes the line and a NUL into buf and returns the line's length, or
 * -ERANGE when size is too small (MQFS_STATUS_MAX always suffices). */
enum { MQFS_STATUS_MAX = 80 }; /* the kernel's status buffer, NUL included */
int mqfs_broker_status(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, char *buf, size_t size);

/* The same line read through an open handle (any grant), as a read() on an open
 * /dev/mqueue file gives it: the kernel judged the caller's access when the handle was
 * opened, so no credentials are switched (about 1 syscall instead of 10). -EBADF when
 * the handle was opened O_WRONLY, as with the kernel. */
int mqfs_broker_handle_status(struct mqfs_broker *b, struct mqfs_handle *h, char *buf, size_t size);

/* The queue's attributes as the view shows them (any grant): real owner, group and
 * times; mode bits narrowed to the grant (no r bits without read, no w bits without
 * write); st_size = bytes queued (QSIZE). Getting QSIZE of a non-empty queue means
 * reading its status, which moves atime and ctime (after they are taken for st). */
int mqfs_broker_stat(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                     const char *name, struct stat *st);

/* The same attributes for the queue an open handle holds (any grant, checked by the
 * handle's name as every handle operation is), read through the handle: when the queue
 * has been unlinked meanwhile they are still its own (st_nlink 0), as fstat of an open
 * /dev/mqueue file gives them, never those of a new queue of the same name. */
int mqfs_broker_handle_stat(struct mqfs_broker *b, struct mqfs_handle *h, struct stat *st);

/* The backing queue that name holds now, as its inode number in the backing mqueue
 * mount (*id), for a front end to tell whether a name still holds the queue it knew: 0,
 * or -ENOENT when there is none. Nothing is judged and the queue is not opened (one
 * fstatat as the daemon, which moves no time): the answer must not reach a caller. */
int mqfs_broker_queue_id(struct mqfs_broker *b, const char *name, uint64_t *id);

/* chmod/chown need the write grant, and the caller must own the queue or be root;
 * the kernel's own chown rules apply on top. uid/gid (uid_t)-1 / (gid_t)-1 keep.
 * chmod and chown of one setattr, all or nothing (SPEC §4): the owner and group first
 * (the kernel's chown rules apply as the caller), then the mode; when a part is refused,
 * what an earlier part changed is put back and the error returned. set_mode false, uid
 * (uid_t)-1 and gid (gid_t)-1 leave that part alone. A setattr that also sets times
 * must judge them before calling this (the caller may no longer own the queue after);
 * mqfs_broker_change does it all in one call. */
int mqfs_broker_set_owner_mode(struct mqfs_broker *b, const char *snap,
                               const struct mqfs_caller *caller, const char *name, bool set_mode,
                               mode_t mode, uid_t uid, gid_t gid);
int mqfs_broker_chmod(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                      const char *name, mode_t mode);
int mqfs_broker_chown(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                      const char *name, uid_t uid, gid_t gid);

/* Whether snap is installed (has a view) in the current table: one lookup. */
bool mqfs_broker_snap_installed(struct mqfs_broker *b, const char *snap);
/* Calls fn with the name of every installed snap, in name order; fn returns 0 to go on,
 * anything else to stop (returned as is). */
typedef int (*mqfs_snap_fn)(void *ctx, const char *snap);
int mqfs_broker_list_snaps(struct mqfs_broker *b, mqfs_snap_fn fn, void *ctx);

/* A setattr by name (chmod, chown, truncate, utimes), judged from one grant lookup and
 * answered with the attributes after it (as mqfs_broker_stat gives them; st may be NULL
 * for none). Owner and mode are changed all or nothing (mqfs_broker_set_owner_mode). Any grant to
 * see the queue; size and times as the kernel checks them before a setattr when it
 * judges modes (truncate needs write access, grant and queue mode; times set to given
 * values need the owner or root, set to now the owner or write access; root passes
 * the mode; through_file: the front end's open file allowed writing already, for the
 * size); mode and owner as mqfs_broker_chmod and mqfs_broker_chown; then the times are
 * set, to atime/mtime or to now, as utimensat sets them (SPEC §5). A size changes
 * nothing, nor does the stamp of "now" that comes with it (a truncate: a queue has no
 * bytes to cut, SPEC §5 "O_TRUNC and truncate succeed and change nothing"). */
enum mqfs_change_what {
        MQFS_CHANGE_MODE = 1u << 0,
        MQFS_CHANGE_UID = 1u << 1,
        MQFS_CHANGE_GID = 1u << 2,
        MQFS_CHANGE_SIZE = 1u << 3,
        MQFS_CHANGE_ATIME = 1u << 4, /* with _NOW: to the current time */
        MQFS_CHANGE_MTIME = 1u << 5,
        MQFS_CHANGE_ATIME_NOW = 1u << 6,
        MQFS_CHANGE_MTIME_NOW = 1u << 7,
};
struct mqfs_change {
        unsigned what; /* enum mqfs_change_what bits */
        mode_t mode;
        uid_t uid;
        gid_t gid;
        bool through_file;
        struct timespec atime, mtime; /* for _ATIME and _MTIME without _NOW */
};
int mqfs_broker_change(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, const struct mqfs_change *c, struct stat *st);
/* The same change of the queue an open handle holds, also after its name was unlinked
 * or reused, as the kernel's fchmod, fchown, futimens and ftruncate act on the open
 * file's queue (SPEC §5); the grant is judged by the handle's name, as for every
 * handle operation. st: its attributes after (as mqfs_broker_handle_stat), or NULL. */
int mqfs_broker_handle_change(struct mqfs_broker *b, struct mqfs_handle *h,
                              const struct mqfs_caller *caller, const struct mqfs_change *c,
                              struct stat *st);

/* access(2) on the queue as the view shows it: mask is F_OK or any of R_OK, W_OK and
 * X_OK. R_OK needs the read grant and W_OK the write grant; then the kernel judges the
 * caller's credentials against the real queue (faccessat with AT_EACCESS, as the
 * caller: its fs ids and groups, and root's override for root). 0; -ENOENT without a
 * grant or when the queue is missing; -EACCES when refused; -EINVAL for other bits. */
int mqfs_broker_access(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                       const char *name, int mask);

/* Calls fn for every queue that exists now and that snap holds a grant for, in
 * name order (strcmp), with its name in "/name" form and its view attributes as
 * mqfs_broker_stat gives them. fn returns 0 to go on, anything else to stop (returned
 * as is). -ENOENT when snap is not installed. Costs one stat per listed queue plus the
 * smaller of: one probe per granted queue, or one read of the backing directory. */
typedef int (*mqfs_list_fn)(void *ctx, const char *name, const struct stat *st);
int mqfs_broker_list(struct mqfs_broker *b, const char *snap, mqfs_list_fn fn, void *ctx);

/* The same names in the same order, without attributes, for a directory listing (which
 * needs only names): no queue is opened. Costs the smaller of one fstatat per granted
 * queue, or one read of the backing directory. fn returns 0 to go on, anything else to
 * stop (returned as is). -ENOENT when snap is not installed. */
typedef int (*mqfs_name_fn)(void *ctx, const char *name);
int mqfs_broker_list_names(struct mqfs_broker *b, const char *snap, mqfs_name_fn fn, void *ctx);
