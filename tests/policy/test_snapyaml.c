/* test_snapyaml.c — snap.yaml parsing and validation (SPEC §2.1, §2.2): every shared
 * conformance case, the shorthand forms, typed scalars and hostile documents. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conformance.h"
#include "perm.h"
#include "snapyaml.h"

static struct mqfs_snap_yaml *parse_ok(const char *text)
{
        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;
        int r = mqfs_snap_yaml_parse(text, strlen(text), "test.yaml", &snap, &error);
        if (r != 0)
                fail_msg("parse failed (%d): %s\n--- input ---\n%s", r, error ? error : "?", text);
        assert_null(error);
        return snap;
}

/* Parses text that must be refused as a whole; returns the error message (free it). */
static char *parse_fails(const char *text, size_t len)
{
        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;
        int r = mqfs_snap_yaml_parse(text, len, "test.yaml", &snap, &error);
        assert_int_equal(r, -EINVAL);
        assert_null(snap);
        assert_non_null(error);
        assert_true(strncmp(error, "test.yaml:", 10) == 0);
        return error;
}

static const char *reason_of(const struct mqfs_snap_yaml *snap, const char *name)
{
        for (size_t i = 0; i < snap->nbad; i++)
                if (strcmp(snap->bad[i].name, name) == 0)
                        return snap->bad[i].reason;
        return NULL;
}

/* One bad entry called name with exactly this reason, and nothing accepted. */
static void expect_single_bad(const char *text, const char *name, const char *reason)
{
        struct mqfs_snap_yaml *snap = parse_ok(text);
        if (snap->nbad != 1 || strcmp(snap->bad[0].name, name) != 0 ||
            strcmp(snap->bad[0].reason, reason) != 0)
                fail_msg("expected %s (%s), got %zu bad entries, first: %s (%s)\n%s", name, reason,
                         snap->nbad, snap->nbad ? snap->bad[0].name : "-",
                         snap->nbad ? snap->bad[0].reason : "-", text);
        assert_int_equal(snap->nplugs + snap->nslots, 0);
        mqfs_snap_yaml_free(snap);
}

static const struct mqfs_slot *single_slot(const struct mqfs_snap_yaml *snap)
{
        if (snap->nslots != 1 || snap->nbad != 0)
                fail_msg("expected one good slot, got %zu slots and %zu bad (first: %s)",
                         snap->nslots, snap->nbad, snap->nbad ? snap->bad[0].reason : "-");
        return &snap->slots[0];
}

/* ---- the shared conformance cases ---- */

static struct mqfs_conf *conf;

static int load_conf(void **state)
{
        (void)state;
        char *error = NULL;
        if (mqfs_conf_load(mqfs_conf_default_path(), &conf, &error) != 0) {
                fprintf(stderr, "%s\n", error ? error : "cannot load the conformance cases");
                free(error);
                return -1;
        }
        return 0;
}

static int free_conf(void **state)
{
        (void)state;
        mqfs_conf_free(conf);
        return 0;
}

/* Number of keys under plugs: and slots: in the case's text, counted by a plain libyaml
 * walk independent of the parser under test (every case's plugs and slots are posix-mq). */
static size_t count_definitions(const char *text)
{
        yaml_parser_t parser;
        yaml_document_t doc;
        size_t count = 0;
        assert_true(yaml_parser_initialize(&parser));
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
        assert_true(yaml_parser_load(&parser, &doc));
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        assert_int_equal(root->type, YAML_MAPPING_NODE);
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                yaml_node_t *key = yaml_document_get_node(&doc, p->key);
                yaml_node_t *value = yaml_document_get_node(&doc, p->value);
                const char *k = (const char *)key->data.scalar.value;
                if ((strcmp(k, "plugs") == 0 || strcmp(k, "slots") == 0) &&
                    value->type == YAML_MAPPING_NODE)
                        count += (size_t)(value->data.mapping.pairs.top -
                                          value->data.mapping.pairs.start);
        }
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return count;
}

/* The plug rule names the slot's path and starts with the slot's permission words in
 * their written order: check the parsed slot against it. */
static void check_plug_rule(const char *case_name, const struct mqfs_slot *slot, size_t i,
                            const char *rule)
{
        char words[256] = "";
        size_t len = 0;
        for (size_t k = 0; k < slot->nperm_list; k++) {
                const char *w = mqfs_perm_word(slot->perm_list[k]);
                assert_non_null(w);
                len += (size_t)snprintf(words + len, sizeof(words) - len, "%s%s", k ? " " : "", w);
        }
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "mqueue (%s", words);
        if (strncmp(rule, prefix, strlen(prefix)) != 0)
                fail_msg("case %s: rule %s does not start with the slot's permissions (%s)",
                         case_name, rule, words);
        char quoted[300];
        assert_true(i < slot->npaths);
        snprintf(quoted, sizeof(quoted), " type=posix \"%s\",", slot->paths[i]);
        size_t rl = strlen(rule), ql = strlen(quoted);
        if (rl < ql || strcmp(rule + rl - ql, quoted) != 0)
                fail_msg("case %s: rule %s does not end with path %s", case_name, rule,
                         slot->paths[i]);
}

