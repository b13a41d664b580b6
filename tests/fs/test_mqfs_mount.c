/* test_mqfs_mount.c — mqfs-mount against real mount namespaces and a real FUSE mount.
 *
 * The test runs as root in the end-to-end tests' private world (e2e_harness.h: private
 * mount and IPC namespaces, a tmpfs over /run and a tmpfs /dev with /dev/mqueue of the
 * private IPC namespace): that is "the host" here, and nothing reaches the real one. A
 * tiny FUSE file system (fsname and subtype "mqfs", so the helper's checks see a real
 * "fuse.mqfs" mount) stands in for mqfsd on /run/mqfs, with one view directory per known
 * snap. Snap namespaces are the harness's (e2e_snap_start_dev), their /proc/PID/ns/mnt
 * bound to /run/snapd/ns/SNAP.mnt as snapd does. Every child dies with the test
 * (PDEATHSIG) and is stopped by pid in teardown; every mount lives in the test's private
 * namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json.h>

#include "mountinfo.h"
#include "record.h"
#include "snapname.h"
#include "e2e_harness.h"

#define ROOT      "/run/mqfs"
#define NS_DIR    "/run/snapd/ns"
#define HOST_Q    "/hostq"
#define SKIP_CODE 77

/* ipc/mqueue.c keeps its magic to itself. */
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* ---- the stand-in daemon: a FUSE root with one view directory per known snap ---- */

static const char *const known_snaps[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
enum { NKNOWN = sizeof(known_snaps) / sizeof(known_snaps[0]) };

static void fake_attr(fuse_ino_t ino, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = ino;
        st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0700 : S_IFDIR | 01777;
        st->st_nlink = 2;
}

static void fake_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        for (size_t i = 0; parent == FUSE_ROOT_ID && i < NKNOWN; i++) {
                if (strcmp(name, known_snaps[i]) == 0) {
                        struct fuse_entry_param e = {.ino = FUSE_ROOT_ID + 1 + i};
                        fake_attr(e.ino, &e.attr);
                        fuse_reply_entry(req, &e);
                        return;
                }
        }
        fuse_reply_err(req, ENOENT);
}

static void fake_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)fi;
        struct stat st;
        if (ino > FUSE_ROOT_ID + NKNOWN) {
                fuse_reply_err(req, ENOENT);
                return;
        }
        fake_attr(ino, &st);
        fuse_reply_attr(req, &st, 0);
}

static const struct fuse_lowlevel_ops fake_ops = {
    .lookup = fake_lookup,
    .getattr = fake_getattr,
};

static pid_t daemon_pid = -1;

/* Starts the stand-in on ROOT and returns once it is mounted. */
static pid_t start_fake_daemon(void)
{
        int ready[2];
        char byte = 0;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                char *argv[] = {"fake-mqfsd", "-o", "fsname=mqfs,subtype=mqfs", NULL};
                struct fuse_args args = FUSE_ARGS_INIT(3, argv);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(ready[0]);
                struct fuse_session *se =
                    fuse_session_new(&args, &fake_ops, sizeof(fake_ops), NULL);
                if (se == NULL || fuse_session_mount(se, ROOT) != 0)
                        _exit(1);
                if (write(ready[1], "R", 1) != 1)
                        _exit(1);
                fuse_session_loop(se);
                fuse_session_unmount(se);
                _exit(0);
        }
        close(ready[1]);
        if (pid > 0 && (read(ready[0], &byte, 1) != 1 || byte != 'R')) {
                waitpid(pid, NULL, 0);
                pid = -1;
        }
        close(ready[0]);
        return pid;
}

/* SIGKILL, as a crash: the mount stays and answers ENOTCONN. */
static void kill_fake_daemon(void)
{
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGKILL);
                waitpid(daemon_pid, NULL, 0);
        }
        daemon_pid = -1;
}

