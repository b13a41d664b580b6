/* snapd.h — snapd's own files as a source of the system state (SPEC §2.5).
 *
 * `snapd: {root: /}` in system.yaml makes the loader read, read-only, under root:
 *  - var/lib/snapd/state.json: data.snaps (instance name, type, current revision and the
 *    snap-id of that revision in sequence; instance-key for parallel instances) and the
 *    posix-mq entries of data.conns ("plugsnap:plug slotsnap:slot": auto, undesired,
 *    by-gadget, plug-static, slot-static);
 *  - var/lib/snapd/assertions/asserts-v0/snap-declaration/16/SNAP-ID/active: the
 *    publisher-id and whether the declaration's slots: rules allow posix-mq slots (an
 *    empty snap-id is an unasserted snap);
 *  - SNAP_MOUNT_DIR/INSTANCE/current/meta/snap.yaml: the snap's plugs and slots.
 * The snap mount directory is `snap-mount-dir:` (under root; default "snap", or
 * "var/lib/snapd/snap" when only that exists, as on Fedora-like systems).
 *
 * state.json is parsed with json-c's incremental tokener (it holds snapd's whole change
 * history and can be megabytes); only data.snaps and data.conns are looked at.
 *
 * Every bad input is a message naming its file and key and is skipped, nothing else:
 * a state.json that cannot be read, is truncated, is not JSON or has an unknown shape
 * (then no snap comes from snapd, and mqfs_system.snapd_failed is set so that a
 * reload keeps the running policy); an entry of data.snaps that does not parse; a snap
 * whose assertion cannot be read or whose snap.yaml is missing (that snap); a conns
 * entry whose key or fields do not parse (that connection).
 *
 * Who decides connections (SPEC §2.5): a plug for which data.conns holds any posix-mq
 * entry is snapd's: its established entries connect (manual when auto is false), its
 * undesired ones do not, and mqfs does not auto-connect it. Every other plug is
 * resolved by SPEC §2.3's rules. system.yaml's snaps: (a name there replaces snapd's
 * snap of that name), connections: and disconnected: apply on top. A snapd connection
 * grants what its slot-static attributes say (what snapd connected), or the slot's
 * current snap.yaml when snapd recorded none. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mqfs_loader;
struct mqfs_snaps;
struct mqfs_ynode;

/* Where snapd's files are; both paths are absolute after mqfs_snapd_config_read. */
struct mqfs_snapd_config {
        char *root;
        char *mount_dir;
        size_t line; /* of the snapd: key in system.yaml, for messages */
};

/* Reads the snapd: map of system.yaml (root: a path, relative ones from base_dir, the
 * directory of system.yaml; snap-mount-dir: optional, under root). 0, -EINVAL with
 * *error ("FILE:LINE: ...") for a value of the wrong shape, -ENOMEM. */
int mqfs_snapd_config_read(struct mqfs_loader *ld, const struct mqfs_ynode *node,
                           const char *base_dir, struct mqfs_snapd_config *cfg, char **error);
void mqfs_snapd_config_clear(struct mqfs_snapd_config *cfg);

/* Adds snapd's installed snaps to st->v (names already there, from system.yaml, are
 * kept and snapd's snap of that name is left out) and keeps the posix-mq connections
 * of data.conns in st->ld for mqfs_resolve. 0 (problems become messages) or -ENOMEM. */
int mqfs_snapd_load(struct mqfs_snaps *st, const struct mqfs_snapd_config *cfg);

/* Resolves the kept connections against the loaded snaps (sorted by then): pushes the
 * established ones and marks every plug snapd holds. 0 or -ENOMEM. */
int mqfs_snapd_resolve(struct mqfs_loader *ld);

/* The kept connections of data.conns, owned by the loader until mqfs_snapd_resolve. */
void mqfs_snapd_conns_clear(struct mqfs_loader *ld);

/* snapd's instance name rule: a snap name, optionally "_" and a key of 1 to 10
 * characters a-z 0-9. */
bool mqfs_instance_name_valid(const char *name, size_t len);
