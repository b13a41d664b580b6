/* test_hostile.c — hostile callers against mqfsd (issue 7, item 4): path tricks, names at
 * the length limit, other users' queues in every mode, reaching another snap's view,
 * floods of denials and of queues, and a thousand open handles across a policy swap.
 *
 * The real mqfsd, mqfs-mount and snap namespaces made by the test (e2e_harness.h: a
 * private IPC and mount namespace with tmpfs over /run and /dev; nothing survives the
 * test). Each test starts a daemon and three snap namespaces with their views attached
 * (prov, cons, other), and ends by stopping the daemon with SIGTERM, which must give
 * exit status 0 (a crash or a sanitizer finding fails the test; hardening_harness.h).
 *
 * Policy: "prov" (slots-allowed) owns every queue below; "cons" (same publisher) is
 * auto-connected to its slots rw, a, b, c and lim; "other" owns /other-q and is
 * connected to nothing of prov's.
 *
 * What a snap can and cannot reach besides its own view (checked below where a test
 * can; the rest is written down here):
 * - FUSE never sees "..", "." or a "/" in a name: the kernel resolves paths itself, and
 *   ".." at the root of a view bound over /dev/mqueue leads to the snap's /dev, never
 *   to the daemon's mount root. Names that only look like traversal ("%2e%2e", "..\",
 *   overlong UTF-8 for "/") are ordinary, ungranted queue names: ENOENT.
 * - The daemon's mount root /run/mqfs is 0700 root: a non-root process cannot walk
 *   into /run/mqfs/OTHER. Nor can a ROOT process inside a snap (snap namespaces share
 *   the host's /run): mqfsd answers lookups in its mount root only to callers in its
 *   own mount namespace (EACCES otherwise; fs/filesystem.c, check_root_caller).
 * - /proc/PID/root of a process in another snap's namespace leads into that snap's
 *   view when the kernel's ptrace-read check allows it: same uid and the target
 *   dumpable (or root). The prober then acts with the other snap's grants. Stopping
 *   that between snaps is again AppArmor's job (snap profiles deny ptrace read);
 *   different uids, or a non-dumpable target, are refused by the kernel (EACCES).
 * - A descriptor passed by a friendlier process (SCM_RIGHTS) is an open file of the
 *   view it was opened in: the receiver uses it with that view's grants, which are
 *   read afresh on every operation, so a disconnection stops it at once. A passed
 *   directory descriptor of a view reaches that view's queues (openat), and ".." from
 *   it leaves the FUSE mount, as above.
 * - Root with the capabilities snapd's profiles withhold from snaps has more ways in:
 *   setns(2) into the host's mount namespace, or open_by_handle_at(2) with a handle
 *   naming another view's inode number (written down at check_root_caller in
 *   fs/filesystem.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hardening_harness.h"

#define USER_1        47201 /* unusual uids: RLIMIT_MSGQUEUE is charged per uid, host-wide */
#define USER_2        47202
#define USER_3        47203
#define USER_4        47204
#define GROUP         47250
#define HOLDERS       1000 /* processes holding view files across the policy swap */
#define FLOOD         20000
#define FUSE_ROOT_INO 1 /* the daemon's mount root */
#define LIMIT_QS      16

#define LONG255 /* 255 bytes: the longest queue name */                                            \
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"    \
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"    \
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *const MODES_PATHS = "/m0600, /m0640, /m0644, /m0660, /m0666, /m0200, /m0400, "
                                       "/m0000";
static const mode_t MODES[] = {0600, 0640, 0644, 0660, 0666, 0200, 0400, 0000};
#define NMODES (sizeof(MODES) / sizeof(MODES[0]))

/* flags: SWAPPED = after the policy swap (cons:a disconnected, slot b read-only). */
enum { SWAPPED = 1 << 0 };

static void build_system(char *buf, size_t size, unsigned flags)
{
        snprintf(buf, size,
                 "snaps:\n"
                 "  - name: prov\n"
                 "    publisher: acme\n"
                 "    slots-allowed: true\n"
                 "    snap-yaml-inline:\n"
                 "      name: prov\n"
                 "      slots:\n"
                 "        rw: {interface: posix-mq, path: [/shared, /" LONG255 ", %s],\n"
                 "             permissions: [read, write, create, delete]}\n"
                 "        own: {interface: posix-mq, path: /oq}\n"
                 "        a: {interface: posix-mq, path: [/h0, /h1, /h2, /h3],\n"
                 "            permissions: [read, write]}\n"
                 "        b: {interface: posix-mq, path: [/h4, /h5, /h6], permissions: [read%s]}\n"
                 "        c: {interface: posix-mq, path: [/h7, /h8, /h9], permissions: [read, "
                 "write]}\n"
                 "        lim: {interface: posix-mq, path: [/c0, /c1, /c2, /c3, /c4, /c5, /c6,\n"
                 "              /c7, /c8, /c9, /c10, /c11, /c12, /c13, /c14, /c15],\n"
                 "              permissions: [read, write, create, delete]}\n"
                 "  - name: cons\n"
                 "    publisher: acme\n"
                 "    snap-yaml-inline:\n"
                 "      name: cons\n"
                 "      plugs:\n"
                 "        rw: {interface: posix-mq}\n"
                 "        a: {interface: posix-mq}\n"
                 "        b: {interface: posix-mq}\n"
                 "        c: {interface: posix-mq}\n"
                 "        lim: {interface: posix-mq}\n"
                 "  - name: other\n"
                 "    publisher: acme\n"
                 "    slots-allowed: true\n"
                 "    snap-yaml-inline:\n"
                 "      name: other\n"
                 "      slots:\n"
                 "        mine: {interface: posix-mq, path: /other-q}\n"
                 "%s",
                 MODES_PATHS, (flags & SWAPPED) ? "" : ", write",
                 (flags & SWAPPED) ? "disconnected:\n  - {plug: cons:a, slot: prov:a}\n" : "");
}

