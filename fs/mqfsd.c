/* mqfsd — the FUSE daemon that shows every installed snap its view of /dev/mqueue
 * (SPEC §5).
 *
 * Why libfuse's LOW-LEVEL API with our OWN single-threaded loop:
 * - Speed. On this VM a do-nothing libfuse 3.14 filesystem costs 37 µs per stat
 *   single-threaded against 130 µs with libfuse's multithreaded loop (open+read+close:
 *   60 µs against 245 µs), whatever clone_fd and the idle-thread settings; the
 *   high-level API adds path building and a lock on top. (Figures measured by the lead
 *   with a do-nothing filesystem; mqfsd's own are in the comment atop filesystem.c:
 *   a stat of a queue is one request, 27-37 µs, i.e. at that floor.)
 * - Blocking writes need no thread. The only operation that can wait is a write to a
 *   full queue. The low-level API lets us keep the request and reply later: such a
 *   write is parked (file_ops.c), the queue descriptor goes into epoll, and the reply
 *   is sent when there is room, or EINTR when libfuse reports the caller's interrupt.
 *   So a blocked writer never stalls the daemon or anyone else's requests (the kernel
 *   does hold that queue's inode lock meanwhile, see file_ops.c), and the fast path
 *   stays one thread with no locks.
 * - One epoll loop (loop.h) serves: /dev/fuse, a signalfd (SIGHUP reloads, SIGTERM and
 *   SIGINT end), inotify on system.yaml's directory (reload.h), inotify on the backing
 *   mqueue mount (queue_watch.h: queues created or removed outside the views), the
 *   descriptors of parked writes and waiting pollers, and the notifier's end.
 * - The one other thread sends cache invalidations (notify.h says why they cannot be
 *   sent from the loop).
 *
 * Mount options: allow_other (a shared filesystem run by root, used by every snap's
 * users), fsname=mqfs, subtype=mqfs, and deliberately NOT default_permissions. With it
 * the kernel would check our mode bits itself, but it needs fresh attributes to do so
 * (queue attributes are never cached: QSIZE and the times move with every message), so
 * every open would cost one more round trip (a GETATTR, measured at 25-35 µs, about a
 * third of an open+read+close). The checks it made are all made here, each with two
 * independent judges, the grant (the broker) and the kernel's own check of the caller's
 * credentials against the real queue: open, create and unlink run as the caller in the
 * broker; access(2) asks us (filesystem.c, op_access); truncate and utime by name, and
 * O_TRUNC, are checked like the kernel's (op_setattr, mqfs_file_open); chmod and chown
 * run as the caller after an owner check; the root's 0700 is enforced on its lookups and
 * listings (check_root_caller); the views are 1777, so allow every directory access,
 * and the sticky bit on unlink is the kernel's, twice (the VFS on our attributes, and
 * the backing mount when the broker unlinks as the caller). */
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#include "backing.h"
#include "broker.h"
#include "cli.h"
#include "dead_mount.h"
#include "door.h"
#include "door_proto.h"
#include "errors.h"
#include "grants.h"
#include "log.h"
#include "loop.h"
#include "perm.h"
#include "notify.h"
#include "queue_watch.h"
#include "reload.h"
#include "sd_notify.h"
#include "source_watch.h"
#include "budget.h"
#include "cleanup.h"
#include "filesystem.h"

/* Requests read from /dev/fuse per wakeup before the other sources get a turn. */
enum { FUSE_BATCH = 64 };

struct options {
        const char *system;
        const char *mountpoint;
        const char *door; /* the syscall door's socket; NULL: MOUNTPOINT.door */
        bool foreground;
        bool debug;
        char *fuse_opts; /* every -o, joined by commas; NULL when none */
};

struct daemon {
        struct options opt;
        char *system_path; /* absolute */
        struct mqfs_loop *loop;
        struct mqfs_broker *broker;
        struct mqfs_filesystem fs;
        bool fs_ready;
        struct mqfs_budget *budget; /* per-caller budgets (budget.h) */
        struct fuse_session *se;
        bool mounted;
        struct fuse_buf buf;
        struct mqfs_notifier *notifier;
        struct mqfs_reload *reload;
        struct mqfs_source_watch *sources; /* snap-yaml: files, snapd's state and tree */
        struct mqfs_queue_watch *qwatch;
        struct mqfs_door *door;
        char *door_path;
        int sigfd;
        struct mqfs_loop_source fuse_src, sig_src, reload_src, sources_src, qwatch_src, done_src;
        bool stopping;
        bool initialized; /* FUSE_INIT was handled: the mount answers */
        bool ready_told;  /* READY=1 was sent to the service manager */
        int exit_code;
};

