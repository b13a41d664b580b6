#include "mountinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mqfs_mount_clear(struct mqfs_mount *m)
{
        free(m->line);
        *m = (struct mqfs_mount){0};
}

/* mountinfo escapes space, tab, newline and backslash as \ooo; undo it in place. */
static void unescape_octal(char *s)
{
        char *out = s;
        for (char *in = s; *in != '\0'; in++) {
                if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
                    in[3] >= '0' && in[3] <= '7') {
                        *out++ =
                            (char)(((in[1] - '0') << 6) | ((in[2] - '0') << 3) | (in[3] - '0'));
                        in += 3;
                } else {
                        *out++ = *in;
                }
        }
        *out = '\0';
}

static int parse_int(const char *s, int *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
                return -EINVAL;
        *out = (int)v;
        return 0;
}

int mqfs_mount_parse(char *line, struct mqfs_mount *out)
{
        /* id parent major:minor root mount-point options [optional...] - fstype source
         * super-options */
        enum { ID, PARENT, DEV, ROOT, POINT, OPTIONS, FIXED };
        char *field[FIXED];
        char *save = NULL, *tok;
        struct mqfs_mount m = {.line = line};
        int rc = -EINVAL;

        line[strcspn(line, "\n")] = '\0';
        tok = strtok_r(line, " ", &save);
        for (int i = 0; i < FIXED; i++) {
                if (tok == NULL)
                        goto out;
                field[i] = tok;
                tok = strtok_r(NULL, " ", &save);
        }
        for (; tok != NULL && strcmp(tok, "-") != 0; tok = strtok_r(NULL, " ", &save)) {
                if (strncmp(tok, "shared:", 7) == 0 && parse_int(tok + 7, &m.shared_group) < 0)
                        goto out;
        }
        if (tok == NULL)
                goto out;
        char *fstype = strtok_r(NULL, " ", &save);
        char *source = strtok_r(NULL, " ", &save);
        if (fstype == NULL || source == NULL)
                goto out;
        if (parse_int(field[ID], &m.id) < 0 || parse_int(field[PARENT], &m.parent_id) < 0)
                goto out;
        unescape_octal(field[ROOT]);
        unescape_octal(field[POINT]);
        unescape_octal(fstype);
        unescape_octal(source);
        m.root = field[ROOT];
        m.mount_point = field[POINT];
        m.fstype = fstype;
        m.source = source;
        *out = m;
        return 0;
out:
        free(line);
        return rc;
}

static int open_mountinfo(int proc_fd, FILE **out)
{
        int fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "re");
        if (f == NULL) {
                int rc = -errno;
                close(fd);
                return rc;
        }
        *out = f;
        return 0;
}

/* Calls visit for every line; stops when it returns non-zero and returns that. */
static int each_mount(int proc_fd, int (*visit)(struct mqfs_mount *m, void *arg), void *arg)
{
        FILE *f = NULL;
        char *buf = NULL;
        size_t cap = 0;
        int rc = open_mountinfo(proc_fd, &f);
        if (rc < 0)
                return rc;
        for (;;) {
                errno = 0;
                ssize_t n = getline(&buf, &cap, f);
                if (n < 0) {
                        rc = errno != 0 ? -errno : 0;
                        break;
                }
                struct mqfs_mount m;
                char *copy = strdup(buf);
                if (copy == NULL) {
                        rc = -ENOMEM;
                        break;
                }
                rc = mqfs_mount_parse(copy, &m);
                if (rc < 0)
                        break;
                rc = visit(&m, arg);
                mqfs_mount_clear(&m);
                if (rc != 0)
                        break;
        }
        free(buf);
        fclose(f);
        return rc;
}

struct find_arg {
        int id;
        struct mqfs_mount *out;
};

static int find_visit(struct mqfs_mount *m, void *arg)
{
        struct find_arg *a = arg;
        if (m->id != a->id)
                return 0;
        *a->out = *m;
        *m = (struct mqfs_mount){0}; /* ownership moves to the caller */
        return 1;
}

int mqfs_mount_find(int proc_fd, int mnt_id, struct mqfs_mount *out)
{
        struct find_arg a = {.id = mnt_id, .out = out};
        int rc = each_mount(proc_fd, find_visit, &a);
        if (rc == 1)
                return 0;
        return rc < 0 ? rc : -ENOENT;
}

int mqfs_fd_mount_id(int proc_fd, int fd, int *mnt_id)
{
        char path[64];
        FILE *f = NULL;
        char *buf = NULL;
        size_t cap = 0;
        int rc = -ENOENT;

        snprintf(path, sizeof(path), "self/fdinfo/%d", fd);
        int info = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (info < 0)
                return -errno;
        f = fdopen(info, "re");
        if (f == NULL) {
                rc = -errno;
                close(info);
                return rc;
        }
        while (getline(&buf, &cap, f) >= 0) {
                if (strncmp(buf, "mnt_id:", 7) == 0) {
                        buf[strcspn(buf, "\n")] = '\0';
                        const char *v = buf + 7;
                        v += strspn(v, " \t");
                        rc = parse_int(v, mnt_id);
                        break;
                }
        }
        free(buf);
        fclose(f);
        return rc;
}

struct groups_arg {
        int *groups;
        size_t count, cap;
};

static int groups_visit(struct mqfs_mount *m, void *arg)
{
        struct groups_arg *a = arg;
        if (m->shared_group == 0)
                return 0;
        if (a->count == a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 16;
                int *g = reallocarray(a->groups, cap, sizeof(*g));
                if (g == NULL)
                        return -ENOMEM;
                a->groups = g;
                a->cap = cap;
        }
        a->groups[a->count++] = m->shared_group;
        return 0;
}

static int cmp_int(const void *a, const void *b)
{
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

int mqfs_shared_groups(int proc_fd, int **groups, size_t *count)
{
        struct groups_arg a = {0};
        int rc = each_mount(proc_fd, groups_visit, &a);
        if (rc < 0) {
                free(a.groups);
                return rc;
        }
        if (a.count > 1)
                qsort(a.groups, a.count, sizeof(*a.groups), cmp_int);
        *groups = a.groups;
        *count = a.count;
        return 0;
}

bool mqfs_shared_groups_has(const int *groups, size_t count, int group)
{
        return group != 0 && count > 0 &&
               bsearch(&group, groups, count, sizeof(*groups), cmp_int) != NULL;
}
