/* test_yamlnode.c — documents built from libyaml's events (policy/yamlnode.h): scalar
 * types, lines, aliases as shared nodes, the limits and the invalid-YAML messages, the
 * hook that reads closed maps early, and documents converted from libyaml's loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlnode.h"

static void load_ok(struct mqfs_ydoc *yd, const char *text)
{
        char *error = NULL;
        int r = mqfs_ydoc_load(yd, text, strlen(text), "t.yaml", NULL, &error);
        if (r != 0)
                fail_msg("%s: %d %s", text, r, error ? error : "");
}

/* The error of a text that must be refused, to free(). */
static char *load_error(const char *text)
{
        struct mqfs_ydoc yd;
        char *error = NULL;
        assert_int_equal(mqfs_ydoc_load(&yd, text, strlen(text), "t.yaml", NULL, &error), -EINVAL);
        assert_non_null(error);
        return error;
}

static const struct mqfs_ynode *value_of(const struct mqfs_ynode *map, const char *key)
{
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(map, &pairs);
        for (size_t i = 0; i < n; i++)
                if (mqfs_yis(pairs[i].key, key))
                        return pairs[i].value;
        return NULL;
}

static void scalars_are_typed_as_go_yaml_types_them(void **state)
{
        (void)state;
        static const struct {
                const char *key;
                enum mqfs_ykind kind;
        } want[] = {
            {"plain", MQFS_YSTRING},  {"empty", MQFS_YNULL},    {"tilde", MQFS_YNULL},
            {"bool", MQFS_YBOOL},     {"off_word", MQFS_YBOOL}, {"hex", MQFS_YINT},
            {"under", MQFS_YINT},     {"float", MQFS_YFLOAT},   {"inf", MQFS_YFLOAT},
            {"quoted", MQFS_YSTRING}, {"block", MQFS_YSTRING},  {"str_tag", MQFS_YSTRING},
            {"bang", MQFS_YSTRING},   {"int_tag", MQFS_YINT},   {"custom", MQFS_YSCALAR},
            {"list", MQFS_YLIST},     {"map", MQFS_YMAP},
        };
        struct mqfs_ydoc yd;
        load_ok(&yd, "plain: /q\n"
                     "empty:\n"
                     "tilde: ~\n"
                     "bool: yes\n"
                     "off_word: Off\n"
                     "hex: 0x1F\n"
                     "under: 1_000\n"
                     "float: 1.5e3\n"
                     "inf: -.inf\n"
                     "quoted: \"42\"\n"
                     "block: |\n  true\n"
                     "str_tag: !!str 42\n"
                     "bang: ! 42\n"
                     "int_tag: !!int \"42\"\n"
                     "custom: !thing x\n"
                     "list: [a]\n"
                     "map: {a: b}\n");
        assert_int_equal(mqfs_ykind(yd.root), MQFS_YMAP);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const struct mqfs_ynode *v = value_of(yd.root, want[i].key);
                assert_non_null(v);
                if (mqfs_ykind(v) != want[i].kind)
                        fail_msg("%s: kind %d, want %d", want[i].key, mqfs_ykind(v), want[i].kind);
        }
        mqfs_ydoc_release(&yd);
        /* A key `yes` is a bool, not the string "yes"; a quoted one is a string. */
        load_ok(&yd, "yes: 1\n\"yes\": 2\n");
        assert_false(mqfs_yis(yd.root->u.pairs[0].key, "yes"));
        assert_true(mqfs_yis(yd.root->u.pairs[1].key, "yes"));
        mqfs_ydoc_release(&yd);
}

static void nodes_keep_their_lines_and_bytes(void **state)
{
        (void)state;
        struct mqfs_ydoc yd;
        load_ok(&yd, "# comment\nname: \"a\\0b\"\nlist:\n  - x\n  - y\n");
        const struct mqfs_ynode *name = value_of(yd.root, "name");
        size_t len;
        const char *text = mqfs_yscalar(name, &len);
        assert_int_equal(len, 3);
        assert_memory_equal(text, "a\0b", 3);
        assert_int_equal(mqfs_yline(yd.root), 2);
        assert_int_equal(mqfs_yline(name), 2);
        const struct mqfs_ynode *const *items;
        assert_int_equal(mqfs_ylist(value_of(yd.root, "list"), &items), 2);
        assert_int_equal(mqfs_yline(items[1]), 5);
        assert_null(mqfs_yscalar(yd.root, &len));
        assert_int_equal(len, 0);
        mqfs_ydoc_release(&yd);

        load_ok(&yd, "");
        assert_null(yd.root);
        mqfs_ydoc_release(&yd);
}

