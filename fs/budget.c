/* budget.c — see budget.h. Two chained hash tables of holders, one keyed by snap name,
 * one by uid; a holder is freed when it holds nothing. */
#include "budget.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>

#include "escape.h"
#include "log.h"
#include "qname.h"

struct holder {
        struct holder *next;
        uid_t uid;
        size_t held[MQFS_LIMIT_KINDS];
        char snap[]; /* "" for a uid's holder */
};

enum { BUCKETS = 256 }; /* a power of two; chains stay short for thousands of holders */

struct mqfs_budget {
        pthread_mutex_t lock;
        struct mqfs_limits limits;
        size_t fd_pool;  /* descriptors callers may make the daemon hold in all */
        size_t fds_held; /* files and directories, all callers */
        struct holder *by_snap[BUCKETS], *by_uid[BUCKETS];
        struct mqfs_ratelimit log_limit;
        unsigned long refusals;
};

static size_t hash_snap(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return (size_t)(h ^ (h >> 29)) & (BUCKETS - 1);
}

static size_t hash_uid(uid_t uid)
{
        uint64_t h = (uint64_t)uid * 0x9e3779b97f4a7c15ULL;
        return (size_t)(h >> 56) & (BUCKETS - 1);
}

static bool costs_fd(enum mqfs_limit_kind kind)
{
        return kind == MQFS_LIMIT_FILES || kind == MQFS_LIMIT_DIRS || kind == MQFS_LIMIT_DOOR;
}

int mqfs_budget_new(const struct mqfs_limits *limits, size_t fd_limit, struct mqfs_budget **out)
{
        struct mqfs_budget *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        pthread_mutex_init(&b->lock, NULL);
        b->limits = *limits;
        if (!fd_limit) {
                struct rlimit rl;
                fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                               ? (size_t)rl.rlim_cur
                               : 1024;
        }
        b->fd_pool = fd_limit > 2 * MQFS_BUDGET_FD_RESERVE ? fd_limit - MQFS_BUDGET_FD_RESERVE
                                                           : fd_limit / 2;
        mqfs_ratelimit_init(&b->log_limit, 1, 5, mqfs_log_now_ns());
        *out = b;
        return 0;
}

static void free_chains(struct holder **v)
{
        for (size_t i = 0; i < BUCKETS; i++)
                while (v[i]) {
                        struct holder *next = v[i]->next;
                        free(v[i]);
                        v[i] = next;
                }
}

void mqfs_budget_free(struct mqfs_budget *b)
{
        if (!b)
                return;
        free_chains(b->by_snap);
        free_chains(b->by_uid);
        pthread_mutex_destroy(&b->lock);
        free(b);
}

void mqfs_budget_set_limits(struct mqfs_budget *b, const struct mqfs_limits *limits)
{
        pthread_mutex_lock(&b->lock);
        b->limits = *limits;
        pthread_mutex_unlock(&b->lock);
}

/* The holder for snap (uid's when snap is NULL), or NULL; *pp is where it is linked. */
static struct holder *find(struct mqfs_budget *b, const char *snap, uid_t uid, struct holder ***pp)
{
        struct holder **p = snap ? &b->by_snap[hash_snap(snap)] : &b->by_uid[hash_uid(uid)];
        for (; *p; p = &(*p)->next)
                if (snap ? strcmp((*p)->snap, snap) == 0 : (*p)->uid == uid)
                        break;
        if (pp)
                *pp = p;
        return *p;
}

static struct holder *find_or_add(struct mqfs_budget *b, const char *snap, uid_t uid)
{
        struct holder **p;
        struct holder *h = find(b, snap, uid, &p);
        if (h)
                return h;
        size_t len = snap ? strlen(snap) : 0;
        h = calloc(1, sizeof(*h) + len + 1);
        if (!h)
                return NULL;
        h->uid = uid;
        if (snap)
                memcpy(h->snap, snap, len + 1);
        *p = h;
        return h;
}

static bool holds_nothing(const struct holder *h)
{
        for (size_t k = 0; k < MQFS_LIMIT_KINDS; k++)
                if (h->held[k])
                        return false;
        return true;
}

static void drop_if_empty(struct mqfs_budget *b, const char *snap, uid_t uid)
{
        struct holder **p;
        struct holder *h = find(b, snap, uid, &p);
        if (h && holds_nothing(h)) {
                *p = h->next;
                free(h);
        }
}