static void test_conformance_cases(void **state)
{
        (void)state;
        assert_true(conf->ncases >= 20);
        for (size_t c = 0; c < conf->ncases; c++) {
                const struct mqfs_conf_case *k = &conf->cases[c];
                struct mqfs_snap_yaml *snap = NULL;
                char *error = NULL;
                int r =
                    mqfs_snap_yaml_parse(k->snap_yaml, k->snap_yaml_len, k->name, &snap, &error);
                if (r != 0)
                        fail_msg("case %s: parse failed: %s", k->name, error ? error : "?");
                if (k->valid) {
                        if (snap->nbad != 0)
                                fail_msg("case %s: valid, but %s is bad: %s", k->name,
                                         snap->bad[0].name, snap->bad[0].reason);
                        assert_int_equal(snap->nplugs + snap->nslots,
                                         count_definitions(k->snap_yaml));
                        assert_null(mqfs_snap_yaml_report(snap));
                        if (k->nplug_rules > 0) {
                                assert_int_equal(snap->nslots, 1);
                                assert_int_equal(snap->slots[0].npaths, k->nplug_rules);
                                for (size_t i = 0; i < k->nplug_rules; i++)
                                        check_plug_rule(k->name, &snap->slots[0], i,
                                                        k->plug_rules[i]);
                        }
                } else {
                        if (snap->nbad != k->nbad)
                                fail_msg("case %s: %zu bad entries, expected %zu", k->name,
                                         snap->nbad, k->nbad);
                        for (size_t i = 0; i < k->nbad; i++) {
                                const char *got = reason_of(snap, k->bad[i].name);
                                if (got == NULL || strcmp(got, k->bad[i].reason) != 0)
                                        fail_msg("case %s: %s\n  expected: %s\n  got:      %s",
                                                 k->name, k->bad[i].name, k->bad[i].reason,
                                                 got ? got : "(not reported)");
                        }
                        /* Every case has one bad entry, so the report line is known. */
                        assert_int_equal(k->nbad, 1);
                        char *expected = NULL;
                        assert_true(asprintf(&expected,
                                             "snap \"%s\" has bad plugs or slots: %s (%s)",
                                             snap->name, k->bad[0].name, k->bad[0].reason) > 0);
                        char *report = mqfs_snap_yaml_report(snap);
                        assert_non_null(report);
                        assert_string_equal(report, expected);
                        free(report);
                        free(expected);
                        assert_int_equal(snap->nplugs + snap->nslots,
                                         count_definitions(k->snap_yaml) - k->nbad);
                }
                mqfs_snap_yaml_free(snap);
        }
}

/* ---- forms and fields ---- */

static void test_full_slot_and_plug(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: provider\n"
                                               "slots:\n"
                                               "  mq:\n"
                                               "    interface: posix-mq\n"
                                               "    posix-mq: shared-label\n"
                                               "    path: [/b, a]\n"
                                               "    permissions: [write, read, write, delete]\n"
                                               "plugs:\n"
                                               "  mq:\n"
                                               "    interface: posix-mq\n"
                                               "    posix-mq: shared-label\n");
        assert_string_equal(snap->name, "provider");
        const struct mqfs_slot *slot = mqfs_snap_yaml_slot(snap, "mq");
        assert_non_null(slot);
        assert_string_equal(slot->label, "shared-label");
        assert_int_equal(slot->npaths, 2);
        assert_string_equal(slot->paths[0], "/b");
        assert_string_equal(slot->paths[1], "/a");
        assert_int_equal(slot->perms, MQFS_PERM_READ | MQFS_PERM_WRITE | MQFS_PERM_DELETE);
        assert_int_equal(slot->nperm_list, 4);
        assert_int_equal(slot->perm_list[0], MQFS_PERM_WRITE);
        assert_int_equal(slot->perm_list[1], MQFS_PERM_READ);
        assert_int_equal(slot->perm_list[2], MQFS_PERM_WRITE);
        assert_int_equal(slot->perm_list[3], MQFS_PERM_DELETE);
        assert_int_equal(slot->line, 3);
        const struct mqfs_plug *plug = mqfs_snap_yaml_plug(snap, "mq");
        assert_non_null(plug);
        assert_string_equal(plug->label, "shared-label");
        assert_int_equal(plug->line, 9);
        assert_null(mqfs_snap_yaml_plug(snap, "other"));
        assert_null(mqfs_snap_yaml_slot(snap, "other"));
        mqfs_snap_yaml_free(snap);
}

static void test_defaults(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: p\n"
                                               "slots:\n"
                                               "  s: {interface: posix-mq, path: /q}\n"
                                               "  e: {interface: posix-mq, posix-mq: '', path: /q,"
                                               " permissions: []}\n");
        const struct mqfs_slot *s = mqfs_snap_yaml_slot(snap, "s");
        assert_non_null(s);
        assert_string_equal(s->label, "s");
        assert_int_equal(s->perms, MQFS_PERM_READ | MQFS_PERM_WRITE);
        assert_int_equal(s->nperm_list, 2);
        assert_int_equal(s->perm_list[0], MQFS_PERM_READ);
        assert_int_equal(s->perm_list[1], MQFS_PERM_WRITE);
        const struct mqfs_slot *e = mqfs_snap_yaml_slot(snap, "e");
        assert_non_null(e);
        assert_string_equal(e->label, "e"); /* "" defaults to the name too */
        assert_int_equal(e->perms, 0);
        assert_int_equal(e->nperm_list, 0);
        mqfs_snap_yaml_free(snap);
}

