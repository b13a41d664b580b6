#include "attach.h"

#include "cleanup.h"
#include "errors.h"
#include "fdio.h"
#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static void say(struct mqfs_msg *why, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why->text, sizeof(why->text), fmt, ap);
        va_end(ap);
}

/* The identity of the directory at fd, asked of the file system itself: FUSE would
 * otherwise answer from its attribute cache, even for a daemon that has died. 0 or
 * -errno (-ENOTCONN for a dead FUSE connection). */
static int fresh_identity(int fd, dev_t *dev, ino_t *ino)
{
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_TYPE | STATX_INO, &stx) < 0)
                return -errno;
        if (!S_ISDIR(stx.stx_mode))
                return -ENOTDIR;
        *dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        *ino = (ino_t)stx.stx_ino;
        return 0;
}

/* ---- the helper's own side ---- */

int mqfs_host_open(struct mqfs_host *host, struct mqfs_msg *why)
{
        struct mqfs_host h = {.proc_fd = -1};
        struct statfs sfs;
        struct stat st;
        int rc;

        MQFS_AUTOCLOSE int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0 || fstatfs(proc_fd, &sfs) < 0) {
                rc = -errno;
                say(why, "cannot open /proc: %s; mqfs-mount needs procfs mounted at /proc",
                    mqfs_errstr(-rc));
                return rc;
        }
        if (sfs.f_type != PROC_SUPER_MAGIC) {
                rc = -ENOTTY;
                say(why, "/proc is not a procfs mount; mount it (mount -t proc proc /proc)");
                return rc;
        }
        if (fstatat(proc_fd, "self/ns/mnt", &st, 0) < 0) {
                rc = -errno;
                say(why, "cannot identify the helper's own mount namespace (/proc/self/ns/mnt): %s",
                    mqfs_errstr(-rc));
                return rc;
        }
        h.ns_dev = st.st_dev;
        h.ns_ino = st.st_ino;
        rc = mqfs_shared_groups(proc_fd, &h.shared_groups, &h.nshared);
        if (rc < 0) {
                say(why, "cannot read /proc/self/mountinfo: %s", mqfs_errstr(-rc));
                return rc;
        }
        h.proc_fd = MQFS_MOVE_FD(proc_fd);
        *host = h;
        return 0;
}

void mqfs_host_close(struct mqfs_host *host)
{
        mqfs_close_fd(&host->proc_fd);
        free(host->shared_groups);
        host->shared_groups = NULL;
        host->nshared = 0;
}

/* ---- the daemon's mount ---- */

static int dead_daemon(struct mqfs_msg *why, const char *root, int err)
{
        say(why,
            "mqfsd at %s does not answer (%s): the daemon has died; restart it (systemctl "
            "restart mqfsd), then run 'mqfs-mount repair'",
            root, mqfs_errstr(err));
        return -err;
}

/* Checks that root_fd is the root of a fuse.mqfs mount. */
static int check_daemon_mount(const struct mqfs_host *host, int root_fd, const char *root,
                              int *mnt_id, struct mqfs_msg *why)
{
        MQFS_CLEANUP(mqfs_mount_clear) struct mqfs_mount m = {0};
        struct statfs sfs;
        char link[64], where[4096];
        int rc = mqfs_fd_mount_id(host->proc_fd, root_fd, mnt_id);
        if (rc == 0)
                rc = mqfs_mount_find(host->proc_fd, *mnt_id, &m);
        if (rc < 0) {
                say(why, "cannot find the mount of %s in /proc/self/mountinfo: %s", root,
                    mqfs_errstr(-rc));
                return rc;
        }
        if (strcmp(m.fstype, MQFS_FUSE_FSTYPE) != 0) {
                say(why,
                    "%s is not an mqfs mount (it is on %s, mounted at %s): mqfsd is not running "
                    "there; start it (systemctl start mqfsd) or pass --root with its mount point",
                    root, m.fstype, m.mount_point);
                return -EHOSTDOWN;
        }
        snprintf(link, sizeof(link), "self/fd/%d", root_fd);
        ssize_t n = readlinkat(host->proc_fd, link, where, sizeof(where) - 1);
        if (n < 0 || (size_t)n >= sizeof(where) - 1) {
                rc = n < 0 ? -errno : -ENAMETOOLONG;
                say(why, "cannot resolve %s: %s", root, mqfs_errstr(-rc));
                return rc;
        }
        where[n] = '\0';
        if (strcmp(where, m.mount_point) != 0) {
                say(why, "%s lies inside the mqfs mount at %s, not at its top: pass --root %s",
                    root, m.mount_point, m.mount_point);
                return -EINVAL;
        }
        if (fstatfs(root_fd, &sfs) < 0)
                return dead_daemon(why, root, errno);
        if (sfs.f_type != FUSE_SUPER_MAGIC) {
                say(why, "%s is not a FUSE mount: mqfsd is not running there", root);
                return -EHOSTDOWN;
        }
        return 0;
}