static struct e2e_snap prov_ns, cons_ns, other_ns;
static char out[8192];

static const char *view(const char *snap, const char *q)
{
        static char bufs[4][512];
        static int next;
        char *b = bufs[next++ % 4];
        snprintf(b, 512, E2E_ROOT "/%s%s%s", snap, q ? "/" : "", q ? q : "");
        return b;
}

static int test_setup(void **state)
{
        (void)state;
        char sys[4096];
        hh_remove_test_queues();
        build_system(sys, sizeof(sys), 0);
        if (e2e_system_write(sys) != 0 || hh_daemon_start() != 0)
                return -1;
        hh_attach(&prov_ns, "prov");
        hh_attach(&cons_ns, "cons");
        hh_attach(&other_ns, "other");
        return 0;
}

static int test_teardown(void **state)
{
        (void)state;
        struct e2e_snap *all[] = {&prov_ns, &cons_ns, &other_ns};
        for (size_t i = 0; i < 3; i++) {
                if (all[i]->pid > 0)
                        e2e_mount_helper(out, sizeof(out), "detach", all[i]->name, NULL);
                e2e_snap_stop(all[i]);
        }
        int rc = hh_daemon_teardown();
        hh_remove_test_queues();
        return rc;
}

static int create_queue_as(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
        int err = e2e_hq_create(name, mode);
        if (!err) {
                char p[512];
                snprintf(p, sizeof(p), "/dev/mqueue/%s", name);
                if (chown(p, uid, gid) < 0)
                        err = -errno;
        }
        return err;
}

/* ---- path traversal ---- */

enum { MAX_PROBES = 48 };

struct probe_result {
        int stat_err, open_err, touch_err, unlink_err;
        dev_t dev;
        ino_t ino;
        dev_t touch_dev;
        ino_t touch_ino;
};

struct probe_run {
        int n;
        dev_t view_dev;
        /* The own queue's number before and after the probes: a refused walk through
         * the mount root (/run/mqfs/cons/...) makes the kernel drop the view's cached
         * entries (the daemon refuses by failing the root's LOOKUP, and the kernel's
         * revalidation then invalidates what lies beneath), so the queue may come back
         * under a new number. Either is the own queue; any other number is not. */
        ino_t view_ino, shared_ino, shared_ino_after;
        struct probe_result r[MAX_PROBES];
};

static bool own_queue(const struct probe_run *run, ino_t ino)
{
        return ino == run->shared_ino || (run->shared_ino_after && ino == run->shared_ino_after);
}

static const char *probes[MAX_PROBES];
static int nprobes;
static char long_inside[3200], too_long[4400], long_component[400];

