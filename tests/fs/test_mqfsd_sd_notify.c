/* test_mqfsd_sd_notify.c — mqfsd under systemd's notify protocol (Type=notify), with the
 * test as the service manager: a datagram socket bound by the test is $NOTIFY_SOCKET.
 * READY=1 comes only once the mount answers (checked when it arrives), RELOADING=1 with
 * MONOTONIC_USEC then READY=1 around each reload (SIGHUP, and an edit noticed by the
 * daemon), STOPPING=1 on SIGTERM; and under -f every log line starts with its syslog
 * priority "<N>", matching its level word, so that journald keeps the levels.
 * Root; the private world of e2e_harness.h (exit 77 = skipped when not root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e_harness.h"

#define NOTIFY_PATH   E2E_DIR "/notify.sock"
#define HANG_GUARD_MS 60000 /* only to end a hung test; nothing asserts a duration */

static const char *const SYSTEM = "snaps:\n"
                                  "  - name: alpha\n"
                                  "    snap-yaml-inline: {name: alpha}\n";
static const char *const SYSTEM2 = "snaps:\n"
                                   "  - name: alpha\n"
                                   "    snap-yaml-inline: {name: alpha}\n"
                                   "  - name: beta\n"
                                   "    snap-yaml-inline: {name: beta}\n";

static int sock = -1;

/* The next datagram, NUL-terminated, in buf; fails the test on a hang. */
static void next_message(char *buf, size_t size)
{
        struct pollfd p = {.fd = sock, .events = POLLIN};
        int r = poll(&p, 1, HANG_GUARD_MS);
        if (r != 1)
                fail_msg("no notification from mqfsd (poll %d); its log:\n%s", r, e2e_log_tail());
        ssize_t n = recv(sock, buf, size - 1, 0);
        assert_true(n >= 0);
        buf[n] = '\0';
}

static bool has_line(const char *msg, const char *line)
{
        size_t len = strlen(line);
        for (const char *p = msg; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0'))
                        return true;
        return false;
}

/* Reads notifications until one holds READY=1; the earlier ones must not. */
static void expect_ready(char *buf, size_t size)
{
        next_message(buf, size);
        if (!has_line(buf, "READY=1"))
                fail_msg("want READY=1, got \"%s\"", buf);
}

/* RELOADING=1 with MONOTONIC_USEC=<digits>, then READY=1. */
static void expect_reload(void)
{
        char msg[512];
        next_message(msg, sizeof(msg));
        if (!has_line(msg, "RELOADING=1"))
                fail_msg("want RELOADING=1, got \"%s\"", msg);
        const char *t = strstr(msg, "MONOTONIC_USEC=");
        assert_non_null(t);
        t += strlen("MONOTONIC_USEC=");
        assert_true(*t >= '1' && *t <= '9');
        assert_true(strspn(t, "0123456789") == strlen(t) || t[strspn(t, "0123456789")] == '\n');
        expect_ready(msg, sizeof(msg));
}

static void ready_after_the_mount_answers_and_reloads_are_told(void **state)
{
        (void)state;
        char msg[512];
        assert_int_equal(e2e_system_write(SYSTEM), 0);
        assert_true(e2e_daemon_spawn() > 0);

        /* Nothing but READY=1 may come first, and when it comes the mount answers: a
         * statfs of the root (served by the daemon) says FUSE, and the root lists alpha. */
        expect_ready(msg, sizeof(msg));
        assert_true(e2e_root_is_fuse());
        DIR *d = opendir(E2E_ROOT);
        assert_non_null(d);
        bool alpha = false;
        for (struct dirent *e; (e = readdir(d));)
                alpha |= strcmp(e->d_name, "alpha") == 0;
        closedir(d);
        assert_true(alpha);
        assert_non_null(strstr(msg, "STATUS=serving 1 snaps"));

        /* SIGHUP: RELOADING=1 ... READY=1. */
        assert_int_equal(kill(e2e_daemon_pid(), SIGHUP), 0);
        expect_reload();

        /* An edit the daemon notices itself (rename): the same, with the new count. */
        assert_int_equal(e2e_system_write(SYSTEM2), 0);
        char last[512];
        next_message(last, sizeof(last));
        assert_true(has_line(last, "RELOADING=1"));
        expect_ready(last, sizeof(last));
        assert_non_null(strstr(last, "STATUS=serving 2 snaps"));

        /* A reload that fails keeps the policy, and says READY=1 again all the same. */
        assert_int_equal(e2e_system_write("snaps: [unclosed\n"), 0);
        expect_reload();

        /* SIGTERM: STOPPING=1, and a clean exit. */
        assert_int_equal(kill(e2e_daemon_pid(), SIGTERM), 0);
        next_message(msg, sizeof(msg));
        assert_true(has_line(msg, "STOPPING=1"));
        assert_int_equal(e2e_daemon_stop_clean(), 0);
}

/* Under -f, each of the daemon's own lines is "<N>mqfsd: WORD: ..." with N the syslog
 * priority of WORD (error 3, warning 4, notice 5, info 6, debug 7). */
static void foreground_lines_carry_their_priority(void **state)
{
        (void)state;
        FILE *f = fopen(E2E_LOG, "r");
        assert_non_null(f);
        static const struct {
                const char *prefix;
        } levels[] = {{"<3>mqfsd: error: "},
                      {"<4>mqfsd: warning: "},
                      {"<5>mqfsd: notice: "},
                      {"<6>mqfsd: info: "},
                      {"<7>mqfsd: debug: "}};
        char line[2048];
        int ours = 0, seen_notice = 0, seen_info = 0;
        while (fgets(line, sizeof(line), f)) {
                bool ok = false;
                for (size_t i = 0; i < 5 && !ok; i++)
                        ok = strncmp(line, levels[i].prefix, strlen(levels[i].prefix)) == 0;
                if (!ok)
                        fail_msg("a log line without its priority prefix: %s", line);
                ours++;
                seen_notice += strncmp(line, "<5>", 3) == 0;
                seen_info += strncmp(line, "<6>", 3) == 0;
        }
        fclose(f);
        assert_true(ours > 0 && seen_notice > 0 && seen_info > 0);
}

static int setup(void **state)
{
        (void)state;
        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", NOTIFY_PATH);
        unlink(NOTIFY_PATH);
        if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                perror("test_mqfsd_sd_notify: the notify socket");
                return -1;
        }
        return setenv("NOTIFY_SOCKET", NOTIFY_PATH, 1);
}

static int teardown(void **state)
{
        (void)state;
        if (e2e_daemon_pid() > 0)
                e2e_daemon_stop(SIGKILL);
        unsetenv("NOTIFY_SOCKET");
        if (sock >= 0)
                close(sock);
        unlink(NOTIFY_PATH);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(ready_after_the_mount_answers_and_reloads_are_told),
            cmocka_unit_test(foreground_lines_carry_their_priority),
        };
        return e2e_run_group("test_mqfsd_sd_notify", tests, sizeof(tests) / sizeof(tests[0]), setup,
                             teardown);
}
