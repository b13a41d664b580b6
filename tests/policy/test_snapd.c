/* test_snapd.c — snapd's own files as the source of the system state (SPEC §2.5), on
 * fixture trees in snapd's formats (snapd_fixture.h): who decides connections, system.yaml
 * on top, and every bad input reported with its file and key and skipped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "grants.h"
#include "perm.h"
#include "snapd_fixture.h"
#include "system.h"

enum {
        RW = MQFS_PERM_OPEN | MQFS_PERM_READ | MQFS_PERM_WRITE,
        R = MQFS_PERM_OPEN | MQFS_PERM_READ,
};

#define PROVIDER_ID "PRoVIDERsnapid000000000000000001"
#define CONSUMER_ID "CoNSUMERsnapid000000000000000002"
#define PC_ID       "PCgadgetsnapid000000000000000003"
#define WATCHER_ID  "WaTCHERsnapid0000000000000000004"
#define READER_ID   "ReADERsnapid00000000000000000005"
#define LEGACY_ID   "LeGACYsnapid00000000000000000006"
#define CORE_ID     "99T7MUlRhtI3U0QFgl5mXXESAiSwt776"

/* A state.json as snapd writes it: data.snaps (store, local, parallel instance, an
 * old-format entry without "current"/"type" and a numeric revision), data.conns with
 * established, manual, gadget and undesired posix-mq connections and connections of
 * other interfaces, and the change history around them. */
static const char STATE[] =
    "{\"data\":{\"api-download-tokens-secret\":\"c2VjcmV0\",\"seeded\":true,"
    "\"snaps\":{"
    "\"core\":{\"type\":\"os\",\"sequence\":[{\"name\":\"core\",\"snap-id\":\"" CORE_ID "\","
    "\"revision\":\"16574\",\"channel\":\"latest/stable\"}],\"active\":true,\"current\":\"16574\","
    "\"channel\":\"latest/stable\",\"user-id\":1},"
    "\"provider\":{\"type\":\"app\",\"sequence\":[{\"name\":\"provider\",\"snap-id\":\"" PROVIDER_ID
    "\",\"revision\":\"10\"},{\"name\":\"provider\",\"snap-id\":\"" PROVIDER_ID "\",\"revision\":"
    "\"11\",\"components\":[]}],\"active\":true,\"current\":\"11\",\"channel\":\"latest/stable\"},"
    "\"consumer\":{\"type\":\"app\",\"sequence\":[{\"name\":\"consumer\",\"snap-id\":\"" CONSUMER_ID
    "\",\"revision\":\"7\"}],\"active\":true,\"current\":\"7\"},"
    "\"consumer_two\":{\"type\":\"app\",\"sequence\":[{\"name\":\"consumer\",\"snap-id\":"
    "\"" CONSUMER_ID
    "\",\"revision\":\"7\"}],\"active\":true,\"current\":\"7\",\"instance-key\":\"two\"},"
    "\"pc\":{\"type\":\"gadget\",\"sequence\":[{\"name\":\"pc\",\"snap-id\":\"" PC_ID "\","
    "\"revision\":\"146\"}],\"active\":true,\"current\":\"146\"},"
    "\"watcher\":{\"type\":\"app\",\"sequence\":[{\"name\":\"watcher\",\"snap-id\":\"" WATCHER_ID
    "\",\"revision\":\"3\"}],\"active\":true,\"current\":\"3\"},"
    "\"reader\":{\"type\":\"app\",\"sequence\":[{\"name\":\"reader\",\"snap-id\":\"" READER_ID
    "\",\"revision\":\"12\"}],\"active\":true,\"current\":\"12\"},"
    "\"localtool\":{\"type\":\"app\",\"sequence\":[{\"name\":\"localtool\",\"snap-id\":\"\","
    "\"revision\":\"x1\"}],\"active\":true,\"current\":\"x1\"},"
    "\"legacy\":{\"sequence\":[{\"name\":\"legacy\",\"snap-id\":\"" LEGACY_ID "\",\"revision\":3}],"
    "\"active\":true}"
    "},"
    "\"conns\":{"
    "\"consumer:mq provider:mq\":{\"interface\":\"posix-mq\",\"auto\":true,"
    "\"plug-static\":{\"posix-mq\":\"shared\"},"
    "\"slot-static\":{\"posix-mq\":\"shared\",\"path\":\"/shared\",\"permissions\":[\"read\"]}},"
    "\"consumer_two:mq provider:mq\":{\"interface\":\"posix-mq\"},"
    "\"consumer:gadget-mq pc:mq\":{\"interface\":\"posix-mq\",\"auto\":true,\"by-gadget\":true,"
    "\"slot-static\":{\"posix-mq\":\"gadget\",\"path\":[\"/gadget\"],"
    "\"permissions\":[\"read\",\"write\"]}},"
    "\"watcher:mq provider:mq\":{\"interface\":\"posix-mq\",\"auto\":true,\"undesired\":true},"
    "\"consumer:network core:network\":{\"interface\":\"network\",\"auto\":true},"
    "\"reader:home core:home\":{\"interface\":\"home\",\"auto\":true}"
    "}},"
    "\"changes\":{\"1\":{\"id\":\"1\",\"kind\":\"install-snap\",\"summary\":\"Install "
    "\\\"provider\\\" snap\",\"status\":4,\"clean\":true,\"task-ids\":[\"1\"]}},"
    "\"tasks\":{\"1\":{\"id\":\"1\",\"kind\":\"link-snap\",\"summary\":\"Make snap available\","
    "\"status\":4,\"data\":{\"snap-setup\":{\"side-info\":{\"name\":\"provider\",\"snap-id\":"
    "\"" PROVIDER_ID "\",\"revision\":\"11\"},\"flags\":{}}},\"change\":\"1\"}},"
    "\"last-change-id\":1,\"last-task-id\":1,\"last-lane-id\":0}\n";

