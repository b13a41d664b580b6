/* file_ops.c — open queue files: the status line, one message per write, poll, and
 * writes that must wait for room.
 *
 * A blocking write never blocks the loop. When the queue is full and the file is not
 * O_NONBLOCK, the request is parked: we keep the fuse_req_t and a copy of the
 * message, ask libfuse to tell us of an interrupt, and add the queue's descriptor to
 * epoll for EPOLLOUT. When there is room we send and reply; when the caller is
 * interrupted (a signal, Ctrl-C) we reply EINTR and forget the request. Writes parked
 * on one file are sent in the order they came.
 *
 * Known limit (the kernel's, not ours): fuse_direct_write_iter holds the FUSE inode's
 * lock for the whole WRITE request, so while a write to queue Q is parked, whatever
 * else needs that lock on the same view's Q waits in the kernel, uninterruptibly,
 * until the parked write is answered (room, or its caller interrupted): another
 * write, open with O_TRUNC (a shell's `>`), truncate, chmod, chown, utimes, rm.
 * Seen on this VM: a second `echo two > q` sits in D state in do_truncate. Reads,
 * stat, open without O_TRUNC, listings, other queues and other snaps' views go on.
 *
 * Interrupt subtlety (libfuse 3.14, lib/fuse_lowlevel.c): fuse_req_interrupt_func
 * calls the callback at once, with the request's lock held, if the interrupt already
 * arrived; replying there would free the request under that lock. So the callback
 * only marks the write when it runs during registration, and the registering code
 * replies afterwards. From the INTERRUPT request itself (find_interrupted) libfuse
 * holds an extra reference, so replying inside the callback is safe there. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "aa_label.h"
#include "budget.h"
#include "check.h"
#include "errors.h"
#include "log.h"
#include "loop.h"
#include "perm.h"
#include "filesystem_internal.h"

struct parked_write {
        struct parked_write *next;
        struct mqfs_open_file *file;
        fuse_req_t req;
        bool registered;  /* fuse_req_interrupt_func has returned */
        bool interrupted; /* the interrupt came during registration */
        off_t off;
        uid_t uid; /* the writer's: what the budget charged */
        size_t len;
        char data[];
};

enum { MQFS_OPEN_FILE_MAGIC = 0x6d716f66 }; /* "mqof": what file_of checks */

struct mqfs_open_file {
        unsigned magic; /* MQFS_OPEN_FILE_MAGIC while attached */
        struct mqfs_filesystem *fs;
        uint64_t ino;                       /* the inode it was opened through */
        struct mqfs_open_file *prev, *next; /* fs->files */
        struct mqfs_handle *h;
        struct mqfs_loop_source src; /* the queue descriptor */
        struct parked_write *parked, **parked_tail;
        struct fuse_pollhandle *ph; /* a poller waiting for poll_want */
        short poll_want;
        /* The kernel's queue file has no write(): its position moves by read() and
         * lseek() only. FUSE moves the position by every write() too, so the offsets it
         * passes are off by what was written. next_off is the offset the next request
         * brings when only our reads and writes moved the position (another one means
         * an lseek or a pread); read_off is where the kernel's read would start. */
        off_t next_off, read_off;
};

/* fi->fh of an open queue file (NULL when none was attached). Anything else there (a
 * directory's listing, freed memory) is a handle of the wrong kind: abort. */
static struct mqfs_open_file *file_of(struct fuse_file_info *fi)
{
        struct mqfs_open_file *f = (struct mqfs_open_file *)(uintptr_t)fi->fh;
        MQFS_CHECK(f == NULL || f->magic == MQFS_OPEN_FILE_MAGIC,
                   "file handle %#llx is not an open queue file", (unsigned long long)fi->fh);
        return f;
}

