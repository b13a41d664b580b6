/* conformance.h — the conformance cases (tests/policy/conformance/snap-yaml-cases.yaml)
 * loaded into plain arrays, so that every test (snap.yaml validation, AppArmor and seccomp
 * generation, the CLI) checks the same cases.
 *
 * Each case holds a snap.yaml text and either valid = true or a list of bad plug/slot
 * names with the REASON expected for each. For valid cases, slot_rule / plug_rules /
 * plug_syscalls carry the expected generated rules when the case lists them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mqfs_conf_bad {
        char *name;   /* plug or slot name */
        char *reason; /* the exact REASON text of SPEC §2.2 */
};

struct mqfs_conf_case {
        char *name;      /* the `case:` name */
        char *snap_yaml; /* the snap.yaml text */
        size_t snap_yaml_len;
        bool valid;                /* `valid: true` */
        struct mqfs_conf_bad *bad; /* in file order; nbad == 0 when valid */
        size_t nbad;
        char *slot_rule;   /* expected AppArmor slot line, NULL when the case has none */
        char **plug_rules; /* expected AppArmor plug lines, one per path, in path order */
        size_t nplug_rules;
        bool has_plug_syscalls; /* `plug-syscalls:` given (it may list few syscalls) */
        char **plug_syscalls;
        size_t nplug_syscalls;
};

struct mqfs_conf {
        struct mqfs_conf_case *cases; /* in file order */
        size_t ncases;
};

/* The default cases file, tests/policy/conformance/snap-yaml-cases.yaml (MQFS_CONFORMANCE_CASES). */
const char *mqfs_conf_default_path(void);

/* Loads a cases file. 0, or -errno with *error (if not NULL) set to a message naming
 * the file and line, to free(). A case that is neither `valid: true` nor has a `bad:`
 * map, or lacks `case:`/`snap:`, is an error: the file is the test's ground truth. */
int mqfs_conf_load(const char *path, struct mqfs_conf **out, char **error);

void mqfs_conf_free(struct mqfs_conf *conf);

/* The case called name, or NULL. */
const struct mqfs_conf_case *mqfs_conf_find(const struct mqfs_conf *conf, const char *name);
