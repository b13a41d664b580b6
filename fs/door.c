/* door.c — see door.h.
 *
 * The seccomp side uses the kernel's ioctls (<linux/seccomp.h>) directly: four calls
 * (RECV, SEND, ID_VALID, ADDFD, which libseccomp 2.5 does not wrap), and the project's own
 * policy/seccomp.h would shadow libseccomp's <seccomp.h> in this library anyway. */
#include "door.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "broker.h"
#include "budget.h"
#include "check.h"
#include "door_proto.h"
#include "door_target.h"
#include "errors.h"
#include "log.h"
#include "loop.h"
#include "qname.h"
#include "filesystem_internal.h"
#include "filesystem.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* The descriptors a registration message may carry; more are received and closed. */
enum { HELLO_FDS_MAX = 8 };

struct door_conn {
        struct mqfs_loop_source src;
        struct mqfs_door *door;
        struct door_conn *next;
};

struct door_reg {
        struct mqfs_loop_source src; /* the seccomp listener */
        struct mqfs_door *door;
        char *snap;
        pid_t pid; /* who registered, for the log */
        uid_t uid;
        struct door_reg *next;
};

struct mqfs_door {
        struct mqfs_loop *loop;
        struct mqfs_broker *broker;
        struct mqfs_filesystem *fs;
        char *path;
        int proc_fd;
        struct mqfs_loop_source listen_src;
        struct door_conn *conns;
        size_t nconns;
        struct door_reg *regs;
};

/* ---- registrations ---- */

static void conn_free(struct door_conn *c)
{
        struct mqfs_door *door = c->door;
        for (struct door_conn **pp = &door->conns; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        door->nconns--;
        mqfs_loop_remove(door->loop, &c->src);
        close(c->src.fd);
        free(c);
}

static void reg_free(struct door_reg *r)
{
        struct mqfs_door *door = r->door;
        for (struct door_reg **pp = &door->regs; *pp; pp = &(*pp)->next)
                if (*pp == r) {
                        *pp = r->next;
                        break;
                }
        mqfs_loop_remove(door->loop, &r->src);
        close(r->src.fd);
        mqfs_budget_give(door->fs->budget, MQFS_LIMIT_DOOR, r->snap, r->uid, 1);
        free(r->snap);
        free(r);
}

/* Whether fd is a seccomp user-notification listener. */
static bool is_listener(int fd)
{
        char path[64], target[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, "anon_inode:seccomp notify") == 0;
}

/* The snap whose view root fd is, or NULL with why. The attributes the kernel holds
 * already are enough (AT_STATX_DONT_SYNC): asking a FUSE server, ours included, from the
 * loop's own thread could wait forever. */
static const char *view_snap(struct mqfs_door *door, int fd, const char **why)
{
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &stx) < 0) {
                *why = "cannot stat the view descriptor";
                return NULL;
        }
        if (!S_ISDIR(stx.stx_mode)) {
                *why = "the view descriptor is not a directory";
                return NULL;
        }
        uint64_t dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        const char *snap = mqfs_filesystem_view_snap(door->fs, dev, stx.stx_ino);
        if (!snap)
                *why = "the view descriptor is not a view root of this mqfsd's mount";
        return snap;
}

/* Checks a registration and enters it; 0, or -errno with why set. Takes listener. */
static int reg_enter(struct mqfs_door *door, int listener, int view, const struct ucred *peer,
                     const char **why)
{
        if (!is_listener(listener)) {
                *why = "the first descriptor is not a seccomp listener";
                close(listener);
                return -EINVAL;
        }
        const char *snap = view_snap(door, view, why);
        if (!snap) {
                close(listener);
                return -EPERM;
        }
        /* Per snap and per uid (budget.h), never a pool of all snaps. */
        int err = mqfs_budget_take(door->fs->budget, MQFS_LIMIT_DOOR, snap, peer->uid, 1);
        if (err) {
                *why = err == -EMFILE ? "too many registrations (the snap's or the uid's budget, "
                                        "system.yaml limits: door-registrations)"
                                      : "out of memory";
                close(listener);
                return err;
        }
        struct door_reg *r = calloc(1, sizeof(*r));
        if (r)
                r->snap = strdup(snap);
        if (!r || !r->snap) {
                free(r);
                mqfs_budget_give(door->fs->budget, MQFS_LIMIT_DOOR, snap, peer->uid, 1);
                close(listener);
                *why = "out of memory";
                return -ENOMEM;
        }
        r->door = door;
        r->pid = peer->pid;
        r->uid = peer->uid;
        r->src.fd = listener;
        r->src.ready = NULL; /* set by the caller */
        r->next = door->regs;
        door->regs = r;
        return 0;
}

static void on_listener(struct mqfs_loop_source *src, uint32_t events);

