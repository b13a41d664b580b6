/* test_differential.c — a view with a full grant against the kernel's own mqueue filesystem
 * (issue 15, SPEC §5): the same operation sequences, fixed and seeded-random, run on both,
 * as root and as a non-root user, and every difference is either sanctioned by a line of
 * SPEC §5 (listed below, with the line) or fails the test.
 *
 * The two sides. "kernel": a child that unshares IPC and mount namespaces and mounts a
 * fresh mqueue filesystem over /dev/mqueue (msg_default 4, msgsize_default 128, as the
 * world's); nothing of it outlives the child. "view": a child that enters the mount
 * namespace of snap "diff", whose view (mqfsd, attached by mqfs-mount as in the other
 * end-to-end tests) sits on /dev/mqueue; "diff" owns a slot with every permission on
 * /q0../q3, the names the sequences use, and the world's queues of those names are
 * removed before each run. Both children run the same sequence on /dev/mqueue/qN, with
 * umask 022, descriptors always O_NONBLOCK (a blocking write would hang the child), as
 * root or as USER (ops marked ROOT switch the effective ids back to root for that op).
 *
 * Compared for every operation: the return value (success/failure, byte counts), errno,
 * the bytes read, st_mode/st_uid/st_gid/st_nlink, poll's revents, the listing, and for
 * stat/lstat/fstat whether atime, mtime and ctime moved since the last stat of the same
 * queue (a queue is followed through its names and open files by the model below). The
 * mqueue filesystem stamps whole seconds, so in the sequences that compare times
 * ("timed") each stat is followed by a wait for the next second; the others skip it. st_size is
 * checked against the model's queued bytes (SANCTION_SIZE). A run stops at its first unsanctioned
 * difference (what follows would only repeat it); the difference is printed with the sequence, seed
 * and step.
 *
 * Writes: the kernel's mqueue file has no write(); a write() of a view sends one message
 * (SPEC §5), so the kernel side's "write" is mq_send() on the same descriptor (an mqueue
 * descriptor is an mqd_t), and a 0-byte write is emulated as SPEC §5 says FUSE makes it
 * (0, nothing sent; EBADF on a descriptor not open for writing, as write(2) checks that
 * first). zero_byte_write shows what the kernel does with an mq_send of 0 bytes.
 *
 * MQFS_DIFF_SEED=N runs random sequence N alone; MQFS_DIFF_SEEDS=K runs K seeds from N
 * (default 0, RANDOM_SEEDS seeds); MQFS_DIFF_TIMED=1 compares times in every seed (about
 * 30 s a seed), not only the first TIMED_SEEDS; MQFS_DIFF_VERBOSE=1 prints every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_harness.h"

#define SNAP         "diff"
#define QDIR         "/dev/mqueue/"
#define USER         47301 /* unusual ids: RLIMIT_MSGQUEUE is charged per uid, host-wide */
#define GROUP        47301
#define OTHER_GROUP  47302
#define NAMES        4
#define SLOTS        3
#define MAX_OPS      128
#define RANDOM_OPS   60
#define RANDOM_SEEDS 24
#define TIMED_SEEDS  2 /* seeds whose times are compared (a second's wait after each stat) */
#define CHILD_ALARM  120

/* ---- the sanctioned differences: each with the SPEC §5 line that allows it ---- */

enum sanction {
        SANCTION_NONE,
        SANCTION_SIZE,
        SANCTION_STAT_MOVES,
        SANCTION_TRUNCATE,
        SANCTION_COUNT,
};

static const char *const sanction_text[SANCTION_COUNT] = {
    [SANCTION_SIZE] = "SPEC §5 stat: \"`st_size` = bytes queued (QSIZE)\" (the kernel's st_size "
                      "is its status line's length, or what truncate set)",
    [SANCTION_STAT_MOVES] = "SPEC §5 stat: \"a stat of a queue that holds messages reads it, which "
                            "moves atime and ctime exactly as the kernel's own status read does\"",
    [SANCTION_TRUNCATE] = "SPEC §5 write: \"O_TRUNC and truncate succeed and change nothing\" (the "
                          "kernel's truncate moves mtime and ctime)",
};

/* ---- operations ---- */

enum op_kind {
        OP_OPEN,      /* name, slot, flags, mode */
        OP_CLOSE,     /* slot */
        OP_READ,      /* slot, len */
        OP_WRITE,     /* slot, len */
        OP_LSEEK0,    /* slot: lseek(fd, 0, SEEK_SET) */
        OP_STAT,      /* name */
        OP_LSTAT,     /* name */
        OP_FSTAT,     /* slot */
        OP_CHMOD,     /* name, mode */
        OP_FCHMOD,    /* slot, mode */
        OP_CHOWN,     /* name, uid, gid */
        OP_FCHOWN,    /* slot, uid, gid */
        OP_UTIMES,    /* name, flags: 0 NULL (now), 1 explicit, 2 explicit atime + UTIME_OMIT */
        OP_FUTIMENS,  /* slot, flags as OP_UTIMES */
        OP_TRUNCATE,  /* name, len */
        OP_FTRUNCATE, /* slot, len */
        OP_FSYNC,     /* slot */
        OP_UNLINK,    /* name */
        OP_MKNOD,     /* name, mode (type and bits) */
        OP_RENAME,    /* name -> name2 */
        OP_LINK,      /* name -> name2 */
        OP_SYMLINK,   /* name */
        OP_MKDIR,     /* name */
        OP_ACCESS,    /* name, flags: the mask */
        OP_POLL,      /* slot */
        OP_READDIR,
        OP_RANDOM_KINDS, /* the kinds random sequences draw from (seeds stay as they were) */
        /* Outside the view: mq_unlink and mq_open(O_CREAT | O_EXCL) then mq_close, straight
         * on the mqueue instance (the view side's child shares the daemon's IPC namespace,
         * so these act on the view's backing queues behind the daemon's back). */
        OP_MQ_UNLINK = OP_RANDOM_KINDS, /* name */
        OP_MQ_CREATE,                   /* name, mode */
        /* The view learns of those changes from inotify, after the kernel has made them:
         * until the invalidation it asks for lands, the kernel's cached entry for the
         * name still leads to the old queue's inode. Before a path of a name replaced
         * outside is used again, the view side waits (bounded) for the name to lead
         * elsewhere than the open file in slot does; the kernel side does nothing. */
        OP_SETTLE, /* name, slot */
        /* 100 ms on both sides: lets the daemon read the queue watch's events of what was
         * done outside before the next call, the other order than a call right after. */
        OP_PAUSE,
        OP_KINDS,
};