/* What a restarted daemon does first: take the dead mount off lazily, then mount. */
static void restart_fake_daemon(void)
{
        kill_fake_daemon();
        umount2(ROOT, MNT_DETACH);
        daemon_pid = start_fake_daemon();
        assert_true(daemon_pid > 0);
}

/* ---- snap namespaces ---- */

enum { MAX_SNAPS = 8 };
static struct e2e_snap snaps[MAX_SNAPS];
static size_t nsnaps;

/* A new snap namespace (the harness's); its file goes to NS_DIR/NAME.mnt when name is not
 * NULL. */
static struct e2e_snap *snap_start(const char *name, enum e2e_snap_dev dev)
{
        assert_true(nsnaps < MAX_SNAPS);
        struct e2e_snap *s = &snaps[nsnaps++];
        if (e2e_snap_start_dev(s, name, dev) != 0)
                fail_msg("cannot start a snap namespace for %s", name ? name : "(no name)");
        return s;
}

/* Per-test teardown, also after a failed assertion: the snaps, the helper's records and
 * whatever a test left in /run or on /dev/mqueue's propagation. */
static int stop_snaps(void **state)
{
        (void)state;
        char **names = NULL;
        size_t n = 0;
        int dir;
        for (size_t i = 0; i < nsnaps; i++)
                e2e_snap_stop(&snaps[i]);
        nsnaps = 0;
        if (mqfs_records_open(MQFS_RECORD_DIR, 0, &dir) == 0) {
                if (mqfs_record_snaps(dir, &names, &n) == 0) {
                        for (size_t i = 0; i < n; i++)
                                mqfs_record_drop(dir, names[i]);
                        mqfs_names_free(names, n);
                }
                close(dir);
        }
        rmdir("/run/evil");
        rmdir("/run/nodaemon");
        mount(NULL, "/dev/mqueue", NULL, MS_PRIVATE, NULL);
        return 0;
}

/* ---- looking at a path from inside a snap namespace ---- */

struct look {
        int lstat_errno;
        mode_t mode;
        int stat_errno; /* of a stat that follows nothing and asks the FS afresh */
        dev_t dev;
        ino_t ino;
        int statfs_errno;
        long f_type;
        int queue_errno; /* of stat(/dev/mqueue/hostq) */
};

static struct look look_inside(const struct e2e_snap *s, const char *path)
{
        struct look l = {0};
        int res[2];
        char ns[64];
        assert_int_equal(pipe2(res, O_CLOEXEC), 0);
        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)s->pid);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct stat st;
                struct statx stx;
                struct statfs sfs;
                int fd = open(ns, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNS) < 0)
                        _exit(1);
                if (lstat(path, &st) < 0)
                        l.lstat_errno = errno;
                l.mode = st.st_mode;
                if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_STATX_FORCE_SYNC,
                          STATX_BASIC_STATS, &stx) < 0) {
                        l.stat_errno = errno;
                } else {
                        l.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
                        l.ino = stx.stx_ino;
                }
                if (statfs(path, &sfs) < 0)
                        l.statfs_errno = errno;
                else
                        l.f_type = (long)sfs.f_type;
                if (stat("/dev/mqueue" HOST_Q, &st) < 0)
                        l.queue_errno = errno;
                _exit(write(res[1], &l, sizeof(l)) == sizeof(l) ? 0 : 1);
        }
        close(res[1]);
        assert_int_equal(read(res[0], &l, sizeof(l)), sizeof(l));
        close(res[0]);
        waitpid(pid, NULL, 0);
        return l;
}

/* The view the daemon serves for snap, as the host sees it. */
static void view_identity(const char *snap, dev_t *dev, ino_t *ino)
{
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), ROOT "/%s", snap);
        assert_int_equal(stat(path, &st), 0);
        *dev = st.st_dev;
        *ino = st.st_ino;
}

static void assert_shows_view(const struct e2e_snap *s, const char *snap)
{
        dev_t dev;
        ino_t ino;
        view_identity(snap, &dev, &ino);
        struct look l = look_inside(s, "/dev/mqueue");
        assert_int_equal(l.stat_errno, 0);
        assert_int_equal(l.statfs_errno, 0);
        assert_int_equal(l.f_type, FUSE_SUPER_MAGIC);
        assert_true(l.dev == dev);
        assert_true(l.ino == ino);
}

