/* fuzz_system.c — see fuzz_system.h. The checks restate SPEC §2.3/§2.4 and system.h
 * independently of policy/system.c, on the loaded result:
 *  - snaps sorted and unique, each found by mqfs_system_snap; names are valid snap names
 *    (the daemon makes a directory per snap, and profiles are named after them, so a name
 *    like "../x" must never get this far);
 *  - a snap that is asserted without slots-allowed keeps no slot (slots are
 *    super-privileged), and every kept slot path may go into a rule;
 *  - connections sorted, unique, pointing into the system; a manual one has equal
 *    identifiers unless a side is unasserted; an automatic one joins two snaps of the same
 *    non-empty publisher with equal identifiers and its slot is the plug's only candidate
 *    (when the input names no `disconnected` pairs, which may narrow the candidates);
 *  - mqfs_system_plug_conns returns exactly the snap's connections;
 *  - every message is one printable line (messages go to the daemon's log);
 *  - the grant table equals SPEC §2.4 computed here from slots and connections. */
#include "fuzz_system.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apparmor.h"
#include "fuzz_check.h"
#include "grants.h"
#include "perm.h"
#include "system.h"

#define ORIGIN "fuzz-system.yaml"

/* ---- the snap.yaml files a system.yaml may name ---- */

static const char provider_yaml[] =
    "name: provider\n"
    "slots:\n"
    "  jobs: {interface: posix-mq, posix-mq: jobs, path: /jobs,\n"
    "         permissions: [read, write, create, delete]}\n"
    "  status: {interface: posix-mq, posix-mq: status, path: [/status, /alerts],\n"
    "           permissions: [read]}\n"
    "  mq: {interface: posix-mq, path: test}\n"
    "plugs:\n"
    "  back: {interface: posix-mq, posix-mq: jobs}\n";

static const char consumer_yaml[] = "name: consumer\n"
                                    "apps:\n"
                                    "  worker: {command: bin/worker, plugs: [jobs]}\n"
                                    "plugs:\n"
                                    "  jobs: {interface: posix-mq, posix-mq: jobs}\n"
                                    "  status: {interface: posix-mq}\n"
                                    "  mq: posix-mq\n";

static const char bad_slot_yaml[] = "name: bad-slot\n"
                                    "slots:\n"
                                    "  dots: {interface: posix-mq, path: /..}\n"
                                    "  good: {interface: posix-mq, path: [/good, /good-2]}\n";

static const char broken_yaml[] = "name: [unterminated\n";

static const struct fixture {
        const char *path;
        const char *text;
} fixtures[] = {
    {"provider.yaml", provider_yaml},       {"consumer.yaml", consumer_yaml},
    {"snaps/provider.yaml", provider_yaml}, {"snaps/consumer.yaml", consumer_yaml},
    {"bad-slot.yaml", bad_slot_yaml},       {"broken.yaml", broken_yaml},
};

static char base_dir[PATH_MAX];

static void remove_base_dir(void)
{
        char path[PATH_MAX + 64];
        for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", base_dir, fixtures[i].path);
                unlink(path);
        }
        snprintf(path, sizeof(path), "%s/snaps", base_dir);
        rmdir(path);
        rmdir(base_dir);
}

static void write_fixture(const struct fixture *f)
{
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", base_dir, f->path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        FUZZ_CHECK(fd >= 0, "cannot create %s: %m", path);
        size_t len = strlen(f->text);
        FUZZ_CHECK(write(fd, f->text, len) == (ssize_t)len, "cannot write %s: %m", path);
        FUZZ_CHECK(close(fd) == 0, "cannot close %s: %m", path);
}

const char *fuzz_system_base_dir(void)
{
        if (base_dir[0])
                return base_dir;
        const char *tmp = getenv("TMPDIR");
        snprintf(base_dir, sizeof(base_dir), "%s/mqfs-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(base_dir) != NULL, "cannot make a directory under %s: %m",
                   tmp && *tmp ? tmp : "/tmp");
        atexit(remove_base_dir);
        char snaps[PATH_MAX + 8];
        snprintf(snaps, sizeof(snaps), "%s/snaps", base_dir);
        FUZZ_CHECK(mkdir(snaps, 0755) == 0, "cannot make %s: %m", snaps);
        for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
                write_fixture(&fixtures[i]);
        return base_dir;
}