static const char PROVIDER_YAML[] = "name: provider\nversion: '1.0'\nslots:\n"
                                    "  mq:\n    interface: posix-mq\n    posix-mq: shared\n"
                                    "    path: /shared\n"
                                    "    permissions: [read, write, create, delete]\n"
                                    "  other:\n    interface: posix-mq\n    path: /other\n";
static const char CONSUMER_YAML[] = "name: consumer\nplugs:\n"
                                    "  mq:\n    interface: posix-mq\n    posix-mq: shared\n"
                                    "  gadget-mq:\n    interface: posix-mq\n    posix-mq: gadget\n"
                                    "  network: null\napps:\n  run:\n    command: bin/run\n"
                                    "    plugs: [network, home]\n";
static const char PC_YAML[] = "name: pc\ntype: gadget\nslots:\n  mq:\n    interface: posix-mq\n"
                              "    posix-mq: gadget\n    path: /gadget\n";
static const char WATCHER_YAML[] =
    "name: watcher\nplugs:\n  mq:\n    interface: posix-mq\n    posix-mq: shared\n";
static const char READER_YAML[] =
    "name: reader\nplugs:\n  mq:\n    interface: posix-mq\n    posix-mq: other\n";
static const char LOCALTOOL_YAML[] =
    "name: localtool\nplugs:\n  mq:\n    interface: posix-mq\n    posix-mq: shared\n";
static const char LEGACY_YAML[] =
    "name: legacy\nplugs:\n  mq:\n    interface: posix-mq\n    posix-mq: other\n";
static const char CORE_YAML[] = "name: core\ntype: os\nversion: '16'\n";

struct world {
        char *root;
};

