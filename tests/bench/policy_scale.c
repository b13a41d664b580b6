/* policy_scale — how long loading a large system state takes, and how much memory.
 *
 *   policy_scale N [inline]
 *
 * Generates N snaps into a temporary directory, each with 10 posix-mq slots and 10
 * plugs, one snap.yaml file per snap (or all inline in system.yaml with "inline").
 * Snaps come in publisher groups of 10: plugs 0..8 of snap i match slots of the next
 * snap of its group (same publisher, so they auto-connect), plug 9 matches a slot of a
 * snap of another publisher and is connected manually; every 100th snap disconnects
 * its plug 0. Then it loads and resolves the state, builds the grant table, does
 * lookups, checks the counts, prints the times and the peak RSS, and removes its files.
 * For scale it also times libyaml's own loader over the same files, and the load again
 * confined to one CPU (the loader parses snap.yaml files on helper threads when it has
 * cores to spare, so its wall time and CPU time differ).
 * Exit status 0 when the counts are right, 1 otherwise, 2 on errors. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "grants.h"
#include "perm.h"
#include "system.h"

enum { PER_SNAP = 10, GROUP = 10, LOOKUPS = 1000000, LOOKUP_ROUNDS = 3 };

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process (user + system): less disturbed than wall time when other
 * work shares the machine. */
static double cpu(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int usable_cpus(void)
{
        cpu_set_t set;
        return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
}

static long peak_rss_kib(void)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_maxrss;
}

/* The snap whose slot k plug k of snap i auto-connects to: the next snap of its group. */
static size_t auto_target(size_t i, size_t n)
{
        size_t base = i - i % GROUP;
        size_t size = n - base < GROUP ? n - base : GROUP;
        return base + (i - base + 1) % size;
}

/* The snap of another publisher whose slot 9 plug 9 of snap i is connected to. */
static size_t manual_target(size_t i, size_t n)
{
        return (i + GROUP + 3) % n;
}

static void write_snap_yaml(FILE *f, size_t i, size_t n, const char *indent)
{
        fprintf(f, "%sname: snap-%zu\n%sslots:\n", indent, i, indent);
        for (size_t k = 0; k < PER_SNAP; k++)
                fprintf(f,
                        "%s  s%zu:\n%s    interface: posix-mq\n%s    posix-mq: l-%zu-%zu\n"
                        "%s    path: /q-%zu-%zu\n%s    permissions: [%s]\n",
                        indent, k, indent, indent, i, k, indent, i, k, indent,
                        k % 3 == 0   ? "read"
                        : k % 3 == 1 ? "read, write"
                                     : "write, create, delete");
        fprintf(f, "%splugs:\n", indent);
        for (size_t k = 0; k < PER_SNAP; k++) {
                size_t target = k < PER_SNAP - 1 ? auto_target(i, n) : manual_target(i, n);
                fprintf(f, "%s  p%zu: {interface: posix-mq, posix-mq: l-%zu-%zu}\n", indent, k,
                        target, k);
        }
}

static int generate(const char *dir, size_t n, bool inline_yaml)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        FILE *sys = fopen(path, "we");
        if (sys == NULL)
                return -errno;
        fprintf(sys, "snaps:\n");
        for (size_t i = 0; i < n; i++) {
                fprintf(sys,
                        "  - name: snap-%zu\n    publisher: pub-%zu\n    slots-allowed: true\n", i,
                        i / GROUP);
                if (inline_yaml) {
                        fprintf(sys, "    snap-yaml-inline:\n");
                        write_snap_yaml(sys, i, n, "      ");
                        continue;
                }
                fprintf(sys, "    snap-yaml: snap-%zu.yaml\n", i);
                snprintf(path, sizeof(path), "%s/snap-%zu.yaml", dir, i);
                FILE *f = fopen(path, "we");
                if (f == NULL) {
                        fclose(sys);
                        return -errno;
                }
                write_snap_yaml(f, i, n, "");
                if (fclose(f) != 0) {
                        fclose(sys);
                        return -EIO;
                }
        }
        fprintf(sys, "connections:\n");
        for (size_t i = 0; i < n; i++)
                fprintf(sys, "  - {plug: snap-%zu:p%d, slot: snap-%zu:s%d}\n", i, PER_SNAP - 1,
                        manual_target(i, n), PER_SNAP - 1);
        fprintf(sys, "disconnected:\n");
        for (size_t i = 0; i < n; i += 100)
                fprintf(sys, "  - {plug: snap-%zu:p0, slot: snap-%zu:s0}\n", i, auto_target(i, n));
        return fclose(sys) == 0 ? 0 : -EIO;
}

