/* test_system.c — system.yaml loading, connection rules and grants (SPEC §2.3, §2.4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "grants.h"
#include "perm.h"
#include "system.h"

/* ---- helpers ---- */

static struct mqfs_system *load_ok(const char *text)
{
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int r =
            mqfs_system_load_buffer(text, strlen(text), "/nonexistent", "sys.yaml", &sys, &error);
        if (r != 0)
                fail_msg("load failed (%d): %s\n%s", r, error ? error : "?", text);
        assert_null(error);
        return sys;
}

static void dump_messages(const struct mqfs_system *sys)
{
        for (size_t i = 0; i < sys->nmessages; i++)
                fprintf(stderr, "  message: %s\n", sys->messages[i]);
}

/* The one message containing every given fragment (NULL-terminated list). */
static const char *message_with(const struct mqfs_system *sys, ...)
{
        const char *found = NULL;
        for (size_t i = 0; i < sys->nmessages; i++) {
                va_list ap;
                va_start(ap, sys);
                bool all = true;
                for (const char *frag = va_arg(ap, const char *); frag;
                     frag = va_arg(ap, const char *))
                        all = all && strstr(sys->messages[i], frag) != NULL;
                va_end(ap);
                if (all) {
                        if (found != NULL)
                                fail_msg("two messages match: %s / %s", found, sys->messages[i]);
                        found = sys->messages[i];
                }
        }
        if (found == NULL) {
                dump_messages(sys);
                fail_msg("no message with the expected text");
        }
        return found;
}

static void expect_no_messages(const struct mqfs_system *sys)
{
        if (sys->nmessages != 0) {
                dump_messages(sys);
                fail_msg("%zu unexpected messages", sys->nmessages);
        }
}

static bool connected(const struct mqfs_system *sys, const char *plug_snap, const char *plug,
                      const char *slot_snap, const char *slot, bool *manual)
{
        size_t n;
        const struct mqfs_connection *c = mqfs_system_plug_conns(sys, plug_snap, &n);
        for (size_t i = 0; i < n; i++) {
                assert_string_equal(c[i].plug_snap->name, plug_snap);
                if (strcmp(c[i].plug->name, plug) == 0 &&
                    strcmp(c[i].slot_snap->name, slot_snap) == 0 &&
                    strcmp(c[i].slot->name, slot) == 0) {
                        if (manual)
                                *manual = c[i].manual;
                        return true;
                }
        }
        return false;
}

static unsigned perms_of(const struct mqfs_system *sys, const char *snap, const char *queue)
{
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        unsigned perms = mqfs_grant_set_perms(mqfs_grant_table_set_of(g, snap), queue);
        mqfs_grant_table_unref(g);
        return perms;
}

/* A provider with one slot and a consumer with one plug, with the given attributes. */
static struct mqfs_system *pair(const char *provider_attrs, const char *consumer_attrs,
                                const char *slot_label, const char *plug_label, const char *extra)
{
        /* The provider's attributes take one line each ({a: 1, b: 2} -> a: 1 / b: 2), and
         * at least two, so that line numbers below do not depend on them. */
        char attrs[256];
        const char *from = provider_attrs;
        size_t o = 0;
        bool second = false;
        for (; *from && o + 8 < sizeof(attrs); from++) {
                if (*from == '{' || *from == '}')
                        continue;
                if (*from == ',') {
                        o += (size_t)snprintf(attrs + o, sizeof(attrs) - o, "\n   ");
                        second = true;
                        continue;
                }
                attrs[o++] = *from;
        }
        attrs[o] = '\0';
        if (!second)
                snprintf(attrs + o, sizeof(attrs) - o, "\n    # -");
        char *text = NULL;
        assert_true(asprintf(&text,
                             "snaps:\n"
                             "  - name: provider\n"
                             "    %s\n"
                             "    snap-yaml-inline:\n"
                             "      name: provider\n"
                             "      slots:\n"
                             "        mq: {interface: posix-mq, posix-mq: %s, path: /q, "
                             "permissions: [read]}\n"
                             "  - name: consumer\n"
                             "    %s\n"
                             "    snap-yaml-inline:\n"
                             "      name: consumer\n"
                             "      plugs:\n"
                             "        mq: {interface: posix-mq, posix-mq: %s}\n"
                             "%s",
                             attrs, slot_label, consumer_attrs, plug_label, extra) > 0);
        struct mqfs_system *sys = load_ok(text);
        free(text);
        return sys;
}

