/* fuzz_snapyaml.c — snap.yaml parsing and validation (policy/snapyaml.h, SPEC §2.1, §2.2).
 *
 * The input is a snap.yaml document. Besides the sanitizers, the target checks what the
 * header and SPEC promise about what comes out:
 *  - the result is 0, -EINVAL (with an "ORIGIN:LINE: ..." message of one line) or -ENOMEM;
 *  - plugs and slots are sorted, unique, carry valid names and non-empty identifiers, and
 *    the lookups find each of them;
 *  - every kept slot path is a queue name the rule generator accepts
 *    (mqfs_apparmor_name_ok: SPEC §2.2 says validated paths always pass), so a snap.yaml
 *    can never smuggle a pattern, quote or control byte into a rule;
 *  - permission bits and the written list agree;
 *  - the report exists exactly when something is bad, is one printable line, and names
 *    every bad entry's reason (a newline in it would let a snap forge log lines);
 *  - mqfs_snap_yaml_from_node, given the document libyaml's own loader makes of the same
 *    text, finds exactly the same plugs, slots and bad entries (compared when the text
 *    has no '!': snapyaml.h says explicit tags are seen only by the parser). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "apparmor.h"
#include "fuzz_check.h"
#include "perm.h"
#include "snapyaml.h"

#define ORIGIN "fuzz-snap.yaml"

static void check_names_sorted(const char *what, const char *prev, const char *name, bool strict)
{
        if (prev == NULL)
                return;
        int c = strcmp(prev, name);
        FUZZ_CHECK(strict ? c < 0 : c <= 0, "%s not sorted: \"%s\" before \"%s\"", what, prev,
                   name);
}

static void check_plug(const struct mqfs_snap_yaml *snap, const struct mqfs_plug *p)
{
        FUZZ_CHECK(p->name && mqfs_plug_name_valid(p->name, strlen(p->name)),
                   "kept a plug with an invalid name");
        FUZZ_CHECK(p->label && p->label[0], "plug \"%s\" has no identifier", p->name);
        FUZZ_CHECK(mqfs_snap_yaml_plug(snap, p->name) == p, "lookup of plug \"%s\" failed",
                   p->name);
}

static void check_slot(const struct mqfs_snap_yaml *snap, const struct mqfs_slot *s)
{
        FUZZ_CHECK(s->name && mqfs_plug_name_valid(s->name, strlen(s->name)),
                   "kept a slot with an invalid name");
        FUZZ_CHECK(s->label && s->label[0], "slot \"%s\" has no identifier", s->name);
        FUZZ_CHECK(mqfs_snap_yaml_slot(snap, s->name) == s, "lookup of slot \"%s\" failed",
                   s->name);
        FUZZ_CHECK(s->npaths >= 1 && s->paths, "slot \"%s\" kept without a path", s->name);
        for (size_t i = 0; i < s->npaths; i++) {
                const char *path = s->paths[i];
                FUZZ_CHECK(path && mqfs_apparmor_name_ok(path),
                           "slot \"%s\" kept path %zu that no rule may carry", s->name, i);
        }
        FUZZ_CHECK((s->perms & ~(unsigned)MQFS_PERM_ALL) == 0, "slot \"%s\" perms 0x%x", s->name,
                   s->perms);
        unsigned listed = 0;
        for (size_t i = 0; i < s->nperm_list; i++) {
                FUZZ_CHECK(mqfs_perm_word(s->perm_list[i]) != NULL,
                           "slot \"%s\" perm_list[%zu] = 0x%x is not one permission", s->name, i,
                           s->perm_list[i]);
                listed |= s->perm_list[i];
        }
        FUZZ_CHECK(listed == s->perms, "slot \"%s\": perms 0x%x but the list gives 0x%x", s->name,
                   s->perms, listed);
}

static void check_report(const struct mqfs_snap_yaml *snap)
{
        char *report = mqfs_snap_yaml_report(snap);
        if (snap->nbad == 0) {
                FUZZ_CHECK(report == NULL, "a report without bad entries: %s", report);
                return;
        }
        FUZZ_CHECK(report != NULL, "no report for %zu bad entries", snap->nbad);
        FUZZ_CHECK(fuzz_one_line(report), "the report is not one printable line");
        FUZZ_CHECK(strncmp(report, "snap \"", 6) == 0 &&
                       strstr(report, "\" has bad plugs or slots: ") != NULL,
                   "report has the wrong form: %s", report);
        for (size_t i = 0; i < snap->nbad; i++) {
                const struct mqfs_bad *b = &snap->bad[i];
                FUZZ_CHECK(b->name && b->reason, "bad entry %zu without name or reason", i);
                FUZZ_CHECK(fuzz_one_line(b->reason), "a reason is not one printable line");
                FUZZ_CHECK(strstr(report, b->reason) != NULL, "the report lacks reason \"%s\"",
                           b->reason);
        }
        free(report);
}

static void check_same_strings(const char *what, const char *a, const char *b)
{
        FUZZ_CHECK(strcmp(a, b) == 0, "from_node and parse differ in %s: \"%s\" vs \"%s\"", what, a,
                   b);
}

static void check_same(const struct mqfs_snap_yaml *a, const struct mqfs_snap_yaml *b)
{
        check_same_strings("the snap name", a->name, b->name);
        FUZZ_CHECK(a->nplugs == b->nplugs && a->nslots == b->nslots && a->nbad == b->nbad,
                   "from_node and parse differ: %zu/%zu/%zu vs %zu/%zu/%zu plugs/slots/bad",
                   a->nplugs, a->nslots, a->nbad, b->nplugs, b->nslots, b->nbad);
        for (size_t i = 0; i < a->nplugs; i++) {
                check_same_strings("a plug name", a->plugs[i].name, b->plugs[i].name);
                check_same_strings("a plug identifier", a->plugs[i].label, b->plugs[i].label);
        }
        for (size_t i = 0; i < a->nslots; i++) {
                const struct mqfs_slot *x = &a->slots[i], *y = &b->slots[i];
                check_same_strings("a slot name", x->name, y->name);
                check_same_strings("a slot identifier", x->label, y->label);
                FUZZ_CHECK(x->npaths == y->npaths && x->perms == y->perms &&
                               x->nperm_list == y->nperm_list,
                           "from_node and parse differ on slot \"%s\"", x->name);
                for (size_t k = 0; k < x->npaths; k++)
                        check_same_strings("a slot path", x->paths[k], y->paths[k]);
                for (size_t k = 0; k < x->nperm_list; k++)
                        FUZZ_CHECK(x->perm_list[k] == y->perm_list[k],
                                   "from_node and parse differ on slot \"%s\" permission %zu",
                                   x->name, k);
        }
        for (size_t i = 0; i < a->nbad; i++) {
                check_same_strings("a bad entry", a->bad[i].name, b->bad[i].name);
                check_same_strings("a reason", a->bad[i].reason, b->bad[i].reason);
        }
}

/* The same text through libyaml's document loader and mqfs_snap_yaml_from_node. */
static void check_from_node(const uint8_t *data, size_t size, const struct mqfs_snap_yaml *parsed)
{
        yaml_parser_t parser;
        yaml_document_t doc;
        if (memchr(data, '!', size) != NULL || !yaml_parser_initialize(&parser))
                return;
        yaml_parser_set_input_string(&parser, data, size);
        if (yaml_parser_load(&parser, &doc)) {
                yaml_node_t *root = yaml_document_get_root_node(&doc);
                struct mqfs_snap_yaml *snap = NULL;
                char *error = NULL;
                int rc = root ? mqfs_snap_yaml_from_node(&doc, root, ORIGIN, &snap, &error) : 1;
                FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ENOMEM,
                           "parse accepted the text, from_node refused it: %d %s", rc,
                           error ? error : "");
                if (rc == 0)
                        check_same(parsed, snap);
                mqfs_snap_yaml_free(snap);
                free(error);
                yaml_document_delete(&doc);
        }
        yaml_parser_delete(&parser);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc, (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mqfs_snap_yaml *snap = NULL;
        char *error = NULL;
        int rc = mqfs_snap_yaml_parse((const char *)data, size, ORIGIN, &snap, &error);
        if (rc != 0) {
                FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM, "mqfs_snap_yaml_parse returned %d", rc);
                FUZZ_CHECK(error != NULL, "failure %d without a message", rc);
                FUZZ_CHECK(strncmp(error, ORIGIN ":", strlen(ORIGIN ":")) == 0,
                           "message does not start with the origin: %s", error);
                FUZZ_CHECK(fuzz_one_line(error), "the message is not one printable line");
                free(error);
                mqfs_snap_yaml_free(snap);
                return 0;
        }
        free(error);
        FUZZ_CHECK(snap != NULL && snap->name != NULL, "success without a snap");

        for (size_t i = 0; i < snap->nplugs; i++) {
                check_names_sorted("plugs", i ? snap->plugs[i - 1].name : NULL, snap->plugs[i].name,
                                   true);
                check_plug(snap, &snap->plugs[i]);
        }
        for (size_t i = 0; i < snap->nslots; i++) {
                check_names_sorted("slots", i ? snap->slots[i - 1].name : NULL, snap->slots[i].name,
                                   true);
                check_slot(snap, &snap->slots[i]);
        }
        for (size_t i = 1; i < snap->nbad; i++)
                check_names_sorted("bad", snap->bad[i - 1].name, snap->bad[i].name, false);
        check_report(snap);
        check_from_node(data, size, snap);
        mqfs_snap_yaml_free(snap);
        return 0;
}
