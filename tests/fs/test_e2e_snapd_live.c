/* test_e2e_snapd_live.c — snapd as the source, live (issue 12, item 3): the real mqfsd
 * serves `snapd: {root: ROOT}`, a fixture snapd machine in snapd's formats
 * (snapd_fixture.h) under the test's private /run; snap "consumer"'s view is attached in
 * a snap mount namespace. Then, without a restart or a signal:
 *  - state.json replaced by rename (as snapd writes it) changes the grant in the open
 *    view, and the daemon's log names the change (which snap gained or lost which queue);
 *  - a half-written state.json (written in place, cut short) is refused: the running
 *    policy stays whole;
 *  - a new revision in the snap mount directory (the "current" symlink flipped) and an
 *    edit of a snap.yaml named by system.yaml are noticed too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "e2e_harness.h"
#include "snapd_fixture.h"

#define PROVIDER_ID "PRoVIDERlive00000000000000000001"
#define CONSUMER_ID "CoNSUMERlive00000000000000000002"
#define TOOL_YAML   E2E_DIR "/tool.yaml"

static char *root;
static struct e2e_snap consumer;

static const char PROVIDER_YAML[] = "name: provider\nslots:\n  live:\n    interface: posix-mq\n"
                                    "    path: /live\n    permissions: [read, write]\n";
static const char PROVIDER_YAML_2[] = "name: provider\nslots:\n  live:\n    interface: posix-mq\n"
                                      "    path: [/live, /extra]\n"
                                      "    permissions: [read, write]\n";
static const char CONSUMER_YAML[] = "name: consumer\nplugs:\n  live:\n    interface: posix-mq\n";

/* data.snaps of the fixture, then data.conns as given. */
static char *state(const char *conns)
{
        char *json = NULL;
        if (asprintf(&json,
                     "{\"data\":{\"snaps\":{"
                     "\"provider\":{\"type\":\"app\",\"sequence\":[{\"name\":\"provider\","
                     "\"snap-id\":\"" PROVIDER_ID "\",\"revision\":\"1\"}],\"active\":true,"
                     "\"current\":\"1\"},"
                     "\"consumer\":{\"type\":\"app\",\"sequence\":[{\"name\":\"consumer\","
                     "\"snap-id\":\"" CONSUMER_ID "\",\"revision\":\"1\"}],\"active\":true,"
                     "\"current\":\"1\"}},"
                     "\"conns\":{%s}},\"changes\":{},\"tasks\":{},\"last-change-id\":0}\n",
                     conns) < 0)
                abort();
        return json;
}

#define CONN_READ                                                                                  \
        "\"consumer:live provider:live\":{\"interface\":\"posix-mq\",\"auto\":true,"               \
        "\"slot-static\":{\"path\":\"/live\",\"permissions\":[\"read\"]}}"
#define CONN_READ_WRITE                                                                            \
        "\"consumer:live provider:live\":{\"interface\":\"posix-mq\",\"auto\":true,"               \
        "\"slot-static\":{\"path\":\"/live\",\"permissions\":[\"read\",\"write\"]}}"
#define CONN_UNDESIRED                                                                             \
        "\"consumer:live provider:live\":{\"interface\":\"posix-mq\",\"auto\":true,"               \
        "\"undesired\":true}"

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* Waits until the log holds more lines with needle than before (hang guard only). */
static bool wait_log(const char *needle, int before)
{
        for (int i = 0; i < 2000; i++) {
                if (e2e_log_count(needle) > before)
                        return true;
                sleep_ms(10);
        }
        return false;
}

/* Writes state.json (by rename unless in_place) and waits for the reload it causes:
 * true when the policy was reloaded, false when it was refused. */
static bool apply_state(const char *conns, bool in_place, size_t cut)
{
        int reloaded = e2e_log_count("policy reloaded");
        int refused = e2e_log_count("stays in place");
        char *json = state(conns);
        if (cut)
                json[cut] = '\0';
        snapd_fixture_state(root, json, in_place);
        free(json);
        for (int i = 0; i < 2000; i++) {
                if (e2e_log_count("policy reloaded") > reloaded)
                        return true;
                if (e2e_log_count("stays in place") > refused)
                        return false;
                sleep_ms(10);
        }
        fail_msg("the daemon did not notice the new state.json\n%s", e2e_log_tail());
        return false;
}

static void expect_log(const char *needle, int before)
{
        if (!wait_log(needle, before))
                fail_msg("the log has no new line \"%s\"\n%s", needle, e2e_log_tail());
}

static int setup(void **state_)
{
        (void)state_;
        setenv("TMPDIR", E2E_DIR, 1);
        root = snapd_fixture_root();
        snapd_fixture_snap(root, "provider", "1", PROVIDER_YAML);
        snapd_fixture_snap(root, "consumer", "1", CONSUMER_YAML);
        snapd_fixture_declaration(root, PROVIDER_ID, "provider", "acme", "true");
        snapd_fixture_declaration(root, CONSUMER_ID, "consumer", "acme", NULL);
        char *json = state(CONN_READ);
        snapd_fixture_state(root, json, false);
        free(json);
        FILE *f = fopen(TOOL_YAML, "w");
        fputs("name: tool\nslots:\n  t:\n    interface: posix-mq\n    path: /tool1\n", f);
        fclose(f);
        char *yaml = NULL;
        if (asprintf(&yaml,
                     "snapd: {root: %s}\nsnaps:\n  - name: tool\n    snap-yaml: " TOOL_YAML "\n",
                     root) < 0 ||
            e2e_system_write(yaml) != 0 || e2e_daemon_start() != 0)
                return -1;
        free(yaml);
        if (e2e_snap_start(&consumer, "consumer") != 0 || e2e_hq_create("live", 0666) != 0 ||
            e2e_hq_create("extra", 0666) != 0)
                return -1;
        char out[4096];
        int rc = e2e_mount_helper(out, sizeof(out), "attach", "consumer", NULL);
        if (rc != 0) {
                fprintf(stderr, "mqfs-mount attach consumer: exit %d\n%s", rc, out);
                return -1;
        }
        return 0;
}