static const char *const manual_conn = "connections:\n  - {plug: consumer:mq, slot: provider:mq}\n";

/* ---- connection rules ---- */

static void test_same_publisher_auto_connects(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "lbl", "lbl", "");
        expect_no_messages(sys);
        assert_int_equal(sys->nsnaps, 2);
        assert_int_equal(sys->nconns, 1);
        bool manual = true;
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", &manual));
        assert_false(manual);
        assert_int_equal(perms_of(sys, "consumer", "/q"), MQFS_PERM_OPEN | MQFS_PERM_READ);
        assert_int_equal(perms_of(sys, "provider", "/q"), MQFS_PERM_ALL);
        mqfs_system_free(sys);
}

static void test_different_publisher_does_not(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: other", "lbl", "lbl", "");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 0);
        assert_int_equal(perms_of(sys, "consumer", "/q"), 0);
        mqfs_system_free(sys);

        /* a manual connection with equal identifiers is allowed */
        sys = pair("{publisher: acme, slots-allowed: true}", "publisher: other", "lbl", "lbl",
                   manual_conn);
        expect_no_messages(sys);
        bool manual = false;
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", &manual));
        assert_true(manual);
        mqfs_system_free(sys);
}

static void test_unasserted_never_auto_connects(void **state)
{
        (void)state;
        /* unasserted provider: its slot is allowed without slots-allowed */
        struct mqfs_system *sys = pair("{publisher: ''}", "publisher: acme", "lbl", "lbl", "");
        expect_no_messages(sys);
        assert_int_equal(sys->snaps[1].yaml->nslots, 1);
        assert_string_equal(mqfs_system_snap(sys, "provider")->publisher, "");
        assert_int_equal(sys->nconns, 0);
        mqfs_system_free(sys);
        /* unasserted consumer (publisher absent) */
        sys = pair("{publisher: acme, slots-allowed: true}", "type: app", "lbl", "lbl", "");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 0);
        mqfs_system_free(sys);
        /* both unasserted: still no auto-connection (publishers must be non-empty) */
        sys = pair("{type: app}", "type: app", "lbl", "lbl", "");
        assert_int_equal(sys->nconns, 0);
        mqfs_system_free(sys);
}

static void test_identifier_mismatch(void **state)
{
        (void)state;
        /* auto: no connection, silently (it is simply not a candidate) */
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "one", "two", "");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 0);
        mqfs_system_free(sys);

        /* manual: refused with the plug rule's message */
        sys = pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "one", "two",
                   manual_conn);
        assert_int_equal(sys->nconns, 0);
        assert_int_equal(sys->nmessages, 1);
        assert_string_equal(sys->messages[0],
                            "sys.yaml:16: connection consumer:mq -> provider:mq refused: "
                            "connection not allowed by plug rule of interface \"posix-mq\" "
                            "(posix-mq identifiers \"two\" and \"one\" differ)");
        mqfs_system_free(sys);

        /* manual with either side unasserted: the identifier check is skipped */
        sys = pair("{publisher: acme, slots-allowed: true}", "publisher: ''", "one", "two",
                   manual_conn);
        expect_no_messages(sys);
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", NULL));
        assert_int_equal(perms_of(sys, "consumer", "/q"), MQFS_PERM_OPEN | MQFS_PERM_READ);
        mqfs_system_free(sys);
        sys = pair("{type: app}", "publisher: acme", "one", "two", manual_conn);
        expect_no_messages(sys);
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", NULL));
        mqfs_system_free(sys);
}

