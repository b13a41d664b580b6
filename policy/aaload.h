/* aaload.h — putting generated AppArmor profiles where they take effect.
 *
 * When the kernel runs AppArmor, each profile is compiled with the installed
 * apparmor_parser and the binary is loaded (replacing any profile of the same name)
 * through libapparmor's kernel interface. When it does not, the profiles are only written
 * to a directory, for an administrator or a later boot, and the broker alone enforces
 * the posix-mq rules. Either way the profile texts land in the directory, one file per
 * profile, named after it.
 *
 * Lives in policy/ because it is rule handling (no FUSE, no queues); it links libapparmor.
 * Every decision is taken from a struct mqfs_aa_status, which tests build by hand
 * (mqfs_aa_status_decide), so the "enabled" paths can be exercised on a kernel without
 * AppArmor; only mqfs_aa_status_read and the default loader touch the real kernel. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define MQFS_AA_DEFAULT_DIR "/var/lib/mqfs/apparmor"

struct mqfs_aa_status {
        bool enabled;            /* the kernel runs AppArmor */
        bool mqueue_mediated;    /* ... and mediates POSIX message queues (ipc/posix_mqueue) */
        char features[PATH_MAX]; /* the kernel's features directory; "" when not enabled */
};

/* Asks the running kernel: aa_is_enabled(), and the features directory under the
 * securityfs mount libapparmor finds (aa_find_mountpoint). 0, or -errno when it cannot
 * tell (then *st says "not enabled"). */
int mqfs_aa_status_read(struct mqfs_aa_status *st);

/* The same decision from given inputs: enabled as given; mqueue_mediated when enabled
 * and features_dir holds ipc/posix_mqueue. 0, -EINVAL (enabled without a features
 * directory, or one too long), or -errno when features_dir cannot be opened. */
int mqfs_aa_status_decide(struct mqfs_aa_status *st, bool enabled, const char *features_dir);

struct mqfs_aa_profile {
        const char *name; /* e.g. "snap.NAME.mqfs"; also the file name: [A-Za-z0-9._+-], not
                             starting with '.', 1..255 bytes */
        const char *text;
};

struct mqfs_aa_install_options {
        const char *dir;    /* NULL: MQFS_AA_DEFAULT_DIR; created (0755) when missing */
        const char *parser; /* NULL: mqfs_apparmor_find_parser() */
        /* Loads one compiled binary into the kernel; 0 or -errno. NULL: libapparmor's
         * aa_kernel_interface_replace_policy_from_file. Tests inject their own. */
        int (*load)(const char *binary_path, void *ctx);
        void *load_ctx;
};

/* Writes every profile to DIR/NAME (atomically: a temporary file renamed over it, 0644),
 * then, when st->enabled, compiles each (`PARSER -Q -K -M FEATURES -o DIR/NAME.bin
 * DIR/NAME`) and loads the binary. Returns 0 and in *message (free() it) the one line to
 * tell the administrator — "AppArmor is not enabled: profiles written to DIR; the broker
 * enforces the posix-mq rules", or how many were loaded and whether the kernel mediates
 * queues. On failure returns -errno and *message says what failed, with which profile,
 * and what to do (or NULL when out of memory); profiles before the failing one stay
 * written or loaded. */
int mqfs_aa_install(const struct mqfs_aa_status *st, const struct mqfs_aa_profile *profiles,
                    size_t nprofiles, const struct mqfs_aa_install_options *opts, char **message);
