/* inode.c — see inode.h. Two chained hash tables over the same nodes: one by number,
 * one by (snap, queue); both grow by doubling at a load factor of 1. A third table holds
 * one series per view (its prefix and counter), chained both by snap and by prefix. */
#include "inode.h"

#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The numbers of one view: prefix << MQFS_INO_SERIES_SHIFT, then 1 for the view itself
 * and 2, 3, ... for its queues. Kept for the table's life, so that no number is reused. */
struct series {
        struct series *next_by_snap, *next_by_prefix;
        uint64_t prefix;
        uint64_t next;
        char snap[];
};

struct mqfs_inode_table {
        struct mqfs_inode root;
        struct mqfs_inode **by_ino;
        struct mqfs_inode **by_key;
        size_t nbuckets; /* a power of two */
        size_t count;    /* inodes besides the root */
        struct series **series_by_snap, **series_by_prefix;
        size_t series_buckets; /* a power of two */
        size_t nseries;
};

enum { PREFIXES = (1 << (64 - MQFS_INO_SERIES_SHIFT)) - 1 }; /* 1..PREFIXES; 0 is the root's */

enum { INITIAL_BUCKETS = 64 };

static size_t hash_ino(uint64_t ino)
{
        ino ^= ino >> 33;
        ino *= 0xff51afd7ed558ccdULL;
        ino ^= ino >> 33;
        return (size_t)ino;
}

static size_t hash_key(const char *snap, const char *queue)
{
        uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

        for (const unsigned char *p = (const unsigned char *)snap; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ 0xffu) * 0x100000001b3ULL; /* separates ("ab","/c") from ("a","b/c") */
        if (queue)
                for (const unsigned char *p = (const unsigned char *)queue; *p; p++)
                        h = (h ^ *p) * 0x100000001b3ULL;
        return (size_t)h;
}

static bool same_key(const struct mqfs_inode *in, const char *snap, const char *queue)
{
        if (strcmp(in->snap, snap) != 0)
                return false;
        if (!queue || !in->queue)
                return !queue && !in->queue;
        return strcmp(in->queue, queue) == 0;
}

int mqfs_inode_table_new(struct mqfs_inode_table **out)
{
        struct mqfs_inode_table *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->nbuckets = INITIAL_BUCKETS;
        t->by_ino = calloc(t->nbuckets, sizeof(*t->by_ino));
        t->by_key = calloc(t->nbuckets, sizeof(*t->by_key));
        if (!t->by_ino || !t->by_key) {
                free(t->by_ino);
                free(t->by_key);
                free(t);
                return -ENOMEM;
        }
        t->root.ino = MQFS_ROOT_INO;
        t->root.kind = MQFS_INODE_ROOT;
        t->root.nlookup = 1;
        t->series_buckets = INITIAL_BUCKETS;
        t->series_by_snap = calloc(t->series_buckets, sizeof(*t->series_by_snap));
        t->series_by_prefix = calloc(t->series_buckets, sizeof(*t->series_by_prefix));
        if (!t->series_by_snap || !t->series_by_prefix) {
                mqfs_inode_table_free(t);
                return -ENOMEM;
        }
        *out = t;
        return 0;
}

static void free_inode(struct mqfs_inode *in)
{
        free(in->snap);
        free(in->queue);
        free(in);
}

void mqfs_inode_table_free(struct mqfs_inode_table *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->nbuckets; i++) {
                struct mqfs_inode *in = t->by_ino[i];
                while (in) {
                        struct mqfs_inode *next = in->next_by_ino;
                        free_inode(in);
                        in = next;
                }
        }
        free(t->by_ino);
        free(t->by_key);
        for (size_t i = 0; t->series_by_snap && i < t->series_buckets; i++) {
                struct series *se = t->series_by_snap[i];
                while (se) {
                        struct series *next = se->next_by_snap;
                        free(se);
                        se = next;
                }
        }
        free(t->series_by_snap);
        free(t->series_by_prefix);
        free(t);
}

struct mqfs_inode *mqfs_inode_get(struct mqfs_inode_table *t, uint64_t ino)
{
        if (ino == MQFS_ROOT_INO)
                return &t->root;
        for (struct mqfs_inode *in = t->by_ino[hash_ino(ino) & (t->nbuckets - 1)]; in;
             in = in->next_by_ino)
                if (in->ino == ino)
                        return in;
        return NULL;
}