/* The floor for any libyaml-based loader: yaml_parser_load of every file once. */
static double libyaml_floor(const char *dir, size_t n, bool inline_yaml)
{
        char path[4096];
        double start = now();
        for (size_t i = 0; i <= (inline_yaml ? 0 : n); i++) {
                if (i < n && !inline_yaml)
                        snprintf(path, sizeof(path), "%s/snap-%zu.yaml", dir, i);
                else
                        snprintf(path, sizeof(path), "%s/system.yaml", dir);
                FILE *f = fopen(path, "re");
                yaml_parser_t parser;
                yaml_document_t doc;
                if (f == NULL || !yaml_parser_initialize(&parser)) {
                        if (f)
                                fclose(f);
                        return -1;
                }
                yaml_parser_set_input_file(&parser, f);
                if (yaml_parser_load(&parser, &doc))
                        yaml_document_delete(&doc);
                yaml_parser_delete(&parser);
                fclose(f);
        }
        return now() - start;
}

/* mqfs_system_load of path in a child confined to one CPU (so the loader starts no
 * helper threads), forked before the measured load so that both start from the same
 * heap. */
static int one_cpu_load(const char *path, double *wall, double *cpu_s)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                return -e;
        }
        if (pid == 0) {
                cpu_set_t all, one;
                double took[2] = {-1, -1};
                CPU_ZERO(&one);
                if (sched_getaffinity(0, sizeof(all), &all) == 0) {
                        for (int c = 0; c < CPU_SETSIZE; c++) {
                                if (CPU_ISSET(c, &all)) {
                                        CPU_SET(c, &one);
                                        break;
                                }
                        }
                }
                if (sched_setaffinity(0, sizeof(one), &one) == 0) {
                        struct mqfs_system *sys = NULL;
                        char *error = NULL;
                        double t = now(), c = cpu();
                        if (mqfs_system_load(path, &sys, &error) == 0)
                                took[0] = now() - t, took[1] = cpu() - c;
                }
                _exit(write(fds[1], took, sizeof(took)) == (ssize_t)sizeof(took) ? 0 : 1);
        }
        close(fds[1]);
        double took[2];
        ssize_t got = read(fds[0], took, sizeof(took));
        close(fds[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (got != (ssize_t)sizeof(took) || took[0] < 0)
                return -EIO;
        *wall = took[0];
        *cpu_s = took[1];
        return 0;
}

static void cleanup(const char *dir, size_t n)
{
        char path[4096];
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof(path), "%s/snap-%zu.yaml", dir, i);
                unlink(path); /* absent in the inline variant */
        }
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        unlink(path);
        if (rmdir(dir) != 0)
                fprintf(stderr, "policy_scale: cannot remove %s: %s\n", dir, strerror(errno));
}