static void build(const char *root)
{
        snapd_fixture_snap(root, "core", "16574", CORE_YAML);
        snapd_fixture_snap(root, "provider", "10", PROVIDER_YAML);
        snapd_fixture_snap(root, "provider", "11", PROVIDER_YAML);
        snapd_fixture_snap(root, "consumer", "7", CONSUMER_YAML);
        snapd_fixture_snap(root, "consumer_two", "7", CONSUMER_YAML);
        snapd_fixture_snap(root, "pc", "146", PC_YAML);
        snapd_fixture_snap(root, "watcher", "3", WATCHER_YAML);
        snapd_fixture_snap(root, "reader", "12", READER_YAML);
        snapd_fixture_snap(root, "localtool", "x1", LOCALTOOL_YAML);
        snapd_fixture_snap(root, "legacy", "3", LEGACY_YAML);
        snapd_fixture_declaration(root, CORE_ID, "core", "canonical", NULL);
        snapd_fixture_declaration(root, PROVIDER_ID, "provider", "acme", "true");
        snapd_fixture_declaration(root, CONSUMER_ID, "consumer", "acme", NULL);
        snapd_fixture_declaration(root, PC_ID, "pc", "canonical", "true");
        snapd_fixture_declaration(root, WATCHER_ID, "watcher", "acme", NULL);
        snapd_fixture_declaration(root, READER_ID, "reader", "acme", NULL);
        snapd_fixture_declaration(root, LEGACY_ID, "legacy", "acme", NULL);
        snapd_fixture_state(root, STATE, false);
}

static int setup(void **state)
{
        struct world *w = calloc(1, sizeof(*w));
        w->root = snapd_fixture_root();
        build(w->root);
        *state = w;
        return 0;
}

static int teardown(void **state)
{
        struct world *w = *state;
        snapd_fixture_remove(w->root);
        free(w->root);
        free(w);
        return 0;
}

/* ---- helpers ---- */

static void dump_messages(const struct mqfs_system *sys)
{
        for (size_t i = 0; i < sys->nmessages; i++)
                fprintf(stderr, "  message: %s\n", sys->messages[i]);
}

/* Loads a system.yaml (the snapd: key pointing at root, then extra) written next to it. */
static struct mqfs_system *load(const struct world *w, const char *extra)
{
        char *yaml = NULL, *path = snapd_fixture_path(w->root, "system.yaml");
        assert_true(asprintf(&yaml, "snapd: {root: %s}\n%s", w->root, extra ? extra : "") > 0);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(yaml, f);
        fclose(f);
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int r = mqfs_system_load(path, &sys, &error);
        if (r != 0)
                fail_msg("load failed (%d): %s", r, error ? error : "?");
        free(yaml);
        free(path);
        return sys;
}

static size_t count_with(const struct mqfs_system *sys, const char *a, const char *b)
{
        size_t n = 0;
        for (size_t i = 0; i < sys->nmessages; i++)
                n += strstr(sys->messages[i], a) && (!b || strstr(sys->messages[i], b));
        return n;
}

static void expect_message(const struct mqfs_system *sys, const char *a, const char *b)
{
        if (count_with(sys, a, b) != 1) {
                dump_messages(sys);
                fail_msg("expected one message with \"%s\" and \"%s\"", a, b ? b : "");
        }
}

static const struct mqfs_connection *conn(const struct mqfs_system *sys, const char *plug_snap,
                                          const char *plug)
{
        size_t n;
        const struct mqfs_connection *c = mqfs_system_plug_conns(sys, plug_snap, &n);
        const struct mqfs_connection *found = NULL;
        for (size_t i = 0; i < n; i++)
                if (strcmp(c[i].plug->name, plug) == 0) {
                        assert_null(found); /* at most one per plug here */
                        found = &c[i];
                }
        return found;
}

static unsigned perms(const struct mqfs_system *sys, const char *snap, const char *queue)
{
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, snap);
        if (set == NULL)
                fail_msg("snap %s has no grant set", snap);
        unsigned p = mqfs_grant_set_perms(set, queue);
        mqfs_grant_table_unref(g);
        return p;
}

static size_t queue_count(const struct mqfs_system *sys, const char *snap)
{
        struct mqfs_grant_table *g = NULL;
        assert_int_equal(mqfs_system_grant_table(sys, &g), 0);
        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, snap);
        assert_non_null(set);
        size_t n = mqfs_grant_set_count(set);
        mqfs_grant_table_unref(g);
        return n;
}

/* ---- snapd's word, self-resolution, system.yaml on top ---- */

static const char EXTRA[] = "snaps:\n"
                            "  - name: extra\n    publisher: acme\n    snap-yaml-inline:\n"
                            "      name: extra\n"
                            "      plugs: {mq: {interface: posix-mq, posix-mq: other}}\n"
                            "connections:\n  - plug: localtool:mq\n    slot: provider:mq\n";