static void test_shorthand_forms(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: c\n"
                                               "plugs:\n"
                                               "  posix-mq: null\n"
                                               "  by-value: posix-mq\n"
                                               "  empty-iface: {interface: '', posix-mq: x}\n"
                                               "slots:\n"
                                               "  posix-mq: {path: /implicit}\n"
                                               "  short: posix-mq\n");
        assert_int_equal(snap->nplugs, 2);
        assert_non_null(mqfs_snap_yaml_plug(snap, "posix-mq"));
        assert_string_equal(mqfs_snap_yaml_plug(snap, "posix-mq")->label, "posix-mq");
        assert_non_null(mqfs_snap_yaml_plug(snap, "by-value"));
        /* interface "" means the name, which is not posix-mq: ignored */
        assert_null(mqfs_snap_yaml_plug(snap, "empty-iface"));
        const struct mqfs_slot *slot = mqfs_snap_yaml_slot(snap, "posix-mq");
        assert_non_null(slot);
        assert_string_equal(slot->paths[0], "/implicit");
        /* a slot given by its interface name alone has no path */
        assert_int_equal(snap->nbad, 1);
        assert_string_equal(snap->bad[0].name, "short");
        assert_string_equal(snap->bad[0].reason, "posix-mq slot requires the \"path\" attribute");
        mqfs_snap_yaml_free(snap);

        snap = parse_ok("name: c\nplugs:\n  posix-mq: {}\n  ~also: {}\n");
        assert_int_equal(snap->nplugs, 1);
        assert_string_equal(snap->plugs[0].name, "posix-mq");
        mqfs_snap_yaml_free(snap);
}

static void test_app_level_names(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: c\n"
                                               "plugs:\n"
                                               "  defined: {interface: posix-mq, posix-mq: lbl}\n"
                                               "apps:\n"
                                               "  one: {command: x, plugs: [posix-mq, defined, "
                                               "network]}\n"
                                               "  two: {plugs: [posix-mq, 42, [nested]], slots: "
                                               "[posix-mq]}\n"
                                               "hooks:\n"
                                               "  install: {plugs: [posix-mq]}\n");
        assert_int_equal(snap->nplugs, 2);
        const struct mqfs_plug *implicit = mqfs_snap_yaml_plug(snap, "posix-mq");
        assert_non_null(implicit);
        assert_string_equal(implicit->label, "posix-mq");
        assert_int_equal(implicit->line, 5);
        assert_string_equal(mqfs_snap_yaml_plug(snap, "defined")->label, "lbl");
        /* the listed slot has no path */
        assert_int_equal(snap->nslots, 0);
        assert_int_equal(snap->nbad, 1);
        assert_string_equal(snap->bad[0].name, "posix-mq");
        mqfs_snap_yaml_free(snap);

        /* a name listed under a hook alone declares the plug as well */
        snap = parse_ok("name: c\nhooks:\n  configure:\n    plugs: [posix-mq]\n");
        assert_int_equal(snap->nplugs, 1);
        mqfs_snap_yaml_free(snap);
}

static void test_other_interfaces_ignored(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: c\n"
                                               "plugs:\n"
                                               "  network: null\n"
                                               "  home: {interface: home, path: 42}\n"
                                               "  weird: {interface: [posix-mq]}\n"
                                               "  number: 42\n"
                                               "  listy: [posix-mq]\n"
                                               "  Bad_Name: {interface: content}\n"
                                               "slots:\n"
                                               "  x: {interface: content, path: [1, 2]}\n"
                                               "  y: network\n"
                                               "apps:\n"
                                               "  a: {plugs: [network, x11]}\n");
        assert_int_equal(snap->nplugs, 0);
        assert_int_equal(snap->nslots, 0);
        assert_int_equal(snap->nbad, 0);
        assert_null(mqfs_snap_yaml_report(snap));
        mqfs_snap_yaml_free(snap);
}

static void test_unknown_attributes_and_plug_paths_ignored(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: c\n"
                                               "plugs:\n"
                                               "  p: {interface: posix-mq, path: [[x]], "
                                               "permissions: {a: b}, extra: [1]}\n"
                                               "slots:\n"
                                               "  s: {interface: posix-mq, path: /q, color: "
                                               "blue, $weird: 1}\n");
        assert_int_equal(snap->nplugs, 1);
        assert_int_equal(snap->nslots, 1);
        assert_int_equal(snap->nbad, 0);
        mqfs_snap_yaml_free(snap);
}

static void test_duplicate_keys_last_wins(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: c\n"
                                               "slots:\n"
                                               "  s: {interface: posix-mq, path: /first}\n"
                                               "  s: {interface: posix-mq, path: /second, path: "
                                               "/third}\n"
                                               "  t: {interface: posix-mq, path: /t}\n"
                                               "  t: {interface: network}\n");
        assert_int_equal(snap->nslots, 1);
        assert_string_equal(snap->slots[0].name, "s");
        assert_string_equal(snap->slots[0].paths[0], "/third");
        mqfs_snap_yaml_free(snap);
}

/* ---- typed scalars (go-yaml v2 resolution) ---- */

static void expect_path_string(const char *value, const char *path)
{
        char text[512];
        snprintf(text, sizeof(text), "name: p\nslots:\n  s: {interface: posix-mq, path: %s}\n",
                 value);
        struct mqfs_snap_yaml *snap = parse_ok(text);
        const struct mqfs_slot *slot = single_slot(snap);
        if (strcmp(slot->paths[0], path) != 0)
                fail_msg("path: %s gave %s, expected %s", value, slot->paths[0], path);
        mqfs_snap_yaml_free(snap);
}

static void expect_path_not_string(const char *value)
{
        char text[512];
        snprintf(text, sizeof(text), "name: p\nslots:\n  s: {interface: posix-mq, path: %s}\n",
                 value);
        expect_single_bad(text, "s",
                          "posix-mq slot \"path\" attribute must be a string or a list of "
                          "strings");
}

