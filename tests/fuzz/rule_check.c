/* rule_check.c — see rule_check.h. */
#include "rule_check.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "grants.h"
#include "perm.h"

static bool starts_with(const char *s, size_t len, const char *prefix)
{
        size_t n = strlen(prefix);
        return len >= n && memcmp(s, prefix, n) == 0;
}

static bool is_include(const char *s, size_t len)
{
        if (!starts_with(s, len, "#include <") || len < 12 || s[len - 1] != '>')
                return false;
        for (size_t i = 10; i < len - 1; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789/_.-", s[i]))
                        return false;
        return true;
}

static bool mqueue_word_ok(const char *w, size_t len)
{
        static const char *const words[] = {"open",   "read",    "write",  "create",
                                            "delete", "getattr", "setattr"};
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (strlen(words[i]) == len && memcmp(words[i], w, len) == 0)
                        return true;
        return false;
}

/* The queue name in a copy, for lookups. */
static char *queue_copy(const char *s, size_t len)
{
        char *q = malloc(len + 1);
        FUZZ_CHECK(q != NULL, "out of memory");
        memcpy(q, s, len);
        q[len] = '\0';
        return q;
}

static void check_mqueue_rule(const struct text_ctx *t, const char *r, size_t len)
{
        const char *words = r + strlen("mqueue (");
        const char *close = memchr(words, ')', len - (size_t)(words - r));
        FUZZ_CHECK(close != NULL, "%s: mqueue rule without ')': %.*s", t->what, (int)len, r);
        size_t wlen = (size_t)(close - words);
        for (size_t i = 0; i < wlen;) {
                size_t n = strcspn(words + i, " )");
                FUZZ_CHECK(n > 0 && mqueue_word_ok(words + i, n), "%s: bad mqueue word in %.*s",
                           t->what, (int)len, r);
                i += n + (words[i + n] == ' ');
        }
        size_t rest = len - (size_t)(close - r);
        FUZZ_CHECK(starts_with(close, rest, ") type=posix \"") &&
                       rest >= strlen(") type=posix \"\",") && r[len - 2] == '"',
                   "%s: mqueue rule of the wrong form: %.*s", t->what, (int)len, r);
        const char *name = close + strlen(") type=posix \"");
        char *q = queue_copy(name, (size_t)(r + len - 2 - name));
        if (strcmp(q, "/") == 0)
                FUZZ_CHECK(wlen == 7 && memcmp(words, "getattr", 7) == 0,
                           "%s: \"/\" gets more than getattr: %.*s", t->what, (int)len, r);
        else
                FUZZ_CHECK(mqfs_grant_set_perms(t->set, q) != 0,
                           "%s: rule for an ungranted queue: %s", t->what, q);
        free(q);
}

static void check_view_rule(const struct text_ctx *t, const char *r, size_t len)
{
        const char *name = r + strlen("\"/dev/mqueue");
        const char *end = memchr(name, '"', len - (size_t)(name - r));
        FUZZ_CHECK(end != NULL, "%s: unterminated view rule", t->what);
        char *q = queue_copy(name, (size_t)(end - name));
        unsigned perms = mqfs_grant_set_perms(t->set, q);
        FUZZ_CHECK(perms != 0, "%s: view rule for an ungranted queue %s", t->what, q);
        const unsigned writes = MQFS_PERM_WRITE | MQFS_PERM_CREATE | MQFS_PERM_DELETE;
        const char *want = (perms & writes) ? "\" rw," : "\" r,";
        FUZZ_CHECK(strlen(want) == len - (size_t)(end - r) && memcmp(end, want, strlen(want)) == 0,
                   "%s: queue %s has perms 0x%x but the rule says %.*s", t->what, q, perms,
                   (int)len, r);
        free(q);
}

/* One rule, without its two spaces of indentation. */
static void check_rule(const struct text_ctx *t, const char *r, size_t len)
{
        bool quoted = false;
        int depth = 0;
        FUZZ_CHECK(len > 0 && r[0] != ' ', "%s: rule indented by other than two spaces", t->what);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)r[i];
                FUZZ_CHECK(c != '\\', "%s: backslash in rule %.*s", t->what, (int)len, r);
                if (quoted) {
                        quoted = c != '"';
                        continue;
                }
                FUZZ_CHECK(c <= 0x7e && c != '{' && c != '}', "%s: byte 0x%02x outside quotes",
                           t->what, c);
                if (c == '"') {
                        quoted = true;
                } else if (c == '(') {
                        FUZZ_CHECK(++depth == 1, "%s: nested '(' in %.*s", t->what, (int)len, r);
                } else if (c == ')') {
                        FUZZ_CHECK(--depth == 0 && r[i - 1] != '(', "%s: bad ')' in %.*s", t->what,
                                   (int)len, r);
                } else if (c == ',' && depth == 0) {
                        FUZZ_CHECK(i == len - 1, "%s: two rules on one line: %.*s", t->what,
                                   (int)len, r);
                }
        }
        FUZZ_CHECK(!quoted && depth == 0 && r[len - 1] == ',',
                   "%s: rule does not end cleanly with ',': %.*s", t->what, (int)len, r);

        bool mqueue = starts_with(r, len, "mqueue (");
        bool view = starts_with(r, len, "\"/dev/mqueue/");
        if (mqueue)
                check_mqueue_rule(t, r, len);
        if (view)
                check_view_rule(t, r, len);
        if (t->kind == SNIPPET_MQUEUE)
                FUZZ_CHECK(mqueue, "%s: not an mqueue rule: %.*s", t->what, (int)len, r);
        if (t->kind == SNIPPET_VIEW)
                FUZZ_CHECK(view || (len == 15 && memcmp(r, "/dev/mqueue/ r,", 15) == 0),
                           "%s: not a view rule: %.*s", t->what, (int)len, r);
        if (t->kind == SNIPPET_MOUNT)
                FUZZ_CHECK(starts_with(r, len, "mount ") || starts_with(r, len, "umount "),
                           "%s: not a mount rule: %.*s", t->what, (int)len, r);
}

