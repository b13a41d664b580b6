/* resolve.c — connections (SPEC §2.3) and grants (SPEC §2.4) of a loaded system.
 *
 * Auto-connection groups the slots by publisher and sorts each group by identifier, so
 * that each plug finds its candidates by binary search among its own publisher's slots:
 * O(snaps log snaps + (plugs + slots) log slots), with small logarithms when
 * publishers have few snaps each. */
#include "escape.h"
#include "loader.h"

#include "grants.h"
#include "perm.h"
#include "qname.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Candidates named in an ambiguity warning before "and N more". */
enum { MAX_NAMED_CANDIDATES = 8 };

static int bytes_cmp(const char *a, size_t alen, const char *b)
{
        size_t blen = strlen(b);
        int c = memcmp(a, b, alen < blen ? alen : blen);
        return c ? c : (alen > blen) - (alen < blen);
}

ssize_t mqfs_find_snap(const struct mqfs_system *sys, const char *name, size_t len)
{
        size_t lo = 0, hi = sys->nsnaps;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = bytes_cmp(name, len, sys->snaps[mid].name);
                if (c == 0)
                        return (ssize_t)mid;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

/* Index of the plug (slots = false) or slot called name in yaml, or -1. */
ssize_t mqfs_find_end(const struct mqfs_snap_yaml *yaml, bool slots, const char *name, size_t len)
{
        size_t lo = 0, hi = slots ? yaml->nslots : yaml->nplugs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = bytes_cmp(name, len, slots ? yaml->slots[mid].name : yaml->plugs[mid].name);
                if (c == 0)
                        return (ssize_t)mid;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

int mqfs_push_ref(struct mqfs_conn_ref **v, size_t *n, size_t *cap, const struct mqfs_conn_ref *ref)
{
        if (*n == *cap) {
                size_t cap2 = *cap ? *cap * 2 : 64;
                struct mqfs_conn_ref *v2 = reallocarray(*v, cap2, sizeof(**v));
                if (v2 == NULL)
                        return -ENOMEM;
                *v = v2;
                *cap = cap2;
        }
        (*v)[(*n)++] = *ref;
        return 0;
}

/* ---- connections: and disconnected: ---- */

/* One end "SNAP:NAME" of an entry, resolved to indices. 1 when it is unusable (a
 * message says why), 0 when found, <0 on error. */
static int resolve_end(struct mqfs_loader *ld, const struct mqfs_ynode *entry, const char *section,
                       size_t index, const struct mqfs_ynode *value, bool slot, size_t *snap_index,
                       size_t *end_index)
{
        const char *what = slot ? "slot" : "plug";
        const char *effect = strcmp(section, "connections") == 0 ? "the connection is skipped"
                                                                 : "the entry has no effect";
        int r;
        size_t len = 0;
        const char *text = mqfs_yscalar(value, &len);
        const char *colon = text ? memchr(text, ':', len) : NULL;
        if (mqfs_ykind(value) != MQFS_YSTRING || colon == NULL || colon == text ||
            colon == text + len - 1) {
                r = mqfs_loader_message(ld, ld->origin, mqfs_yline(value ? value : entry),
                                        "%s entry %zu: %s must be \"SNAP:%s\" (a string); %s",
                                        section, index + 1, what, slot ? "SLOT" : "PLUG", effect);
                return r < 0 ? r : 1;
        }
        size_t snap_len = (size_t)(colon - text);
        ssize_t s = mqfs_find_snap(ld->sys, text, snap_len);
        ssize_t e =
            s < 0 ? -1 : mqfs_find_end(ld->sys->snaps[s].yaml, slot, colon + 1, len - snap_len - 1);
        if (e >= 0) {
                *snap_index = (size_t)s;
                *end_index = (size_t)e;
                return 0;
        }
        char *shown_snap = mqfs_escape(text, snap_len);
        char *shown_name = mqfs_escape(colon + 1, len - snap_len - 1);
        r = -ENOMEM;
        if (shown_snap != NULL && shown_name != NULL) {
                if (s < 0)
                        r = mqfs_loader_message(ld, ld->origin, mqfs_yline(value),
                                                "%s entry %zu: no installed snap \"%s\" (in %s "
                                                "\"%s:%s\"); %s",
                                                section, index + 1, shown_snap, what, shown_snap,
                                                shown_name, effect);
                else
                        r = mqfs_loader_message(ld, ld->origin, mqfs_yline(value),
                                                "%s entry %zu: snap \"%s\" has no usable "
                                                "posix-mq %s \"%s\" (see its messages if it was "
                                                "refused or bad); %s",
                                                section, index + 1, shown_snap, what, shown_name,
                                                effect);
        }
        free(shown_snap);
        free(shown_name);
        return r < 0 ? r : 1;
}

int mqfs_resolve_read_list(struct mqfs_loader *ld, const struct mqfs_ynode *list, bool manual)
{
        static const char *const keys[] = {"plug", "slot"};
        const char *section = manual ? "connections" : "disconnected";
        struct mqfs_system *sys = ld->sys;
        const struct mqfs_ynode *const *items;
        size_t n = mqfs_ylist(list, &items);
        int r = 0;

        if (!mqfs_ydoc_visit(ld->yd, n))
                return -E2BIG;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct mqfs_ynode *entry = items[i], *v[2];
                enum mqfs_ykind kind = mqfs_ykind(entry);
                ld->key = mqfs_yline(entry);
                if (kind != MQFS_YMAP) {
                        r = mqfs_loader_message(ld, ld->origin, mqfs_yline(entry),
                                                "%s entry %zu is %s, not a map with plug: and "
                                                "slot:; it is skipped",
                                                section, i + 1, mqfs_ykind_text(kind));
                        continue;
                }
                if (!mqfs_ymap_get(ld->yd, entry, keys, 2, v))
                        return -E2BIG;
                struct mqfs_conn_ref ref = {.manual = manual, .source = MQFS_CONN_MANUAL};
                r = resolve_end(ld, entry, section, i, v[0], false, &ref.plug_snap, &ref.plug);
                if (r == 0)
                        r = resolve_end(ld, entry, section, i, v[1], true, &ref.slot_snap,
                                        &ref.slot);
                if (r != 0)
                        continue;
                if (!manual) {
                        r = mqfs_push_ref(&ld->disconnected, &ld->ndisconnected,
                                          &ld->cap_disconnected, &ref);
                        continue;
                }
                const struct mqfs_system_snap *ps = &sys->snaps[ref.plug_snap];
                const struct mqfs_system_snap *ss = &sys->snaps[ref.slot_snap];
                const struct mqfs_plug *plug = &ps->yaml->plugs[ref.plug];
                const struct mqfs_slot *slot = &ss->yaml->slots[ref.slot];
                /* The base declaration's plug rule: identifiers must match, unless a
                 * snap is unasserted (no snap-declaration to check against). */
                if (ps->publisher[0] != '\0' && ss->publisher[0] != '\0' &&
                    strcmp(plug->label, slot->label) != 0) {
                        char *pl = mqfs_escape(plug->label, strlen(plug->label));
                        char *sl = mqfs_escape(slot->label, strlen(slot->label));
                        r = pl && sl ? mqfs_loader_message(
                                           ld, ld->origin, mqfs_yline(entry),
                                           "connection %s:%s -> %s:%s refused: connection "
                                           "not allowed by plug rule of interface "
                                           "\"posix-mq\" (posix-mq identifiers \"%s\" and "
                                           "\"%s\" differ)",
                                           ps->name, plug->name, ss->name, slot->name, pl, sl)
                                     : -ENOMEM;
                        free(pl);
                        free(sl);
                        continue;
                }
                r = mqfs_push_ref(&ld->conns, &ld->nconns, &ld->cap_conns, &ref);
        }
        return r < 0 ? r : 0;
}

/* ---- auto-connection ---- */

/* A slot with a publisher, as a candidate for the plugs of that publisher's snaps. */
struct slot_key {
        const char *label;
        size_t snap, slot;
};

/* Within one publisher: by identifier, then by snap and slot (name order). */
static int slot_key_cmp(const void *pa, const void *pb)
{
        const struct slot_key *a = pa, *b = pb;
        int c = strcmp(a->label, b->label);
        if (c == 0)
                c = (a->snap > b->snap) - (a->snap < b->snap);
        if (c == 0)
                c = (a->slot > b->slot) - (a->slot < b->slot);
        return c;
}

int mqfs_ref_cmp(const void *pa, const void *pb)
{
        const struct mqfs_conn_ref *a = pa, *b = pb;
        const size_t ka[] = {a->plug_snap, a->plug, a->slot_snap, a->slot};
        const size_t kb[] = {b->plug_snap, b->plug, b->slot_snap, b->slot};
        for (size_t i = 0; i < 4; i++)
                if (ka[i] != kb[i])
                        return ka[i] < kb[i] ? -1 : 1;
        return 0;
}

/* First index in keys[0, n) not ordered before label (after it when upper). */
static size_t lower_bound(const struct slot_key *keys, size_t n, const char *label, bool upper)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(keys[mid].label, label);
                if (c < 0 || (upper && c == 0))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int warn_ambiguous(struct mqfs_loader *ld, size_t snap, size_t plug,
                          const struct slot_key *cands, size_t n)
{
        const struct mqfs_system *sys = ld->sys;
        char *names = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&names, &size);
        if (f == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n && i < MAX_NAMED_CANDIDATES; i++)
                fprintf(f, "%s%s:%s", i ? ", " : "", sys->snaps[cands[i].snap].name,
                        sys->snaps[cands[i].snap].yaml->slots[cands[i].slot].name);
        if (n > MAX_NAMED_CANDIDATES)
                fprintf(f, " and %zu more", n - MAX_NAMED_CANDIDATES);
        if (fclose(f) != 0) {
                free(names);
                return -ENOMEM;
        }
        const struct mqfs_plug *p = &sys->snaps[snap].yaml->plugs[plug];
        ld->key = ld->entry_lines[snap];
        int r = mqfs_loader_message(ld, ld->files[snap], p->line,
                                    "snap \"%s\" plug \"%s\" is not auto-connected: %zu "
                                    "candidate slots (%s); connect one under connections:",
                                    sys->snaps[snap].name, p->name, n, names);
        free(names);
        return r;
}