int mqfs_view_open(const struct mqfs_host *host, const char *root, const char *snap,
                   struct mqfs_view *view, struct mqfs_msg *why)
{
        struct mqfs_view v = {.root_fd = -1, .fd = -1, .root = root, .snap = snap};
        int root_mnt, view_mnt, rc;

        MQFS_AUTOCLOSE int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0) {
                rc = -errno;
                if (rc == -ENOENT || rc == -ENOTDIR) {
                        say(why,
                            "%s %s: mqfsd is not running; start it (systemctl start mqfsd) or "
                            "pass --root with its mount point",
                            root, rc == -ENOENT ? "does not exist" : "is not a directory");
                        rc = -EHOSTDOWN;
                } else if (rc == -ENOTCONN) {
                        rc = dead_daemon(why, root, ENOTCONN);
                } else {
                        say(why, "cannot open %s: %s", root, mqfs_errstr(-rc));
                }
                return rc;
        }
        rc = check_daemon_mount(host, root_fd, root, &root_mnt, why);
        if (rc < 0)
                return rc;
        MQFS_AUTOCLOSE int fd =
            openat(root_fd, snap, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                rc = -errno;
                if (rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP) {
                        say(why,
                            "snap \"%s\" is not known to mqfsd at %s (no view %s/%s): install "
                            "it in the daemon's system.yaml and reload the daemon (systemctl "
                            "reload mqfsd)",
                            snap, root, root, snap);
                        rc = -ENOENT;
                } else if (rc == -ENOTCONN) {
                        rc = dead_daemon(why, root, ENOTCONN);
                } else {
                        say(why, "cannot open the view %s/%s: %s", root, snap, mqfs_errstr(-rc));
                }
                return rc;
        }
        rc = mqfs_fd_mount_id(host->proc_fd, fd, &view_mnt);
        if (rc < 0) {
                say(why, "cannot find the mount of %s/%s: %s", root, snap, mqfs_errstr(-rc));
                return rc;
        }
        if (view_mnt != root_mnt) {
                say(why,
                    "something else is mounted over the view %s/%s: unmount it (umount %s/%s) "
                    "and try again",
                    root, snap, root, snap);
                return -EBUSY;
        }
        rc = fresh_identity(fd, &v.dev, &v.ino);
        if (rc == -ENOTCONN)
                return dead_daemon(why, root, ENOTCONN);
        if (rc < 0) {
                say(why, "cannot stat the view %s/%s: %s", root, snap, mqfs_errstr(-rc));
                return rc;
        }
        v.root_fd = MQFS_MOVE_FD(root_fd);
        v.fd = MQFS_MOVE_FD(fd);
        *view = v;
        return 0;
}

void mqfs_view_close(struct mqfs_view *view)
{
        mqfs_close_fd(&view->fd);
        mqfs_close_fd(&view->root_fd);
}

/* ---- the snap's namespace file ---- */

static const char *ns_type_name(int type)
{
        switch (type) {
        case CLONE_NEWNS:
                return "mount";
        case CLONE_NEWIPC:
                return "ipc";
        case CLONE_NEWNET:
                return "network";
        case CLONE_NEWPID:
                return "pid";
        case CLONE_NEWUTS:
                return "uts";
        case CLONE_NEWUSER:
                return "user";
        case CLONE_NEWCGROUP:
                return "cgroup";
        case CLONE_NEWTIME:
                return "time";
        default:
                return "unknown";
        }
}