static struct mqfs_filesystem *fs_of(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

static void file_ready(struct mqfs_loop_source *src, uint32_t events);

/* Logs a refused handle operation (the broker says whether err is a denial, and why). */
static void note_handle_denial(const struct mqfs_handle *h, const char *op, int err,
                               unsigned needed)
{
        const char *why = mqfs_handle_denial(err, needed);
        if (why)
                mqfs_log_denial(mqfs_handle_snap(h), mqfs_handle_name(h), op, why);
}
static void unpark(struct parked_write *pw);
static void wake_poller(struct mqfs_open_file *f);

/* Registers the queue descriptor for what the file waits for now. */
static void update_interest(struct mqfs_open_file *f)
{
        uint32_t ev = 0;

        if (f->parked)
                ev |= EPOLLOUT;
        if (f->ph) {
                if (f->poll_want & POLLIN)
                        ev |= EPOLLIN;
                if (f->poll_want & POLLOUT)
                        ev |= EPOLLOUT;
        }
        int err = mqfs_loop_set(f->fs->loop, &f->src, ev);
        if (!err)
                return;
        /* Without epoll the waiters would never wake: answer them now rather than
         * leave them hanging (writers get the error, pollers ask again). */
        mqfs_log(LOG_ERR, "cannot watch queue %s for room or messages: %s", mqfs_handle_name(f->h),
                 mqfs_errstr(-err));
        while (f->parked) {
                struct parked_write *pw = f->parked;
                unpark(pw);
                fuse_reply_err(pw->req, -err);
                free(pw);
        }
        wake_poller(f);
        mqfs_loop_remove(f->fs->loop, &f->src);
}

int mqfs_file_attach(struct mqfs_filesystem *fs, uint64_t ino, struct mqfs_handle *h,
                     struct fuse_file_info *fi)
{
        /* Each open file holds a descriptor of the daemon's: charged to the snap and the
         * uid that opened it (budget.h), EMFILE past either, as the kernel's open past
         * RLIMIT_NOFILE. */
        if (fs->budget) {
                int err = mqfs_budget_take(fs->budget, MQFS_LIMIT_FILES, mqfs_handle_snap(h),
                                           mqfs_handle_uid(h), 1);
                if (err) {
                        mqfs_handle_close(h);
                        return err;
                }
        }
        struct mqfs_open_file *f = calloc(1, sizeof(*f));

        if (!f) {
                if (fs->budget)
                        mqfs_budget_give(fs->budget, MQFS_LIMIT_FILES, mqfs_handle_snap(h),
                                         mqfs_handle_uid(h), 1);
                mqfs_handle_close(h);
                return -ENOMEM;
        }
        f->magic = MQFS_OPEN_FILE_MAGIC;
        f->fs = fs;
        f->ino = ino;
        f->h = h;
        f->src.fd = mqfs_handle_fd(h);
        f->src.ready = file_ready;
        f->parked_tail = &f->parked;
        f->next = fs->files;
        if (fs->files)
                fs->files->prev = f;
        fs->files = f;
        fi->fh = (uintptr_t)f;
        /* One write() must reach us as one request (one message), and reads must come
         * to us every time (the status changes): no page cache. */
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fi->noflush = 1;
        return 0;
}

/* A write's offset, before it is answered: an offset we did not expect means the
 * position was set (lseek), which sets the kernel's read position as well. */
static void position_write(struct mqfs_open_file *f, off_t off)
{
        if (off != f->next_off)
                f->read_off = off;
        f->next_off = off;
}

static void reply_parked(struct parked_write *pw, int err)
{
        if (!err)
                pw->file->next_off = pw->off + (off_t)pw->len;
        if (err)
                fuse_reply_err(pw->req, -err);
        else
                fuse_reply_write(pw->req, pw->len);
}

/* Charges one blocked write of size bytes to snap and uid (both budgets or neither). */
static int park_take(struct mqfs_filesystem *fs, const char *snap, uid_t uid, size_t size)
{
        if (!fs->budget)
                return 0;
        int err = mqfs_budget_take(fs->budget, MQFS_LIMIT_PARKED, snap, uid, 1);
        if (err)
                return err;
        err = mqfs_budget_take(fs->budget, MQFS_LIMIT_PARKED_BYTES, snap, uid, size);
        if (err)
                mqfs_budget_give(fs->budget, MQFS_LIMIT_PARKED, snap, uid, 1);
        return err;
}

static void park_give(struct mqfs_filesystem *fs, const char *snap, uid_t uid, size_t size)
{
        if (!fs->budget)
                return;
        mqfs_budget_give(fs->budget, MQFS_LIMIT_PARKED_BYTES, snap, uid, size);
        mqfs_budget_give(fs->budget, MQFS_LIMIT_PARKED, snap, uid, 1);
}

/* Takes pw off its file's list (it may be anywhere in it). */
static void unpark(struct parked_write *pw)
{
        struct mqfs_open_file *f = pw->file;
        struct parked_write **pp = &f->parked;

        while (*pp != pw)
                pp = &(*pp)->next;
        *pp = pw->next;
        if (!f->parked)
                f->parked_tail = &f->parked;
        else if (f->parked_tail == &pw->next)
                f->parked_tail = pp;
        park_give(f->fs, mqfs_handle_snap(f->h), pw->uid, pw->len);
}

static void on_interrupt(fuse_req_t req, void *data)
{
        struct parked_write *pw = data;

        (void)req;
        if (!pw->registered) {
                pw->interrupted = true;
                return;
        }
        struct mqfs_open_file *f = pw->file;
        unpark(pw);
        fuse_reply_err(pw->req, EINTR);
        free(pw);
        update_interest(f);
}

/* Sends what is parked on f, oldest first, until the queue is full again. */
static void retry_parked(struct mqfs_open_file *f)
{
        while (f->parked) {
                struct parked_write *pw = f->parked;
                int r = mqfs_broker_send(f->fs->broker, f->h, pw->data, pw->len, 0, NULL);
                if (r == -EAGAIN)
                        break;
                if (r)
                        note_handle_denial(f->h, "write", r, MQFS_PERM_WRITE);
                unpark(pw);
                reply_parked(pw, r);
                free(pw);
        }
}

static void wake_poller(struct mqfs_open_file *f)
{
        if (!f->ph)
                return;
        fuse_lowlevel_notify_poll(f->ph);
        fuse_pollhandle_destroy(f->ph);
        f->ph = NULL;
        f->poll_want = 0;
}

static void file_ready(struct mqfs_loop_source *src, uint32_t events)
{
        struct mqfs_open_file *f =
            (struct mqfs_open_file *)((char *)src - offsetof(struct mqfs_open_file, src));

        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                retry_parked(f);
        if (f->ph) {
                bool in = (events & EPOLLIN) && (f->poll_want & POLLIN);
                bool out = (events & EPOLLOUT) && (f->poll_want & POLLOUT);
                if (in || out || (events & (EPOLLERR | EPOLLHUP)))
                        wake_poller(f);
        }
        update_interest(f);
}

static void file_free(struct mqfs_filesystem *fs, struct mqfs_open_file *f)
{
        while (f->parked) {
                struct parked_write *pw = f->parked;
                unpark(pw);
                /* Cannot happen in practice: a write holds the file open. */
                fuse_reply_err(pw->req, EBADF);
                free(pw);
        }
        if (f->ph) {
                fuse_pollhandle_destroy(f->ph);
                f->ph = NULL;
        }
        mqfs_loop_remove(fs->loop, &f->src);
        if (f->prev)
                f->prev->next = f->next;
        else
                fs->files = f->next;
        if (f->next)
                f->next->prev = f->prev;
        if (fs->budget)
                mqfs_budget_give(fs->budget, MQFS_LIMIT_FILES, mqfs_handle_snap(f->h),
                                 mqfs_handle_uid(f->h), 1);
        mqfs_handle_close(f->h);
        f->magic = 0; /* a stale fi->fh then aborts in file_of */
        free(f);
}

struct mqfs_handle *mqfs_file_handle(struct fuse_file_info *fi)
{
        struct mqfs_open_file *f = file_of(fi);

        return f ? f->h : NULL;
}

struct mqfs_handle *mqfs_files_find(struct mqfs_filesystem *fs, uint64_t ino)
{
        for (struct mqfs_open_file *f = fs->files; f; f = f->next)
                if (f->ino == ino)
                        return f->h;
        return NULL;
}

void mqfs_file_detach(struct mqfs_filesystem *fs, struct fuse_file_info *fi)
{
        struct mqfs_open_file *f = file_of(fi);

        if (f)
                file_free(fs, f);
        fi->fh = 0;
}

void mqfs_files_free(struct mqfs_filesystem *fs)
{
        while (fs->files)
                file_free(fs, fs->files);
}

int mqfs_do_open(struct mqfs_filesystem *fs, struct caller_buf *cb, fuse_ino_t ino, int flags,
                 struct mqfs_handle **h)
{
        struct mqfs_inode *in = mqfs_inode_get(fs->inodes, ino);

        *h = NULL;
        if (!in)
                return -ESTALE;
        if (in->kind != MQFS_INODE_QUEUE)
                return -EISDIR;
        int err = mqfs_aa_label_check(fs->aa_labels, cb->c.pid, in->snap, in->queue, "open");
        if (err)
                return err;
        /* One broker call judges it all, for every caller (SPEC §4): the grant for the
         * access mode, then the kernel's judgement of the real queue. O_TRUNC asks for
         * write access even with O_RDONLY, as the kernel's open does (libfuse's default
         * atomic_o_trunc passes it here; without it, the truncate comes as a setattr and
         * is judged there). O_NONBLOCK always: the loop must never wait in mq_send.
         * Whether the caller asked for it is read from each write's flags. O_TRUNC
         * changes nothing (SPEC §5). */
        struct mqfs_open_req open = {
            .snap = in->snap,
            .caller = &cb->c,
            .name = in->queue,
            .oflag = (flags & O_ACCMODE) | O_NONBLOCK,
            .options = (flags & O_TRUNC) ? MQFS_OPEN_TRUNC : 0,
        };
        err = mqfs_broker_open_req(fs->broker, &open, h, NULL);
        if (err) {
                mqfs_note_denial(cb, in->snap, in->queue, "open");
                /* The name went away under the kernel's cached entry: ESTALE has the
                 * kernel look it up again and retry the open (attrs.c, getattr). */
                return err == -ENOENT ? -ESTALE : err;
        }
        /* The name held another queue than this inode's (removed and made again outside
         * the view, or unlinked through it): the kernel's entry is stale. ESTALE has it
         * look the name up again, which gives the new queue its own inode. */
        struct stat st;
        if (fstat(mqfs_handle_fd(*h), &st) == 0 &&
            !mqfs_queue_inode_holds(fs, in, (uint64_t)st.st_ino)) {
                mqfs_handle_close(*h);
                *h = NULL;
                return -ESTALE;
        }
        return 0;
}

void mqfs_file_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct mqfs_handle *h;
        struct caller_buf cb;

        /* The groups are read from /proc (16 us) only if the broker finds they could
         * matter for this queue and this caller (broker.h, mqfs_broker_open). */
        mqfs_caller_lazy(req, &cb);
        int err = mqfs_do_open(fs, &cb, ino, fi->flags, &h);
        if (!err)
                err = mqfs_file_attach(fs, ino, h, fi); /* takes h, also on failure */
        if (err)
                fuse_reply_err(req, -err);
        else if (fuse_reply_open(req, fi) != 0)
                mqfs_file_detach(fs, fi); /* the caller has gone: release will not come */
        mqfs_caller_release(&cb);
}

