/* Per-thread credential switching (broker/creds.h): checks each claim the broker relies
 * on against what the kernel shows in /proc/thread-self/status and how it judges file
 * access, inside private namespaces (testns.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "creds.h"
#include "testns.h"

static const gid_t alice_groups[] = {4343, 5000};
static const struct mqfs_caller ALICE = {
    .uid = 4242, .gid = 4343, .pid = 2, .ngroups = 2, .groups = alice_groups};
static const struct mqfs_caller BOB = {.uid = 4244, .gid = 4345, .pid = 3};
static const struct mqfs_caller ROOT = {.uid = 0, .gid = 0, .pid = 1};

/* The value part of one line of /proc/thread-self/status, tabs made spaces. */
static void thread_status(const char *key, char *out, size_t size)
{
        FILE *f = fopen("/proc/thread-self/status", "re");
        assert_non_null(f);
        char line[4096];
        size_t klen = strlen(key);
        out[0] = '\0';
        while (fgets(line, sizeof(line), f) != NULL) {
                if (strncmp(line, key, klen) != 0 || line[klen] != ':')
                        continue;
                char *v = line + klen + 1;
                while (*v == '\t' || *v == ' ')
                        v++;
                v[strcspn(v, "\n")] = '\0';
                for (char *p = v; *p; p++)
                        if (*p == '\t')
                                *p = ' ';
                size_t n = strlen(v);
                while (n > 0 && v[n - 1] == ' ')
                        v[--n] = '\0';
                snprintf(out, size, "%s", v);
                break;
        }
        fclose(f);
}

struct ids {
        char uid[64], gid[64], groups[2048], capeff[32];
};

static struct ids current_ids(void)
{
        struct ids s;
        thread_status("Uid", s.uid, sizeof(s.uid));
        thread_status("Gid", s.gid, sizeof(s.gid));
        thread_status("Groups", s.groups, sizeof(s.groups));
        thread_status("CapEff", s.capeff, sizeof(s.capeff));
        return s;
}

static void assert_same_ids(const struct ids *a, const struct ids *b)
{
        assert_string_equal(a->uid, b->uid);
        assert_string_equal(a->gid, b->gid);
        assert_string_equal(a->groups, b->groups);
        assert_string_equal(a->capeff, b->capeff);
}

/* ---- only the calling thread changes, and it changes back ---- */

static pthread_barrier_t barrier;
static struct ids seen_by_worker, restored_in_worker;

static void *switch_in_thread(void *arg)
{
        (void)arg;
        struct mqfs_creds_saved saved;
        if (mqfs_creds_enter(&ALICE, &saved) != 0)
                abort();
        seen_by_worker = current_ids();
        pthread_barrier_wait(&barrier); /* main looks at itself now */
        pthread_barrier_wait(&barrier);
        mqfs_creds_leave(&saved);
        restored_in_worker = current_ids();
        return NULL;
}

static void only_the_calling_thread_switches(void **state)
{
        (void)state;
        struct ids before = current_ids();
        assert_string_equal(before.uid, "0 0 0 0");
        assert_string_not_equal(before.capeff, "0000000000000000");

        assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, switch_in_thread, NULL), 0);
        pthread_barrier_wait(&barrier);
        struct ids main_meanwhile = current_ids();
        pthread_barrier_wait(&barrier);
        assert_int_equal(pthread_join(t, NULL), 0);
        pthread_barrier_destroy(&barrier);

        /* The worker was the caller: real/effective/saved/fs ids, groups, and no
         * capabilities left (euid left 0), while the saved uid kept the way back. */
        assert_string_equal(seen_by_worker.uid, "4242 4242 0 4242");
        assert_string_equal(seen_by_worker.gid, "4343 4343 0 4343");
        assert_string_equal(seen_by_worker.groups, "4343 5000");
        assert_string_equal(seen_by_worker.capeff, "0000000000000000");
        /* The main thread never changed. */
        assert_same_ids(&main_meanwhile, &before);
        /* And the worker got everything back, capabilities included. */
        struct ids expected = before;
        assert_same_ids(&restored_in_worker, &expected);
}

