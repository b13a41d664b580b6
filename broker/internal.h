/* internal.h — what the broker's modules share; not part of the public contract. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "broker.h"

struct mqfs_broker {
        int backing_fd; /* O_PATH directory on the backing mount; owned */
        /* Guards only the pointer swap and the reference taken on it; held for a few
         * instructions, never across a system call. */
        pthread_mutex_t grants_lock;
        struct mqfs_grant_table *grants; /* current table, one reference owned; may be NULL */
};

struct mqfs_handle {
        /* The queue descriptor, always in O_NONBLOCK mode so that no mq_* call ever
         * sleeps in the kernel: blocking is done by poll() on it and the cancel fd. */
        int fd;
        /* The caller's own O_NONBLOCK (from open or mq_setattr), as mq_getattr shows it. */
        atomic_bool nonblock;
        uid_t uid;        /* the caller's who opened it (budgets are charged to it) */
        const char *snap; /* point into names[] */
        const char *name; /* "/name" */
        char names[];
};

/* The one grant lookup of an operation (SPEC §4, one judge): the permission set snap
 * holds on queue name in the current table, 0 for none. Every broker operation reads
 * the table through this, once (a blocking send or receive once per attempt). */
unsigned mqfs_broker_perms(struct mqfs_broker *b, const char *snap, const char *name);

/* Judges perms (what mqfs_broker_perms read) for an operation that needs `needed` (any
 * grant when 0) and writes the verdict into v (may be NULL). 0; no_grant (-ENOENT, or
 * -EACCES for a create) when perms is 0; -EACCES when the grant lacks needed. */
int mqfs_judge(struct mqfs_verdict *v, unsigned perms, unsigned needed, int no_grant);

/* After the kernel answered err to a call the grant allowed: a refusal (-EACCES,
 * -EPERM) is the queue's owner and mode's, which v then says. Returns err. */
int mqfs_judge_kernel(struct mqfs_verdict *v, int err);

/* The caller's verdict, or NULL when the caller wants none. */
static inline struct mqfs_verdict *mqfs_verdict_of(const struct mqfs_caller *caller)
{
        return caller != NULL ? caller->verdict : NULL;
}

/* The view's attributes of the queue entry ("name", no "/") in the backing mount, read
 * as the daemon: real owner, group and times, mode narrowed to perms, st_size = QSIZE. */
int mqfs_queue_stat(int backing_fd, const char *entry, unsigned perms, struct stat *st);
/* The same attributes of the queue fd is open on. */
int mqfs_queue_stat_fd(int fd, unsigned perms, struct stat *st);
