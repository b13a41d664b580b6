/* record.h — what mqfs-mount remembers about the attachments it made.
 *
 * One file per snap in a root-only directory (MQFS_RECORD_DIR, /run/mqfs-mount: on
 * tmpfs, so a reboot forgets it, as it forgets the namespaces), written on every attach
 * and removed on detach:
 *
 *     ns=/run/snapd/ns/alpha.mnt      the namespace file attach was given
 *     ns-id=4:4026532337              st_dev:st_ino of that namespace at attach time
 *     root=/run/mqfs                  the daemon's mount point the view came from
 *
 * list and repair read these to find views attached with --ns or --pid (the default
 * namespace files in /run/snapd/ns are found without them) and to know which daemon
 * mount to re-attach from. ns-id tells a namespace that is gone (a --pid process that
 * exited, its pid reused) from the one recorded. Values are single lines: paths with a
 * newline are refused before anything is written. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define MQFS_RECORD_DIR "/run/mqfs-mount"

struct mqfs_record {
        char *ns_path;
        char *root;
        dev_t ns_dev;
        ino_t ns_ino;
};

/* Opens (creating it 0700 when create is set) the record directory, refusing a symlink
 * or a directory not owned by root or writable by others. 0, -ENOENT (absent and not
 * create), -EPERM (unsafe), -errno. */
int mqfs_records_open(const char *dir, int create, int *dir_fd);

/* Serialises attach, detach and repair: an exclusive flock on the directory itself,
 * released when dir_fd is closed. */
int mqfs_records_lock(int dir_fd);

/* Writes the record of snap atomically (temporary file + rename). snap must be a valid
 * snap name. 0, -EINVAL (a value with a newline), -errno. */
int mqfs_record_save(int dir_fd, const char *snap, const struct mqfs_record *r);

/* Reads it. 0, -ENOENT when there is none, -EINVAL when malformed, -errno, -ENOMEM. */
int mqfs_record_load(int dir_fd, const char *snap, struct mqfs_record *r);

/* 0 also when there was none. */
int mqfs_record_drop(int dir_fd, const char *snap);

void mqfs_record_clear(struct mqfs_record *r);

/* The snaps that have a record, sorted; files whose name is not a valid snap name are
 * skipped. *names and each name are malloc()ed (mqfs_names_free). */
int mqfs_record_snaps(int dir_fd, char ***names, size_t *count);
void mqfs_names_free(char **names, size_t count);