/* ---- the kernel judges file access as the caller's ---- */

static const char *dir = mqfs_test_scratch_dir;

static void make_file(const char *name, uid_t uid, gid_t gid, mode_t mode)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(fchown(fd, uid, gid), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        close(fd);
}

static int open_as(const struct mqfs_caller *caller, const char *name, int flags)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        struct mqfs_creds_saved saved;
        assert_int_equal(mqfs_creds_enter(caller, &saved), 0);
        int fd = open(path, flags | O_CLOEXEC, 0644);
        int err = fd < 0 ? -errno : 0;
        mqfs_creds_leave(&saved);
        if (fd >= 0)
                close(fd);
        return err;
}

static void the_kernel_checks_access_as_the_caller(void **state)
{
        (void)state;
        make_file("root600", 0, 0, 0600);
        make_file("root644", 0, 0, 0644);
        make_file("group040", 0, 5000, 0040);
        make_file("alice600", 4242, 4343, 0600);

        assert_int_equal(open_as(&ALICE, "root600", O_RDONLY), -EACCES);
        assert_int_equal(open_as(&ALICE, "root644", O_RDONLY), 0);
        assert_int_equal(open_as(&ALICE, "root644", O_WRONLY), -EACCES);
        /* Supplementary group 5000 counts; BOB lacks it. */
        assert_int_equal(open_as(&ALICE, "group040", O_RDONLY), 0);
        assert_int_equal(open_as(&BOB, "group040", O_RDONLY), -EACCES);
        assert_int_equal(open_as(&BOB, "alice600", O_RDONLY), -EACCES);
        /* A root caller keeps root's rights, as with the kernel. */
        assert_int_equal(open_as(&ROOT, "alice600", O_RDWR), 0);
        assert_int_equal(open_as(&ROOT, "root600", O_RDWR), 0);

        /* A new file belongs to the caller (fsuid/fsgid). */
        assert_int_equal(open_as(&ALICE, "made-by-alice", O_WRONLY | O_CREAT | O_EXCL), 0);
        struct stat st;
        char path[256];
        snprintf(path, sizeof(path), "%s/made-by-alice", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_uid, 4242);
        assert_int_equal(st.st_gid, 4343);
}

static void a_root_caller_keeps_its_capabilities(void **state)
{
        (void)state;
        struct ids before = current_ids();
        const gid_t g[] = {7};
        const struct mqfs_caller root_in_group = {.uid = 0, .gid = 6, .ngroups = 1, .groups = g};
        struct mqfs_creds_saved saved;
        assert_int_equal(mqfs_creds_enter(&root_in_group, &saved), 0);
        struct ids during = current_ids();
        mqfs_creds_leave(&saved);
        assert_string_equal(during.uid, "0 0 0 0");
        assert_string_equal(during.gid, "6 6 0 6");
        assert_string_equal(during.groups, "7");
        assert_string_equal(during.capeff, before.capeff);
        struct ids after = current_ids();
        assert_same_ids(&after, &before);
}

