/* snapd_scale — how long loading a system state from snapd's own files takes.
 *
 *   snapd_scale [N] [RUNS]       (defaults: 1000 snaps, 7 runs)
 *
 * Builds a snapd machine of N store snaps under a temporary root (snapd_fixture.h):
 * state.json with data.snaps, data.conns and a change history of 3 tasks per snap (so
 * the file is megabytes, as on a real machine), one snap-declaration and one
 * /snap/NAME/REV tree per snap. Snaps come in publisher groups of 10; each has two slots
 * and two plugs matching the next snap of its group: plug "pa" is snapd's (an
 * established conns entry with slot-static), plug "pb" has no conns entry, so mqfs
 * resolves it itself (auto-connection). Then it loads and resolves the state and builds
 * the grant table RUNS times, checks the counts (N snaps, 2N connections half of them
 * snapd's, no message), and prints min and median wall and CPU times, the state.json size
 * and the peak RSS. Exit 0 when the counts are right, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "grants.h"
#include "snapd_fixture.h"
#include "system.h"

enum { GROUP = 10 };

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static size_t next_in_group(size_t i, size_t n)
{
        size_t first = i / GROUP * GROUP, size = n - first < GROUP ? n - first : GROUP;
        return first + (i - first + 1) % size;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static char *build(size_t n)
{
        char *root = snapd_fixture_root();
        char name[32], id[40], yaml[1024], rel[64];
        size_t cap = 8192 + n * 2400, used = 0;
        char *json = malloc(cap);
        if (json == NULL)
                abort();
#define PUT(...)                                                                                   \
        do {                                                                                       \
                used += (size_t)snprintf(json + used, cap - used, __VA_ARGS__);                    \
                if (used >= cap)                                                                   \
                        abort(); /* the estimate of the size is wrong */                           \
        } while (0)
        PUT("{\"data\":{\"seeded\":true,\"snaps\":{");
        for (size_t i = 0; i < n; i++) {
                size_t j = next_in_group(i, n);
                snprintf(name, sizeof(name), "snap%zu", i);
                snprintf(id, sizeof(id), "SNAPID%026zu", i);
                snprintf(yaml, sizeof(yaml),
                         "name: %s\nversion: '1'\nslots:\n"
                         "  a: {interface: posix-mq, posix-mq: q%zua, path: /q%zua,"
                         " permissions: [read, write]}\n"
                         "  b: {interface: posix-mq, posix-mq: q%zub, path: /q%zub}\n"
                         "plugs:\n  pa: {interface: posix-mq, posix-mq: q%zua}\n"
                         "  pb: {interface: posix-mq, posix-mq: q%zub}\n"
                         "apps:\n  run: {command: bin/run, plugs: [pa, pb, network]}\n",
                         name, i, i, i, i, j, j);
                snprintf(rel, sizeof(rel), "%zu", 10 + i % 7);
                snapd_fixture_snap(root, name, rel, yaml);
                char publisher[32];
                snprintf(publisher, sizeof(publisher), "publisher%zu", i / GROUP);
                snapd_fixture_declaration(root, id, name, publisher, "true");
                PUT("%s\"%s\":{\"type\":\"app\",\"sequence\":[{\"name\":\"%s\",\"snap-id\":\"%s\","
                    "\"revision\":\"%zu\"},{\"name\":\"%s\",\"snap-id\":\"%s\",\"revision\":"
                    "\"%s\"}],\"active\":true,\"current\":\"%s\",\"channel\":\"latest/stable\"}",
                    i ? "," : "", name, name, id, (size_t)9, name, id, rel, rel);
        }
        PUT("},\"conns\":{");
        for (size_t i = 0; i < n; i++)
                PUT("%s\"snap%zu:pa snap%zu:a\":{\"interface\":\"posix-mq\",\"auto\":true,"
                    "\"plug-static\":{\"posix-mq\":\"q%zua\"},\"slot-static\":{\"posix-mq\":"
                    "\"q%zua\",\"path\":\"/q%zua\",\"permissions\":[\"read\",\"write\"]}},"
                    "\"snap%zu:network core:network\":{\"interface\":\"network\",\"auto\":true}",
                    i ? "," : "", i, next_in_group(i, n), next_in_group(i, n), next_in_group(i, n),
                    next_in_group(i, n), i);
        PUT("}},\"changes\":{");
        for (size_t i = 0; i < n; i++)
                PUT("%s\"%zu\":{\"id\":\"%zu\",\"kind\":\"refresh-snap\",\"summary\":\"Refresh "
                    "\\\"snap%zu\\\" snap\",\"status\":4,\"clean\":true,\"task-ids\":[\"%zu\","
                    "\"%zu\",\"%zu\"]}",
                    i ? "," : "", i + 1, i + 1, i, 3 * i + 1, 3 * i + 2, 3 * i + 3);
        PUT("},\"tasks\":{");
        static const char *const kinds[] = {"download-snap", "mount-snap", "link-snap"};
        for (size_t t = 0; t < 3 * n; t++)
                PUT("%s\"%zu\":{\"id\":\"%zu\",\"kind\":\"%s\",\"summary\":\"step\",\"status\":4,"
                    "\"data\":{\"snap-setup\":{\"channel\":\"latest/stable\",\"side-info\":{"
                    "\"name\":\"snap%zu\",\"snap-id\":\"SNAPID%026zu\",\"revision\":\"10\"}}},"
                    "\"change\":\"%zu\",\"spawn-time\":\"2024-01-01T00:00:00Z\"}",
                    t ? "," : "", t + 1, t + 1, kinds[t % 3], t / 3, t / 3, t / 3 + 1);
        PUT("},\"last-change-id\":%zu,\"last-task-id\":%zu,\"last-lane-id\":0}\n", n, 3 * n);
        if (used >= cap)
                abort();
        snapd_fixture_state(root, json, false);
        free(json);
        return root;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
        int runs = argc > 2 ? atoi(argv[2]) : 7;
        if (n < 2 || runs < 1 || runs > 100) {
                fprintf(stderr, "usage: snapd_scale [N >= 2] [RUNS 1..100]\n");
                return 2;
        }
        double t0 = now();
        char *root = build(n);
        printf("built a snapd machine of %zu snaps in %.2f s under %s\n", n, now() - t0, root);
        char *state = snapd_fixture_path(root, "var/lib/snapd/state.json");
        char *yaml_path = snapd_fixture_path(root, "system.yaml");
        struct stat st;
        stat(state, &st);
        FILE *f = fopen(yaml_path, "w");
        fprintf(f, "snapd: {root: %s}\n", root);
        fclose(f);

        double wall[100], cpus[100];
        int ok = 1;
        for (int r = 0; r < runs; r++) {
                struct mqfs_system *sys = NULL;
                struct mqfs_grant_table *g = NULL;
                char *error = NULL;
                double w = now(), c = cpu();
                int rc = mqfs_system_load(yaml_path, &sys, &error);
                if (rc == 0)
                        rc = mqfs_system_grant_table(sys, &g);
                wall[r] = now() - w;
                cpus[r] = cpu() - c;
                if (rc != 0) {
                        fprintf(stderr, "load failed (%d): %s\n", rc, error ? error : "?");
                        return 1;
                }
                size_t from_snapd = 0;
                for (size_t i = 0; i < sys->nconns; i++)
                        from_snapd += sys->conns[i].source == MQFS_CONN_SNAPD;
                if (sys->nsnaps != n || sys->nconns != 2 * n || from_snapd != n ||
                    sys->nmessages != 0 || mqfs_grant_table_snap_count(g) != n) {
                        fprintf(stderr,
                                "wrong counts: %zu snaps, %zu connections (%zu snapd's), %zu "
                                "messages%s%s\n",
                                sys->nsnaps, sys->nconns, from_snapd, sys->nmessages,
                                sys->nmessages ? "; first: " : "",
                                sys->nmessages ? sys->messages[0] : "");
                        ok = 0;
                }
                mqfs_grant_table_unref(g);
                mqfs_system_free(sys);
                free(error);
        }
        qsort(wall, (size_t)runs, sizeof(*wall), cmp_double);
        qsort(cpus, (size_t)runs, sizeof(*cpus), cmp_double);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("state.json: %.1f MiB; %zu snaps, %zu connections (%zu from snapd's conns, %zu "
               "resolved by mqfs)\n",
               (double)st.st_size / (1 << 20), n, 2 * n, n, n);
        printf("load + resolve + grants, %d runs: wall min %.3f s, median %.3f s; CPU min "
               "%.3f s, median %.3f s; peak RSS %ld MiB\n",
               runs, wall[0], wall[runs / 2], cpus[0], cpus[runs / 2], ru.ru_maxrss / 1024);
        snapd_fixture_remove(root);
        free(root);
        free(state);
        free(yaml_path);
        return ok ? 0 : 1;
}
