/* test_aaload.c — the AppArmor status decision and profile installation, with the
 * "enabled" answer, the features directory, the parser and the kernel loader injected:
 * this machine's kernel has no AppArmor, so the real load never runs here. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "aaload.h"
#include "fixture.h"

static char scratch[64];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        (void)sb;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

static int setup(void **state)
{
        (void)state;
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch, sizeof(scratch), "%s/mqfs-aaload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        return mkdtemp(scratch) ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static char *path_in(const char *rel)
{
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", scratch, rel) > 0);
        return p;
}

static void make_file(const char *rel, const char *text, mode_t mode)
{
        char *p = path_in(rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
        free(p);
}

static void make_dir(const char *rel)
{
        char *p = path_in(rel);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
}

static char *slurp(const char *rel)
{
        char *p = path_in(rel);
        FILE *f = fopen(p, "re");
        free(p);
        if (!f)
                return NULL;
        char *buf = calloc(1, 65536);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static bool exists(const char *rel)
{
        char *p = path_in(rel);
        bool yes = access(p, F_OK) == 0;
        free(p);
        return yes;
}

static void test_decide_not_enabled(void **state)
{
        (void)state;
        struct mqfs_aa_status st;
        make_dir("features");
        make_dir("features/ipc");
        make_file("features/ipc/posix_mqueue", "create open delete\n", 0444);
        char *features = path_in("features");
        /* A features directory does not make AppArmor enabled. */
        assert_int_equal(mqfs_aa_status_decide(&st, false, features), 0);
        assert_false(st.enabled);
        assert_false(st.mqueue_mediated);
        assert_string_equal(st.features, "");
        assert_int_equal(mqfs_aa_status_decide(&st, false, NULL), 0);
        assert_false(st.enabled);
        free(features);
}

static void test_decide_enabled_mediation(void **state)
{
        (void)state;
        struct mqfs_aa_status st;
        make_dir("with");
        make_dir("with/ipc");
        make_file("with/ipc/posix_mqueue", "create open delete read write getattr setattr\n", 0444);
        make_dir("without");
        make_dir("without/ipc");
        make_file("without/ipc/signal", "mask\n", 0444);
        char *with = path_in("with"), *without = path_in("without"), *missing = path_in("none");

        assert_int_equal(mqfs_aa_status_decide(&st, true, with), 0);
        assert_true(st.enabled);
        assert_true(st.mqueue_mediated);
        assert_string_equal(st.features, with);

        assert_int_equal(mqfs_aa_status_decide(&st, true, without), 0);
        assert_true(st.enabled);
        assert_false(st.mqueue_mediated);
        assert_string_equal(st.features, without);

        assert_int_equal(mqfs_aa_status_decide(&st, true, missing), -ENOENT);
        assert_false(st.enabled);
        assert_int_equal(mqfs_aa_status_decide(&st, true, NULL), -EINVAL);
        assert_int_equal(mqfs_aa_status_decide(&st, true, ""), -EINVAL);
        assert_false(st.enabled);
        free(with);
        free(without);
        free(missing);
}

/* The real kernel: on a machine without AppArmor (no securityfs apparmor directory), the
 * answer is "not enabled"; with it, enabled and a features directory is named. */
static void test_status_read_this_kernel(void **state)
{
        (void)state;
        struct mqfs_aa_status st;
        int rc = mqfs_aa_status_read(&st);
        if (access("/sys/kernel/security/apparmor", F_OK) != 0) {
                assert_int_equal(rc, 0);
                assert_false(st.enabled);
                assert_false(st.mqueue_mediated);
                assert_string_equal(st.features, "");
        } else if (rc == 0 && st.enabled) {
                assert_non_null(strstr(st.features, "/features"));
        }
}

static const struct mqfs_aa_profile two[] = {
    {"snap.alpha.mqfs", "profile snap.alpha.mqfs {\n  /dev/mqueue/ r,\n}\n"},
    {"snap-update-ns.alpha", "profile snap-update-ns.alpha {\n  umount /dev/mqueue/,\n}\n"},
};

