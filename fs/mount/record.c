#include "record.h"

#include "fdio.h"
#include "snapname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Records are tiny; anything bigger was not written by us. */
enum { RECORD_MAX = 3 * 4096 + 64 };

int mqfs_records_open(const char *dir, int create, int *dir_fd)
{
        struct stat st;
        int fd = -1;

        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -EPERM : -errno;
        if (fstat(fd, &st) < 0) {
                int rc = -errno;
                close(fd);
                return rc;
        }
        if (st.st_uid != 0 || (st.st_mode & 0022) != 0) {
                close(fd);
                return -EPERM;
        }
        *dir_fd = fd;
        return 0;
}

int mqfs_records_lock(int dir_fd)
{
        while (flock(dir_fd, LOCK_EX) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        return 0;
}

void mqfs_record_clear(struct mqfs_record *r)
{
        free(r->ns_path);
        free(r->root);
        *r = (struct mqfs_record){0};
}

int mqfs_record_save(int dir_fd, const char *snap, const struct mqfs_record *r)
{
        char tmp[MQFS_SNAP_NAME_MAX + 16];
        char *text = NULL;
        int fd = -1, rc;

        if (!mqfs_snap_name_valid(snap) || strchr(r->ns_path, '\n') != NULL ||
            strchr(r->root, '\n') != NULL)
                return -EINVAL;
        int len = asprintf(&text, "ns=%s\nns-id=%u:%u:%" PRIuMAX "\nroot=%s\n", r->ns_path,
                           major(r->ns_dev), minor(r->ns_dev), (uintmax_t)r->ns_ino, r->root);
        if (len < 0)
                return -ENOMEM;
        snprintf(tmp, sizeof(tmp), ".%s.new", snap);
        (void)unlinkat(dir_fd, tmp, 0);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                rc = -errno;
                goto out;
        }
        rc = mqfs_write_all(fd, text, (size_t)len);
        if (rc == 0 && fsync(fd) < 0)
                rc = -errno;
        if (rc == 0 && renameat(dir_fd, tmp, dir_fd, snap) < 0)
                rc = -errno;
        if (rc < 0)
                (void)unlinkat(dir_fd, tmp, 0);
out:
        if (fd >= 0)
                close(fd);
        free(text);
        return rc;
}

static int read_small_file(int dir_fd, const char *name, char **out)
{
        char *buf = NULL;
        size_t len = 0;
        int rc = 0;
        int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = malloc(RECORD_MAX + 1);
        if (buf == NULL) {
                rc = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t n = read(fd, buf + len, RECORD_MAX + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = -errno;
                        goto out;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > RECORD_MAX) {
                        rc = -EINVAL;
                        goto out;
                }
        }
        buf[len] = '\0';
        if (memchr(buf, '\0', len) != NULL) {
                rc = -EINVAL;
                goto out;
        }
        *out = buf;
        buf = NULL;
out:
        free(buf);
        close(fd);
        return rc;
}

int mqfs_record_load(int dir_fd, const char *snap, struct mqfs_record *r)
{
        struct mqfs_record rec = {0};
        char *text = NULL, *save = NULL;
        bool have_id = false;
        int rc;

        if (!mqfs_snap_name_valid(snap))
                return -EINVAL;
        rc = read_small_file(dir_fd, snap, &text);
        if (rc < 0)
                return rc;
        rc = -EINVAL;
        for (char *line = strtok_r(text, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                uintmax_t ino;
                int used = 0;
                if (strncmp(line, "ns=", 3) == 0 && rec.ns_path == NULL) {
                        if ((rec.ns_path = strdup(line + 3)) == NULL)
                                goto nomem;
                } else if (strncmp(line, "root=", 5) == 0 && rec.root == NULL) {
                        if ((rec.root = strdup(line + 5)) == NULL)
                                goto nomem;
                } else if (sscanf(line, "ns-id=%u:%u:%" SCNuMAX "%n", &maj, &min, &ino, &used) ==
                               3 &&
                           line[used] == '\0') {
                        rec.ns_dev = makedev(maj, min);
                        rec.ns_ino = (ino_t)ino;
                        have_id = true;
                }
        }
        if (rec.ns_path == NULL || rec.root == NULL || !have_id || rec.ns_path[0] == '\0' ||
            rec.root[0] == '\0')
                goto out;
        *r = rec;
        rec = (struct mqfs_record){0};
        rc = 0;
        goto out;
nomem:
        rc = -ENOMEM;
out:
        mqfs_record_clear(&rec);
        free(text);
        return rc;
}

int mqfs_record_drop(int dir_fd, const char *snap)
{
        if (!mqfs_snap_name_valid(snap))
                return -EINVAL;
        if (unlinkat(dir_fd, snap, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

void mqfs_names_free(char **names, size_t count)
{
        for (size_t i = 0; i < count; i++)
                free(names[i]);
        free(names);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int mqfs_record_snaps(int dir_fd, char ***names, size_t *count)
{
        char **list = NULL;
        size_t n = 0, cap = 0;
        int rc = 0;
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (d == NULL) {
                rc = -errno;
                close(fd);
                return rc;
        }
        for (;;) {
                errno = 0;
                struct dirent *e = readdir(d);
                if (e == NULL) {
                        rc = -errno;
                        break;
                }
                if (!mqfs_snap_name_valid(e->d_name))
                        continue;
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 16;
                        char **l = reallocarray(list, c, sizeof(*l));
                        if (l == NULL) {
                                rc = -ENOMEM;
                                break;
                        }
                        list = l;
                        cap = c;
                }
                if ((list[n] = strdup(e->d_name)) == NULL) {
                        rc = -ENOMEM;
                        break;
                }
                n++;
        }
        closedir(d);
        if (rc < 0) {
                mqfs_names_free(list, n);
                return rc;
        }
        if (n > 1)
                qsort(list, n, sizeof(*list), cmp_name);
        *names = list;
        *count = n;
        return 0;
}
