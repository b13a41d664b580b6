/* budget.h — what one caller may make the daemon hold (SPEC §5, "Budgets").
 *
 * Promises:
 *  - Every kind of thing a caller can make the daemon keep (open queue files, open
 *    directory handles, parked writes and their bytes, bytes of directory listings,
 *    door registrations) is counted per snap AND per uid, and nothing else limits
 *    them: no pool is shared across snaps but the descriptors below. A take that
 *    would put either past its limit (caller_limits.h: system.yaml's `limits:`) is
 *    refused and nothing is charged: one snap, or one uid spread over several snaps,
 *    runs out alone, and what the others hold or may take never changes.
 *  - Above those, the kinds that cost the daemon a descriptor (files, directory
 *    handles, which may hold one while listing, and door registrations) share one
 *    pool: the daemon's RLIMIT_NOFILE minus a reserve of MQFS_BUDGET_FD_RESERVE
 *    descriptors kept for the daemon's own work (reloads, listings, the backing mount,
 *    stats), so a reload always finds descriptors, however many callers are at their
 *    budgets.
 *  - A refusal is logged through a token bucket (one line, saying who and which
 *    budget, and how many refusals were not logged since), never once per refusal.
 *  - Memory is bounded by what is held: a snap or uid that holds nothing has no entry.
 *  - Thread-safe (one mutex); every call is O(1) on average.
 * Limits may change at any time (a reload): what is held stays held, and new takes
 * are judged by the new limits. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "caller_limits.h"

enum { MQFS_BUDGET_FD_RESERVE = 256 };

struct mqfs_budget;

/* fd_limit: the daemon's RLIMIT_NOFILE (0: read it now). 0 or -ENOMEM. */
int mqfs_budget_new(const struct mqfs_limits *limits, size_t fd_limit, struct mqfs_budget **out);
void mqfs_budget_free(struct mqfs_budget *b);
void mqfs_budget_set_limits(struct mqfs_budget *b, const struct mqfs_limits *limits);

/* Charges n of kind to snap and uid: 0, or -EAGAIN (parked writes and their bytes: as a
 * full queue answers a non-blocking writer) / -EMFILE (the others) with nothing charged,
 * after logging the refusal (rate-limited). -ENOMEM when the entry cannot be made. */
int mqfs_budget_take(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap, uid_t uid,
                     size_t n);
/* Gives back what a take charged (same snap, uid and n). Giving back more than was
 * taken is a bug: the daemon aborts. */
void mqfs_budget_give(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap, uid_t uid,
                      size_t n);

/* What snap (uid ignored) or uid (snap NULL) holds of kind now; for tests. */
size_t mqfs_budget_held(struct mqfs_budget *b, enum mqfs_limit_kind kind, const char *snap,
                        uid_t uid);
/* Refusals so far (logged or not); for tests. */
unsigned long mqfs_budget_refusals(struct mqfs_budget *b);
