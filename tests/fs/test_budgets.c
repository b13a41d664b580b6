/* test_budgets.c — no snap can hurt another (issue 15): per-caller budgets of open
 * files, directory handles, blocked writes and listing memory (SPEC §5, fs/budget.h),
 * and a setattr that is all or nothing, against the real mqfsd.
 *
 * The real mqfsd, mqfs-mount and snap namespaces made by the test (e2e_harness.h, in a
 * private IPC and mount namespace; nothing survives the test). Every test starts its own
 * daemon and ends by stopping it with SIGTERM, which must give exit status 0
 * (hardening_harness.h).
 *
 * Policy: snap "atk" (the attacker) owns /a0../a3, snap "vic" (the victim) owns
 * /v0../v3; each runs as its own uid. Budgets are set low in system.yaml (LIMITS). */
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hardening_harness.h"

#define ATK_UID 47301 /* unusual uids: RLIMIT_MSGQUEUE is charged per uid, host-wide */
#define VIC_UID 47302

#define FILES  8
#define DIRS   4
#define PARKED 3

#define LIMITS                                                                                     \
        "limits:\n"                                                                                \
        "  open-files: 8\n"                                                                        \
        "  open-directories: 4\n"                                                                  \
        "  blocked-writes: 3\n"

#define SNAP(name, paths)                                                                          \
        "  - name: " name "\n"                                                                     \
        "    snap-yaml-inline:\n"                                                                  \
        "      name: " name "\n"                                                                   \
        "      slots:\n"                                                                           \
        "        s: {interface: posix-mq, path: " paths ",\n"                                      \
        "            permissions: [read, write, create, delete]}\n"

static const char *const SYSTEM =
    LIMITS "snaps:\n" SNAP("atk", "[/a0, /a1, /a2, /a3]") SNAP("vic", "[/v0, /v1, /v2, /v3]");

static struct e2e_snap atk_ns, vic_ns;
static char out[8192];

static int test_setup(void **state)
{
        (void)state;
        hh_remove_test_queues();
        if (e2e_system_write(SYSTEM) != 0 || hh_daemon_start() != 0)
                return -1;
        hh_attach(&atk_ns, "atk");
        hh_attach(&vic_ns, "vic");
        return 0;
}

static int test_teardown(void **state)
{
        (void)state;
        struct e2e_snap *all[] = {&atk_ns, &vic_ns};
        for (size_t i = 0; i < 2; i++) {
                if (all[i]->pid > 0)
                        e2e_mount_helper(out, sizeof(out), "detach", all[i]->name, NULL);
                e2e_snap_stop(all[i]);
        }
        int rc = hh_daemon_teardown();
        hh_remove_test_queues();
        return rc;
}

static const struct hh_caller ATK = {.snap = &atk_ns, .uid = ATK_UID, .gid = ATK_UID};
static const struct hh_caller VIC = {.snap = &vic_ns, .uid = VIC_UID, .gid = VIC_UID};

/* A queue of the world, owned by uid, full (E2E_MAXMSG messages). */
static void make_full_queue(const char *name, uid_t uid)
{
        char path[64];
        assert_int_equal(e2e_hq_create(name, 0666), 0);
        snprintf(path, sizeof(path), "/dev/mqueue/%s", name);
        assert_int_equal(chown(path, uid, uid), 0);
        for (int i = 0; i < E2E_MAXMSG; i++)
                assert_int_equal(e2e_hq_send(name, "full", 4), 0);
}

struct write_out {
        int err; /* 0: the write went through */
        int done;
};

/* A blocking write of "w" to /dev/mqueue/ARG. */
static int blocking_write(void *arg, void *outp)
{
        struct write_out *o = outp;
        char path[64];
        snprintf(path, sizeof(path), "/dev/mqueue/%s", (const char *)arg);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                o->err = errno;
        } else {
                o->err = write(fd, "w", 1) == 1 ? 0 : errno;
                close(fd);
        }
        __atomic_store_n(&o->done, 1, __ATOMIC_SEQ_CST);
        return 0;
}

/* Parks one blocking write of caller on each of its full queues qs[0..n). One a queue:
 * the kernel holds the FUSE inode's lock for the whole of a parked write, so a second
 * write to the same queue of the same view waits in the kernel, not in the daemon. */
static void park(const struct hh_caller *who, const char *const *qs, int n, pid_t *pids,
                 struct write_out *outs)
{
        for (int i = 0; i < n; i++) {
                pids[i] = hh_spawn(who, blocking_write, (void *)qs[i], &outs[i]);
                assert_true(pids[i] > 0);
                assert_true(hh_wait_blocked_in(pids[i], SYS_write, SYS_pwrite64));
        }
}

/* Issue 15, finding 3: one snap parking writes on its own full queues used up the one
 * pool of blocked writes (MQFS_PARKED_MAX), and another snap's blocking write failed
 * with EAGAIN; each refusal was logged. Now the offender alone is refused past its
 * budget, once in the log for many refusals. */
static void blocked_writes_past_the_budget_fail_for_the_offender_alone(void **state)
{
        (void)state;
        static const char *const aq[] = {"a0", "a1", "a2", "a3"}, *const vq[] = {"v0"};
        for (int i = 0; i < 4; i++)
                make_full_queue(aq[i], ATK_UID);
        make_full_queue("v0", VIC_UID);
        struct write_out *outs = hh_shared_alloc(8 * sizeof(*outs));
        assert_non_null(outs);
        pid_t atk[PARKED], vic;
        park(&ATK, aq, PARKED, atk, outs);

        /* Past the budget: EAGAIN at once, many times, logged once or so. */
        long from = hh_log_size();
        for (int i = 0; i < 50; i++) {
                struct write_out o;
                assert_int_equal(hh_run(&ATK, blocking_write, "a3", &o, sizeof(o)), 0);
                assert_int_equal(o.err, EAGAIN);
        }
        int lines = hh_log_count_from(from, "blocked writes past the");
        assert_in_range(lines, 1, 10);

        /* The victim's blocking write waits, and goes through when room comes. */
        park(&VIC, vq, 1, &vic, &outs[PARKED]);
        char msg[E2E_MSGSIZE + 1];
        assert_true(e2e_hq_receive("v0", msg) > 0);
        assert_int_equal(hh_wait(vic), 0);
        assert_int_equal(outs[PARKED].err, 0);

        /* The attacker's parked writes still wait; room lets them through in turn. */
        for (int i = 0; i < PARKED; i++)
                assert_true(e2e_hq_receive(aq[i], msg) > 0);
        for (int i = 0; i < PARKED; i++) {
                assert_int_equal(hh_wait(atk[i]), 0);
                assert_int_equal(outs[i].err, 0);
        }
        hh_shared_free(outs, 8 * sizeof(*outs));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
        const struct CMUnitTest tests[] = {
            T(blocked_writes_past_the_budget_fail_for_the_offender_alone),
        };
#undef T
        return hh_main("test_budgets", tests, sizeof(tests) / sizeof(tests[0]));
}
