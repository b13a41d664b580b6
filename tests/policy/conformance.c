/* conformance.c — loader of the conformance cases (see conformance.h). */
#include "conformance.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#ifndef MQFS_CONFORMANCE_CASES
#error "MQFS_CONFORMANCE_CASES must name the conformance cases file"
#endif

const char *mqfs_conf_default_path(void)
{
        return MQFS_CONFORMANCE_CASES;
}

struct loader {
        const char *path;
        yaml_document_t *doc;
        char **error;
};

static int fail(struct loader *ld, const yaml_node_t *node, int err, const char *fmt, ...)
{
        if (ld->error != NULL && *ld->error == NULL) {
                char what[512];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(what, sizeof(what), fmt, ap);
                va_end(ap);
                size_t line = node ? node->start_mark.line + 1 : 0;
                if (asprintf(ld->error, "%s:%zu: %s", ld->path, line, what) < 0)
                        *ld->error = NULL;
        }
        return err;
}

static int scalar_dup(struct loader *ld, const yaml_node_t *node, const char *what, char **out,
                      size_t *len)
{
        if (node == NULL || node->type != YAML_SCALAR_NODE)
                return fail(ld, node, -EINVAL, "%s must be a string", what);
        size_t n = node->data.scalar.length;
        char *s = malloc(n + 1);
        if (s == NULL)
                return -ENOMEM;
        memcpy(s, node->data.scalar.value, n);
        s[n] = '\0';
        *out = s;
        if (len)
                *len = n;
        return 0;
}

/* A scalar or a sequence of scalars, as a string array. */
static int string_list(struct loader *ld, yaml_node_t *node, const char *what, char ***out,
                       size_t *count)
{
        if (node->type == YAML_SCALAR_NODE) {
                char **list = calloc(1, sizeof(*list));
                if (list == NULL)
                        return -ENOMEM;
                int r = scalar_dup(ld, node, what, &list[0], NULL);
                if (r < 0) {
                        free(list);
                        return r;
                }
                *out = list;
                *count = 1;
                return 0;
        }
        if (node->type != YAML_SEQUENCE_NODE)
                return fail(ld, node, -EINVAL, "%s must be a string or a list of strings", what);
        yaml_node_item_t *items = node->data.sequence.items.start;
        size_t n = (size_t)(node->data.sequence.items.top - items);
        char **list = calloc(n ? n : 1, sizeof(*list));
        if (list == NULL)
                return -ENOMEM;
        *out = list;
        *count = 0;
        for (size_t i = 0; i < n; i++) {
                int r =
                    scalar_dup(ld, yaml_document_get_node(ld->doc, items[i]), what, &list[i], NULL);
                if (r < 0)
                        return r; /* the caller's free releases what was copied */
                *count = i + 1;
        }
        return 0;
}

