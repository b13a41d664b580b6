/* listing.c — what a view shows of a queue (stat) and which queues it shows (list).
 *
 * Both read the backing mount as the daemon: looking at a queue's inode needs only
 * search permission on the mqueue root (1777), which every caller has, and QSIZE is
 * shown to any grant by the view's contract (SPEC §5). Names reaching openat() are
 * single validated path components, opened relative to the backing directory with
 * O_NOFOLLOW. */
#include "broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grants.h"
#include "internal.h"
#include "perm.h"
#include "qname.h"

/* The mqueue root directory grows by this much per queue, from two entries' worth
 * (ipc/mqueue.c DIRENT_SIZE): its st_size tells how many queues exist. */
enum { MQUEUE_DIRENT_SIZE = 20 };

/* Probing one granted name (fstatat, or the open of a stat) costs about as much as
 * reading four entries of the backing directory (measured: 2 us against 0.5 us per
 * entry, broker_costs and mqfs_bench on a 2-core VM); so the directory is read unless
 * the queues outnumber the grants by more than that. */
enum { PROBE_COST_IN_DIRENTS = 4 };

static int read_qsize(int fd, off_t *qsize)
{
        char line[MQFS_STATUS_MAX];
        ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
        if (n < 0)
                return -errno;
        line[n] = '\0';
        if (strncmp(line, "QSIZE:", 6) != 0)
                return -EIO;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(line + 6, &end, 10);
        if (errno != 0 || end == line + 6)
                return -EIO;
        *qsize = (off_t)v;
        return 0;
}

/* QSIZE of the queue fd holds when fd was not opened for reading (a handle opened
 * O_WRONLY): read through a new read-only file of the same queue, reached by our own
 * descriptor's magic link, which works also when the queue has lost its name. */
static int read_qsize_reopened(int fd, off_t *qsize)
{
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
        int rfd = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (rfd < 0)
                return -errno;
        int err = read_qsize(rfd, qsize);
        close(rfd);
        return err;
}

int mqfs_queue_stat_fd(int fd, unsigned perms, struct stat *st)
{
        struct mq_attr attr;
        if (fstat(fd, st) != 0 || mq_getattr(fd, &attr) != 0)
                return -errno;
        /* An empty queue holds no bytes; reading the status (which moves the queue's
         * atime and ctime) is needed only when messages wait. */
        off_t qsize = 0;
        if (attr.mq_curmsgs > 0) {
                int err = read_qsize(fd, &qsize);
                if (err == -EBADF)
                        err = read_qsize_reopened(fd, &qsize);
                if (err < 0)
                        return err;
        }
        st->st_size = qsize;
        if (!(perms & MQFS_PERM_READ))
                st->st_mode &= ~(mode_t)(S_IRUSR | S_IRGRP | S_IROTH);
        if (!(perms & MQFS_PERM_WRITE))
                st->st_mode &= ~(mode_t)(S_IWUSR | S_IWGRP | S_IWOTH);
        return 0;
}

