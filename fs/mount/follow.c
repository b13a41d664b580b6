/* follow.c — see follow.h. */
#include "follow.h"

#include "attach.h"
#include "errors.h"
#include "record.h"
#include "snapname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* A namespace file seen in the directory. */
struct followed {
        char snap[MQFS_SNAP_NAME_MAX + 16];
        dev_t dev; /* the namespace attached to (0: none yet) */
        ino_t ino;
        int last_err; /* of the last failed attempt on this namespace, said once */
        dev_t err_dev;
        ino_t err_ino;
        bool seen; /* in this survey */
};

struct follower {
        const char *root, *dir;
        struct mqfs_host host;
        int inotify, wd, mountinfo, sigfd, records;
        struct followed *v;
        size_t n, cap;
};

static struct followed *find(struct follower *f, const char *snap)
{
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->v[i].snap, snap) == 0)
                        return &f->v[i];
        return NULL;
}

static struct followed *add(struct follower *f, const char *snap)
{
        if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 16;
                struct followed *v = reallocarray(f->v, cap, sizeof(*v));
                if (v == NULL)
                        return NULL;
                f->v = v;
                f->cap = cap;
        }
        struct followed *e = &f->v[f->n++];
        *e = (struct followed){0};
        snprintf(e->snap, sizeof(e->snap), "%s", snap);
        return e;
}

/* The records are shared with attach, detach and repair: locked per change. */
static void record(struct follower *f, const char *snap, const struct mqfs_record *rec)
{
        if (f->records < 0 && mqfs_records_open(MQFS_RECORD_DIR, 1, &f->records) < 0) {
                printf("snap \"%s\": cannot open " MQFS_RECORD_DIR "; list and repair will not "
                       "know this view\n",
                       snap);
                return;
        }
        if (mqfs_records_lock(f->records) < 0)
                return;
        int rc = rec ? mqfs_record_save(f->records, snap, rec) : 0;
        if (rec == NULL) {
                struct mqfs_record old = {0};
                if (mqfs_record_load(f->records, snap, &old) == 0)
                        rc = mqfs_record_drop(f->records, snap);
                mqfs_record_clear(&old);
        }
        if (rc < 0)
                printf("snap \"%s\": cannot update " MQFS_RECORD_DIR "/%s: %s\n", snap, snap,
                       mqfs_errstr(-rc));
        flock(f->records, LOCK_UN);
}

static void attach_one(struct follower *f, struct followed *e, const char *path,
                       const struct mqfs_snap_ns *ns)
{
        struct mqfs_view view = {.root_fd = -1, .fd = -1};
        struct mqfs_msg why = {{0}};
        enum mqfs_attach_outcome outcome;
        bool rebuilt = e->dev != 0;

        int rc = mqfs_view_open(&f->host, f->root, e->snap, &view, &why);
        if (rc == 0)
                rc = mqfs_attach(&f->host, ns, &view, &outcome, &why);
        mqfs_view_close(&view);
        if (rc < 0) {
                /* Said once per namespace and cause; tried again at the next event. */
                if (e->last_err != rc || e->err_dev != ns->dev || e->err_ino != ns->ino)
                        printf("snap \"%s\": cannot attach its view yet: %s\n", e->snap, why.text);
                e->last_err = rc;
                e->err_dev = ns->dev;
                e->err_ino = ns->ino;
                fflush(stdout);
                return;
        }
        e->dev = ns->dev;
        e->ino = ns->ino;
        e->last_err = 0;
        printf("%s %s/%s at " MQFS_TARGET " in %s%s\n",
               outcome == MQFS_ALREADY_ATTACHED ? "already attached:" : "attached", f->root,
               e->snap, path, rebuilt ? " (a rebuilt namespace)" : "");
        fflush(stdout);
        char *root_abs = realpath(f->root, NULL);
        struct mqfs_record rec = {.ns_path = (char *)path,
                                  .root = root_abs ? root_abs : (char *)f->root,
                                  .ns_dev = ns->dev,
                                  .ns_ino = ns->ino};
        record(f, e->snap, &rec);
        free(root_abs);
}