static const char *const op_names[OP_KINDS] = {
    "open",     "close",     "read",   "write",  "lseek0",  "stat",      "lstat",
    "fstat",    "chmod",     "fchmod", "chown",  "fchown",  "utimensat", "futimens",
    "truncate", "ftruncate", "fsync",  "unlink", "mknod",   "rename",    "link",
    "symlink",  "mkdir",     "access", "poll",   "readdir", "mq_unlink", "mq_open(O_CREAT)",
    "settle",   "pause",
};

enum who { AS_CALLER, AS_ROOT };

struct op {
        enum op_kind kind;
        int name, name2, slot;
        int flags;
        mode_t mode;
        long len;
        uid_t uid;
        gid_t gid;
        enum who who;
};

struct result {
        long ret; /* -1 on failure; open: 0 on success */
        int err;
        bool has_st;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        nlink_t nlink;
        off_t size;
        struct timespec at, mt, ct;
        short revents;
        int dlen;
        char data[160];
};

struct sequence {
        const char *name;
        bool timed; /* times compared: each stat is followed by a wait for the next second */
        int nops;
        struct op ops[MAX_OPS];
};

static struct e2e_snap snap_ns;
static bool verbose;
static unsigned long checks, sanctioned_seen[SANCTION_COUNT], runs;

/* ---- one side ---- */

/* The mqueue filesystem stamps whole seconds (seen on 6.18: every nanosecond field is 0):
 * after a stat, the next operation must start in a later second for a movement to show. */
static void next_second(void)
{
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME_COARSE, &a);
        do {
                struct timespec ms = {.tv_nsec = 5000000};
                nanosleep(&ms, NULL);
                clock_gettime(CLOCK_REALTIME_COARSE, &b);
        } while (a.tv_sec == b.tv_sec);
}

static void path_of(char *buf, size_t size, int name)
{
        snprintf(buf, size, QDIR "q%d", name);
}

static int become(enum who who, bool user_run)
{
        if (!user_run || who == AS_ROOT)
                return setresuid((uid_t)-1, 0, (uid_t)-1) < 0 ||
                               setresgid((gid_t)-1, 0, (gid_t)-1) < 0
                           ? -1
                           : 0;
        return setresgid((gid_t)-1, GROUP, (gid_t)-1) < 0 ||
                       setresuid((uid_t)-1, USER, (uid_t)-1) < 0
                   ? -1
                   : 0;
}

static void take_stat(struct result *r, const struct stat *st)
{
        r->has_st = true;
        r->mode = st->st_mode;
        r->uid = st->st_uid;
        r->gid = st->st_gid;
        r->nlink = st->st_nlink;
        r->size = st->st_size;
        r->at = st->st_atim;
        r->mt = st->st_mtim;
        r->ct = st->st_ctim;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp((const char *)a, (const char *)b);
}

static void do_readdir(struct result *r)
{
        char names[16][32];
        int n = 0;
        DIR *d = opendir("/dev/mqueue");
        if (!d) {
                r->ret = -1;
                r->err = errno;
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < 16)
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        snprintf(names[n++], sizeof(names[0]), "%.31s", de->d_name);
        closedir(d);
        qsort(names, (size_t)n, sizeof(names[0]), cmp_names);
        for (int i = 0; i < n; i++)
                r->dlen += snprintf(r->data + r->dlen, sizeof(r->data) - (size_t)r->dlen, "%s%s",
                                    i ? "," : "", names[i]);
}

static void times_for(int flags, struct timespec ts[2])
{
        ts[0] = (struct timespec){.tv_sec = 1000000 + flags, .tv_nsec = 0};
        ts[1] = (struct timespec){.tv_sec = 2000000 + flags, .tv_nsec = 0};
        if (flags == 2)
                ts[1].tv_nsec = UTIME_OMIT;
}

/* OP_SETTLE on the view: waits until path leads to another inode than the open file fd,
 * from the kernel's cached attributes alone (AT_STATX_DONT_SYNC: no getattr reaches the
 * daemon, so no queue is read and no time moves); 0, or -1 with ETIMEDOUT after 10 s. */
static int settle(const char *path, int fd)
{
        for (int i = 0; i < 10000; i++) {
                struct statx a, b;
                if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &b) != 0)
                        return -1;
                if (statx(AT_FDCWD, path, AT_STATX_DONT_SYNC, STATX_INO, &a) != 0 ||
                    a.stx_ino != b.stx_ino)
                        return 0;
                struct timespec ms = {.tv_nsec = 1000000};
                nanosleep(&ms, NULL);
        }
        errno = ETIMEDOUT;
        return -1;
}

/* One operation; fills r (ret -1 and err on failure). */
static void do_op(bool kernel, const struct op *o, int fds[SLOTS], struct result *r)
{
        char path[64], path2[64], buf[256];
        struct stat st;
        struct timespec ts[2];
        int fd = fds[o->slot];
        long ret = 0;

        path_of(path, sizeof(path), o->name);
        path_of(path2, sizeof(path2), o->name2);
        memset(buf, 'm', sizeof(buf));
        errno = 0;
        switch (o->kind) {
        case OP_OPEN:
                if (fds[o->slot] >= 0)
                        close(fds[o->slot]);
                fds[o->slot] = open(path, o->flags | O_NONBLOCK | O_CLOEXEC, o->mode);
                ret = fds[o->slot] < 0 ? -1 : 0;
                break;
        case OP_CLOSE:
                ret = close(fd);
                fds[o->slot] = -1;
                break;
        case OP_READ:
                ret = read(fd, r->data,
                           (size_t)o->len < sizeof(r->data) ? (size_t)o->len : sizeof(r->data));
                r->dlen = ret > 0 ? (int)ret : 0;
                break;
        case OP_WRITE:
                if (!kernel) {
                        ret = write(fd, buf, (size_t)o->len);
                } else if (o->len == 0) {
                        /* What SPEC §5 says a view does (see the header). */
                        int fl = fcntl(fd, F_GETFL);
                        ret = fl < 0 ? -1 : (fl & O_ACCMODE) == O_RDONLY ? (errno = EBADF, -1) : 0;
                } else {
                        ret = mq_send((mqd_t)fd, buf, (size_t)o->len, 0) < 0 ? -1 : o->len;
                }
                break;
        case OP_LSEEK0:
                ret = lseek(fd, 0, SEEK_SET) < 0 ? -1 : 0;
                break;
        case OP_STAT:
        case OP_LSTAT:
        case OP_FSTAT:
                ret = o->kind == OP_STAT    ? stat(path, &st)
                      : o->kind == OP_LSTAT ? lstat(path, &st)
                                            : fstat(fd, &st);
                if (ret == 0)
                        take_stat(r, &st);
                break;
        case OP_CHMOD:
                ret = chmod(path, o->mode);
                break;
        case OP_FCHMOD:
                ret = fchmod(fd, o->mode);
                break;
        case OP_CHOWN:
                ret = chown(path, o->uid, o->gid);
                break;
        case OP_FCHOWN:
                ret = fchown(fd, o->uid, o->gid);
                break;
        case OP_UTIMES:
                times_for(o->flags, ts);
                ret = utimensat(AT_FDCWD, path, o->flags ? ts : NULL, 0);
                break;
        case OP_FUTIMENS:
                times_for(o->flags, ts);
                ret = futimens(fd, o->flags ? ts : NULL);
                break;
        case OP_TRUNCATE:
                ret = truncate(path, o->len);
                break;
        case OP_FTRUNCATE:
                ret = ftruncate(fd, o->len);
                break;
        case OP_FSYNC:
                ret = fsync(fd);
                break;
        case OP_UNLINK:
                ret = unlink(path);
                break;
        case OP_MKNOD:
                ret = mknod(path, o->mode, S_ISCHR(o->mode) ? makedev(1, 3) : 0);
                break;
        case OP_RENAME:
                ret = rename(path, path2);
                break;
        case OP_LINK:
                ret = link(path, path2);
                break;
        case OP_SYMLINK:
                ret = symlink("q0", path);
                break;
        case OP_MKDIR:
                ret = mkdir(path, 0755);
                break;
        case OP_ACCESS:
                ret = access(path, o->flags);
                break;
        case OP_POLL: {
                struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
                ret = poll(&p, 1, 0);
                r->revents = p.revents;
                break;
        }
        case OP_READDIR:
                do_readdir(r);
                return;
        case OP_MQ_UNLINK:
                snprintf(buf, sizeof(buf), "/q%d", o->name);
                ret = mq_unlink(buf);
                break;
        case OP_MQ_CREATE: {
                snprintf(buf, sizeof(buf), "/q%d", o->name);
                mqd_t m = mq_open(buf, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, o->mode, NULL);
                ret = m == (mqd_t)-1 ? -1 : mq_close(m);
                break;
        }
        case OP_SETTLE:
                ret = kernel ? 0 : settle(path, fd);
                break;
        case OP_PAUSE: {
                struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
                ret = nanosleep(&pause, NULL);
                break;
        }
        case OP_KINDS:
                abort();
        }
        r->ret = ret;
        r->err = ret < 0 ? errno : 0;
}