/* How many mounts sit at mount_point in the snap's namespace, and of which type. */
static int count_mounts(const struct e2e_snap *s, const char *mount_point, const char *fstype)
{
        char path[64], *line = NULL;
        size_t cap = 0;
        int n = 0;
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)s->pid);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        while (getline(&line, &cap, f) >= 0) {
                struct mqfs_mount m;
                char *copy = strdup(line);
                assert_non_null(copy);
                assert_int_equal(mqfs_mount_parse(copy, &m), 0);
                if (strcmp(m.mount_point, mount_point) == 0 && strcmp(m.fstype, fstype) == 0)
                        n++;
                mqfs_mount_clear(&m);
        }
        free(line);
        fclose(f);
        return n;
}

/* The test's own /dev/mqueue (the "host's") is still its mqueue mount with its queue. */
static void assert_host_untouched(void)
{
        struct statfs sfs;
        struct stat st;
        assert_int_equal(statfs("/dev/mqueue", &sfs), 0);
        assert_int_equal(sfs.f_type, MQUEUE_MAGIC);
        assert_int_equal(stat("/dev/mqueue" HOST_Q, &st), 0);
}

/* ---- running the helper ---- */

static char out[16384];

/* Runs mqfs-mount with the NULL-terminated arguments (the harness's runner, which
 * MQFS_TEST_HELPER_WRAPPER may put under another program); stdout and stderr land in
 * out. Returns the exit status, -1 when it did not exit. */
#define helper(...) e2e_mount_helper(out, sizeof(out), __VA_ARGS__)

#define assert_output_has(text)                                                                    \
        do {                                                                                       \
                if (strstr(out, (text)) == NULL)                                                   \
                        fail_msg("helper output lacks \"%s\":\n%s", (text), out);                  \
        } while (0)

#define assert_helper(expected_status, ...)                                                        \
        do {                                                                                       \
                int st_ = helper(__VA_ARGS__, NULL);                                               \
                if (st_ != (expected_status))                                                      \
                        fail_msg("exit %d, expected %d; output:\n%s", st_, (expected_status),      \
                                 out);                                                             \
        } while (0)

/* ---- units: snap names, mountinfo lines, records ---- */

static void snap_names_follow_snapd(void **state)
{
        (void)state;
        const char *good[] = {"ab",  "a1",   "1a",
                              "a-b", "0-9a", "abcdefghijklmnopqrstuvwxyz0123456789abcd"};
        const char *bad[] = {
            "",    "a",   "-ab", "ab-", "a--b", "Ab",  "a_b",
            "a.b", "a/b", "..",  "123", "1-2",  "a b", "abcdefghijklmnopqrstuvwxyz0123456789abcde"};
        for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
                assert_null(mqfs_snap_name_problem(good[i]));
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                if (mqfs_snap_name_valid(bad[i]))
                        fail_msg("\"%s\" accepted", bad[i]);
        }
        assert_string_equal(mqfs_snap_name_problem("a--b"),
                            "snap name cannot contain two consecutive dashes");
        assert_string_equal(mqfs_snap_name_problem("123"),
                            "snap name must contain at least one letter");
        assert_string_equal(mqfs_snap_name_problem("../etc"),
                            "snap name must use lower case letters, digits or dashes");
        assert_null(mqfs_snap_name_problem("abcdefghijklmnopqrstuvwxyz0123456789abcd"));
        /* Parallel instances (NAME_KEY), as snapd names them. */
        const char *instances[] = {"ab_1", "foo_bar", "foo_0123456789"};
        const char *bad_instances[] = {"ab_", "ab_B", "ab_01234567890", "ab_c_d", "ab_c-d",
                                       "a_b", "_ab",  "a--b_c"};
        for (size_t i = 0; i < sizeof(instances) / sizeof(*instances); i++)
                assert_null(mqfs_snap_name_problem(instances[i]));
        for (size_t i = 0; i < sizeof(bad_instances) / sizeof(*bad_instances); i++)
                if (mqfs_snap_name_valid(bad_instances[i]))
                        fail_msg("\"%s\" accepted", bad_instances[i]);
}