static void test_typed_scalars_path(void **state)
{
        (void)state;
        static const char *const not_strings[] = {
            "42",
            "-7",
            "+7",
            "0x1F",
            "0o17",
            "0b101",
            "017",
            "08",
            "1_000",
            "1.5",
            ".5",
            "1e5",
            "-1.5E+3",
            ".inf",
            "-.Inf",
            ".NaN",
            "true",
            "False",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "N",
            "~",
            "null",
            "NULL",
            "",
            "!!int \"42\"",
            "!!bool yes",
            "!custom x",
            "[1]",
            "{a: b}",
            "18446744073709551615",
            "99999999999999999999999",
        };
        for (size_t i = 0; i < sizeof(not_strings) / sizeof(*not_strings); i++)
                expect_path_not_string(not_strings[i]);

        expect_path_string("\"42\"", "/42");
        expect_path_string("'true'", "/true");
        expect_path_string("!!str 42", "/42");
        expect_path_string("!!str yes", "/yes");
        expect_path_string("! 42", "/42");
        expect_path_string("&anchor !!str 7", "/7");
        expect_path_string("[\"1\", !!str 2]", "/1");
        expect_path_string("0x", "/0x");                 /* not a valid Go integer */
        expect_path_string("1e400", "/1e400");           /* ParseFloat overflows: a string */
        expect_path_string("2001-12-14", "/2001-12-14"); /* a timestamp stays a string */
        expect_path_string("1:20", "/1:20");
        expect_path_string("yes-please", "/yes-please");
        expect_path_string("0x1G", "/0x1G");
        expect_path_string("-", "/-");
        expect_path_string("._5", "/._5");
        expect_path_string("\"\\u00e9t\\u00e9\"", "/\xc3\xa9t\xc3\xa9");
}

static void test_typed_scalars_label_and_permissions(void **state)
{
        (void)state;
        expect_single_bad("name: p\nplugs:\n  p: {interface: posix-mq, posix-mq: 42}\n", "p",
                          "posix-mq \"posix-mq\" attribute must be a string");
        expect_single_bad("name: p\nplugs:\n  p: {interface: posix-mq, posix-mq: ~}\n", "p",
                          "posix-mq \"posix-mq\" attribute must be a string");
        expect_single_bad("name: p\nplugs:\n  p: {interface: posix-mq, posix-mq: !!int '42'}\n",
                          "p", "posix-mq \"posix-mq\" attribute must be a string");
        struct mqfs_snap_yaml *snap =
            parse_ok("name: p\nplugs:\n  p: {interface: posix-mq, posix-mq: '42'}\n");
        assert_string_equal(snap->plugs[0].label, "42");
        mqfs_snap_yaml_free(snap);

        const char *list = "posix-mq slot \"permissions\" attribute must be a list of strings";
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "[read, yes]}\n",
                          "s", list);
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "~}\n",
                          "s", list);
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "read}\n",
                          "s", list);
        /* the list must be all strings before any word is judged */
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "[bogus, 1]}\n",
                          "s", list);
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "[read, 'yes']}\n",
                          "s",
                          "posix-mq slot permission \"yes\" not valid, must be one of [open read "
                          "write create delete]");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                          "[Read]}\n",
                          "s",
                          "posix-mq slot permission \"Read\" not valid, must be one of [open read "
                          "write create delete]");
        snap = parse_ok("name: p\nslots:\n  s: {interface: posix-mq, path: /q, permissions: "
                        "[!!str read, \"open\"]}\n");
        assert_int_equal(single_slot(snap)->perms, MQFS_PERM_READ | MQFS_PERM_OPEN);
        mqfs_snap_yaml_free(snap);
}

/* ---- validation order and reasons beyond the shared cases ---- */