static void test_snaps_from_snapd(void **state)
{
        struct mqfs_system *sys = load(*state, EXTRA);
        if (sys->nmessages) {
                dump_messages(sys);
                fail_msg("no message expected");
        }
        static const char *const names[] = {"consumer", "consumer_two", "core", "extra",
                                            "legacy",   "localtool",    "pc",   "provider",
                                            "reader",   "watcher"};
        assert_int_equal(sys->nsnaps, 10);
        for (size_t i = 0; i < 10; i++)
                assert_string_equal(sys->snaps[i].name, names[i]);
        const struct mqfs_system_snap *s = mqfs_system_snap(sys, "provider");
        assert_string_equal(s->publisher, "acme");
        assert_true(s->slots_allowed);
        assert_int_equal(s->yaml->nslots, 2);
        assert_string_equal(mqfs_system_snap(sys, "localtool")->publisher, "");
        assert_int_equal(mqfs_system_snap(sys, "pc")->type, MQFS_SNAP_GADGET);
        assert_int_equal(mqfs_system_snap(sys, "core")->type, MQFS_SNAP_OS);
        /* The old-format entry: no "current" (the last revision is), no "type" (app). */
        assert_int_equal(mqfs_system_snap(sys, "legacy")->type, MQFS_SNAP_APP);
        assert_string_equal(mqfs_system_snap(sys, "legacy")->publisher, "acme");
        /* The parallel instance is its own snap with the snap's plugs. */
        assert_int_equal(mqfs_system_snap(sys, "consumer_two")->yaml->nplugs, 2);
        mqfs_system_free(sys);
}

static void test_snapd_connections_take_precedence(void **state)
{
        struct mqfs_system *sys = load(*state, EXTRA);
        /* Established by snapd: its slot-static attributes say read only, although the
         * slot's snap.yaml now grants more. */
        const struct mqfs_connection *c = conn(sys, "consumer", "mq");
        assert_non_null(c);
        assert_int_equal(c->source, MQFS_CONN_SNAPD);
        assert_false(c->manual);
        assert_int_equal(perms(sys, "consumer", "/shared"), R);
        /* By the gadget, across publishers (snapd's word, not the base declaration's). */
        c = conn(sys, "consumer", "gadget-mq");
        assert_non_null(c);
        assert_true(c->by_gadget);
        assert_int_equal(perms(sys, "consumer", "/gadget"), RW);
        /* Manual (no "auto"), without slot-static: the slot as snap.yaml has it. */
        c = conn(sys, "consumer_two", "mq");
        assert_non_null(c);
        assert_true(c->manual);
        assert_int_equal(c->source, MQFS_CONN_SNAPD);
        assert_int_equal(perms(sys, "consumer_two", "/shared"), MQFS_PERM_ALL);
        /* Undesired: not connected, and mqfs does not auto-connect it either, although
         * publisher and identifier match. */
        assert_null(conn(sys, "watcher", "mq"));
        assert_int_equal(queue_count(sys, "watcher"), 0);
        mqfs_system_free(sys);
}

static void test_self_resolution_where_snapd_has_none(void **state)
{
        struct mqfs_system *sys = load(*state, EXTRA);
        const struct mqfs_connection *c = conn(sys, "reader", "mq");
        assert_non_null(c);
        assert_int_equal(c->source, MQFS_CONN_AUTO);
        assert_string_equal(c->slot_snap->name, "provider");
        assert_string_equal(c->slot->name, "other");
        assert_int_equal(perms(sys, "reader", "/other"), RW);
        c = conn(sys, "legacy", "mq");
        assert_non_null(c);
        assert_int_equal(c->source, MQFS_CONN_AUTO);
        /* Unasserted (local, empty snap-id): never auto-connected... */
        assert_int_equal(mqfs_system_snap(sys, "localtool")->publisher[0], '\0');
        /* ...but system.yaml's connections: connects it, and its added snap resolves. */
        c = conn(sys, "localtool", "mq");
        assert_non_null(c);
        assert_int_equal(c->source, MQFS_CONN_MANUAL);
        assert_int_equal(perms(sys, "localtool", "/shared"), MQFS_PERM_ALL);
        assert_int_equal(conn(sys, "extra", "mq")->source, MQFS_CONN_AUTO);
        assert_int_equal(perms(sys, "extra", "/other"), RW);
        /* Own slots; a snap of type os has an empty grant set and nothing else. */
        assert_int_equal(perms(sys, "provider", "/shared"), MQFS_PERM_ALL);
        assert_int_equal(perms(sys, "pc", "/gadget"), MQFS_PERM_ALL);
        assert_int_equal(queue_count(sys, "core"), 0);
        mqfs_system_free(sys);
}

