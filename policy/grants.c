#include "grants.h"

#include "perm.h"
#include "qname.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* One (snap, queue) grant. Before freezing, entries pile up unsorted with duplicates;
 * freezing sorts them by (snap, queue) and folds duplicates together, so that a view
 * is one contiguous run of entries. A snap declared without grants has one entry with
 * queue == NULL, which freezing keeps only as the view's name. */
struct grant_entry {
        char *snap;
        char *queue;
        unsigned perms;
};

struct mqfs_view {
        const char *snap;
        const struct grant_entry *entries;
        size_t count;
};

struct mqfs_grants {
        atomic_uint refs;
        bool frozen;
        struct grant_entry *entries;
        size_t count, capacity;
        struct mqfs_view *views;
        size_t view_count;
};

int mqfs_grants_new(struct mqfs_grants **out)
{
        struct mqfs_grants *g = calloc(1, sizeof(*g));
        if (g == NULL)
                return -ENOMEM;
        atomic_init(&g->refs, 1);
        *out = g;
        return 0;
}

static void grants_free(struct mqfs_grants *g)
{
        for (size_t i = 0; i < g->count; i++) {
                free(g->entries[i].snap);
                free(g->entries[i].queue);
        }
        free(g->entries);
        free(g->views);
        free(g);
}

struct mqfs_grants *mqfs_grants_ref(struct mqfs_grants *g)
{
        atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
        return g;
}

void mqfs_grants_unref(struct mqfs_grants *g)
{
        if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
                grants_free(g);
}

static int push_entry(struct mqfs_grants *g, const char *snap, const char *queue, unsigned perms)
{
        if (g->frozen)
                return -EBUSY;
        if (snap == NULL || snap[0] == '\0')
                return -EINVAL;
        if (g->count == g->capacity) {
                size_t capacity = g->capacity ? g->capacity * 2 : 16;
                struct grant_entry *entries = realloc(g->entries, capacity * sizeof(*entries));
                if (entries == NULL)
                        return -ENOMEM;
                g->entries = entries;
                g->capacity = capacity;
        }
        struct grant_entry e = {strdup(snap), queue ? strdup(queue) : NULL, perms};
        if (e.snap == NULL || (queue != NULL && e.queue == NULL)) {
                free(e.snap);
                free(e.queue);
                return -ENOMEM;
        }
        g->entries[g->count++] = e;
        return 0;
}

int mqfs_grants_add_snap(struct mqfs_grants *g, const char *snap)
{
        return push_entry(g, snap, NULL, 0);
}

int mqfs_grants_add(struct mqfs_grants *g, const char *snap, const char *queue, unsigned perms)
{
        if (mqfs_qname_check(queue) != 0 || (perms & MQFS_PERM_ALL) == 0 ||
            (perms & ~MQFS_PERM_ALL) != 0)
                return -EINVAL;
        return push_entry(g, snap, queue, perms | MQFS_PERM_OPEN);
}

/* Snap-declaration entries (queue NULL) sort first within their snap. */
static int entry_cmp(const void *a, const void *b)
{
        const struct grant_entry *x = a, *y = b;
        int c = strcmp(x->snap, y->snap);
        if (c != 0)
                return c;
        if (x->queue == NULL || y->queue == NULL)
                return (x->queue != NULL) - (y->queue != NULL);
        return strcmp(x->queue, y->queue);
}

int mqfs_grants_freeze(struct mqfs_grants *g)
{
        if (g->frozen)
                return 0;
        if (g->count > 1) /* an empty table has no array: qsort(NULL) is undefined */
                qsort(g->entries, g->count, sizeof(*g->entries), entry_cmp);

        /* Fold duplicates: keep the first of each (snap, queue), or-ing the perms in. */
        size_t kept = 0;
        size_t snaps = 0;
        for (size_t i = 0; i < g->count; i++) {
                struct grant_entry *e = &g->entries[i];
                struct grant_entry *prev = kept ? &g->entries[kept - 1] : NULL;
                bool same_snap = prev && strcmp(prev->snap, e->snap) == 0;
                if (same_snap && entry_cmp(prev, e) == 0) {
                        prev->perms |= e->perms;
                        free(e->snap);
                        free(e->queue);
                        continue;
                }
                if (same_snap && prev->queue == NULL) {
                        /* A declaration followed by real grants: the grants carry the name. */
                        free(prev->snap);
                        *prev = *e;
                        continue;
                }
                if (!same_snap)
                        snaps++;
                g->entries[kept++] = *e;
        }
        g->count = kept;

        g->views = calloc(snaps ? snaps : 1, sizeof(*g->views));
        if (g->views == NULL)
                return -ENOMEM;
        size_t v = 0;
        for (size_t i = 0; i < g->count; i++) {
                struct grant_entry *e = &g->entries[i];
                if (v == 0 || strcmp(g->views[v - 1].snap, e->snap) != 0) {
                        g->views[v].snap = e->snap;
                        g->views[v].entries = e->queue ? e : NULL;
                        g->views[v].count = 0;
                        v++;
                }
                if (e->queue != NULL) {
                        if (g->views[v - 1].entries == NULL)
                                g->views[v - 1].entries = e;
                        g->views[v - 1].count++;
                }
        }
        g->view_count = v;
        g->frozen = true;
        return 0;
}

const struct mqfs_view *mqfs_grants_view(const struct mqfs_grants *g, const char *snap)
{
        size_t lo = 0, hi = g->view_count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(snap, g->views[mid].snap);
                if (c == 0)
                        return &g->views[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

size_t mqfs_grants_snap_count(const struct mqfs_grants *g)
{
        return g->view_count;
}

const struct mqfs_view *mqfs_grants_view_at(const struct mqfs_grants *g, size_t i)
{
        return i < g->view_count ? &g->views[i] : NULL;
}

const char *mqfs_view_snap(const struct mqfs_view *v)
{
        return v->snap;
}

unsigned mqfs_view_perms(const struct mqfs_view *v, const char *queue)
{
        if (v == NULL || queue == NULL)
                return 0;
        size_t lo = 0, hi = v->count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(queue, v->entries[mid].queue);
                if (c == 0)
                        return v->entries[mid].perms;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return 0;
}

size_t mqfs_view_count(const struct mqfs_view *v)
{
        return v ? v->count : 0;
}

const char *mqfs_view_queue_at(const struct mqfs_view *v, size_t i, unsigned *perms)
{
        if (v == NULL || i >= v->count)
                return NULL;
        if (perms != NULL)
                *perms = v->entries[i].perms;
        return v->entries[i].queue;
}
