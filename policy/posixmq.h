/* posixmq.h — private to policy/: validation of one posix-mq plug or slot of a
 * snap.yaml (SPEC §2.2), shared by the document walk (snapyaml.c) and the checks
 * themselves (posixmq.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "snapyaml.h"
#include "yamlnode.h"

#define MQFS_IFACE "posix-mq"

/* One plug or slot name as written: a key of plugs:/slots:, or a name listed only under
 * an app's or hook's plugs:/slots:. */
struct mqfs_snap_entry {
        const char *name; /* into the document; "" for a key that is not a scalar */
        size_t len;
        bool string_key;                /* a string, not null/bool/number (go-yaml would refuse) */
        const struct mqfs_ynode *value; /* the definition; NULL for a listed name */
        bool listed;
        size_t order;
        size_t line;
};

struct mqfs_snap_parser {
        struct mqfs_ydoc *yd;
        const char *origin;
        /* Everything read goes to the scratch arena, snap included; a parse that
         * succeeds is then copied into one block (snapyaml.c), and scratch freed. */
        struct mqfs_arena scratch;
        struct mqfs_snap_yaml *snap;
        size_t cap_plugs, cap_slots, cap_bad;
        char **error;
};

/* "ORIGIN:LINE: what" into *p->error (the first failure wins); returns err. */
__attribute__((format(printf, 4, 5))) int mqfs_pmq_fail(struct mqfs_snap_parser *p,
                                                        const struct mqfs_ynode *node, int err,
                                                        const char *fmt, ...);
/* The message for a spent budget (an alias bomb); returns -EINVAL. */
int mqfs_pmq_fail_budget(struct mqfs_snap_parser *p, const struct mqfs_ynode *node);
/* Makes room for one more element in *v (doubling, in the scratch arena). 0 or -ENOMEM. */
int mqfs_pmq_grow(struct mqfs_snap_parser *p, void **v, size_t *cap, size_t n, size_t size);
/* A NUL-terminated copy in the scratch arena, or NULL. */
char *mqfs_pmq_strndup(struct mqfs_snap_parser *p, const char *s, size_t len);

/* Whether the entry is a posix-mq plug/slot, as snapd decides the interface. false
 * also when the budget ran out (the caller checks yd->exhausted). */
bool mqfs_pmq_is_posix_mq(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e);
/* Validates the entry and adds it to the plugs/slots, or to bad with its reason.
 * 0 either way; <0 for -ENOMEM or a refused document (message in *p->error). */
int mqfs_pmq_add_plug(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e);
int mqfs_pmq_add_slot(struct mqfs_snap_parser *p, const struct mqfs_snap_entry *e);
