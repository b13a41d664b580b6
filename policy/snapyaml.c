/* snapyaml.c — the posix-mq plugs and slots of a snap.yaml (SPEC §2.1, §2.2): walks the
 * document, decides which entries are posix-mq, and hands each to posixmq.c. */
#include "snapyaml.h"

#include "escape.h"
#include "posixmq.h"
#include "qname.h"
#include "yamlnode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names of one kind (plugs or slots), as collected from the document. */
struct entries {
        struct mqfs_snap_entry *v;
        size_t n, cap;
};

/* ---- collecting names ---- */

static int push_entry(struct mqfs_snap_parser *p, struct entries *es,
                      const struct mqfs_snap_entry *e)
{
        if (mqfs_pmq_grow(p, (void **)&es->v, &es->cap, es->n, sizeof(*es->v)) < 0)
                return -ENOMEM;
        es->v[es->n] = *e;
        es->v[es->n].order = es->n;
        es->n++;
        return 0;
}

static int collect_section(struct mqfs_snap_parser *p, const struct mqfs_ynode *section,
                           const char *what, struct entries *es)
{
        enum mqfs_ykind kind = mqfs_ykind(section);
        if (kind == MQFS_YABSENT || kind == MQFS_YNULL)
                return 0;
        if (kind != MQFS_YMAP)
                return mqfs_pmq_fail(
                    p, section, -EINVAL,
                    "\"%s\" must be a map from names to definitions, not %s; fix the "
                    "snap.yaml",
                    what, mqfs_ykind_text(kind));
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(section, &pairs);
        if (!mqfs_ydoc_visit(p->yd, n))
                return mqfs_pmq_fail_budget(p, section);
        for (size_t i = 0; i < n; i++) {
                const struct mqfs_ynode *key = pairs[i].key;
                struct mqfs_snap_entry e = {.name = "", .value = pairs[i].value};
                const char *text = mqfs_yscalar(key, &e.len);
                if (text != NULL) {
                        e.name = text;
                        e.string_key = mqfs_ykind(key) == MQFS_YSTRING;
                }
                e.line = mqfs_yline(key);
                if (push_entry(p, es, &e) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Names listed under apps: and hooks: (`apps: {A: {plugs: [x]}}`): they declare a plug
 * or slot x of interface x when the top-level section does not define x. */
static int collect_listed(struct mqfs_snap_parser *p, const struct mqfs_ynode *root,
                          struct entries *plugs, struct entries *slots)
{
        static const char *const groups[] = {"apps", "hooks"};
        static const char *const lists[] = {"plugs", "slots"};
        const struct mqfs_ynode *group_nodes[2];

        if (!mqfs_ymap_get(p->yd, root, groups, 2, group_nodes))
                return mqfs_pmq_fail_budget(p, root);
        for (size_t g = 0; g < 2; g++) {
                const struct mqfs_ypair *pairs;
                size_t n = mqfs_ymap(group_nodes[g], &pairs);
                if (!mqfs_ydoc_visit(p->yd, n))
                        return mqfs_pmq_fail_budget(p, group_nodes[g]);
                for (size_t i = 0; i < n; i++) {
                        const struct mqfs_ynode *lists_nodes[2];
                        const struct mqfs_ynode *app = pairs[i].value;
                        if (!mqfs_ymap_get(p->yd, app, lists, 2, lists_nodes))
                                return mqfs_pmq_fail_budget(p, app);
                        for (size_t l = 0; l < 2; l++) {
                                const struct mqfs_ynode *const *items;
                                size_t count = mqfs_ylist(lists_nodes[l], &items);
                                if (!mqfs_ydoc_visit(p->yd, count))
                                        return mqfs_pmq_fail_budget(p, lists_nodes[l]);
                                for (size_t k = 0; k < count; k++) {
                                        const struct mqfs_ynode *item = items[k];
                                        /* go-yaml wants strings here; anything else is
                                         * no name of ours. */
                                        if (mqfs_ykind(item) != MQFS_YSTRING)
                                                continue;
                                        struct mqfs_snap_entry e = {.string_key = true,
                                                                    .listed = true};
                                        e.name = mqfs_yscalar(item, &e.len);
                                        e.line = mqfs_yline(item);
                                        if (push_entry(p, l == 0 ? plugs : slots, &e) < 0)
                                                return -ENOMEM;
                                }
                        }
                }
        }
        return 0;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
        int c = memcmp(a, b, alen < blen ? alen : blen);
        if (c != 0)
                return c;
        return (alen > blen) - (alen < blen);
}

static int entry_cmp(const void *pa, const void *pb)
{
        const struct mqfs_snap_entry *a = pa, *b = pb;
        int c = name_cmp(a->name, a->len, b->name, b->len);
        if (c != 0)
                return c;
        if (a->listed != b->listed)
                return a->listed ? 1 : -1;
        return (a->order > b->order) - (a->order < b->order);
}

/* Sorts by name and keeps one entry per name: the last definition (a later duplicate
 * key wins in go-yaml v2), or the first listing when no section defines the name. */
static void sort_unique(struct entries *es)
{
        if (es->n == 0)
                return;
        qsort(es->v, es->n, sizeof(*es->v), entry_cmp);
        size_t out = 0;
        for (size_t i = 0; i < es->n;) {
                size_t j = i + 1;
                while (j < es->n &&
                       name_cmp(es->v[i].name, es->v[i].len, es->v[j].name, es->v[j].len) == 0)
                        j++;
                size_t keep = i;
                while (keep + 1 < j && !es->v[keep + 1].listed)
                        keep++;
                es->v[out++] = es->v[keep];
                i = j;
        }
        es->n = out;
}

static int bad_cmp(const void *pa, const void *pb)
{
        const struct mqfs_bad *a = pa, *b = pb;
        int c = strcmp(a->name, b->name);
        if (c != 0)
                return c;
        return (a->line > b->line) - (a->line < b->line);
}

static int parse_root(struct mqfs_snap_parser *p, const struct mqfs_ynode *root)
{
        static const char *const keys[] = {"name", "plugs", "slots"};
        const struct mqfs_ynode *top[3];
        struct entries plugs = {0}, slots = {0};
        int r;

        enum mqfs_ykind kind = mqfs_ykind(root);
        if (kind != MQFS_YMAP)
                return mqfs_pmq_fail(
                    p, root, -EINVAL,
                    "a snap.yaml must be a map (with name, plugs, slots), not %s; check "
                    "that this is the right file",
                    mqfs_ykind_text(kind));
        if (!mqfs_ymap_get(p->yd, root, keys, 3, top))
                return mqfs_pmq_fail_budget(p, root);
        if (mqfs_ykind(top[0]) == MQFS_YSTRING) {
                size_t len;
                const char *name = mqfs_yscalar(top[0], &len);
                if (memchr(name, '\0', len) != NULL)
                        return mqfs_pmq_fail(p, top[0], -EINVAL,
                                             "the snap name contains a NUL byte; fix the name");
                if (!mqfs_ydoc_bytes(p->yd, len + 1))
                        return mqfs_pmq_fail_budget(p, top[0]);
                if ((p->snap->name = mqfs_pmq_strndup(p, name, len)) == NULL)
                        return -ENOMEM;
        }
        r = collect_section(p, top[1], "plugs", &plugs);
        if (r == 0)
                r = collect_section(p, top[2], "slots", &slots);
        if (r == 0)
                r = collect_listed(p, root, &plugs, &slots);
        if (r < 0)
                return r;
        sort_unique(&plugs);
        sort_unique(&slots);
        for (size_t i = 0; r == 0 && i < plugs.n; i++) {
                if (mqfs_pmq_is_posix_mq(p, &plugs.v[i]))
                        r = mqfs_pmq_add_plug(p, &plugs.v[i]);
                else if (p->yd->exhausted)
                        r = mqfs_pmq_fail_budget(p, plugs.v[i].value);
        }
        for (size_t i = 0; r == 0 && i < slots.n; i++) {
                if (mqfs_pmq_is_posix_mq(p, &slots.v[i]))
                        r = mqfs_pmq_add_slot(p, &slots.v[i]);
                else if (p->yd->exhausted)
                        r = mqfs_pmq_fail_budget(p, slots.v[i].value);
        }
        if (r == 0 && p->snap->nbad > 1)
                qsort(p->snap->bad, p->snap->nbad, sizeof(*p->snap->bad), bad_cmp);
        return r;
}

/* ---- one block ---- */

/* A snap_yaml is kept as one allocation: the struct, then its arrays, then its strings.
 * Ten thousand snaps of twenty plugs and slots would otherwise be some 700,000 small
 * allocations, each with its header and its own place in the heap. */
struct block {
        char *at;    /* NULL while measuring */
        size_t size; /* bytes used (or needed) so far */
};

static void *place(struct block *b, const void *src, size_t n, size_t align)
{
        if (n == 0)
                return NULL;
        b->size = (b->size + align - 1) & ~(align - 1);
        void *dst = b->at ? b->at + b->size : NULL;
        if (dst)
                memcpy(dst, src, n);
        b->size += n;
        return dst;
}

static char *place_string(struct block *b, const char *s)
{
        return place(b, s, strlen(s) + 1, 1);
}

/* Lays the snap out in b (or measures it, b->at NULL); returns the copy (NULL when
 * measuring). */
static struct mqfs_snap_yaml *lay_out(struct block *b, const struct mqfs_snap_yaml *src)
{
        const size_t ptr = _Alignof(void *);
        struct mqfs_snap_yaml *snap = place(b, src, sizeof(*src), _Alignof(max_align_t));
        struct mqfs_plug *plugs = place(b, src->plugs, src->nplugs * sizeof(*plugs), ptr);
        struct mqfs_slot *slots = place(b, src->slots, src->nslots * sizeof(*slots), ptr);
        struct mqfs_bad *bad = place(b, src->bad, src->nbad * sizeof(*bad), ptr);
        for (size_t i = 0; i < src->nslots; i++) {
                const struct mqfs_slot *s = &src->slots[i];
                char **v = place(b, s->paths, s->npaths * sizeof(*s->paths), ptr);
                if (slots)
                        slots[i].paths = v;
        }
        for (size_t i = 0; i < src->nslots; i++) {
                const struct mqfs_slot *s = &src->slots[i];
                unsigned *v =
                    place(b, s->perm_list, s->nperm_list * sizeof(*v), _Alignof(unsigned));
                if (slots)
                        slots[i].perm_list = v;
        }
        char *name = place_string(b, src->name);
        for (size_t i = 0; i < src->nplugs; i++) {
                const struct mqfs_plug *s = &src->plugs[i];
                char *n = place_string(b, s->name);
                /* The identifier defaults to the name: share the bytes then. */
                char *l = strcmp(s->label, s->name) == 0 ? n : place_string(b, s->label);
                if (plugs)
                        plugs[i].name = n, plugs[i].label = l;
        }
        for (size_t i = 0; i < src->nslots; i++) {
                const struct mqfs_slot *s = &src->slots[i];
                char *n = place_string(b, s->name);
                char *l = strcmp(s->label, s->name) == 0 ? n : place_string(b, s->label);
                if (slots)
                        slots[i].name = n, slots[i].label = l;
                for (size_t k = 0; k < s->npaths; k++) {
                        char *path = place_string(b, s->paths[k]);
                        if (slots)
                                slots[i].paths[k] = path;
                }
        }
        for (size_t i = 0; i < src->nbad; i++) {
                char *n = place_string(b, src->bad[i].name);
                char *reason = place_string(b, src->bad[i].reason);
                if (bad)
                        bad[i].name = n, bad[i].reason = reason;
        }
        if (snap) {
                snap->name = name;
                snap->plugs = plugs;
                snap->slots = slots;
                snap->bad = bad;
        }
        return snap;
}

static struct mqfs_snap_yaml *compact(const struct mqfs_snap_yaml *src)
{
        struct block b = {0};
        lay_out(&b, src);
        if ((b.at = malloc(b.size)) == NULL)
                return NULL;
        b.size = 0;
        return lay_out(&b, src);
}

/* ---- public ---- */

struct mqfs_snap_yaml *mqfs_snap_yaml_copy(const struct mqfs_snap_yaml *snap)
{
        return compact(snap);
}

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap)
{
        free(snap); /* one block, see compact() */
}

/* A snap.yaml the loader read as soon as its map closed (system.c), handed out as if it
 * were read now: with the same result, charged to the document's budget. */
static int take(struct mqfs_ydoc *yd, struct mqfs_ytaken *t, struct mqfs_snap_yaml **out,
                char **error)
{
        /* Nothing else in the document can refer to the map (mqfs_ydoc_hook). */
        if (t->taken)
                return -EINVAL;
        if (!mqfs_ydoc_visit(yd, t->visits) || !mqfs_ydoc_bytes(yd, t->bytes))
                return -EINVAL; /* the caller sees yd->exhausted */
        t->taken = true;
        if (error)
                *error = t->error;
        else
                free(t->error);
        t->error = NULL;
        if (t->result == 0)
                *out = t->value;
        else
                free(t->value); /* NULL: a failed read returns nothing */
        t->value = NULL;
        return t->result;
}

int mqfs_snap_yaml_from_ydoc(struct mqfs_ydoc *yd, const struct mqfs_ynode *node,
                             const char *origin, struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_snap_parser p = {.yd = yd, .origin = origin, .error = error};
        int r = -ENOMEM;

        if (error)
                *error = NULL;
        struct mqfs_ytaken *t = mqfs_ytaken(node);
        if (t != NULL)
                return take(yd, t, out, error);
        p.snap = mqfs_arena_alloc(&p.scratch, sizeof(*p.snap));
        if (p.snap != NULL) {
                memset(p.snap, 0, sizeof(*p.snap));
                r = parse_root(&p, node);
        }
        if (r == 0 && p.snap->name == NULL)
                p.snap->name = "";
        if (r == 0 && (*out = compact(p.snap)) == NULL)
                r = -ENOMEM;
        if (r == -ENOMEM && error != NULL && *error == NULL)
                mqfs_pmq_fail(&p, node, -EINVAL, "out of memory while reading the snap.yaml");
        mqfs_arena_clear(&p.scratch);
        return r;
}

int mqfs_snap_yaml_from_node(yaml_document_t *doc, yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_ydoc yd;
        const struct mqfs_ynode *root;

        if (error)
                *error = NULL;
        int r = mqfs_ydoc_from_document(&yd, doc, node, &root);
        if (r < 0)
                return r;
        r = mqfs_snap_yaml_from_ydoc(&yd, root, origin, out, error);
        mqfs_ydoc_release(&yd);
        return r;
}

int mqfs_snap_yaml_parse(const char *buf, size_t len, const char *origin,
                         struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_ydoc yd;
        int r = mqfs_ydoc_load(&yd, buf, len, origin, NULL, error);
        if (r < 0)
                return r;
        r = mqfs_snap_yaml_from_ydoc(&yd, yd.root, origin, out, error);
        mqfs_ydoc_release(&yd);
        return r;
}

int mqfs_snap_yaml_load(const char *path, struct mqfs_snap_yaml **out, char **error)
{
        char *buf = NULL;
        size_t len = 0;

        if (error)
                *error = NULL;
        int r = mqfs_read_file(path, MQFS_YAML_MAX_BYTES, &buf, &len, error);
        if (r < 0)
                return r;
        r = mqfs_snap_yaml_parse(buf, len, path, out, error);
        free(buf);
        return r;
}

char *mqfs_snap_yaml_report(const struct mqfs_snap_yaml *snap)
{
        if (snap == NULL || snap->nbad == 0)
                return NULL;
        char *text = NULL, *shown = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (f == NULL)
                return NULL;
        bool ok = (shown = mqfs_escape(snap->name, strlen(snap->name))) != NULL &&
                  fprintf(f, "snap \"%s\" has bad plugs or slots: ", shown) >= 0;
        free(shown);
        for (size_t i = 0; ok && i < snap->nbad; i++) {
                shown = mqfs_escape(snap->bad[i].name, strlen(snap->bad[i].name));
                ok = shown != NULL &&
                     fprintf(f, "%s%s (%s)", i ? "; " : "", shown, snap->bad[i].reason) >= 0;
                free(shown);
        }
        if (fclose(f) != 0 || !ok) {
                free(text);
                return NULL;
        }
        return text;
}

static int plug_key_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_plug *)elem)->name);
}

static int slot_key_cmp(const void *key, const void *elem)
{
        return strcmp(key, ((const struct mqfs_slot *)elem)->name);
}

const struct mqfs_plug *mqfs_snap_yaml_plug(const struct mqfs_snap_yaml *snap, const char *name)
{
        if (snap == NULL || snap->nplugs == 0)
                return NULL;
        return bsearch(name, snap->plugs, snap->nplugs, sizeof(*snap->plugs), plug_key_cmp);
}

const struct mqfs_slot *mqfs_snap_yaml_slot(const struct mqfs_snap_yaml *snap, const char *name)
{
        if (snap == NULL || snap->nslots == 0)
                return NULL;
        return bsearch(name, snap->slots, snap->nslots, sizeof(*snap->slots), slot_key_cmp);
}