static void test_system_yaml_overrides(void **state)
{
        /* disconnected: removes a snapd connection and an auto one; a snaps: entry
         * replaces snapd's snap of that name; connections: adds one to a snapd-held plug. */
        struct mqfs_system *sys =
            load(*state, "snaps:\n"
                         "  - name: legacy\n    publisher: acme\n    snap-yaml-inline:\n"
                         "      name: legacy\n"
                         "      plugs: {mq: {interface: posix-mq, posix-mq: nothing}}\n"
                         "connections:\n  - plug: watcher:mq\n    slot: provider:mq\n"
                         "disconnected:\n"
                         "  - plug: consumer:mq\n    slot: provider:mq\n"
                         "  - plug: reader:mq\n    slot: provider:other\n");
        if (sys->nmessages) {
                dump_messages(sys);
                fail_msg("no message expected");
        }
        assert_null(conn(sys, "consumer", "mq"));
        assert_int_equal(perms(sys, "consumer", "/shared"), 0);
        assert_non_null(conn(sys, "consumer", "gadget-mq")); /* the other one stays */
        assert_null(conn(sys, "reader", "mq"));
        assert_null(conn(sys, "legacy", "mq")); /* system.yaml's legacy: label "nothing" */
        const struct mqfs_connection *c = conn(sys, "watcher", "mq");
        assert_non_null(c);
        assert_int_equal(c->source, MQFS_CONN_MANUAL);
        assert_int_equal(perms(sys, "watcher", "/shared"), MQFS_PERM_ALL);
        mqfs_system_free(sys);
}

static void test_snap_mount_dir_is_configurable(void **state)
{
        struct world *w = *state;
        char *from = snapd_fixture_path(w->root, "snap");
        char *to = snapd_fixture_path(w->root, "var/lib/snapd/snap");
        assert_int_equal(rename(from, to), 0);
        /* Found where Fedora-like systems keep it, without being told... */
        struct mqfs_system *sys = load(w, NULL);
        assert_int_equal(sys->nmessages, 0);
        assert_int_equal(sys->nsnaps, 9);
        mqfs_system_free(sys);
        /* ...and where it is said to be. */
        char *other = snapd_fixture_path(w->root, "mnt");
        assert_int_equal(rename(to, other), 0);
        char *yaml = NULL;
        assert_true(asprintf(&yaml, "snapd: {root: %s, snap-mount-dir: /mnt}\n", w->root) > 0);
        char *error = NULL;
        assert_int_equal(
            mqfs_system_load_buffer(yaml, strlen(yaml), w->root, "system.yaml", &sys, &error), 0);
        assert_int_equal(sys->nmessages, 0);
        assert_int_equal(sys->nsnaps, 9);
        mqfs_system_free(sys);
        assert_int_equal(rename(other, from), 0);
        free(yaml);
        free(from);
        free(to);
        free(other);
}

/* ---- bad input: reported with file and key, skipped, nothing else lost ---- */

static void expect_state_refused(struct world *w, const char *json, const char *why)
{
        snapd_fixture_state(w->root, json, false);
        struct mqfs_system *sys = load(w, EXTRA);
        expect_message(sys, "var/lib/snapd/state.json: ", why);
        assert_int_equal(sys->nmessages, 2); /* and the manual connection of a missing snap */
        expect_message(sys, "localtool", NULL);
        assert_true(sys->snapd_failed);
        assert_int_equal(sys->nsnaps, 1); /* system.yaml's own snap is still there */
        assert_string_equal(sys->snaps[0].name, "extra");
        mqfs_system_free(sys);
        snapd_fixture_state(w->root, STATE, false);
}

