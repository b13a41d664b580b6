/* snapyaml.h — the posix-mq plugs and slots of one snap.yaml (SPEC §2.1, §2.2).
 *
 * Parsing uses libyaml's document loader and keeps each attribute's YAML type, so that
 * "string, list of strings or map" is answered exactly (a plain 42, true or null is not
 * a string; a quoted "42" is). Validation follows SPEC §2.2 in its order; a bad plug or
 * slot is dropped and listed in bad[] with its reason, the others stay. Plugs and slots
 * of other interfaces are ignored. Every string here is owned by the snap_yaml. */
#pragma once

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
        char *label;   /* the posix-mq identifier, defaulted to the slot name */
        char **paths;  /* normalised "/name" queue names, in the order written */
        size_t npaths; /* >= 1 */
        unsigned perms; /* enum mqfs_perm bits as written (default read|write); [] gives 0 */
        /* The same permissions as single bits in the order written, duplicates kept
         * (default: read, write): snapd's AppArmor plug rule lists them so. */
        unsigned *perm_list;
        size_t nperm_list;
        size_t line;
};

struct mqfs_bad {
        char *name;   /* the plug or slot name, raw */
        char *reason; /* SPEC §2.2 REASON text, names already escaped */
};

struct mqfs_snap_yaml {
        char *name; /* the snap's name from the document ("" if absent) */
        struct mqfs_plug *plugs; /* sorted by name */
        size_t nplugs;
        struct mqfs_slot *slots; /* sorted by name */
        size_t nslots;
        struct mqfs_bad *bad; /* sorted by name */
        size_t nbad;
};

/* Parses a whole snap.yaml document held in buf. origin names it in errors (a path).
 * 0 on success (bad plugs/slots are not failures); -EINVAL when buf is not YAML or not
 * a mapping, -ENOMEM. On failure *error (if error is not NULL) gets a message
 * "ORIGIN:LINE: what is wrong" to free(). */
int mqfs_snap_yaml_parse(const char *buf, size_t len, const char *origin,
                         struct mqfs_snap_yaml **out, char **error);

/* Reads and parses a file (same results, plus -errno of open/read). */
int mqfs_snap_yaml_load(const char *path, struct mqfs_snap_yaml **out, char **error);

/* Same, from a mapping node inside a larger document (system.yaml's snap-yaml-inline). */
int mqfs_snap_yaml_from_node(yaml_document_t *doc, yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error);

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap);

/* The report line for a snap with bad plugs or slots, or NULL when there are none
 * (or out of memory): `snap "SNAP" has bad plugs or slots: NAME (REASON); NAME (REASON)`
 * with entries in name order, names escaped. free() it. */
char *mqfs_snap_yaml_report(const struct mqfs_snap_yaml *snap);

/* Lookups by name (binary search); NULL when absent. */
const struct mqfs_plug *mqfs_snap_yaml_plug(const struct mqfs_snap_yaml *snap, const char *name);
const struct mqfs_slot *mqfs_snap_yaml_slot(const struct mqfs_snap_yaml *snap, const char *name);