static void bad_callers_are_refused_unchanged(void **state)
{
        (void)state;
        struct ids before = current_ids();
        struct mqfs_creds_saved saved;
        const struct mqfs_caller no_groups = {.uid = 1, .gid = 1, .ngroups = 1, .groups = NULL};
        const struct mqfs_caller minus_one = {.uid = (uid_t)-1, .gid = 1};
        const struct mqfs_caller minus_one_gid = {.uid = 1, .gid = (gid_t)-1};
        gid_t dummy = 1;
        const struct mqfs_caller too_many = {
            .uid = 1, .gid = 1, .ngroups = (size_t)NGROUPS_MAX + 1, .groups = &dummy};
        assert_int_equal(mqfs_creds_enter(&no_groups, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter(&minus_one, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter(&minus_one_gid, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter(&too_many, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter(NULL, &saved), -EINVAL);
        struct ids after = current_ids();
        assert_same_ids(&after, &before);
}

/* Drops every privilege of this (forked) process: uid and gid 1000, no groups. */
static int become_unprivileged(void)
{
        if (setgroups(0, NULL) != 0 || setresgid(1000, 1000, 1000) != 0 ||
            setresuid(1000, 1000, 1000) != 0)
                return -1;
        return 0;
}

/* Without privilege the switch fails cleanly and nothing changes. */
static void an_unprivileged_thread_cannot_switch(void **state)
{
        (void)state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (become_unprivileged() != 0)
                        _exit(2);
                struct mqfs_creds_saved saved;
                int err = mqfs_creds_enter(&ALICE, &saved);
                uid_t r, e, s;
                getresuid(&r, &e, &s);
                _exit(err == -EPERM && r == 1000 && e == 1000 && s == 1000 ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* A daemon thread with more groups than the inline buffer gets all of them back. */
static void *many_groups_thread(void *arg)
{
        struct ids *out = arg;
        gid_t groups[100];
        for (int i = 0; i < 100; i++)
                groups[i] = 10000 + (gid_t)i;
        if (syscall(SYS_setgroups, 100, groups) != 0)
                abort();
        out[0] = current_ids();
        struct mqfs_creds_saved saved;
        if (mqfs_creds_enter(&BOB, &saved) != 0)
                abort();
        out[1] = current_ids();
        mqfs_creds_leave(&saved);
        out[2] = current_ids();
        if (syscall(SYS_setgroups, 0, NULL) != 0)
                abort();
        return NULL;
}

static void many_daemon_groups_are_restored(void **state)
{
        (void)state;
        struct ids seen[3];
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, many_groups_thread, seen), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_string_equal(seen[1].groups, "");
        assert_string_equal(seen[1].uid, "4244 4244 0 4244");
        assert_same_ids(&seen[2], &seen[0]);
        assert_non_null(strstr(seen[2].groups, "10000 10001"));
        assert_non_null(strstr(seen[2].groups, "10099"));
}

/* ---- the fs-ids-only switch (mqfs_creds_enter_fsids) ---- */

static struct ids fs_seen_by_worker, fs_restored_in_worker;

static void *switch_fsids_in_thread(void *arg)
{
        (void)arg;
        struct mqfs_fsids_saved saved;
        if (mqfs_creds_enter_fsids(4242, 4343, true, &saved) != 0)
                abort();
        fs_seen_by_worker = current_ids();
        pthread_barrier_wait(&barrier);
        pthread_barrier_wait(&barrier);
        mqfs_creds_leave_fsids(&saved);
        fs_restored_in_worker = current_ids();
        return NULL;
}

static void only_the_fs_ids_of_the_calling_thread_switch(void **state)
{
        (void)state;
        struct ids before = current_ids();
        assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, switch_fsids_in_thread, NULL), 0);
        pthread_barrier_wait(&barrier);
        struct ids main_meanwhile = current_ids();
        pthread_barrier_wait(&barrier);
        assert_int_equal(pthread_join(t, NULL), 0);
        pthread_barrier_destroy(&barrier);

        /* Only fsuid and fsgid moved; the filesystem capabilities went with fsuid 0
         * (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: the low bits). */
        assert_string_equal(fs_seen_by_worker.uid, "0 0 0 4242");
        assert_string_equal(fs_seen_by_worker.gid, "0 0 0 4343");
        assert_string_equal(fs_seen_by_worker.groups, before.groups);
        unsigned long long caps_before = strtoull(before.capeff, NULL, 16);
        unsigned long long caps_during = strtoull(fs_seen_by_worker.capeff, NULL, 16);
        assert_true(caps_before & 0xfull);
        assert_int_equal(caps_during & 0xfull, 0);
        assert_true(caps_during != 0); /* the rest, CAP_SETUID among them, stays */
        assert_same_ids(&main_meanwhile, &before);
        assert_same_ids(&fs_restored_in_worker, &before);
}

static int open_as_fsids(uid_t uid, gid_t gid, bool set_gid, const char *name, int flags)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        struct mqfs_fsids_saved saved;
        assert_int_equal(mqfs_creds_enter_fsids(uid, gid, set_gid, &saved), 0);
        int fd = open(path, flags | O_CLOEXEC);
        int err = fd < 0 ? -errno : 0;
        mqfs_creds_leave_fsids(&saved);
        if (fd >= 0)
                close(fd);
        return err;
}

static void the_kernel_checks_access_as_the_fs_ids(void **state)
{
        (void)state;
        struct ids before = current_ids();
        make_file("fs-root600", 0, 0, 0600);
        make_file("fs-alice066", 4242, 7000, 0066);
        make_file("fs-prim040", 7000, 4343, 0040);
        make_file("fs-prim406", 7000, 4343, 0406);

        /* Root's file is closed to the caller: no capability is lent. */
        assert_int_equal(open_as_fsids(4242, 4343, true, "fs-root600", O_RDONLY), -EACCES);
        assert_int_equal(open_as_fsids(4242, 0, false, "fs-root600", O_RDONLY), -EACCES);
        /* The owner gets the owner bits, not the group's or the others'. */
        assert_int_equal(open_as_fsids(4242, 4343, true, "fs-alice066", O_RDONLY), -EACCES);
        assert_int_equal(open_as_fsids(4244, 4345, true, "fs-alice066", O_RDONLY), 0);
        /* The fsgid decides group membership: with it the group bits, without it the
         * other bits. */
        assert_int_equal(open_as_fsids(4242, 4343, true, "fs-prim040", O_RDONLY), 0);
        assert_int_equal(open_as_fsids(4242, 4343, false, "fs-prim040", O_RDONLY), -EACCES);
        assert_int_equal(open_as_fsids(4242, 4343, true, "fs-prim406", O_RDONLY), -EACCES);
        assert_int_equal(open_as_fsids(4242, 4343, false, "fs-prim406", O_RDONLY), 0);
        /* A root caller keeps root's rights. */
        assert_int_equal(open_as_fsids(0, 0, true, "fs-alice066", O_RDWR), 0);
        struct ids after = current_ids();
        assert_same_ids(&after, &before);
}

static void bad_fs_ids_are_refused_unchanged(void **state)
{
        (void)state;
        struct ids before = current_ids();
        struct mqfs_fsids_saved saved;
        assert_int_equal(mqfs_creds_enter_fsids((uid_t)-1, 1, true, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter_fsids(1, (gid_t)-1, true, &saved), -EINVAL);
        assert_int_equal(mqfs_creds_enter_fsids(1, 1, true, NULL), -EINVAL);
        struct ids after = current_ids();
        assert_same_ids(&after, &before);
        /* gid -1 is fine when the gid is not to be set. */
        assert_int_equal(mqfs_creds_enter_fsids(1, (gid_t)-1, false, &saved), 0);
        mqfs_creds_leave_fsids(&saved);
        after = current_ids();
        assert_same_ids(&after, &before);
}

/* Without privilege the kernel refuses quietly (setfsuid reports no error): the refusal
 * is seen, said, and nothing changes. */
static void an_unprivileged_thread_cannot_switch_fs_ids(void **state)
{
        (void)state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (become_unprivileged() != 0)
                        _exit(2);
                struct mqfs_fsids_saved saved;
                int err_both = mqfs_creds_enter_fsids(4242, 4343, true, &saved);
                int err_uid = mqfs_creds_enter_fsids(4242, 0, false, &saved);
                struct ids now = current_ids();
                _exit(err_both == -EPERM && err_uid == -EPERM &&
                              strcmp(now.uid, "1000 1000 1000 1000") == 0 &&
                              strcmp(now.gid, "1000 1000 1000 1000") == 0
                          ? 0
                          : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the scoped forms (MQFS_CREDS_SCOPE, MQFS_FSIDS_SCOPE) ---- */

/* Acts as caller until the scope ends, by an early return or the end of the function;
 * *during: the ids in the scope. */
static int scoped_as(const struct mqfs_caller *caller, bool leave_early, struct ids *during)
{
        MQFS_CREDS_SCOPE as_caller = {0};
        int err = mqfs_creds_enter(caller, &as_caller);
        if (err < 0)
                return err;
        *during = current_ids();
        if (leave_early)
                return 1;
        return 0;
}

static int scoped_as_fsids(uid_t uid, gid_t gid, struct ids *during)
{
        MQFS_FSIDS_SCOPE as_caller = {0};
        int err = mqfs_creds_enter_fsids(uid, gid, true, &as_caller);
        if (err < 0)
                return err;
        *during = current_ids();
        return 0;
}

static void a_scope_restores_on_every_way_out(void **state)
{
        (void)state;
        struct ids before = current_ids(), during, after;
        assert_int_equal(scoped_as(&ALICE, true, &during), 1);
        assert_string_equal(during.uid, "4242 4242 0 4242");
        after = current_ids();
        assert_same_ids(&after, &before);
        assert_int_equal(scoped_as(&BOB, false, &during), 0);
        assert_string_equal(during.uid, "4244 4244 0 4244");
        after = current_ids();
        assert_same_ids(&after, &before);
        assert_int_equal(scoped_as_fsids(4242, 4343, &during), 0);
        assert_string_equal(during.uid, "0 0 0 4242");
        assert_string_equal(during.gid, "0 0 0 4343");
        after = current_ids();
        assert_same_ids(&after, &before);
}

/* A scope whose enter failed (or never ran) has nothing to put back: leaving it
 * neither restores stale values nor aborts. */
static void a_scope_not_entered_restores_nothing(void **state)
{
        (void)state;
        struct ids before = current_ids(), during, after;
        const struct mqfs_caller minus_one = {.uid = (uid_t)-1, .gid = 1};
        assert_int_equal(scoped_as(&minus_one, false, &during), -EINVAL);
        assert_int_equal(scoped_as_fsids((uid_t)-1, 1, &during), -EINVAL);
        {
                MQFS_CREDS_SCOPE never_entered = {0};
                MQFS_FSIDS_SCOPE never_entered_fsids = {0};
                (void)never_entered;
                (void)never_entered_fsids;
        }
        after = current_ids();
        assert_same_ids(&after, &before);
}

/* A thread that cannot get the daemon's ids back is an impossible state: the process
 * aborts, saying why. Here the caller's side gives up the saved uid (0) that is the
 * way back, which a real caller cannot do from outside. */
static void a_failed_restore_aborts_loudly(void **state)
{
        (void)state;
        int err_pipe[2];
        assert_int_equal(pipe2(err_pipe, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(err_pipe[1], STDERR_FILENO);
                setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}); /* an abort that is expected */
                {
                        MQFS_CREDS_SCOPE as_caller = {0};
                        if (mqfs_creds_enter(&ALICE, &as_caller) != 0)
                                _exit(2);
                        if (syscall(SYS_setresuid, -1, -1, ALICE.uid) != 0)
                                _exit(3);
                }
                _exit(0); /* restored after all: the test fails */
        }
        close(err_pipe[1]);
        char said[4096];
        size_t n = 0;
        ssize_t r;
        while (n < sizeof(said) - 1 && (r = read(err_pipe[0], said + n, sizeof(said) - 1 - n)) > 0)
                n += (size_t)r;
        said[n] = '\0';
        close(err_pipe[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
        assert_non_null(strstr(said, "impossible state"));
        assert_non_null(strstr(said, "cannot restore the daemon's user ids"));
}

int main(void)
{
        mqfs_test_private_world();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(only_the_calling_thread_switches),
            cmocka_unit_test(the_kernel_checks_access_as_the_caller),
            cmocka_unit_test(a_root_caller_keeps_its_capabilities),
            cmocka_unit_test(bad_callers_are_refused_unchanged),
            cmocka_unit_test(an_unprivileged_thread_cannot_switch),
            cmocka_unit_test(many_daemon_groups_are_restored),
            cmocka_unit_test(only_the_fs_ids_of_the_calling_thread_switch),
            cmocka_unit_test(the_kernel_checks_access_as_the_fs_ids),
            cmocka_unit_test(bad_fs_ids_are_refused_unchanged),
            cmocka_unit_test(an_unprivileged_thread_cannot_switch_fs_ids),
            cmocka_unit_test(a_scope_restores_on_every_way_out),
            cmocka_unit_test(a_scope_not_entered_restores_nothing),
            cmocka_unit_test(a_failed_restore_aborts_loudly),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