static void test_bad_state_json(void **state)
{
        struct world *w = *state;
        /* Truncated (half-written), at several places. */
        size_t len = strlen(STATE);
        for (size_t cut = 1; cut < len - 2; cut += len / 7) {
                char *half = strndup(STATE, cut);
                expect_state_refused(w, half, cut < 3 ? NULL : "truncated");
                free(half);
        }
        expect_state_refused(w, "", "empty");
        expect_state_refused(w, "snaps: [not json]\n", "not JSON");
        expect_state_refused(w, "{\"data\": {}} trailing", "not JSON");
        expect_state_refused(w, "[1, 2, 3]", "unknown shape");
        expect_state_refused(w, "{\"data\": {\"snaps\": []}}", "unknown shape");
        expect_state_refused(w, "{\"snaps\": {}}", "unknown shape");
        /* Unreadable. */
        char *path = snapd_fixture_path(w->root, "var/lib/snapd/state.json");
        assert_int_equal(unlink(path), 0);
        struct mqfs_system *sys = load(w, NULL);
        expect_message(sys, "state.json: cannot read it", "No such file");
        assert_true(sys->snapd_failed);
        mqfs_system_free(sys);
        free(path);
        snapd_fixture_state(w->root, STATE, false);
        sys = load(w, NULL);
        assert_false(sys->snapd_failed);
        mqfs_system_free(sys);
}

static void test_bad_assertion(void **state)
{
        struct world *w = *state;
        char *path = snapd_fixture_path(
            w->root,
            "var/lib/snapd/assertions/asserts-v0/snap-declaration/16/" READER_ID "/active");
        /* Not a declaration at all. */
        FILE *f = fopen(path, "w");
        fputs("garbage without headers\n\nsig\n", f);
        fclose(f);
        struct mqfs_system *sys = load(w, NULL);
        expect_message(sys, "data.snaps[\"reader\"]", READER_ID "/active");
        assert_int_equal(sys->nmessages, 1);
        assert_null(mqfs_system_snap(sys, "reader"));
        assert_int_equal(sys->nsnaps, 8); /* the rest is there */
        assert_non_null(conn(sys, "legacy", "mq"));
        mqfs_system_free(sys);
        /* Missing (unreadable). */
        assert_int_equal(unlink(path), 0);
        sys = load(w, NULL);
        expect_message(sys, "data.snaps[\"reader\"]", "No such file");
        assert_int_equal(sys->nsnaps, 8);
        mqfs_system_free(sys);
        snapd_fixture_declaration(w->root, READER_ID, "reader", "acme", NULL);
        free(path);
}

static void test_missing_snap_yaml(void **state)
{
        struct world *w = *state;
        char *path = snapd_fixture_path(w->root, "snap/provider/11/meta/snap.yaml");
        assert_int_equal(unlink(path), 0);
        struct mqfs_system *sys = load(w, NULL);
        expect_message(sys, "data.snaps[\"provider\"]",
                       "snap/provider/current/meta/snap.yaml is missing");
        assert_null(mqfs_system_snap(sys, "provider"));
        assert_int_equal(sys->nsnaps, 8);
        /* Its connections go with it (each said once), the other snaps stay whole. */
        expect_message(sys, "data.conns[\"consumer:mq provider:mq\"]", "no loaded snap");
        expect_message(sys, "data.conns[\"consumer_two:mq provider:mq\"]", "no loaded snap");
        assert_int_equal(sys->nmessages, 3);
        assert_int_equal(perms(sys, "consumer", "/gadget"), RW);
        mqfs_system_free(sys);
        /* A symlink where snap.yaml or meta/ should be is not followed (root would read
         * any host file the snap points at). */
        assert_int_equal(symlink("../10/meta/snap.yaml", path), 0);
        sys = load(w, NULL);
        expect_message(sys, "data.snaps[\"provider\"]", "symbolic link");
        assert_null(mqfs_system_snap(sys, "provider"));
        mqfs_system_free(sys);
        assert_int_equal(unlink(path), 0);
        char *meta = snapd_fixture_path(w->root, "snap/provider/11/meta");
        assert_int_equal(rmdir(meta), 0);
        assert_int_equal(symlink("../10/meta", meta), 0);
        sys = load(w, NULL);
        expect_message(sys, "data.snaps[\"provider\"]", "symbolic link");
        mqfs_system_free(sys);
        assert_int_equal(unlink(meta), 0);
        free(meta);
        snapd_fixture_snap(w->root, "provider", "11", PROVIDER_YAML);
        free(path);
}