/* Single instance: the loop callbacks find it here. */
static struct daemon d = {.sigfd = -1};

static const char usage_text[] =
    "Usage: mqfsd [--system FILE] [-f] [-d] [--door SOCKET] [-o FUSE_OPTIONS] MOUNTPOINT\n"
    "\n"
    "Shows each installed snap, under MOUNTPOINT/SNAP, the POSIX message queues it is\n"
    "connected to, and carries out every file operation on them as a mediated mq_* call\n"
    "under the snap's grants.\n"
    "\n"
    "Options:\n"
    "  -s, --system FILE   the system state (default " MQFS_SYSTEM_DEFAULT "); reloaded\n"
    "                      on SIGHUP and whenever the file changes\n"
    "  -f, --foreground    stay in the foreground and log to stderr, each line prefixed\n"
    "                      with its syslog priority <N> (otherwise: detach, log to syslog)\n"
    "  -d, --debug         libfuse's request trace and debug messages (implies -f)\n"
    "  -o OPTIONS          more FUSE mount options (comma-separated)\n"
    "      --door SOCKET   the syscall door's socket, where mqfs-exec registers\n"
    "                      (default: MOUNTPOINT.door)\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n"
    "\n"
    "Runs as root. SIGHUP reloads system.yaml; SIGTERM and SIGINT unmount and exit.\n"
    "\n"
    "Exit status: 0 stopped by a signal or unmounted; 1 failed to start or failed while\n"
    "serving; 2 bad usage, or the system state could not be loaded at start.\n";

static int append_opts(char **all, const char *more)
{
        size_t old = *all ? strlen(*all) : 0;
        char *s = realloc(*all, old + strlen(more) + 2);

        if (!s)
                return -ENOMEM;
        if (old)
                s[old++] = ',';
        strcpy(s + old, more);
        *all = s;
        return 0;
}

/* 0 to run; -1 when --help or --version answered (the exit status in *status);
 * MQFS_EXIT_USAGE for bad usage (message printed). */
static int parse_options(int argc, char **argv, struct options *opt, int *status)
{
        static const struct option longopts[] = {
            {"system", required_argument, NULL, 's'},
            {"foreground", no_argument, NULL, 'f'},
            {"debug", no_argument, NULL, 'd'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {"door", required_argument, NULL, 'D'},
            {NULL, 0, NULL, 0},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":s:fdo:hV", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        opt->system = optarg;
                        break;
                case 'f':
                        opt->foreground = true;
                        break;
                case 'd':
                        /* As with libfuse's own -d: the trace goes to stderr, so stay. */
                        opt->debug = true;
                        opt->foreground = true;
                        break;
                case 'o':
                        if (append_opts(&opt->fuse_opts, optarg)) {
                                fprintf(stderr, "mqfsd: out of memory\n");
                                return MQFS_EXIT_USAGE;
                        }
                        break;
                case 'D':
                        opt->door = optarg;
                        break;
                case 'h':
                        *status = mqfs_cli_help(usage_text);
                        return -1;
                case 'V': {
                        char libfuse[64];
                        snprintf(libfuse, sizeof(libfuse), "libfuse %s", fuse_pkgversion());
                        *status = mqfs_cli_version("mqfsd", libfuse);
                        return -1;
                }
                default:
                        return mqfs_cli_bad_option("mqfsd", c, argv, optind, optopt);
                }
        }
        if (!opt->system)
                opt->system = MQFS_SYSTEM_DEFAULT;
        if (optind != argc - 1)
                return mqfs_cli_usage_error("mqfsd", "give exactly one MOUNTPOINT (got %d)",
                                            argc - optind);
        opt->mountpoint = argv[optind];
        return 0;
}

/* The path made absolute without resolving links (a daemon changes to "/"; and
 * system.yaml may be a link that an administrator re-points). */
static char *absolute_path(const char *path)
{
        if (path[0] == '/')
                return strdup(path);
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                return NULL;
        size_t n = strlen(cwd) + strlen(path) + 2;
        char *s = malloc(n);
        if (s)
                snprintf(s, n, "%s/%s", cwd, path);
        return s;
}