static void mountinfo_lines_parse(void **state)
{
        (void)state;
        struct mqfs_mount m;
        char *line = strdup("812 640 0:77 /alpha /dev/mq\\040ueue rw,nosuid shared:42 master:3 - "
                            "fuse.mqfs mqfs rw,user_id=0\n");
        assert_non_null(line);
        assert_int_equal(mqfs_mount_parse(line, &m), 0);
        assert_int_equal(m.id, 812);
        assert_int_equal(m.parent_id, 640);
        assert_int_equal(m.shared_group, 42);
        assert_string_equal(m.root, "/alpha");
        assert_string_equal(m.mount_point, "/dev/mq ueue");
        assert_string_equal(m.fstype, "fuse.mqfs");
        assert_string_equal(m.source, "mqfs");
        mqfs_mount_clear(&m);

        line = strdup("23 1 0:5 / /dev rw - devtmpfs udev rw");
        assert_non_null(line);
        assert_int_equal(mqfs_mount_parse(line, &m), 0);
        assert_int_equal(m.shared_group, 0);
        mqfs_mount_clear(&m);

        const char *broken[] = {"", "23 1 0:5 / /dev rw devtmpfs udev rw",
                                "x 1 0:5 / /dev rw - a b c", "23 1 0:5 / /dev rw -",
                                "23 1 0:5 / /dev rw shared:x - a b c"};
        for (size_t i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
                line = strdup(broken[i]);
                assert_non_null(line);
                if (mqfs_mount_parse(line, &m) != -EINVAL)
                        fail_msg("accepted \"%s\"", broken[i]);
        }
}