static void test_validation_order(void **state)
{
        (void)state;
        /* the identifier is checked before permissions, permissions before the path */
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, posix-mq: [x], "
                          "permissions: [bad]}\n",
                          "s", "posix-mq \"posix-mq\" attribute must be a string");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, permissions: [bad]}\n", "s",
                          "posix-mq slot permission \"bad\" not valid, must be one of [open read "
                          "write create delete]");
        /* values are judged one by one: the first bad value decides */
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: ['/a?', '']}\n", "s",
                          "posix-mq \"path\" attribute is invalid: /a?");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: ['', '/a?']}\n", "s",
                          "posix-mq slot \"path\" attribute values cannot be empty");
        /* a list with a non-string is refused as a whole, before any value is judged */
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: ['', 1]}\n", "s",
                          "posix-mq slot \"path\" attribute must be a string or a list of "
                          "strings");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /a/b}\n", "s",
                          "posix-mq \"path\" attribute must conform to the POSIX message queue "
                          "name specifications (see \"man mq_overview\"): /a/b");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: /}\n", "s",
                          "posix-mq \"path\" attribute must conform to the POSIX message queue "
                          "name specifications (see \"man mq_overview\"): /");
        expect_single_bad("name: p\nslots:\n  s: {interface: posix-mq, path: ..}\n", "s",
                          "posix-mq \"path\" attribute is not a clean path: \"/..\"");
        static const char *const aare[] = {"?", "*", "[", "]", "{", "}", "^", "\\\""};
        for (size_t i = 0; i < sizeof(aare) / sizeof(*aare); i++) {
                char text[256], reason[256];
                snprintf(text, sizeof(text),
                         "name: p\nslots:\n  s: {interface: posix-mq, path: \"/a%sb\"}\n", aare[i]);
                snprintf(reason, sizeof(reason), "posix-mq \"path\" attribute is invalid: /a%sb",
                         i == 7 ? "\"" : aare[i]);
                expect_single_bad(text, "s", reason);
        }
}

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);
        assert_non_null(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

static void test_queue_name_length(void **state)
{
        (void)state;
        char *name255 = repeat('q', 255), *name256 = repeat('q', 256), *text = NULL;
        assert_true(asprintf(&text, "name: p\nslots:\n  s: {interface: posix-mq, path: %s}\n",
                             name255) > 0);
        struct mqfs_snap_yaml *snap = parse_ok(text);
        assert_int_equal(strlen(single_slot(snap)->paths[0]), 256);
        mqfs_snap_yaml_free(snap);
        free(text);

        char *reason = NULL;
        assert_true(asprintf(&text, "name: p\nslots:\n  s: {interface: posix-mq, path: /%s}\n",
                             name256) > 0);
        assert_true(asprintf(&reason,
                             "posix-mq \"path\" attribute must conform to the POSIX message "
                             "queue name specifications (see \"man mq_overview\"): /%s",
                             name256) > 0);
        expect_single_bad(text, "s", reason);
        free(text);
        free(reason);
        /* 128 two-byte characters are 256 bytes: too long for the kernel */
        char two_byte[257 + 1] = "";
        for (size_t i = 0; i < 128; i++)
                memcpy(two_byte + 2 * i, "\xc3\xa9", 3);
        assert_true(asprintf(&text, "name: p\nslots:\n  s: {interface: posix-mq, path: %s}\n",
                             two_byte) > 0);
        snap = parse_ok(text);
        assert_int_equal(snap->nslots, 0);
        assert_int_equal(snap->nbad, 1);
        mqfs_snap_yaml_free(snap);
        free(text);
        free(name255);
        free(name256);
}

static void test_hostile_characters_escaped(void **state)
{
        (void)state;
        const char *invalid = "posix-mq \"path\" attribute is invalid: ";
        struct {
                const char *yaml, *shown;
        } cases[] = {
            {"\"/a\\nb\"", "/a\\nb"},     {"\"/a\\tb\"", "/a\\tb"},     {"'/a\\b'", "/a\\\\b"},
            {"\"/a\\x01b\"", "/a\\x01b"}, {"\"/a\\x7fb\"", "/a\\x7fb"}, {"\"/a\\rb\"", "/a\\rb"},
            {"\"/a\\0b\"", "/a\\x00b"},   {"\"/a\\x1bb\"", "/a\\x1bb"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char text[256], reason[256];
                snprintf(text, sizeof(text),
                         "name: p\nslots:\n  s: {interface: posix-mq, path: %s}\n", cases[i].yaml);
                snprintf(reason, sizeof(reason), "%s%s", invalid, cases[i].shown);
                expect_single_bad(text, "s", reason);
        }
        /* a path that is too long and holds a newline: escaped in the conform reason too */
        char *long_name = repeat('x', 300), *text = NULL;
        assert_true(asprintf(&text,
                             "name: p\nslots:\n  s: {interface: posix-mq, path: \"/a\\n%s\"}\n",
                             long_name) > 0);
        struct mqfs_snap_yaml *snap = parse_ok(text);
        assert_int_equal(snap->nbad, 1);
        assert_non_null(strstr(snap->bad[0].reason, "/a\\nxxx"));
        assert_null(strchr(snap->bad[0].reason, '\n'));
        mqfs_snap_yaml_free(snap);
        free(text);
        free(long_name);

        /* bad names: escaped in the reason and in the report line */
        snap = parse_ok("name: \"sn\\nap\"\n"
                        "plugs:\n"
                        "  \"bad\\nname\": {interface: posix-mq}\n"
                        "  Upper: {interface: posix-mq}\n"
                        "  \"q\\\"uote\": {interface: posix-mq}\n"
                        "  \"nul\\0byte\": {interface: posix-mq}\n"
                        "  trailing-: {interface: posix-mq}\n"
                        "  double--dash: {interface: posix-mq}\n"
                        "  ok-name: {interface: posix-mq}\n"
                        "  42: {interface: posix-mq}\n"
                        "  true: {interface: posix-mq}\n"
                        "  ? [list, key]\n"
                        "  : {interface: posix-mq}\n"
                        "slots:\n"
                        "  \"back\\\\slash\": {interface: posix-mq, path: /q}\n");
        assert_int_equal(snap->nplugs, 1);
        assert_string_equal(snap->plugs[0].name, "ok-name");
        assert_int_equal(snap->nslots, 0);
        assert_string_equal(reason_of(snap, "bad\nname"), "invalid plug name: \"bad\\nname\"");
        assert_string_equal(reason_of(snap, "Upper"), "invalid plug name: \"Upper\"");
        assert_string_equal(reason_of(snap, "q\"uote"), "invalid plug name: \"q\"uote\"");
        assert_string_equal(reason_of(snap, "nul\\x00byte"), "invalid plug name: \"nul\\x00byte\"");
        assert_string_equal(reason_of(snap, "trailing-"), "invalid plug name: \"trailing-\"");
        assert_string_equal(reason_of(snap, "double--dash"), "invalid plug name: \"double--dash\"");
        assert_string_equal(reason_of(snap, "42"), "invalid plug name: \"42\"");
        assert_string_equal(reason_of(snap, "true"), "invalid plug name: \"true\"");
        assert_string_equal(reason_of(snap, ""), "invalid plug name: \"\"");
        assert_string_equal(reason_of(snap, "back\\slash"), "invalid slot name: \"back\\\\slash\"");
        char *report = mqfs_snap_yaml_report(snap);
        assert_non_null(report);
        assert_null(strchr(report, '\n'));
        const char *start = "snap \"sn\\nap\" has bad plugs or slots:  (invalid plug name: "
                            "\"\"); 42 (invalid plug name: \"42\"); Upper";
        assert_true(strncmp(report, start, strlen(start)) == 0);
        assert_non_null(strstr(report, "; bad\\nname (invalid plug name: \"bad\\nname\"); "));
        free(report);
        mqfs_snap_yaml_free(snap);

        /* an identifier with a NUL byte could not be told from its prefix */
        expect_single_bad("name: p\nplugs:\n  p: {interface: posix-mq, posix-mq: \"a\\0b\"}\n", "p",
                          "posix-mq \"posix-mq\" attribute must not contain a NUL byte");
}

static void test_report_line_in_name_order(void **state)
{
        (void)state;
        struct mqfs_snap_yaml *snap = parse_ok("name: producer\n"
                                               "slots:\n"
                                               "  zeta: {interface: posix-mq}\n"
                                               "  alpha: {interface: posix-mq, path: []}\n"
                                               "  good: {interface: posix-mq, path: /g}\n"
                                               "plugs:\n"
                                               "  mid: {interface: posix-mq, posix-mq: [x]}\n");
        assert_int_equal(snap->nbad, 3);
        assert_int_equal(snap->nslots, 1);
        assert_int_equal(snap->bad[0].line, 4);
        char *report = mqfs_snap_yaml_report(snap);
        assert_string_equal(report,
                            "snap \"producer\" has bad plugs or slots: alpha (posix-mq slot "
                            "requires at least one value in the \"path\" attribute); mid "
                            "(posix-mq \"posix-mq\" attribute must be a string); zeta (posix-mq "
                            "slot requires the \"path\" attribute)");
        free(report);
        mqfs_snap_yaml_free(snap);
}

static void test_name_rules(void **state)
{
        (void)state;
        static const char *const good_snaps[] = {"a", "a1", "1a", "a-b", "0-a-0", "abc-123"};
        static const char *const bad_snaps[] = {
            "",  "1",   "-a",  "a-",    "a--b",
            "A", "a_b", "a.b", "12-34", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
        for (size_t i = 0; i < sizeof(good_snaps) / sizeof(*good_snaps); i++)
                assert_true(mqfs_snap_name_valid(good_snaps[i], strlen(good_snaps[i])));
        for (size_t i = 0; i < sizeof(bad_snaps) / sizeof(*bad_snaps); i++)
                if (mqfs_snap_name_valid(bad_snaps[i], strlen(bad_snaps[i])))
                        fail_msg("snap name \"%s\" accepted", bad_snaps[i]);
        assert_true(mqfs_snap_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40));
        assert_false(mqfs_snap_name_valid("a\0b", 3));
        assert_false(mqfs_snap_name_valid("a-", 1 + 1));
        assert_true(mqfs_snap_name_valid("a-", 1)); /* only len bytes count */

        static const char *const good_plugs[] = {"a", "a1", "a-b", "posix-mq", "a-1-b"};
        static const char *const bad_plugs[] = {"", "1a", "-a", "a-", "a--b", "A", "a_b", "a b"};
        for (size_t i = 0; i < sizeof(good_plugs) / sizeof(*good_plugs); i++)
                assert_true(mqfs_plug_name_valid(good_plugs[i], strlen(good_plugs[i])));
        for (size_t i = 0; i < sizeof(bad_plugs) / sizeof(*bad_plugs); i++)
                if (mqfs_plug_name_valid(bad_plugs[i], strlen(bad_plugs[i])))
                        fail_msg("plug name \"%s\" accepted", bad_plugs[i]);
}

/* ---- documents refused as a whole ---- */

static void test_not_a_mapping(void **state)
{
        (void)state;
        static const char *const texts[] = {"- a\n- b\n", "just a string\n",   "", "~\n",
                                            "42\n",       "# only a comment\n"};
        for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
                char *error = parse_fails(texts[i], strlen(texts[i]));
                assert_non_null(strstr(error, "must be a map"));
                free(error);
        }
        char *error = parse_fails("name: x\nplugs: [a, b]\n", 22);
        assert_non_null(strstr(error, "test.yaml:2: \"plugs\" must be a map"));
        free(error);
        error = parse_fails("name: x\nslots: just-text\n", 25);
        assert_non_null(strstr(error, "\"slots\" must be a map"));
        free(error);
        /* an empty plugs: is fine */
        struct mqfs_snap_yaml *snap = parse_ok("name: x\nplugs:\nslots: {}\n");
        assert_int_equal(snap->nplugs + snap->nslots + snap->nbad, 0);
        mqfs_snap_yaml_free(snap);
}

static void test_not_yaml(void **state)
{
        (void)state;
        char *error = parse_fails("name: x\nslots: {a: [\n", 21);
        assert_non_null(strstr(error, "not valid YAML"));
        free(error);
        error = parse_fails("a: b\n  c: d\n", 12);
        assert_non_null(strstr(error, "test.yaml:2: not valid YAML"));
        free(error);
        /* invalid UTF-8: libyaml refuses the input, with a message saying so */
        const char bad_utf8[] = "name: x\nslots:\n  s: {interface: posix-mq, path: /a\xff}\n";
        error = parse_fails(bad_utf8, sizeof(bad_utf8) - 1);
        assert_non_null(strstr(error, "test.yaml:3: not valid YAML"));
        assert_non_null(strstr(error, "UTF-8"));
        free(error);
        /* a NUL byte in the input is no YAML either */
        error = parse_fails("name: x\0y\n", 10);
        free(error);
        /* the snap name must not hold a NUL byte */
        error = parse_fails("name: \"x\\0y\"\n", 13);
        assert_non_null(strstr(error, "NUL"));
        free(error);
}

static void test_huge_scalar(void **state)
{
        (void)state;
        size_t big = 1 << 20;
        char *value = repeat('v', big), *text = NULL;
        assert_true(asprintf(&text,
                             "name: p\nslots:\n  s: {interface: posix-mq, posix-mq: %s, "
                             "path: %s}\n",
                             value, value) > 0);
        struct mqfs_snap_yaml *snap = parse_ok(text);
        assert_int_equal(snap->nbad, 1);
        assert_non_null(strstr(snap->bad[0].reason, "must conform"));
        const char *prefix = "posix-mq \"path\" attribute must conform to the POSIX message "
                             "queue name specifications (see \"man mq_overview\"): /";
        assert_int_equal(strlen(snap->bad[0].reason), strlen(prefix) + big);
        assert_true(strncmp(snap->bad[0].reason, prefix, strlen(prefix)) == 0);
        mqfs_snap_yaml_free(snap);
        free(text);
        /* as a plug name (an explicit key: implicit keys stop at 1024 characters):
         * refused, and kept in full */
        assert_true(asprintf(&text, "name: p\nplugs:\n  ? %s\n  : {interface: posix-mq}\n", value) >
                    0);
        text[strlen("name: p\nplugs:\n  ? ")] = 'V'; /* upper case: not a valid name */
        snap = parse_ok(text);
        assert_int_equal(snap->nbad, 1);
        assert_int_equal(strlen(snap->bad[0].name), big);
        mqfs_snap_yaml_free(snap);
        free(text);
        free(value);
}

static char *nested(size_t depth)
{
        size_t len = strlen("name: p\nslots:\n  s: {interface: posix-mq, path: ") + 2 * depth + 3;
        char *text = malloc(len + 1);
        assert_non_null(text);
        size_t o = (size_t)sprintf(text, "name: p\nslots:\n  s: {interface: posix-mq, path: ");
        memset(text + o, '[', depth);
        memset(text + o + depth, ']', depth);
        strcpy(text + o + 2 * depth, "}\n");
        return text;
}

static void test_deep_nesting(void **state)
{
        (void)state;
        /* within the limits: judged as a path that is not a list of strings */
        char *text = nested(9);
        expect_single_bad(text, "s",
                          "posix-mq slot \"path\" attribute must be a string or a list of "
                          "strings");
        free(text);

        /* 100,000 levels: refused early (libyaml's cost per token grows with the depth) */
        text = nested(100000);
        char *error = parse_fails(text, strlen(text));
        assert_non_null(strstr(error, "test.yaml:3: [...] and {...} nested more than 10 deep"));
        free(error);
        free(text);

        /* block nesting counts too */
        char *block = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&block, &size);
        assert_non_null(f);
        for (int i = 0; i < 200; i++)
                fprintf(f, "%*s- \n", 2 * i, "");
        fclose(f);
        error = parse_fails(block, size);
        assert_non_null(strstr(error, "nested more than 64 deep"));
        free(error);
        free(block);
}