/* Every open queue file holds a descriptor: let the daemon use all it may. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* st_dev of our mount, from the attributes the kernel made at mount time: a stat that
 * asked the file system would wait for this very thread (the door compares it with the
 * views registrations hand in). */
static int learn_mount_dev(void)
{
        MQFS_AUTOCLOSE int fd = open(d.opt.mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO, &stx) < 0)
                return -errno;
        if (stx.stx_ino != FUSE_ROOT_ID)
                return -ENOTCONN; /* not our mount at the mount point */
        d.fs.mount_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        return 0;
}

/* MOUNTPOINT.door, without the mount point's trailing slashes, unless --door says. */
static char *door_path(void)
{
        if (d.opt.door)
                return strdup(d.opt.door);
        MQFS_AUTOFREE char *mp = absolute_path(d.opt.mountpoint);
        if (!mp)
                return NULL;
        size_t n = strlen(mp);
        while (n > 1 && mp[n - 1] == '/')
                mp[--n] = '\0';
        char *path = malloc(n + sizeof(MQFS_DOOR_SUFFIX));
        if (path)
                snprintf(path, n + sizeof(MQFS_DOOR_SUFFIX), "%s%s", mp, MQFS_DOOR_SUFFIX);
        return path;
}

/* Tells the service manager (Type=notify); a failure is logged once and otherwise
 * ignored: the daemon serves whether or not anyone listens. */
static void tell_manager(int err)
{
        static bool warned;
        if (err && !warned) {
                warned = true;
                mqfs_log(LOG_WARNING, "cannot notify the service manager at $NOTIFY_SOCKET: %s",
                         mqfs_errstr(-err));
        }
}

/* READY=1, with what is being served as STATUS. */
static void tell_ready(void)
{
        char state[PATH_MAX + 64];
        struct mqfs_grant_table *g = mqfs_broker_grant_table(d.broker); /* a reference of our own */
        snprintf(state, sizeof(state), "READY=1\nSTATUS=serving %zu snaps from %s",
                 g ? mqfs_grant_table_snap_count(g) : 0, d.system_path);
        mqfs_grant_table_unref(g);
        tell_manager(mqfs_sd_notify(state));
        d.ready_told = true;
}

static void begin_stop(int exit_code)
{
        if (d.stopping)
                return;
        d.stopping = true;
        d.exit_code = exit_code;
        tell_manager(mqfs_sd_notify("STOPPING=1"));
        /* Blocked writers learn that the daemon is going away. */
        mqfs_filesystem_close(&d.fs, ENOTCONN);
        /* The notifier may be waiting in the kernel for a directory lock that a request
         * still queued in /dev/fuse holds: keep serving until it has finished. */
        mqfs_notifier_finish(d.notifier);
}

static void on_fuse(struct mqfs_loop_source *src, uint32_t events)
{
        (void)events;
        for (int i = 0; i < FUSE_BATCH; i++) {
                int r = fuse_session_receive_buf(d.se, &d.buf);
                if (r == -EAGAIN || r == -EINTR)
                        return;
                if (r <= 0 || fuse_session_exited(d.se)) {
                        /* 0: unmounted (ENODEV) or the connection was aborted. */
                        if (r < 0)
                                mqfs_log(LOG_ERR, "reading /dev/fuse: %s", mqfs_errstr(-r));
                        else
                                mqfs_log(LOG_NOTICE, "%s was unmounted", d.opt.mountpoint);
                        mqfs_loop_remove(d.loop, src);
                        d.mounted = false;
                        begin_stop(r < 0 ? 1 : 0);
                        return;
                }
                fuse_session_process_buf(d.se, &d.buf);
                /* The reply to FUSE_INIT is out: from now on the mount answers. */
                if (d.initialized && !d.ready_told && !d.stopping)
                        tell_ready();
        }
}

/* What a reload changed, a line each: which snap gained or lost which queue. */
static void log_grant_change(void *ctx, const char *snap, const char *queue, unsigned old_perms,
                             unsigned new_perms)
{
        const struct mqfs_grant_table *fresh = ctx;
        char was[64], now[64];

        if (!queue) {
                bool installed = mqfs_grant_table_set_of(fresh, snap) != NULL;
                mqfs_log(LOG_NOTICE, "snap %s %s", snap,
                         installed ? "is new: its view appears" : "is gone: its view goes");
                return;
        }
        if (mqfs_perm_format(old_perms, was, sizeof(was)) < 0 ||
            mqfs_perm_format(new_perms, now, sizeof(now)) < 0)
                return;
        if (!old_perms)
                mqfs_log(LOG_NOTICE, "snap %s gained %s (%s)", snap, queue, now);
        else if (!new_perms)
                mqfs_log(LOG_NOTICE, "snap %s lost %s (had %s)", snap, queue, was);
        else
                mqfs_log(LOG_NOTICE, "snap %s now holds %s with %s (had %s)", snap, queue, now,
                         was);
}

