/* notify.c — see notify.h. */
#include "notify.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/* Enough for every grant of a large system to change at once; beyond it items are
 * dropped (and logged) rather than letting memory grow without bound. */
enum { NOTIFY_QUEUE_MAX = 1 << 16 };

struct notify_item {
        struct notify_item *next;
        uint64_t ino; /* the parent for an entry */
        bool entry;
        char name[]; /* entries only */
};

struct mqfs_notifier {
        struct fuse_session *se;
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct notify_item *head, **tail;
        size_t queued;
        bool finishing;
        int done_fd;
        uint64_t sent, failed, dropped;
};

static void *notifier_main(void *arg)
{
        struct mqfs_notifier *n = arg;

        pthread_mutex_lock(&n->lock);
        for (;;) {
                while (!n->head && !n->finishing)
                        pthread_cond_wait(&n->wake, &n->lock);
                struct notify_item *it = n->head;
                if (!it)
                        break; /* finishing and drained */
                n->head = it->next;
                if (!n->head)
                        n->tail = &n->head;
                n->queued--;
                pthread_mutex_unlock(&n->lock);

                int r = it->entry ? fuse_lowlevel_notify_inval_entry(n->se, it->ino, it->name,
                                                                     strlen(it->name))
                                  : fuse_lowlevel_notify_inval_inode(n->se, it->ino, -1, 0);
                free(it);

                pthread_mutex_lock(&n->lock);
                /* -ENOENT: the kernel no longer caches that inode or name, which is the
                 * state we wanted. */
                if (r == 0 || r == -ENOENT)
                        n->sent++;
                else
                        n->failed++;
        }
        pthread_mutex_unlock(&n->lock);
        uint64_t one = 1;
        (void)!write(n->done_fd, &one, sizeof(one));
        return NULL;
}

int mqfs_notifier_new(struct fuse_session *se, struct mqfs_notifier **out)
{
        struct mqfs_notifier *n = calloc(1, sizeof(*n));
        int err;

        if (!n)
                return -ENOMEM;
        n->se = se;
        n->tail = &n->head;
        n->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (n->done_fd < 0) {
                err = -errno;
                free(n);
                return err;
        }
        pthread_mutex_init(&n->lock, NULL);
        pthread_cond_init(&n->wake, NULL);
        /* The thread must not take the daemon's signals (they arrive on a signalfd);
         * the caller blocks them before creating us, and the thread inherits that. */
        err = -pthread_create(&n->thread, NULL, notifier_main, n);
        if (err) {
                pthread_cond_destroy(&n->wake);
                pthread_mutex_destroy(&n->lock);
                close(n->done_fd);
                free(n);
                return err;
        }
        n->started = true;
        *out = n;
        return 0;
}

static int enqueue(struct mqfs_notifier *n, struct notify_item *it)
{
        pthread_mutex_lock(&n->lock);
        if (n->finishing) {
                /* Shutting down: the kernel's caches go with the mount. */
                pthread_mutex_unlock(&n->lock);
                free(it);
                return -ENOSPC;
        }
        if (n->queued >= NOTIFY_QUEUE_MAX) {
                bool log = n->dropped++ == 0 || n->dropped % 1024 == 0;
                uint64_t dropped = n->dropped;
                pthread_mutex_unlock(&n->lock);
                free(it);
                if (log)
                        mqfs_log(LOG_WARNING,
                                 "cache invalidation queue full: %llu invalidations dropped; "
                                 "cached entries may be stale until their timeout",
                                 (unsigned long long)dropped);
                return -ENOSPC;
        }
        it->next = NULL;
        *n->tail = it;
        n->tail = &it->next;
        n->queued++;
        pthread_cond_signal(&n->wake);
        pthread_mutex_unlock(&n->lock);
        return 0;
}

int mqfs_notifier_inval_entry(struct mqfs_notifier *n, uint64_t parent, const char *name)
{
        size_t len = strlen(name);
        struct notify_item *it = malloc(sizeof(*it) + len + 1);

        if (!it)
                return -ENOMEM;
        it->ino = parent;
        it->entry = true;
        memcpy(it->name, name, len + 1);
        return enqueue(n, it);
}

int mqfs_notifier_inval_inode(struct mqfs_notifier *n, uint64_t ino)
{
        struct notify_item *it = malloc(sizeof(*it));

        if (!it)
                return -ENOMEM;
        it->ino = ino;
        it->entry = false;
        return enqueue(n, it);
}

int mqfs_notifier_done_fd(const struct mqfs_notifier *n)
{
        return n->done_fd;
}

void mqfs_notifier_finish(struct mqfs_notifier *n)
{
        pthread_mutex_lock(&n->lock);
        n->finishing = true;
        pthread_cond_signal(&n->wake);
        pthread_mutex_unlock(&n->lock);
}

void mqfs_notifier_stats(struct mqfs_notifier *n, uint64_t *sent, uint64_t *failed)
{
        pthread_mutex_lock(&n->lock);
        *sent = n->sent;
        *failed = n->failed + n->dropped;
        pthread_mutex_unlock(&n->lock);
}

void mqfs_notifier_free(struct mqfs_notifier *n)
{
        if (!n)
                return;
        mqfs_notifier_finish(n);
        if (n->started)
                pthread_join(n->thread, NULL);
        while (n->head) {
                struct notify_item *it = n->head;
                n->head = it->next;
                free(it);
        }
        pthread_cond_destroy(&n->wake);
        pthread_mutex_destroy(&n->lock);
        close(n->done_fd);
        free(n);
}
