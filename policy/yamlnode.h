/* yamlnode.h — a YAML document read the way snapd's go-yaml (v2) reads it.
 *
 * Private to policy/. A document is built in one pass over libyaml's event stream
 * (yaml_parser_parse) into compact typed nodes held in one arena: each scalar is typed
 * once, when it is read, and keeps its line; lists and maps point at their children.
 * Aliases are shared references to the anchored node, never copies, so a document is a
 * DAG (even a cycle: `&a [*a]`). Nothing here walks a document recursively or expands
 * an alias; instead every node visit and every byte copied out of the document is
 * charged to a budget proportional to the document's own size, so that an alias bomb
 * stops with an error after a bounded amount of work instead of exhausting memory or
 * time.
 *
 * Scalars are typed as go-yaml v2 types them: a plain scalar is null (empty, ~, null,
 * Null, NULL), bool (y Y yes Yes YES true True TRUE on On ON and the n/no/false/off
 * forms), int or float (Go's ParseInt/ParseUint with base prefixes, underscores
 * ignored; decimal floats; .inf/.nan forms) or else a string. Quoted and block scalars
 * are strings. An explicit tag wins (`!!str 42` is a string, `!!int "42"` is not; the
 * non-specific `!` makes a string). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "arena.h"

enum mqfs_ykind {
        MQFS_YABSENT, /* no node */
        MQFS_YNULL,
        MQFS_YBOOL,
        MQFS_YINT,
        MQFS_YFLOAT,
        MQFS_YSTRING,
        MQFS_YSCALAR, /* a scalar with another explicit tag (!!binary, !custom): not a string */
        MQFS_YLIST,
        MQFS_YMAP,
        MQFS_YTAKEN, /* a map a hook already read (mqfs_ydoc_hook); mqfs_ykind says MQFS_YMAP */
};

struct mqfs_ynode;
struct mqfs_ydoc;

struct mqfs_ypair {
        const struct mqfs_ynode *key, *value;
};

/* 16 bytes a node: system.yaml files with thousands of snaps inline hold millions. */
struct mqfs_ynode {
        uint32_t line;     /* 1-based line where the node starts */
        uint32_t kind : 4; /* enum mqfs_ykind, never MQFS_YABSENT */
        uint32_t len : 28; /* scalar bytes, list items or map pairs */
        union {
                const char *text; /* scalars: len bytes and a NUL (the bytes may hold NULs) */
                const struct mqfs_ynode *const *items; /* lists */
                const struct mqfs_ypair *pairs;        /* maps */
                struct mqfs_ytaken *taken;             /* MQFS_YTAKEN */
        } u;
};

/* What a hook read from a map while the document was being built, kept in the map's
 * place until someone takes it. */
struct mqfs_ytaken {
        void *value;                /* owned until taken */
        void (*free_value)(void *); /* frees an untaken value with the document */
        char *error;                /* owned until taken (to free()) */
        int result;                 /* the reader's return value */
        size_t visits, bytes;       /* what reading it charged, for the document's budget */
        bool taken;
        struct mqfs_ytaken *next;
};

/* Lets the loader read parts of a big document as soon as they are complete and drop
 * their nodes: system.yaml's inline snap.yaml maps, which are most of the file.
 * map_done is called for each map that closes when neither it, nor anything in it, nor
 * any collection around it has an anchor, and nothing in it is an alias: no other node
 * can refer to it then. keys[i] is the key under which the collection at level i + 1
 * sits (NULL inside a list), for i < depth (the map's own level). The document's budget
 * is unlimited during the call; what it charges is recorded. It returns 1 when it read
 * the map and filled value, free_value, error and result of *taken (the map's nodes are
 * then dropped and the map becomes MQFS_YTAKEN), 0 to keep the map as it is, or -errno
 * to stop the load. */
struct mqfs_ydoc_hook {
        int (*map_done)(void *ctx, struct mqfs_ydoc *yd, const struct mqfs_ynode *map,
                        const struct mqfs_ynode *const *keys, size_t depth,
                        struct mqfs_ytaken *taken);
        void *ctx;
};

/* The largest scalar, list or map a node can describe (documents are at most 64 MiB). */
#define MQFS_YNODE_MAX_LEN ((1u << 28) - 1)

struct mqfs_ydoc {
        const struct mqfs_ynode *root; /* NULL for an empty document */
        size_t nodes;
        size_t visits_left;        /* node visits */
        size_t bytes_left;         /* bytes copied or escaped out of the document */
        bool exhausted;            /* a budget ran out: the caller must give up */
        struct mqfs_arena arena;   /* every node, child array and scalar */
        struct mqfs_ytaken *taken; /* what hooks read, freed with the document */
};

/* Limits checked as the events arrive: libyaml's cost per token grows with the [ ] { }
 * nesting depth, and each alias is looked up among the anchors. With them, a 4 MiB
 * document costs well under a second whatever it holds; real files stay far below. */
enum { MQFS_YAML_MAX_DEPTH = 64, MQFS_YAML_MAX_FLOW_DEPTH = 10, MQFS_YAML_MAX_ANCHORS = 64 };