static void an_alias_is_the_anchored_node_itself(void **state)
{
        (void)state;
        struct mqfs_ydoc yd;
        load_ok(&yd, "a: &x [1, 2]\nb: *x\nc: &self [*self]\n");
        assert_ptr_equal(value_of(yd.root, "a"), value_of(yd.root, "b"));
        const struct mqfs_ynode *c = value_of(yd.root, "c"), *const * items;
        assert_int_equal(mqfs_ylist(c, &items), 1);
        assert_ptr_equal(items[0], c); /* a cycle, never expanded */
        assert_int_equal(yd.nodes, 8); /* map, 3 keys, list of 2, list of 1 */
        mqfs_ydoc_release(&yd);
}

static void later_duplicate_keys_win_in_map_get(void **state)
{
        (void)state;
        struct mqfs_ydoc yd;
        const char *const keys[] = {"k", "absent"};
        const struct mqfs_ynode *values[2];
        load_ok(&yd, "k: first\n7: seven\nk: last\n");
        assert_true(mqfs_ymap_get(&yd, yd.root, keys, 2, values));
        assert_string_equal(mqfs_yscalar(values[0], NULL), "last");
        assert_null(values[1]);
        mqfs_ydoc_release(&yd);
}

static void invalid_yaml_says_what_and_where(void **state)
{
        (void)state;
        char *e = load_error("a: *nope\n");
        assert_string_equal(e, "t.yaml:1: not valid YAML: found undefined alias; fix the syntax");
        free(e);
        e = load_error("a: &x 1\nb: &x 2\n");
        assert_string_equal(e, "t.yaml:2: not valid YAML: second occurrence (found duplicate "
                               "anchor; first occurrence at line 1); fix the syntax");
        free(e);
        /* A syntax error further on is what the reader fixes first. */
        e = load_error("a: &x 1\nb: &x 2\nc: [\n");
        assert_non_null(strstr(e, "t.yaml:4: not valid YAML: did not find expected node content"));
        free(e);
        e = load_error("name: a\xff\n");
        assert_non_null(strstr(e, "t.yaml:1: not valid YAML: invalid leading UTF-8 octet"));
        free(e);
}