/* "SNAP.mnt" with a valid snap (instance) name: the snap, else NULL. */
static bool snap_of(const char *name, char *snap, size_t size)
{
        size_t len = strlen(name);
        if (len <= 4 || strcmp(name + len - 4, ".mnt") != 0 || len - 4 >= size)
                return false;
        memcpy(snap, name, len - 4);
        snap[len - 4] = '\0';
        return mqfs_snap_name_valid(snap);
}

static void survey(struct follower *f)
{
        for (size_t i = 0; i < f->n; i++)
                f->v[i].seen = false;
        DIR *d = opendir(f->dir);
        for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;) {
                char snap[sizeof(f->v[0].snap)], path[PATH_MAX];
                if (!snap_of(de->d_name, snap, sizeof(snap)) ||
                    snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name) >= (int)sizeof(path))
                        continue;
                struct mqfs_snap_ns ns = {.fd = -1};
                struct mqfs_msg why = {{0}};
                /* A file not (yet, or any more) bound to a namespace is not one. */
                if (mqfs_ns_open(&f->host, path, &ns, &why) < 0)
                        continue;
                struct followed *e = find(f, snap);
                if (e == NULL)
                        e = add(f, snap);
                if (e != NULL) {
                        e->seen = true;
                        if (e->dev != ns.dev || e->ino != ns.ino)
                                attach_one(f, e, path, &ns);
                }
                mqfs_ns_close(&ns);
        }
        if (d != NULL)
                closedir(d);
        for (size_t i = 0; i < f->n;) {
                if (f->v[i].seen) {
                        i++;
                        continue;
                }
                if (f->v[i].dev != 0) {
                        printf("snap \"%s\": its namespace is gone; forgotten\n", f->v[i].snap);
                        fflush(stdout);
                        record(f, f->v[i].snap, NULL);
                }
                f->v[i] = f->v[--f->n];
        }
}

/* Watches the directory once it exists (snap-confine makes it on first use). */
static void watch_dir(struct follower *f)
{
        if (f->wd >= 0)
                return;
        f->wd = inotify_add_watch(f->inotify, f->dir,
                                  IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_CLOSE_WRITE | IN_ONLYDIR);
}

static void drain(int fd)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

int mqfs_follow(const char *root, const char *ns_dir)
{
        struct follower f = {.root = root,
                             .dir = ns_dir,
                             .host = {.proc_fd = -1},
                             .wd = -1,
                             .records = -1,
                             .sigfd = -1};
        struct mqfs_msg why = {{0}};
        sigset_t set;
        int rc = 0;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (mqfs_host_open(&f.host, &why) < 0) {
                fprintf(stderr, "mqfs-mount: %s\n", why.text);
                return -EPERM;
        }
        f.inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        f.mountinfo = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (f.inotify < 0 || f.mountinfo < 0 || sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
            (f.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                rc = -errno;
                fprintf(stderr, "mqfs-mount: cannot watch %s and the mount table: %s\n", ns_dir,
                        mqfs_errstr(-rc));
                goto out;
        }
        watch_dir(&f);
        printf("following %s: views of %s attached as namespaces appear\n", ns_dir, root);
        fflush(stdout);
        survey(&f);
        for (bool running = true; running;) {
                struct pollfd p[3] = {
                    {f.inotify, POLLIN, 0}, {f.mountinfo, POLLPRI, 0}, {f.sigfd, POLLIN, 0}};
                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = -errno;
                        fprintf(stderr, "mqfs-mount: poll: %s\n", mqfs_errstr(-rc));
                        break;
                }
                struct signalfd_siginfo si;
                while (read(f.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                        if (si.ssi_signo != SIGHUP)
                                running = false;
                if (!running)
                        break;
                drain(f.inotify);
                watch_dir(&f);
                survey(&f);
        }
        printf("no longer following %s; attached views stay\n", ns_dir);
out:
        free(f.v);
        if (f.inotify >= 0)
                close(f.inotify);
        if (f.mountinfo >= 0)
                close(f.mountinfo);
        if (f.sigfd >= 0)
                close(f.sigfd);
        if (f.records >= 0)
                close(f.records);
        mqfs_host_close(&f.host);
        return rc;
}