static void test_bad_conns_entries(void **state)
{
        struct world *w = *state;
        /* Keys that do not parse, and fields of the wrong type. */
        static const char *const bad[] = {
            "\"consumer:mq\":{\"interface\":\"posix-mq\"}",
            "\"consumer:mq provider\":{\"interface\":\"posix-mq\"}",
            "\"consumer:mq  provider:mq\":{\"interface\":\"posix-mq\"}",
            "\"Consumer:mq provider:mq\":{\"interface\":\"posix-mq\"}",
            "\"consumer:mq provider:mq\":{\"interface\":\"posix-mq\",\"auto\":\"yes\"}",
            "\"consumer:mq provider:mq\":{\"interface\":\"posix-mq\",\"slot-static\":"
            "{\"path\":\"/a*\"}}",
            "\"consumer:mq provider:mq\":[]",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                char *json = NULL;
                const char *conns = strstr(STATE, "\"conns\":{") + strlen("\"conns\":{");
                assert_true(
                    asprintf(&json, "%.*s%s,%s", (int)(conns - STATE), STATE, bad[i], conns) > 0);
                /* A later duplicate key replaces the good entry in json-c: remove it. */
                char *good = strstr(
                    json,
                    ",\"consumer:mq provider:mq\":{\"interface\":\"posix-mq\",\"auto\":true,");
                if (strstr(bad[i], "\"consumer:mq provider:mq\"") && good != NULL) {
                        char *end = strstr(good, "}},") + 2;
                        memmove(good, end, strlen(end) + 1);
                }
                snapd_fixture_state(w->root, json, false);
                struct mqfs_system *sys = load(w, NULL);
                if (sys->nmessages != 1) {
                        dump_messages(sys);
                        fail_msg("case %zu: expected one message", i);
                }
                assert_non_null(strstr(sys->messages[0], "state.json: data.conns[\""));
                assert_non_null(strstr(sys->messages[0], "skipped"));
                /* Everything else is there. */
                assert_int_equal(sys->nsnaps, 9);
                assert_non_null(conn(sys, "consumer", "gadget-mq"));
                assert_non_null(conn(sys, "consumer_two", "mq"));
                assert_non_null(conn(sys, "reader", "mq"));
                mqfs_system_free(sys);
                free(json);
        }
        snapd_fixture_state(w->root, STATE, false);
}

static void test_bad_snaps_entries(void **state)
{
        struct world *w = *state;
        static const char *const bad[] = {
            "\"broken\":[]",
            "\"broken\":{\"type\":\"app\"}",
            "\"broken\":{\"type\":\"app\",\"sequence\":[{\"name\":\"broken\",\"revision\":\"1\"}],"
            "\"current\":\"2\"}",
            "\"broken\":{\"type\":\"nonsense\",\"sequence\":[{\"name\":\"broken\",\"revision\":"
            "\"1\"}],"
            "\"current\":\"1\"}",
            "\"broken\":{\"sequence\":[{\"name\":\"other\",\"revision\":\"1\"}],\"current\":\"1\"}",
            "\"broken\":{\"sequence\":[{\"name\":\"broken\",\"snap-id\":\"../../"
            "x\",\"revision\":\"1\"}],"
            "\"current\":\"1\"}",
            "\"Bad_Name\":{\"sequence\":[{\"name\":\"broken\",\"revision\":\"1\"}],\"current\":"
            "\"1\"}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                char *json = NULL;
                const char *snaps = strstr(STATE, "\"snaps\":{") + strlen("\"snaps\":{");
                assert_true(
                    asprintf(&json, "%.*s%s,%s", (int)(snaps - STATE), STATE, bad[i], snaps) > 0);
                snapd_fixture_state(w->root, json, false);
                struct mqfs_system *sys = load(w, NULL);
                if (sys->nmessages != 1 || !strstr(sys->messages[0], "state.json: data.snaps[\"")) {
                        dump_messages(sys);
                        fail_msg("case %zu: expected one message naming the entry", i);
                }
                assert_int_equal(sys->nsnaps, 9);
                mqfs_system_free(sys);
                free(json);
        }
        snapd_fixture_state(w->root, STATE, false);
}