/* Snaps by publisher, then by index. */
static int publisher_cmp(const void *pa, const void *pb, void *arg)
{
        const struct mqfs_system *sys = arg;
        size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
        int c = strcmp(sys->snaps[a].publisher, sys->snaps[b].publisher);
        return c ? c : (a > b) - (a < b);
}

/* Every slot of an asserted snap, grouped by publisher (a plug only auto-connects to a
 * slot of its own publisher) and sorted within the group (slot_key_cmp). *groups gets,
 * per snap, the range of its publisher's group in *keys (empty when unasserted): a plug
 * then searches the few slots of its publisher, not all of them. */
static int index_slots(const struct mqfs_system *sys, struct slot_key **keys, size_t (**groups)[2])
{
        size_t total = 0, nasserted = 0, nkeys = 0;
        for (size_t i = 0; i < sys->nsnaps; i++)
                total += sys->snaps[i].yaml->nslots;
        size_t *order = calloc(sys->nsnaps ? sys->nsnaps : 1, sizeof(*order));
        *keys = calloc(total ? total : 1, sizeof(**keys));
        *groups = calloc(sys->nsnaps ? sys->nsnaps : 1, sizeof(**groups));
        if (order == NULL || *keys == NULL || *groups == NULL) {
                free(order);
                return -ENOMEM;
        }
        /* Unasserted snaps never auto-connect: only slots with a publisher are indexed. */
        for (size_t i = 0; i < sys->nsnaps; i++)
                if (sys->snaps[i].publisher[0] != '\0')
                        order[nasserted++] = i;
        qsort_r(order, nasserted, sizeof(*order), publisher_cmp, (void *)sys);
        for (size_t i = 0; i < nasserted;) {
                const char *publisher = sys->snaps[order[i]].publisher;
                size_t first = nkeys, end = i;
                for (; end < nasserted && strcmp(sys->snaps[order[end]].publisher, publisher) == 0;
                     end++) {
                        const struct mqfs_system_snap *s = &sys->snaps[order[end]];
                        for (size_t k = 0; k < s->yaml->nslots; k++)
                                (*keys)[nkeys++] =
                                    (struct slot_key){s->yaml->slots[k].label, order[end], k};
                }
                qsort(*keys + first, nkeys - first, sizeof(**keys), slot_key_cmp);
                for (; i < end; i++) {
                        (*groups)[order[i]][0] = first;
                        (*groups)[order[i]][1] = nkeys;
                }
        }
        free(order);
        return 0;
}

