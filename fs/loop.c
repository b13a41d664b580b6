/* loop.c — see loop.h. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

enum { LOOP_BATCH = 64 };

struct mqfs_loop {
        int epfd;
        bool stop;
        /* The round being dispatched, so that a removed source's pending events can be
         * dropped before they reach a freed source. */
        struct epoll_event batch[LOOP_BATCH];
        int batch_len;
};

int mqfs_loop_new(struct mqfs_loop **out)
{
        struct mqfs_loop *loop = calloc(1, sizeof(*loop));

        if (!loop)
                return -ENOMEM;
        loop->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epfd < 0) {
                int err = -errno;
                free(loop);
                return err;
        }
        *out = loop;
        return 0;
}

void mqfs_loop_free(struct mqfs_loop *loop)
{
        if (!loop)
                return;
        close(loop->epfd);
        free(loop);
}

int mqfs_loop_add(struct mqfs_loop *loop, struct mqfs_loop_source *src, uint32_t events)
{
        struct epoll_event ev = {.events = events, .data.ptr = src};

        if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0)
                return -errno;
        src->events = events;
        return 0;
}

static void forget_pending(struct mqfs_loop *loop, struct mqfs_loop_source *src)
{
        for (int i = 0; i < loop->batch_len; i++)
                if (loop->batch[i].data.ptr == src)
                        loop->batch[i].data.ptr = NULL;
}

void mqfs_loop_remove(struct mqfs_loop *loop, struct mqfs_loop_source *src)
{
        if (src->events) {
                /* Fails only when fd was closed already, which drops it from epoll. */
                (void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, src->fd, NULL);
                src->events = 0;
        }
        forget_pending(loop, src);
}

int mqfs_loop_set(struct mqfs_loop *loop, struct mqfs_loop_source *src, uint32_t events)
{
        if (events == src->events)
                return 0;
        if (!events) {
                mqfs_loop_remove(loop, src);
                return 0;
        }
        if (!src->events)
                return mqfs_loop_add(loop, src, events);
        struct epoll_event ev = {.events = events, .data.ptr = src};
        if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0)
                return -errno;
        src->events = events;
        return 0;
}

void mqfs_loop_stop(struct mqfs_loop *loop)
{
        loop->stop = true;
}

int mqfs_loop_run(struct mqfs_loop *loop)
{
        loop->stop = false;
        while (!loop->stop) {
                int n = epoll_wait(loop->epfd, loop->batch, LOOP_BATCH, -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                loop->batch_len = n;
                for (int i = 0; i < n && !loop->stop; i++) {
                        struct mqfs_loop_source *src = loop->batch[i].data.ptr;
                        if (src)
                                src->ready(src, loop->batch[i].events);
                }
                loop->batch_len = 0;
        }
        return 0;
}
