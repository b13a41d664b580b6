/* perm.h — the posix-mq permission words and their canonical order.
 *
 * A permission set is a bit mask; bit order is the canonical order used in
 * every output: open read write create delete. */
#pragma once

#include <stddef.h>

enum mqfs_perm {
        MQFS_PERM_OPEN = 1u << 0,
        MQFS_PERM_READ = 1u << 1,
        MQFS_PERM_WRITE = 1u << 2,
        MQFS_PERM_CREATE = 1u << 3,
        MQFS_PERM_DELETE = 1u << 4,
        MQFS_PERM_ALL = (1u << 5) - 1,
};

enum { MQFS_PERM_COUNT = 5 };

/* The word for one bit ("open", "read", ...), or NULL if bit is not exactly one permission. */
const char *mqfs_perm_word(unsigned bit);

/* Parses one permission word, case-sensitively. Returns 0 and sets *bit, or -EINVAL. */
int mqfs_perm_parse(const char *word, unsigned *bit);

/* The permissions an access(2) mask asks of a grant: read for R_OK, write for W_OK
 * (nothing for F_OK and X_OK: any grant shows the queue, and none runs it). */
unsigned mqfs_perm_for_access(int mask);

/* Writes the words of set, in canonical order and separated by single spaces, into
 * buf. Returns the length written, or -ENOSPC if buf (including the NUL) is too small. */
int mqfs_perm_format(unsigned set, char *buf, size_t size);
