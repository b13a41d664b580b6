/* snapyaml.c — the posix-mq plugs and slots of a snap.yaml (SPEC §2.1, §2.2): walks the
 * document, decides which entries are posix-mq, and hands each to posixmq.c. */
#include "snapyaml.h"

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

static int push_entry(struct entries *es, const struct mqfs_snap_entry *e)
{
        if (mqfs_pmq_grow((void **)&es->v, &es->cap, es->n, sizeof(*es->v)) < 0)
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
                if (push_entry(es, &e) < 0)
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
                                        if (push_entry(l == 0 ? plugs : slots, &e) < 0)
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
                r = mqfs_ystrdup(p->yd, top[0], &p->snap->name);
                if (r == -E2BIG)
                        return mqfs_pmq_fail_budget(p, top[0]);
                if (r == -EINVAL)
                        return mqfs_pmq_fail(p, top[0], -EINVAL,
                                             "the snap name contains a NUL byte; fix the name");
                if (r < 0)
                        return r;
        }
        r = collect_section(p, top[1], "plugs", &plugs);
        if (r == 0)
                r = collect_section(p, top[2], "slots", &slots);
        if (r == 0)
                r = collect_listed(p, root, &plugs, &slots);
        if (r < 0)
                goto out;
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
out:
        free(plugs.v);
        free(slots.v);
        return r;
}

/* ---- public ---- */

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap)
{
        if (snap == NULL)
                return;
        free(snap->name);
        for (size_t i = 0; i < snap->nplugs; i++) {
                free(snap->plugs[i].name);
                free(snap->plugs[i].label);
        }
        free(snap->plugs);
        for (size_t i = 0; i < snap->nslots; i++)
                mqfs_pmq_slot_clear(&snap->slots[i]);
        free(snap->slots);
        for (size_t i = 0; i < snap->nbad; i++) {
                free(snap->bad[i].name);
                free(snap->bad[i].reason);
        }
        free(snap->bad);
        free(snap);
}

int mqfs_snap_yaml_from_ydoc(struct mqfs_ydoc *yd, const struct mqfs_ynode *node,
                             const char *origin, struct mqfs_snap_yaml **out, char **error)
{
        struct mqfs_snap_parser p = {.yd = yd, .origin = origin, .error = error};

        if (error)
                *error = NULL;
        p.snap = calloc(1, sizeof(*p.snap));
        if (p.snap == NULL)
                return -ENOMEM;
        int r = parse_root(&p, node);
        if (r == 0 && p.snap->name == NULL && (p.snap->name = strdup("")) == NULL)
                r = -ENOMEM;
        if (r < 0) {
                if (r == -ENOMEM && error != NULL && *error == NULL)
                        mqfs_pmq_fail(&p, node, -EINVAL,
                                      "out of memory while reading the snap.yaml");
                mqfs_snap_yaml_free(p.snap);
                return r;
        }
        *out = p.snap;
        return 0;
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
        int r = mqfs_ydoc_load(&yd, buf, len, origin, error);
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