static int load_bad(struct loader *ld, yaml_node_t *node, struct mqfs_conf_case *c)
{
        if (node->type != YAML_MAPPING_NODE)
                return fail(ld, node, -EINVAL, "case \"%s\": bad: must be a map", c->name);
        yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
        size_t n = (size_t)(node->data.mapping.pairs.top - pairs);
        c->bad = calloc(n ? n : 1, sizeof(*c->bad));
        if (c->bad == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct mqfs_conf_bad *b = &c->bad[i];
                int r = scalar_dup(ld, yaml_document_get_node(ld->doc, pairs[i].key), "bad name",
                                   &b->name, NULL);
                if (r == 0)
                        r = scalar_dup(ld, yaml_document_get_node(ld->doc, pairs[i].value),
                                       "bad reason", &b->reason, NULL);
                c->nbad = i + 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_case(struct loader *ld, yaml_node_t *node, struct mqfs_conf_case *c)
{
        if (node == NULL || node->type != YAML_MAPPING_NODE)
                return fail(ld, node, -EINVAL, "each case must be a map");
        bool have_snap = false, have_bad = false;
        int r = 0;
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
             r == 0 && p < node->data.mapping.pairs.top; p++) {
                yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
                yaml_node_t *value = yaml_document_get_node(ld->doc, p->value);
                if (key == NULL || key->type != YAML_SCALAR_NODE || value == NULL)
                        return fail(ld, key, -EINVAL, "case keys must be strings");
                const char *k = (const char *)key->data.scalar.value;
                if (strcmp(k, "case") == 0) {
                        r = scalar_dup(ld, value, "case", &c->name, NULL);
                } else if (strcmp(k, "snap") == 0) {
                        r = scalar_dup(ld, value, "snap", &c->snap_yaml, &c->snap_yaml_len);
                        have_snap = r == 0;
                } else if (strcmp(k, "valid") == 0) {
                        c->valid = value->type == YAML_SCALAR_NODE &&
                                   strcmp((const char *)value->data.scalar.value, "true") == 0;
                } else if (strcmp(k, "bad") == 0) {
                        have_bad = true;
                        r = load_bad(ld, value, c);
                } else if (strcmp(k, "slot-rule") == 0) {
                        r = scalar_dup(ld, value, "slot-rule", &c->slot_rule, NULL);
                } else if (strcmp(k, "plug-rule") == 0) {
                        r = string_list(ld, value, "plug-rule", &c->plug_rules, &c->nplug_rules);
                } else if (strcmp(k, "plug-syscalls") == 0) {
                        c->has_plug_syscalls = true;
                        r = string_list(ld, value, "plug-syscalls", &c->plug_syscalls,
                                        &c->nplug_syscalls);
                }
                /* Other keys are comments for people; a newer file may add some. */
        }
        if (r < 0)
                return r;
        if (c->name == NULL || !have_snap)
                return fail(ld, node, -EINVAL, "a case needs `case:` and `snap:`");
        if (c->valid == have_bad)
                return fail(ld, node, -EINVAL,
                            "case \"%s\" must be either valid: true or bad:", c->name);
        return 0;
}

static void free_case(struct mqfs_conf_case *c)
{
        free(c->name);
        free(c->snap_yaml);
        for (size_t i = 0; i < c->nbad; i++) {
                free(c->bad[i].name);
                free(c->bad[i].reason);
        }
        free(c->bad);
        free(c->slot_rule);
        for (size_t i = 0; i < c->nplug_rules; i++)
                free(c->plug_rules[i]);
        free(c->plug_rules);
        for (size_t i = 0; i < c->nplug_syscalls; i++)
                free(c->plug_syscalls[i]);
        free(c->plug_syscalls);
}

void mqfs_conf_free(struct mqfs_conf *conf)
{
        if (conf == NULL)
                return;
        for (size_t i = 0; i < conf->ncases; i++)
                free_case(&conf->cases[i]);
        free(conf->cases);
        free(conf);
}

int mqfs_conf_load(const char *path, struct mqfs_conf **out, char **error)
{
        struct loader ld = {.path = path, .error = error};
        struct mqfs_conf *conf = NULL;
        yaml_parser_t parser;
        yaml_document_t doc;
        bool parser_ready = false, doc_ready = false;
        int r;

        if (error)
                *error = NULL;
        FILE *f = fopen(path, "re");
        if (f == NULL) {
                r = -errno;
                fail(&ld, NULL, r, "cannot open the conformance cases: %s", strerror(-r));
                goto out;
        }
        if (!yaml_parser_initialize(&parser)) {
                r = -ENOMEM;
                goto out;
        }
        parser_ready = true;
        yaml_parser_set_input_file(&parser, f);
        if (!yaml_parser_load(&parser, &doc)) {
                r = -EINVAL;
                if (ld.error && asprintf(ld.error, "%s:%zu: %s", path, parser.problem_mark.line + 1,
                                         parser.problem ? parser.problem : "not YAML") < 0)
                        *ld.error = NULL;
                goto out;
        }
        doc_ready = true;
        ld.doc = &doc;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL || root->type != YAML_SEQUENCE_NODE) {
                r = fail(&ld, root, -EINVAL, "the cases must be a list");
                goto out;
        }
        conf = calloc(1, sizeof(*conf));
        yaml_node_item_t *items = root->data.sequence.items.start;
        size_t n = (size_t)(root->data.sequence.items.top - items);
        if (conf == NULL || (conf->cases = calloc(n ? n : 1, sizeof(*conf->cases))) == NULL) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                conf->ncases = i + 1;
                r = load_case(&ld, yaml_document_get_node(&doc, items[i]), &conf->cases[i]);
                if (r < 0)
                        goto out;
        }
        *out = conf;
        conf = NULL;
        r = 0;
out:
        mqfs_conf_free(conf);
        if (doc_ready)
                yaml_document_delete(&doc);
        if (parser_ready)
                yaml_parser_delete(&parser);
        if (f)
                fclose(f);
        return r;
}

const struct mqfs_conf_case *mqfs_conf_find(const struct mqfs_conf *conf, const char *name)
{
        for (size_t i = 0; i < conf->ncases; i++)
                if (strcmp(conf->cases[i].name, name) == 0)
                        return &conf->cases[i];
        return NULL;
}
