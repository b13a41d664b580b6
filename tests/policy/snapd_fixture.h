/* snapd_fixture.h — a snapd machine in a temporary directory, in snapd's own formats:
 * var/lib/snapd/state.json, snap-declaration assertions under
 * var/lib/snapd/assertions/asserts-v0/snap-declaration/16/SNAP-ID/active, and mounted-snap
 * trees snap/INSTANCE/REVISION/meta/snap.yaml with the "current" symlink snapd keeps.
 * Used by the policy tests, the daemon's live test and the scale benchmark. Every
 * failure aborts with a message (the callers are tests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A new root (mkdtemp under $TMPDIR or /tmp) holding var/lib/snapd and snap; free() the
 * returned path after snapd_fixture_remove. */
char *snapd_fixture_root(void);

/* Removes the whole tree. */
void snapd_fixture_remove(const char *root);

/* snap/INSTANCE/REVISION/meta/snap.yaml with text, and snap/INSTANCE/current ->
 * REVISION (replaced by rename, as snapd does). */
void snapd_fixture_snap(const char *root, const char *instance, const char *revision,
                        const char *snap_yaml);

/* The snap-declaration of snap_id: publisher-id publisher; slots_rule NULL for no
 * slots: header, else the value of posix-mq's allow-installation ("true", "false"). */
void snapd_fixture_declaration(const char *root, const char *snap_id, const char *snap_name,
                               const char *publisher, const char *slots_rule);

/* Writes var/lib/snapd/state.json: a temporary file renamed over it (as snapd writes
 * it), or, when in_place, truncated and written where it is. */
void snapd_fixture_state(const char *root, const char *json, bool in_place);

/* The path of a file under root (a new string). */
char *snapd_fixture_path(const char *root, const char *rel);