struct mqfs_inode *mqfs_inode_find(struct mqfs_inode_table *t, const char *snap, const char *queue)
{
        for (struct mqfs_inode *in = t->by_key[hash_key(snap, queue) & (t->nbuckets - 1)]; in;
             in = in->next_by_key)
                if (same_key(in, snap, queue))
                        return in;
        return NULL;
}

static void link_inode(struct mqfs_inode_table *t, struct mqfs_inode *in)
{
        size_t bi = hash_ino(in->ino) & (t->nbuckets - 1);
        size_t bk = hash_key(in->snap, in->queue) & (t->nbuckets - 1);

        in->next_by_ino = t->by_ino[bi];
        t->by_ino[bi] = in;
        if (in->detached)
                return; /* found by number only */
        in->next_by_key = t->by_key[bk];
        t->by_key[bk] = in;
}

static void unlink_by_key(struct mqfs_inode_table *t, struct mqfs_inode *in)
{
        struct mqfs_inode **pp = &t->by_key[hash_key(in->snap, in->queue) & (t->nbuckets - 1)];

        while (*pp != in)
                pp = &(*pp)->next_by_key;
        *pp = in->next_by_key;
        in->next_by_key = NULL;
}

/* Doubles the tables; on -ENOMEM the old ones stay (only slower). */
static void grow(struct mqfs_inode_table *t)
{
        size_t n = t->nbuckets * 2;
        struct mqfs_inode **by_ino = calloc(n, sizeof(*by_ino));
        struct mqfs_inode **by_key = calloc(n, sizeof(*by_key));

        if (!by_ino || !by_key) {
                free(by_ino);
                free(by_key);
                return;
        }
        struct mqfs_inode **old = t->by_ino;
        size_t oldn = t->nbuckets;
        free(t->by_key);
        t->by_ino = by_ino;
        t->by_key = by_key;
        t->nbuckets = n;
        for (size_t i = 0; i < oldn; i++) {
                struct mqfs_inode *in = old[i];
                while (in) {
                        struct mqfs_inode *next = in->next_by_ino;
                        link_inode(t, in);
                        in = next;
                }
        }
        free(old);
}

static void link_series(struct mqfs_inode_table *t, struct series *se)
{
        size_t bs = hash_key(se->snap, NULL) & (t->series_buckets - 1);
        size_t bp = hash_ino(se->prefix) & (t->series_buckets - 1);

        se->next_by_snap = t->series_by_snap[bs];
        t->series_by_snap[bs] = se;
        se->next_by_prefix = t->series_by_prefix[bp];
        t->series_by_prefix[bp] = se;
}

/* Doubles the series tables; on -ENOMEM the old ones stay (only slower). */
static void grow_series(struct mqfs_inode_table *t)
{
        size_t n = t->series_buckets * 2;
        struct series **by_snap = calloc(n, sizeof(*by_snap));
        struct series **by_prefix = calloc(n, sizeof(*by_prefix));

        if (!by_snap || !by_prefix) {
                free(by_snap);
                free(by_prefix);
                return;
        }
        struct series **old = t->series_by_snap;
        size_t oldn = t->series_buckets;
        free(t->series_by_prefix);
        t->series_by_snap = by_snap;
        t->series_by_prefix = by_prefix;
        t->series_buckets = n;
        for (size_t i = 0; i < oldn; i++) {
                struct series *se = old[i];
                while (se) {
                        struct series *next = se->next_by_snap;
                        link_series(t, se);
                        se = next;
                }
        }
        free(old);
}

static bool prefix_taken(const struct mqfs_inode_table *t, uint64_t prefix)
{
        for (const struct series *se =
                 t->series_by_prefix[hash_ino(prefix) & (t->series_buckets - 1)];
             se; se = se->next_by_prefix)
                if (se->prefix == prefix)
                        return true;
        return false;
}

/* The series of snap's view, made on first use. Its prefix comes from the name alone
 * (probing on past a prefix another snap took first), so it tells nothing of what other
 * snaps do. NULL on -ENOMEM or when every prefix is taken. */
static struct series *series_of(struct mqfs_inode_table *t, const char *snap)
{
        size_t h = hash_key(snap, NULL);

        for (struct series *se = t->series_by_snap[h & (t->series_buckets - 1)]; se;
             se = se->next_by_snap)
                if (strcmp(se->snap, snap) == 0)
                        return se;
        if (t->nseries >= PREFIXES)
                return NULL;
        size_t len = strlen(snap);
        struct series *se = malloc(sizeof(*se) + len + 1);
        if (!se)
                return NULL;
        memcpy(se->snap, snap, len + 1);
        se->prefix = (uint64_t)h % PREFIXES + 1;
        while (prefix_taken(t, se->prefix))
                se->prefix = se->prefix % PREFIXES + 1;
        se->next = 2; /* 1 is the view's own number */
        if (t->nseries + 1 > t->series_buckets)
                grow_series(t);
        link_series(t, se);
        t->nseries++;
        return se;
}

