/* fdio.h — whole reads and writes on a descriptor, going on after short transfers and
 * EINTR. */
#pragma once

#include <stddef.h>

/* Writes all len bytes of buf to fd, going on after short writes and EINTR. 0, or the
 * write's -errno (-EIO when it wrote nothing without an error). */
int mqfs_write_all(int fd, const void *buf, size_t len);

/* Reads exactly len bytes from fd into buf. 0; the read's -errno; -EIO at end of file
 * before len bytes (a writer that died half way). */
int mqfs_read_full(int fd, void *buf, size_t len);
