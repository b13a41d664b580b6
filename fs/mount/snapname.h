/* snapname.h — snapd's rule for snap names, checked before a name reaches any path.
 *
 * A snap name is 2 to 40 characters of a-z, 0-9 and '-', with at least one letter, no
 * leading or trailing '-' and no "--" (snapd's naming rule, as snap-confine checks it).
 * A parallel instance's name is such a name, "_" and a key of 1 to 10 characters a-z 0-9
 * (snap install --name NAME_KEY). A name that passes is safe as one path component and
 * in generated file names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum { MQFS_SNAP_NAME_MAX = 40 };

/* NULL when name is a valid snap name, else snapd's reason, e.g.
 * "snap name cannot contain two consecutive dashes" (a static string). */
const char *mqfs_snap_name_problem(const char *name);

static inline bool mqfs_snap_name_valid(const char *name)
{
        return mqfs_snap_name_problem(name) == NULL;
}