static void test_ambiguous_plug_connects_to_none(void **state)
{
        (void)state;
        const char *text = "snaps:\n"
                           "  - name: consumer\n"
                           "    publisher: acme\n"
                           "    snap-yaml-inline:\n"
                           "      name: consumer\n"
                           "      plugs: {mq: {interface: posix-mq, posix-mq: lbl}}\n"
                           "  - name: prov-a\n"
                           "    publisher: acme\n"
                           "    slots-allowed: true\n"
                           "    snap-yaml-inline: {name: prov-a, slots: {s: {interface: "
                           "posix-mq, posix-mq: lbl, path: /a}}}\n"
                           "  - name: prov-b\n"
                           "    publisher: acme\n"
                           "    slots-allowed: true\n"
                           "    snap-yaml-inline: {name: prov-b, slots: {t: {interface: "
                           "posix-mq, posix-mq: lbl, path: /b}}}\n"
                           "disconnected:\n"
                           "  - {plug: consumer:mq, slot: prov-b:t}\n";
        struct mqfs_system *sys = load_ok(text);
        assert_int_equal(sys->nconns, 0);
        /* a disconnection does not remove a candidate (as in snapd): still ambiguous */
        assert_int_equal(sys->nmessages, 1);
        assert_string_equal(sys->messages[0],
                            "sys.yaml:6: snap \"consumer\" plug \"mq\" is not auto-connected: 2 "
                            "candidate slots (prov-a:s, prov-b:t); connect one under "
                            "connections:");
        assert_int_equal(perms_of(sys, "consumer", "/a"), 0);
        mqfs_system_free(sys);

        /* a manual connection still applies */
        char *with_manual = NULL;
        assert_true(asprintf(&with_manual, "%sconnections: [{plug: consumer:mq, slot: prov-a:s}]\n",
                             text) > 0);
        sys = load_ok(with_manual);
        assert_int_equal(sys->nconns, 1);
        assert_true(connected(sys, "consumer", "mq", "prov-a", "s", NULL));
        assert_int_equal(perms_of(sys, "consumer", "/a"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE);
        mqfs_system_free(sys);
        free(with_manual);
}

static void test_disconnected(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "lbl", "lbl",
                 "disconnected:\n  - plug: consumer:mq\n    slot: "
                 "provider:mq\n");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 0);
        assert_int_equal(perms_of(sys, "consumer", "/q"), 0);
        mqfs_system_free(sys);

        /* a manual connection of the same pair wins over the disconnection */
        sys = pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "lbl", "lbl",
                   "disconnected: [{plug: consumer:mq, slot: provider:mq}]\n"
                   "connections: [{plug: consumer:mq, slot: provider:mq}]\n");
        expect_no_messages(sys);
        bool manual = false;
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", &manual));
        assert_true(manual);
        mqfs_system_free(sys);

        /* unknown names under disconnected: a message, no effect */
        sys = pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "lbl", "lbl",
                   "disconnected: [{plug: nobody:mq, slot: provider:mq}]\n");
        assert_int_equal(sys->nconns, 1);
        message_with(sys, "sys.yaml:15: disconnected entry 1: no installed snap \"nobody\"",
                     "the entry has no effect", NULL);
        mqfs_system_free(sys);
}

static void test_slot_refused_without_slots_allowed(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("publisher: acme", "publisher: acme", "lbl", "lbl", manual_conn);
        const struct mqfs_system_snap *provider = mqfs_system_snap(sys, "provider");
        assert_non_null(provider);
        assert_int_equal(provider->yaml->nslots, 0);
        assert_null(mqfs_snap_yaml_slot(provider->yaml, "mq"));
        assert_int_equal(sys->nconns, 0);
        assert_int_equal(sys->nmessages, 2);
        assert_string_equal(sys->messages[0],
                            "sys.yaml:8: snap \"provider\" slot \"mq\" refused: installation not "
                            "allowed by \"mq\" slot rule of interface \"posix-mq\"; the store "
                            "must grant it (slots-allowed: true)");
        message_with(sys,
                     "sys.yaml:16: connections entry 1: snap \"provider\" has no usable "
                     "posix-mq slot \"mq\"",
                     NULL);
        /* no grant, not even for the provider itself; both still have a view */
        assert_int_equal(perms_of(sys, "provider", "/q"), 0);
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        assert_non_null(mqfs_grant_table_set_of(g, "provider"));
        assert_non_null(mqfs_grant_table_set_of(g, "consumer"));
        assert_int_equal(mqfs_grant_table_snap_count(g), 2);
        mqfs_grant_table_unref(g);
        mqfs_system_free(sys);

        /* slots-allowed: false is the same as absent */
        sys = pair("{publisher: acme, slots-allowed: false}", "publisher: acme", "lbl", "lbl", "");
        assert_int_equal(mqfs_system_snap(sys, "provider")->yaml->nslots, 0);
        mqfs_system_free(sys);
}

