/* world.h — the benchmark's private world: namespaces, mounts, the processes it starts,
 * who it acts as, and the queues it fills the IPC namespace with.
 *
 * world_enter moves the calling process into fresh IPC and mount namespaces (so no
 * queue, mount or daemon of the benchmark is ever seen by the host), puts a tmpfs on a
 * new directory under /tmp and mounts the kernel's mqueue filesystem in it. Processes
 * started here die with the benchmark (PR_SET_PDEATHSIG); world_leave stops them by pid,
 * unmounts and removes the directory. Needs root. Functions return 0 or -errno and say
 * on stderr what went wrong. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct world {
        char dir[64];          /* the private tmpfs */
        char kernel[128];      /* the kernel's mqueue filesystem */
        char bindir[PATH_MAX]; /* where mqfsd and mqfs_bench_floor are */
        bool entered;
};

int world_enter(struct world *w, const char *bindir);
/* Unmounts everything under w->dir (lazily) and removes it. */
void world_leave(struct world *w);

/* Writes value into a file (e.g. a /proc/sys setting of the private IPC namespace). */
int world_write_file(const char *path, const char *value);

/* The CPU the FUSE daemons started from now on are bound to, or -1 (default): none. */
void world_set_daemon_cpu(int cpu);

/* Starts argv (argv[0] a path), output appended to log, and waits until mnt is a FUSE
 * mount (at most timeout_s). pid: the process; ready_s: seconds from fork to mounted.
 * MQFS_BENCH_WRAPPER (e.g. "valgrind --tool=callgrind") goes in front when wrap is set. */
int world_start_fuse(char *const argv[], bool wrap, const char *mnt, const char *log,
                     double timeout_s, pid_t *pid, double *ready_s);
/* SIGTERM, then SIGKILL after timeout_s; reaps. 0 when it exited by itself with 0. */
int world_stop(pid_t pid, double timeout_s);
bool world_is_fuse(const char *mnt);

/* A bind mount (a snap's view put where its apps look, as mqfs-mount does). */
int world_bind(const char *src, const char *dst);
void world_unmount(const char *path);

/* Acts as uid/gid (no supplementary groups), every id the caller's like an ordinary
 * process's, keeping the permitted capabilities (not effective) so that
 * world_become_root can return. Process-wide: call from a single-threaded process. */
int world_become(uid_t uid, gid_t gid);
int world_become_root(void);

/* Creates queues fmt % i for i in [from, to) with maxmsg 1 and msgsize 1, mode 0644,
 * the i-th one owned by uid base_uid + i / per_uid (a child process per uid: the
 * per-user RLIMIT_MSGQUEUE holds only a few thousand such queues). */
int world_make_queues(const char *fmt, size_t from, size_t to, uid_t base_uid, size_t per_uid);
/* One queue, owned by root, mode 0666, with the given attributes. */
int world_make_queue(const char *name, long maxmsg, long msgsize);

/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"), or -1. */
long world_status_kib(pid_t pid, const char *field);
