/* snapyaml.h — the posix-mq plugs and slots of one snap.yaml (SPEC §2.1, §2.2).
 *
 * Parsing reads libyaml's event stream once into typed nodes (yamlnode.h) and keeps each
 * attribute's YAML type, so that "string, list of strings or map" is answered exactly
 * (a plain 42, true or null is not a string; a quoted "42" is). Validation follows SPEC
 * §2.2 in its order; a bad plug or slot is dropped and listed in bad[] with its reason,
 * the others stay. Plugs and slots of other interfaces are ignored. Every string here is
 * owned by the snap_yaml.
 *
 * Stricter than snapd, because these names and paths end up in file paths, profile
 * names and generated rules:
 *  - a plug or slot name must match snapd's `^[a-z](?:-?[a-z0-9])*$` and be a string
 *    (snapd refuses other names when it installs the snap; here that one entry is bad
 *    with reason `invalid plug name: "NAME"` / `invalid slot name: "NAME"`);
 *  - a path is measured in bytes (at most 255 after the "/", as the kernel counts), and
 *    a control character or backslash in it is invalid (SPEC §2.2);
 *  - a `posix-mq` identifier holding a NUL byte is bad (`... must not contain a NUL byte`).
 * go-yaml v2 semantics are kept where they matter: a later duplicate key wins, a name
 * listed under an app's or hook's plugs:/slots: declares a plug/slot of that interface,
 * merge keys (`<<`) are not expanded (such a key is just a bad name). An explicit tag on
 * a plain scalar is only seen by mqfs_snap_yaml_parse/load (libyaml's loader hides it),
 * so mqfs_snap_yaml_from_node types `!!str 42` by its content.
 *
 * Hostile input costs bounded work: a document is never walked recursively and aliases
 * are never expanded; a document whose aliases would multiply the work (an alias bomb)
 * is refused with -EINVAL and a message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <yaml.h>

struct mqfs_plug {
        char *name;
        char *label; /* the posix-mq identifier, defaulted to the plug name */
        size_t line; /* 1-based line in the source, for messages */
};

struct mqfs_slot {
        char *name;
        char *label;    /* the posix-mq identifier, defaulted to the slot name */
        char **paths;   /* normalised "/name" queue names, in the order written */
        size_t npaths;  /* >= 1 */
        unsigned perms; /* enum mqfs_perm bits as written (default read|write); [] gives 0 */
        /* The same permissions as single bits in the order written, duplicates kept
         * (default: read, write): snapd's AppArmor plug rule lists them so. */
        unsigned *perm_list;
        size_t nperm_list;
        size_t line;
};

struct mqfs_bad {
        char *name;   /* the plug or slot name, raw (escaped if it holds a NUL byte) */
        char *reason; /* SPEC §2.2 REASON text, names already escaped */
        size_t line;  /* 1-based line of the name in the source */
};

struct mqfs_snap_yaml {
        char *name; /* the snap's name from the document ("" if absent or not a string) */
        struct mqfs_plug *plugs; /* sorted by name */
        size_t nplugs;
        struct mqfs_slot *slots; /* sorted by name */
        size_t nslots;
        struct mqfs_bad *bad; /* sorted by name */
        size_t nbad;
};

/* snapd's snap name rule: 1..40 characters of a-z 0-9 and '-', at least one letter, no
 * leading or trailing '-', no "--". len bytes of name are checked (NULs make it invalid). */
enum { MQFS_SNAP_NAME_MAX = 40 };
bool mqfs_snap_name_valid(const char *name, size_t len);

/* snapd's plug and slot name rule, `^[a-z](?:-?[a-z0-9])*$`. */
bool mqfs_plug_name_valid(const char *name, size_t len);

/* Parses a whole snap.yaml document held in buf. origin names it in errors (a path).
 * 0 on success (bad plugs/slots are not failures); -EINVAL when buf is not YAML or not
 * a mapping, when plugs:/slots: is not a map (snapd refuses such a snap), when the
 * name holds a NUL byte, when lists and maps nest more than 64 deep ([ ]/{ } more
 * than 10) or there are more than 64 anchors, or when aliases multiply the work;
 * -ENOMEM. On failure *error (if error is not NULL) gets a message
 * "ORIGIN:LINE: what is wrong" to free(). */
int mqfs_snap_yaml_parse(const char *buf, size_t len, const char *origin,
                         struct mqfs_snap_yaml **out, char **error);

/* Reads and parses a file (same results, plus -errno of open/read, -EINVAL for a file
 * that is not a regular file, -EFBIG above 4 MiB). */
int mqfs_snap_yaml_load(const char *path, struct mqfs_snap_yaml **out, char **error);

/* Same, from a mapping node of a document loaded with libyaml's yaml_parser_load (the
 * loader itself reads system.yaml's snap-yaml-inline from its own nodes). */
int mqfs_snap_yaml_from_node(yaml_document_t *doc, yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error);

/* A copy (one block, like every snap_yaml), allocated by the calling thread; NULL on
 * out of memory. */
struct mqfs_snap_yaml *mqfs_snap_yaml_copy(const struct mqfs_snap_yaml *snap);

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap);

/* The report line for a snap with bad plugs or slots, or NULL when there are none
 * (or out of memory): `snap "SNAP" has bad plugs or slots: NAME (REASON); NAME (REASON)`
 * with entries in name order, names escaped. free() it. */
char *mqfs_snap_yaml_report(const struct mqfs_snap_yaml *snap);

/* Lookups by name (binary search); NULL when absent. */
const struct mqfs_plug *mqfs_snap_yaml_plug(const struct mqfs_snap_yaml *snap, const char *name);
const struct mqfs_slot *mqfs_snap_yaml_slot(const struct mqfs_snap_yaml *snap, const char *name);