static int set_sysctl(const char *key, const char *value)
{
        char path[96];
        snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", key);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = write(fd, value, strlen(value));
        close(fd);
        return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* The child of one run: the side's /dev/mqueue, the caller, the operations. */
static int side_child(bool kernel, bool user_run, const struct sequence *seq, struct result *res)
{
        int fds[SLOTS];

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(CHILD_ALARM);
        if (kernel) {
                if (unshare(CLONE_NEWIPC | CLONE_NEWNS) < 0 ||
                    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0 ||
                    set_sysctl("msg_default", "4") || set_sysctl("msgsize_default", "128"))
                        return 2;
        } else {
                char ns[64];
                snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)snap_ns.pid);
                int fd = open(ns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
                        return 2;
                close(fd);
        }
        umask(022);
        if (setgroups(0, NULL) < 0)
                return 3;
        for (int i = 0; i < SLOTS; i++)
                fds[i] = -1;
        for (int i = 0; i < seq->nops; i++) {
                if (become(seq->ops[i].who, user_run) < 0)
                        return 3;
                do_op(kernel, &seq->ops[i], fds, &res[i]);
                if (seq->timed && res[i].has_st)
                        next_second();
        }
        return 0;
}

static void clear_view_queues(void)
{
        for (int i = 0; i < NAMES; i++) {
                char q[16];
                snprintf(q, sizeof(q), "/q%d", i);
                mq_unlink(q);
        }
}

/* Runs seq on one side; the results land in res (seq->nops entries). */
static void run_side(bool kernel, bool user_run, const struct sequence *seq, struct result *res)
{
        size_t size = sizeof(struct result) * MAX_OPS;
        struct result *shared =
            mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        int status;

        assert_true(shared != MAP_FAILED);
        memset(shared, 0, size);
        if (!kernel)
                clear_view_queues();
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(side_child(kernel, user_run, seq, shared));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("%s: the %s child (%s) failed: status 0x%x", seq->name,
                         kernel ? "kernel" : "view", user_run ? "user" : "root", status);
        memcpy(res, shared, sizeof(struct result) * (size_t)seq->nops);
        munmap(shared, size);
        if (!kernel)
                clear_view_queues();
}

/* ---- the model: which queue each name and open file holds ---- */

struct model {
        bool timed;
        int name_q[NAMES];       /* queue id, -1 when the name is free */
        int slot_q[SLOTS];       /* queue id of the open file, -1 when closed */
        long bytes[MAX_OPS];     /* queued bytes per queue id (nothing ever consumes) */
        bool seen[MAX_OPS];      /* a stat of the queue was taken on each side */
        bool held[MAX_OPS];      /* the queue held messages at its last stat */
        bool truncated[MAX_OPS]; /* truncated (O_TRUNC, truncate) since its last stat */
        struct result last_k[MAX_OPS], last_v[MAX_OPS];
        int next_q;
};

static void model_init(struct model *m)
{
        memset(m, 0, sizeof(*m));
        for (int i = 0; i < NAMES; i++)
                m->name_q[i] = -1;
        for (int i = 0; i < SLOTS; i++)
                m->slot_q[i] = -1;
}

/* The queue an operation acts on (-1 when none). */
static int model_queue(const struct model *m, const struct op *o)
{
        switch (o->kind) {
        case OP_READ:
        case OP_WRITE:
        case OP_FSTAT:
        case OP_FCHMOD:
        case OP_FCHOWN:
        case OP_FUTIMENS:
        case OP_FTRUNCATE:
        case OP_FSYNC:
        case OP_POLL:
        case OP_LSEEK0:
        case OP_CLOSE:
                return m->slot_q[o->slot];
        case OP_READDIR:
                return -1;
        default:
                return m->name_q[o->name];
        }
}

/* Follows what the kernel side did. */
static void model_step(struct model *m, const struct op *o, const struct result *k)
{
        if (k->ret < 0)
                return;
        int q = model_queue(m, o);
        switch (o->kind) {
        case OP_OPEN:
                if (m->name_q[o->name] < 0)
                        m->name_q[o->name] = m->next_q++;
                m->slot_q[o->slot] = m->name_q[o->name];
                if (o->flags & O_TRUNC)
                        m->truncated[m->name_q[o->name]] = true;
                break;
        case OP_MKNOD:
        case OP_MQ_CREATE:
                m->name_q[o->name] = m->next_q++;
                break;
        case OP_CLOSE:
                m->slot_q[o->slot] = -1;
                break;
        case OP_UNLINK:
        case OP_MQ_UNLINK:
                m->name_q[o->name] = -1;
                break;
        case OP_WRITE:
                if (q >= 0)
                        m->bytes[q] += k->ret;
                break;
        case OP_TRUNCATE:
        case OP_FTRUNCATE:
                if (q >= 0)
                        m->truncated[q] = true;
                break;
        default:
                break;
        }
}