static void test_os_and_snapd_slots_grant(void **state)
{
        (void)state;
        static const char *const types[] = {"os", "snapd", "core", "gadget"};
        for (size_t i = 0; i < 4; i++) {
                char attrs[128];
                snprintf(attrs, sizeof(attrs),
                         "{publisher: canonical, type: %s, slots-allowed: "
                         "yes}",
                         types[i]);
                struct mqfs_system *sys = pair(attrs, "publisher: canonical", "l", "l", "");
                expect_no_messages(sys);
                assert_int_equal(mqfs_system_snap(sys, "provider")->type, i == 0   ? MQFS_SNAP_OS
                                                                          : i == 1 ? MQFS_SNAP_SNAPD
                                                                          : i == 2
                                                                              ? MQFS_SNAP_CORE
                                                                              : MQFS_SNAP_GADGET);
                assert_true(mqfs_system_snap(sys, "provider")->slots_allowed);
                assert_int_equal(perms_of(sys, "provider", "/q"), MQFS_PERM_ALL);
                assert_int_equal(perms_of(sys, "consumer", "/q"), MQFS_PERM_OPEN | MQFS_PERM_READ);
                mqfs_system_free(sys);
        }
}

static void test_grant_union_across_connections(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            load_ok("snaps:\n"
                    "  - name: consumer\n"
                    "    snap-yaml-inline:\n"
                    "      name: consumer\n"
                    "      plugs:\n"
                    "        r: {interface: posix-mq, posix-mq: reader}\n"
                    "        w: {interface: posix-mq, posix-mq: writer}\n"
                    "        o: {interface: posix-mq, posix-mq: opener}\n"
                    "  - name: provider\n"
                    "    snap-yaml-inline:\n"
                    "      name: provider\n"
                    "      slots:\n"
                    "        reader: {interface: posix-mq, path: [/q, /r], permissions: [read]}\n"
                    "        writer: {interface: posix-mq, path: q, permissions: [write, create]}\n"
                    "        opener: {interface: posix-mq, path: /o, permissions: []}\n"
                    "connections:\n"
                    "  - {plug: consumer:r, slot: provider:reader}\n"
                    "  - {plug: consumer:w, slot: provider:writer}\n"
                    "  - {plug: consumer:o, slot: provider:opener}\n");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 3);
        assert_int_equal(perms_of(sys, "consumer", "/q"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE | MQFS_PERM_CREATE);
        assert_int_equal(perms_of(sys, "consumer", "/r"), MQFS_PERM_OPEN | MQFS_PERM_READ);
        /* permissions: [] still grants open */
        assert_int_equal(perms_of(sys, "consumer", "/o"), MQFS_PERM_OPEN);
        assert_int_equal(perms_of(sys, "consumer", "/x"), 0);
        /* connections are sorted by plug name */
        assert_string_equal(sys->conns[0].plug->name, "o");
        assert_string_equal(sys->conns[1].plug->name, "r");
        assert_string_equal(sys->conns[2].plug->name, "w");
        mqfs_system_free(sys);
}

static void test_self_connection(void **state)
{
        (void)state;
        struct mqfs_system *sys = load_ok("snaps:\n"
                                          "  - name: solo\n"
                                          "    publisher: acme\n"
                                          "    slots-allowed: true\n"
                                          "    snap-yaml-inline:\n"
                                          "      name: solo\n"
                                          "      slots: {s: {interface: posix-mq, posix-mq: x, "
                                          "path: /self, permissions: [read]}}\n"
                                          "      plugs: {p: {interface: posix-mq, posix-mq: x}}\n"
                                          "connections: [{plug: solo:p, slot: solo:s}]\n");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 1);
        bool manual = false;
        assert_true(connected(sys, "solo", "p", "solo", "s", &manual));
        assert_true(manual); /* the manual entry duplicates the auto one: one connection */
        assert_int_equal(perms_of(sys, "solo", "/self"), MQFS_PERM_ALL);
        mqfs_system_free(sys);
}

static void test_manual_duplicates_are_one(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: acme", "lbl", "lbl",
                 "connections:\n"
                 "  - {plug: consumer:mq, slot: provider:mq}\n"
                 "  - {plug: consumer:mq, slot: provider:mq}\n");
        expect_no_messages(sys);
        assert_int_equal(sys->nconns, 1);
        assert_true(sys->conns[0].manual);
        mqfs_system_free(sys);
}