int mqfs_ns_open(const struct mqfs_host *host, const char *path, struct mqfs_snap_ns *ns,
                 struct mqfs_msg *why)
{
        struct mqfs_snap_ns n = {.fd = -1, .path = path};
        struct statfs sfs;
        struct stat st;
        int rc;

        /* No O_NOFOLLOW: /proc/PID/ns/mnt is itself a (magic) link; the path comes from
         * root's command line or snapd's root-only /run/snapd/ns. */
        MQFS_AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                rc = -errno;
                if (rc == -ENOENT)
                        say(why,
                            "namespace file %s does not exist: snapd creates it when an app of "
                            "the snap first runs; start one, or name a process of the snap with "
                            "--pid PID, or a namespace file with --ns FILE",
                            path);
                else
                        say(why, "cannot open namespace file %s: %s", path, mqfs_errstr(-rc));
                return rc;
        }
        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0) {
                rc = -errno;
                say(why, "cannot stat namespace file %s: %s", path, mqfs_errstr(-rc));
                return rc;
        }
        if (sfs.f_type != NSFS_MAGIC) {
                say(why,
                    "%s is not a namespace file (nothing from /proc/PID/ns is bound there; the "
                    "namespace may be gone): pass a live one with --ns FILE or --pid PID",
                    path);
                return -ENOTTY;
        }
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type >= 0 && type != CLONE_NEWNS) {
                say(why,
                    "%s is a namespace of type %s, not a mount namespace: pass the snap's "
                    "/run/snapd/ns/SNAP.mnt, /proc/PID/ns/mnt, or --pid PID",
                    path, ns_type_name(type));
                return -EINVAL;
        }
        /* Without NS_GET_NSTYPE (older kernels) setns(CLONE_NEWNS) in the worker refuses
         * any other type with EINVAL. */
        if (st.st_dev == host->ns_dev && st.st_ino == host->ns_ino) {
                say(why,
                    "%s is the helper's own mount namespace (the host's): a view attached there "
                    "would cover the host's /dev/mqueue; pass the snap's namespace",
                    path);
                return -EPERM;
        }
        n.fd = MQFS_MOVE_FD(fd);
        n.dev = st.st_dev;
        n.ino = st.st_ino;
        *ns = n;
        return 0;
}

void mqfs_ns_close(struct mqfs_snap_ns *ns)
{
        mqfs_close_fd(&ns->fd);
}

/* ---- work inside the snap's namespace ---- */

struct ns_reply {
        int rc;
        int outcome;
        struct mqfs_probe probe;
        struct mqfs_msg why;
};

struct ns_job {
        const struct mqfs_host *host;
        const struct mqfs_snap_ns *ns;
        const struct mqfs_view *view; /* attach only */
        int tree_fd;                  /* attach only: a detached copy of the view */
        int (*fn)(const struct ns_job *job, struct ns_reply *reply); /* reply's rc */
};

/* Opens name under dir_fd as an O_PATH directory without following any symlink.
 * -ELOOP for a symlink, -ENOTDIR for something that is not a directory. */
static int open_dir_nofollow(int dir_fd, const char *name)
{
        struct open_how how = {
            .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
            .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));
        if (fd >= 0)
                return (int)fd;
        if (errno != ENOSYS)
                return -errno;
        /* Before Linux 5.6: only the last component can be held; the callers' paths have
         * one component below an already-checked directory, except "/dev". */
        fd = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                return (int)fd;
        int err = errno;
        struct stat st;
        if (err == ENOTDIR && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
                return -ELOOP;
        return -err;
}

static int open_dev(const struct ns_job *job, int *dev_fd, struct mqfs_msg *why)
{
        int fd = open_dir_nofollow(AT_FDCWD, "/dev");
        if (fd >= 0) {
                *dev_fd = fd;
                return 0;
        }
        if (fd == -ELOOP)
                say(why,
                    "/dev in namespace %s is a symbolic link: refusing to follow it with root's "
                    "rights",
                    job->ns->path);
        else
                say(why, "cannot open /dev in namespace %s: %s", job->ns->path, mqfs_errstr(-fd));
        return fd;
}

