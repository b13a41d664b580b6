#include "snapname.h"

#include <stddef.h>
#include <string.h>

static const char *name_problem(const char *name)
{
        if (name == NULL || name[0] == '\0')
                return "snap name cannot be empty";
        size_t len = strnlen(name, MQFS_SNAP_NAME_MAX + 1);
        bool letter = false;
        /* Judge the characters first, as snapd does, so that a long name full of
         * slashes is reported for its slashes. */
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (c >= 'a' && c <= 'z') {
                        letter = true;
                } else if (c == '-') {
                        if (i == 0)
                                return "snap name cannot start with a dash";
                        if (name[i - 1] == '-')
                                return "snap name cannot contain two consecutive dashes";
                } else if (!(c >= '0' && c <= '9')) {
                        return "snap name must use lower case letters, digits or dashes";
                }
        }
        if (len > MQFS_SNAP_NAME_MAX)
                return "snap name must be at most 40 characters long";
        if (name[len - 1] == '-')
                return "snap name cannot end with a dash";
        if (!letter)
                return "snap name must contain at least one letter";
        if (len < 2)
                return "snap name must be longer than 1 character";
        return NULL;
}

const char *mqfs_snap_name_problem(const char *name)
{
        /* A parallel instance, NAME_KEY (snap install --name), as snap-confine allows. */
        const char *us = name ? strchr(name, '_') : NULL;
        if (us == NULL)
                return name_problem(name);
        char snap[MQFS_SNAP_NAME_MAX + 2];
        size_t n = (size_t)(us - name);
        if (n > MQFS_SNAP_NAME_MAX)
                return "snap name must be at most 40 characters long";
        memcpy(snap, name, n);
        snap[n] = '\0';
        const char *problem = name_problem(snap);
        if (problem != NULL)
                return problem;
        size_t key = strnlen(us + 1, 11);
        if (key < 1 || key > 10 || strspn(us + 1, "abcdefghijklmnopqrstuvwxyz0123456789") != key)
                return "instance key must be 1 to 10 lower case letters or digits";
        return NULL;
}