static void test_anchors_and_aliases(void **state)
{
        (void)state;
        /* honest reuse works */
        struct mqfs_snap_yaml *snap = parse_ok("name: p\n"
                                               "slots:\n"
                                               "  a: &def {interface: posix-mq, path: &paths [/x, "
                                               "/y], permissions: &rw [read, write]}\n"
                                               "  b: {interface: posix-mq, path: *paths, "
                                               "permissions: *rw}\n"
                                               "  c: *def\n");
        assert_int_equal(snap->nslots, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(snap->slots[i].npaths, 2);
                assert_string_equal(snap->slots[i].paths[1], "/y");
        }
        mqfs_snap_yaml_free(snap);

        /* a node that contains itself: no loop */
        snap = parse_ok("name: p\nslots: &s\n  posix-mq: *s\n  x: {interface: posix-mq, path: &l "
                        "[*l]}\n");
        assert_int_equal(snap->nslots, 0);
        assert_int_equal(snap->nbad, 2);
        assert_string_equal(reason_of(snap, "posix-mq"),
                            "posix-mq \"posix-mq\" attribute must be a string");
        mqfs_snap_yaml_free(snap);

        /* billion laughs: ten levels of ten aliases, used where the parser looks */
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        assert_non_null(f);
        fprintf(f, "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
                fprintf(f, "l%d: &l%d [", i, i);
                for (int k = 0; k < 10; k++)
                        fprintf(f, "%s*l%d", k ? ", " : "", i - 1);
                fprintf(f, "]\n");
        }
        fprintf(f, "name: *l9\nplugs: {p: {interface: posix-mq, posix-mq: *l9}}\n"
                   "slots: {s: {interface: posix-mq, path: *l9, permissions: *l9}}\n"
                   "apps: {a: {plugs: *l9}}\n");
        fclose(f);
        snap = parse_ok(text);
        assert_int_equal(snap->nbad, 2);
        assert_string_equal(snap->name, "");
        mqfs_snap_yaml_free(snap);
        free(text);

        /* too many anchors: refused before libyaml's linear anchor lookups add up */
        f = open_memstream(&text, &size);
        assert_non_null(f);
        fprintf(f, "name: p\nx:\n");
        for (int i = 0; i < 300; i++)
                fprintf(f, "  - &a%d v\n", i);
        fclose(f);
        char *error = parse_fails(text, size);
        assert_non_null(strstr(error, "test.yaml:67: more than 64 anchors"));
        free(error);
        free(text);

        /* an alias to no anchor */
        error = parse_fails("name: p\nplugs: *nowhere\n", 25);
        assert_non_null(strstr(error, "not valid YAML"));
        free(error);

        /* the same path list aliased by many slots would copy it too often: refused */
        f = open_memstream(&text, &size);
        assert_non_null(f);
        fprintf(f, "name: p\npaths: &p [");
        for (int i = 0; i < 2000; i++)
                fprintf(f, "%s/q%d", i ? ", " : "", i);
        fprintf(f, "]\nslot: &s {interface: posix-mq, path: *p}\nslots:\n");
        for (int i = 0; i < 20000; i++)
                fprintf(f, "  s%d: *s\n", i);
        fclose(f);
        error = parse_fails(text, size);
        assert_non_null(strstr(error, "aliases"));
        free(error);
        free(text);
}