static void test_unknown_names_in_connections(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            pair("{publisher: acme, slots-allowed: true}", "publisher: other", "lbl", "lbl",
                 "connections:\n"
                 "  - {plug: ghost:mq, slot: provider:mq}\n"          /* 16 */
                 "  - {plug: consumer:nope, slot: provider:mq}\n"     /* 17 */
                 "  - {plug: consumer:mq, slot: provider:nope}\n"     /* 18 */
                 "  - {plug: consumer:mq, slot: \"provider\\n:x\"}\n" /* 19 */
                 "  - {plug: consumer, slot: provider:mq}\n"          /* 20 */
                 "  - {plug: consumer:mq}\n"                          /* 21 */
                 "  - just a string\n"                                /* 22 */
                 "  - {plug: consumer:mq, slot: 42}\n"                /* 23 */
                 "  - {plug: consumer:mq, slot: provider:mq}\n");     /* 24: the good one */
        assert_int_equal(sys->nconns, 1);
        assert_true(connected(sys, "consumer", "mq", "provider", "mq", NULL));
        assert_int_equal(sys->nmessages, 8);
        assert_string_equal(sys->messages[0],
                            "sys.yaml:16: connections entry 1: no installed snap \"ghost\" (in "
                            "plug \"ghost:mq\"); the connection is skipped");
        assert_string_equal(sys->messages[1],
                            "sys.yaml:17: connections entry 2: snap \"consumer\" has no usable "
                            "posix-mq plug \"nope\" (see its messages if it was refused or "
                            "bad); the connection is skipped");
        message_with(sys,
                     "sys.yaml:18: connections entry 3: snap \"provider\" has no usable "
                     "posix-mq slot \"nope\"",
                     NULL);
        message_with(sys, "sys.yaml:19: connections entry 4: no installed snap \"provider\\n\"",
                     NULL);
        message_with(sys, "sys.yaml:20: connections entry 5: plug must be \"SNAP:PLUG\"", NULL);
        message_with(sys, "sys.yaml:21: connections entry 6: slot must be \"SNAP:SLOT\"", NULL);
        message_with(sys, "sys.yaml:22: connections entry 7 is a string, not a map", NULL);
        message_with(sys, "sys.yaml:23: connections entry 8: slot must be", NULL);
        mqfs_system_free(sys);
}

/* ---- broken entries ---- */

static void test_broken_snap_entries_skipped(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            load_ok("snaps:\n"
                    "  - just text\n"                                            /* 2 */
                    "  - publisher: acme\n"                                      /* 3 */
                    "  - {name: Bad_Name, snap-yaml-inline: {name: Bad_Name}}\n" /* 4 */
                    "  - {name: good, snap-yaml-inline: {name: good, plugs: {p: posix-mq}}}\n"
                    "  - {name: good, snap-yaml-inline: {name: good}}\n" /* 6 */
                    "  - {name: typed, type: kernel, snap-yaml-inline: {name: typed}}\n"
                    "  - {name: pub, publisher: [x], snap-yaml-inline: {name: pub}}\n"
                    "  - {name: allow, slots-allowed: 'yes', snap-yaml-inline: {name: allow}}\n"
                    "  - {name: both, snap-yaml: x.yaml, snap-yaml-inline: {name: both}}\n"
                    "  - {name: neither}\n"                                    /* 11 */
                    "  - {name: missing, snap-yaml: missing.yaml}\n"           /* 12 */
                    "  - {name: other, snap-yaml-inline: {name: different}}\n" /* 13 */
                    "  - {name: notmap, snap-yaml-inline: [a]}\n"              /* 14 */
                    "  - {name: bad-slots, snap-yaml-inline: {name: bad-slots, slots: {s: "
                    "{interface: posix-mq, path: '/a*'}}}}\n" /* 15 */
                    "  - {name: typo, slot-allowed: true, snap-yaml-inline: {name: typo}}\n"
                    "also: 1\n");
        /* the sound ones load */
        assert_int_equal(sys->nsnaps, 3);
        assert_non_null(mqfs_system_snap(sys, "good"));
        assert_int_equal(mqfs_system_snap(sys, "good")->yaml->nplugs, 1); /* the first wins */
        assert_non_null(mqfs_system_snap(sys, "bad-slots"));
        assert_non_null(mqfs_system_snap(sys, "typo"));
        message_with(sys, "sys.yaml:2: snaps entry 1 is a string, not a map", NULL);
        message_with(sys, "sys.yaml:3: snaps entry 2 has no name", NULL);
        message_with(sys, "sys.yaml:4: invalid snap name \"Bad_Name\"", NULL);
        message_with(sys, "sys.yaml:6: snap \"good\" is listed again (first at line 5)", NULL);
        message_with(sys, "sys.yaml:7: snap \"typed\": unknown type \"kernel\"", NULL);
        message_with(sys, "sys.yaml:8: snap \"pub\": publisher must be a string", NULL);
        message_with(sys,
                     "sys.yaml:9: snap \"allow\": slots-allowed must be true or false, not a "
                     "string",
                     NULL);
        message_with(sys, "sys.yaml:10: snap \"both\" needs exactly one of", NULL);
        message_with(sys, "sys.yaml:11: snap \"neither\" needs exactly one of", NULL);
        message_with(sys,
                     "sys.yaml:12: snap \"missing\" is skipped: /nonexistent/missing.yaml: "
                     "cannot read: No such file or directory",
                     NULL);
        message_with(sys,
                     "sys.yaml:13: snap \"other\": its snap.yaml (sys.yaml) is named "
                     "\"different\"",
                     NULL);
        message_with(sys,
                     "sys.yaml:14: snap \"notmap\" is skipped: sys.yaml:14: a snap.yaml must "
                     "be a map",
                     NULL);
        message_with(sys,
                     "sys.yaml:15: snap \"bad-slots\" has bad plugs or slots: s (posix-mq "
                     "\"path\" attribute is invalid: /a*)",
                     NULL);
        message_with(sys, "sys.yaml:16: unknown key \"slot-allowed\" ignored", NULL);
        message_with(sys, "sys.yaml:17: unknown key \"also\" ignored", NULL);
        assert_int_equal(sys->nmessages, 15);
        /* messages come in file order */
        for (size_t i = 1; i < sys->nmessages; i++)
                assert_true(atoi(sys->messages[i] + 9) >= atoi(sys->messages[i - 1] + 9));
        mqfs_system_free(sys);
}