/* Opens /dev/mqueue below dev_fd; creates it (01777, like the kernel's mqueue root) when
 * create is set. -ENOENT when missing and not create. */
static int open_target(const struct ns_job *job, int dev_fd, bool create, int *target_fd,
                       struct mqfs_msg *why)
{
        int fd = open_dir_nofollow(dev_fd, "mqueue");
        if (fd == -ENOENT && create) {
                if (mkdirat(dev_fd, "mqueue", 01777) < 0 && errno != EEXIST) {
                        int rc = -errno;
                        say(why, "cannot create " MQFS_TARGET " in namespace %s: %s", job->ns->path,
                            mqfs_errstr(-rc));
                        return rc;
                }
                fd = open_dir_nofollow(dev_fd, "mqueue");
        }
        if (fd >= 0) {
                *target_fd = fd;
                return 0;
        }
        if (fd == -ELOOP)
                say(why,
                    MQFS_TARGET " in namespace %s is a symbolic link: refusing to follow it with "
                                "root's rights; remove it inside the namespace",
                    job->ns->path);
        else if (fd == -ENOTDIR)
                say(why,
                    MQFS_TARGET " in namespace %s is not a directory; remove it inside the "
                                "namespace",
                    job->ns->path);
        else if (fd != -ENOENT)
                say(why, "cannot open " MQFS_TARGET " in namespace %s: %s", job->ns->path,
                    mqfs_errstr(-fd));
        return fd;
}

struct target_state {
        struct mqfs_probe probe;
        int shared_group; /* of the top mount at the target, which a new mount lands on */
};

/* What the topmost mount at target_fd is. */
static int inspect_target(const struct ns_job *job, int target_fd, struct target_state *ts,
                          struct mqfs_msg *why)
{
        MQFS_CLEANUP(mqfs_mount_clear) struct mqfs_mount m = {0};
        int mnt_id;
        int rc = mqfs_fd_mount_id(job->host->proc_fd, target_fd, &mnt_id);
        if (rc == 0)
                rc = mqfs_mount_find(job->host->proc_fd, mnt_id, &m);
        if (rc < 0) {
                say(why, "cannot find the mount at " MQFS_TARGET " in namespace %s: %s",
                    job->ns->path, mqfs_errstr(-rc));
                return rc;
        }
        *ts = (struct target_state){.shared_group = m.shared_group};
        ts->probe.attached =
            strcmp(m.fstype, MQFS_FUSE_FSTYPE) == 0 && strcmp(m.mount_point, MQFS_TARGET) == 0;
        if (ts->probe.attached) {
                rc = fresh_identity(target_fd, &ts->probe.dev, &ts->probe.ino);
                ts->probe.view_errno = -rc;
        }
        return 0;
}

/* Lazily unmounts the topmost mount at dev_fd/mqueue, never following a symlink. */
static int unmount_target(const struct ns_job *job, int dev_fd, struct mqfs_msg *why)
{
        if (fchdir(dev_fd) < 0 || umount2("mqueue", MNT_DETACH | UMOUNT_NOFOLLOW) < 0) {
                int rc = -errno;
                say(why, "cannot unmount the view at " MQFS_TARGET " in namespace %s: %s",
                    job->ns->path, mqfs_errstr(-rc));
                return rc;
        }
        return 0;
}