int main(int argc, char **argv)
{
        if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "inline") != 0)) {
                fprintf(stderr, "usage: policy_scale N [inline]\n");
                return 2;
        }
        char *end = NULL;
        long parsed = strtol(argv[1], &end, 10);
        if (*end != '\0' || parsed < GROUP * 2 || parsed > 1000000) {
                fprintf(stderr, "policy_scale: N must be a number from %d to 1000000\n", GROUP * 2);
                return 2;
        }
        size_t n = (size_t)parsed;
        bool inline_yaml = argc == 3;
        char dir[] = "/tmp/policy_scale.XXXXXX";
        if (mkdtemp(dir) == NULL) {
                perror("policy_scale: mkdtemp");
                return 2;
        }

        int status = 2;
        struct mqfs_system *sys = NULL;
        struct mqfs_grant_table *grants = NULL;
        char *error = NULL, path[4096];
        double t0 = now();
        int r = generate(dir, n, inline_yaml);
        if (r < 0) {
                fprintf(stderr, "policy_scale: cannot write into %s: %s\n", dir, strerror(-r));
                goto out;
        }
        double generated = now();
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        double one_wall = 0, one_cpu = 0;
        r = one_cpu_load(path, &one_wall, &one_cpu);
        if (r < 0) {
                fprintf(stderr, "policy_scale: loading on one CPU (in a child): %s\n",
                        strerror(-r));
                goto out;
        }
        double t1 = now();
        long rss_before = peak_rss_kib();
        double c1 = cpu();
        r = mqfs_system_load(path, &sys, &error);
        double t2 = now(), c2 = cpu();
        if (r < 0) {
                fprintf(stderr, "policy_scale: %s\n", error ? error : strerror(-r));
                goto out;
        }
        r = mqfs_system_grant_table(sys, &grants);
        double t3 = now(), c3 = cpu();
        long rss_loaded = peak_rss_kib(); /* before lookups and libyaml's own loader */
        if (r < 0) {
                fprintf(stderr, "policy_scale: grants: %s\n", strerror(-r));
                goto out;
        }

        /* Lookups the daemon does on every operation: grant set by snap, perms by queue. The
         * best of a few rounds, each minus the same formatting without lookups: the
         * machine is often shared. */
        unsigned found = 0;
        double best = -1;
        for (int round = 0; round < LOOKUP_ROUNDS; round++) {
                unsigned long long x = 88172645463325252ull;
                char snap[64], queue[64];
                double t4 = now();
                found = 0;
                for (size_t i = 0; i < LOOKUPS; i++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: cheap, reproducible */
                        size_t s = (size_t)(x % n), k = (size_t)((x >> 32) % PER_SNAP);
                        snprintf(snap, sizeof(snap), "snap-%zu", s);
                        snprintf(queue, sizeof(queue), "/q-%zu-%zu", auto_target(s, n), k);
                        found +=
                            mqfs_grant_set_perms(mqfs_grant_table_set_of(grants, snap), queue) != 0;
                }
                double t5 = now();
                x = 88172645463325252ull;
                for (size_t i = 0; i < LOOKUPS; i++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        size_t s = (size_t)(x % n), k = (size_t)((x >> 32) % PER_SNAP);
                        snprintf(snap, sizeof(snap), "snap-%zu", s);
                        snprintf(queue, sizeof(queue), "/q-%zu-%zu", auto_target(s, n), k);
                        found += snap[0] == '\0';
                }
                double t6 = now();
                double took = (t5 - t4) - (t6 - t5);
                if (best < 0 || took < best)
                        best = took;
        }

        double c6 = cpu();
        double floor = libyaml_floor(dir, n, inline_yaml);
        double floor_cpu = cpu() - c6;

        size_t manual = 0;
        for (size_t i = 0; i < sys->nconns; i++)
                manual += sys->conns[i].manual;
        size_t disconnected = (n + 99) / 100;
        size_t want_auto = n * (PER_SNAP - 1) - disconnected;
        bool ok = sys->nsnaps == n && manual == n && sys->nconns - manual == want_auto &&
                  sys->nmessages == 0 && mqfs_grant_table_snap_count(grants) == n;
        printf("policy_scale: %zu snaps, %zu slots, %zu plugs (%s)\n", n, n * PER_SNAP,
               n * PER_SNAP, inline_yaml ? "inline in system.yaml" : "one snap.yaml file each");
        printf("generate:      %.3f s\n", generated - t0);
        printf("load+resolve:  %.3f s wall, %.3f s CPU (%zu connections: %zu auto, %zu manual; "
               "%zu messages)\n",
               t2 - t1, c2 - c1, sys->nconns, sys->nconns - manual, manual, sys->nmessages);
        printf("  on one CPU:  %.3f s wall, %.3f s CPU (the snap.yaml files parsed on this "
               "thread alone; %d CPUs usable)\n",
               one_wall, one_cpu, usable_cpus());
        printf("  (libyaml alone, yaml_parser_load of every file once: %.3f s wall, %.3f s CPU;\n"
               "   the loader parses once, from libyaml's events into its own nodes)\n",
               floor, floor_cpu);
        printf("grants:        %.3f s wall, %.3f s CPU\n", t3 - t2, c3 - c2);
        printf("lookups:       %d in %.3f s, %.0f ns each (%u granted; best of %d rounds)\n",
               LOOKUPS, best, best * 1e9 / LOOKUPS, found, LOOKUP_ROUNDS);
        printf("peak RSS:      %ld KiB after load and grants (%ld KiB before loading; %ld KiB "
               "at the end, after libyaml's loader)\n",
               rss_loaded, rss_before, peak_rss_kib());
        if (!ok) {
                printf("policy_scale: WRONG COUNTS: want %zu snaps, %zu auto and %zu manual "
                       "connections, 0 messages\n",
                       n, want_auto, n);
                for (size_t i = 0; i < sys->nmessages && i < 5; i++)
                        printf("  %s\n", sys->messages[i]);
        }
        status = ok ? 0 : 1;
out:
        free(error);
        mqfs_grant_table_unref(grants);
        mqfs_system_free(sys);
        cleanup(dir, n);
        return status;
}
