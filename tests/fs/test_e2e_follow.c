/* test_e2e_follow.c — views follow namespaces (issue 12, item 4; SPEC §6): with
 * `mqfs-mount follow` running, a SNAP.mnt that appears in the private /run/snapd/ns as
 * snap-confine makes it (unshare -m, then /proc/PID/ns/mnt bound to the file) gets the
 * snap's view attached without any command; after snapd-style discarding (unmount, unlink)
 * and rebuilding it is attached again; when it goes it is forgotten, with its record; and
 * nothing is left behind on the host. The e2e harness pins the test to one CPU (nsfs
 * files made on one CPU may fail setns with EINVAL on another). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_harness.h"

#define FOLLOW_LOG E2E_DIR "/follow.log"
#define RECORD     "/run/mqfs-mount/consumer"

static pid_t follower = -1;
static char host_before[16384];

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static int count_in_log(const char *needle)
{
        static char buf[1 << 16];
        int fd = open(FOLLOW_LOG, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        int count = 0;
        for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
                count++;
        return count;
}

static const char *follow_log(void)
{
        static char buf[1 << 16];
        int fd = open(FOLLOW_LOG, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
        if (fd >= 0)
                close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

/* Until the follower's output holds more than before lines with needle (hang guard). */
static void wait_follow(const char *needle, int before)
{
        for (int i = 0; i < 2000; i++) {
                if (count_in_log(needle) > before)
                        return;
                sleep_ms(10);
        }
        fail_msg("mqfs-mount follow never said \"%s\":\n%s", needle, follow_log());
}

static int setup(void **state)
{
        (void)state;
        if (e2e_system_write("snaps:\n  - name: consumer\n    snap-yaml-inline:\n"
                             "      name: consumer\n"
                             "      slots: {seen: {interface: posix-mq, path: /seen}}\n") != 0 ||
            e2e_daemon_start() != 0 || e2e_hq_create("seen", 0666) != 0)
                return -1;
        if (e2e_mounts(getpid(), host_before, sizeof(host_before)) != 0)
                return -1;
        follower = fork();
        if (follower == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int fd = open(FOLLOW_LOG, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                        _exit(127);
                execl(MQFS_BIN_DIR "/mqfs-mount", "mqfs-mount", "follow", (char *)NULL);
                _exit(127);
        }
        return follower > 0 ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        if (follower > 0) {
                kill(follower, SIGKILL);
                waitpid(follower, NULL, 0);
        }
        return e2e_daemon_stop_clean();
}

static void views_follow_namespaces(void **state)
{
        (void)state;
        struct e2e_snap s, stranger;
        char out[4096];

        wait_follow("following " E2E_NS_DIR, 0);

        /* snap-confine makes the namespace: attached, with no command run. */
        int attached = count_in_log("attached /run/mqfs/consumer at /dev/mqueue");
        assert_int_equal(e2e_snap_start(&s, "consumer"), 0);
        wait_follow("attached /run/mqfs/consumer at /dev/mqueue", attached);
        assert_true(e2e_wait_listing(&s, "/dev/mqueue", "seen"));
        assert_int_equal(e2e_mount_helper(out, sizeof(out), "list", NULL), 0);
        if (!strstr(out, "consumer") || !strstr(out, "answers"))
                fail_msg("mqfs-mount list does not show the view:\n%s", out);
        assert_int_equal(access(RECORD, F_OK), 0);

        /* A namespace of a snap the daemon does not serve: said once, nothing mounted. */
        int refused = count_in_log("snap \"stranger\": cannot attach its view yet");
        assert_int_equal(e2e_snap_start(&stranger, "stranger"), 0);
        wait_follow("snap \"stranger\": cannot attach its view yet", refused);

        /* snapd discards it (unmount, unlink) and snap-confine rebuilds it. */
        int forgotten = count_in_log("snap \"consumer\": its namespace is gone; forgotten");
        e2e_snap_stop(&s);
        wait_follow("snap \"consumer\": its namespace is gone; forgotten", forgotten);
        assert_int_equal(access(RECORD, F_OK), -1);
        attached = count_in_log("attached /run/mqfs/consumer at /dev/mqueue");
        assert_int_equal(e2e_snap_start(&s, "consumer"), 0);
        wait_follow("attached /run/mqfs/consumer at /dev/mqueue", attached);
        assert_true(e2e_wait_listing(&s, "/dev/mqueue", "seen"));
        struct e2e_result r = e2e_in_snap(&s, 0, 0, E2E_STATUS, "/dev/mqueue/seen", NULL);
        assert_int_equal(r.open_err, 0);

        /* Gone for good: forgotten; the follower ends cleanly on SIGTERM. */
        forgotten = count_in_log("snap \"consumer\": its namespace is gone; forgotten");
        e2e_snap_stop(&s);
        e2e_snap_stop(&stranger);
        wait_follow("snap \"consumer\": its namespace is gone; forgotten", forgotten);
        assert_int_equal(kill(follower, SIGTERM), 0);
        int status;
        assert_int_equal(waitpid(follower, &status, 0), follower);
        follower = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("mqfs-mount follow ended with status 0x%x:\n%s", status, follow_log());

        /* Nothing left behind: the host's mounts as before, no record. */
        char host_after[sizeof(host_before)];
        assert_int_equal(e2e_mounts(getpid(), host_after, sizeof(host_after)), 0);
        assert_string_equal(host_after, host_before);
        assert_int_equal(access(RECORD, F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(views_follow_namespaces),
        };
        return e2e_run_group("test_e2e_follow", tests, 1, setup, teardown);
}
