/* old_kernel.c — runs a program as on a kernel before Linux 6.13 as far as the syscall door
 * is concerned: pidfd_open of a thread (PIDFD_THREAD, Linux 6.9) fails with EINVAL, as an
 * unknown flag does there, so mqfsd's door cannot take a caller's fs ids from a pidfd and
 * must read them from /proc, as on Debian 12's 6.1. test_e2e_door runs its daemon under it
 * when MQFS_DOOR_OLD_KERNEL is set.
 *
 * Usage: old_kernel PROGRAM [ARGS...]   (root: the filter is loaded without no_new_privs) */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: old_kernel PROGRAM [ARGS...]\n");
                return 2;
        }
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int err = ctx ? 0 : -ENOMEM;
        /* mqfsd must keep what it may gain at exec, as when it runs without this. */
        if (!err)
                err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (!err)
                err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(pidfd_open), 1,
                                       SCMP_A1(SCMP_CMP_MASKED_EQ, PIDFD_THREAD, PIDFD_THREAD));
        if (!err)
                err = seccomp_load(ctx);
        seccomp_release(ctx);
        if (err) {
                fprintf(stderr, "old_kernel: cannot load the filter: %s\n", strerror(-err));
                return 1;
        }
        execvp(argv[1], argv + 1);
        fprintf(stderr, "old_kernel: cannot run %s: %s\n", argv[1], strerror(errno));
        return 127;
}
