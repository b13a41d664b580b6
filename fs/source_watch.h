/* source_watch.h — the files a loaded state was read from besides system.yaml (its
 * snap-yaml: files, snapd's state.json, snap mount directory and "current" symlinks;
 * mqfs_system.sources), watched so that a change reloads the policy (SPEC §2.5).
 *
 * One inotify descriptor; each source is a watch on its directory (files there are
 * replaced by rename, which a watch on the file would miss). An event counts when it
 * names a source's entry and the entry is final: closed after writing, renamed into or
 * out of place, deleted, or, for entries whole when created (directories, symlinks),
 * created. A directory that does not exist is not watched (its parent's watch, where
 * there is one, sees it appear). mqfs_source_watch_set replaces the whole set after
 * each successful load. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mqfs_system;
struct mqfs_source_watch;

int mqfs_source_watch_new(struct mqfs_source_watch **out);
void mqfs_source_watch_free(struct mqfs_source_watch *w);
/* The inotify descriptor, for the event loop. */
int mqfs_source_watch_fd(const struct mqfs_source_watch *w);

/* Watches sys's sources instead of the previous ones. 0, or -ENOMEM (the previous set
 * is then kept). A directory that cannot be watched is logged once and skipped. */
int mqfs_source_watch_set(struct mqfs_source_watch *w, const struct mqfs_system *sys);

/* Reads every pending event; true when one concerned a source (or events were lost),
 * with what (if not NULL, size bytes) naming the first such path, for the log. */
bool mqfs_source_watch_changed(struct mqfs_source_watch *w, char *what, size_t size);