static void records_round_trip(void **state)
{
        (void)state;
        struct mqfs_record in = {.ns_path = "/proc/42/ns/mnt",
                                 .root = "/run/mq fs",
                                 .ns_dev = makedev(0, 4),
                                 .ns_ino = 4026532337};
        struct mqfs_record got = {0};
        char **names = NULL;
        size_t n = 0;
        int dir;

        assert_int_equal(mqfs_records_open("/run/test-records", 1, &dir), 0);
        assert_int_equal(mqfs_records_lock(dir), 0);
        assert_int_equal(mqfs_record_save(dir, "beta", &in), 0);
        assert_int_equal(mqfs_record_save(dir, "alpha", &in), 0);
        assert_int_equal(mqfs_record_load(dir, "beta", &got), 0);
        assert_string_equal(got.ns_path, in.ns_path);
        assert_string_equal(got.root, in.root);
        assert_true(got.ns_dev == in.ns_dev && got.ns_ino == in.ns_ino);
        mqfs_record_clear(&got);

        in.root = "/run/a\nb";
        assert_int_equal(mqfs_record_save(dir, "gamma", &in), -EINVAL);
        assert_int_equal(mqfs_record_save(dir, "../x", &in), -EINVAL);
        assert_int_equal(mqfs_record_load(dir, "gamma", &got), -ENOENT);

        int junk = openat(dir, "delta", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(junk >= 0);
        assert_int_equal(write(junk, "ns=/x\n", 6), 6);
        close(junk);
        assert_int_equal(mqfs_record_load(dir, "delta", &got), -EINVAL);
        assert_int_equal(unlinkat(dir, "delta", 0), 0);

        assert_int_equal(mqfs_record_snaps(dir, &names, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(names[0], "alpha");
        assert_string_equal(names[1], "beta");
        mqfs_names_free(names, n);

        assert_int_equal(mqfs_record_drop(dir, "alpha"), 0);
        assert_int_equal(mqfs_record_drop(dir, "alpha"), 0);
        assert_int_equal(mqfs_record_drop(dir, "beta"), 0);
        assert_int_equal(mqfs_record_snaps(dir, &names, &n), 0);
        assert_int_equal(n, 0);
        mqfs_names_free(names, n);
        close(dir);
        assert_int_equal(rmdir("/run/test-records"), 0);
}

/* ---- the helper, end to end ---- */

static void attach_creates_target_and_is_idempotent(void **state)
{
        (void)state;
        struct e2e_snap *s = snap_start("alpha", E2E_DEV_FRESH);

        assert_int_equal(look_inside(s, "/dev/mqueue").lstat_errno, ENOENT);
        assert_helper(0, "attach", "alpha");
        assert_output_has("attached " ROOT "/alpha at /dev/mqueue in " NS_DIR "/alpha.mnt");
        assert_shows_view(s, "alpha");
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 1);
        assert_host_untouched();
        assert_int_equal(access(MQFS_RECORD_DIR "/alpha", F_OK), 0);

        assert_helper(0, "attach", "alpha");
        assert_output_has("already attached");
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 1);
        assert_shows_view(s, "alpha");

        assert_helper(0, "list");
        assert_output_has("alpha");
        assert_output_has(NS_DIR "/alpha.mnt");
        assert_output_has("answers");
        /* list --json says the same, parsed back (stderr is empty here: nothing is stale). */
        assert_helper(0, "list", "--json");
        enum json_tokener_error jerr;
        json_object *doc = json_tokener_parse_verbose(out, &jerr), *views = NULL, *v;
        if (!doc)
                fail_msg("list --json is not JSON (%s):\n%s", json_tokener_error_desc(jerr), out);
        assert_true(json_object_object_get_ex(doc, "views", &views));
        assert_int_equal(json_object_array_length(views), 1);
        json_object *view = json_object_array_get_idx(views, 0);
        const char *want[][2] = {{"snap", "alpha"},
                                 {"namespace", NS_DIR "/alpha.mnt"},
                                 {"target", "/dev/mqueue"},
                                 {"view", "answers"}};
        for (size_t i = 0; i < 4; i++) {
                assert_true(json_object_object_get_ex(view, want[i][0], &v));
                assert_string_equal(json_object_get_string(v), want[i][1]);
        }
        json_object_put(doc);

        assert_helper(0, "detach", "alpha");
        assert_output_has("detached");
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 0);
        /* What is left is the directory attach made, as the kernel's mqueue root: 1777. */
        struct look l = look_inside(s, "/dev/mqueue");
        assert_int_equal(l.lstat_errno, 0);
        assert_true(S_ISDIR(l.mode));
        assert_int_equal(l.mode & 07777, 01777);
        assert_int_equal(l.f_type, TMPFS_MAGIC);
        assert_int_equal(access(MQFS_RECORD_DIR "/alpha", F_OK), -1);

        assert_helper(0, "detach", "alpha");
        assert_output_has("nothing changed");
        assert_helper(0, "list");
        if (strstr(out, "alpha") != NULL)
                fail_msg("a detached view is still listed:\n%s", out);
        assert_host_untouched();
}