static int attach_job(const struct ns_job *job, struct ns_reply *reply)
{
        const struct mqfs_view *v = job->view;
        struct target_state ts = {0};
        MQFS_AUTOCLOSE int dev_fd = -1;
        MQFS_AUTOCLOSE int target_fd = -1;
        int rc = open_dev(job, &dev_fd, &reply->why);
        bool replaced = false;

        if (rc < 0)
                return rc;
        /* Take off views whose daemon is gone; a handful at most can be stacked. */
        for (int round = 0;; round++) {
                mqfs_close_fd(&target_fd);
                rc = open_target(job, dev_fd, true, &target_fd, &reply->why);
                if (rc < 0)
                        return rc;
                rc = inspect_target(job, target_fd, &ts, &reply->why);
                if (rc < 0)
                        return rc;
                if (!ts.probe.attached)
                        break;
                if (ts.probe.view_errno == 0) {
                        if (ts.probe.dev == v->dev && ts.probe.ino == v->ino) {
                                reply->outcome = MQFS_ALREADY_ATTACHED;
                                return 0;
                        }
                        say(&reply->why,
                            MQFS_TARGET " in namespace %s already holds another live attachment "
                                        "(not %s/%s): run 'mqfs-mount detach' first",
                            job->ns->path, v->root, v->snap);
                        return -EBUSY;
                }
                if (round == 8) {
                        say(&reply->why,
                            "too many dead attachments are stacked at " MQFS_TARGET
                            " in namespace %s",
                            job->ns->path);
                        return -ELOOP;
                }
                rc = unmount_target(job, dev_fd, &reply->why);
                if (rc < 0)
                        return rc;
                replaced = true;
        }
        if (mqfs_shared_groups_has(job->host->shared_groups, job->host->nshared, ts.shared_group)) {
                say(&reply->why,
                    MQFS_TARGET " in namespace %s lies on a mount that shares mount events with "
                                "the host (peer group %d): the view would appear on the host "
                                "too; make it a slave inside the namespace first (mount "
                                "--make-rslave /dev)",
                    job->ns->path, ts.shared_group);
                return -EXDEV;
        }
        if (move_mount(job->tree_fd, "", target_fd, "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                rc = -errno;
                say(&reply->why, "cannot mount %s/%s on " MQFS_TARGET " in namespace %s: %s",
                    v->root, v->snap, job->ns->path, mqfs_errstr(-rc));
                return rc;
        }
        /* Check the result through the path a snap would use. */
        mqfs_close_fd(&target_fd);
        rc = open_target(job, dev_fd, false, &target_fd, &reply->why);
        if (rc == 0)
                rc = inspect_target(job, target_fd, &ts, &reply->why);
        if (rc == 0 && !(ts.probe.attached && ts.probe.view_errno == 0 && ts.probe.dev == v->dev &&
                         ts.probe.ino == v->ino)) {
                say(&reply->why,
                    "mounted %s/%s on " MQFS_TARGET " in namespace %s, but it does not show there "
                    "(%s)",
                    v->root, v->snap, job->ns->path,
                    ts.probe.view_errno ? mqfs_errstr(ts.probe.view_errno) : "another file system");
                rc = -EIO;
        }
        reply->outcome = replaced ? MQFS_REPLACED_BROKEN : MQFS_ATTACHED;
        return rc;
}

static int detach_job(const struct ns_job *job, struct ns_reply *reply)
{
        struct target_state ts = {0};
        MQFS_AUTOCLOSE int dev_fd = -1;
        MQFS_AUTOCLOSE int target_fd = -1;
        int rc = open_dev(job, &dev_fd, &reply->why);

        reply->outcome = MQFS_NOT_ATTACHED;
        if (rc < 0)
                return rc;
        rc = open_target(job, dev_fd, false, &target_fd, &reply->why);
        if (rc == -ENOENT || rc == -ELOOP || rc == -ENOTDIR) {
                /* Nothing there, or something no view can be: nothing of ours to undo. */
                reply->why = (struct mqfs_msg){{0}};
                return 0;
        }
        if (rc < 0)
                return rc;
        rc = inspect_target(job, target_fd, &ts, &reply->why);
        if (rc < 0 || !ts.probe.attached)
                return rc;
        mqfs_close_fd(&target_fd);
        rc = unmount_target(job, dev_fd, &reply->why);
        if (rc == 0)
                reply->outcome = MQFS_DETACHED;
        return rc;
}

static int probe_job(const struct ns_job *job, struct ns_reply *reply)
{
        struct target_state ts = {0};
        MQFS_AUTOCLOSE int dev_fd = -1;
        MQFS_AUTOCLOSE int target_fd = -1;
        int rc = open_dev(job, &dev_fd, &reply->why);

        if (rc < 0)
                return rc;
        rc = open_target(job, dev_fd, false, &target_fd, &reply->why);
        if (rc == -ENOENT || rc == -ELOOP || rc == -ENOTDIR) {
                /* Nothing there, or something no view can be: nothing of ours to undo. */
                reply->why = (struct mqfs_msg){{0}};
                return 0;
        }
        if (rc < 0)
                return rc;
        rc = inspect_target(job, target_fd, &ts, &reply->why);
        if (rc == 0)
                reply->probe = ts.probe;
        return rc;
}

/* Runs job->fn in a child that has entered the snap's namespace; the helper's own
 * namespace, root and cwd never change. */
static int run_in_ns(const struct ns_job *job, struct ns_reply *reply)
{
        int pipe_fd[2];
        int status = 0;
        pid_t pid;

        *reply = (struct ns_reply){0};
        if (pipe2(pipe_fd, O_CLOEXEC) < 0) {
                reply->rc = -errno;
                say(&reply->why, "cannot create a pipe: %s", mqfs_errstr(-reply->rc));
                return reply->rc;
        }
        MQFS_AUTOCLOSE int from_worker = pipe_fd[0];
        MQFS_AUTOCLOSE int to_parent = pipe_fd[1];
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                reply->rc = -errno;
                say(&reply->why, "cannot fork: %s", mqfs_errstr(-reply->rc));
                return reply->rc;
        }
        if (pid == 0) {
                struct ns_reply r = {0};
                mqfs_close_fd(&from_worker);
                if (setns(job->ns->fd, CLONE_NEWNS) < 0) {
                        r.rc = -errno;
                        if (r.rc == -EINVAL)
                                say(&r.why, "%s is not a mount namespace", job->ns->path);
                        else
                                say(&r.why, "cannot enter the mount namespace %s: %s",
                                    job->ns->path, mqfs_errstr(-r.rc));
                } else {
                        umask(0);
                        r.rc = job->fn(job, &r);
                }
                _exit(mqfs_write_all(to_parent, &r, sizeof(r)) == 0 ? 0 : 1);
        }
        mqfs_close_fd(&to_parent); /* the worker's end: its exit is our end of file */
        int rc = mqfs_read_full(from_worker, reply, sizeof(*reply));
        mqfs_close_fd(&from_worker);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (rc < 0) {
                *reply = (struct ns_reply){.rc = -EIO};
                say(&reply->why, "the helper's worker in namespace %s died (wait status %#x)",
                    job->ns->path, (unsigned)status);
        }
        return reply->rc;
}