static void test_file_names_escaped_in_messages(void **state)
{
        (void)state;
        struct mqfs_system *sys = load_ok("snaps:\n"
                                          "  - {name: nl, snap-yaml: \"new\\nline\\x01.yaml\"}\n");
        assert_int_equal(sys->nsnaps, 0);
        assert_int_equal(sys->nmessages, 1);
        assert_string_equal(
            sys->messages[0],
            "sys.yaml:2: snap \"nl\" is skipped: /nonexistent/new\\nline\\x01.yaml: "
            "cannot read: No such file or directory; check the path and its "
            "permissions");
        mqfs_system_free(sys);
}

static void test_not_yaml_loads_nothing(void **state)
{
        (void)state;
        static const char *const texts[] = {
            "snaps: [\n",  /* not YAML */
            "- a\n- b\n",  /* not a mapping */
            "",            /* empty */
            "snaps: 42\n", /* a section of the wrong shape */
            "snaps: []\nconnections: {a: b}\n",
            "snaps: []\ndisconnected: text\n",
            "snaps: [\xff]\n", /* not UTF-8 */
        };
        for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
                struct mqfs_system *sys = NULL;
                char *error = NULL;
                int r = mqfs_system_load_buffer(texts[i], strlen(texts[i]), ".", "sys.yaml", &sys,
                                                &error);
                assert_int_equal(r, -EINVAL);
                assert_null(sys);
                assert_non_null(error);
                assert_true(strncmp(error, "sys.yaml:", 9) == 0);
                free(error);
        }
        /* an empty state is fine */
        struct mqfs_system *sys = load_ok("snaps:\nconnections: []\n");
        assert_int_equal(sys->nsnaps + sys->nconns + sys->nmessages, 0);
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        assert_int_equal(mqfs_grant_table_snap_count(g), 0);
        mqfs_grant_table_unref(g);
        mqfs_system_free(sys);
}

