/* test_sd_notify.c — the notify datagram (fs/sd_notify.h): to a path socket and to an
 * abstract one ("@name"), nothing without $NOTIFY_SOCKET, EINVAL for a name that is no
 * socket address, and RELOADING=1 with the monotonic time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sd_notify.h"

/* A datagram socket bound to name (a path, or "@abstract"); the address's length. */
static int bind_socket(const char *name)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(name);
        memcpy(addr.sun_path, name, len);
        if (name[0] == '@')
                addr.sun_path[0] = '\0';
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr,
                              (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
                         0);
        return fd;
}

static void receive(int fd, char *buf, size_t size)
{
        ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
        assert_true(n >= 0);
        buf[n] = '\0';
}

static void path_and_abstract_sockets(void **state)
{
        (void)state;
        char dir[] = "/tmp/sd-notify-XXXXXX", path[64], abstract[64], got[256];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/notify", dir);
        snprintf(abstract, sizeof(abstract), "@mqfs-test-notify-%d", (int)getpid());

        const char *names[] = {path, abstract};
        for (size_t i = 0; i < 2; i++) {
                int fd = bind_socket(names[i]);
                assert_int_equal(setenv("NOTIFY_SOCKET", names[i], 1), 0);
                assert_int_equal(mqfs_sd_notify("READY=1\nSTATUS=serving"), 0);
                receive(fd, got, sizeof(got));
                assert_string_equal(got, "READY=1\nSTATUS=serving");
                close(fd);
        }
        unlink(path);
        rmdir(dir);
        unsetenv("NOTIFY_SOCKET");
}

static void no_socket_no_message(void **state)
{
        (void)state;
        unsetenv("NOTIFY_SOCKET");
        assert_int_equal(mqfs_sd_notify("READY=1"), 0);
        setenv("NOTIFY_SOCKET", "", 1);
        assert_int_equal(mqfs_sd_notify("READY=1"), 0);
        setenv("NOTIFY_SOCKET", "relative/name", 1);
        assert_int_equal(mqfs_sd_notify("READY=1"), -EINVAL);
        char long_name[200];
        memset(long_name, 'x', sizeof(long_name) - 1);
        long_name[0] = '/';
        long_name[sizeof(long_name) - 1] = '\0';
        setenv("NOTIFY_SOCKET", long_name, 1);
        assert_int_equal(mqfs_sd_notify("READY=1"), -EINVAL);
        setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
        assert_int_equal(mqfs_sd_notify("READY=1"), -ENOENT);
        unsetenv("NOTIFY_SOCKET");
}

static void reloading_carries_the_monotonic_time(void **state)
{
        (void)state;
        char name[64], got[256];
        snprintf(name, sizeof(name), "@mqfs-test-reload-%d", (int)getpid());
        int fd = bind_socket(name);
        setenv("NOTIFY_SOCKET", name, 1);
        struct timespec before, after;
        clock_gettime(CLOCK_MONOTONIC, &before);
        assert_int_equal(mqfs_sd_notify_reloading(), 0);
        clock_gettime(CLOCK_MONOTONIC, &after);
        receive(fd, got, sizeof(got));
        unsigned long long usec = 0;
        assert_int_equal(sscanf(got, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
        assert_true(usec >= (unsigned long long)before.tv_sec * 1000000ull +
                                (unsigned long long)before.tv_nsec / 1000ull);
        assert_true(usec <= (unsigned long long)after.tv_sec * 1000000ull +
                                (unsigned long long)after.tv_nsec / 1000ull);
        close(fd);
        unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(path_and_abstract_sockets),
            cmocka_unit_test(no_socket_no_message),
            cmocka_unit_test(reloading_carries_the_monotonic_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