/* ---- comparing ---- */

static void describe_op(char *buf, size_t size, const struct op *o)
{
        int n = snprintf(buf, size, "%s%s", o->who == AS_ROOT ? "[root] " : "", op_names[o->kind]);
        switch (o->kind) {
        case OP_OPEN:
                snprintf(buf + n, size - (size_t)n, "(q%d, %s%s%s%s, 0%o) -> slot %d", o->name,
                         (o->flags & O_ACCMODE) == O_RDONLY   ? "O_RDONLY"
                         : (o->flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                                                              : "O_RDWR",
                         o->flags & O_CREAT ? "|O_CREAT" : "", o->flags & O_EXCL ? "|O_EXCL" : "",
                         o->flags & O_TRUNC ? "|O_TRUNC" : "", (unsigned)o->mode, o->slot);
                break;
        case OP_CLOSE:
        case OP_FSTAT:
        case OP_FSYNC:
        case OP_POLL:
        case OP_LSEEK0:
                snprintf(buf + n, size - (size_t)n, "(slot %d)", o->slot);
                break;
        case OP_READ:
        case OP_WRITE:
        case OP_FTRUNCATE:
                snprintf(buf + n, size - (size_t)n, "(slot %d, %ld)", o->slot, o->len);
                break;
        case OP_FCHMOD:
                snprintf(buf + n, size - (size_t)n, "(slot %d, 0%o)", o->slot, (unsigned)o->mode);
                break;
        case OP_FCHOWN:
                snprintf(buf + n, size - (size_t)n, "(slot %d, %d, %d)", o->slot, (int)o->uid,
                         (int)o->gid);
                break;
        case OP_FUTIMENS:
                snprintf(buf + n, size - (size_t)n, "(slot %d, %s)", o->slot,
                         o->flags ? "explicit" : "NULL");
                break;
        case OP_CHMOD:
        case OP_MKNOD:
        case OP_MQ_CREATE:
                snprintf(buf + n, size - (size_t)n, "(q%d, 0%o)", o->name, (unsigned)o->mode);
                break;
        case OP_CHOWN:
                snprintf(buf + n, size - (size_t)n, "(q%d, %d, %d)", o->name, (int)o->uid,
                         (int)o->gid);
                break;
        case OP_UTIMES:
                snprintf(buf + n, size - (size_t)n, "(q%d, %s)", o->name,
                         o->flags ? "explicit" : "NULL");
                break;
        case OP_TRUNCATE:
                snprintf(buf + n, size - (size_t)n, "(q%d, %ld)", o->name, o->len);
                break;
        case OP_ACCESS:
                snprintf(buf + n, size - (size_t)n, "(q%d, %d)", o->name, o->flags);
                break;
        case OP_SETTLE:
                snprintf(buf + n, size - (size_t)n, "(q%d, slot %d)", o->name, o->slot);
                break;
        case OP_RENAME:
        case OP_LINK:
                snprintf(buf + n, size - (size_t)n, "(q%d, q%d)", o->name, o->name2);
                break;
        default:
                snprintf(buf + n, size - (size_t)n, "(q%d)", o->name);
                break;
        }
}

static void describe_result(char *buf, size_t size, const struct result *r)
{
        int n = r->ret < 0 ? snprintf(buf, size, "-1 %s", strerror(r->err))
                           : snprintf(buf, size, "%ld", r->ret);
        if (r->has_st)
                n += snprintf(buf + n, size - (size_t)n,
                              " mode 0%o uid %d gid %d nlink %lu size %ld at %ld.%09ld mt "
                              "%ld.%09ld ct %ld.%09ld",
                              (unsigned)r->mode, (int)r->uid, (int)r->gid, (unsigned long)r->nlink,
                              (long)r->size, (long)r->at.tv_sec, r->at.tv_nsec, (long)r->mt.tv_sec,
                              r->mt.tv_nsec, (long)r->ct.tv_sec, r->ct.tv_nsec);
        if (r->revents)
                n += snprintf(buf + n, size - (size_t)n, " revents 0x%x", (unsigned)r->revents);
        if (r->dlen)
                snprintf(buf + n, size - (size_t)n, " \"%.*s\"", r->dlen, r->data);
}

static bool ts_equal(struct timespec a, struct timespec b)
{
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Why the two results of one step differ, or NULL when they agree; *sanction is set to
 * the SPEC line when the difference is a sanctioned one (the run goes on). */
static const char *differ(struct model *m, const struct op *o, const struct result *k,
                          const struct result *v, enum sanction *sanction)
{
        static char why[160];

        *sanction = SANCTION_NONE;
        checks++;
        if ((k->ret < 0) != (v->ret < 0) || k->err != v->err || k->ret != v->ret)
                return "return value or errno";
        checks++;
        if (k->dlen != v->dlen || memcmp(k->data, v->data, (size_t)k->dlen) != 0)
                return o->kind == OP_READDIR ? "listing" : "bytes read";
        checks++;
        if (k->revents != v->revents)
                return "poll revents";
        if (!k->has_st || !v->has_st)
                return NULL;
        checks += 5;
        if (k->mode != v->mode)
                return "st_mode";
        if (k->uid != v->uid || k->gid != v->gid)
                return "st_uid/st_gid";
        if (k->nlink != v->nlink)
                return "st_nlink";
        int q = model_queue(m, o);
        if (q < 0)
                return "a stat of a queue the model does not know";
        bool held = m->bytes[q] > 0 || m->held[q];
        if (v->size != m->bytes[q]) {
                snprintf(why, sizeof(why), "st_size %ld where %ld bytes are queued", (long)v->size,
                         m->bytes[q]);
                return why;
        }
        if (k->size != v->size)
                *sanction = SANCTION_SIZE;
        if (m->timed && m->seen[q]) {
                const struct result *pk = &m->last_k[q], *pv = &m->last_v[q];
                bool km[3] = {!ts_equal(k->at, pk->at), !ts_equal(k->mt, pk->mt),
                              !ts_equal(k->ct, pk->ct)};
                bool vm[3] = {!ts_equal(v->at, pv->at), !ts_equal(v->mt, pv->mt),
                              !ts_equal(v->ct, pv->ct)};
                static const char *const which[3] = {"atime", "mtime", "ctime"};
                for (int i = 0; i < 3; i++) {
                        checks++;
                        if (km[i] == vm[i])
                                continue;
                        if (vm[i] && !km[i] && i != 1 && held) {
                                *sanction = SANCTION_STAT_MOVES;
                                continue;
                        }
                        if (km[i] && !vm[i] && i != 0 && m->truncated[q]) {
                                *sanction = SANCTION_TRUNCATE;
                                continue;
                        }
                        snprintf(why, sizeof(why), "%s %s on the kernel, %s in the view", which[i],
                                 km[i] ? "moved" : "did not move", vm[i] ? "moved" : "did not");
                        return why;
                }
        }
        m->seen[q] = true;
        m->held[q] = m->bytes[q] > 0;
        m->truncated[q] = false;
        m->last_k[q] = *k;
        m->last_v[q] = *v;
        return NULL;
}

/* Runs seq on both sides as root or as USER and compares; 0, or 1 after printing the
 * first unsanctioned difference. */
static int compare_runs(const struct sequence *seq, bool user_run, const char *repro)
{
        static struct result k[MAX_OPS], v[MAX_OPS];
        struct model m;
        char desc[160], kd[512], vd[512];

        run_side(true, user_run, seq, k);
        run_side(false, user_run, seq, v);
        runs += 2;
        model_init(&m);
        m.timed = seq->timed;
        for (int i = 0; i < seq->nops; i++) {
                enum sanction s;
                const struct op *o = &seq->ops[i];
                const char *why = differ(&m, o, &k[i], &v[i], &s);
                describe_op(desc, sizeof(desc), o);
                describe_result(kd, sizeof(kd), &k[i]);
                describe_result(vd, sizeof(vd), &v[i]);
                if (verbose)
                        fprintf(stderr, "%s %s #%d %s\n  kernel: %s\n  view:   %s%s%s\n", seq->name,
                                user_run ? "user" : "root", i, desc, kd, vd,
                                s ? "\n  sanctioned: " : "", s ? sanction_text[s] : "");
                if (why) {
                        fprintf(stderr,
                                "DIFFERENCE in %s as uid %d, step %d: %s\n  kernel: %s\n  view:   "
                                "%s\n  (%s; %s)\n",
                                seq->name, user_run ? USER : 0, i, desc, kd, vd, why, repro);
                        for (int j = 0; j <= i; j++) {
                                describe_op(desc, sizeof(desc), &seq->ops[j]);
                                fprintf(stderr, "    #%d %s\n", j, desc);
                        }
                        return 1;
                }
                if (s)
                        sanctioned_seen[s]++;
                model_step(&m, o, &k[i]);
        }
        return 0;
}

static void check_both(const struct sequence *seq, const char *repro)
{
        int failed = compare_runs(seq, false, repro);
        failed += compare_runs(seq, true, repro);
        if (failed)
                fail_msg("%s: %d of 2 runs (root, user) differ from the kernel", seq->name, failed);
}

/* ---- building sequences ---- */

#define Q0   .name = 0
#define Q1   .name = 1
#define S(n) .slot = n

static void add(struct sequence *s, struct op o)
{
        assert_true(s->nops < MAX_OPS);
        s->ops[s->nops++] = o;
}

#define ADD(seq, kind_, ...) add(seq, (struct op){.kind = kind_, __VA_ARGS__})

static void print_summary(const char *what)
{
        fprintf(stderr, "%s: %lu runs, %lu checks; sanctioned differences seen:", what, runs,
                checks);
        for (int s = 1; s < SANCTION_COUNT; s++)
                fprintf(stderr, " %s %lu",
                        s == SANCTION_SIZE         ? "size"
                        : s == SANCTION_STAT_MOVES ? "stat-moves"
                                                   : "truncate",
                        sanctioned_seen[s]);
        fprintf(stderr, "\n");
}

/* Every operation once, on a queue the caller creates. */
static void every_operation(void **state)
{
        (void)state;
        struct sequence s = {.name = "every_operation"};
        ADD(&s, OP_READDIR, 0);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT | O_EXCL, .mode = 0644);
        ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDWR | O_CREAT | O_EXCL, .mode = 0644);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_LSTAT, Q0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_LSEEK0, S(0));
        ADD(&s, OP_READ, S(0), .len = 10);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_WRITE, S(0), .len = 5);
        ADD(&s, OP_WRITE, S(0), .len = 129);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_POLL, S(0));
        ADD(&s, OP_ACCESS, Q0, .flags = F_OK);
        ADD(&s, OP_ACCESS, Q0, .flags = R_OK);
        ADD(&s, OP_ACCESS, Q0, .flags = W_OK);
        ADD(&s, OP_ACCESS, Q0, .flags = X_OK);
        ADD(&s, OP_CHMOD, Q0, .mode = 0600);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_CHOWN, Q0, .uid = (uid_t)-1, .gid = (gid_t)-1);
        ADD(&s, OP_CHOWN, Q0, .uid = (uid_t)-1, .gid = OTHER_GROUP);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_READDIR, 0);
        ADD(&s, OP_RENAME, Q0, .name2 = 1);
        ADD(&s, OP_LINK, Q0, .name2 = 1);
        ADD(&s, OP_SYMLINK, Q1);
        ADD(&s, OP_MKDIR, Q1);
        ADD(&s, OP_MKNOD, Q1, .mode = S_IFIFO | 0644);
        ADD(&s, OP_MKNOD, Q1, .mode = S_IFCHR | 0644);
        ADD(&s, OP_MKNOD, Q1, .mode = S_IFSOCK | 0644);
        ADD(&s, OP_MKNOD, Q0, .mode = S_IFIFO | 0644);
        ADD(&s, OP_STAT, Q1);
        ADD(&s, OP_OPEN, Q1, S(2), .flags = O_WRONLY);
        ADD(&s, OP_READ, S(2), .len = 200);
        ADD(&s, OP_WRITE, S(2), .len = 1);
        ADD(&s, OP_OPEN, Q1, S(2), .flags = O_WRONLY | O_CREAT, .mode = 0622);
        ADD(&s, OP_READ, S(2), .len = 200);
        ADD(&s, OP_WRITE, S(2), .len = 0);
        ADD(&s, OP_WRITE, S(2), .len = 128);
        ADD(&s, OP_WRITE, S(2), .len = 7);
        ADD(&s, OP_WRITE, S(2), .len = 7);
        ADD(&s, OP_WRITE, S(2), .len = 7);
        ADD(&s, OP_POLL, S(2));
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_CLOSE, S(2));
        ADD(&s, OP_TRUNCATE, Q1, .len = 0);
        ADD(&s, OP_STAT, Q1);
        ADD(&s, OP_TRUNCATE, Q1, .len = -1);
        ADD(&s, OP_OPEN, Q1, S(2), .flags = O_RDONLY | O_TRUNC);
        ADD(&s, OP_READ, S(2), .len = 200);
        ADD(&s, OP_CLOSE, S(2));
        ADD(&s, OP_UNLINK, Q1);
        ADD(&s, OP_UNLINK, Q1);
        ADD(&s, OP_OPEN, Q1, S(2), .flags = O_RDONLY);
        ADD(&s, OP_READDIR, 0);
        ADD(&s, OP_CLOSE, S(0));
        ADD(&s, OP_CLOSE, S(1));
        ADD(&s, OP_UNLINK, Q0);
        ADD(&s, OP_READDIR, 0);
        check_both(&s, "fixed sequence");
}