static void test_slots_need_the_declaration(void **state)
{
        struct world *w = *state;
        /* The store did not grant posix-mq slots: provider's slots are refused (and the
         * connections to them say so); allow-installation: false as well. */
        for (int rule = 0; rule < 2; rule++) {
                snapd_fixture_declaration(w->root, PROVIDER_ID, "provider", "acme",
                                          rule ? "false" : NULL);
                struct mqfs_system *sys = load(w, NULL);
                expect_message(sys, "snap \"provider\" slot \"mq\" refused", NULL);
                expect_message(sys, "snap \"provider\" slot \"other\" refused", NULL);
                assert_int_equal(mqfs_system_snap(sys, "provider")->yaml->nslots, 0);
                assert_int_equal(queue_count(sys, "provider"), 0);
                assert_null(conn(sys, "consumer_two", "mq"));
                mqfs_system_free(sys);
        }
        snapd_fixture_declaration(w->root, PROVIDER_ID, "provider", "acme", "true");
}

/* mqfs-policy connections: the Notes column says where each row came from. */
static void test_connections_notes(void **state)
{
        struct world *w = *state;
        struct mqfs_system *sys = load(w, EXTRA); /* writes system.yaml */
        mqfs_system_free(sys);
        char *cmd = NULL, *out = NULL;
        size_t size = 0;
        assert_true(asprintf(&cmd, "%s/mqfs-policy connections --system %s/system.yaml",
                             MQFS_BIN_DIR, w->root) > 0);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        FILE *o = open_memstream(&out, &size);
        for (int ch; (ch = fgetc(p)) != EOF;)
                fputc(ch, o);
        fclose(o);
        assert_int_equal(pclose(p), 0);
        static const char *const rows[][3] = {
            {"consumer:mq ", "provider:mq ", "snapd\n"},
            {"consumer:gadget-mq ", "pc:mq ", "snapd,gadget\n"},
            {"consumer_two:mq ", "provider:mq ", "snapd,manual\n"},
            {"watcher:mq ", "- ", "-\n"},
            {"reader:mq ", "provider:other ", "auto\n"},
            {"legacy:mq ", "provider:other ", "auto\n"},
            {"localtool:mq ", "provider:mq ", "manual\n"},
            {"extra:mq ", "provider:other ", "auto\n"},
        };
        for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
                char *line = strstr(out, rows[i][0]);
                if (line == NULL || !strstr(line, rows[i][1]) ||
                    strstr(line, rows[i][2]) != strchr(line, '\n') - strlen(rows[i][2]) + 1)
                        fail_msg("no row %s %s %s in:\n%s", rows[i][0], rows[i][1], rows[i][2],
                                 out);
        }
        free(out);
        free(cmd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_snaps_from_snapd),
            cmocka_unit_test(test_snapd_connections_take_precedence),
            cmocka_unit_test(test_self_resolution_where_snapd_has_none),
            cmocka_unit_test(test_system_yaml_overrides),
            cmocka_unit_test(test_snap_mount_dir_is_configurable),
            cmocka_unit_test(test_bad_state_json),
            cmocka_unit_test(test_bad_assertion),
            cmocka_unit_test(test_missing_snap_yaml),
            cmocka_unit_test(test_bad_conns_entries),
            cmocka_unit_test(test_bad_snaps_entries),
            cmocka_unit_test(test_slots_need_the_declaration),
            cmocka_unit_test(test_connections_notes),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
