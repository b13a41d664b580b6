/* seccomp.h — the seccomp syscalls of the posix-mq interface (SPEC §3.3).
 *
 * A slot gets the whole set; a connected plug gets mq_open and mq_getsetattr, then per
 * permission of the slot, in the order the slot wrote them (as snapd appends them):
 * read adds mq_timedreceive mq_timedreceive_time64 mq_notify, write adds mq_timedsend
 * mq_timedsend_time64, delete adds mq_unlink; open and create add nothing more. A
 * syscall is listed once, where it first appears. */
#pragma once

#include <stddef.h>

#include "snapyaml.h"
#include "system.h"

/* The most syscalls any set holds. */
enum { MQFS_SECCOMP_MAX = 8 };

/* The slot set, in SPEC order, NULL-terminated. */
extern const char *const mqfs_seccomp_slot_set[MQFS_SECCOMP_MAX + 1];

/* Fills out with the set of a plug connected to slot; returns how many. */
size_t mqfs_seccomp_plug_set(const struct mqfs_slot *slot, const char *out[MQFS_SECCOMP_MAX]);

/* The syscalls of one installed snap, one per line: the slot set if it has a slot, then
 * each connected plug's set, each syscall once. "" when it has neither. 0, -ENOMEM, or
 * -ENOENT when snap is not installed in sys. *out is to free(). */
int mqfs_seccomp_snap_rules(const struct mqfs_system *sys, const char *snap, char **out);