static void test_install_not_enabled_writes(void **state)
{
        (void)state;
        struct mqfs_aa_status st;
        assert_int_equal(mqfs_aa_status_decide(&st, false, NULL), 0);
        char *dir = path_in("var/lib/mqfs/apparmor"); /* created with its parents */
        int calls = 0;
        struct mqfs_aa_install_options o = {.dir = dir, .load_ctx = &calls};
        char *msg = NULL;
        assert_int_equal(mqfs_aa_install(&st, two, 2, &o, &msg), 0);
        char *want = NULL;
        assert_true(asprintf(&want,
                             "AppArmor is not enabled: profiles written to %s; the broker "
                             "enforces the posix-mq rules",
                             dir) > 0);
        assert_string_equal(msg, want);
        for (size_t i = 0; i < 2; i++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "var/lib/mqfs/apparmor/%s", two[i].name);
                char *text = slurp(rel);
                assert_non_null(text);
                assert_string_equal(text, two[i].text);
                free(text);
                struct stat sb;
                char *p = path_in(rel);
                assert_int_equal(stat(p, &sb), 0);
                assert_int_equal(sb.st_mode & 07777, 0644);
                free(p);
                snprintf(rel, sizeof(rel), "var/lib/mqfs/apparmor/%s.bin", two[i].name);
                assert_false(exists(rel)); /* nothing compiled */
        }
        assert_false(exists("var/lib/mqfs/apparmor/.snap.alpha.mqfs.tmp"));

        /* Again: the files are replaced, not appended to. */
        free(msg);
        const struct mqfs_aa_profile changed = {"snap.alpha.mqfs",
                                                "profile snap.alpha.mqfs {\n}\n"};
        assert_int_equal(mqfs_aa_install(&st, &changed, 1, &o, &msg), 0);
        char *text = slurp("var/lib/mqfs/apparmor/snap.alpha.mqfs");
        assert_string_equal(text, changed.text);
        free(text);
        free(msg);
        free(want);
        free(dir);
}

static void test_install_refuses_bad_names(void **state)
{
        (void)state;
        struct mqfs_aa_status st = {.enabled = false};
        char *dir = path_in("bad");
        struct mqfs_aa_install_options o = {.dir = dir};
        static const char *const names[] = {"", ".hidden", "a/b", "../x", "a b", "snap.\x01"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                struct mqfs_aa_profile p[] = {{"fine", "profile fine {\n}\n"},
                                              {names[i], "profile x {\n}\n"}};
                char *msg = NULL;
                assert_int_equal(mqfs_aa_install(&st, p, 2, &o, &msg), -EINVAL);
                assert_non_null(strstr(msg, "cannot install an AppArmor profile named"));
                free(msg);
        }
        assert_false(exists("bad")); /* nothing written, not even the first */
        struct mqfs_aa_profile p = {"fine", "x"};
        char *msg = NULL;
        struct mqfs_aa_install_options rel = {.dir = "relative/dir"};
        assert_int_equal(mqfs_aa_install(&st, &p, 1, &rel, &msg), -EINVAL);
        assert_non_null(strstr(msg, "absolute"));
        free(msg);
        free(dir);
}

struct loads {
        int calls;
        char seen[4][PATH_MAX];
        int fail_at; /* 1-based call that fails with -EPERM; 0: none */
};

static int record_load(const char *binary_path, void *ctx)
{
        struct loads *l = ctx;
        if (l->calls < 4)
                snprintf(l->seen[l->calls], PATH_MAX, "%s", binary_path);
        l->calls++;
        return l->calls == l->fail_at ? -EPERM : 0;
}

/* Enabled: each profile is compiled by the real apparmor_parser into DIR/NAME.bin and
 * that binary handed to the loader. The features come from fx_parser (a file: this
 * kernel has no features directory to give). */
static void test_install_enabled_compiles_and_loads(void **state)
{
        (void)state;
        struct fx_dir *d = fx_dir_new();
        struct mqfs_apparmor_parser parser = fx_parser(d);
        struct mqfs_aa_status st = {.enabled = true, .mqueue_mediated = false};
        snprintf(st.features, sizeof(st.features), "%s", parser.features);
        char *dir = path_in("loaded");
        struct loads l = {0};
        struct mqfs_aa_install_options o = {
            .dir = dir, .parser = parser.path, .load = record_load, .load_ctx = &l};
        char *msg = NULL;
        int rc = mqfs_aa_install(&st, two, 2, &o, &msg);
        if (rc)
                fail_msg("install: %d: %s", rc, msg ? msg : "(no message)");
        assert_int_equal(l.calls, 2);
        for (size_t i = 0; i < 2; i++) {
                char want[PATH_MAX];
                snprintf(want, sizeof(want), "%s/%s.bin", dir, two[i].name);
                assert_string_equal(l.seen[i], want);
                struct stat sb;
                assert_int_equal(stat(want, &sb), 0);
                assert_true(sb.st_size > 0);
        }
        assert_non_null(strstr(msg, "AppArmor is enabled: 2 profiles loaded"));
        assert_non_null(strstr(msg, "does not mediate POSIX message queues: the broker enforces"));
        free(msg);

        /* Mediated: said so. */
        st.mqueue_mediated = true;
        l = (struct loads){0};
        assert_int_equal(mqfs_aa_install(&st, two, 1, &o, &msg), 0);
        assert_int_equal(l.calls, 1);
        assert_non_null(strstr(msg, "1 profile loaded"));
        assert_non_null(strstr(msg, "mediates POSIX message queues"));
        free(msg);

        /* The kernel refuses the second: the error names it and what to do. */
        l = (struct loads){.fail_at = 2};
        assert_int_equal(mqfs_aa_install(&st, two, 2, &o, &msg), -EPERM);
        assert_non_null(strstr(msg, "cannot load the AppArmor profile snap-update-ns.alpha"));
        assert_non_null(strstr(msg, "apparmor_parser -r"));
        free(msg);

        /* The parser refuses a profile: nothing is loaded, the parser's words are shown. */
        const struct mqfs_aa_profile broken = {"broken", "profile broken {\n  nonsense here\n}\n"};
        l = (struct loads){0};
        assert_int_equal(mqfs_aa_install(&st, &broken, 1, &o, &msg), -EINVAL);
        assert_int_equal(l.calls, 0);
        assert_non_null(strstr(msg, "cannot compile the AppArmor profile broken"));
        assert_non_null(strstr(msg, "it refused it"));
        free(msg);

        /* No parser where one is said to be. */
        char *nowhere = path_in("no-such-parser");
        o.parser = nowhere;
        assert_true(mqfs_aa_install(&st, two, 1, &o, &msg) < 0);
        assert_non_null(strstr(msg, "cannot compile the AppArmor profile snap.alpha.mqfs"));
        assert_int_equal(l.calls, 0);
        free(msg);
        free(nowhere);
        free(dir);
        fx_dir_remove(d);
}

