/* reload.h — system.yaml, loaded and watched.
 *
 * The watch is an inotify descriptor on the file's directory (editors replace files by
 * renaming a new one over them, which a watch on the file itself would miss); it
 * reports a change when an event names the file: a file closed after writing, renamed
 * into place, renamed away or deleted, never a file just created (empty) or half
 * written, whose content is not final yet. The loader turns system.yaml into a
 * frozen grant table and logs the loader's warnings; a state that fails to load
 * yields an error and the message why, and the caller keeps the old table. */
#pragma once

#include <stdbool.h>

struct mqfs_grant_table;
struct mqfs_reload;

int mqfs_reload_new(const char *system_path, struct mqfs_reload **out);
void mqfs_reload_free(struct mqfs_reload *r);
/* The inotify descriptor, for the event loop (readable when something happened). */
int mqfs_reload_fd(const struct mqfs_reload *r);
/* Reads every pending event; true when one of them touched system.yaml (or events
 * were lost, when it may have). */
bool mqfs_reload_changed(struct mqfs_reload *r);

/* How a state with problems (any message of the loader: a skipped snap, a bad slot, an
 * unknown name in connections, a bad limit) is taken. */
enum mqfs_load_mode {
        /* At start-up: serve what is valid, and say that the state has problems. */
        MQFS_LOAD_SERVE_VALID,
        /* A reload is all or nothing (SPEC §2.3): any problem refuses the whole file,
         * and the caller keeps the running policy. */
        MQFS_LOAD_ALL_OR_NOTHING,
};

/* Loads path into a new frozen grant table (*out, one reference) and its budgets
 * (*limits, when not NULL), and makes sources (when not NULL) watch the files the
 * state was read from besides path (source_watch.h). Every problem the loader found is logged. On
 * failure the reason is logged as well, and -errno returned (-EINVAL for a state with problems in
 * MQFS_LOAD_ALL_OR_NOTHING). */
struct mqfs_limits;
struct mqfs_source_watch;
int mqfs_reload_load(const char *path, enum mqfs_load_mode mode, struct mqfs_grant_table **out,
                     struct mqfs_limits *limits, struct mqfs_source_watch *sources);