/* Whether snapd's data.conns decides the plug (see snapd.h). */
static bool plug_held(const struct mqfs_loader *ld, size_t snap, size_t plug)
{
        size_t lo = 0, hi = ld->nheld;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct mqfs_conn_ref *h = &ld->held[mid];
                if (h->plug_snap == snap && h->plug == plug)
                        return true;
                if (h->plug_snap < snap || (h->plug_snap == snap && h->plug < plug))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/* Drops snapd's connections of the pairs listed under disconnected: (sorted). */
static void disconnect_snapd(struct mqfs_loader *ld)
{
        size_t n = 0;
        for (size_t i = 0; i < ld->nconns; i++) {
                const struct mqfs_conn_ref *ref = &ld->conns[i];
                if (ref->source == MQFS_CONN_SNAPD && ld->ndisconnected > 0 &&
                    bsearch(ref, ld->disconnected, ld->ndisconnected, sizeof(*ld->disconnected),
                            mqfs_ref_cmp) != NULL)
                        continue;
                ld->conns[n++] = *ref;
        }
        ld->nconns = n;
}

static int auto_connect(struct mqfs_loader *ld)
{
        const struct mqfs_system *sys = ld->sys;
        struct slot_key *keys = NULL;
        size_t(*groups)[2] = NULL;
        int r = index_slots(sys, &keys, &groups);

        for (size_t i = 0; r == 0 && i < sys->nsnaps; i++) {
                const struct mqfs_system_snap *s = &sys->snaps[i];
                const struct slot_key *group = keys + groups[i][0];
                size_t ngroup = groups[i][1] - groups[i][0];
                if (s->publisher[0] == '\0')
                        continue;
                for (size_t k = 0; r == 0 && k < s->yaml->nplugs; k++) {
                        const char *label = s->yaml->plugs[k].label;
                        if (plug_held(ld, i, k))
                                continue; /* snapd decides this plug */
                        size_t lo = lower_bound(group, ngroup, label, false);
                        size_t hi = lower_bound(group, ngroup, label, true);
                        if (hi - lo > 1) {
                                /* As snapd: more than one candidate connects none, counted
                                 * before disconnections are taken into account. */
                                r = warn_ambiguous(ld, i, k, group + lo, hi - lo);
                                continue;
                        }
                        if (hi == lo)
                                continue;
                        struct mqfs_conn_ref ref = {.plug_snap = i,
                                                    .plug = k,
                                                    .slot_snap = group[lo].snap,
                                                    .slot = group[lo].slot,
                                                    .source = MQFS_CONN_AUTO};
                        if (ld->ndisconnected > 0 &&
                            bsearch(&ref, ld->disconnected, ld->ndisconnected,
                                    sizeof(*ld->disconnected), mqfs_ref_cmp) != NULL)
                                continue;
                        r = mqfs_push_ref(&ld->conns, &ld->nconns, &ld->cap_conns, &ref);
                }
        }
        free(keys);
        free(groups);
        return r;
}

/* Sorts ld->conns (mqfs_ref_cmp): the first nmanual were listed under connections:, in any
 * order; auto_connect appended the rest in plug order already, so only the manual ones
 * are sorted, then both runs merged. The whole array is sorted instead when the rest
 * is not in order after all, or there is no memory for the merge. */
static void sort_conns(struct mqfs_loader *ld, size_t nmanual)
{
        struct mqfs_conn_ref *v = ld->conns, *merged = NULL;
        size_t n = ld->nconns;
        bool in_order = true;
        for (size_t i = nmanual + 1; in_order && i < n; i++)
                in_order = mqfs_ref_cmp(&v[i - 1], &v[i]) <= 0;
        if (in_order && nmanual > 0 && nmanual < n)
                merged = calloc(n, sizeof(*merged));
        if (merged == NULL) {
                if (n > 1 && (!in_order || nmanual > 0))
                        qsort(v, n, sizeof(*v), mqfs_ref_cmp);
                return;
        }
        qsort(v, nmanual, sizeof(*v), mqfs_ref_cmp);
        size_t a = 0, b = nmanual;
        for (size_t i = 0; i < n; i++)
                merged[i] =
                    b == n || (a < nmanual && mqfs_ref_cmp(&v[a], &v[b]) <= 0) ? v[a++] : v[b++];
        free(v);
        ld->conns = merged;
        ld->cap_conns = n;
}

int mqfs_resolve(struct mqfs_loader *ld)
{
        struct mqfs_system *sys = ld->sys;
        if (ld->ndisconnected > 1)
                qsort(ld->disconnected, ld->ndisconnected, sizeof(*ld->disconnected), mqfs_ref_cmp);
        int r = mqfs_snapd_resolve(ld);
        if (r < 0)
                return r;
        disconnect_snapd(ld);
        size_t nmanual = ld->nconns;
        r = auto_connect(ld);
        if (r < 0)
                return r;
        /* Sorted by index is sorted by name; a pair listed twice (manual and auto, or
         * manual twice) is one connection, manual if any of them is. */
        sort_conns(ld, nmanual);
        sys->conns = calloc(ld->nconns ? ld->nconns : 1, sizeof(*sys->conns));
        if (sys->conns == NULL)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < ld->nconns; i++) {
                const struct mqfs_conn_ref *ref = &ld->conns[i];
                const struct mqfs_system_snap *ps = &sys->snaps[ref->plug_snap];
                const struct mqfs_system_snap *ss = &sys->snaps[ref->slot_snap];
                const struct mqfs_slot *slot =
                    ref->slot_static ? ref->slot_static : &ss->yaml->slots[ref->slot];
                if (n > 0 && mqfs_ref_cmp(ref, &ld->conns[i - 1]) == 0) {
                        /* snapd's record of the pair wins over system.yaml's. */
                        struct mqfs_connection *c = &sys->conns[n - 1];
                        c->manual |= ref->manual;
                        if (ref->source == MQFS_CONN_SNAPD) {
                                c->slot = slot;
                                c->source = MQFS_CONN_SNAPD;
                                c->by_gadget = ref->by_gadget;
                        }
                        continue;
                }
                sys->conns[n++] = (struct mqfs_connection){
                    .plug_snap = ps,
                    .plug = &ps->yaml->plugs[ref->plug],
                    .slot_snap = ss,
                    .slot = slot,
                    .manual = ref->manual,
                    .by_gadget = ref->by_gadget,
                    .source = ref->source,
                };
        }
        sys->nconns = n;
        return 0;
}

