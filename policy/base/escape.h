/* escape.h — untrusted bytes made safe to print (log lines, reports, rules). */
#pragma once

#include <stddef.h>

/* Escapes len bytes of s for a log line or report: printable ASCII stays, "\" becomes
 * "\\", \n \t \r become their C escapes, every other control byte, DEL and every byte
 * of an invalid UTF-8 sequence become \xHH; valid UTF-8 is kept. Returns a new
 * NUL-terminated string (free() it), or NULL when out of memory. */
char *mqfs_escape(const char *s, size_t len);