/* Someone else's queue (root's), as the user: the kernel's mode and owner rules. */
static void others_queue(void **state)
{
        (void)state;
        struct sequence s = {.name = "others_queue"};
        const mode_t modes[] = {0666, 0644, 0600, 0622};
        for (int i = 0; i < 4; i++) {
                ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDONLY | O_CREAT, .mode = 0600,
                    .who = AS_ROOT);
                ADD(&s, OP_FCHMOD, S(0), .mode = modes[i], .who = AS_ROOT);
                ADD(&s, OP_CLOSE, S(0), .who = AS_ROOT);
                ADD(&s, OP_STAT, Q0);
                ADD(&s, OP_ACCESS, Q0, .flags = R_OK);
                ADD(&s, OP_ACCESS, Q0, .flags = W_OK);
                ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDONLY);
                ADD(&s, OP_OPEN, Q0, S(2), .flags = O_WRONLY);
                ADD(&s, OP_OPEN, Q0, S(2), .flags = O_RDWR);
                ADD(&s, OP_CHMOD, Q0, .mode = 0666);
                ADD(&s, OP_CHOWN, Q0, .uid = USER, .gid = (gid_t)-1);
                ADD(&s, OP_TRUNCATE, Q0, .len = 0);
                ADD(&s, OP_STAT, Q0);
                ADD(&s, OP_UNLINK, Q0);
                ADD(&s, OP_UNLINK, Q0, .who = AS_ROOT);
                ADD(&s, OP_CLOSE, S(1));
                ADD(&s, OP_CLOSE, S(2));
        }
        check_both(&s, "fixed sequence");
}