static void limits_are_refused_at_the_line_that_passes_them(void **state)
{
        (void)state;
        char text[16384]; /* 65 levels of indentation need some 4,300 bytes */
        size_t n = 0;
        for (int i = 1; i <= MQFS_YAML_MAX_ANCHORS + 1; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "k%d: &a%d v\n", i, i);
        char *e = load_error(text);
        assert_non_null(strstr(e, "t.yaml:65: more than 64 anchors"));
        free(e);

        n = 0;
        for (int i = 0; i <= MQFS_YAML_MAX_DEPTH; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%*sk:\n", 2 * i, "");
        assert_true(n < sizeof(text));
        e = load_error(text);
        assert_non_null(strstr(e, "t.yaml:65: lists and maps nested more than 64 deep"));
        free(e);

        e = load_error("k: [[[[[[[[[[[x]]]]]]]]]]]\n");
        assert_non_null(strstr(e, "t.yaml:1: [...] and {...} nested more than 10 deep"));
        free(e);
}

/* ---- the hook ---- */

struct seen {
        int offered, read;
        size_t depth;
        const char *want_key; /* read maps under this key */
};

static void free_text(void *p)
{
        free(p);
}

static int read_map(void *ctx, struct mqfs_ydoc *yd, const struct mqfs_ynode *map,
                    const struct mqfs_ynode *const *keys, size_t depth, struct mqfs_ytaken *t)
{
        struct seen *s = ctx;
        s->offered++;
        if (depth == 0 || !mqfs_yis(keys[depth - 1], s->want_key))
                return 0;
        const char *const key[] = {"v"};
        const struct mqfs_ynode *v;
        assert_true(mqfs_ymap_get(yd, map, key, 1, &v)); /* charged, never exhausted */
        t->value = strdup(mqfs_yscalar(v, NULL));
        t->free_value = free_text;
        t->result = 7;
        s->read++;
        s->depth = depth;
        return 1;
}

static void the_hook_reads_closed_maps_and_drops_their_nodes(void **state)
{
        (void)state;
        struct seen s = {.want_key = "take"};
        struct mqfs_ydoc_hook hook = {read_map, &s};
        struct mqfs_ydoc yd;
        const char *text = "list:\n"
                           "  - take: {v: one, pad: [1, 2, 3, 4, 5, 6, 7, 8]}\n"
                           "  - take: {v: two}\n"
                           "keep: {v: three}\n";
        assert_int_equal(mqfs_ydoc_load(&yd, text, strlen(text), "t.yaml", &hook, NULL), 0);
        assert_int_equal(s.read, 2);
        assert_int_equal(s.depth, 3); /* root map, list, item map, then the map itself */
        /* Every node was counted, the dropped ones too: the budget is the document's
         * (2 for the root and "list", the list, 15 and 5 for the items, 4 for "keep"). */
        assert_int_equal(yd.nodes, 27);
        const struct mqfs_ynode *const *items;
        assert_int_equal(mqfs_ylist(value_of(yd.root, "list"), &items), 2);
        const struct mqfs_ynode *taken = value_of(items[0], "take");
        assert_int_equal(mqfs_ykind(taken), MQFS_YMAP);
        struct mqfs_ytaken *t = mqfs_ytaken(taken);
        assert_non_null(t);
        assert_string_equal(t->value, "one");
        assert_int_equal(t->result, 7);
        assert_int_equal(t->visits, 2); /* the map's two pairs */
        const struct mqfs_ypair *pairs;
        assert_int_equal(mqfs_ymap(taken, &pairs), 0); /* its nodes are gone */
        assert_null(mqfs_ytaken(value_of(yd.root, "keep")));
        /* Taking one leaves the other to be freed with the document. */
        free(t->value);
        t->value = NULL;
        t->taken = true;
        mqfs_ydoc_release(&yd);
}

static void the_hook_never_sees_what_an_alias_can_reach(void **state)
{
        (void)state;
        static const char *const texts[] = {
            "take: &m {v: anchored}\nagain: *m\n",   /* the map itself */
            "outer: &o {take: {v: x}}\nagain: *o\n", /* a map around it */
            "take: {v: &i inner}\nagain: *i\n",      /* a node in it */
            "a: &s x\ntake: {v: *s}\n",              /* an alias in it */
        };
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
                struct seen s = {.want_key = "take"};
                struct mqfs_ydoc_hook hook = {read_map, &s};
                struct mqfs_ydoc yd;
                assert_int_equal(
                    mqfs_ydoc_load(&yd, texts[i], strlen(texts[i]), "t.yaml", &hook, NULL), 0);
                if (s.read != 0)
                        fail_msg("read a map an alias can reach: %s", texts[i]);
                mqfs_ydoc_release(&yd);
        }
}

/* ---- from libyaml's loader ---- */

static void a_loaded_document_converts_with_its_aliases(void **state)
{
        (void)state;
        const char *text = "a: &x {k: 42}\nb: *x\nc: !!str 42\n";
        yaml_parser_t parser;
        yaml_document_t doc;
        assert_true(yaml_parser_initialize(&parser));
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
        assert_true(yaml_parser_load(&parser, &doc));
        struct mqfs_ydoc yd;
        const struct mqfs_ynode *root;
        assert_int_equal(
            mqfs_ydoc_from_document(&yd, &doc, yaml_document_get_root_node(&doc), &root), 0);
        assert_ptr_equal(value_of(root, "a"), value_of(root, "b"));
        assert_int_equal(mqfs_ykind(value_of(value_of(root, "a"), "k")), MQFS_YINT);
        /* The loader hides the tag: the plain 42 is typed by its content. */
        assert_int_equal(mqfs_ykind(value_of(root, "c")), MQFS_YINT);
        mqfs_ydoc_release(&yd);
        yaml_node_t outside;
        assert_int_equal(mqfs_ydoc_from_document(&yd, &doc, &outside, &root), -EINVAL);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(scalars_are_typed_as_go_yaml_types_them),
            cmocka_unit_test(nodes_keep_their_lines_and_bytes),
            cmocka_unit_test(an_alias_is_the_anchored_node_itself),
            cmocka_unit_test(later_duplicate_keys_win_in_map_get),
            cmocka_unit_test(invalid_yaml_says_what_and_where),
            cmocka_unit_test(limits_are_refused_at_the_line_that_passes_them),
            cmocka_unit_test(the_hook_reads_closed_maps_and_drops_their_nodes),
            cmocka_unit_test(the_hook_never_sees_what_an_alias_can_reach),
            cmocka_unit_test(a_loaded_document_converts_with_its_aliases),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
