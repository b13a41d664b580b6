/* test_rule_check.c — the AppArmor fuzz oracle (rule_check.h) accepts what the generator
 * writes and rejects every kind of malformed rule it is meant to catch. Without this, a
 * checker that accepts everything would let the fuzz target pass forever. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grants.h"
#include "perm.h"
#include "rule_check.h"

static struct mqfs_grant_table *grants;
static const struct mqfs_grant_set *set;

static int setup(void **state)
{
        (void)state;
        if (mqfs_grant_table_new(&grants) != 0 ||
            mqfs_grant_table_add(grants, "s", "/rw", MQFS_PERM_READ | MQFS_PERM_WRITE) != 0 ||
            mqfs_grant_table_add(grants, "s", "/ro", MQFS_PERM_READ) != 0 ||
            mqfs_grant_table_add(grants, "s", "/del", MQFS_PERM_DELETE) != 0 ||
            mqfs_grant_table_freeze(grants) != 0)
                return -1;
        set = mqfs_grant_table_set_of(grants, "s");
        return set ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        mqfs_grant_table_unref(grants);
        return 0;
}

/* Runs the checker in a child; true when it aborted (rejected the text). */
static bool rejected(enum text_kind kind, const char *text)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (null >= 0)
                        dup2(null, STDERR_FILENO); /* the expected complaint */
                struct text_ctx t = {.what = "test", .kind = kind, .set = set};
                fuzz_check_rules(&t, text);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) || WIFSIGNALED(status));
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void accepts_generated_texts(void **state)
{
        (void)state;
        static const struct {
                enum text_kind kind;
                const char *text;
        } good[] = {
            {SNIPPET_MQUEUE, ""},
            {SNIPPET_MQUEUE,
             "  # POSIX Message Queue slot: a\n"
             "  mqueue (open read write create delete getattr setattr) type=posix \"/rw\",\n"
             "  # POSIX Message Queue plug: b\n"
             "  mqueue (read read open getattr) type=posix \"/ro\",\n"
             "  mqueue (getattr) type=posix \"/\",\n"},
            {SNIPPET_VIEW, "  /dev/mqueue/ r,\n  \"/dev/mqueue/del\" rw,\n"
                           "  \"/dev/mqueue/ro\" r,\n  \"/dev/mqueue/rw\" rw,\n"},
            {SNIPPET_MOUNT, "  mount options=(rw, bind) /run/mqfs/s/ -> /dev/mqueue/,\n"
                            "  umount /dev/mqueue/,\n"},
            {PROFILE, "# header comment\n#include <tunables/global>\n\n"
                      "profile snap-update-ns.s flags=(attach_disconnected) {\n"
                      "  #include <abstractions/base>\n\n"
                      "  # why\n  capability sys_admin,\n  /proc/[0-9]*/ns/mnt r,\n"
                      "  mqueue (read open getattr) type=posix \"/ro\",\n"
                      "  \"/dev/mqueue/ro\" r,\n}\n"},
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct text_ctx t = {.what = "test", .kind = good[i].kind, .set = set};
                fuzz_check_rules(&t, good[i].text); /* aborts the test if it disagrees */
        }
}

static void rejects_malformed_rules(void **state)
{
        (void)state;
        static const struct {
                enum text_kind kind;
                const char *text;
                const char *why;
        } bad[] = {
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/rw\",", "no final newline"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/rw\"\n", "no final comma"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/rw,\n", "unbalanced quote"},
            {SNIPPET_MQUEUE,
             "  mqueue (open) type=posix \"/rw\", mqueue (open) type=posix \"/ro\",\n",
             "two rules on a line"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/r\x01w\",\n", "control byte in quotes"},
            {SNIPPET_MQUEUE, "  mqueue (open)\ttype=posix \"/rw\",\n", "tab"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/r\x7fw\",\n", "DEL"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/other\",\n", "ungranted queue"},
            {SNIPPET_MQUEUE, "  mqueue (getattr read) type=posix \"/\",\n", "\"/\" beyond getattr"},
            {SNIPPET_MQUEUE, "  mqueue (open frob) type=posix \"/rw\",\n", "unknown word"},
            {SNIPPET_MQUEUE, "  mqueue (open  read) type=posix \"/rw\",\n", "empty word"},
            {SNIPPET_MQUEUE, "  mqueue () type=posix \"/rw\",\n", "empty parentheses"},
            {SNIPPET_MQUEUE, "  mqueue (open) type=posix \"/rw\\\",\n", "backslash"},
            {SNIPPET_MQUEUE, "  mqueue (open) \"/rw\",\n", "wrong mqueue form"},
            {SNIPPET_MQUEUE, "  capability sys_admin,\n", "not an mqueue rule"},
            {SNIPPET_MQUEUE, "  #foo\n", "'#' directive"},
            {SNIPPET_MQUEUE, "    mqueue (open) type=posix \"/rw\",\n", "indented by four"},
            {SNIPPET_MQUEUE, "mqueue (open) type=posix \"/rw\",\n", "not indented"},
            {SNIPPET_MQUEUE, "\n", "empty line in a snippet"},
            {SNIPPET_VIEW, "  \"/dev/mqueue/ro\" rw,\n", "rw for a read-only queue"},
            {SNIPPET_VIEW, "  \"/dev/mqueue/rw\" r,\n", "r for a writable queue"},
            {SNIPPET_VIEW, "  \"/dev/mqueue/nope\" r,\n", "ungranted view queue"},
            {SNIPPET_VIEW, "  /dev/mqueue/** rw,\n", "not a view rule"},
            {SNIPPET_MOUNT, "  /dev/mqueue/ rw,\n", "not a mount rule"},
            {PROFILE, "  capability,\nprofile x {\n}\n", "rule outside the profile"},
            {PROFILE, "profile x {\n  capability,\n", "unclosed profile"},
            {PROFILE, "profile x {\n}\nprofile y {\n}\n", "two profiles"},
            {PROFILE, "}\n", "'}' without a profile"},
            {PROFILE, "profile \"x\" {\n}\n", "quote in the profile header"},
            {PROFILE, "profile x {\n  mount options=((rw)) /a -> /b,\n}\n", "nested parentheses"},
            {PROFILE, "profile x {\n  /a{b,c} r,\n}\n", "brace outside quotes"},
            {PROFILE, "profile x {\n  /caf\xc3\xa9 r,\n}\n", "non-ASCII outside quotes"},
            {PROFILE, "profile x {\n  #include <../../etc/shadow\n}\n", "broken include"},
            {PROFILE, "profile x {\n  # a comment\x0b  capability,\n}\n",
             "vertical tab in comment"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (!rejected(bad[i].kind, bad[i].text))
                        fail_msg("the checker accepted a text with a defect: %s", bad[i].why);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(accepts_generated_texts),
            cmocka_unit_test(rejects_malformed_rules),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
