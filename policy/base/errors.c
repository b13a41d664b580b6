/* errors.c — see errors.h. */
#include "errors.h"
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mqfs_error_sink error_sink;

const char *mqfs_errstr(int err)
{
        return strerror(err < 0 ? -err : err);
}

const char *mqfs_errname(int err)
{
        return strerrorname_np(err < 0 ? -err : err);
}

void mqfs_set_error_sink(mqfs_error_sink sink)
{
        error_sink = sink;
}

int mqfs_log_errno(int err, const char *fmt, ...)
{
        if (err == 0)
                return 0;
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(line))
                snprintf(line + n, sizeof(line) - (size_t)n, ": %s", mqfs_errstr(err));
        if (error_sink)
                error_sink(line);
        else
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, line);
        return err;
}

void mqfs_check_failed(const char *file, int line, const char *cond, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        char full[1024];
        snprintf(full, sizeof(full), "%s:%d: impossible state (%s): %s", file, line, cond, msg);
        fprintf(stderr, "%s: %s\n", program_invocation_short_name, full);
        if (error_sink)
                error_sink(full);
        abort();
}
