/* source_watch.c — see source_watch.h. */
#include "source_watch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "system.h"

/* Final states of an entry; IN_CREATE only counts for entries whole when created. */
enum {
        WATCH_MASK =
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ONLYDIR,
};

struct entry {
        int wd;
        char *dir;
        char *name; /* NULL: any entry of dir */
        bool whole_on_create;
};

struct mqfs_source_watch {
        int fd;
        struct entry *v;
        size_t n;
};

int mqfs_source_watch_new(struct mqfs_source_watch **out)
{
        struct mqfs_source_watch *w = calloc(1, sizeof(*w));
        if (w == NULL)
                return -ENOMEM;
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0) {
                int err = -errno;
                free(w);
                return err;
        }
        *out = w;
        return 0;
}

static void clear(struct entry *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].dir);
                free(v[i].name);
        }
        free(v);
}

void mqfs_source_watch_free(struct mqfs_source_watch *w)
{
        if (w == NULL)
                return;
        close(w->fd);
        clear(w->v, w->n);
        free(w);
}

int mqfs_source_watch_fd(const struct mqfs_source_watch *w)
{
        return w->fd;
}

static bool has_wd(const struct entry *v, size_t n, int wd)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].wd == wd)
                        return true;
        return false;
}

int mqfs_source_watch_set(struct mqfs_source_watch *w, const struct mqfs_system *sys)
{
        struct entry *v = calloc(sys->nsources ? sys->nsources : 1, sizeof(*v));
        size_t n = 0;
        if (v == NULL)
                return -ENOMEM;
        for (size_t i = 0; i < sys->nsources; i++) {
                const struct mqfs_source *s = &sys->sources[i];
                /* The same directory gives the same watch (the mask is the same). */
                int wd = inotify_add_watch(w->fd, s->dir, WATCH_MASK);
                if (wd < 0) {
                        if (errno != ENOENT && errno != ENOTDIR)
                                mqfs_log(LOG_WARNING,
                                         "cannot watch %s: %s; its changes need a SIGHUP", s->dir,
                                         mqfs_errstr(errno));
                        continue;
                }
                v[n] = (struct entry){wd, strdup(s->dir), s->name ? strdup(s->name) : NULL,
                                      s->whole_on_create};
                if (v[n].dir == NULL || (s->name && v[n].name == NULL)) {
                        n++;
                        clear(v, n);
                        return -ENOMEM;
                }
                n++;
        }
        /* Watches of the old set that the new one does not use go. */
        for (size_t i = 0; i < w->n; i++)
                if (!has_wd(v, n, w->v[i].wd) && !has_wd(w->v, i, w->v[i].wd))
                        inotify_rm_watch(w->fd, w->v[i].wd);
        clear(w->v, w->n);
        w->v = v;
        w->n = n;
        return 0;
}

/* The source an event concerns, or NULL. */
static const struct entry *match(const struct mqfs_source_watch *w, const struct inotify_event *ev)
{
        for (size_t i = 0; i < w->n; i++) {
                const struct entry *e = &w->v[i];
                if (e->wd != ev->wd || (e->name && (!ev->len || strcmp(e->name, ev->name) != 0)))
                        continue;
                if ((ev->mask & IN_CREATE) && !(ev->mask & ~IN_CREATE & ~IN_ISDIR) &&
                    !e->whole_on_create)
                        continue; /* created empty: wait for its close or rename */
                return e;
        }
        return NULL;
}

bool mqfs_source_watch_changed(struct mqfs_source_watch *w, char *what, size_t size)
{
        char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
            __attribute__((aligned(__alignof__(struct inotify_event))));
        bool changed = false;

        if (what != NULL && size > 0)
                what[0] = '\0';
        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        p += sizeof(*ev) + ev->len;
                        const struct entry *e = NULL;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                if (!changed && what != NULL)
                                        snprintf(what, size, "events were lost");
                                changed = true;
                                continue;
                        }
                        if (ev->mask & IN_IGNORED || (e = match(w, ev)) == NULL)
                                continue;
                        if (!changed && what != NULL)
                                snprintf(what, size, "%s/%s", e->dir, ev->len ? ev->name : "");
                        changed = true;
                }
        }
        return changed;
}