static void attach_by_pid_covers_and_detach_uncovers(void **state)
{
        (void)state;
        struct e2e_snap *s = snap_start(NULL, E2E_DEV_INHERIT);
        char pid[16], ns[64];
        snprintf(pid, sizeof(pid), "%d", (int)s->pid);
        snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)s->pid);

        /* Before: the snap sees the mqueue file system it inherited, with the host's queue. */
        struct look l = look_inside(s, "/dev/mqueue");
        assert_int_equal(l.f_type, MQUEUE_MAGIC);
        assert_int_equal(l.queue_errno, 0);

        assert_helper(0, "attach", "beta", "--pid", pid);
        assert_output_has(ns);
        assert_shows_view(s, "beta");
        l = look_inside(s, "/dev/mqueue");
        assert_int_equal(l.queue_errno, ENOENT); /* the host's queue is not in beta's view */
        assert_host_untouched();

        assert_helper(0, "list");
        assert_output_has("beta");
        assert_output_has(ns);

        /* --ns with the same namespace is the same attachment. */
        assert_helper(0, "attach", "beta", "--ns", ns);
        assert_output_has("already attached");

        assert_helper(0, "detach", "beta", "--pid", pid);
        l = look_inside(s, "/dev/mqueue");
        assert_int_equal(l.f_type, MQUEUE_MAGIC);
        assert_int_equal(l.queue_errno, 0);
        assert_int_equal(count_mounts(s, "/dev/mqueue", "mqueue"), 1);
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 0);
        assert_host_untouched();

        /* A --pid attachment whose process is gone is forgotten by repair. */
        assert_helper(0, "attach", "beta", "--pid", pid);
        e2e_snap_stop(s);
        assert_helper(0, "list");
        assert_output_has("is gone");
        assert_helper(0, "repair");
        assert_output_has("forgot snap \"beta\"");
        assert_int_equal(access(MQFS_RECORD_DIR "/beta", F_OK), -1);
}

