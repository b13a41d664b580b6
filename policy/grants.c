#include "grants.h"

#include "arena.h"
#include "perm.h"
#include "qname.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One (snap, queue) grant. Before freezing, entries pile up unsorted with duplicates;
 * freezing sorts them by (snap, queue) and folds duplicates together, so that a grant
 * set is one contiguous run of entries. A snap declared without grants has one entry with
 * queue == NULL, which freezing keeps only as the grant set's name.
 *
 * Strings live in the table's arena, not one malloc each: a daemon keeps the table of
 * 10,000 snaps and some 200,000 grants for its whole life. Freezing copies the strings
 * it keeps into a fresh arena, each grant set's snap name once, so that the frozen table is
 * a few dense blocks. */
struct grant_entry {
        const char *snap;
        const char *queue;
        unsigned perms;
};

struct mqfs_grant_set {
        const char *snap;
        const struct grant_entry *entries;
        size_t count;
};

struct mqfs_grant_table {
        atomic_uint refs;
        bool frozen;
        struct grant_entry *entries;
        size_t count, capacity;
        struct mqfs_grant_set *sets;
        size_t set_count;
        /* Grant sets by snap name: open addressing, slot = set number + 1 (0: empty),
         * so that finding a grant set costs the same whatever the number of snaps. */
        uint32_t *index;
        size_t index_mask;
        struct mqfs_arena strings;
        /* Snap lookups answered (mqfs_grant_table_set_of): one relaxed add each, so that tests
         * can count how often an operation reads the table (mqfs_grant_table_lookups). */
        atomic_ulong lookups;
};

int mqfs_grant_table_new(struct mqfs_grant_table **out)
{
        struct mqfs_grant_table *g = calloc(1, sizeof(*g));
        if (g == NULL)
                return -ENOMEM;
        atomic_init(&g->refs, 1);
        *out = g;
        return 0;
}

static void grants_free(struct mqfs_grant_table *g)
{
        free(g->entries);
        free(g->sets);
        free(g->index);
        mqfs_arena_clear(&g->strings);
        free(g);
}

struct mqfs_grant_table *mqfs_grant_table_ref(struct mqfs_grant_table *g)
{
        atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
        return g;
}

void mqfs_grant_table_unref(struct mqfs_grant_table *g)
{
        if (g != NULL && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1)
                grants_free(g);
}

static int push_entry(struct mqfs_grant_table *g, const char *snap, const char *queue,
                      unsigned perms)
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
        /* Grants usually come snap by snap: keep one copy of the name for a run. */
        const struct grant_entry *prev = g->count ? &g->entries[g->count - 1] : NULL;
        struct grant_entry e = {
            prev && strcmp(prev->snap, snap) == 0
                ? prev->snap
                : mqfs_arena_strndup(&g->strings, snap, strlen(snap)),
            queue ? mqfs_arena_strndup(&g->strings, queue, strlen(queue)) : NULL,
            perms,
        };
        if (e.snap == NULL || (queue != NULL && e.queue == NULL))
                return -ENOMEM;
        g->entries[g->count++] = e;
        return 0;
}

int mqfs_grant_table_add_snap(struct mqfs_grant_table *g, const char *snap)
{
        return push_entry(g, snap, NULL, 0);
}

int mqfs_grant_table_add(struct mqfs_grant_table *g, const char *snap, const char *queue,
                         unsigned perms)
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
        int c = x->snap == y->snap ? 0 : strcmp(x->snap, y->snap);
        if (c != 0)
                return c;
        if (x->queue == NULL || y->queue == NULL)
                return (x->queue != NULL) - (y->queue != NULL);
        return strcmp(x->queue, y->queue);
}

static bool same_snap(const struct grant_entry *a, const struct grant_entry *b)
{
        return a->snap == b->snap || strcmp(a->snap, b->snap) == 0;
}