void fuzz_check_rules(const struct text_ctx *t, const char *text)
{
        size_t total = strlen(text);
        int depth = 0;
        bool seen_profile = false;
        FUZZ_CHECK(total == 0 || text[total - 1] == '\n', "%s: text does not end with a newline",
                   t->what);
        for (const char *line = text; *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = (size_t)(nl - line);
                for (size_t i = 0; i < len; i++) {
                        unsigned char c = (unsigned char)line[i];
                        FUZZ_CHECK(c >= 0x20 && c != 0x7f, "%s: control byte 0x%02x in a line",
                                   t->what, c);
                }
                size_t indent = strspn(line, " ");
                if (indent > len)
                        indent = len;
                const char *body = line + indent;
                size_t blen = len - indent;

                if (t->kind == PROFILE && len == 0) {
                        /* an empty line */
                } else if (blen > 0 && body[0] == '#') {
                        FUZZ_CHECK(blen == 1 || body[1] == ' ' || is_include(body, blen),
                                   "%s: '#' line that is neither comment nor include: %.*s",
                                   t->what, (int)len, line);
                } else if (t->kind == PROFILE && starts_with(line, len, "profile ")) {
                        FUZZ_CHECK(depth == 0 && !seen_profile && len > 10 &&
                                       line[len - 1] == '{' && line[len - 2] == ' ',
                                   "%s: misplaced profile header: %.*s", t->what, (int)len, line);
                        for (size_t i = 0; i < len - 1; i++)
                                FUZZ_CHECK(line[i] <= 0x7e && !strchr("\"{}", line[i]),
                                           "%s: bad profile header: %.*s", t->what, (int)len, line);
                        depth = 1;
                        seen_profile = true;
                } else if (t->kind == PROFILE && len == 1 && line[0] == '}') {
                        FUZZ_CHECK(depth == 1, "%s: '}' without a profile", t->what);
                        depth = 0;
                } else {
                        FUZZ_CHECK(indent == 2 && (t->kind != PROFILE || depth == 1),
                                   "%s: rule outside a profile or not indented by two: %.*s",
                                   t->what, (int)len, line);
                        check_rule(t, body, blen);
                }
                line = nl + 1;
        }
        if (t->kind == PROFILE)
                FUZZ_CHECK(seen_profile && depth == 0, "%s: profile not opened and closed",
                           t->what);
}
