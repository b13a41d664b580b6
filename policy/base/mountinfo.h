/* mountinfo.h — what the kernel says about one mount: /proc/self/mountinfo lines and
 * the mount id of an open descriptor.
 *
 * Every reader takes proc_fd, a descriptor on the host's /proc opened before the helper
 * enters another mount namespace: "self" then still names the reading process, and
 * mountinfo describes the mount namespace that process is in at that moment, so the
 * snap's own /proc is never consulted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mqfs_mount {
        int id;
        int parent_id;
        int shared_group; /* "shared:N" peer group, 0 when the mount is not shared */
        /* Unescaped ("\040" -> " "), pointing into line. */
        const char *root;
        const char *mount_point;
        const char *fstype; /* "fuse.mqfs", "mqueue", ... */
        const char *source;
        char *line; /* owns the strings above */
};

/* Parses one mountinfo line (without or with its trailing newline), taking ownership of
 * line (a malloc()ed string, freed on failure too). 0 or -EINVAL when the line does not
 * have the documented shape (proc(5)). */
int mqfs_mount_parse(char *line, struct mqfs_mount *out);
void mqfs_mount_clear(struct mqfs_mount *m);

/* The mount with id mnt_id in the caller's current mount namespace. 0, -ENOENT when
 * there is none, -errno of reading /proc, -ENOMEM. */
int mqfs_mount_find(int proc_fd, int mnt_id, struct mqfs_mount *out);

/* The id of the mount fd lies on (the "mnt_id:" line of /proc/self/fdinfo/FD; reading it
 * never asks the file system, so it works on a dead FUSE mount). 0 or -errno. */
int mqfs_fd_mount_id(int proc_fd, int fd, int *mnt_id);

/* The peer groups of every shared mount of the caller's mount namespace, sorted.
 * *groups is malloc()ed (NULL when there are none). 0, -errno, -ENOMEM. */
int mqfs_shared_groups(int proc_fd, int **groups, size_t *count);
bool mqfs_shared_groups_has(const int *groups, size_t count, int group);
