/* reload.c — see reload.h. */
#include "reload.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <unistd.h>

#include "errors.h"
#include "grants.h"
#include "log.h"
#include "source_watch.h"
#include "system.h"

struct mqfs_reload {
        int fd;
        char *name; /* the file's name within its directory */
};

int mqfs_reload_new(const char *system_path, struct mqfs_reload **out)
{
        struct mqfs_reload *r = calloc(1, sizeof(*r));
        char *dir_copy = strdup(system_path);
        char *base_copy = strdup(system_path);
        int err;

        if (!r || !dir_copy || !base_copy) {
                err = -ENOMEM;
                goto fail;
        }
        r->name = strdup(basename(base_copy));
        if (!r->name) {
                err = -ENOMEM;
                goto fail;
        }
        r->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (r->fd < 0) {
                err = -errno;
                goto fail;
        }
        const char *dir = dirname(dir_copy);
        if (inotify_add_watch(r->fd, dir,
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                  IN_ONLYDIR) < 0) {
                err = mqfs_log_errno(-errno, "cannot watch %s for changes of %s", dir, r->name);
                close(r->fd);
                goto fail;
        }
        free(dir_copy);
        free(base_copy);
        *out = r;
        return 0;
fail:
        if (r)
                free(r->name);
        free(r);
        free(dir_copy);
        free(base_copy);
        return err;
}

void mqfs_reload_free(struct mqfs_reload *r)
{
        if (!r)
                return;
        close(r->fd);
        free(r->name);
        free(r);
}

int mqfs_reload_fd(const struct mqfs_reload *r)
{
        return r->fd;
}

bool mqfs_reload_changed(struct mqfs_reload *r)
{
        char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
            __attribute__((aligned(__alignof__(struct inotify_event))));
        bool changed = false;

        for (;;) {
                ssize_t n = read(r->fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->mask & IN_Q_OVERFLOW)
                                changed = true;
                        else if (ev->mask & IN_IGNORED)
                                /* The directory itself went away (or was unmounted). */
                                mqfs_log(LOG_WARNING,
                                         "the directory of %s is gone: changes are no longer "
                                         "noticed; send SIGHUP to reload",
                                         r->name);
                        else if (ev->len && strcmp(ev->name, r->name) == 0)
                                changed = true;
                        p += sizeof(*ev) + ev->len;
                }
        }
        return changed;
}

int mqfs_reload_load(const char *path, enum mqfs_load_mode mode, struct mqfs_grant_table **out,
                     struct mqfs_limits *limits, struct mqfs_source_watch *sources)
{
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int err = mqfs_system_load(path, &sys, &error);

        if (err) {
                mqfs_log(LOG_ERR, "%s: %s; the running policy stays in place", error ? error : path,
                         error ? "not loaded" : mqfs_errstr(-err));
                free(error);
                return err;
        }
        for (size_t i = 0; i < sys->nmessages; i++)
                mqfs_log(LOG_WARNING, "%s", sys->messages[i]);
        if (sys->nmessages && mode == MQFS_LOAD_ALL_OR_NOTHING) {
                mqfs_log(LOG_ERR,
                         "%s: %zu problem%s (above): not loaded, the running policy stays in "
                         "place; fix the file (mqfs-policy check --system FILE) and replace it "
                         "whole (write a new file, then rename it over this one)",
                         path, sys->nmessages, sys->nmessages == 1 ? "" : "s");
                mqfs_system_free(sys);
                return -EINVAL;
        }
        if (sys->nmessages)
                mqfs_log(LOG_WARNING,
                         "%s: %zu problem%s (above): serving what is valid; fix the file "
                         "(mqfs-policy check --system FILE) and reload",
                         path, sys->nmessages, sys->nmessages == 1 ? "" : "s");
        if (limits)
                *limits = sys->limits;
        err = mqfs_system_grant_table(sys, out);
        if (err)
                mqfs_log(LOG_ERR,
                         "%s: cannot build the grants: %s; the running policy stays "
                         "in place",
                         path, mqfs_errstr(-err));
        if (!err && sources && mqfs_source_watch_set(sources, sys) < 0)
                mqfs_log(LOG_WARNING, "out of memory: the snap.yaml files and snapd's state "
                                      "are watched as before this reload");
        mqfs_system_free(sys);
        /* The daemon keeps only the grant table. The loaded system (some 15 MiB for
         * 10,000 snaps) is free now but scattered between live blocks: give those pages
         * back, or the daemon would hold its peak for good. */
        malloc_trim(0);
        return err;
}
