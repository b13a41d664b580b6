/* reload.h — system.yaml, loaded and watched.
 *
 * The watch is an inotify descriptor on the file's directory (editors replace files by
 * renaming a new one over them, which a watch on the file itself would miss); it
 * reports a change when an event names the file. The loader turns system.yaml into a
 * frozen grant table and logs the loader's warnings; a state that fails to load
 * yields an error and the message why, and the caller keeps the old table. */
#pragma once

#include <stdbool.h>

struct mqfs_grants;
struct mqfs_reload;

int mqfs_reload_new(const char *system_path, struct mqfs_reload **out);
void mqfs_reload_free(struct mqfs_reload *r);
/* The inotify descriptor, for the event loop (readable when something happened). */
int mqfs_reload_fd(const struct mqfs_reload *r);
/* Reads every pending event; true when one of them touched system.yaml (or events
 * were lost, when it may have). */
bool mqfs_reload_changed(struct mqfs_reload *r);

/* Loads path into a new frozen grant table (*out, one reference). Every warning of the
 * loader is logged. On failure the reason is logged as well, and -errno returned. */
int mqfs_reload_load(const char *path, struct mqfs_grants **out);

/* What changed between two grant tables (either may be NULL: empty). fn is called with
 * queue == NULL for every snap installed in one table and not the other, and with a
 * queue for every (snap, queue) whose permission set differs (granted, withdrawn or
 * changed), in name order. */
typedef void (*mqfs_grants_change_fn)(void *ctx, const char *snap, const char *queue,
                                      unsigned old_perms, unsigned new_perms);
void mqfs_grants_diff(const struct mqfs_grants *old, const struct mqfs_grants *new,
                      mqfs_grants_change_fn fn, void *ctx);