/* Item 2: a read after a write on an O_RDWR file. */
static void read_after_write(void **state)
{
        (void)state;
        struct sequence s = {.name = "read_after_write"};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0600);
        ADD(&s, OP_WRITE, S(0), .len = 5);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_WRITE, S(0), .len = 9);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_LSEEK0, S(0));
        ADD(&s, OP_WRITE, S(0), .len = 3);
        ADD(&s, OP_READ, S(0), .len = 20);
        ADD(&s, OP_WRITE, S(0), .len = 3);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_READ, S(0), .len = 200);
        check_both(&s, "fixed sequence");
}

/* Item 3: a stat of an empty queue moves nothing; of one holding messages, atime and
 * ctime move (sanctioned). */
static void stat_moves_nothing_when_empty(void **state)
{
        (void)state;
        struct sequence s = {.name = "stat_moves_nothing_when_empty", .timed = true};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_WRONLY | O_CREAT, .mode = 0600);
        for (int i = 0; i < 4; i++)
                ADD(&s, i % 2 ? OP_FSTAT : OP_STAT, Q0, S(0));
        ADD(&s, OP_WRITE, S(0), .len = 3);
        for (int i = 0; i < 4; i++)
                ADD(&s, i % 2 ? OP_FSTAT : OP_STAT, Q0, S(0));
        check_both(&s, "fixed sequence");
        unsigned long before = sanctioned_seen[SANCTION_STAT_MOVES];
        struct sequence e = {.name = "stat_moves_nothing_when_empty (empty only)"};
        ADD(&e, OP_OPEN, Q0, S(0), .flags = O_WRONLY | O_CREAT, .mode = 0600);
        for (int i = 0; i < 6; i++)
                ADD(&e, i % 2 ? OP_FSTAT : OP_STAT, Q0, S(0));
        check_both(&e, "fixed sequence");
        assert_int_equal(sanctioned_seen[SANCTION_STAT_MOVES], before);
        assert_true(before > 0);
}

/* Item 4: utimensat and futimens, explicit and NULL, owner and not. */
static void set_times(void **state)
{
        (void)state;
        struct sequence s = {.name = "set_times", .timed = true};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0600);
        for (int f = 0; f < 3; f++) {
                ADD(&s, OP_UTIMES, Q0, .flags = f);
                ADD(&s, OP_STAT, Q0);
                ADD(&s, OP_FUTIMENS, S(0), .flags = f);
                ADD(&s, OP_FSTAT, S(0));
        }
        const mode_t modes[] = {0666, 0644};
        for (int i = 0; i < 2; i++) {
                ADD(&s, OP_OPEN, Q1, S(1), .flags = O_RDONLY | O_CREAT, .mode = 0600,
                    .who = AS_ROOT);
                ADD(&s, OP_FCHMOD, S(1), .mode = modes[i], .who = AS_ROOT);
                ADD(&s, OP_STAT, Q1);
                ADD(&s, OP_UTIMES, Q1, .flags = 1);
                ADD(&s, OP_STAT, Q1);
                ADD(&s, OP_UTIMES, Q1, .flags = 0);
                ADD(&s, OP_STAT, Q1);
                ADD(&s, OP_UNLINK, Q1, .who = AS_ROOT);
        }
        check_both(&s, "fixed sequence");
}

/* Items 5 and 6: f-calls after the name is gone, and after it names a new queue. */
static void fcalls_follow_the_open_queue(void **state)
{
        (void)state;
        struct sequence s = {.name = "fcalls_follow_the_open_queue", .timed = true};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0640);
        ADD(&s, OP_WRITE, S(0), .len = 4);
        ADD(&s, OP_UNLINK, Q0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FCHMOD, S(0), .mode = 0604);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FCHOWN, S(0), .uid = (uid_t)-1, .gid = (gid_t)-1);
        ADD(&s, OP_FUTIMENS, S(0), .flags = 1);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FUTIMENS, S(0), .flags = 0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FTRUNCATE, S(0), .len = 0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_WRITE, S(0), .len = 2);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_POLL, S(0));
        ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDWR | O_CREAT, .mode = 0666);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FSTAT, S(1));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FCHMOD, S(0), .mode = 0600);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FUTIMENS, S(0), .flags = 1);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_WRITE, S(1), .len = 1);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_CLOSE, S(0));
        ADD(&s, OP_FSTAT, S(1));
        check_both(&s, "fixed sequence");
}

/* Items 5 and 6 when the name is removed and made again outside the view (mq_unlink and
 * mq_open on the mqueue instance behind the daemon): the open files still act on their
 * own queue (st_nlink 0), the name on the new one, whether or not the daemon has heard
 * of the change yet: after a pause it has read the queue watch's events (the old daemon
 * then showed the new queue at fstat), right after a swap it has not. */