/* ---- files and nodes ---- */

static void test_load_file(void **state)
{
        (void)state;
        char dir[] = "/tmp/test_snapyaml.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128], fifo[128], missing[128], big[128];
        snprintf(path, sizeof(path), "%s/snap.yaml", dir);
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        snprintf(missing, sizeof(missing), "%s/missing.yaml", dir);
        snprintf(big, sizeof(big), "%s/big.yaml", dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs("name: p\nslots:\n  s: {interface: posix-mq, path: !!str 1}\n", f);
        fclose(f);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        f = fopen(big, "we");
        assert_non_null(f);
        assert_int_equal(ftruncate(fileno(f), (4 << 20) + 1), 0);
        fclose(f);

        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;
        assert_int_equal(mqfs_snap_yaml_load(path, &snap, &error), 0);
        assert_string_equal(single_slot(snap)->paths[0], "/1"); /* the tag is seen from files */
        mqfs_snap_yaml_free(snap);

        assert_int_equal(mqfs_snap_yaml_load(missing, &snap, &error), -ENOENT);
        assert_non_null(strstr(error, missing));
        assert_non_null(strstr(error, "No such file"));
        free(error);
        assert_int_equal(mqfs_snap_yaml_load(fifo, &snap, &error), -EINVAL);
        assert_non_null(strstr(error, "not a regular file"));
        free(error);
        assert_int_equal(mqfs_snap_yaml_load(dir, &snap, &error), -EINVAL);
        free(error);
        assert_int_equal(mqfs_snap_yaml_load(big, &snap, &error), -EFBIG);
        assert_non_null(strstr(error, "larger than"));
        free(error);

        unlink(path);
        unlink(fifo);
        unlink(big);
        assert_int_equal(rmdir(dir), 0);
}

static void test_from_node(void **state)
{
        (void)state;
        const char *text = "outer:\n  inner:\n    name: nn\n    plugs: {p: posix-mq}\n";
        yaml_parser_t parser;
        yaml_document_t doc;
        assert_true(yaml_parser_initialize(&parser));
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
        assert_true(yaml_parser_load(&parser, &doc));
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        yaml_node_t *outer = yaml_document_get_node(&doc, root->data.mapping.pairs.start->value);
        yaml_node_t *inner = yaml_document_get_node(&doc, outer->data.mapping.pairs.start->value);
        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;
        assert_int_equal(mqfs_snap_yaml_from_node(&doc, inner, "sys.yaml", &snap, &error), 0);
        assert_string_equal(snap->name, "nn");
        assert_int_equal(snap->nplugs, 1);
        mqfs_snap_yaml_free(snap);
        yaml_node_t *scalar = yaml_document_get_node(&doc, root->data.mapping.pairs.start->key);
        assert_int_equal(mqfs_snap_yaml_from_node(&doc, scalar, "sys.yaml", &snap, &error),
                         -EINVAL);
        assert_non_null(strstr(error, "sys.yaml:1:"));
        free(error);
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_conformance_cases, load_conf, free_conf),
            cmocka_unit_test(test_full_slot_and_plug),
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_shorthand_forms),
            cmocka_unit_test(test_app_level_names),
            cmocka_unit_test(test_other_interfaces_ignored),
            cmocka_unit_test(test_unknown_attributes_and_plug_paths_ignored),
            cmocka_unit_test(test_duplicate_keys_last_wins),
            cmocka_unit_test(test_typed_scalars_path),
            cmocka_unit_test(test_typed_scalars_label_and_permissions),
            cmocka_unit_test(test_validation_order),
            cmocka_unit_test(test_queue_name_length),
            cmocka_unit_test(test_hostile_characters_escaped),
            cmocka_unit_test(test_report_line_in_name_order),
            cmocka_unit_test(test_name_rules),
            cmocka_unit_test(test_not_a_mapping),
            cmocka_unit_test(test_not_yaml),
            cmocka_unit_test(test_huge_scalar),
            cmocka_unit_test(test_deep_nesting),
            cmocka_unit_test(test_anchors_and_aliases),
            cmocka_unit_test(test_load_file),
            cmocka_unit_test(test_from_node),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
