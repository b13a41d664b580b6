/* yamlnode.c — typing scalars, and budgeted access to a built document (see yamlnode.h). */
#include "yamlnode.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

/* Budgets: a document is read a few times over at most (plugs map, attribute maps,
 * lists twice), so 16 visits per node plus a fixed slack covers every honest use of
 * anchors. The byte budget allows every scalar to be copied and escaped into a reason
 * (at most 4 bytes per byte) a few times over. */
enum {
        VISITS_PER_NODE = 16,
        VISITS_SLACK = 1 << 16,
        BYTES_PER_BYTE = 16,
        BYTES_SLACK = 1 << 20,
};

void mqfs_ydoc_set_budgets(struct mqfs_ydoc *yd, size_t nodes, size_t scalar_bytes)
{
        yd->nodes = nodes;
        yd->visits_left = nodes * VISITS_PER_NODE + VISITS_SLACK;
        yd->bytes_left = scalar_bytes * BYTES_PER_BYTE + BYTES_SLACK;
        yd->exhausted = false;
}

void mqfs_ydoc_release(struct mqfs_ydoc *yd)
{
        for (struct mqfs_ytaken *t = yd->taken; t != NULL; t = t->next) {
                if (!t->taken && t->value != NULL)
                        t->free_value(t->value);
                if (!t->taken)
                        free(t->error);
        }
        mqfs_arena_clear(&yd->arena);
        memset(yd, 0, sizeof(*yd));
}

bool mqfs_ydoc_visit(struct mqfs_ydoc *yd, size_t n)
{
        if (yd->exhausted || n > yd->visits_left) {
                yd->exhausted = true;
                return false;
        }
        yd->visits_left -= n;
        return true;
}

bool mqfs_ydoc_bytes(struct mqfs_ydoc *yd, size_t n)
{
        if (yd->exhausted || n > yd->bytes_left) {
                yd->exhausted = true;
                return false;
        }
        yd->bytes_left -= n;
        return true;
}

const char *mqfs_yscalar(const struct mqfs_ynode *node, size_t *len)
{
        if (node == NULL || node->kind >= MQFS_YLIST) {
                if (len)
                        *len = 0;
                return NULL;
        }
        if (len)
                *len = node->len;
        return node->u.text;
}

static bool equals(const char *s, size_t len, const char *word)
{
        size_t n = strlen(word);
        return n == len && memcmp(s, word, n) == 0;
}

static bool in_list(const char *s, size_t len, const char *const *words)
{
        for (; *words; words++)
                if (equals(s, len, *words))
                        return true;
        return false;
}

static int digit_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return 99;
}

/* Go's strconv.ParseInt(s, 0, 64) succeeds, or ParseUint(s, 0, 64) does. */
static bool is_go_int(const char *s, size_t len)
{
        size_t i = 0;
        bool negative = false, sign = false;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
                negative = s[i] == '-';
                sign = true;
                i++;
        }
        unsigned base = 10;
        if (len - i >= 2 && s[i] == '0') {
                char p = s[i + 1];
                if (p == 'x' || p == 'X')
                        base = 16, i += 2;
                else if (p == 'o' || p == 'O')
                        base = 8, i += 2;
                else if (p == 'b' || p == 'B')
                        base = 2, i += 2;
                else
                        base = 8, i += 1; /* leading 0: octal, "0" itself handled below */
        }
        if (i == len)
                return base == 8 && len - (sign ? 1 : 0) == 1; /* just "0" */
        uint64_t value = 0;
        for (; i < len; i++) {
                int d = digit_value(s[i]);
                if (d >= (int)base)
                        return false;
                if (value > (UINT64_MAX - (uint64_t)d) / base)
                        return false; /* out of range for both */
                value = value * base + (uint64_t)d;
        }
        if (!sign)
                return true; /* ParseUint takes all of uint64 */
        return negative ? value <= (uint64_t)INT64_MAX + 1 : value <= (uint64_t)INT64_MAX;
}

/* go-yaml's float syntax ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and a
 * value Go's ParseFloat accepts (it refuses overflow). */
static bool is_yaml_float(const char *s, size_t len, bool allow_sign)
{
        size_t i = 0, digits = 0;
        if (allow_sign && i < len && (s[i] == '+' || s[i] == '-'))
                i++;
        if (i < len && s[i] == '.') {
                i++;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, digits++;
                if (digits == 0)
                        return false;
        } else {
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, digits++;
                if (digits == 0)
                        return false;
                if (i < len && s[i] == '.') {
                        i++;
                        while (i < len && s[i] >= '0' && s[i] <= '9')
                                i++;
                }
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                size_t exp_digits = 0;
                i++;
                if (i < len && (s[i] == '+' || s[i] == '-'))
                        i++;
                while (i < len && s[i] >= '0' && s[i] <= '9')
                        i++, exp_digits++;
                if (exp_digits == 0)
                        return false;
        }
        if (i != len)
                return false;
        /* The syntax is plain ASCII without NULs, so strtod sees exactly these bytes. */
        char copy[64];
        char *heap = NULL, *text = copy;
        if (len >= sizeof(copy)) {
                heap = malloc(len + 1);
                if (heap == NULL)
                        return true; /* syntax says number; cannot check the range */
                text = heap;
        }
        memcpy(text, s, len);
        text[len] = '\0';
        errno = 0;
        double v = strtod(text, NULL);
        bool overflow = errno == ERANGE && isinf(v);
        free(heap);
        return !overflow;
}

