#include "qname.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int mqfs_qname_check_entry(const char *entry)
{
        if (entry == NULL)
                return -EINVAL;
        /* The kernel's order: lookup_one_len() refuses "", ".", ".." and any '/' with
         * EACCES before the filesystem's lookup judges the length. */
        size_t len = strlen(entry);
        if (len == 0 || strcmp(entry, ".") == 0 || strcmp(entry, "..") == 0 ||
            memchr(entry, '/', len) != NULL)
                return -EACCES;
        if (len > MQFS_QNAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

int mqfs_qname_check(const char *name)
{
        if (name == NULL || name[0] != '/')
                return -EINVAL;
        return mqfs_qname_check_entry(name + 1);
}