static void load_policy(const char *why)
{
        struct mqfs_grant_table *fresh = NULL;
        struct mqfs_limits limits;

        mqfs_log(LOG_INFO, "reloading %s (%s)", d.system_path, why);
        if (mqfs_reload_load(d.system_path, MQFS_LOAD_ALL_OR_NOTHING, &fresh, &limits, d.sources) !=
            0)
                return; /* logged; the old grants keep serving */
        mqfs_budget_set_limits(d.budget, &limits);
        struct mqfs_grant_table *old = mqfs_broker_grant_table(d.broker);
        mqfs_broker_set_grant_table(d.broker, mqfs_grant_table_ref(fresh));
        mqfs_filesystem_grants_changed(&d.fs, old, fresh);
        mqfs_grant_table_diff(old, fresh, log_grant_change, fresh);
        mqfs_log(LOG_NOTICE, "policy reloaded from %s: %zu snaps", d.system_path,
                 mqfs_grant_table_snap_count(fresh));
        if (old)
                mqfs_grant_table_unref(old);
        mqfs_grant_table_unref(fresh);
}

/* RELOADING=1 ... READY=1 around the reload, whether it took or not. */
static void reload_policy(const char *why)
{
        tell_manager(mqfs_sd_notify_reloading());
        load_policy(why);
        tell_ready();
}

static void on_signal(struct mqfs_loop_source *src, uint32_t events)
{
        struct signalfd_siginfo si;

        (void)events;
        while (read(src->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        reload_policy("SIGHUP");
                } else {
                        mqfs_log(LOG_NOTICE, "%s: unmounting %s", strsignal((int)si.ssi_signo),
                                 d.opt.mountpoint);
                        begin_stop(0);
                }
        }
}

static void on_reload_event(struct mqfs_loop_source *src, uint32_t events)
{
        (void)src, (void)events;
        if (mqfs_reload_changed(d.reload) && !d.stopping)
                reload_policy("the file changed");
}

static void on_sources_event(struct mqfs_loop_source *src, uint32_t events)
{
        char what[PATH_MAX + 32], why[PATH_MAX + 64];

        (void)src, (void)events;
        if (mqfs_source_watch_changed(d.sources, what, sizeof(what)) && !d.stopping) {
                snprintf(why, sizeof(why), "%s changed", what);
                reload_policy(why);
        }
}

static void queue_event(void *ctx, enum mqfs_queue_event ev, const char *name)
{
        (void)ctx;
        /* A created queue needs no invalidation: misses are not cached (filesystem.c);
         * only the shared listings go. */
        if (ev == MQFS_QUEUE_DELETED)
                mqfs_filesystem_queue_changed(&d.fs, name);
        else if (ev == MQFS_QUEUE_LOST)
                mqfs_filesystem_queue_changed(&d.fs, NULL);
        else
                mqfs_filesystem_listings_changed(&d.fs);
}

static void on_queue_event(struct mqfs_loop_source *src, uint32_t events)
{
        (void)src, (void)events;
        mqfs_queue_watch_read(d.qwatch, queue_event, NULL);
}

static void on_notifier_done(struct mqfs_loop_source *src, uint32_t events)
{
        (void)events;
        mqfs_loop_remove(d.loop, src);
        mqfs_loop_stop(d.loop);
}

static int add_source(struct mqfs_loop_source *src, int fd, mqfs_loop_fn fn, const char *what)
{
        src->fd = fd;
        src->ready = fn;
        return mqfs_log_errno(mqfs_loop_add(d.loop, src, EPOLLIN), "cannot watch %s", what);
}

static int block_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        d.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (d.sigfd < 0)
                return -errno;
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

/* The filesystem's operations, with init noting that the mount is about to answer. */
static struct fuse_lowlevel_ops ops;

static void on_init(void *userdata, struct fuse_conn_info *conn)
{
        mqfs_filesystem_ops()->init(userdata, conn);
        d.initialized = true;
}