static void reply(int fd, int err, const char *why)
{
        struct mqfs_door_reply rep = {.magic = MQFS_DOOR_MAGIC, .err = -err};
        snprintf(rep.reason, sizeof(rep.reason), "%s", why ? why : "");
        /* The client waits for this; if it is gone, nothing is lost. */
        (void)send(fd, &rep, sizeof(rep), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void on_conn(struct mqfs_loop_source *src, uint32_t events)
{
        struct door_conn *c = container_of(src, struct door_conn, src);
        struct mqfs_door *door = c->door;
        struct mqfs_door_hello hello;
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * HELLO_FDS_MAX)];
        } ctl;
        struct iovec iov = {.iov_base = &hello, .iov_len = sizeof(hello)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = ctl.buf,
                             .msg_controllen = sizeof(ctl.buf)};
        (void)events;

        ssize_t n = recvmsg(src->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        int fds[HELLO_FDS_MAX], nfds = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k && nfds < HELLO_FDS_MAX; i++)
                        memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        }
        struct ucred peer = {0};
        socklen_t plen = sizeof(peer);
        (void)getsockopt(src->fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen);

        const char *why = NULL;
        int err = 0;
        if (n <= 0) {
                err = -EPROTO; /* closed before saying anything: no one to answer */
                why = NULL;
        } else if ((size_t)n != sizeof(hello) || hello.magic != MQFS_DOOR_MAGIC ||
                   hello.version != MQFS_DOOR_VERSION ||
                   (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                err = -EPROTO;
                why = "not a registration of this mqfs version";
        } else if (nfds != 2) {
                err = -EPROTO;
                why = "a registration carries exactly two descriptors (listener, view)";
        } else {
                err = reg_enter(door, fds[0], fds[1], &peer, &why);
                fds[0] = -1; /* taken */
        }
        for (int i = 0; i < nfds; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (!err) {
                struct door_reg *r = door->regs;
                r->src.ready = on_listener;
                err = mqfs_loop_add(door->loop, &r->src, EPOLLIN);
                if (err) {
                        why = "cannot watch the listener";
                        reg_free(r);
                } else {
                        mqfs_log(LOG_INFO, "door: pid %d (uid %u) registered for snap %s",
                                 (int)peer.pid, (unsigned)peer.uid, r->snap);
                }
        }
        if (err && why)
                mqfs_log(LOG_WARNING, "door: registration of pid %d (uid %u) refused: %s",
                         (int)peer.pid, (unsigned)peer.uid, why);
        if (n > 0)
                reply(src->fd, err, err ? why : "accepted");
        conn_free(c);
}

static void on_listen(struct mqfs_loop_source *src, uint32_t events)
{
        struct mqfs_door *door = container_of(src, struct mqfs_door, listen_src);
        (void)events;
        for (;;) {
                int fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return; /* EAGAIN, or a connection that went away */
                if (door->nconns >= MQFS_DOOR_CONNS_MAX) {
                        reply(fd, -EAGAIN, "mqfsd is busy with other registrations; retry");
                        close(fd);
                        continue;
                }
                struct door_conn *c = calloc(1, sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                c->door = door;
                c->src.fd = fd;
                c->src.ready = on_conn;
                if (mqfs_loop_add(door->loop, &c->src, EPOLLIN) < 0) {
                        close(fd);
                        free(c);
                        continue;
                }
                c->next = door->conns;
                door->conns = c;
                door->nconns++;
        }
}

/* ---- notifications ---- */

/* Whether the notification still stands: its process has not died (and its pid not
 * been given to another) since it was received. */
static bool still_valid(const struct door_reg *r, uint64_t id)
{
        return ioctl(r->src.fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void respond(struct door_reg *r, uint64_t id, int err)
{
        /* error: a negative errno (0 would make the call return val). */
        struct seccomp_notif_resp resp = {.id = id, .val = 0, .error = err, .flags = 0};
        /* Fails only when the target is gone: nobody left to answer. */
        (void)ioctl(r->src.fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* Reads the queue name at addr as "/name", checked as the kernel checks it. 0, -errno
 * for the caller, or 1 when the notification is gone. */
static int read_name(struct door_reg *r, const struct seccomp_notif *req, uint64_t addr,
                     char name[MQFS_QNAME_MAX + 2])
{
        name[0] = '/';
        ssize_t n = mqfs_target_read_string((pid_t)req->pid, addr, name + 1, MQFS_QNAME_MAX + 1);
        if (!still_valid(r, req->id))
                return 1;
        if (n < 0)
                return n == -ESRCH ? 1 : (int)n;
        return mqfs_qname_check(name);
}

/* What a named call (mq_open, mq_unlink) brings: its name, mq_open's attributes, and
 * the caller's credentials (release with mqfs_target_creds_clear on tc). */
struct named_call {
        char name[MQFS_QNAME_MAX + 2];
        struct mq_attr attr;
        struct mqfs_target_creds tc;
        struct mqfs_caller caller;
        struct mqfs_verdict verdict; /* the broker's, for the log (caller.verdict) */
        struct door_reg *reg;
        uint64_t id;
};

/* All of /proc/PID/status: fs ids, groups, umask. 0, -errno, or 1 when the notification
 * is gone. */
static int read_status(struct door_reg *r, uint64_t id, pid_t pid, struct mqfs_target_creds *tc)
{
        int err = mqfs_target_creds(r->door->proc_fd, pid, tc);
        if (!still_valid(r, id)) {
                if (!err)
                        mqfs_target_creds_clear(tc);
                return 1;
        }
        if (err)
                return err == -ESRCH ? 1 : err;
        return 0;
}

/* The broker asks for the groups only when they can decide (load_groups, broker.h). */
static int load_groups(void *ctx)
{
        struct named_call *call = ctx;
        int err = read_status(call->reg, call->id, call->caller.pid, &call->tc);
        if (err)
                return err == 1 ? -ESRCH : err;
        if (call->tc.fsuid != call->caller.uid || call->tc.fsgid != call->caller.gid)
                return -EAGAIN; /* the ids changed between the two reads: never mix them */
        call->caller.ngroups = call->tc.ngroups;
        call->caller.groups = call->tc.groups;
        call->caller.load_groups = NULL;
        return 0;
}

static bool told_no_pidfd_creds; /* said once, when the first call finds it */

/* The caller's credentials as the kernel would judge its mq_* call. Without need_umask (no
 * O_CREAT), the fs ids alone come from a pidfd where the kernel offers it, and the groups
 * from /proc only if the broker needs them. 0, -errno, or 1 when the notification is gone. */
static int read_caller(struct door_reg *r, const struct seccomp_notif *req, bool need_umask,
                       struct named_call *call)
{
        pid_t pid = (pid_t)req->pid;
        memset(&call->tc, 0, sizeof(call->tc));
        call->reg = r;
        call->id = req->id;
        if (!need_umask) {
                uid_t fsuid;
                gid_t fsgid;
                int err = mqfs_target_fsids(pid, &fsuid, &fsgid);
                if (!still_valid(r, req->id) || err == -ESRCH)
                        return 1;
                if (err == -EOPNOTSUPP &&
                    !__atomic_exchange_n(&told_no_pidfd_creds, true, __ATOMIC_RELAXED))
                        mqfs_log(LOG_INFO, "door: the kernel gives no caller credentials "
                                           "through pidfds (PIDFD_GET_INFO needs Linux 6.13): "
                                           "reading them from /proc");
                if (err == 0) {
                        call->caller = (struct mqfs_caller){.uid = fsuid,
                                                            .gid = fsgid,
                                                            .pid = pid,
                                                            .load_groups = load_groups,
                                                            .load_ctx = call};
                        return 0;
                }
        }
        int err = read_status(r, req->id, pid, &call->tc);
        if (err)
                return err;
        call->caller = (struct mqfs_caller){.uid = call->tc.fsuid,
                                            .gid = call->tc.fsgid,
                                            .pid = pid,
                                            .ngroups = call->tc.ngroups,
                                            .groups = call->tc.groups};
        return 0;
}

/* Reads everything in the kernel's order (name, then attr when attr_addr is not 0),
 * checking the notification after each read. 0, 1 when the notification is gone (no
 * answer possible), or -errno to answer. */
static int read_named_call(struct door_reg *r, const struct seccomp_notif *req, uint64_t attr_addr,
                           bool need_umask, struct named_call *call)
{
        int err = read_name(r, req, req->data.args[0], call->name);
        if (err == 0 && attr_addr) {
                /* As the kernel: a given attr is read whether or not O_CREAT is set. */
                err = mqfs_target_read((pid_t)req->pid, attr_addr, &call->attr, sizeof(call->attr));
                if (!still_valid(r, req->id))
                        return 1;
        }
        if (err)
                return err == -ESRCH ? 1 : err;
        err = read_caller(r, req, need_umask, call);
        if (err < 0 && err != -ENOMEM)
                err = -EPERM; /* a /proc we cannot read: refuse rather than guess */
        call->verdict = (struct mqfs_verdict){.perms = 0};
        call->caller.verdict = &call->verdict;
        return err;
}

static void door_open(struct door_reg *r, const struct seccomp_notif *req)
{
        int oflag = (int)req->data.args[1];
        mode_t mode = (mode_t)req->data.args[2];
        uint64_t attr_addr = req->data.args[3];
        struct named_call call;

        int err = read_named_call(r, req, attr_addr, (oflag & O_CREAT) != 0, &call);
        if (err) {
                if (err < 0)
                        respond(r, req->id, err);
                return;
        }
        int fd = mqfs_broker_open_fd(r->door->broker, r->snap, &call.caller, call.name, oflag,
                                     mode & ~call.tc.umask & 07777,
                                     attr_addr && (oflag & O_CREAT) ? &call.attr : NULL);
        mqfs_target_creds_clear(&call.tc);
        if (fd < 0) {
                mqfs_log_verdict(&call.verdict, r->snap, call.name, "mq_open");
                respond(r, req->id, fd);
                return;
        }
        struct seccomp_notif_addfd add = {
            .id = req->id,
            .flags = SECCOMP_ADDFD_FLAG_SEND,
            .srcfd = (uint32_t)fd,
            .newfd = 0,
            .newfd_flags = O_CLOEXEC, /* as the kernel's own mq_open descriptors */
        };
        if (ioctl(r->src.fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT)
                respond(r, req->id, -errno); /* e.g. EMFILE: the caller is out of fds */
        close(fd);
}

static void door_unlink(struct door_reg *r, const struct seccomp_notif *req)
{
        struct named_call call;

        int err = read_named_call(r, req, 0, false, &call);
        if (err) {
                if (err < 0)
                        respond(r, req->id, err);
                return;
        }
        err = mqfs_broker_unlink(r->door->broker, r->snap, &call.caller, call.name);
        mqfs_target_creds_clear(&call.tc);
        mqfs_log_verdict(&call.verdict, r->snap, call.name, "mq_unlink");
        respond(r, req->id, err);
}

static void on_listener(struct mqfs_loop_source *src, uint32_t events)
{
        struct door_reg *r = container_of(src, struct door_reg, src);
        struct seccomp_notif notif, *req = &notif;

        if (!(events & EPOLLIN)) {
                /* Hung up: no process uses the filter any more. */
                mqfs_log(LOG_DEBUG, "door: registration of pid %d for snap %s ended", (int)r->pid,
                         r->snap);
                reg_free(r);
                return;
        }
        memset(req, 0, sizeof(*req)); /* the kernel insists */
        /* Fails (ENOENT) when the caller died between poll and receive: nothing to answer. */
        if (ioctl(src->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
                return;
        if (req->data.arch != AUDIT_ARCH_X86_64) {
                respond(r, req->id, -EPERM); /* the filter sends only ours; never trust it */
                return;
        }
        if (req->data.nr == __NR_mq_open)
                door_open(r, req);
        else if (req->data.nr == __NR_mq_unlink)
                door_unlink(r, req);
        else
                respond(r, req->id, -ENOSYS);
}

/* ---- life cycle ---- */

int mqfs_door_new(const char *path, struct mqfs_broker *broker, struct mqfs_filesystem *fs,
                  struct mqfs_loop *loop, struct mqfs_door **out)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int err;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                mqfs_log(LOG_ERR, "door: socket path %s is too long (at most %zu bytes)", path,
                         sizeof(sa.sun_path) - 1);
                return -ENAMETOOLONG;
        }
        strcpy(sa.sun_path, path);
        struct mqfs_door *door = calloc(1, sizeof(*door));
        if (!door)
                return -ENOMEM;
        /* Registrations are counted by the callers' budgets alone. */
        MQFS_CHECK(fs->budget != NULL, "door: the filesystem has no budgets");
        door->loop = loop;
        door->broker = broker;
        door->fs = fs;
        door->listen_src.fd = -1;
        door->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        door->path = strdup(path);
        if (door->proc_fd < 0 || !door->path) {
                err =
                    mqfs_log_errno(door->proc_fd < 0 ? -errno : -ENOMEM, "door: cannot open /proc");
                goto fail;
        }
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                err = -errno;
                goto fail;
        }
        door->listen_src.fd = fd;
        door->listen_src.ready = on_listen;
        /* A socket file left by a killed daemon; /run is writable by root alone. */
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
            listen(fd, 64) < 0) {
                err = mqfs_log_errno(-errno, "door: cannot listen on %s", path);
                goto fail;
        }
        err = mqfs_loop_add(loop, &door->listen_src, EPOLLIN);
        if (err)
                goto fail;
        *out = door;
        return 0;
fail:
        mqfs_door_free(door);
        return err;
}

void mqfs_door_free(struct mqfs_door *door)
{
        if (!door)
                return;
        while (door->conns)
                conn_free(door->conns);
        while (door->regs)
                reg_free(door->regs);
        if (door->listen_src.fd >= 0) {
                mqfs_loop_remove(door->loop, &door->listen_src);
                close(door->listen_src.fd);
                (void)unlink(door->path);
        }
        if (door->proc_fd >= 0)
                close(door->proc_fd);
        free(door->path);
        free(door);
}