int mqfs_attach(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
                const struct mqfs_view *view, enum mqfs_attach_outcome *outcome,
                struct mqfs_msg *why)
{
        struct ns_reply reply;
        struct ns_job job = {.host = host, .ns = ns, .view = view, .fn = attach_job};

        /* A detached copy of the view, made here where the view's mount lives: it can then
         * be moved into the other namespace, which a bind mount's source cannot. */
        MQFS_AUTOCLOSE int tree_fd =
            (int)open_tree(view->fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree_fd < 0) {
                int rc = -errno;
                say(why, "cannot make a copy of the view %s/%s to mount: %s%s", view->root,
                    view->snap, mqfs_errstr(-rc),
                    rc == -ENOSYS ? " (open_tree(2) needs Linux 5.2 or later)" : "");
                return rc;
        }
        job.tree_fd = tree_fd;
        int rc = run_in_ns(&job, &reply);
        *why = reply.why;
        if (rc == 0)
                *outcome = (enum mqfs_attach_outcome)reply.outcome;
        return rc;
}

int mqfs_detach(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
                enum mqfs_detach_outcome *outcome, struct mqfs_msg *why)
{
        struct ns_reply reply;
        struct ns_job job = {.host = host, .ns = ns, .tree_fd = -1, .fn = detach_job};
        int rc = run_in_ns(&job, &reply);
        *why = reply.why;
        if (rc == 0)
                *outcome = (enum mqfs_detach_outcome)reply.outcome;
        return rc;
}

int mqfs_probe(const struct mqfs_host *host, const struct mqfs_snap_ns *ns,
               struct mqfs_probe *probe, struct mqfs_msg *why)
{
        struct ns_reply reply;
        struct ns_job job = {.host = host, .ns = ns, .tree_fd = -1, .fn = probe_job};
        int rc = run_in_ns(&job, &reply);
        *why = reply.why;
        if (rc == 0)
                *probe = reply.probe;
        return rc;
}