static void fcalls_follow_the_open_queue_replaced_outside(void **state)
{
        (void)state;
        struct sequence s = {.name = "fcalls_follow_the_open_queue_replaced_outside"};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0640);
        ADD(&s, OP_WRITE, S(0), .len = 4);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_PAUSE);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0666);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_PAUSE);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_SETTLE, Q0, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FCHMOD, S(0), .mode = 0600);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FCHOWN, S(0), .uid = (uid_t)-1, .gid = (gid_t)-1);
        ADD(&s, OP_FUTIMENS, S(0), .flags = 1);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FTRUNCATE, S(0), .len = 0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_WRITE, S(0), .len = 2);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDWR);
        ADD(&s, OP_FSTAT, S(1));
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_WRITE, S(1), .len = 1);
        ADD(&s, OP_READ, S(1), .len = 200);
        /* Swapped with no call through the view in between, each f-call first. */
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0604);
        ADD(&s, OP_FCHMOD, S(1), .mode = 0606);
        ADD(&s, OP_SETTLE, Q0, S(1));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_FSTAT, S(1));
        ADD(&s, OP_OPEN, Q0, S(2), .flags = O_RDONLY);
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_PAUSE);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0640);
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_PAUSE);
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_FCHMOD, S(2), .mode = 0604);
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_SETTLE, Q0, S(2));
        ADD(&s, OP_STAT, Q0);
        /* An open through the entry the kernel caches for the name. */
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0660);
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FSTAT, S(1));
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0644);
        ADD(&s, OP_FUTIMENS, S(0), .flags = 0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_SETTLE, Q0, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0644);
        ADD(&s, OP_FCHOWN, S(0), .uid = (uid_t)-1, .gid = GROUP);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_SETTLE, Q0, S(0));
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_UNLINK, Q0);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_CLOSE, S(1));
        ADD(&s, OP_FSTAT, S(2));
        ADD(&s, OP_READDIR, 0);
        check_both(&s, "fixed sequence");
}

/* The times of the same: a futimens or fchmod after the name was replaced outside stamps
 * the open file's queue, not the name's (kept short: a timed stat waits a second). */
static void times_follow_the_open_queue_replaced_outside(void **state)
{
        (void)state;
        struct sequence s = {.name = "times_follow_the_open_queue_replaced_outside", .timed = true};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0640);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_MQ_UNLINK, Q0);
        ADD(&s, OP_MQ_CREATE, Q0, .mode = 0666);
        ADD(&s, OP_FUTIMENS, S(0), .flags = 1);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_FCHMOD, S(0), .mode = 0600);
        ADD(&s, OP_FSTAT, S(0));
        ADD(&s, OP_SETTLE, Q0, S(0));
        ADD(&s, OP_STAT, Q0);
        check_both(&s, "fixed sequence");
}

/* A truncate (truncate, ftruncate, O_TRUNC) by a non-root caller drops setuid, and setgid
 * when the group may execute or the caller is not in the group; a chown drops both; a
 * write (a send) drops nothing. */
static void truncate_drops_setuid_setgid(void **state)
{
        (void)state;
        struct sequence s = {.name = "truncate_drops_setuid_setgid"};
        const mode_t modes[] = {06770, 06760, 04666, 02666};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0660);
        ADD(&s, OP_OPEN, Q1, S(1), .flags = O_RDWR | O_CREAT, .mode = 0666, .who = AS_ROOT);
        for (int i = 0; i < 4; i++) {
                for (int q = 0; q < 2; q++) {
                        ADD(&s, OP_CHMOD, .name = q, .mode = modes[i], .who = AS_ROOT);
                        ADD(&s, OP_TRUNCATE, .name = q, .len = 0);
                        ADD(&s, OP_STAT, .name = q);
                        ADD(&s, OP_CHMOD, .name = q, .mode = modes[i], .who = AS_ROOT);
                        ADD(&s, OP_FTRUNCATE, S(q), .len = 0);
                        ADD(&s, OP_FSTAT, S(q));
                        ADD(&s, OP_CHMOD, .name = q, .mode = modes[i], .who = AS_ROOT);
                        ADD(&s, OP_OPEN, .name = q, S(2), .flags = O_WRONLY | O_TRUNC);
                        ADD(&s, OP_STAT, .name = q);
                        ADD(&s, OP_CHMOD, .name = q, .mode = modes[i], .who = AS_ROOT);
                        ADD(&s, OP_WRITE, S(q), .len = 1);
                        ADD(&s, OP_STAT, .name = q);
                }
                ADD(&s, OP_CHMOD, Q0, .mode = modes[i], .who = AS_ROOT);
                ADD(&s, OP_CHOWN, Q0, .uid = (uid_t)-1, .gid = (gid_t)-1);
                ADD(&s, OP_STAT, Q0);
        }
        check_both(&s, "fixed sequence");
}

/* Item 7: fsync. */
static void fsync_is_einval(void **state)
{
        (void)state;
        struct sequence s = {.name = "fsync_is_einval"};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0600);
        ADD(&s, OP_FSYNC, S(0));
        ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDONLY);
        ADD(&s, OP_FSYNC, S(1));
        check_both(&s, "fixed sequence");
}

/* mknod: a regular file is a queue, anything else EPERM. */
static void mknod_regular_creates(void **state)
{
        (void)state;
        struct sequence s = {.name = "mknod_regular_creates"};
        ADD(&s, OP_MKNOD, Q0, .mode = S_IFREG | 0640);
        ADD(&s, OP_STAT, Q0);
        ADD(&s, OP_READDIR, 0);
        ADD(&s, OP_MKNOD, Q0, .mode = S_IFREG | 0640);
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR);
        ADD(&s, OP_WRITE, S(0), .len = 3);
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_MKNOD, Q1, .mode = 0604); /* no type: a regular file */
        ADD(&s, OP_STAT, Q1);
        ADD(&s, OP_MKNOD, Q1, .mode = S_IFIFO | 0644);
        ADD(&s, OP_MKNOD, 2, .mode = S_IFIFO | 0644);
        ADD(&s, OP_MKNOD, 2, .mode = S_IFCHR | 0644);
        ADD(&s, OP_MKNOD, 2, .mode = S_IFBLK | 0644);
        ADD(&s, OP_MKNOD, 2, .mode = S_IFSOCK | 0644);
        ADD(&s, OP_READDIR, 0);
        check_both(&s, "fixed sequence");
}

/* The kernel's own answer to a 0-byte send, next to the view's 0-byte write(): the one
 * sanctioned difference the kernel side's write emulates (see the header). */