static const char *const what[MQFS_LIMIT_KINDS] = {
    [MQFS_LIMIT_FILES] = "open files",
    [MQFS_LIMIT_DIRS] = "open directories",
    [MQFS_LIMIT_PARKED] = "blocked writes",
    [MQFS_LIMIT_LISTING] = "bytes of directory listings",
    [MQFS_LIMIT_PARKED_BYTES] = "bytes of blocked writes",
    [MQFS_LIMIT_DOOR] = "door registrations",
};

/* Called with the lock held. */
static void note_refusal(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap,
                         uid_t uid, const char *whose)
{
        unsigned long dropped = 0;

        b->refusals++;
        if (!mqfs_ratelimit_take(&b->log_limit, mqfs_log_now_ns(), &dropped))
                return;
        char *esnap = mqfs_escape(snap, strlen(snap));
        char more[96] = "";
        if (dropped)
                snprintf(more, sizeof(more), " (%lu more refusals not logged)", dropped);
        if (whose)
                mqfs_log(LOG_WARNING,
                         "refused: snap %s, uid %u: %s past the %s's budget of %zu "
                         "(system.yaml limits: %s)%s",
                         esnap ? esnap : "?", (unsigned)uid, what[kind], whose, b->limits.max[kind],
                         mqfs_limit_key(kind), more);
        else
                mqfs_log(LOG_WARNING,
                         "refused: snap %s, uid %u: %s past the daemon's pool of %zu "
                         "descriptors for all callers%s",
                         esnap ? esnap : "?", (unsigned)uid, what[kind], b->fd_pool, more);
        free(esnap);
}

int mqfs_budget_take(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap, uid_t uid,
                     size_t n)
{
        int err = 0;

        pthread_mutex_lock(&b->lock);
        struct holder *hs = find_or_add(b, snap, uid);
        struct holder *hu = hs ? find_or_add(b, NULL, uid) : NULL;
        if (!hs || !hu) {
                err = -ENOMEM;
                goto out;
        }
        size_t max = b->limits.max[kind];
        const char *whose = hs->held[kind] + n > max   ? "snap"
                            : hu->held[kind] + n > max ? "uid"
                                                       : NULL;
        bool pool = costs_fd(kind) && b->fds_held + n > b->fd_pool;
        if (whose || pool) {
                note_refusal(b, kind, snap, uid, whose);
                err = kind == MQFS_LIMIT_PARKED || kind == MQFS_LIMIT_PARKED_BYTES ? -EAGAIN
                                                                                   : -EMFILE;
                goto out;
        }
        hs->held[kind] += n;
        hu->held[kind] += n;
        if (costs_fd(kind))
                b->fds_held += n;
out:
        if (err) {
                drop_if_empty(b, snap, uid);
                drop_if_empty(b, NULL, uid);
        }
        pthread_mutex_unlock(&b->lock);
        return err;
}

void mqfs_budget_give(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap, uid_t uid,
                      size_t n)
{
        pthread_mutex_lock(&b->lock);
        struct holder *hs = find(b, snap, uid, NULL);
        struct holder *hu = find(b, NULL, uid, NULL);
        if (!hs || !hu || hs->held[kind] < n || hu->held[kind] < n ||
            (costs_fd(kind) && b->fds_held < n)) {
                fprintf(stderr, "mqfsd: budget given back that was never taken (%s, uid %u)\n",
                        what[kind], (unsigned)uid);
                abort();
        }
        hs->held[kind] -= n;
        hu->held[kind] -= n;
        if (costs_fd(kind))
                b->fds_held -= n;
        drop_if_empty(b, snap, uid);
        drop_if_empty(b, NULL, uid);
        pthread_mutex_unlock(&b->lock);
}

size_t mqfs_budget_held(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap,
                        uid_t uid)
{
        pthread_mutex_lock(&b->lock);
        struct holder *h = find(b, snap, uid, NULL);
        size_t n = h ? h->held[kind] : 0;
        pthread_mutex_unlock(&b->lock);
        return n;
}

unsigned long mqfs_budget_refusals(struct mqfs_budget *b)
{
        pthread_mutex_lock(&b->lock);
        unsigned long n = b->refusals;
        pthread_mutex_unlock(&b->lock);
        return n;
}