static uint64_t name_hash(const char *s)
{
        uint64_t h = 14695981039346656037ull; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

/* Copies the kept strings into a fresh arena (a snap's name once) and builds the grant sets
 * and their index; on -ENOMEM nothing of the table has changed. */
static int pack(struct mqfs_grant_table *g, size_t snaps)
{
        struct mqfs_arena packed = {0};
        struct mqfs_grant_set *sets = calloc(snaps ? snaps : 1, sizeof(*sets));
        size_t slots = 2;
        while (slots < 2 * snaps)
                slots *= 2;
        uint32_t *index = snaps <= UINT32_MAX / 2 ? calloc(slots, sizeof(*index)) : NULL;
        const char **snap_names = calloc(g->count ? g->count : 1, sizeof(*snap_names));
        const char **queue_names = calloc(g->count ? g->count : 1, sizeof(*queue_names));
        if (sets == NULL || index == NULL || snap_names == NULL || queue_names == NULL)
                goto fail;

        size_t n = 0;
        for (size_t i = 0; i < g->count; i++) {
                const struct grant_entry *e = &g->entries[i];
                /* Sorted: a new snap is one unlike the previous entry's. */
                if (n == 0 || !same_snap(&g->entries[i - 1], e)) {
                        const char *name = mqfs_arena_strndup(&packed, e->snap, strlen(e->snap));
                        if (name == NULL)
                                goto fail;
                        sets[n++] = (struct mqfs_grant_set){name, NULL, 0};
                }
                snap_names[i] = sets[n - 1].snap;
                if (e->queue != NULL && (queue_names[i] = mqfs_arena_strndup(
                                             &packed, e->queue, strlen(e->queue))) == NULL)
                        goto fail;
        }
        /* Nothing fails from here on. */
        n = 0;
        for (size_t i = 0; i < g->count; i++) {
                struct grant_entry *e = &g->entries[i];
                e->snap = snap_names[i];
                e->queue = queue_names[i];
                if (n == 0 || sets[n - 1].snap != e->snap)
                        n++;
                if (e->queue != NULL) {
                        if (sets[n - 1].entries == NULL)
                                sets[n - 1].entries = e;
                        sets[n - 1].count++;
                }
        }
        for (size_t i = 0; i < n; i++) {
                size_t slot = (size_t)name_hash(sets[i].snap) & (slots - 1);
                while (index[slot] != 0)
                        slot = (slot + 1) & (slots - 1);
                index[slot] = (uint32_t)(i + 1);
        }
        free(snap_names);
        free(queue_names);
        mqfs_arena_clear(&g->strings);
        g->strings = packed;
        g->sets = sets;
        g->set_count = n;
        g->index = index;
        g->index_mask = slots - 1;
        return 0;
fail:
        free(sets);
        free(index);
        free(snap_names);
        free(queue_names);
        mqfs_arena_clear(&packed);
        return -ENOMEM;
}

/* Sorts the entries (entry_cmp). Builders usually add grants snap by snap in name
 * order (mqfs_system_grant_table does): then only each snap's run needs sorting, a few
 * entries each, rather than the whole table. */
static void sort_entries(struct mqfs_grant_table *g)
{
        bool grouped = true;
        for (size_t i = 1; grouped && i < g->count; i++) {
                const struct grant_entry *a = &g->entries[i - 1], *b = &g->entries[i];
                grouped = a->snap == b->snap || strcmp(a->snap, b->snap) <= 0;
        }
        if (!grouped) {
                qsort(g->entries, g->count, sizeof(*g->entries), entry_cmp);
                return;
        }
        for (size_t i = 0; i < g->count;) {
                size_t end = i + 1;
                while (end < g->count && same_snap(&g->entries[i], &g->entries[end]))
                        end++;
                if (end - i > 1)
                        qsort(g->entries + i, end - i, sizeof(*g->entries), entry_cmp);
                i = end;
        }
}

int mqfs_grant_table_freeze(struct mqfs_grant_table *g)
{
        if (g->frozen)
                return 0;
        if (g->count > 1) /* an empty table has no array: qsort(NULL) is undefined */
                sort_entries(g);

        /* Fold duplicates: keep the first of each (snap, queue), or-ing the perms in. */
        size_t kept = 0;
        size_t snaps = 0;
        for (size_t i = 0; i < g->count; i++) {
                struct grant_entry *e = &g->entries[i];
                struct grant_entry *prev = kept ? &g->entries[kept - 1] : NULL;
                bool same_snap =
                    prev && (prev->snap == e->snap || strcmp(prev->snap, e->snap) == 0);
                if (same_snap && entry_cmp(prev, e) == 0) {
                        prev->perms |= e->perms;
                        continue;
                }
                if (same_snap && prev->queue == NULL) {
                        /* A declaration followed by real grants: the grants carry the name. */
                        *prev = *e;
                        continue;
                }
                if (!same_snap)
                        snaps++;
                g->entries[kept++] = *e;
        }
        g->count = kept;
        /* The array grew by doubling: give back what the frozen table does not use. */
        if (g->count > 0 && g->count < g->capacity) {
                struct grant_entry *entries = realloc(g->entries, g->count * sizeof(*entries));
                if (entries != NULL) {
                        g->entries = entries;
                        g->capacity = g->count;
                }
        }
        int r = pack(g, snaps);
        if (r < 0)
                return r;
        g->frozen = true;
        return 0;
}

const struct mqfs_grant_set *mqfs_grant_table_set_of(const struct mqfs_grant_table *g,
                                                     const char *snap)
{
        /* The counter is the one field a lookup writes; the table itself stays frozen
         * (the object was allocated writable, so the cast is sound). */
        atomic_fetch_add_explicit(&((struct mqfs_grant_table *)g)->lookups, 1,
                                  memory_order_relaxed);
        if (g->index == NULL || snap == NULL)
                return NULL;
        for (size_t slot = (size_t)name_hash(snap) & g->index_mask; g->index[slot] != 0;
             slot = (slot + 1) & g->index_mask) {
                const struct mqfs_grant_set *set = &g->sets[g->index[slot] - 1];
                if (strcmp(set->snap, snap) == 0)
                        return set;
        }
        return NULL;
}

unsigned long mqfs_grant_table_lookups(const struct mqfs_grant_table *g)
{
        return atomic_load_explicit(&g->lookups, memory_order_relaxed);
}

size_t mqfs_grant_table_snap_count(const struct mqfs_grant_table *g)
{
        return g->set_count;
}

const struct mqfs_grant_set *mqfs_grant_table_set_at(const struct mqfs_grant_table *g, size_t i)
{
        return i < g->set_count ? &g->sets[i] : NULL;
}

const char *mqfs_grant_set_snap(const struct mqfs_grant_set *set)
{
        return set->snap;
}

unsigned mqfs_grant_set_perms(const struct mqfs_grant_set *set, const char *queue)
{
        if (set == NULL || queue == NULL)
                return 0;
        size_t lo = 0, hi = set->count;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(queue, set->entries[mid].queue);
                if (c == 0)
                        return set->entries[mid].perms;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return 0;
}

size_t mqfs_grant_set_count(const struct mqfs_grant_set *set)
{
        return set ? set->count : 0;
}

const char *mqfs_grant_set_queue_at(const struct mqfs_grant_set *set, size_t i, unsigned *perms)
{
        if (set == NULL || i >= set->count)
                return NULL;
        if (perms != NULL)
                *perms = set->entries[i].perms;
        return set->entries[i].queue;
}

static size_t snap_count(const struct mqfs_grant_table *g)
{
        return g ? mqfs_grant_table_snap_count(g) : 0;
}

/* Both grant sets' queues, merged by name. Either may be NULL. */
static void diff_set(const struct mqfs_grant_set *a, const struct mqfs_grant_set *b,
                     const char *snap, mqfs_grant_table_change_fn fn, void *ctx)
{
        size_t na = a ? mqfs_grant_set_count(a) : 0, nb = b ? mqfs_grant_set_count(b) : 0;
        size_t i = 0, j = 0;

        while (i < na || j < nb) {
                unsigned pa = 0, pb = 0;
                const char *qa = i < na ? mqfs_grant_set_queue_at(a, i, &pa) : NULL;
                const char *qb = j < nb ? mqfs_grant_set_queue_at(b, j, &pb) : NULL;
                int c = !qa ? 1 : !qb ? -1 : strcmp(qa, qb);
                if (c < 0) {
                        fn(ctx, snap, qa, pa, 0);
                        i++;
                } else if (c > 0) {
                        fn(ctx, snap, qb, 0, pb);
                        j++;
                } else {
                        if (pa != pb)
                                fn(ctx, snap, qa, pa, pb);
                        i++;
                        j++;
                }
        }
}

void mqfs_grant_table_diff(const struct mqfs_grant_table *old, const struct mqfs_grant_table *new,
                           mqfs_grant_table_change_fn fn, void *ctx)
{
        size_t na = snap_count(old), nb = snap_count(new);
        size_t i = 0, j = 0;

        while (i < na || j < nb) {
                const struct mqfs_grant_set *sa = i < na ? mqfs_grant_table_set_at(old, i) : NULL;
                const struct mqfs_grant_set *sb = j < nb ? mqfs_grant_table_set_at(new, j) : NULL;
                int c = !sa   ? 1
                        : !sb ? -1
                              : strcmp(mqfs_grant_set_snap(sa), mqfs_grant_set_snap(sb));
                if (c < 0) {
                        fn(ctx, mqfs_grant_set_snap(sa), NULL, 0, 0);
                        diff_set(sa, NULL, mqfs_grant_set_snap(sa), fn, ctx);
                        i++;
                } else if (c > 0) {
                        fn(ctx, mqfs_grant_set_snap(sb), NULL, 0, 0);
                        diff_set(NULL, sb, mqfs_grant_set_snap(sb), fn, ctx);
                        j++;
                } else {
                        diff_set(sa, sb, mqfs_grant_set_snap(sa), fn, ctx);
                        i++;
                        j++;
                }
        }
}