/* Parses the first document of buf. On success *yd owns the document (release it with
 * mqfs_ydoc_release); buf is not needed any more. -EINVAL when buf is not YAML
 * (including invalid UTF-8, an alias of no anchor, an anchor defined twice) or exceeds
 * the limits above, with *error = "ORIGIN:LINE: ..." (to free()); -ENOMEM; or what the
 * hook (may be NULL) returned. An empty buf gives a document without a root node. */
int mqfs_ydoc_load(struct mqfs_ydoc *yd, const char *buf, size_t len, const char *origin,
                   const struct mqfs_ydoc_hook *hook, char **error);

/* Builds the document from one loaded by libyaml's yaml_parser_load (tags are unknown
 * there: plain scalars are typed by content); *node gets the node standing for
 * doc_node. Scalars point into doc, which must outlive yd. -EINVAL when doc_node is
 * not a node of doc or doc is malformed, -ENOMEM. */
int mqfs_ydoc_from_document(struct mqfs_ydoc *yd, const yaml_document_t *doc,
                            const yaml_node_t *doc_node, const struct mqfs_ynode **node);

void mqfs_ydoc_release(struct mqfs_ydoc *yd);

/* Sets the budgets from the document's size (node count and scalar bytes). */
void mqfs_ydoc_set_budgets(struct mqfs_ydoc *yd, size_t nodes, size_t scalar_bytes);

/* The kind of a scalar: explicit_tag is the tag written in the text (NULL: none), plain
 * whether it was written without quotes or block style. */
enum mqfs_ykind mqfs_yscalar_kind(const char *explicit_tag, bool plain, const char *value,
                                  size_t len);

/* Charges n node visits; false (and yd->exhausted) when the budget is spent. */
bool mqfs_ydoc_visit(struct mqfs_ydoc *yd, size_t n);
/* Charges n bytes; false (and yd->exhausted) when the budget is spent. */
bool mqfs_ydoc_bytes(struct mqfs_ydoc *yd, size_t n);

static inline enum mqfs_ykind mqfs_ykind(const struct mqfs_ynode *node)
{
        if (node == NULL)
                return MQFS_YABSENT;
        return node->kind == MQFS_YTAKEN ? MQFS_YMAP : (enum mqfs_ykind)node->kind;
}

/* What a hook read in place of this node, or NULL. */
static inline struct mqfs_ytaken *mqfs_ytaken(const struct mqfs_ynode *node)
{
        return node && node->kind == MQFS_YTAKEN ? node->u.taken : NULL;
}
/* "a string", "a list", "a number", ... for messages. */
const char *mqfs_ykind_text(enum mqfs_ykind kind);
/* 1-based line of a node (0 for NULL). */
static inline size_t mqfs_yline(const struct mqfs_ynode *node)
{
        return node ? node->line : 0;
}

/* A scalar's bytes and length (NULL for other nodes). Scalars may hold NUL bytes. */
const char *mqfs_yscalar(const struct mqfs_ynode *node, size_t *len);
/* A node is a string scalar whose bytes equal s. */
bool mqfs_yis(const struct mqfs_ynode *node, const char *s);

/* A NUL-terminated copy of a string scalar, charged to the byte budget. -EINVAL when it
 * contains a NUL byte (it could not be told apart from its prefix), -E2BIG when the
 * budget is spent, -ENOMEM. */
int mqfs_ystrdup(struct mqfs_ydoc *yd, const struct mqfs_ynode *node, char **out);

/* The values of the given keys in a mapping, in one pass: for each keys[i], values[i]
 * is the value of the LAST pair whose key is the string keys[i] (go-yaml v2 lets a
 * later duplicate win), or NULL. Charges the mapping's length. false when the budget
 * is spent; map may be NULL or another kind (all values NULL then). */
bool mqfs_ymap_get(struct mqfs_ydoc *yd, const struct mqfs_ynode *map, const char *const *keys,
                   size_t nkeys, const struct mqfs_ynode **values);

/* Items and pairs of a list or map (0 and NULL for other nodes). Iterating them
 * costs one visit each: charge with mqfs_ydoc_visit. */
size_t mqfs_ylist(const struct mqfs_ynode *node, const struct mqfs_ynode *const **items);
size_t mqfs_ymap(const struct mqfs_ynode *node, const struct mqfs_ypair **pairs);

/* The largest snap.yaml or system.yaml read (the files are small; this bounds memory). */
enum { MQFS_YAML_MAX_BYTES = 4 << 20 };

/* "ORIGIN:LINE: " and then fmt's text, the form of every message about a place in a
 * file, in a new string (to free()); NULL when out of memory. */
char *mqfs_message_at(const char *origin, size_t line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Reads a whole regular file of at most max bytes into a new NUL-terminated buffer.
 * -errno of open/read, -EINVAL (not a regular file) or -EFBIG, with *error =
 * "PATH: what is wrong; what to do" (to free()). */
int mqfs_read_file(const char *path, size_t max, char **buf, size_t *len, char **error);

/* mqfs_snap_yaml_from_node on a document that carries a budget shared with the rest of
 * the document (system.yaml's snap-yaml-inline). */
struct mqfs_snap_yaml;
int mqfs_snap_yaml_from_ydoc(struct mqfs_ydoc *yd, const struct mqfs_ynode *node,
                             const char *origin, struct mqfs_snap_yaml **out, char **error);
