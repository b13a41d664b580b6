/* readahead.c — reading the snap.yaml files of a system.yaml before their entries' turn,
 * on several threads: see loader.h. */
#include "loader.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapyaml.h"

/* A thread costs some tens of microseconds and a file about fifty: below this many
 * files per thread more threads do not pay. Beyond a few threads the loader's
 * sequential part (resolution, grants) dominates anyway. */
enum { FILES_PER_THREAD = 64, MAX_HELPERS = 3 };

int mqfs_read_snap_yaml(const char *path, const char *shown, struct mqfs_snap_yaml **out,
                        char **error)
{
        char *buf = NULL;
        size_t len = 0;
        int r = mqfs_read_file(path, MQFS_YAML_MAX_BYTES, &buf, &len, NULL);
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                if (asprintf(error, "%s: cannot read: %s; check the path and its permissions",
                             shown,
                             r == -EINVAL  ? "not a regular file"
                             : r == -EFBIG ? "larger than 4 MiB"
                                           : strerror(-r)) < 0)
                        *error = NULL;
                return r;
        }
        r = mqfs_snap_yaml_parse(buf, len, shown, out, error);
        free(buf);
        return r;
}

struct crew {
        struct mqfs_read_ahead *v;
        size_t n;
        atomic_size_t next; /* the next entry to take */
};

static void work(struct crew *c, bool helper)
{
        for (;;) {
                size_t i = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
                if (i >= c->n)
                        return;
                struct mqfs_read_ahead *a = &c->v[i];
                if (a->path == NULL)
                        continue;
                a->result = mqfs_read_snap_yaml(a->path, a->shown, &a->yaml, &a->error);
                a->by_helper = helper;
        }
}

static void *helper_main(void *arg)
{
        work(arg, true);
        return NULL;
}

/* What a helper read lives in its thread's malloc arena, whose top glibc's malloc_trim
 * never gives back: once the loaded system is freed, the daemon would keep that arena's
 * peak (7 MiB for 10,000 snaps) resident for good. So the results move to this
 * thread's memory now, while the helpers' arenas are still small enough for free() to
 * trim them. On out of memory a result just stays where it is. */
static void rehome(struct mqfs_read_ahead *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!v[i].by_helper || v[i].yaml == NULL)
                        continue;
                struct mqfs_snap_yaml *copy = mqfs_snap_yaml_copy(v[i].yaml);
                if (copy == NULL)
                        continue;
                mqfs_snap_yaml_free(v[i].yaml);
                v[i].yaml = copy;
        }
}

/* Cores this thread may run on (its affinity mask, as in a container or under taskset). */
static size_t usable_cores(void)
{
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                return (size_t)CPU_COUNT(&set);
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        return online > 0 ? (size_t)online : 1;
}

size_t mqfs_read_ahead_run(struct mqfs_read_ahead *v, size_t n)
{
        struct crew crew = {.v = v, .n = n};
        pthread_t helpers[MAX_HELPERS];
        size_t files = 0, started = 0;

        for (size_t i = 0; i < n; i++)
                files += v[i].path != NULL;
        size_t want = files / FILES_PER_THREAD;
        if (want > 0)
                want--; /* this thread works too */
        if (want > MAX_HELPERS)
                want = MAX_HELPERS;
        if (want > 0) {
                size_t cores = usable_cores();
                want = cores > 1 ? (want < cores - 1 ? want : cores - 1) : 0;
        }
        if (want > 0) {
                /* The helpers must not take the process's signals from its own threads. */
                sigset_t all, old;
                sigfillset(&all);
                if (pthread_sigmask(SIG_SETMASK, &all, &old) == 0) {
                        while (started < want &&
                               pthread_create(&helpers[started], NULL, helper_main, &crew) == 0)
                                started++;
                        pthread_sigmask(SIG_SETMASK, &old, NULL);
                }
        }
        /* Whatever threads could not be started, this one does their share. */
        work(&crew, false);
        for (size_t i = 0; i < started; i++)
                pthread_join(helpers[i], NULL);
        if (started > 0)
                rehome(v, n);
        return started;
}

void mqfs_read_ahead_clear(struct mqfs_read_ahead *v, size_t n)
{
        for (size_t i = 0; v != NULL && i < n; i++) {
                free(v[i].path);
                free(v[i].shown);
                mqfs_snap_yaml_free(v[i].yaml);
                free(v[i].error);
        }
}