int mqfs_inode_enter(struct mqfs_inode_table *t, const char *snap, const char *queue,
                     struct mqfs_inode **out)
{
        struct mqfs_inode *in = mqfs_inode_find(t, snap, queue);

        if (in) {
                *out = in;
                return 0;
        }
        struct series *se = series_of(t, snap);
        if (!se)
                return t->nseries >= PREFIXES ? -ENOSPC : -ENOMEM;
        if (queue && se->next >= MQFS_INO_SERIES_SIZE)
                return -ENOSPC; /* 2^40 queues entered in one view: numbers would repeat */
        in = calloc(1, sizeof(*in));
        if (!in)
                return -ENOMEM;
        in->snap = strdup(snap);
        in->queue = queue ? strdup(queue) : NULL;
        if (!in->snap || (queue && !in->queue)) {
                free_inode(in);
                return -ENOMEM;
        }
        in->kind = queue ? MQFS_INODE_QUEUE : MQFS_INODE_VIEW;
        in->ino = se->prefix << MQFS_INO_SERIES_SHIFT | (queue ? se->next++ : 1);
        if (t->count + 1 > t->nbuckets)
                grow(t);
        link_inode(t, in);
        t->count++;
        *out = in;
        return 0;
}

static void unlink_inode(struct mqfs_inode_table *t, struct mqfs_inode *in)
{
        struct mqfs_inode **pp = &t->by_ino[hash_ino(in->ino) & (t->nbuckets - 1)];

        while (*pp != in)
                pp = &(*pp)->next_by_ino;
        *pp = in->next_by_ino;
        if (!in->detached)
                unlink_by_key(t, in);
        t->count--;
        free_inode(in);
}

void mqfs_inode_detach(struct mqfs_inode_table *t, struct mqfs_inode *in)
{
        if (in->kind != MQFS_INODE_QUEUE || in->detached)
                return;
        if (!in->nlookup) {
                unlink_inode(t, in);
                return;
        }
        unlink_by_key(t, in);
        in->detached = true;
}

bool mqfs_inode_holds(struct mqfs_inode_table *t, struct mqfs_inode *in, uint64_t queue_id)
{
        if (in->kind != MQFS_INODE_QUEUE)
                return true;
        if (!in->queue_id && !in->detached)
                in->queue_id = queue_id;
        if (in->queue_id == queue_id)
                return true;
        mqfs_inode_detach(t, in);
        return false;
}

void mqfs_inode_forget(struct mqfs_inode_table *t, uint64_t ino, uint64_t n)
{
        if (ino == MQFS_ROOT_INO)
                return;
        /* The kernel forgets only what lookups gave it, and an inode with lookups is never
         * dropped: anything else means the counts went wrong, and then an inode in use
         * could be freed or a number given twice. */
        struct mqfs_inode *in = mqfs_inode_get(t, ino);
        MQFS_CHECK(in != NULL, "the kernel forgot inode %llu, which the table does not hold",
                   (unsigned long long)ino);
        MQFS_CHECK(n <= in->nlookup,
                   "the kernel forgot %llu lookups of inode %llu, which holds %llu",
                   (unsigned long long)n, (unsigned long long)ino, (unsigned long long)in->nlookup);
        in->nlookup -= n;
        if (!in->nlookup)
                unlink_inode(t, in);
}

void mqfs_inode_prune(struct mqfs_inode_table *t,
                      bool (*keep)(void *ctx, const struct mqfs_inode *), void *ctx)
{
        for (size_t i = 0; i < t->nbuckets; i++) {
                struct mqfs_inode *in = t->by_ino[i];
                while (in) {
                        struct mqfs_inode *next = in->next_by_ino;
                        if (!in->nlookup && !keep(ctx, in))
                                unlink_inode(t, in);
                        in = next;
                }
        }
}

void mqfs_inode_foreach(struct mqfs_inode_table *t,
                        void (*fn)(void *ctx, const struct mqfs_inode *), void *ctx)
{
        for (size_t i = 0; i < t->nbuckets; i++)
                for (struct mqfs_inode *in = t->by_ino[i]; in; in = in->next_by_ino)
                        fn(ctx, in);
}

size_t mqfs_inode_count(const struct mqfs_inode_table *t)
{
        return t->count;
}