static void refuses_what_it_cannot_do_cleanly(void **state)
{
        (void)state;
        struct e2e_snap *s = snap_start("gamma", E2E_DEV_FRESH);
        rmdir(MQFS_RECORD_DIR); /* empty after earlier tests: a failed attach must not make it */

        assert_helper(1, "attach", "alpha");
        assert_output_has("mqfs-mount: cannot attach snap \"alpha\": namespace file " NS_DIR
                          "/alpha.mnt does not exist");
        assert_helper(1, "attach", "gamma", "--ns", "/proc/self/ns/ipc");
        assert_output_has("namespace of type ipc, not a mount namespace");
        int plain = open("/run/plain-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        assert_true(plain >= 0);
        close(plain);
        assert_helper(1, "attach", "gamma", "--ns", "/run/plain-file");
        assert_output_has("/run/plain-file is not a namespace file");
        assert_int_equal(unlink("/run/plain-file"), 0);
        assert_helper(1, "attach", "gamma", "--ns", "/proc/self/ns/mnt");
        assert_output_has("the helper's own mount namespace");
        assert_helper(1, "attach", "gamma", "--pid", "999999999");
        assert_output_has("there is no process 999999999");
        assert_helper(1, "detach", "gamma", "--pid", "999999999");
        assert_output_has("there is no process 999999999");

        assert_int_equal(mkdir("/run/nodaemon", 0700), 0);
        assert_helper(1, "attach", "gamma", "--root", "/run/nodaemon");
        assert_output_has("/run/nodaemon is not an mqfs mount");
        assert_output_has("mqfsd is not running");
        assert_int_equal(rmdir("/run/nodaemon"), 0);
        assert_helper(1, "attach", "gamma", "--root", "/run/absent");
        assert_output_has("/run/absent does not exist: mqfsd is not running");
        assert_helper(1, "attach", "gamma", "--root", ROOT "/alpha");
        assert_output_has("not at its top");

        struct e2e_snap *z = snap_start("zeta", E2E_DEV_FRESH);
        assert_helper(1, "attach", "zeta");
        assert_output_has("snap \"zeta\" is not known to mqfsd at " ROOT);
        assert_int_equal(look_inside(z, "/dev/mqueue").lstat_errno, ENOENT);

        /* Nothing of that left a trace in the snap's namespace or on the host. */
        assert_int_equal(look_inside(s, "/dev/mqueue").lstat_errno, ENOENT);
        assert_int_equal(access(MQFS_RECORD_DIR, F_OK), -1);
        assert_host_untouched();
}

static void bad_usage_exits_2(void **state)
{
        (void)state;
        assert_helper(2, "");
        assert_helper(2, "frobnicate");
        assert_output_has("unknown command");
        assert_helper(2, "attach");
        assert_output_has("needs a SNAP name");
        assert_helper(2, "attach", "Bad_Name");
        assert_output_has("invalid snap name \"Bad_Name\"");
        assert_helper(2, "attach", "../etc");
        assert_helper(2, "attach", "a\nb");
        assert_output_has("invalid snap name \"a\\nb\"");
        assert_helper(2, "attach", "alpha", "--ns", "/x", "--pid", "1");
        assert_helper(2, "attach", "alpha", "--pid", "1x");
        assert_helper(2, "attach", "alpha", "--pid");
        assert_helper(2, "detach", "alpha", "--root", ROOT);
        assert_helper(2, "list", "alpha");
        assert_helper(2, "attach", "alpha", "beta");
        assert_helper(2, "attach", "alpha", "--bogus");
        assert_output_has("unknown option --bogus; see mqfs-mount --help");
        assert_helper(2, "attach", "alpha", "--json");
        assert_output_has("--json goes with list");
        assert_helper(2, "attach", "alpha", "--ns", "/x", "--ns", "/y");
        assert_output_has("--ns given twice");
        assert_helper(2, "attach", "alpha", "--ns");
        assert_output_has("option --ns needs a value");
        const char *help[][2] = {{"--help", NULL}, {"-h", NULL}, {"attach", "--help"}};
        for (size_t i = 0; i < 3; i++) {
                assert_helper(0, help[i][0], help[i][1]);
                assert_true(strncmp(out, "Usage: mqfs-mount COMMAND", 25) == 0);
                assert_output_has("attach SNAP [--ns FILE | --pid PID] [--root MOUNTPOINT]");
                assert_output_has("Exit status: 0 done");
        }
        assert_helper(0, "--version");
        assert_true(strncmp(out, "mqfs-mount (mqfs) ", 18) == 0);
        assert_helper(0, "list", "--version");
        assert_true(strncmp(out, "mqfs-mount (mqfs) ", 18) == 0);
}

static void never_follows_a_planted_symlink(void **state)
{
        (void)state;
        assert_int_equal(mkdir("/run/evil", 0700), 0);
        struct e2e_snap *s = snap_start("gamma", E2E_DEV_SYMLINK);

        assert_helper(1, "attach", "gamma");
        assert_output_has("/dev/mqueue in namespace " NS_DIR "/gamma.mnt is a symbolic link");
        struct look l = look_inside(s, "/dev/mqueue");
        assert_true(S_ISLNK(l.mode));
        assert_int_equal(look_inside(s, "/run/evil").f_type, TMPFS_MAGIC);
        assert_helper(0, "detach", "gamma");
        assert_output_has("nothing changed");
        assert_int_equal(look_inside(s, "/run/evil").f_type, TMPFS_MAGIC);
        assert_int_equal(rmdir("/run/evil"), 0);
}

static void refuses_a_target_shared_with_the_host(void **state)
{
        (void)state;
        /* A snap namespace whose /dev/mqueue is a peer of the host's: a mount there would
         * propagate to the host. */
        assert_int_equal(mount(NULL, "/dev/mqueue", NULL, MS_SHARED, NULL), 0);
        struct e2e_snap *s = snap_start("delta", E2E_DEV_INHERIT);
        int status = helper("attach", "delta", NULL);
        assert_int_equal(mount(NULL, "/dev/mqueue", NULL, MS_PRIVATE, NULL), 0);
        if (status != 1)
                fail_msg("exit %d:\n%s", status, out);
        assert_output_has("shares mount events with the host");
        assert_int_equal(look_inside(s, "/dev/mqueue").f_type, MQUEUE_MAGIC);
        assert_host_untouched();
}

static void repair_reattaches_after_a_daemon_restart(void **state)
{
        (void)state;
        struct e2e_snap *s = snap_start("epsilon", E2E_DEV_FRESH);
        struct e2e_snap *a = snap_start("alpha", E2E_DEV_FRESH);
        assert_helper(0, "attach", "epsilon");
        assert_helper(0, "attach", "alpha");
        assert_shows_view(s, "epsilon");

        assert_helper(0, "repair");
        assert_output_has("nothing to repair");

        kill_fake_daemon();
        assert_int_equal(look_inside(s, "/dev/mqueue").stat_errno, ENOTCONN);
        assert_helper(0, "list");
        assert_output_has("ENOTCONN");
        assert_helper(1, "attach", "epsilon");
        assert_output_has("does not answer");
        assert_output_has("mqfs-mount repair");
        assert_helper(1, "repair");
        assert_output_has("cannot repair snap \"epsilon\"");

        restart_fake_daemon();
        assert_helper(0, "repair");
        assert_output_has("repaired snap \"epsilon\"");
        assert_output_has("repaired snap \"alpha\"");
        assert_shows_view(s, "epsilon");
        assert_shows_view(a, "alpha");
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 1);
        assert_helper(0, "list");
        if (strstr(out, "ENOTCONN") != NULL)
                fail_msg("still dead after repair:\n%s", out);
        assert_helper(0, "repair");
        assert_output_has("nothing to repair");

        /* attach itself also replaces a dead view. */
        restart_fake_daemon();
        assert_helper(0, "attach", "epsilon");
        assert_output_has("replacing a view that no longer answered");
        assert_shows_view(s, "epsilon");

        assert_helper(0, "detach", "epsilon");
        assert_helper(0, "detach", "alpha");
        assert_int_equal(count_mounts(s, "/dev/mqueue", "fuse.mqfs"), 0);
        assert_int_equal(count_mounts(a, "/dev/mqueue", "fuse.mqfs"), 0);
        assert_host_untouched();
}

