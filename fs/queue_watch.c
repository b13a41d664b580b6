/* queue_watch.c — see queue_watch.h. */
#include "queue_watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

struct mqfs_queue_watch {
        int fd;
};

int mqfs_queue_watch_new(int dirfd, struct mqfs_queue_watch **out)
{
        struct mqfs_queue_watch *w = calloc(1, sizeof(*w));
        char path[64];
        int err;

        if (!w)
                return -ENOMEM;
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0) {
                err = -errno;
                free(w);
                return err;
        }
        /* inotify takes a path; our own descriptor's magic link names the detached
         * mount's root without it appearing anywhere in the tree. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
        if (inotify_add_watch(w->fd, path, IN_CREATE | IN_DELETE | IN_ONLYDIR) < 0) {
                err = -errno;
                close(w->fd);
                free(w);
                return err;
        }
        *out = w;
        return 0;
}

void mqfs_queue_watch_free(struct mqfs_queue_watch *w)
{
        if (!w)
                return;
        close(w->fd);
        free(w);
}

int mqfs_queue_watch_fd(const struct mqfs_queue_watch *w)
{
        return w->fd;
}

void mqfs_queue_watch_read(struct mqfs_queue_watch *w,
                           void (*fn)(void *ctx, enum mqfs_queue_event ev, const char *name),
                           void *ctx)
{
        char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
            __attribute__((aligned(__alignof__(struct inotify_event))));
        char qname[NAME_MAX + 2];

        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                fn(ctx, MQFS_QUEUE_LOST, NULL);
                                continue;
                        }
                        if (!ev->len || !(ev->mask & (IN_CREATE | IN_DELETE)))
                                continue;
                        size_t len = strnlen(ev->name, ev->len);
                        if (len == 0 || len > NAME_MAX)
                                continue;
                        qname[0] = '/';
                        memcpy(qname + 1, ev->name, len);
                        qname[len + 1] = '\0';
                        fn(ctx, (ev->mask & IN_CREATE) ? MQFS_QUEUE_CREATED : MQFS_QUEUE_DELETED,
                           qname);
                }
        }
}