/* ---- the loaded system ---- */

static bool unasserted(const struct mqfs_system_snap *s)
{
        return s->publisher[0] == '\0';
}

static int cmp_conn(const struct mqfs_connection *a, const struct mqfs_connection *b)
{
        int c = strcmp(a->plug_snap->name, b->plug_snap->name);
        if (c == 0)
                c = strcmp(a->plug->name, b->plug->name);
        if (c == 0)
                c = strcmp(a->slot_snap->name, b->slot_snap->name);
        if (c == 0)
                c = strcmp(a->slot->name, b->slot->name);
        return c;
}

static bool points_into(const void *p, const void *base, size_t n, size_t size)
{
        const char *c = p, *b = base;
        return p && base && c >= b && c < b + n * size && (size_t)(c - b) % size == 0;
}

static void check_snap(const struct mqfs_system *sys, size_t i)
{
        const struct mqfs_system_snap *s = &sys->snaps[i];
        FUZZ_CHECK(s->name && mqfs_snap_name_valid(s->name, strlen(s->name)),
                   "installed a snap with an invalid name");
        FUZZ_CHECK(i == 0 || strcmp(sys->snaps[i - 1].name, s->name) < 0,
                   "snaps not sorted and unique at \"%s\"", s->name);
        FUZZ_CHECK(mqfs_system_snap(sys, s->name) == s, "lookup of snap \"%s\" failed", s->name);
        FUZZ_CHECK(s->publisher != NULL, "snap \"%s\" without a publisher string", s->name);
        FUZZ_CHECK(s->type >= MQFS_SNAP_APP && s->type <= MQFS_SNAP_SNAPD, "snap \"%s\" type %d",
                   s->name, (int)s->type);
        if (s->yaml == NULL)
                return;
        FUZZ_CHECK(unasserted(s) || s->slots_allowed || s->yaml->nslots == 0,
                   "asserted snap \"%s\" without slots-allowed kept %zu slot(s)", s->name,
                   s->yaml->nslots);
        for (size_t j = 0; j < s->yaml->nslots; j++) {
                const struct mqfs_slot *slot = &s->yaml->slots[j];
                for (size_t k = 0; k < slot->npaths; k++)
                        FUZZ_CHECK(mqfs_apparmor_name_ok(slot->paths[k]),
                                   "snap \"%s\" slot \"%s\" kept a path no rule may carry", s->name,
                                   slot->name);
        }
}

/* Slots that SPEC §2.3's auto-connection would offer to plug p of snap ps. */
static size_t auto_candidates(const struct mqfs_system *sys, const struct mqfs_system_snap *ps,
                              const struct mqfs_plug *p)
{
        size_t n = 0;
        if (unasserted(ps))
                return 0;
        for (size_t i = 0; i < sys->nsnaps; i++) {
                const struct mqfs_system_snap *ss = &sys->snaps[i];
                if (ss->yaml == NULL || strcmp(ss->publisher, ps->publisher) != 0)
                        continue;
                for (size_t j = 0; j < ss->yaml->nslots; j++)
                        n += strcmp(ss->yaml->slots[j].label, p->label) == 0;
        }
        return n;
}