/* Every probe path, tried with stat, open, touch (O_CREAT) and unlink. */
static int run_probes(void *arg, void *outp)
{
        struct probe_run *run = outp;
        bool do_unlink = arg != NULL;
        struct stat st;
        if (stat("/dev/mqueue", &st) < 0)
                return 1;
        run->view_dev = st.st_dev;
        run->view_ino = st.st_ino;
        if (stat("/dev/mqueue/shared", &st) == 0)
                run->shared_ino = st.st_ino;
        for (int i = 0; i < nprobes; i++) {
                struct probe_result *r = &run->r[i];
                if (stat(probes[i], &st) < 0) {
                        r->stat_err = errno;
                } else {
                        r->dev = st.st_dev;
                        r->ino = st.st_ino;
                }
                int fd = open(probes[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                r->open_err = fd < 0 ? errno : 0;
                if (fd >= 0)
                        close(fd);
                fd = open(probes[i], O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0666);
                r->touch_err = fd < 0 ? errno : 0;
                if (fd >= 0) {
                        if (fstat(fd, &st) == 0) {
                                r->touch_dev = st.st_dev;
                                r->touch_ino = st.st_ino;
                        }
                        close(fd);
                }
                if (do_unlink && unlink(probes[i]) < 0)
                        r->unlink_err = errno;
        }
        if (stat("/dev/mqueue/shared", &st) == 0)
                run->shared_ino_after = st.st_ino;
        run->n = nprobes;
        return 0;
}

static void add_probe(const char *p)
{
        assert_true(nprobes < MAX_PROBES);
        probes[nprobes++] = p;
}

/* Index of probe p (which must be in the list). */
static int probe_index(const char *p)
{
        for (int i = 0; i < nprobes; i++)
                if (strcmp(probes[i], p) == 0)
                        return i;
        fail_msg("no probe %s", p);
        return -1;
}

/* Every path a snap's process can write that leads out of its view: the kernel walks
 * ".." and "/" itself and FUSE sees single names only, so nothing but the snap's own
 * queues is ever reached on the FUSE mount, and nothing is created or removed there
 * but in its own view. */
static void path_traversal_in_any_form_reaches_nothing_outside_the_callers_view(void **state)
{
        (void)state;
        assert_int_equal(create_queue_as("shared", 0666, 0, 0), 0);
        assert_int_equal(create_queue_as("oq", 0666, 0, 0), 0);
        assert_int_equal(create_queue_as("other-q", 0666, 0, 0), 0);
        assert_int_equal(e2e_hq_send("oq", "secret", 6), 0);
        assert_int_equal(e2e_hq_send("other-q", "secret", 6), 0);
        char host_before[8192];
        snprintf(host_before, sizeof(host_before), "%s", hh_list("/dev/mqueue"));

        /* A path that stays inside, however long; one over PATH_MAX; a long name. */
        size_t n = (size_t)snprintf(long_inside, sizeof(long_inside), "/dev/mqueue");
        while (n + 20 < sizeof(long_inside))
                n += (size_t)snprintf(long_inside + n, sizeof(long_inside) - n, "/../mqueue");
        snprintf(long_inside + n, sizeof(long_inside) - n, "/shared");
        n = (size_t)snprintf(too_long, sizeof(too_long), "/dev/mqueue");
        while (n + 10 < sizeof(too_long))
                n += (size_t)snprintf(too_long + n, sizeof(too_long) - n, "/.");
        snprintf(too_long + n, sizeof(too_long) - n, "/shared");
        memset(long_component, 'o', sizeof(long_component));
        memcpy(long_component, "/dev/mqueue/", 12);
        long_component[sizeof(long_component) - 1] = '\0';

        nprobes = 0;
        static const char *const fixed[] = {
            /* resolve to the snap's own queue */
            "/dev/mqueue/shared", "/dev/mqueue/./shared", "/dev/mqueue//shared",
            "/dev/mqueue/../mqueue/shared", "/proc/self/root/dev/mqueue/shared",
            /* leave the view for the snap's own /dev, or further */
            "/dev/mqueue/..", "/dev/mqueue/../prov/oq", "/dev/mqueue/../other/other-q",
            "/dev/mqueue/../../run/mqfs/prov/oq", "/dev/mqueue/../../run/mqfs/other/other-q",
            "/dev/mqueue/../../run/mqfs", "/run/mqfs/cons/shared", "/run/mqfs/prov/oq",
            /* other snaps' names inside the view */
            "/dev/mqueue/oq", "/dev/mqueue/other-q", "/dev/mqueue/prov", "/dev/mqueue/prov/oq",
            "/dev/mqueue/other/other-q",
            /* encodings that are only names to the kernel and to the daemon */
            "/dev/mqueue/%2e%2e", "/dev/mqueue/%2e%2e%2fprov%2foq", "/dev/mqueue/..%2foq",
            "/dev/mqueue/..\\oq", "/dev/mqueue/\xc0\xae\xc0\xae", "/dev/mqueue/\xc0\xafoq",
            "/dev/mqueue/...", "/dev/mqueue/.. ", "/dev/mqueue/ ..", "/dev/mqueue/\n..",
            /* a queue is no directory */
            "/dev/mqueue/shared/", "/dev/mqueue/shared/..", "/dev/mqueue/shared/../oq"};
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
                add_probe(fixed[i]);
        add_probe(long_inside);
        add_probe(too_long);
        add_probe(long_component);

        static struct probe_run run;
        memset(&run, 0, sizeof(run));
        struct hh_caller user = {.snap = &cons_ns, .uid = USER_1, .gid = USER_1};
        /* First without unlink (so the own queue stays for the checks), then with. */
        assert_int_equal(hh_run(&user, run_probes, NULL, &run, sizeof(run)), 0);
        assert_int_equal(run.n, nprobes);
        assert_true(run.shared_ino != 0);
        for (int i = 0; i < nprobes; i++) {
                const struct probe_result *r = &run.r[i];
                /* stat of the mount root itself is allowed (it shows 0700 root); nothing
                 * beneath it is. */
                bool in_fuse = r->stat_err == 0 && r->dev == run.view_dev;
                if (in_fuse && r->ino != run.view_ino && !own_queue(&run, r->ino) &&
                    r->ino != FUSE_ROOT_INO)
                        fail_msg("%.60s reaches inode %lu of the FUSE mount: not the caller's "
                                 "view",
                                 probes[i], (unsigned long)r->ino);
                if (r->touch_err == 0 && r->touch_dev == run.view_dev &&
                    !own_queue(&run, r->touch_ino))
                        fail_msg("%.60s: O_CREAT opened a queue outside the caller's view",
                                 probes[i]);
        }
        /* The ones that must reach the own queue do. */
        for (int i = 0; i < 5; i++) {
                assert_int_equal(run.r[i].stat_err, 0);
                assert_int_equal(run.r[i].ino, run.shared_ino);
        }
        assert_int_equal(run.r[probe_index(long_inside)].stat_err, 0);
        assert_true(own_queue(&run, run.r[probe_index(long_inside)].ino));
        /* ".." of the view is the snap's /dev, not the daemon's mount. */
        const struct probe_result *dotdot = &run.r[probe_index("/dev/mqueue/..")];
        assert_int_equal(dotdot->stat_err, 0);
        assert_true(dotdot->dev != run.view_dev);
        /* Some answers in particular. */
        assert_int_equal(run.r[probe_index("/dev/mqueue/../prov/oq")].stat_err, ENOENT);
        assert_int_equal(run.r[probe_index("/dev/mqueue/../../run/mqfs/prov/oq")].stat_err, EACCES);
        assert_int_equal(run.r[probe_index("/run/mqfs/prov/oq")].stat_err, EACCES);
        assert_int_equal(run.r[probe_index("/dev/mqueue/oq")].stat_err, ENOENT);
        assert_int_equal(run.r[probe_index("/dev/mqueue/oq")].touch_err, EACCES);
        assert_int_equal(run.r[probe_index("/dev/mqueue/prov/oq")].stat_err, ENOENT);
        assert_int_equal(run.r[probe_index("/dev/mqueue/%2e%2e%2fprov%2foq")].stat_err, ENOENT);
        assert_int_equal(run.r[probe_index("/dev/mqueue/shared/")].stat_err, ENOTDIR);
        assert_int_equal(run.r[probe_index("/dev/mqueue/shared/../oq")].stat_err, ENOTDIR);
        assert_int_equal(run.r[probe_index(too_long)].stat_err, ENAMETOOLONG);
        assert_int_equal(run.r[probe_index(long_component)].stat_err, ENAMETOOLONG);

        /* Now with unlink too; then the host holds exactly what it held (the own queue
         * may be gone: that is the snap's right). */
        memset(&run, 0, sizeof(run));
        assert_int_equal(hh_run(&user, run_probes, "unlink", &run, sizeof(run)), 0);
        assert_int_equal(e2e_hq_count("oq"), 1);
        assert_int_equal(e2e_hq_count("other-q"), 1);
        mq_unlink("/shared");
        assert_int_equal(e2e_hq_create("shared", 0666), 0);
        assert_string_equal(hh_list("/dev/mqueue"), host_before);

        /* Root inside a snap is stopped too: /run/mqfs is the host's, and the daemon
         * answers lookups in its root to the host's mount namespace only (see the top). */
        struct e2e_result r = e2e_in_snap(&cons_ns, 0, 0, E2E_STAT, "/run/mqfs/prov/oq", NULL);
        assert_int_equal(r.open_err, EACCES);
}

/* ---- names at the limit ---- */

struct name_ops {
        int touch, stat, open, unlink, stat_after;
};

static struct name_ops name_ops(const char *dir, const char *name)
{
        char p[1200];
        struct name_ops r = {0};
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
        r.touch = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        r.stat = stat(p, &st) < 0 ? errno : 0;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        r.open = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        r.unlink = unlink(p) < 0 ? errno : 0;
        r.stat_after = stat(p, &st) < 0 ? errno : 0;
        return r;
}

static void assert_same_ops(const char *what, struct name_ops v, struct name_ops k)
{
        if (memcmp(&v, &k, sizeof(v)) != 0)
                fail_msg("%s: view touch/stat/open/unlink/stat %d/%d/%d/%d/%d, kernel "
                         "%d/%d/%d/%d/%d",
                         what, v.touch, v.stat, v.open, v.unlink, v.stat_after, k.touch, k.stat,
                         k.open, k.unlink, k.stat_after);
}

/* A 255-byte name works through the view as in the kernel's mqueue file system; 256
 * bytes and more give ENAMETOOLONG in both, whatever the operation. FUSE itself would
 * pass names up to 1024 bytes: the daemon checks them. */
static void names_of_255_and_256_bytes_get_the_kernels_answers(void **state)
{
        (void)state;
        char name[1100];

        struct name_ops v = name_ops(view("prov", NULL), LONG255);
        struct name_ops k = name_ops("/dev/mqueue", LONG255);
        assert_same_ops("255 bytes", v, k);
        assert_int_equal(v.touch, 0);
        assert_int_equal(v.stat_after, ENOENT);

        static const size_t lengths[] = {256, 257, 1024, 1025};
        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                memset(name, 'A', lengths[i]);
                name[lengths[i]] = '\0';
                v = name_ops(view("prov", NULL), name);
                k = name_ops("/dev/mqueue", name);
                char what[32];
                snprintf(what, sizeof(what), "%zu bytes", lengths[i]);
                assert_same_ops(what, v, k);
                assert_int_equal(v.touch, ENAMETOOLONG);
        }

        /* The long queue, created outside, is listed with its whole name. */
        assert_int_equal(e2e_hq_create(LONG255, 0644), 0);
        assert_string_equal(hh_list(view("prov", NULL)), LONG255);
        /* An ungranted 255-byte name: as any ungranted name (SPEC §4). */
        memset(name, 'B', 255);
        name[255] = '\0';
        v = name_ops(view("prov", NULL), name);
        assert_int_equal(v.touch, EACCES);
        assert_int_equal(v.stat, ENOENT);
        assert_int_equal(v.unlink, ENOENT);
}

/* ---- other users' queues in every mode ---- */

struct access_result {
        int stat_err;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        off_t size;
        int rd, wr, rdwr, status, creat, chmod, chgrp, unlink;
};

/* The same sequence on /dev/mqueue/NAME: the view inside prov's namespace, or the
 * kernel's mqueue file system in the test's own. */
static int access_sequence(void *arg, void *outp)
{
        const char *name = arg;
        struct access_result *r = outp;
        char p[256];
        struct stat st;
        snprintf(p, sizeof(p), "/dev/mqueue/%s", name);
        if (stat(p, &st) < 0) {
                r->stat_err = errno;
        } else {
                r->mode = st.st_mode;
                r->uid = st.st_uid;
                r->gid = st.st_gid;
                r->size = st.st_size;
        }
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        r->rd = fd < 0 ? errno : 0;
        if (fd >= 0) {
                char line[128];
                r->status = read(fd, line, sizeof(line)) > 0 ? 0 : errno;
                close(fd);
        }
        fd = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        r->wr = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        r->rdwr = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        fd = open(p, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0666);
        r->creat = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        r->chmod = chmod(p, st.st_mode & 07777) < 0 ? errno : 0;
        r->chgrp = chown(p, (uid_t)-1, getegid()) < 0 ? errno : 0;
        r->unlink = unlink(p) < 0 ? errno : 0;
        return 0;
}

static void fresh_mode_queue(const char *name, mode_t mode)
{
        char q[64];
        snprintf(q, sizeof(q), "/%s", name);
        mq_unlink(q);
        assert_int_equal(create_queue_as(name, mode, USER_1, GROUP), 0);
        assert_int_equal(e2e_hq_send(name, "msg", 3), 0);
}

/* Queues of USER_1 (group GROUP) in eight modes; callers: the owner, a member of the
 * group by primary gid, one by a supplementary group, and a stranger. Each runs the
 * same operations on a fresh queue through prov's view (which holds every permission,
 * so the grant narrows nothing) and on the kernel's own mqueue file system: every
 * answer, and what stat shows, must be the same. */
static void non_root_callers_get_the_kernels_answers_for_every_mode(void **state)
{
        (void)state;
        static const gid_t supplementary[] = {GROUP};
        const struct hh_caller callers[] = {
            {.uid = USER_1, .gid = USER_1},
            {.uid = USER_2, .gid = GROUP},
            {.uid = USER_3, .gid = USER_3, .ngroups = 1, .groups = supplementary},
            {.uid = USER_4, .gid = USER_4},
        };
        static const char *const who[] = {"owner", "group (primary)", "group (supplementary)",
                                          "other"};
        for (size_t m = 0; m < NMODES; m++) {
                char name[16];
                snprintf(name, sizeof(name), "m%04o", (unsigned)MODES[m]);
                for (size_t c = 0; c < sizeof(callers) / sizeof(callers[0]); c++) {
                        struct hh_caller in_view = callers[c], on_host = callers[c];
                        struct access_result v, k;
                        in_view.snap = &prov_ns;
                        fresh_mode_queue(name, MODES[m]);
                        assert_int_equal(hh_run(&in_view, access_sequence, name, &v, sizeof(v)), 0);
                        fresh_mode_queue(name, MODES[m]);
                        assert_int_equal(hh_run(&on_host, access_sequence, name, &k, sizeof(k)), 0);
                        /* st_size is QSIZE in the view (SPEC §5), not the kernel's. */
                        if (v.stat_err == 0)
                                assert_int_equal(v.size, 3);
                        v.size = k.size = 0;
                        if (memcmp(&v, &k, sizeof(v)) != 0)
                                fail_msg("mode %04o, %s: view stat %d mode %o uid %u gid %u "
                                         "size %ld | rd %d wr %d rdwr %d status %d creat %d "
                                         "chmod %d chgrp %d unlink %d; kernel stat %d mode %o "
                                         "uid %u gid %u size %ld | rd %d wr %d rdwr %d status "
                                         "%d creat %d chmod %d chgrp %d unlink %d",
                                         (unsigned)MODES[m], who[c], v.stat_err, v.mode, v.uid,
                                         v.gid, (long)v.size, v.rd, v.wr, v.rdwr, v.status, v.creat,
                                         v.chmod, v.chgrp, v.unlink, k.stat_err, k.mode, k.uid,
                                         k.gid, (long)k.size, k.rd, k.wr, k.rdwr, k.status, k.creat,
                                         k.chmod, k.chgrp, k.unlink);
                }
        }
}

/* ---- another snap's view: /proc/PID/root, passed descriptors ---- */

/* A pipe a child waits on: it closes its copy of the write end, then reads until the
 * test closes the last one. */
struct release_pipe {
        int rd, wr;
};

static void wait_released(const struct release_pipe *p)
{
        char c;
        close(p->wr);
        while (read(p->rd, &c, 1) != 0)
                ;
}

struct holder_arg {
        struct release_pipe pipe;
        bool undumpable;
};

/* A process of cons that waits in cons's namespace until released. */
static int wait_for_release(void *arg, void *outp)
{
        const struct holder_arg *a = arg;
        int *ready = outp;
        /* Changing uid made it non-dumpable (as a setuid program): a snap's process that
         * was exec()ed as its user is dumpable. */
        prctl(PR_SET_DUMPABLE, a->undumpable ? 0 : 1);
        *ready = 1;
        wait_released(&a->pipe);
        return 0;
}

static int stat_path(void *arg, void *outp)
{
        struct stat st;
        *(int *)outp = stat(arg, &st) < 0 ? errno : 0;
        return 0;
}

struct holder {
        pid_t pid;
        struct holder_arg arg;
        int *ready;
};

static void start_holder(struct holder *h, uid_t uid, bool undumpable)
{
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        h->arg = (struct holder_arg){.pipe = {p[0], p[1]}, .undumpable = undumpable};
        h->ready = hh_shared_alloc(sizeof(int));
        assert_non_null(h->ready);
        struct hh_caller c = {.snap = &cons_ns, .uid = uid, .gid = uid};
        h->pid = hh_spawn(&c, wait_for_release, &h->arg, h->ready);
        close(p[0]);
        assert_true(h->pid > 0);
        for (int i = 0; i < 3000 && !*h->ready; i++)
                hh_sleep_ms(10);
        assert_true(*h->ready);
}

static void stop_holder(struct holder *h)
{
        close(h->arg.pipe.wr);
        assert_int_equal(hh_wait(h->pid), 0);
        hh_shared_free(h->ready, sizeof(int));
}

static int stat_from_other(uid_t uid, const char *path)
{
        struct hh_caller c = {.snap = &other_ns, .uid = uid, .gid = uid};
        int err = -1;
        assert_int_equal(hh_run(&c, stat_path, (void *)path, &err, sizeof(err)), 0);
        return err;
}

/* What a process in snap "other" reaches of snap "cons"'s view through /proc/PID/root
 * of a cons process: see the comment at the top. */
static void another_snaps_view_through_proc_pid_root_needs_ptrace_read_access(void **state)
{
        (void)state;
        char p[128];
        assert_int_equal(create_queue_as("shared", 0666, 0, 0), 0);

        /* The daemon's mount root: closed to non-root by its mode, to root in a snap by
         * the daemon (another mount namespace). */
        assert_int_equal(stat_from_other(USER_2, "/run/mqfs/cons/shared"), EACCES);
        assert_int_equal(stat_from_other(0, "/run/mqfs/cons/shared"), EACCES);

        struct holder h;
        start_holder(&h, USER_1, false);
        snprintf(p, sizeof(p), "/proc/%d/root/dev/mqueue/shared", (int)h.pid);
        /* Another uid: refused by the kernel. */
        assert_int_equal(stat_from_other(USER_2, p), EACCES);
        /* The same uid, target dumpable: the kernel lets it through, into cons's view
         * (documented limit; AppArmor's ptrace rules close it between snaps). */
        assert_int_equal(stat_from_other(USER_1, p), 0);
        stop_holder(&h);

        start_holder(&h, USER_1, true);
        snprintf(p, sizeof(p), "/proc/%d/root/dev/mqueue/shared", (int)h.pid);
        /* The same uid, target not dumpable: refused. */
        assert_int_equal(stat_from_other(USER_1, p), EACCES);
        stop_holder(&h);
}

struct passed_result {
        int phase; /* 1 when the first round is done, 2 after the second */
        ssize_t wrote, status;
        int write_err, status_err, openat_err, dotdot_err, dotdot_in_fuse, openat_other_err;
        ssize_t wrote_after;
        int write_after_err;
};

static int send_fds(int sock, const int *fds, int n)
{
        char data = 'F';
        struct iovec iov = {.iov_base = &data, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
        return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fds(int sock, int *fds, int n)
{
        char data;
        struct iovec iov = {.iov_base = &data, .iov_len = 1};
        union {
                char buf[CMSG_SPACE(4 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
                return -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN((size_t)n * sizeof(int)))
                return -1;
        memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
        return 0;
}

static int passed_sock[2] = {-1, -1};

/* cons's friendly process: opens its queue and its view, passes both, exits. */
static int friendly_sender(void *arg, void *outp)
{
        (void)arg, (void)outp;
        int fds[2];
        fds[0] = open("/dev/mqueue/shared", O_RDWR | O_CLOEXEC);
        fds[1] = open("/dev/mqueue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fds[0] < 0 || fds[1] < 0)
                return 1;
        return send_fds(passed_sock[0], fds, 2) == 0 ? 0 : 2;
}

/* other's process: uses what it was given; waits to be released between two rounds. */
static int receiver(void *arg, void *outp)
{
        struct passed_result *r = outp;
        int fds[2];
        struct stat st, view_st;
        if (recv_fds(passed_sock[1], fds, 2) < 0)
                return 1;
        r->wrote = write(fds[0], "via-fd", 6);
        r->write_err = r->wrote < 0 ? errno : 0;
        char line[128];
        r->status = pread(fds[0], line, sizeof(line), 0);
        r->status_err = r->status < 0 ? errno : 0;
        int q = openat(fds[1], "shared", O_RDONLY | O_CLOEXEC);
        r->openat_err = q < 0 ? errno : 0;
        if (q >= 0)
                close(q);
        q = openat(fds[1], "other-q", O_RDONLY | O_CLOEXEC);
        r->openat_other_err = q < 0 ? errno : 0;
        if (q >= 0)
                close(q);
        if (fstat(fds[1], &view_st) < 0 || fstatat(fds[1], "..", &st, 0) < 0)
                r->dotdot_err = errno;
        else
                r->dotdot_in_fuse = st.st_dev == view_st.st_dev;
        r->phase = 1;
        wait_released(arg);
        r->wrote_after = write(fds[0], "after", 5);
        r->write_after_err = r->wrote_after < 0 ? errno : 0;
        r->phase = 2;
        return 0;
}

/* A descriptor of cons's view, passed to a process in snap "other": see the top. */
static void
descriptor_passed_from_another_snap_works_with_that_snaps_grants_until_disconnected(void **state)
{
        (void)state;
        char msg[E2E_MSGSIZE + 1];
        assert_int_equal(create_queue_as("shared", 0666, 0, 0), 0);
        assert_int_equal(create_queue_as("other-q", 0666, 0, 0), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, passed_sock), 0);

        struct hh_caller sender = {.snap = &cons_ns, .uid = USER_1, .gid = USER_1};
        assert_int_equal(hh_run(&sender, friendly_sender, NULL, NULL, 0), 0);

        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        struct passed_result *r = hh_shared_alloc(sizeof(*r));
        assert_non_null(r);
        struct hh_caller recv = {.snap = &other_ns, .uid = USER_2, .gid = USER_2};
        struct release_pipe rp = {p[0], p[1]};
        pid_t pid = hh_spawn(&recv, receiver, &rp, r);
        close(p[0]);
        assert_true(pid > 0);
        for (int i = 0; i < 3000 && r->phase < 1; i++)
                hh_sleep_ms(10);
        assert_int_equal(r->phase, 1);
        assert_int_equal(r->write_err, 0);
        assert_int_equal(r->wrote, 6);
        assert_int_equal(e2e_hq_receive("shared", msg), 6);
        assert_string_equal(msg, "via-fd");
        assert_int_equal(r->status_err, 0);
        assert_int_equal(r->openat_err, 0);
        assert_int_equal(r->openat_other_err, ENOENT); /* cons's grants, not other's */
        assert_int_equal(r->dotdot_err, 0);
        assert_false(r->dotdot_in_fuse);

        /* cons disconnected from prov's rw slot: the passed file stops working at once. */
        char sys[4096];
        build_system(sys, sizeof(sys), 0);
        strcat(sys, "disconnected:\n  - {plug: cons:rw, slot: prov:rw}\n");
        assert_int_equal(e2e_system_apply(sys), 0);
        close(p[1]);
        assert_int_equal(hh_wait(pid), 0);
        assert_int_equal(r->phase, 2);
        assert_int_equal(r->wrote_after, -1);
        assert_int_equal(r->write_after_err, ENOENT);
        assert_int_equal(e2e_hq_count("shared"), 0);
        hh_shared_free(r, sizeof(*r));
        close(passed_sock[0]);
        close(passed_sock[1]);
        passed_sock[0] = passed_sock[1] = -1;
}

/* ---- a flood of denials ---- */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sums N over the log's "(N more denials not logged" notes after from. */
static long dropped_since(long from, int *notes)
{
        const char *needle = " more denials not logged";
        int fd = open(E2E_LOG, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        size_t len = (size_t)(st.st_size - from);
        char *buf = malloc(len + 1);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, len, from), (ssize_t)len);
        close(fd);
        buf[len] = '\0';
        long sum = 0;
        *notes = 0;
        for (char *p = buf; (p = strstr(p, needle)); p += strlen(needle)) {
                char *q = p;
                while (q > buf && q[-1] >= '0' && q[-1] <= '9')
                        q--;
                sum += strtol(q, NULL, 10);
                (*notes)++;
        }
        free(buf);
        return sum;
}

/* 20,000 denied lookups (stat of ungranted names, each a new name so that each is
 * exactly one request): the log gets at most the token bucket's burst plus its rate
 * times the time taken, and the next line that gets through counts what was left out,
 * so that logged + counted = every denial. */
static void flood_of_denials_keeps_the_log_bounded_and_counts_what_it_drops(void **state)
{
        (void)state;
        char p[128];
        struct stat st;
        long from = hh_log_size();
        double t0 = now_s();
        long denials = 0;
        for (int i = 0; i < FLOOD; i++) {
                snprintf(p, sizeof(p), "%s/denied-%d", view("cons", NULL), i);
                assert_int_equal(stat(p, &st), -1);
                denials++;
        }
        /* Then one more after a pause (the bucket refills at 20 a second), until one is
         * logged: it carries the count of everything dropped since the last line, so no
         * denial is left unaccounted. */
        bool late_logged = false;
        for (int i = 0; i < 300 && !late_logged; i++) {
                char needle[64];
                hh_sleep_ms(150);
                snprintf(p, sizeof(p), "%s/late-%d", view("cons", NULL), i);
                assert_int_equal(stat(p, &st), -1);
                denials++;
                snprintf(needle, sizeof(needle), "queue /late-%d,", i);
                late_logged = hh_log_count_from(from, needle) == 1;
        }
        assert_true(late_logged);
        int notes = 0;
        double elapsed = now_s() - t0;
        int logged = hh_log_count_from(from, "denied: snap cons");
        long dropped = dropped_since(from, &notes);
        fprintf(stderr, "flood: %ld denials in %.2f s: %d logged, %ld counted in %d notes\n",
                denials, elapsed, logged, dropped, notes);
        assert_true(notes >= 1);
        /* MQFS_LOG_DENIAL_BURST = 100, MQFS_LOG_DENIAL_RATE = 20 a second (fs/log.h). */
        double allowed = 100 + 20 * elapsed + 1;
        if ((double)logged > allowed)
                fail_msg("%d denial lines in %.1f s: more than the token bucket allows", logged,
                         elapsed);
        assert_int_equal(logged + dropped, denials);
        /* And so the bytes: a denial line is about 150 bytes (the names here are short). */
        assert_true((double)(hh_log_size() - from) < allowed * 256);
        /* The daemon still answers. */
        assert_string_equal(hh_list(E2E_ROOT), "cons,other,prov");
}

/* ---- a flood of queues ---- */

struct flood_result {
        int created;
        int err;        /* the first refusal through the view */
        int kernel_err; /* the kernel, asked directly by the same caller */
};

static int create_until_refused(void *arg, void *outp)
{
        struct flood_result *r = outp;
        const char *first = arg;
        char p[64];
        for (int i = first ? atoi(first) : 0; i < LIMIT_QS; i++) {
                snprintf(p, sizeof(p), "/dev/mqueue/c%d", i);
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600);
                if (fd < 0) {
                        r->err = errno;
                        break;
                }
                close(fd);
                r->created++;
                if (first)
                        break; /* just one */
        }
        mqd_t m = mq_open("/probe", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
        if (m == (mqd_t)-1) {
                r->kernel_err = errno;
        } else {
                mq_close(m);
                mq_unlink("/probe");
        }
        return 0;
}

/* Queues are created with the caller's credentials, so RLIMIT_MSGQUEUE is charged to
 * the caller's uid: a snap's user who creates queues through the view until the kernel
 * refuses (EMFILE) has used up only its own quota; root and another user can still
 * create queues of the same size through the same view. */
static void queue_flood_exhausts_only_the_callers_own_quota(void **state)
{
        (void)state;
        long msg = hh_mq_sysctl_get("msg_default"), size = hh_mq_sysctl_get("msgsize_default");
        /* Big default queues (about 80 KiB each) make the 800 KiB limit near. */
        assert_int_equal(hh_mq_sysctl_set("msg_default", 10), 0);
        assert_int_equal(hh_mq_sysctl_set("msgsize_default", 8192), 0);

        struct flood_result a = {0}, b = {0}, root = {0};
        struct hh_caller user_a = {.snap = &cons_ns, .uid = USER_3, .gid = USER_3};
        struct hh_caller user_b = {.snap = &cons_ns, .uid = USER_4, .gid = USER_4};
        struct hh_caller as_root = {.snap = &cons_ns};
        int rc_a = hh_run(&user_a, create_until_refused, NULL, &a, sizeof(a));
        char next[16];
        snprintf(next, sizeof(next), "%d", a.created);
        int rc_b = hh_run(&user_b, create_until_refused, next, &b, sizeof(b));
        snprintf(next, sizeof(next), "%d", a.created + 1);
        int rc_root = hh_run(&as_root, create_until_refused, next, &root, sizeof(root));
        hh_mq_sysctl_set("msg_default", msg);
        hh_mq_sysctl_set("msgsize_default", size);
        assert_int_equal(rc_a, 0);
        assert_int_equal(rc_b, 0);
        assert_int_equal(rc_root, 0);

        assert_true(a.created > 0 && a.created + 2 < LIMIT_QS);
        assert_int_equal(a.err, EMFILE);
        assert_int_equal(a.kernel_err, EMFILE); /* the charge is on the caller's uid */
        assert_int_equal(b.created, 1);
        assert_int_equal(b.kernel_err, 0);
        assert_int_equal(root.created, 1);
        assert_int_equal(root.kernel_err, 0);
        struct stat st;
        char p[64];
        snprintf(p, sizeof(p), "/dev/mqueue/c%d", a.created);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_uid, USER_4);
        assert_int_equal(stat("/dev/mqueue/c0", &st), 0);
        assert_int_equal(st.st_uid, USER_3);
}

/* ---- a thousand open handles across a policy swap ---- */

struct holder_slot {
        int opened; /* 0, then 1 (or -errno) */
        int status_err, write_err;
        ssize_t wrote;
};

static struct release_pipe go;
static char holder_paths[10][128];

static int hold_and_act(void *arg, void *outp)
{
        struct holder_slot *s = outp;
        int fd = open(holder_paths[(intptr_t)arg], O_RDWR | O_NONBLOCK | O_CLOEXEC);
        s->opened = fd < 0 ? -errno : 1;
        if (fd < 0)
                return 1;
        wait_released(&go);
        char line[128];
        s->status_err = pread(fd, line, sizeof(line), 0) > 0 ? 0 : errno;
        s->wrote = write(fd, "x", 1);
        s->write_err = s->wrote < 0 ? errno : 0;
        close(fd);
        return 0;
}

/* 1,000 processes each hold a file of one of cons's queues h0..h9 open while the policy
 * changes under them (cons:a, holding h0..h3, disconnected; slot b, holding h4..h6,
 * made read-only; slot c, h7..h9, unchanged), then read and write through it: each
 * answer follows the NEW policy, and when they have closed, the daemon holds no more
 * descriptors than before. */
static void thousand_open_handles_follow_a_policy_swap_and_leave_no_descriptor_behind(void **state)
{
        (void)state;
        long saved_msg_max = hh_mq_sysctl_get("msg_max");
        /* Room for every writer's message: 100 per queue (owned by a uid of their own,
         * so that root's host-wide RLIMIT_MSGQUEUE is not touched). */
        assert_int_equal(hh_mq_sysctl_set("msg_max", 128), 0);
        for (int q = 0; q < 10; q++) {
                char name[8];
                snprintf(name, sizeof(name), "/h%d", q);
                struct mq_attr attr = {.mq_maxmsg = 128, .mq_msgsize = 8};
                pid_t pid = fork();
                if (pid == 0) {
                        if (setresgid(USER_1, USER_1, USER_1) || setresuid(USER_1, USER_1, USER_1))
                                _exit(1);
                        mqd_t m = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0666, &attr);
                        _exit(m == (mqd_t)-1 ? 2 : 0);
                }
                assert_int_equal(hh_wait(pid), 0);
        }
        hh_mq_sysctl_set("msg_max", saved_msg_max);

        /* The daemon raises its soft descriptor limit to the hard one it inherits from us:
         * that must leave room for a descriptor per holder. */
        struct rlimit rl;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < HOLDERS + 256)
                fail_msg("RLIMIT_NOFILE's hard limit is %lu: the daemon cannot hold %d open "
                         "queue files; raise it (ulimit -Hn %d) before running this test",
                         (unsigned long)rl.rlim_max, HOLDERS, HOLDERS + 256);
        pid_t daemon = e2e_daemon_pid();
        long fds_before = hh_fd_count(daemon);
        assert_true(fds_before > 0);

        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        go = (struct release_pipe){p[0], p[1]};
        struct holder_slot *slots = hh_shared_alloc(HOLDERS * sizeof(*slots));
        assert_non_null(slots);
        for (int q = 0; q < 10; q++)
                snprintf(holder_paths[q], sizeof(holder_paths[q]), "%s/h%d", view("cons", NULL), q);
        static pid_t pids[HOLDERS];
        struct hh_caller root = {0};
        for (int i = 0; i < HOLDERS; i++) {
                pids[i] = hh_spawn(&root, hold_and_act, (void *)(intptr_t)(i % 10), &slots[i]);
                assert_true(pids[i] > 0);
        }
        close(go.rd);
        bool all = false;
        for (int t = 0; t < 3000 && !all; t++) {
                all = true;
                for (int i = 0; i < HOLDERS && all; i++)
                        all = slots[i].opened != 0;
                if (!all)
                        hh_sleep_ms(10);
        }
        assert_true(all);
        for (int i = 0; i < HOLDERS; i++)
                assert_int_equal(slots[i].opened, 1);
        assert_true(hh_fd_count(daemon) >= fds_before + HOLDERS);

        char sys[4096];
        build_system(sys, sizeof(sys), SWAPPED);
        assert_int_equal(e2e_system_apply(sys), 0);
        close(go.wr); /* go */
        for (int i = 0; i < HOLDERS; i++)
                assert_int_equal(hh_wait(pids[i]), 0);

        int sent[10] = {0};
        for (int i = 0; i < HOLDERS; i++) {
                int q = i % 10;
                const struct holder_slot *s = &slots[i];
                /* h0..h3: disconnected, the queue no longer exists for cons; h4..h6: read
                 * only now; h7..h9: unchanged. */
                int want_status = q < 4 ? ENOENT : 0;
                int want_write = q < 4 ? ENOENT : q < 7 ? EACCES : 0;
                if (s->status_err != want_status || s->write_err != want_write)
                        fail_msg("holder %d of h%d: status %d write %d, expected %d and %d", i, q,
                                 s->status_err, s->write_err, want_status, want_write);
                sent[q] += s->wrote == 1;
        }
        for (int q = 0; q < 10; q++) {
                char name[8];
                snprintf(name, sizeof(name), "h%d", q);
                assert_int_equal(sent[q], q < 7 ? 0 : HOLDERS / 10);
                assert_int_equal(e2e_hq_count(name), sent[q]);
        }
        hh_shared_free(slots, HOLDERS * sizeof(*slots));

        /* Every descriptor the holders made the daemon open is closed again. */
        long now = -1;
        for (int t = 0; t < 3000 && (now = hh_fd_count(daemon)) != fds_before; t++)
                hh_sleep_ms(10);
        assert_int_equal(now, fds_before);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
        const struct CMUnitTest tests[] = {
            T(path_traversal_in_any_form_reaches_nothing_outside_the_callers_view),
            T(names_of_255_and_256_bytes_get_the_kernels_answers),
            T(non_root_callers_get_the_kernels_answers_for_every_mode),
            T(another_snaps_view_through_proc_pid_root_needs_ptrace_read_access),
            T(descriptor_passed_from_another_snap_works_with_that_snaps_grants_until_disconnected),
            T(flood_of_denials_keeps_the_log_bounded_and_counts_what_it_drops),
            T(queue_flood_exhausts_only_the_callers_own_quota),
            T(thousand_open_handles_follow_a_policy_swap_and_leave_no_descriptor_behind),
        };
#undef T
        return hh_main("test_hostile", tests, sizeof(tests) / sizeof(tests[0]));
}
