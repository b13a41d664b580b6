/* aa_label.c — the caller's AppArmor label against the view's snap. */
#include "aa_label.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <syslog.h>

#include "errors.h"
#include "escape.h"
#include "log.h"
#include "qname.h"

/* A snap name (with an instance key): lower-case letters, digits, '-' and '_'. */
static bool snap_name_ok(const char *s, size_t n)
{
        if (n == 0 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
                      s[i] == '_'))
                        return false;
        return true;
}

bool mqfs_label_allows(const char *label, const char *snap)
{
        if (!label || !snap)
                return false;
        /* The label proper ends at the mode suffix or the newline /proc adds. */
        size_t len = strcspn(label, " \n");
        if (len == 0)
                return false;
        static const char snap_prefix[] = "snap.", ns_prefix[] = "snap-update-ns.";
        const char *name, *end;
        if (len >= sizeof(snap_prefix) - 1 &&
            strncmp(label, snap_prefix, sizeof(snap_prefix) - 1) == 0) {
                /* snap.NAME.REST: REST (an app, hook.NAME, a child //...) not empty */
                name = label + sizeof(snap_prefix) - 1;
                end = memchr(name, '.', len - (size_t)(name - label));
                if (!end || end + 1 >= label + len)
                        return false;
        } else if (len >= sizeof(ns_prefix) - 1 &&
                   strncmp(label, ns_prefix, sizeof(ns_prefix) - 1) == 0) {
                /* snap-update-ns.NAME, possibly with a child or stack after "//" */
                name = label + sizeof(ns_prefix) - 1;
                const char *slashes = strstr(name, "//");
                end = slashes && slashes < label + len ? slashes : label + len;
        } else {
                return true; /* unconfined, or not a snap's: a host tool */
        }
        size_t n = (size_t)(end - name);
        return snap_name_ok(name, n) && strlen(snap) == n && memcmp(name, snap, n) == 0;
}

bool mqfs_aa_label_enabled(void)
{
        bool enabled = aa_is_enabled() == 1;
        const char *force = getenv("MQFS_AA_LABELS");
        if (!enabled && force && strcmp(force, "check") == 0) {
                mqfs_log(LOG_NOTICE, "AppArmor is not enabled, but MQFS_AA_LABELS=check: callers' "
                                     "labels are checked (opens, creates and unlinks in a view "
                                     "fail when no label can be read)");
                return true;
        }
        if (enabled)
                mqfs_log(LOG_INFO, "AppArmor is enabled: opens, creates and unlinks in a view "
                                   "are refused to callers labelled as another snap");
        else
                mqfs_log(LOG_INFO, "AppArmor is not enabled: callers' labels are not checked; "
                                   "the broker enforces the posix-mq rules");
        return enabled;
}

int mqfs_aa_label_check(bool enabled, pid_t pid, const char *snap, const char *queue,
                        const char *operation)
{
        if (!enabled)
                return 0;
        char *label = NULL, *mode = NULL;
        char reason[400];
        /* aa_gettaskcon returns one allocation holding both the label and the mode. */
        if (pid <= 0 || aa_gettaskcon(pid, &label, &mode) < 0) {
                int err = pid <= 0 ? ESRCH : errno;
                snprintf(reason, sizeof(reason),
                         "the caller's AppArmor label cannot be read (pid %d: %s); refused "
                         "while AppArmor is enabled",
                         (int)pid, mqfs_errstr(err));
                mqfs_log_denial(snap, queue, operation, reason);
                return -EACCES;
        }
        int rc = 0;
        if (!mqfs_label_allows(label, snap)) {
                char *shown = mqfs_escape(label, strlen(label));
                snprintf(reason, sizeof(reason),
                         "the caller (pid %d) is confined as \"%.200s\", not as snap %s; a snap "
                         "uses its own view at /dev/mqueue",
                         (int)pid, shown ? shown : "?", snap);
                free(shown);
                mqfs_log_denial(snap, queue, operation, reason);
                rc = -EACCES;
        }
        free(label);
        return rc;
}
