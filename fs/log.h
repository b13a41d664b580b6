/* log.h — the daemon's log: stderr in the foreground, syslog otherwise. A foreground line
 * is "<N>mqfsd: LEVEL: TEXT", N its syslog priority, which journald (SyslogLevelPrefix=)
 * takes as the line's level and strips.
 *
 * Denials (a snap asked for something its grants or the queue's mode refuse) are
 * logged one line each, but through a token bucket so that a hostile snap cannot
 * flood the log: at most MQFS_LOG_DENIAL_RATE lines a second on average, bursts of
 * MQFS_LOG_DENIAL_BURST; what is dropped is counted, and the next line that gets
 * through says how many were not logged. Untrusted bytes (queue names) are
 * escaped with mqfs_escape before they are printed. Single-threaded use. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
        MQFS_LOG_DENIAL_RATE = 20,
        MQFS_LOG_DENIAL_BURST = 100,
};

/* Chooses the destination: stderr when foreground, else syslog (ident "mqfsd"). */
void mqfs_log_open(bool foreground, bool debug);
void mqfs_log_close(void);

/* priority: a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void mqfs_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One rate-limited line: "denied: snap SNAP, queue QUEUE, OPERATION: REASON".
 * queue may be NULL (an operation on a view itself); it is escaped. */
void mqfs_log_denial(const char *snap, const char *queue, const char *operation,
                     const char *reason);

/* CLOCK_MONOTONIC in nanoseconds, the clock of the token buckets. */
uint64_t mqfs_log_now_ns(void);

/* The token bucket, exposed for its unit test. */
struct mqfs_ratelimit {
        double rate;  /* tokens per second */
        double burst; /* bucket size */
        double tokens;
        uint64_t last_ns;
        unsigned long suppressed;
};

void mqfs_ratelimit_init(struct mqfs_ratelimit *rl, double rate, double burst, uint64_t now_ns);
/* true when a line may be printed now. When it may, and lines were dropped before,
 * *dropped gets their number (and the count restarts); otherwise *dropped is 0. */
bool mqfs_ratelimit_take(struct mqfs_ratelimit *rl, uint64_t now_ns, unsigned long *dropped);
