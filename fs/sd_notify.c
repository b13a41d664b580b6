/* sd_notify.c — see sd_notify.h. */
#include "sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int mqfs_sd_notify(const char *state)
{
        const char *name = getenv("NOTIFY_SOCKET");
        if (!name || !*name)
                return 0;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(name);
        if ((name[0] != '/' && name[0] != '@') || len >= sizeof(addr.sun_path))
                return -EINVAL;
        memcpy(addr.sun_path, name, len);
        if (name[0] == '@')
                addr.sun_path[0] = '\0'; /* abstract: the length says where it ends */
        socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);

        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        ssize_t n =
            sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
        int err = n < 0 ? -errno : 0;
        close(fd);
        return err;
}

int mqfs_sd_notify_reloading(void)
{
        struct timespec ts;
        char state[64];

        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long)ts.tv_sec * 1000000ull +
                     (unsigned long long)ts.tv_nsec / 1000ull);
        return mqfs_sd_notify(state);
}