/* ---- files ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_int_equal(unlink(path), 0);
}

static void test_snap_yaml_by_path(void **state)
{
        (void)state;
        char dir[] = "/tmp/test_system.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char sub[64];
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        assert_int_equal(mkdir(sub, 0700), 0);
        write_file(dir, "provider.yaml",
                   "name: provider\n"
                   "slots:\n"
                   "  mq: {interface: posix-mq, posix-mq: shared, path: /shared, permissions: "
                   "[read, write]}\n"
                   "  broken: {interface: posix-mq, path: []}\n");
        write_file(sub, "consumer.yaml",
                   "name: consumer\nplugs:\n  mq: {interface: posix-mq, posix-mq: shared}\n");
        write_file(dir, "broken.yaml", "name: broken\nslots: [\n");
        char *system = NULL;
        assert_true(asprintf(&system,
                             "snaps:\n"
                             "  - {name: provider, publisher: acme, slots-allowed: true, "
                             "snap-yaml: provider.yaml}\n"
                             "  - {name: consumer, publisher: acme, snap-yaml: %s/consumer.yaml}\n"
                             "  - {name: broken, snap-yaml: broken.yaml}\n",
                             sub) > 0);
        write_file(dir, "system.yaml", system);
        free(system);

        char path[128];
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        assert_int_equal(mqfs_system_load(path, &sys, &error), 0);
        assert_int_equal(sys->nsnaps, 2);
        assert_int_equal(sys->nconns, 1);
        assert_int_equal(perms_of(sys, "consumer", "/shared"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE);
        assert_int_equal(sys->nmessages, 2);
        char expected[512];
        /* the bad slot is reported at its line in provider.yaml */
        snprintf(expected, sizeof(expected),
                 "%s/provider.yaml:4: snap \"provider\" has bad plugs or slots: broken (posix-mq "
                 "slot requires at least one value in the \"path\" attribute); it is left out, "
                 "fix the snap.yaml",
                 dir);
        assert_string_equal(sys->messages[0], expected);
        /* the broken file is named with its own line */
        snprintf(expected, sizeof(expected),
                 "%s/system.yaml:4: snap \"broken\" is skipped: "
                 "%s/broken.yaml:3: not valid YAML",
                 dir, dir);
        assert_true(strncmp(sys->messages[1], expected, strlen(expected)) == 0);
        mqfs_system_free(sys);

        /* not YAML at all: an error, nothing returned */
        write_file(dir, "system.yaml", "snaps: {\n");
        sys = NULL;
        assert_int_equal(mqfs_system_load(path, &sys, &error), -EINVAL);
        assert_null(sys);
        assert_true(strncmp(error, path, strlen(path)) == 0);
        free(error);
        /* unreadable */
        remove_file(dir, "system.yaml");
        assert_int_equal(mqfs_system_load(path, &sys, &error), -ENOENT);
        assert_non_null(strstr(error, "cannot read"));
        free(error);

        remove_file(dir, "provider.yaml");
        remove_file(sub, "consumer.yaml");
        remove_file(dir, "broken.yaml");
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_lookups(void **state)
{
        (void)state;
        struct mqfs_system *sys =
            load_ok("snaps:\n"
                    "  - {name: zed, snap-yaml-inline: {name: zed, plugs: {p: posix-mq}}}\n"
                    "  - {name: alpha, snap-yaml-inline: {name: alpha, plugs: {p: posix-mq, q: "
                    "posix-mq}}}\n"
                    "  - {name: mid, snap-yaml-inline: {name: mid, slots: {p: {interface: "
                    "posix-mq, path: /m}, q: {interface: posix-mq, path: /n}}}}\n"
                    "  - {name: lonely, snap-yaml-inline: {name: lonely}}\n"
                    "connections:\n"
                    "  - {plug: zed:p, slot: mid:p}\n"
                    "  - {plug: alpha:q, slot: mid:q}\n"
                    "  - {plug: alpha:p, slot: mid:p}\n"
                    "  - {plug: alpha:p, slot: mid:q}\n");
        expect_no_messages(sys);
        assert_int_equal(sys->nsnaps, 4);
        assert_string_equal(sys->snaps[0].name, "alpha");
        assert_string_equal(sys->snaps[3].name, "zed");
        assert_null(mqfs_system_snap(sys, "nobody"));
        assert_int_equal(mqfs_system_snap(sys, "mid")->type, MQFS_SNAP_APP);
        size_t n = 99;
        const struct mqfs_connection *c = mqfs_system_plug_conns(sys, "alpha", &n);
        assert_int_equal(n, 3);
        assert_string_equal(c[0].plug->name, "p");
        assert_string_equal(c[0].slot->name, "p");
        assert_string_equal(c[1].plug->name, "p");
        assert_string_equal(c[1].slot->name, "q");
        assert_string_equal(c[2].plug->name, "q");
        assert_non_null(mqfs_system_plug_conns(sys, "zed", &n));
        assert_int_equal(n, 1);
        assert_null(mqfs_system_plug_conns(sys, "mid", &n));
        assert_int_equal(n, 0);
        assert_null(mqfs_system_plug_conns(sys, "nobody", &n));
        assert_int_equal(n, 0);
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        assert_int_equal(mqfs_grant_table_snap_count(g), 4);
        assert_int_equal(mqfs_grant_set_count(mqfs_grant_table_set_of(g, "lonely")), 0);
        assert_int_equal(mqfs_grant_set_perms(mqfs_grant_table_set_of(g, "alpha"), "/n"),
                         MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE);
        mqfs_grant_table_unref(g);
        mqfs_system_free(sys);
}