static int teardown(void **state_)
{
        (void)state_;
        char out[4096];
        e2e_mount_helper(out, sizeof(out), "detach", "consumer", NULL);
        e2e_snap_stop(&consumer);
        int rc = e2e_daemon_stop_clean();
        snapd_fixture_remove(root);
        free(root);
        return rc;
}

static void state_json_replaced_by_rename(void **state_)
{
        (void)state_;
        /* snapd connected it with read only. */
        struct e2e_result r = e2e_in_snap(&consumer, 0, 0, E2E_LIST, "/dev/mqueue", NULL);
        assert_int_equal(r.open_err, 0);
        assert_string_equal(r.text, "live");
        r = e2e_in_snap(&consumer, 0, 0, E2E_SEND, "/dev/mqueue/live", "one");
        assert_int_equal(r.open_err ? r.open_err : r.io_err, EACCES);

        /* snapd reconnects with read and write: the same view may send now. */
        int changed = e2e_log_count("snap consumer now holds /live with open read write");
        assert_true(apply_state(CONN_READ_WRITE, false, 0));
        expect_log("snap consumer now holds /live with open read write (had open read)", changed);
        r = e2e_in_snap(&consumer, 0, 0, E2E_SEND, "/dev/mqueue/live", "one");
        assert_int_equal(r.open_err, 0);
        assert_int_equal(r.io_err, 0);
        assert_int_equal(e2e_hq_count("live"), 1);

        /* `snap disconnect`: undesired. The queue vanishes from the view. */
        int lost = e2e_log_count("snap consumer lost /live");
        assert_true(apply_state(CONN_UNDESIRED, false, 0));
        expect_log("snap consumer lost /live (had open read write)", lost);
        assert_true(e2e_wait_listing(&consumer, "/dev/mqueue", ""));
        r = e2e_in_snap(&consumer, 0, 0, E2E_STAT, "/dev/mqueue/live", NULL);
        assert_int_equal(r.open_err, ENOENT);

        /* A half-written state.json (cut in the middle of a connection that would grant
         * /live again) is refused whole; nothing changes. */
        char *full = state(CONN_READ_WRITE);
        size_t cut = strlen(full) - 60; /* inside the connection's slot-static */
        free(full);
        int truncated = e2e_log_count("truncated");
        assert_false(apply_state(CONN_READ_WRITE, true, cut));
        expect_log("truncated", truncated);
        r = e2e_in_snap(&consumer, 0, 0, E2E_LIST, "/dev/mqueue", NULL);
        assert_string_equal(r.text, "");

        /* snapd's next good write restores it. */
        int gained = e2e_log_count("snap consumer gained /live");
        assert_true(apply_state(CONN_READ, false, 0));
        expect_log("snap consumer gained /live (open read)", gained);
        assert_true(e2e_wait_listing(&consumer, "/dev/mqueue", "live"));
}

static void new_revision_in_the_snap_mount_dir(void **state_)
{
        (void)state_;
        /* A refresh: revision 2 appears and "current" is flipped to it. */
        int reloaded = e2e_log_count("policy reloaded");
        int gained = e2e_log_count("snap provider gained /extra");
        snapd_fixture_snap(root, "provider", "2", PROVIDER_YAML_2);
        expect_log("snap provider gained /extra (open read write create delete)", gained);
        assert_true(e2e_log_count("policy reloaded") > reloaded);
        /* The consumer's connection is snapd's record (slot-static /live): unchanged. */
        struct e2e_result r = e2e_in_snap(&consumer, 0, 0, E2E_LIST, "/dev/mqueue", NULL);
        assert_string_equal(r.text, "live");
}

static void snap_yaml_named_by_system_yaml(void **state_)
{
        (void)state_;
        int gained = e2e_log_count("snap tool gained /tool2");
        int lost = e2e_log_count("snap tool lost /tool1");
        FILE *f = fopen(TOOL_YAML ".new", "w");
        fputs("name: tool\nslots:\n  t:\n    interface: posix-mq\n    path: /tool2\n", f);
        fclose(f);
        assert_int_equal(rename(TOOL_YAML ".new", TOOL_YAML), 0);
        expect_log("snap tool gained /tool2", gained);
        expect_log("snap tool lost /tool1", lost);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(state_json_replaced_by_rename),
            cmocka_unit_test(new_revision_in_the_snap_mount_dir),
            cmocka_unit_test(snap_yaml_named_by_system_yaml),
        };
        return e2e_run_group("test_e2e_snapd_live", tests, sizeof(tests) / sizeof(tests[0]), setup,
                             teardown);
}
