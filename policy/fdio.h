/* fdio.h — descriptor I/O that the rest of mqfs would otherwise write again. */
#pragma once

#include <stddef.h>

/* Writes all len bytes of buf to fd, going on after short writes and EINTR. 0, or the
 * write's -errno (-EIO when it wrote nothing without an error). */
int mqfs_write_all(int fd, const void *buf, size_t len);