static void check_conn(const struct mqfs_system *sys, size_t i, bool may_disconnect)
{
        const struct mqfs_connection *c = &sys->conns[i];
        FUZZ_CHECK(points_into(c->plug_snap, sys->snaps, sys->nsnaps, sizeof(*sys->snaps)) &&
                       points_into(c->slot_snap, sys->snaps, sys->nsnaps, sizeof(*sys->snaps)),
                   "connection %zu points outside the snaps", i);
        FUZZ_CHECK(c->plug_snap->yaml && c->slot_snap->yaml,
                   "connection %zu to a snap without yaml", i);
        FUZZ_CHECK(points_into(c->plug, c->plug_snap->yaml->plugs, c->plug_snap->yaml->nplugs,
                               sizeof(*c->plug)) &&
                       points_into(c->slot, c->slot_snap->yaml->slots, c->slot_snap->yaml->nslots,
                                   sizeof(*c->slot)),
                   "connection %zu points outside its snaps' plugs and slots", i);
        FUZZ_CHECK(i == 0 || cmp_conn(&sys->conns[i - 1], c) < 0,
                   "connections not sorted and unique at %s:%s", c->plug_snap->name, c->plug->name);
        bool same_label = strcmp(c->plug->label, c->slot->label) == 0;
        if (c->manual) {
                FUZZ_CHECK(same_label || unasserted(c->plug_snap) || unasserted(c->slot_snap),
                           "manual connection %s:%s -> %s:%s between different identifiers",
                           c->plug_snap->name, c->plug->name, c->slot_snap->name, c->slot->name);
                return;
        }
        FUZZ_CHECK(!unasserted(c->plug_snap) &&
                       strcmp(c->plug_snap->publisher, c->slot_snap->publisher) == 0 && same_label,
                   "auto-connection %s:%s -> %s:%s breaks the publisher/identifier rule",
                   c->plug_snap->name, c->plug->name, c->slot_snap->name, c->slot->name);
        if (!may_disconnect) {
                size_t n = auto_candidates(sys, c->plug_snap, c->plug);
                FUZZ_CHECK(n == 1, "plug %s:%s auto-connected among %zu candidates",
                           c->plug_snap->name, c->plug->name, n);
        }
}

static void check_plug_conns(const struct mqfs_system *sys, const struct mqfs_system_snap *s)
{
        size_t want = 0, first = sys->nconns;
        for (size_t i = 0; i < sys->nconns; i++) {
                if (sys->conns[i].plug_snap != s)
                        continue;
                if (want++ == 0)
                        first = i;
        }
        size_t n = (size_t)-1;
        const struct mqfs_connection *c = mqfs_system_plug_conns(sys, s->name, &n);
        FUZZ_CHECK(n == want, "mqfs_system_plug_conns(\"%s\") counted %zu of %zu", s->name, n,
                   want);
        FUZZ_CHECK(want == 0 || c == &sys->conns[first],
                   "mqfs_system_plug_conns(\"%s\") does not start at the first one", s->name);
        if (s->yaml == NULL)
                return;
        /* A plug connects automatically to one slot at most. */
        for (size_t p = 0; p < s->yaml->nplugs; p++) {
                size_t autos = 0;
                for (size_t i = 0; i < n; i++)
                        autos += !c[i].manual && c[i].plug == &s->yaml->plugs[p];
                FUZZ_CHECK(autos <= 1, "plug %s:%s auto-connected %zu times", s->name,
                           s->yaml->plugs[p].name, autos);
        }
}

static void check_system(const struct mqfs_system *sys, bool may_disconnect)
{
        for (size_t i = 0; i < sys->nsnaps; i++)
                check_snap(sys, i);
        for (size_t i = 0; i < sys->nconns; i++)
                check_conn(sys, i, may_disconnect);
        for (size_t i = 0; i < sys->nsnaps; i++)
                check_plug_conns(sys, &sys->snaps[i]);
        for (size_t i = 0; i < sys->nmessages; i++)
                FUZZ_CHECK(sys->messages[i] && fuzz_one_line(sys->messages[i]),
                           "message %zu is not one printable line", i);
        /* Lookups of names that may or may not be installed agree with a plain scan. */
        static const char *const probes[] = {"", "a", "consumer", "provider", "zz", "\x7f"};
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                const struct mqfs_system_snap *want = NULL;
                for (size_t j = 0; j < sys->nsnaps; j++)
                        if (strcmp(sys->snaps[j].name, probes[i]) == 0)
                                want = &sys->snaps[j];
                FUZZ_CHECK(mqfs_system_snap(sys, probes[i]) == want, "lookup of \"%s\" is wrong",
                           probes[i]);
        }
}