int mqfs_queue_stat(int backing_fd, const char *entry, unsigned perms, struct stat *st)
{
        int fd =
            openat(backing_fd, entry, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        int err = mqfs_queue_stat_fd(fd, perms, st);
        close(fd);
        return err;
}

int mqfs_broker_stat(struct mqfs_broker *b, const char *snap, const struct mqfs_caller *caller,
                     const char *name, struct stat *st)
{
        if (b == NULL || snap == NULL || caller == NULL || st == NULL)
                return -EINVAL;
        int err = mqfs_qname_check(name);
        if (err < 0)
                return err;
        unsigned perms = mqfs_broker_perms(b, snap, name);
        err = mqfs_judge(mqfs_verdict_of(caller), perms, 0, -ENOENT);
        if (err < 0)
                return err;
        return mqfs_queue_stat(b->backing_fd, name + 1, perms, st);
}

int mqfs_broker_handle_stat(struct mqfs_broker *b, struct mqfs_handle *h, struct stat *st)
{
        if (b == NULL || h == NULL || st == NULL)
                return -EINVAL;
        unsigned perms = mqfs_broker_perms(b, h->snap, h->name);
        if (perms == 0)
                return -ENOENT;
        return mqfs_queue_stat_fd(h->fd, perms, st);
}

int mqfs_broker_queue_id(struct mqfs_broker *b, const char *name, uint64_t *id)
{
        if (b == NULL || id == NULL)
                return -EINVAL;
        int err = mqfs_qname_check(name);
        if (err < 0)
                return err;
        struct stat st;
        if (fstatat(b->backing_fd, name + 1, &st, AT_SYMLINK_NOFOLLOW) != 0)
                return -errno;
        *id = st.st_ino;
        return 0;
}

/* Where a listing goes: fn with each queue's view attributes (one open per queue), or
 * names with its name alone. */
struct list_out {
        mqfs_list_fn fn;
        mqfs_name_fn names;
        void *ctx;
};

/* Hands one granted queue to out; a queue that vanished since is skipped. seen: the name
 * was just read from the backing directory, so a names-only listing needs no probe. */
static int list_one(int backing_fd, const char *name, unsigned perms, bool seen,
                    const struct list_out *out)
{
        struct stat st;
        if (out->names) {
                if (!seen && fstatat(backing_fd, name + 1, &st, AT_SYMLINK_NOFOLLOW) != 0)
                        return errno == ENOENT ? 0 : -errno;
                return out->names(out->ctx, name);
        }
        int err = mqfs_queue_stat(backing_fd, name + 1, perms, &st);
        if (err == -ENOENT)
                return 0;
        if (err < 0)
                return err;
        return out->fn(out->ctx, name, &st);
}

/* Few grants, many queues: probe each granted name. Grants come sorted. */
static int list_by_grants(int backing_fd, const struct mqfs_grant_set *set,
                          const struct list_out *out)
{
        size_t n = mqfs_grant_set_count(set);
        for (size_t i = 0; i < n; i++) {
                unsigned perms;
                const char *name = mqfs_grant_set_queue_at(set, i, &perms);
                int ret = list_one(backing_fd, name, perms, false, out);
                if (ret != 0)
                        return ret;
        }
        return 0;
}

struct listed {
        char *name; /* "/name" */
        unsigned perms;
};

static int compare_listed(const void *a, const void *b)
{
        return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

/* Reads the backing directory and keeps the granted names. */
static int collect_granted(int backing_fd, const struct mqfs_grant_set *set, struct listed **out,
                           size_t *count)
{
        *out = NULL;
        *count = 0;
        int dfd = openat(backing_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        DIR *dir = fdopendir(dfd);
        if (dir == NULL) {
                int err = -errno;
                close(dfd);
                return err;
        }
        int err = 0;
        struct listed *items = NULL;
        size_t n = 0, cap = 0;
        char qname[1 + MQFS_QNAME_MAX + 1] = "/";
        struct dirent *de;
        for (errno = 0; (de = readdir(dir)) != NULL; errno = 0) {
                if (mqfs_qname_check_entry(de->d_name) != 0)
                        continue;              /* ".", ".." */
                strcpy(qname + 1, de->d_name); /* fits: checked <= MQFS_QNAME_MAX */
                unsigned perms = mqfs_grant_set_perms(set, qname);
                if (perms == 0)
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct listed *grown = reallocarray(items, ncap, sizeof(*items));
                        if (grown == NULL) {
                                err = -ENOMEM;
                                goto fail;
                        }
                        items = grown;
                        cap = ncap;
                }
                items[n].name = strdup(qname);
                if (items[n].name == NULL) {
                        err = -ENOMEM;
                        goto fail;
                }
                items[n++].perms = perms;
        }
        if (errno != 0) {
                err = -errno;
                goto fail;
        }
        closedir(dir);
        if (n > 1) /* items is NULL when nothing was listed; qsort(NULL, 0) is UB */
                qsort(items, n, sizeof(*items), compare_listed);
        *out = items;
        *count = n;
        return 0;

fail:
        closedir(dir);
        for (size_t i = 0; i < n; i++)
                free(items[i].name);
        free(items);
        return err;
}

/* Many grants, few queues: read the directory once and keep what is granted. */
static int list_by_directory(int backing_fd, const struct mqfs_grant_set *set,
                             const struct list_out *out)
{
        struct listed *items;
        size_t n;
        int ret = collect_granted(backing_fd, set, &items, &n);
        if (ret < 0)
                return ret;
        for (size_t i = 0; i < n && ret == 0; i++)
                ret = list_one(backing_fd, items[i].name, items[i].perms, true, out);
        for (size_t i = 0; i < n; i++)
                free(items[i].name);
        free(items);
        return ret;
}

static int list(struct mqfs_broker *b, const char *snap, const struct list_out *out)
{
        struct mqfs_grant_table *g = mqfs_broker_grant_table(b);
        const struct mqfs_grant_set *set = g != NULL ? mqfs_grant_table_set_of(g, snap) : NULL;
        int ret;
        if (set == NULL) {
                ret = -ENOENT;
                goto out;
        }
        struct stat dir;
        if (fstat(b->backing_fd, &dir) != 0) {
                ret = -errno;
                goto out;
        }
        long long queues = (long long)dir.st_size / MQUEUE_DIRENT_SIZE - 2;
        if ((long long)mqfs_grant_set_count(set) * PROBE_COST_IN_DIRENTS <= queues)
                ret = list_by_grants(b->backing_fd, set, out);
        else
                ret = list_by_directory(b->backing_fd, set, out);
out:
        mqfs_grant_table_unref(g);
        return ret;
}

int mqfs_broker_list(struct mqfs_broker *b, const char *snap, mqfs_list_fn fn, void *ctx)
{
        if (b == NULL || snap == NULL || fn == NULL)
                return -EINVAL;
        struct list_out out = {.fn = fn, .ctx = ctx};
        return list(b, snap, &out);
}

int mqfs_broker_list_names(struct mqfs_broker *b, const char *snap, mqfs_name_fn fn, void *ctx)
{
        if (b == NULL || snap == NULL || fn == NULL)
                return -EINVAL;
        struct list_out out = {.names = fn, .ctx = ctx};
        return list(b, snap, &out);
}