static void zero_byte_write(void **state)
{
        (void)state;
        struct sequence s = {.name = "zero_byte_write"};
        ADD(&s, OP_OPEN, Q0, S(0), .flags = O_RDWR | O_CREAT, .mode = 0600);
        ADD(&s, OP_WRITE, S(0), .len = 0);
        ADD(&s, OP_POLL, S(0));
        ADD(&s, OP_READ, S(0), .len = 200);
        ADD(&s, OP_OPEN, Q0, S(1), .flags = O_RDONLY);
        ADD(&s, OP_WRITE, S(1), .len = 0);
        check_both(&s, "fixed sequence");

        /* What the emulation stands for: the kernel queues an empty message... */
        mqd_t m = mq_open("/zero-probe", O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600,
                          &(struct mq_attr){.mq_maxmsg = 1, .mq_msgsize = 8});
        assert_true(m != (mqd_t)-1);
        struct mq_attr a;
        assert_int_equal(mq_send(m, "", 0, 0), 0);
        assert_int_equal(mq_getattr(m, &a), 0);
        assert_int_equal(a.mq_curmsgs, 1);
        /* ...and has no write() on its queue files. */
        errno = 0;
        assert_int_equal(write(m, "x", 1), -1);
        assert_int_equal(errno, EINVAL);
        mq_close(m);
        mq_unlink("/zero-probe");
        fprintf(stderr, "zero_byte_write: sanctioned, SPEC §5 write: \"A 0-byte write() never "
                        "reaches the daemon (FUSE drops it): it returns 0 and sends nothing.\" "
                        "(the kernel's mq_send of 0 bytes queues an empty message)\n");
}

/* ---- random sequences ---- */

static uint64_t rng;

static unsigned rnd(unsigned n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned)(rng % n);
}

static void random_sequence(struct sequence *s, unsigned seed)
{
        static const int accs[] = {O_RDONLY, O_WRONLY, O_RDWR};
        static const mode_t modes[] = {0600, 0644, 0666, 0640, 0400, 0200, 0000, 04755, 02770};
        static const long lens[] = {0, 1, 5, 60, 128, 129};
        static const uid_t uids[] = {(uid_t)-1, 0, USER};
        static const gid_t gids[] = {(gid_t)-1, 0, GROUP, OTHER_GROUP};
        static const mode_t types[] = {S_IFREG, S_IFIFO, S_IFCHR, S_IFSOCK, S_IFDIR};

        rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)seed * 0x100000001B3ull);
        for (int i = 0; i < 4; i++)
                rnd(2);
        s->nops = 0;
        for (int i = 0; i < RANDOM_OPS; i++) {
                struct op o = {.kind = (enum op_kind)rnd(OP_RANDOM_KINDS),
                               .name = (int)rnd(2),
                               .name2 = (int)rnd(NAMES),
                               .slot = (int)rnd(SLOTS),
                               .who = rnd(8) == 0 ? AS_ROOT : AS_CALLER};
                /* Opens and writes are what make everything else interesting. */
                if (rnd(3) == 0)
                        o.kind = rnd(2) ? OP_OPEN : OP_WRITE;
                switch (o.kind) {
                case OP_OPEN:
                        o.flags = accs[rnd(3)] | (rnd(3) ? O_CREAT : 0) | (rnd(4) ? 0 : O_EXCL) |
                                  (rnd(5) ? 0 : O_TRUNC);
                        o.mode = modes[rnd(7)];
                        break;
                case OP_READ:
                        o.len = rnd(3) ? 200 : 7;
                        break;
                case OP_WRITE:
                        o.len = lens[rnd(6)];
                        break;
                case OP_CHMOD:
                case OP_FCHMOD:
                        o.mode = modes[rnd(9)];
                        break;
                case OP_CHOWN:
                case OP_FCHOWN:
                        o.uid = uids[rnd(3)];
                        o.gid = gids[rnd(4)];
                        break;
                case OP_UTIMES:
                case OP_FUTIMENS:
                        o.flags = (int)rnd(3);
                        break;
                case OP_TRUNCATE:
                case OP_FTRUNCATE:
                        o.len = rnd(4) ? 0 : 100;
                        break;
                case OP_MKNOD:
                        o.mode = types[rnd(5)] | 0644;
                        if (S_ISDIR(o.mode))
                                o.mode = 0644; /* no type bits: a regular file */
                        break;
                case OP_ACCESS:
                        o.flags = (int)rnd(8);
                        break;
                default:
                        break;
                }
                s->ops[s->nops++] = o;
        }
}

static void random_sequences(void **state)
{
        (void)state;
        const char *one = getenv("MQFS_DIFF_SEED");
        const char *count = getenv("MQFS_DIFF_SEEDS");
        unsigned first = one ? (unsigned)strtoul(one, NULL, 0) : 0;
        unsigned n = count ? (unsigned)strtoul(count, NULL, 0) : one ? 1 : RANDOM_SEEDS;
        int failed = 0;
        static struct sequence s;

        for (unsigned seed = first; seed < first + n; seed++) {
                char name[64], repro[96];
                snprintf(name, sizeof(name), "random seed %u", seed);
                snprintf(repro, sizeof(repro), "reproduce: MQFS_DIFF_SEED=%u test_differential",
                         seed);
                s.name = name;
                random_sequence(&s, seed);
                s.timed = seed < TIMED_SEEDS || getenv("MQFS_DIFF_TIMED") != NULL;
                failed += compare_runs(&s, false, repro);
                failed += compare_runs(&s, true, repro);
        }
        print_summary("all sequences so far");
        if (failed)
                fail_msg("%d of %u random runs differ from the kernel (seeds %u..%u)", failed,
                         2 * n, first, first + n - 1);
}

/* ---- setup ---- */

static const char SYSTEM[] = "snaps:\n"
                             "  - name: " SNAP "\n"
                             "    slots-allowed: true\n"
                             "    snap-yaml-inline:\n"
                             "      name: " SNAP "\n"
                             "      slots:\n"
                             "        all: {interface: posix-mq, path: [/q0, /q1, /q2, /q3],\n"
                             "              permissions: [read, write, create, delete]}\n";

static int world_setup(void **state)
{
        (void)state;
        verbose = getenv("MQFS_DIFF_VERBOSE") != NULL;
        return e2e_attached_start(SYSTEM, &snap_ns, SNAP);
}

static int world_teardown(void **state)
{
        (void)state;
        print_summary("test_differential");
        return e2e_attached_stop(&snap_ns, SNAP);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(every_operation),
            cmocka_unit_test(others_queue),
            cmocka_unit_test(read_after_write),
            cmocka_unit_test(stat_moves_nothing_when_empty),
            cmocka_unit_test(set_times),
            cmocka_unit_test(fcalls_follow_the_open_queue),
            cmocka_unit_test(fcalls_follow_the_open_queue_replaced_outside),
            cmocka_unit_test(times_follow_the_open_queue_replaced_outside),
            cmocka_unit_test(truncate_drops_setuid_setgid),
            cmocka_unit_test(fsync_is_einval),
            cmocka_unit_test(mknod_regular_creates),
            cmocka_unit_test(zero_byte_write),
            cmocka_unit_test(random_sequences),
        };
        return e2e_run_group("test_differential", tests, sizeof(tests) / sizeof(tests[0]),
                             world_setup, world_teardown);
}
