/* escape.c — see escape.h. */
#include "escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
        size_t n;
        uint32_t cp;

        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                cp = s[0] & 0x07;
        } else {
                return 0;
        }
        if (n > avail)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8. */
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

char *mqfs_escape(const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *in = (const unsigned char *)s;
        /* Worst case: every byte becomes \xHH. */
        if (len > (SIZE_MAX - 1) / 4)
                return NULL;
        char *out = malloc(len * 4 + 1);
        if (out == NULL)
                return NULL;

        size_t o = 0;
        for (size_t i = 0; i < len;) {
                unsigned char c = in[i];
                if (c >= 0x80) {
                        size_t n = utf8_sequence(in + i, len - i);
                        if (n > 0) {
                                memcpy(out + o, in + i, n);
                                o += n;
                                i += n;
                                continue;
                        }
                }
                i++;
                if (c == '\\') {
                        out[o++] = '\\';
                        out[o++] = '\\';
                } else if (c == '\n' || c == '\t' || c == '\r') {
                        out[o++] = '\\';
                        out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
                } else if (c < 0x20 || c >= 0x7f) {
                        out[o++] = '\\';
                        out[o++] = 'x';
                        out[o++] = hex[c >> 4];
                        out[o++] = hex[c & 0xf];
                } else {
                        out[o++] = (char)c;
                }
        }
        out[o] = '\0';
        return out;
}
