/* caller_limits.c — see caller_limits.h. The `limits:` section itself is read by system.c. */
#include "caller_limits.h"

static const char *const keys[MQFS_LIMIT_KINDS] = {
    [MQFS_LIMIT_FILES] = "open-files",           /* queue files held open */
    [MQFS_LIMIT_DIRS] = "open-directories",      /* directory handles held open */
    [MQFS_LIMIT_PARKED] = "blocked-writes",      /* writes parked on full queues */
    [MQFS_LIMIT_LISTING] = "listing-bytes",      /* listings being read */
    [MQFS_LIMIT_PARKED_BYTES] = "blocked-bytes", /* the messages of parked writes */
    [MQFS_LIMIT_DOOR] = "door-registrations",    /* launches under mqfs-exec */
};

const char *mqfs_limit_key(enum mqfs_limit_kind kind)
{
        return keys[kind];
}

void mqfs_limits_default(struct mqfs_limits *l)
{
        *l = (struct mqfs_limits){MQFS_LIMIT_DEFAULTS};
}
