/* system.h — the system state (SPEC §2.3): installed snaps, their publishers, types and
 * slot allowance, manual connections and disconnections; and the resolved connections.
 *
 * Loading never crashes and never half-applies: a broken entry (a snap that cannot be
 * read, an unknown name in connections, a slot refused as super-privileged, an
 * ambiguous auto-connection) is skipped with a message naming its file and line, and
 * the rest loads; a file that is not YAML, or not a mapping, is an error and nothing
 * is returned. A loaded system is read-only.
 *
 * Details beyond SPEC §2.3:
 *  - snap names follow snapd's rule (mqfs_snap_name_valid); an entry with a bad name is
 *    skipped. The first entry naming a snap claims the name even if it turns out broken;
 *    later entries with that name are skipped.
 *  - publisher: absent, null or "" is unasserted; type: absent or null is app;
 *    slots-allowed: a YAML bool (true/false/yes/no/on/off...). Other values skip the
 *    entry. Unknown keys are reported and ignored.
 *  - snaps:, connections: and disconnected: must each be a list (or absent/null); any
 *    other shape is an error for the whole file, since applying it would drop every
 *    snap or connection at once. So is a file whose aliases would multiply the work.
 *  - An auto-connection is ambiguous when the plug has more than one candidate slot,
 *    counted before disconnections are applied (as snapd does); a manual connection of
 *    a pair listed under disconnected: wins (the admin connected it again).
 *  - limits: is a map of the keys of caller_limits.h, each a whole number from 1 to
 *    MQFS_LIMIT_MAX; another shape, value or key is reported and that value ignored
 *    (any message is a problem for a reload, which then keeps the running policy).
 *  - A snap-yaml file larger than 4 MiB is refused (that snap is skipped); system.yaml
 *    itself may be up to 64 MiB. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "caller_limits.h"
#include "snapyaml.h"

struct mqfs_grant_table;

enum mqfs_snap_type {
        MQFS_SNAP_APP,
        MQFS_SNAP_GADGET,
        MQFS_SNAP_CORE,
        MQFS_SNAP_OS,
        MQFS_SNAP_SNAPD,
};

struct mqfs_system_snap {
        char *name;
        char *publisher; /* "" when unasserted */
        enum mqfs_snap_type type;
        bool slots_allowed;
        /* The snap's valid plugs and slots; slots refused as super-privileged are removed
         * (and reported in messages). */
        struct mqfs_snap_yaml *yaml;
};

/* Who made a connection: system.yaml's connections: (manual), mqfs's own auto-connection
 * (auto), or snapd's data.conns (snapd; manual too when snapd's auto is false). */
enum mqfs_conn_source {
        MQFS_CONN_AUTO,
        MQFS_CONN_MANUAL,
        MQFS_CONN_SNAPD,
};

struct mqfs_connection {
        const struct mqfs_system_snap *plug_snap;
        const struct mqfs_plug *plug;
        const struct mqfs_system_snap *slot_snap;
        const struct mqfs_slot *slot;
        bool manual;    /* from `connections:` (or snapd's auto: false); false for auto */
        bool by_gadget; /* snapd's by-gadget */
        enum mqfs_conn_source source;
};

/* A directory to watch, for entries called name (NULL: any entry). whole_on_create: an
 * entry is complete when created (a directory or a symlink), else only once it is closed
 * after writing or renamed into place. */
struct mqfs_source {
        char *dir;
        char *name;
        bool whole_on_create;
};

struct mqfs_system {
        struct mqfs_system_snap *snaps; /* sorted by name, unique */
        size_t nsnaps;
        struct mqfs_connection *conns; /* sorted by (plug snap, plug, slot snap, slot), unique */
        size_t nconns;
        /* "FILE:LINE: ..." warnings and skipped entries, in the order of the system.yaml
         * entries they concern (FILE is the snap.yaml for its bad plugs and slots). */
        char **messages;
        size_t nmessages;
        /* The per-caller budgets (`limits:`, caller_limits.h); the defaults where not set. */
        struct mqfs_limits limits;
        /* snapd as a source (snapd.h): whether system.yaml has a snapd: key, and whether
         * state.json failed as a whole (a reload must then keep the running policy). */
        bool has_snapd;
        bool snapd_failed;
        /* Plug/slot sets the connections point into besides the snaps' (snapd's
         * slot-static attributes), freed with the system. */
        struct mqfs_snap_yaml **owned;
        size_t nowned;
        /* Where the state was read from besides system.yaml (snap-yaml: files, snapd's
         * state.json and snap tree), for a daemon to watch: a change there reloads. */
        struct mqfs_source *sources;
        size_t nsources;
};

/* Loads path (snap-yaml paths are relative to its directory) and resolves the
 * connections. 0 (messages may still list skipped entries); -EINVAL for a file that is
 * not YAML, not a mapping, or has a section of the wrong shape (see above); -errno
 * when it cannot be read (-EFBIG above 64 MiB); -ENOMEM. On failure
 * *error (if not NULL) gets "FILE:LINE: what is wrong" to free(). */
int mqfs_system_load(const char *path, struct mqfs_system **out, char **error);

/* The same from a buffer; base_dir resolves relative snap-yaml paths, origin names the
 * buffer in messages. */
int mqfs_system_load_buffer(const char *buf, size_t len, const char *base_dir, const char *origin,
                            struct mqfs_system **out, char **error);

void mqfs_system_free(struct mqfs_system *sys);

/* Records a source of sys: path's directory and name, or path itself as a directory
 * watched for any entry (name_only false). 0 or -ENOMEM. */
int mqfs_system_add_source(struct mqfs_system *sys, const char *path, bool whole_dir,
                           bool whole_on_create);

/* The installed snap called name, or NULL (binary search). */
const struct mqfs_system_snap *mqfs_system_snap(const struct mqfs_system *sys, const char *name);

/* The connections whose plug belongs to snap: *count of them, contiguous in sys->conns. */
const struct mqfs_connection *mqfs_system_plug_conns(const struct mqfs_system *sys,
                                                     const char *snap, size_t *count);

/* Builds the frozen grant table of SPEC §2.4 (every installed snap has a grant set). */
int mqfs_system_grant_table(const struct mqfs_system *sys, struct mqfs_grant_table **out);
