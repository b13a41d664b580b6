/* caller_limits.h — the per-caller budgets of SPEC §5, as system.yaml's `limits:` sets them.
 *
 *   limits:
 *     open-files: 1024        # queue files a snap (and, separately, a uid) may hold open
 *     open-directories: 64    # directory handles, the same way
 *     blocked-writes: 256     # writes waiting for room on a full queue, the same way
 *     listing-bytes: 4194304  # memory of directory listings being read, the same way
 *     blocked-bytes: 4194304  # memory of the messages of blocked writes, the same way
 *     door-registrations: 256 # programs under mqfs-exec registered with the door, the same way
 *
 * Every key is optional; a missing one keeps its default (below). Each value is a
 * whole number from 1 to MQFS_LIMIT_MAX. Each budget is counted twice, per snap and
 * per uid, and a caller past either is refused (the daemon, fs/budget.h, does the
 * counting). A bad value or an unknown key is a problem of the file: at a reload the
 * running policy stays (SPEC §2.3). */
#pragma once

#include <stddef.h>

enum mqfs_limit_kind {
        MQFS_LIMIT_FILES,
        MQFS_LIMIT_DIRS,
        MQFS_LIMIT_PARKED,
        MQFS_LIMIT_LISTING,
        MQFS_LIMIT_PARKED_BYTES,
        MQFS_LIMIT_DOOR,
        MQFS_LIMIT_KINDS,
};

/* Far below what the daemon itself may hold (it raises its descriptor limit to the hard
 * limit and keeps a reserve, fs/budget.h), so that a few hostile snaps cannot use up the
 * daemon for everyone. */
#define MQFS_LIMIT_DEFAULTS                                                                        \
        {                                                                                          \
                1024, 64, 256, 4u << 20, 4u << 20, 256                                             \
        }
enum { MQFS_LIMIT_MAX = 1 << 30 };

struct mqfs_limits {
        size_t max[MQFS_LIMIT_KINDS];
};

/* The key of each kind in system.yaml ("open-files", ...). */
const char *mqfs_limit_key(enum mqfs_limit_kind kind);
/* The defaults. */
void mqfs_limits_default(struct mqfs_limits *l);
