/* apparmor.h — AppArmor rules for posix-mq plugs and slots and for the mqfs view
 * (SPEC §3.1, §3.2), and a way to ask the installed apparmor_parser about them.
 *
 * Every generator returns 0 and a new NUL-terminated text in *out (free() it), or
 * -ENOMEM, or -EINVAL when a name or path is not safe to put into a rule (see
 * mqfs_apparmor_name_ok); on failure nothing is returned, so no partial rule set is
 * ever emitted. Rule lines are indented by two spaces, as inside a profile.
 *
 * Whole profiles are per snap, not per app: `profile snap.SNAP.mqfs`. Why: posix-mq
 * plugs and slots, as the loader keeps them, belong to the snap (struct mqfs_snap_yaml
 * has no apps), and snapd binds a snap-level plug or slot to every app; the rules would
 * be the same text in every app's profile. One profile per snap keeps one copy to
 * review and compile (attach it with aa-exec -p, or paste the snippets of
 * mqfs_apparmor_snap_rules / mqfs_apparmor_view_rules into snapd's per-app profiles).
 *
 * `mqueue` rules need an AppArmor 4 parser. Whole profiles carry them only when
 * opts->mqueue_rules says so (ask mqfs_apparmor_probe_mqueue, aaparser.h); otherwise they are left
 * out with a comment, and the broker is the enforcement point for queues. Compiling
 * and probing: aaparser.h. */
#pragma once

#include <stdbool.h>

#include "grants.h"
#include "snapyaml.h"
#include "system.h"

/* True when name ("/name") may appear in a rule: a valid queue name (mqfs_qname_check)
 * with no control character, DEL, backslash or any of ? * [ ] { } ^ " — the bytes that
 * AppArmor's grammar would read as a pattern, an escape, a variable (@{...}) or the end
 * of the quoted string. Validated snap.yaml paths always pass (SPEC §2.2). */
bool mqfs_apparmor_name_ok(const char *name);

/* True when path (a mount point, a binary, a configuration file) may appear unquoted in
 * a rule: absolute, 1..4095 bytes of [A-Za-z0-9._+-/], no "//", no "." or ".."
 * component. A trailing "/" is allowed. */
bool mqfs_apparmor_path_ok(const char *path);

/* The words of the plug rule for a plug connected to slot: the slot's permissions in
 * the order written (duplicates kept), then "open" if missing, "getattr" if read is
 * there, "setattr" if write is there; e.g. "read write open getattr setattr". */
int mqfs_apparmor_plug_words(const struct mqfs_slot *slot, char **out);

/* "  # POSIX Message Queue slot: NAME" and one `mqueue (open read write create delete
 * getattr setattr) type=posix "/p",` line per path. */
int mqfs_apparmor_slot_lines(const struct mqfs_slot *slot, char **out);

/* "  # POSIX Message Queue plug: NAME" and one line per path of the connected slot. The
 * "/" getattr line is not included (it is once per snap). */
int mqfs_apparmor_plug_lines(const struct mqfs_plug *plug, const struct mqfs_slot *slot,
                             char **out);

/* SPEC §3.1 for one installed snap: its slots' lines (none for snaps of type os or
 * snapd), each connected plug's lines, and `mqueue (getattr) type=posix "/",` once when
 * the snap has a connected plug. An empty text when it has neither. -ENOENT when snap
 * is not installed in sys. */
int mqfs_apparmor_snap_rules(const struct mqfs_system *sys, const char *snap, char **out);

/* SPEC §3.2, the snap's apps: `/dev/mqueue/ r,` and per granted queue
 * `"/dev/mqueue/NAME" r,` (any grant) or `rw,` (write, create or delete granted). set
 * (the snap's grant set) may be NULL (no grants: only the directory line). */
int mqfs_apparmor_view_rules(const struct mqfs_grant_set *set, char **out);

/* SPEC §3.2, the mount helper (snap-update-ns.SNAP):
 * `mount options=(rw, bind) MOUNT_POINT/SNAP/ -> /dev/mqueue/,` and `umount /dev/mqueue/,`. */
int mqfs_apparmor_mount_rules(const char *snap, const char *mount_point, char **out);

/* SPEC 3.2, the snap's apps when they run under mqfs-exec: reaching the syscall door's
 * socket, MOUNT_POINT.door. -EINVAL for an unsafe mount point or "/". */
int mqfs_apparmor_door_rules(const char *mount_point, char **out);

struct mqfs_apparmor_options {
        const char *mount_point; /* the daemon's mount point; NULL: "/run/mqfs" */
        const char *system_path; /* system.yaml; NULL: "/etc/mqfs/system.yaml" */
        const char *daemon_path; /* mqfsd's binary, the daemon profile's attachment;
                                    NULL: "/usr/local/sbin/mqfsd", where
                                    `cmake --install` puts it */
        bool mqueue_rules;       /* emit `mqueue` rules (the parser understands them) */
        /* The daemon's profile alone in its file (as installed): it starts with
         * `abi <abi/3.0>,` and holds no mqueue rule, whatever mqueue_rules says. The
         * pinned ABI has no mqueue class, so a kernel with mqueue mediation does not
         * mediate the daemon (which makes every queue call its callers are granted, and
         * is itself the enforcement point), and AppArmor 3 and 4 parsers both compile it:
         * what it needs, not what the build machine's parser knows. An abi rule is
         * file-wide and must come first: never for a profile printed after others. */
        bool daemon_alone;
        const char *origin; /* named in the header comment (e.g. the system.yaml); may be NULL */
};

/* `profile snap.SNAP.mqfs { ... }`: the snap's §3.1 rules (or the comment saying why
 * they are left out) and its §3.2 view rules. */
int mqfs_apparmor_snap_profile(const struct mqfs_system *sys, const struct mqfs_grant_table *grants,
                               const char *snap, const struct mqfs_apparmor_options *opts,
                               char **out);

/* `profile snap-update-ns.SNAP { ... }`: what the mount helper needs to put the view over
 * /dev/mqueue in the snap's mount namespace. */
int mqfs_apparmor_mount_profile(const char *snap, const struct mqfs_apparmor_options *opts,
                                char **out);

/* `profile mqfsd DAEMON_PATH { ... }`: the daemon's own profile — the FUSE mount on the
 * mount point, its private mqueue instance, /dev/fuse, the state files, /dev/mqueue, and
 * the capabilities it needs to mount and to act as its callers. */
int mqfs_apparmor_daemon_profile(const struct mqfs_apparmor_options *opts, char **out);