#define TOOL    MQFS_BIN_DIR "/mqfs-policy"
#define EXAMPLE MQFS_SOURCE_DIR "/examples/system.yaml"

/* The CLI on this machine: the kernel has no AppArmor, so the profiles are written, the
 * notice is given once on stderr, nothing goes to stdout, and each file holds exactly
 * the profile `apparmor --profile` prints. */
static void test_cli_install_writes_here(void **state)
{
        (void)state;
        if (access("/sys/kernel/security/apparmor", F_OK) == 0)
                skip(); /* would load into this kernel: not for a unit test */
        char *dir = path_in("cli/apparmor");
        char *const install[] = {TOOL,    "apparmor",  "--profile", "--mqueue", "no", "--system",
                                 EXAMPLE, "--install", "--dir",     dir,        NULL};
        struct fx_run r;
        fx_run(install, &r);
        if (r.status != 0)
                fail_msg("status %d, stderr: %s", r.status, r.err);
        assert_string_equal(r.out, "");
        char *want = NULL;
        assert_true(asprintf(&want,
                             "mqfs-policy: AppArmor is not enabled: profiles written to %s; the "
                             "broker enforces the posix-mq rules\n",
                             dir) > 0);
        assert_string_equal(r.err, want);
        fx_run_free(&r);

        char *const print[] = {TOOL, "apparmor", "--profile", "--mqueue",
                               "no", "--system", EXAMPLE,     NULL};
        fx_run(print, &r);
        assert_int_equal(r.status, 0);
        static const char *const files[] = {"snap.provider.mqfs",
                                            "snap-update-ns.provider",
                                            "snap.consumer.mqfs",
                                            "snap-update-ns.consumer",
                                            "snap.monitor.mqfs",
                                            "snap-update-ns.monitor",
                                            "mqfsd"};
        size_t total = 0;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                char rel[128];
                snprintf(rel, sizeof(rel), "cli/apparmor/%s", files[i]);
                char *text = slurp(rel);
                if (!text)
                        fail_msg("%s was not written", rel);
                char head[160];
                snprintf(head, sizeof(head), "profile %s ", files[i]);
                assert_non_null(strstr(text, head));
                assert_non_null(strstr(r.out, text));
                total += strlen(text);
                free(text);
        }
        /* The printed profiles are the files, separated by one blank line each. */
        assert_int_equal(strlen(r.out), total + sizeof(files) / sizeof(files[0]) - 1);
        fx_run_free(&r);

        char *const misuse[] = {TOOL,    "apparmor", "--profile", "--system",
                                EXAMPLE, "--dir",    dir,         NULL};
        fx_run(misuse, &r);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "--dir goes with --install"));
        fx_run_free(&r);
        free(want);
        free(dir);
}

static int group_teardown(void **state)
{
        (void)state;
        return fx_cleanup_all();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_decide_not_enabled, setup, teardown),
            cmocka_unit_test_setup_teardown(test_decide_enabled_mediation, setup, teardown),
            cmocka_unit_test(test_status_read_this_kernel),
            cmocka_unit_test_setup_teardown(test_install_not_enabled_writes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_install_refuses_bad_names, setup, teardown),
            cmocka_unit_test_setup_teardown(test_install_enabled_compiles_and_loads, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_cli_install_writes_here, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, group_teardown);
}