/* The kernel's status file: simple_read_from_buffer over the line, made afresh on
 * every read, as mqueue_read_file does. Read through the open handle: the caller's
 * access was judged at open, as the kernel judges it, so no credentials are needed. */
void mqfs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct mqfs_open_file *f = file_of(fi);
        char line[MQFS_STATUS_MAX];

        (void)ino;
        if (off < 0) {
                fuse_reply_err(req, EINVAL);
                return;
        }
        int len = mqfs_broker_handle_status(fs->broker, f->h, line, sizeof(line));
        if (len < 0) {
                note_handle_denial(f->h, "read", len, 0);
                fuse_reply_err(req, -len);
                return;
        }
        MQFS_CHECK((size_t)len < sizeof(line), "a status line of %d bytes", len);
        if (off != f->next_off)
                f->read_off = off; /* lseek or pread */
        size_t n = f->read_off < len ? (size_t)(len - f->read_off) : 0;
        n = n < size ? n : size;
        fuse_reply_buf(req, n ? line + f->read_off : NULL, n);
        f->read_off += (off_t)n;
        f->next_off = off + (off_t)n;
}

void mqfs_file_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct mqfs_open_file *f = file_of(fi);
        bool nonblock = fi->flags & O_NONBLOCK;
        int r = -EAGAIN;

        (void)ino;
        position_write(f, off);
        /* Writes already waiting go first; a new one may not overtake them. */
        if (!f->parked)
                r = mqfs_broker_send(fs->broker, f->h, buf, size, 0, NULL);
        if (r != -EAGAIN || nonblock || fs->closing) {
                if (r) {
                        note_handle_denial(f->h, "write", r, MQFS_PERM_WRITE);
                        fuse_reply_err(req, r == -EAGAIN && fs->closing ? ENOTCONN : -r);
                } else {
                        f->next_off = off + (off_t)size;
                        fuse_reply_write(req, size);
                }
                return;
        }
        /* Past the writer's own budgets of blocked writes and their bytes (per snap and
         * per uid, budget.h): EAGAIN, as a full queue gives a non-blocking writer; the
         * refusal is logged rate-limited. No pool of all callers: another snap's blocking
         * write waits whatever this one holds. */
        uid_t uid = fuse_req_ctx(req)->uid;
        int err = park_take(fs, mqfs_handle_snap(f->h), uid, size);
        if (err) {
                fuse_reply_err(req, -err);
                return;
        }
        struct parked_write *pw = malloc(sizeof(*pw) + size);
        if (!pw) {
                park_give(fs, mqfs_handle_snap(f->h), uid, size);
                fuse_reply_err(req, ENOMEM);
                return;
        }
        pw->uid = uid;
        pw->next = NULL;
        pw->file = f;
        pw->req = req;
        pw->registered = false;
        pw->interrupted = false;
        pw->off = off;
        pw->len = size;
        memcpy(pw->data, buf, size);
        *f->parked_tail = pw;
        f->parked_tail = &pw->next;

        fuse_req_interrupt_func(req, on_interrupt, pw);
        pw->registered = true;
        if (pw->interrupted) {
                unpark(pw);
                fuse_reply_err(req, EINTR);
                free(pw);
                return;
        }
        update_interest(f);
}