/* ---- grants ---- */

/* The grants of a connection to its plug's snap: the slot's permissions, and open
 * always (also for `permissions: []`). */
static int grant_connection(struct mqfs_grant_table *g, const struct mqfs_connection *c)
{
        int r = 0;
        for (size_t p = 0; r == 0 && p < c->slot->npaths; p++)
                r = mqfs_grant_table_add(g, c->plug_snap->name, c->slot->paths[p],
                                         c->slot->perms | MQFS_PERM_OPEN);
        return r;
}

/* Connections in plug snap order (as mqfs_resolve leaves them). */
static bool conns_by_plug_snap(const struct mqfs_system *sys)
{
        for (size_t i = 1; i < sys->nconns; i++)
                if (sys->conns[i - 1].plug_snap > sys->conns[i].plug_snap)
                        return false;
        return true;
}

int mqfs_system_grant_table(const struct mqfs_system *sys, struct mqfs_grant_table **out)
{
        struct mqfs_grant_table *g = NULL;
        int r = mqfs_grant_table_new(&g);
        if (r < 0)
                return r;
        /* Snap by snap in name order, each with the connections of its plugs when they
         * are in that order too: freezing then sorts each snap's few grants, not the
         * whole table. The table is the same either way. */
        bool interleave = conns_by_plug_snap(sys);
        size_t c = 0;
        for (size_t i = 0; r == 0 && i < sys->nsnaps; i++) {
                const struct mqfs_system_snap *s = &sys->snaps[i];
                r = mqfs_grant_table_add_snap(g, s->name);
                /* A snap's own slots: every path, every permission. */
                for (size_t k = 0; r == 0 && k < s->yaml->nslots; k++)
                        for (size_t p = 0; r == 0 && p < s->yaml->slots[k].npaths; p++)
                                r = mqfs_grant_table_add(g, s->name, s->yaml->slots[k].paths[p],
                                                         MQFS_PERM_ALL);
                for (; r == 0 && interleave && c < sys->nconns && sys->conns[c].plug_snap == s; c++)
                        r = grant_connection(g, &sys->conns[c]);
        }
        /* The rest (all of them when not in order). */
        for (; r == 0 && c < sys->nconns; c++)
                r = grant_connection(g, &sys->conns[c]);
        if (r == 0)
                r = mqfs_grant_table_freeze(g);
        if (r < 0) {
                mqfs_grant_table_unref(g);
                return r;
        }
        *out = g;
        return 0;
}