/* The go-yaml v2 type of an untagged plain scalar. */
static enum mqfs_ykind resolve_plain(const char *s, size_t len)
{
        static const char *const bools[] = {
            "y", "Y",  "yes", "Yes", "YES",   "true",  "True",  "TRUE", "on",  "On",  "ON", "n",
            "N", "no", "No",  "NO",  "false", "False", "FALSE", "off",  "Off", "OFF", NULL,
        };
        static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
        static const char *const floats[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                             ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                             "-.Inf", "-.INF", NULL};
        if (len == 0)
                return MQFS_YNULL;
        char first = s[0];
        /* Most scalars are names and paths: only these first characters can start a
         * word of the lists (the longest has 6 characters) or a number. */
        if (strchr("yYnNtTfFoO~.+-0123456789", first) == NULL || first == '\0')
                return MQFS_YSTRING;
        if (len <= 6) {
                if (in_list(s, len, bools))
                        return MQFS_YBOOL;
                if (in_list(s, len, nulls))
                        return MQFS_YNULL;
                if (in_list(s, len, floats))
                        return MQFS_YFLOAT;
        }
        if (first == '.')
                return is_yaml_float(s, len, false) ? MQFS_YFLOAT : MQFS_YSTRING;
        if (first != '+' && first != '-' && !(first >= '0' && first <= '9'))
                return MQFS_YSTRING;
        /* go-yaml drops every '_' before trying numbers (YAML 1.1 digit grouping). */
        char small[64];
        char *heap = NULL, *plain = small;
        if (len > sizeof(small)) {
                heap = malloc(len);
                if (heap == NULL)
                        return MQFS_YSTRING;
                plain = heap;
        }
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                if (s[i] != '_')
                        plain[n++] = s[i];
        enum mqfs_ykind kind = MQFS_YSTRING;
        if (n > 0 && is_go_int(plain, n))
                kind = MQFS_YINT;
        else if (n > 0 && is_yaml_float(plain, n, true))
                kind = MQFS_YFLOAT;
        free(heap);
        return kind;
}

static enum mqfs_ykind kind_of_tag(const char *tag)
{
        if (tag == NULL)
                return MQFS_YSTRING;
        if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
                const char *t = tag + strlen(TAG_PREFIX);
                if (strcmp(t, "str") == 0)
                        return MQFS_YSTRING;
                if (strcmp(t, "null") == 0)
                        return MQFS_YNULL;
                if (strcmp(t, "bool") == 0)
                        return MQFS_YBOOL;
                if (strcmp(t, "int") == 0)
                        return MQFS_YINT;
                if (strcmp(t, "float") == 0)
                        return MQFS_YFLOAT;
        }
        return MQFS_YSCALAR;
}

enum mqfs_ykind mqfs_yscalar_kind(const char *explicit_tag, bool plain, const char *value,
                                  size_t len)
{
        /* libyaml's loader made the non-specific tag `!` a string; so do we. */
        if (explicit_tag != NULL)
                return strcmp(explicit_tag, "!") == 0 ? MQFS_YSTRING : kind_of_tag(explicit_tag);
        return plain ? resolve_plain(value, len) : MQFS_YSTRING;
}

const char *mqfs_ykind_text(enum mqfs_ykind kind)
{
        switch (kind) {
        case MQFS_YABSENT:
                return "nothing";
        case MQFS_YNULL:
                return "null";
        case MQFS_YBOOL:
                return "a boolean";
        case MQFS_YINT:
        case MQFS_YFLOAT:
                return "a number";
        case MQFS_YSTRING:
                return "a string";
        case MQFS_YSCALAR:
                return "a tagged value";
        case MQFS_YLIST:
                return "a list";
        case MQFS_YMAP:
        case MQFS_YTAKEN:
                return "a map";
        }
        return "something else";
}

bool mqfs_yis(const struct mqfs_ynode *node, const char *s)
{
        size_t len;
        const char *value = mqfs_yscalar(node, &len);
        return value != NULL && equals(value, len, s) && node->kind == MQFS_YSTRING;
}

int mqfs_ystrdup(struct mqfs_ydoc *yd, const struct mqfs_ynode *node, char **out)
{
        size_t len;
        const char *value = mqfs_yscalar(node, &len);
        if (value == NULL || memchr(value, '\0', len) != NULL)
                return -EINVAL;
        if (!mqfs_ydoc_bytes(yd, len + 1))
                return -E2BIG;
        char *copy = malloc(len + 1);
        if (copy == NULL)
                return -ENOMEM;
        memcpy(copy, value, len);
        copy[len] = '\0';
        *out = copy;
        return 0;
}

size_t mqfs_ylist(const struct mqfs_ynode *node, const struct mqfs_ynode *const **items)
{
        if (node == NULL || node->kind != MQFS_YLIST) {
                *items = NULL;
                return 0;
        }
        *items = node->u.items;
        return node->len;
}

size_t mqfs_ymap(const struct mqfs_ynode *node, const struct mqfs_ypair **pairs)
{
        if (node == NULL || node->kind != MQFS_YMAP) {
                *pairs = NULL;
                return 0;
        }
        *pairs = node->u.pairs;
        return node->len;
}

bool mqfs_ymap_get(struct mqfs_ydoc *yd, const struct mqfs_ynode *map, const char *const *keys,
                   size_t nkeys, const struct mqfs_ynode **values)
{
        const struct mqfs_ypair *pairs;
        size_t n = mqfs_ymap(map, &pairs);

        for (size_t k = 0; k < nkeys; k++)
                values[k] = NULL;
        if (!mqfs_ydoc_visit(yd, n))
                return false;
        for (size_t i = 0; i < n; i++) {
                const struct mqfs_ynode *key = pairs[i].key;
                if (key->kind != MQFS_YSTRING || key->len == 0)
                        continue;
                const char *text = key->u.text;
                for (size_t k = 0; k < nkeys; k++) {
                        if (text[0] == keys[k][0] && equals(text, key->len, keys[k]))
                                values[k] = pairs[i].value;
                }
        }
        return true;
}
