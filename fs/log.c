/* log.c — see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "errors.h"
#include "escape.h"

static bool log_foreground = true;
static bool log_debug;
static struct mqfs_ratelimit denial_limit;
static bool denial_limit_ready;

uint64_t mqfs_log_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* mqfs_log_errno's lines (errors.h) go to the daemon's log, as errors. */
static void error_line(const char *line)
{
        mqfs_log(LOG_ERR, "%s", line);
}

void mqfs_log_open(bool foreground, bool debug)
{
        mqfs_set_error_sink(error_line);
        log_foreground = foreground;
        log_debug = debug;
        if (!foreground)
                openlog("mqfsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        mqfs_ratelimit_init(&denial_limit, MQFS_LOG_DENIAL_RATE, MQFS_LOG_DENIAL_BURST,
                            mqfs_log_now_ns());
        denial_limit_ready = true;
}

void mqfs_log_close(void)
{
        if (!log_foreground)
                closelog();
}

static const char *priority_word(int priority)
{
        switch (priority) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR:
                return "error";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
                return "notice";
        case LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

static void log_line(int priority, const char *fmt, va_list ap)
{
        if (priority == LOG_DEBUG && !log_debug)
                return;
        if (!log_foreground) {
                vsyslog(priority, fmt, ap);
                return;
        }
        /* One fprintf per line, so that lines from the daemon and from libfuse's debug
         * output do not interleave mid-line. */
        char line[1024];
        vsnprintf(line, sizeof(line), fmt, ap);
        /* <N>: journald takes it as the line's syslog priority (SyslogLevelPrefix=). */
        fprintf(stderr, "<%d>mqfsd: %s: %s\n", priority & LOG_PRIMASK, priority_word(priority),
                line);
}

void mqfs_log(int priority, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_line(priority, fmt, ap);
        va_end(ap);
}

void mqfs_log_denial(const char *snap, const char *queue, const char *operation, const char *reason)
{
        unsigned long dropped = 0;

        if (!denial_limit_ready) {
                mqfs_ratelimit_init(&denial_limit, MQFS_LOG_DENIAL_RATE, MQFS_LOG_DENIAL_BURST,
                                    mqfs_log_now_ns());
                denial_limit_ready = true;
        }
        if (!mqfs_ratelimit_take(&denial_limit, mqfs_log_now_ns(), &dropped))
                return;
        char *esnap = mqfs_escape(snap, strlen(snap));
        char *equeue = queue ? mqfs_escape(queue, strlen(queue)) : NULL;
        char more[96] = "";
        if (dropped)
                snprintf(more, sizeof(more), " (%lu more denials not logged: over %d a second)",
                         dropped, MQFS_LOG_DENIAL_RATE);
        mqfs_log(LOG_NOTICE, "denied: snap %s, queue %s, %s: %s%s", esnap ? esnap : "?",
                 queue ? (equeue ? equeue : "?") : "-", operation, reason, more);
        free(equeue);
        free(esnap);
}

void mqfs_ratelimit_init(struct mqfs_ratelimit *rl, double rate, double burst, uint64_t now_ns)
{
        rl->rate = rate;
        rl->burst = burst;
        rl->tokens = burst;
        rl->last_ns = now_ns;
        rl->suppressed = 0;
}

bool mqfs_ratelimit_take(struct mqfs_ratelimit *rl, uint64_t now_ns, unsigned long *dropped)
{
        *dropped = 0;
        if (now_ns > rl->last_ns) {
                rl->tokens += (double)(now_ns - rl->last_ns) / 1e9 * rl->rate;
                if (rl->tokens > rl->burst)
                        rl->tokens = rl->burst;
                rl->last_ns = now_ns;
        }
        if (rl->tokens < 1.0) {
                rl->suppressed++;
                return false;
        }
        rl->tokens -= 1.0;
        *dropped = rl->suppressed;
        rl->suppressed = 0;
        return true;
}
