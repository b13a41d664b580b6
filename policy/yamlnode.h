/* yamlnode.h — a libyaml document read the way snapd's go-yaml (v2) reads it.
 *
 * Private to policy/. Documents come from libyaml's loader (yaml_parser_load): it is
 * not recursive and keeps aliases as shared node references, so a document is a DAG
 * (even a cycle: `&a [*a]`). Nothing here walks a document recursively or expands an
 * alias; instead every node visit and every byte copied out of the document is charged
 * to a budget proportional to the document's own size, so that an alias bomb stops
 * with an error after a bounded amount of work instead of exhausting memory or time.
 *
 * Scalars are typed as go-yaml v2 types them: a plain scalar is null (empty, ~, null,
 * Null, NULL), bool (y Y yes Yes YES true True TRUE on On ON and the n/no/false/off
 * forms), int or float (Go's ParseInt/ParseUint with base prefixes, underscores
 * ignored; decimal floats; .inf/.nan forms) or else a string. Quoted and block scalars
 * are strings. An explicit tag wins (`!!str 42` is a string, `!!int "42"` is not). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

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
};

struct mqfs_ydoc {
        yaml_document_t *doc;
        /* One bit per node id: the node carried an explicit tag in the text. The loader
         * gives untagged plain scalars the !!str tag too, so this is the only way to
         * tell `!!str 42` from `42`. NULL when unknown (a document loaded elsewhere). */
        uint8_t *tagged;
        size_t tagged_bytes;
        size_t nodes;
        size_t visits_left; /* node visits */
        size_t bytes_left;  /* bytes copied or escaped out of the document */
        bool exhausted;     /* a budget ran out: the caller must give up */
        /* Owned storage when the document was loaded by mqfs_ydoc_load. */
        yaml_document_t owned;
        bool owns_doc;
};

/* Limits checked before libyaml's loader runs: its cost per token grows with the
 * [ ] { } nesting depth, and per alias with the number of anchors. With them, a 4 MiB
 * document costs well under a second whatever it holds; real files stay far below. */
enum { MQFS_YAML_MAX_DEPTH = 64, MQFS_YAML_MAX_FLOW_DEPTH = 10, MQFS_YAML_MAX_ANCHORS = 64 };

/* Parses the first document of buf. On success *yd owns the document (release it with
 * mqfs_ydoc_release). -EINVAL when buf is not YAML (including invalid UTF-8) or
 * exceeds the limits above, with
 * *error = "ORIGIN:LINE: ..." (to free()); -ENOMEM. An empty buf gives a document
 * without a root node. */
int mqfs_ydoc_load(struct mqfs_ydoc *yd, const char *buf, size_t len, const char *origin,
                   char **error);

/* Wraps a document loaded elsewhere (tags unknown: plain scalars are typed by content). */
void mqfs_ydoc_wrap(struct mqfs_ydoc *yd, yaml_document_t *doc);

void mqfs_ydoc_release(struct mqfs_ydoc *yd);

/* Sets the budgets from the document's size (node count and scalar bytes). */
void mqfs_ydoc_reset_budgets(struct mqfs_ydoc *yd);

/* Charges n node visits; false (and yd->exhausted) when the budget is spent. */
bool mqfs_ydoc_visit(struct mqfs_ydoc *yd, size_t n);
/* Charges n bytes; false (and yd->exhausted) when the budget is spent. */
bool mqfs_ydoc_bytes(struct mqfs_ydoc *yd, size_t n);

/* The node with this id, or NULL. */
yaml_node_t *mqfs_ynode(const struct mqfs_ydoc *yd, int id);
enum mqfs_ykind mqfs_ykind(const struct mqfs_ydoc *yd, const yaml_node_t *node);
/* "a string", "a list", "a number", ... for messages. */
const char *mqfs_ykind_text(enum mqfs_ykind kind);
/* 1-based line of a node (0 for NULL). */
size_t mqfs_yline(const yaml_node_t *node);

/* A scalar's bytes and length (NULL for other nodes). Scalars may hold NUL bytes. */
const char *mqfs_yscalar(const yaml_node_t *node, size_t *len);
/* A node is a string scalar whose bytes equal s. */
bool mqfs_yis(const struct mqfs_ydoc *yd, const yaml_node_t *node, const char *s);

/* A NUL-terminated copy of a string scalar, charged to the byte budget. -EINVAL when it
 * contains a NUL byte (it could not be told apart from its prefix), -E2BIG when the
 * budget is spent, -ENOMEM. */
int mqfs_ystrdup(struct mqfs_ydoc *yd, const yaml_node_t *node, char **out);

/* The values of the given keys in a mapping, in one pass: for each keys[i], values[i]
 * is the value of the LAST pair whose key is the string keys[i] (go-yaml v2 lets a
 * later duplicate win), or NULL. Charges the mapping's length. false when the budget
 * is spent; map may be NULL or another kind (all values NULL then). */
bool mqfs_ymap_get(struct mqfs_ydoc *yd, const yaml_node_t *map, const char *const *keys,
                   size_t nkeys, yaml_node_t **values);

/* Items and pairs of a list or map (0 and NULL for other nodes). Iterating them
 * costs one visit each: charge with mqfs_ydoc_visit. */
size_t mqfs_ylist(const yaml_node_t *node, yaml_node_item_t **items);
size_t mqfs_ymap(const yaml_node_t *node, yaml_node_pair_t **pairs);

/* The largest snap.yaml or system.yaml read (the files are small; this bounds memory). */
enum { MQFS_YAML_MAX_BYTES = 4 << 20 };

/* Reads a whole regular file of at most max bytes into a new NUL-terminated buffer.
 * -errno of open/read, -EINVAL (not a regular file) or -EFBIG, with *error =
 * "PATH: what is wrong; what to do" (to free()). */
int mqfs_read_file(const char *path, size_t max, char **buf, size_t *len, char **error);

/* mqfs_snap_yaml_from_node on a document that knows its tags and carries a budget
 * shared with the rest of the document (system.yaml's snap-yaml-inline). */
struct mqfs_snap_yaml;
int mqfs_snap_yaml_from_ydoc(struct mqfs_ydoc *yd, const yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error);