/* ---- the private world ---- */

static int start_daemon(void **state)
{
        (void)state;
        daemon_pid = start_fake_daemon();
        if (daemon_pid <= 0) {
                fprintf(stderr, "cannot start the stand-in FUSE daemon on " ROOT "\n");
                return -1;
        }
        return 0;
}

static int stop_daemon(void **state)
{
        (void)state;
        kill_fake_daemon();
        umount2(ROOT, MNT_DETACH);
        return 0;
}

/* The harness's private world (e2e_harness.h: private mount and IPC namespaces, tmpfs
 * over /run and /dev with /dev/mqueue, pinned to one CPU), and a queue of that host. */
static int enter_private_world(void)
{
        int rc = e2e_world_enter("test_mqfs_mount");
        if (rc != 0)
                return rc == E2E_SKIP ? SKIP_CODE : 1;
        struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
        mqd_t q = mq_open(HOST_Q, O_CREAT | O_RDWR | O_CLOEXEC, 0600, &attr);
        if (q == (mqd_t)-1) {
                perror("test_mqfs_mount: mq_open " HOST_Q);
                return 1;
        }
        mq_close(q);
        return 0;
}

int main(void)
{
        int rc = enter_private_world();
        if (rc != 0)
                return rc;
        const struct CMUnitTest units[] = {
            cmocka_unit_test(snap_names_follow_snapd),
            cmocka_unit_test(mountinfo_lines_parse),
            cmocka_unit_test(records_round_trip),
        };
        const struct CMUnitTest views[] = {
            cmocka_unit_test_teardown(attach_creates_target_and_is_idempotent, stop_snaps),
            cmocka_unit_test_teardown(attach_by_pid_covers_and_detach_uncovers, stop_snaps),
            cmocka_unit_test_teardown(refuses_what_it_cannot_do_cleanly, stop_snaps),
            cmocka_unit_test(bad_usage_exits_2),
            cmocka_unit_test_teardown(never_follows_a_planted_symlink, stop_snaps),
            cmocka_unit_test_teardown(refuses_a_target_shared_with_the_host, stop_snaps),
            cmocka_unit_test_teardown(repair_reattaches_after_a_daemon_restart, stop_snaps),
        };
        int failed = cmocka_run_group_tests_name("units", units, NULL, NULL);
        failed += cmocka_run_group_tests_name("views", views, start_daemon, stop_daemon);
        return failed == 0 ? 0 : 1;
}
