/* fuzz_qname.c — queue-name validation and safe printing (policy/qname.h), and the
 * AppArmor name filter built on it.
 *
 * Oracles:
 *  - mqfs_qname_check / mqfs_qname_check_entry give exactly the answer of the model
 *    below, written from qname.h's contract (and the kernel's lookup rules);
 *  - mqfs_apparmor_name_ok is true exactly for a valid name without the bytes that
 *    AppArmor's grammar reads specially (apparmor.h);
 *  - mqfs_escape's output is one line of printable text (no control byte, no DEL), is
 *    valid UTF-8, has between len and 4*len bytes, and unescapes back to the input
 *    byte for byte: the escaping is lossless, so a log line never hides what a caller
 *    sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor.h"
#include "escape.h"
#include "fuzz_check.h"
#include "qname.h"

/* The contract of qname.h (the kernel's order): -EACCES for "", ".", ".." or a '/',
 * then -ENAMETOOLONG beyond 255 bytes; 0 otherwise. */
static int model_entry(const char *entry)
{
        size_t len = strlen(entry);
        if (len == 0 || strcmp(entry, ".") == 0 || strcmp(entry, "..") == 0 ||
            strchr(entry, '/') != NULL)
                return -EACCES;
        if (len > MQFS_QNAME_MAX)
                return -ENAMETOOLONG;
        return 0;
}

static int model_name(const char *name)
{
        return name[0] == '/' ? model_entry(name + 1) : -EINVAL;
}

static bool model_apparmor_name_ok(const char *name)
{
        if (model_name(name) != 0)
                return false;
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '\\' || strchr("?*[]{}^\"", *p) != NULL)
                        return false;
        return true;
}

/* Length of the well-formed UTF-8 sequence (RFC 3629, table 3-7 of Unicode) at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4;
        else
                return 0;
        if (n > avail)
                return 0;
        /* The second byte's range is what excludes overlongs, surrogates and > U+10FFFF. */
        if (s[0] == 0xe0)
                lo = 0xa0;
        else if (s[0] == 0xed)
                hi = 0x9f;
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return n;
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Undoes mqfs_escape into out (at least strlen(esc) bytes); returns the length, or
 * (size_t)-1 for an escape sequence mqfs_escape never writes. */
static size_t unescape(const char *esc, unsigned char *out)
{
        size_t o = 0;
        for (const char *p = esc; *p;) {
                if (*p != '\\') {
                        out[o++] = (unsigned char)*p++;
                        continue;
                }
                switch (p[1]) {
                case '\\':
                        out[o++] = '\\';
                        p += 2;
                        break;
                case 'n':
                        out[o++] = '\n';
                        p += 2;
                        break;
                case 't':
                        out[o++] = '\t';
                        p += 2;
                        break;
                case 'r':
                        out[o++] = '\r';
                        p += 2;
                        break;
                case 'x': {
                        int h = p[2] ? hex_value(p[2]) : -1;
                        int l = h >= 0 && p[3] ? hex_value(p[3]) : -1;
                        if (l < 0)
                                return (size_t)-1;
                        out[o++] = (unsigned char)(h << 4 | l);
                        p += 4;
                        break;
                }
                default:
                        return (size_t)-1;
                }
        }
        return o;
}

static void check_escape(const uint8_t *data, size_t size)
{
        char *esc = mqfs_escape((const char *)data, size);
        FUZZ_CHECK(esc != NULL, "mqfs_escape returned NULL for %zu bytes", size);
        size_t elen = strlen(esc);
        FUZZ_CHECK(elen >= size && elen <= 4 * size,
                   "mqfs_escape made %zu bytes from %zu (bounds %zu..%zu)", elen, size, size,
                   4 * size);
        FUZZ_CHECK(fuzz_one_line(esc), "mqfs_escape left a control byte in \"%s\"", esc);
        const unsigned char *e = (const unsigned char *)esc;
        for (size_t i = 0; i < elen;) {
                size_t n = utf8_len(e + i, elen - i);
                FUZZ_CHECK(n > 0, "mqfs_escape output is not UTF-8 at byte %zu (0x%02x)", i, e[i]);
                i += n;
        }
        unsigned char *back = malloc(elen + 1);
        FUZZ_CHECK(back != NULL, "out of memory");
        size_t blen = unescape(esc, back);
        FUZZ_CHECK(blen != (size_t)-1, "mqfs_escape wrote an unknown escape in \"%s\"", esc);
        FUZZ_CHECK(blen == size && (size == 0 || memcmp(back, data, size) == 0),
                   "mqfs_escape is not lossless: \"%s\" unescapes to %zu bytes, input had %zu", esc,
                   blen, size);
        free(back);
        free(esc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc, (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The checkers take C strings, as FUSE and the YAML loader hand them over: the
         * input up to its first NUL. */
        char *name = fuzz_cstring(data, size);

        int rc = mqfs_qname_check(name), want = model_name(name);
        FUZZ_CHECK(rc == want, "mqfs_qname_check gave %d, the contract says %d", rc, want);
        rc = mqfs_qname_check_entry(name);
        want = model_entry(name);
        FUZZ_CHECK(rc == want, "mqfs_qname_check_entry gave %d, the contract says %d", rc, want);
        bool ok = mqfs_apparmor_name_ok(name);
        FUZZ_CHECK(ok == model_apparmor_name_ok(name), "mqfs_apparmor_name_ok gave %d", ok);
        free(name);

        check_escape(data, size);
        return 0;
}
