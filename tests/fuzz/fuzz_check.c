/* fuzz_check.c — see fuzz_check.h. */
#include "fuzz_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "\n%s:%d: fuzz oracle failed: %s\n  ", file, line, cond);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
        abort();
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (s == NULL) {
                fputs("fuzz: out of memory copying the input\n", stderr);
                abort();
        }
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

bool fuzz_one_line(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}