struct mqfs_system *fuzz_system_load(const uint8_t *data, size_t size)
{
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int rc = mqfs_system_load_buffer((const char *)data, size, fuzz_system_base_dir(), ORIGIN,
                                         &sys, &error);
        if (rc != 0) {
                FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM, "mqfs_system_load_buffer returned %d",
                           rc);
                FUZZ_CHECK(error != NULL, "failure %d without a message", rc);
                FUZZ_CHECK(strncmp(error, ORIGIN ":", strlen(ORIGIN ":")) == 0,
                           "message does not start with the origin: %s", error);
                FUZZ_CHECK(fuzz_one_line(error), "the message is not one printable line");
                free(error);
                mqfs_system_free(sys);
                return NULL;
        }
        free(error);
        FUZZ_CHECK(sys != NULL, "success without a system");
        check_system(sys, memmem(data, size, "disconnected", 12) != NULL);
        return sys;
}

/* ---- grants, SPEC §2.4 ---- */

struct expected {
        const char **queue;
        unsigned *perms;
        size_t n, cap;
};

static void expect(struct expected *e, const char *queue, unsigned perms)
{
        for (size_t i = 0; i < e->n; i++) {
                if (strcmp(e->queue[i], queue) == 0) {
                        e->perms[i] |= perms;
                        return;
                }
        }
        if (e->n == e->cap) {
                e->cap = e->cap ? 2 * e->cap : 16;
                e->queue = realloc(e->queue, e->cap * sizeof(*e->queue));
                e->perms = realloc(e->perms, e->cap * sizeof(*e->perms));
                FUZZ_CHECK(e->queue && e->perms, "out of memory");
        }
        e->queue[e->n] = queue;
        e->perms[e->n++] = perms;
}

static void expect_slot(struct expected *e, const struct mqfs_slot *slot, unsigned perms)
{
        for (size_t k = 0; k < slot->npaths; k++)
                expect(e, slot->paths[k], perms | MQFS_PERM_OPEN);
}

static void check_view(const struct mqfs_system *sys, const struct mqfs_grant_table *g, size_t i)
{
        const struct mqfs_system_snap *s = &sys->snaps[i];
        struct expected e = {0};
        if (s->yaml)
                for (size_t j = 0; j < s->yaml->nslots; j++)
                        expect_slot(&e, &s->yaml->slots[j], MQFS_PERM_ALL);
        for (size_t j = 0; j < sys->nconns; j++)
                if (sys->conns[j].plug_snap == s)
                        expect_slot(&e, sys->conns[j].slot, sys->conns[j].slot->perms);

        const struct mqfs_grant_set *set = mqfs_grant_table_set_of(g, s->name);
        FUZZ_CHECK(set != NULL, "snap \"%s\" has no grant set", s->name);
        FUZZ_CHECK(strcmp(mqfs_grant_set_snap(set), s->name) == 0,
                   "grant set of \"%s\" is another's", s->name);
        FUZZ_CHECK(mqfs_grant_set_count(set) == e.n,
                   "snap \"%s\": %zu granted queues, SPEC gives %zu", s->name,
                   mqfs_grant_set_count(set), e.n);
        for (size_t j = 0; j < e.n; j++) {
                unsigned got = mqfs_grant_set_perms(set, e.queue[j]);
                FUZZ_CHECK(got == e.perms[j], "snap \"%s\" queue %zu: perms 0x%x, SPEC gives 0x%x",
                           s->name, j, got, e.perms[j]);
        }
        free(e.queue);
        free(e.perms);
}

struct mqfs_grant_table *fuzz_system_grants(const struct mqfs_system *sys)
{
        struct mqfs_grant_table *g = NULL;
        int rc = mqfs_system_grant_table(sys, &g);
        FUZZ_CHECK(rc == 0 && g != NULL, "mqfs_system_grant_table failed: %d", rc);
        FUZZ_CHECK(mqfs_grant_table_snap_count(g) == sys->nsnaps, "%zu grant sets for %zu snaps",
                   mqfs_grant_table_snap_count(g), sys->nsnaps);
        for (size_t i = 0; i < sys->nsnaps; i++)
                check_view(sys, g, i);
        return g;
}