void mqfs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph)
{
        struct mqfs_filesystem *fs = fs_of(req);
        struct mqfs_open_file *f = file_of(fi);
        short revents = 0, possible = 0;

        (void)ino;
        int err = mqfs_broker_poll(fs->broker, f->h, &revents, &possible);
        if (err) {
                if (ph)
                        fuse_pollhandle_destroy(ph);
                fuse_reply_err(req, -err);
                return;
        }
        /* Older kernels do not say what the poller wants: then both. */
        short want =
            fi->poll_events ? (short)(fi->poll_events & (POLLIN | POLLOUT)) : (POLLIN | POLLOUT);
        fuse_reply_poll(req, (unsigned)revents);
        if (!ph)
                return;
        /* Keep only the newest handle: the kernel asks again after every wakeup. */
        if (f->ph)
                fuse_pollhandle_destroy(f->ph);
        f->ph = NULL;
        f->poll_want = 0;
        /* Wait only for what the grant can ever report: an epoll registration for
         * EPOLLOUT without the write grant would fire whenever there is room, and the
         * poller would be woken for nothing, over and over. */
        short waiting = want & possible & ~revents;
        if (!waiting) {
                fuse_pollhandle_destroy(ph);
        } else {
                f->ph = ph;
                f->poll_want = waiting;
        }
        update_interest(f);
}

/* The kernel's queue file has no fsync: EINVAL, as fsync(2) on /dev/mqueue says. Without
 * this FUSE would answer 0 (it takes ENOSYS as "nothing to sync"). */
void mqfs_file_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
        (void)ino, (void)datasync, (void)fi;
        fuse_reply_err(req, EINVAL);
}

void mqfs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)ino;
        mqfs_file_detach(fs_of(req), fi);
        fuse_reply_err(req, 0);
}

void mqfs_files_recheck(struct mqfs_filesystem *fs)
{
        for (struct mqfs_open_file *f = fs->files; f; f = f->next) {
                retry_parked(f);
                /* The grant may be gone or changed: let pollers ask again. */
                wake_poller(f);
                update_interest(f);
        }
}

void mqfs_files_cancel(struct mqfs_filesystem *fs, int err)
{
        for (struct mqfs_open_file *f = fs->files; f; f = f->next) {
                while (f->parked) {
                        struct parked_write *pw = f->parked;
                        unpark(pw);
                        fuse_reply_err(pw->req, err);
                        free(pw);
                }
                wake_poller(f);
                update_interest(f);
        }
}
