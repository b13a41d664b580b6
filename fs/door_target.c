/* door_target.c — see door_target.h. */
#include "door_target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* /proc/PID/status with the kernel's 65536 groups of 10 digits is under 1 MiB. */
enum { STATUS_MAX = 1 << 20 };

int mqfs_target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
        if (len == 0)
                return 0;
        if (addr + len < addr)
                return -EFAULT;
        struct iovec local = {.iov_base = buf, .iov_len = len};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n < 0)
                return -errno;
        /* A partial read ends at an unmapped page. */
        return (size_t)n == len ? 0 : -EFAULT;
}

ssize_t mqfs_target_read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t got = 0;

        while (got < size) {
                uint64_t at = addr + got;
                if (at < addr)
                        return -EFAULT;
                /* Up to the end of this page only: the next one may not exist. */
                size_t chunk = page - (size_t)(at % page);
                if (chunk > size - got)
                        chunk = size - got;
                int err = mqfs_target_read(pid, at, buf + got, chunk);
                if (err < 0)
                        return err;
                char *nul = memchr(buf + got, '\0', chunk);
                if (nul)
                        return nul - buf;
                got += chunk;
        }
        return -ENAMETOOLONG;
}

/* The value after "key" at the start of a line of text, or NULL. */
static const char *field(const char *text, const char *key)
{
        size_t klen = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, klen) == 0)
                        return p + klen;
        return NULL;
}

/* The n-th (0-based) decimal field of a line, tab or space separated. */
static int nth_id(const char *line, int n, unsigned long *out)
{
        const char *p = line;
        for (int i = 0;; i++) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                char *end;
                errno = 0;
                unsigned long v = strtoul(p, &end, 10);
                if (errno || (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\0'))
                        return -EINVAL;
                if (i == n) {
                        if (v > 0xfffffffful)
                                return -EINVAL;
                        *out = v;
                        return 0;
                }
                p = end;
        }
}

int mqfs_target_parse_status(const char *text, struct mqfs_target_creds *out)
{
        memset(out, 0, sizeof(*out));
        const char *uid = field(text, "Uid:"), *gid = field(text, "Gid:");
        const char *um = field(text, "Umask:"), *groups = field(text, "Groups:");
        unsigned long v;

        if (!uid || !gid || !um || !groups)
                return -EINVAL;
        if (nth_id(uid, 3, &v) < 0)
                return -EINVAL;
        out->fsuid = (uid_t)v;
        if (nth_id(gid, 3, &v) < 0)
                return -EINVAL;
        out->fsgid = (gid_t)v;
        while (*um == ' ' || *um == '\t')
                um++;
        char *end;
        errno = 0;
        v = strtoul(um, &end, 8);
        if (errno || end == um || v > 0777 || (*end != '\n' && *end != '\0'))
                return -EINVAL;
        out->umask = (mode_t)v;

        const char *eol = strchr(groups, '\n');
        size_t len = eol ? (size_t)(eol - groups) : strlen(groups);
        size_t cap = len / 2 + 1; /* each id takes a digit and a separator at least */
        if (cap > MQFS_TARGET_GROUPS_MAX)
                cap = MQFS_TARGET_GROUPS_MAX;
        gid_t *list = malloc(cap * sizeof(*list));
        if (!list)
                return -ENOMEM;
        size_t n = 0;
        const char *p = groups;
        while (p < groups + len) {
                if (*p == ' ' || *p == '\t') {
                        p++;
                        continue;
                }
                errno = 0;
                v = strtoul(p, &end, 10);
                if (errno || end == p || v > 0xfffffffful || n == cap ||
                    (end < groups + len && *end != ' ' && *end != '\t')) {
                        free(list);
                        return -EINVAL;
                }
                list[n++] = (gid_t)v;
                p = end;
        }
        if (n == 0) {
                free(list);
                list = NULL;
        }
        out->groups = list;
        out->ngroups = n;
        return 0;
}

int mqfs_target_creds(int proc_fd, pid_t pid, struct mqfs_target_creds *out)
{
        char path[32];
        snprintf(path, sizeof(path), "%d/status", (int)pid);
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        /* Small for most processes (~1.5 KiB); a process in many groups has a long
         * Groups: line (up to 65536 ids of up to 11 bytes), so grow as needed. */
        size_t cap = 4096, len = 0;
        char *text = malloc(cap);
        int err = text ? 0 : -ENOMEM;
        while (!err) {
                if (len + 1 == cap) {
                        if (cap >= STATUS_MAX) {
                                err = -EFBIG;
                                break;
                        }
                        char *more = realloc(text, cap * 2);
                        if (!more) {
                                err = -ENOMEM;
                                break;
                        }
                        text = more;
                        cap *= 2;
                }
                ssize_t n = read(fd, text + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        err = errno == ESRCH ? -ESRCH : -errno;
                else if (n == 0)
                        break;
                else
                        len += (size_t)n;
        }
        close(fd);
        if (!err) {
                text[len] = '\0';
                err = mqfs_target_parse_status(text, out);
        }
        free(text);
        return err;
}

/* <linux/pidfd.h> of Debian 12 predates these (Linux 6.9 and 6.13); the values are the
 * kernel's ABI. Version 0 of struct pidfd_info is 64 bytes. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
struct door_pidfd_info {
        uint64_t mask;
        uint64_t cgroupid;
        uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
        int32_t spare0[1];
};
#define DOOR_PIDFD_GET_INFO   _IOWR(0xFF, 11, struct door_pidfd_info)
#define DOOR_PIDFD_INFO_CREDS (1ULL << 1)

int mqfs_target_fsids(pid_t tid, uid_t *fsuid, gid_t *fsgid)
{
        static bool unsupported;
        if (unsupported)
                return -EOPNOTSUPP;
        int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
        if (fd < 0) {
                if (errno == EINVAL || errno == ENOSYS)
                        unsupported = true;
                return errno == ESRCH ? -ESRCH : -EOPNOTSUPP;
        }
        struct door_pidfd_info info = {.mask = DOOR_PIDFD_INFO_CREDS};
        int r = ioctl(fd, DOOR_PIDFD_GET_INFO, &info);
        int err = r < 0 ? errno : 0;
        close(fd);
        if (r < 0) {
                if (err == ENOTTY || err == EINVAL)
                        unsupported = true;
                return err == ESRCH ? -ESRCH : -EOPNOTSUPP;
        }
        if (!(info.mask & DOOR_PIDFD_INFO_CREDS))
                return -EOPNOTSUPP;
        *fsuid = (uid_t)info.fsuid;
        *fsgid = (gid_t)info.fsgid;
        return 0;
}

void mqfs_target_creds_clear(struct mqfs_target_creds *c)
{
        free(c->groups);
        c->groups = NULL;
        c->ngroups = 0;
}