static int start_session(void)
{
        MQFS_AUTOFREE char *mount_opts = strdup("fsname=mqfs,subtype=mqfs,allow_other");
        char *argv[5];
        int argc = 0;
        int err = 0;

        if (!mount_opts || (d.opt.fuse_opts && append_opts(&mount_opts, d.opt.fuse_opts)))
                return -ENOMEM;
        argv[argc++] = "mqfsd";
        argv[argc++] = "-o";
        argv[argc++] = mount_opts;
        if (d.opt.debug)
                argv[argc++] = "-d";
        argv[argc] = NULL;
        MQFS_CLEANUP(fuse_opt_free_args) struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
        ops = *mqfs_filesystem_ops();
        ops.init = on_init;
        d.se = fuse_session_new(&args, &ops, sizeof(ops), &d.fs);
        if (!d.se) {
                mqfs_log(LOG_ERR, "cannot start the FUSE session (bad -o option?)");
                return -EINVAL;
        }
        d.fs.se = d.se;
        err = mqfs_clear_dead_mount(d.opt.mountpoint); /* what a killed daemon left */
        if (err)
                return err;
        if (fuse_session_mount(d.se, d.opt.mountpoint) != 0) {
                mqfs_log(LOG_ERR, "cannot mount on %s (does it exist, and is /dev/fuse there?)",
                         d.opt.mountpoint);
                return -EIO;
        }
        d.mounted = true;
        return err;
}

static int start(void)
{
        MQFS_CLEANUP(mqfs_grant_table_unref_ptr)
        struct mqfs_grant_table *grants = NULL; /* until the broker's */
        struct mqfs_limits limits;
        int err;

        d.system_path = absolute_path(d.opt.system);
        if (!d.system_path)
                return -ENOMEM;
        /* Made before the first load, which says what to watch. */
        if (mqfs_source_watch_new(&d.sources) < 0)
                mqfs_log(LOG_WARNING, "snap.yaml files and snapd's state are not watched; send "
                                      "SIGHUP to reload after they change");
        err = mqfs_reload_load(d.system_path, MQFS_LOAD_SERVE_VALID, &grants, &limits, d.sources);
        if (err) {
                d.exit_code = MQFS_EXIT_USAGE; /* unreadable input, as for every tool */
                return err; /* logged: with no policy yet there is nothing to serve */
        }
        err = mqfs_budget_new(&limits, 0, &d.budget) /* after raise_fd_limit */;
        if (err)
                return err;
        int backing = mqfs_backing_open();
        if (backing < 0)
                return mqfs_log_errno(backing,
                                      "cannot make the backing mount (a private mqueue mount)");
        err = mqfs_broker_new(backing, MQFS_MOVE_PTR(grants), &d.broker); /* takes both */
        if (err)
                return mqfs_log_errno(err, "cannot start the broker");
        err = mqfs_loop_new(&d.loop);
        if (err)
                return err;
        err = mqfs_filesystem_init(&d.fs, d.broker, d.loop);
        if (err)
                return err;
        d.fs.budget = d.budget;
        d.fs_ready = true;
        err = start_session();
        if (err)
                return err;
        /* Detach before any thread exists (fork keeps only the calling thread). */
        if (fuse_daemonize(d.opt.foreground) != 0) {
                mqfs_log(LOG_ERR, "cannot detach into the background; try -f");
                return -ECHILD;
        }
        err = block_signals();
        if (err)
                return err;
        err = mqfs_notifier_new(d.se, &d.notifier);
        if (err)
                return err;
        d.fs.notifier = d.notifier;
        err = learn_mount_dev();
        if (err)
                return mqfs_log_errno(err, "cannot learn the device of %s", d.opt.mountpoint);

        int fd = fuse_session_fd(d.se);
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                return -errno;
        err = add_source(&d.fuse_src, fd, on_fuse, "/dev/fuse");
        if (!err)
                err = add_source(&d.sig_src, d.sigfd, on_signal, "signals");
        if (err)
                return err;
        err = mqfs_reload_new(d.system_path, &d.reload);
        if (!err)
                err = add_source(&d.reload_src, mqfs_reload_fd(d.reload), on_reload_event,
                                 d.system_path);
        if (err)
                mqfs_log(LOG_WARNING, "changes to %s are not watched; send SIGHUP to reload",
                         d.system_path);
        if (d.sources && add_source(&d.sources_src, mqfs_source_watch_fd(d.sources),
                                    on_sources_event, "the state's sources") < 0)
                mqfs_log(LOG_WARNING, "snap.yaml files and snapd's state are not watched");
        err = mqfs_queue_watch_new(mqfs_broker_backing_fd(d.broker), &d.qwatch);
        if (!err)
                err = add_source(&d.qwatch_src, mqfs_queue_watch_fd(d.qwatch), on_queue_event,
                                 "the backing mount");
        if (!err)
                mqfs_filesystem_share_listings(&d.fs, mqfs_queue_watch_fd(d.qwatch));
        if (err)
                mqfs_log(LOG_WARNING,
                         "queues removed outside the views may stay visible by "
                         "name for up to %.0f s",
                         MQFS_ENTRY_TIMEOUT);
        err = add_source(&d.done_src, mqfs_notifier_done_fd(d.notifier), on_notifier_done,
                         "the notifier");
        if (err)
                return err;
        d.door_path = door_path();
        if (!d.door_path)
                return -ENOMEM;
        err = mqfs_door_new(d.door_path, d.broker, &d.fs, d.loop, &d.door);
        if (!err)
                mqfs_log(LOG_INFO, "syscall door on %s", d.door_path);
        return err;
}

