/* internal.h — what the broker's modules share; not part of the public contract. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "broker.h"

struct mqfs_broker {
        int backing_fd; /* O_PATH directory on the private mqueue mount; owned */
        /* Guards only the pointer swap and the reference taken on it; held for a few
         * instructions, never across a system call. */
        pthread_mutex_t grants_lock;
        struct mqfs_grants *grants; /* current table, one reference owned; may be NULL */
};

struct mqfs_handle {
        /* The queue descriptor, always in O_NONBLOCK mode so that no mq_* call ever
         * sleeps in the kernel: blocking is done by poll() on it and the cancel fd. */
        int fd;
        /* The caller's own O_NONBLOCK (from open or mq_setattr), as mq_getattr shows it. */
        atomic_bool nonblock;
        const char *snap; /* point into names[] */
        const char *name; /* "/name" */
        char names[];
};

/* The permission set snap holds on queue name in the current table (0 for none). */
unsigned mqfs_broker_perms(struct mqfs_broker *b, const char *snap, const char *name);

/* 0 when snap holds needed (any grant when needed is 0) on name now; -ENOENT when it
 * holds no grant at all, -EACCES when the grant lacks needed. */
int mqfs_broker_check(struct mqfs_broker *b, const char *snap, const char *name, unsigned needed);

/* The view's attributes of the queue entry ("name", no "/") in the backing mount, read
 * as the daemon: real owner, group and times, mode narrowed to perms, st_size = QSIZE. */
int mqfs_queue_stat(int backing_fd, const char *entry, unsigned perms, struct stat *st);