static void test_alias_bomb_in_system(void **state)
{
        (void)state;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        assert_non_null(f);
        fprintf(f, "y: &y {name: s, slots: {a: {interface: posix-mq, path: [");
        for (int i = 0; i < 2000; i++)
                fprintf(f, "%s/q%d", i ? ", " : "", i);
        fprintf(f, "]}}}\nsnaps:\n");
        for (int i = 0; i < 20000; i++)
                fprintf(f, "  - {name: s%d, snap-yaml-inline: *y}\n", i);
        fclose(f);
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int r = mqfs_system_load_buffer(text, size, ".", "sys.yaml", &sys, &error);
        /* 20,000 copies of 2,000 paths: the whole file is refused, not half applied */
        assert_int_equal(r, -EINVAL);
        assert_null(sys);
        assert_non_null(strstr(error, "sys.yaml:1: the file reuses anchors (aliases)"));
        free(error);
        free(text);
}

/* ---- limits: (SPEC §2.3, §5) ---- */

static void test_limits(void **state)
{
        (void)state;
        struct mqfs_limits def;
        mqfs_limits_default(&def);
        /* Absent: the defaults, no message. */
        struct mqfs_system *sys = load_ok("snaps: []\n");
        assert_int_equal(sys->nmessages, 0);
        assert_memory_equal(&sys->limits, &def, sizeof(def));
        mqfs_system_free(sys);

        sys = load_ok("limits:\n  open-files: 8\n  open-directories: 2\n  blocked-writes: 3\n"
                      "  listing-bytes: 65536\n  blocked-bytes: 100\n  door-registrations: 5\n"
                      "snaps: []\n");
        assert_int_equal(sys->nmessages, 0);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_FILES], 8);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_DIRS], 2);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_PARKED], 3);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_LISTING], 65536);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_PARKED_BYTES], 100);
        assert_int_equal(sys->limits.max[MQFS_LIMIT_DOOR], 5);
        mqfs_system_free(sys);

        /* Bad values and keys are problems (each one message); the defaults stay. */
        sys = load_ok("limits:\n  open-files: 0\n  open-directories: -1\n  blocked-writes: x\n"
                      "  listing-bytes: 0x10\n  open-fds: 3\nsnaps: []\n");
        assert_int_equal(sys->nmessages, 5);
        message_with(sys, "sys.yaml:2:", "open-files", "\"0\" is not a whole number", NULL);
        message_with(sys, "sys.yaml:3:", "open-directories", NULL);
        message_with(sys, "sys.yaml:4:", "blocked-writes", NULL);
        message_with(sys, "sys.yaml:5:", "listing-bytes", NULL);
        message_with(sys, "sys.yaml:6:", "unknown key \"open-fds\"",
                     "open-files, open-directories, blocked-writes, listing-bytes, "
                     "blocked-bytes and door-registrations",
                     NULL);
        assert_memory_equal(&sys->limits, &def, sizeof(def));
        mqfs_system_free(sys);

        sys = load_ok("limits: [1]\nsnaps: []\n");
        assert_int_equal(sys->nmessages, 1);
        message_with(sys, "limits: must be a map", NULL);
        mqfs_system_free(sys);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_same_publisher_auto_connects),
            cmocka_unit_test(test_different_publisher_does_not),
            cmocka_unit_test(test_unasserted_never_auto_connects),
            cmocka_unit_test(test_identifier_mismatch),
            cmocka_unit_test(test_ambiguous_plug_connects_to_none),
            cmocka_unit_test(test_disconnected),
            cmocka_unit_test(test_slot_refused_without_slots_allowed),
            cmocka_unit_test(test_os_and_snapd_slots_grant),
            cmocka_unit_test(test_grant_union_across_connections),
            cmocka_unit_test(test_self_connection),
            cmocka_unit_test(test_manual_duplicates_are_one),
            cmocka_unit_test(test_unknown_names_in_connections),
            cmocka_unit_test(test_broken_snap_entries_skipped),
            cmocka_unit_test(test_file_names_escaped_in_messages),
            cmocka_unit_test(test_not_yaml_loads_nothing),
            cmocka_unit_test(test_snap_yaml_by_path),
            cmocka_unit_test(test_lookups),
            cmocka_unit_test(test_alias_bomb_in_system),
            cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