static void stop(void)
{
        if (d.notifier) {
                mqfs_notifier_finish(d.notifier);
                mqfs_notifier_free(d.notifier); /* joins; nothing is queued any more */
                d.notifier = NULL;
                d.fs.notifier = NULL;
        }
        /* The door first: its processes' mq_open then fail (ENOSYS) instead of waiting. */
        mqfs_door_free(d.door);
        d.door = NULL;
        free(d.door_path);
        if (d.loop) {
                mqfs_loop_remove(d.loop, &d.fuse_src);
                mqfs_loop_remove(d.loop, &d.sig_src);
                mqfs_loop_remove(d.loop, &d.reload_src);
                mqfs_loop_remove(d.loop, &d.sources_src);
                mqfs_loop_remove(d.loop, &d.qwatch_src);
                mqfs_loop_remove(d.loop, &d.done_src);
        }
        if (d.se) {
                if (d.fs_ready)
                        mqfs_filesystem_close(&d.fs, ENOTCONN);
                /* Unmounts (lazily) when still mounted, and closes /dev/fuse. */
                fuse_session_unmount(d.se);
                fuse_session_destroy(d.se);
                d.se = NULL;
        }
        free(d.buf.mem);
        mqfs_queue_watch_free(d.qwatch);
        mqfs_reload_free(d.reload);
        mqfs_source_watch_free(d.sources);
        if (d.fs_ready)
                mqfs_filesystem_destroy(&d.fs);
        mqfs_loop_free(d.loop);
        mqfs_broker_free(d.broker);
        mqfs_budget_free(d.budget);
        if (d.sigfd >= 0)
                close(d.sigfd);
        free(d.system_path);
}

/* main's scope owns the options' memory: every way out of main frees it. */
static void options_clear(struct options **opt)
{
        free((*opt)->fuse_opts);
        (*opt)->fuse_opts = NULL;
}

int main(int argc, char **argv)
{
        int status = 0;
        MQFS_CLEANUP(options_clear) struct options *opt = &d.opt;
        int r = parse_options(argc, argv, opt, &status);

        if (r)
                return r == -1 ? status : r;
        if (geteuid() != 0) {
                fprintf(stderr, "mqfsd: must run as root (it mounts filesystems and acts for "
                                "every snap's users)\n");
                return 1;
        }
        /* Modes of new queues are the caller's (the kernel applied its umask already). */
        umask(0);
        raise_fd_limit();
        mqfs_log_open(d.opt.foreground, d.opt.debug);

        int err = start();
        if (!err) {
                mqfs_log(LOG_NOTICE, "serving %s on %s", d.system_path, d.opt.mountpoint);
                err = mqfs_loop_run(d.loop);
                if (err)
                        mqfs_log(LOG_ERR, "event loop failed: %s", mqfs_errstr(-err));
        } else if (err != -ECHILD) {
                mqfs_log(LOG_ERR, "not started: %s", mqfs_errstr(-err));
        }
        stop();
        mqfs_log_close();
        if (err)
                return d.exit_code == MQFS_EXIT_USAGE ? MQFS_EXIT_USAGE : MQFS_EXIT_PROBLEMS;
        return d.exit_code;
}
