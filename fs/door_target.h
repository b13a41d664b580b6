/* door_target.h — what the door learns about the process that made a system call.
 *
 * The target is another, possibly hostile, process. Its memory is read with
 * process_vm_readv, never further than asked and never across a page the target may
 * not have (a name is read page by page up to its NUL). Its credentials come from
 * /proc/PID/status. Nothing here knows whether the pid still names the caller: the
 * door checks that (SECCOMP_IOCTL_NOTIF_ID_VALID) after every read. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { MQFS_TARGET_GROUPS_MAX = 65536 };

/* Reads exactly len bytes at addr in pid. 0, -EFAULT when any of it is not mapped
 * (or the process is gone: -ESRCH), -errno otherwise. */
int mqfs_target_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Reads the NUL-terminated string at addr into buf (size bytes, NUL included). Returns
 * its length; -ENAMETOOLONG when no NUL is within size bytes; -EFAULT when the memory up
 * to the NUL is not all mapped. Never reads past the page that holds the NUL. */
ssize_t mqfs_target_read_string(pid_t pid, uint64_t addr, char *buf, size_t size);

/* The ids the kernel would check a file operation of the target with. */
struct mqfs_target_creds {
        uid_t fsuid;
        gid_t fsgid;
        mode_t umask;
        size_t ngroups;
        gid_t *groups; /* malloc()ed, NULL when ngroups is 0 */
};

/* Parses the text of /proc/PID/status (NUL-terminated): the 4th "Uid:" and "Gid:"
 * fields, "Umask:" (octal) and "Groups:". 0, -EINVAL when a line is missing or
 * malformed, -ENOMEM. */
int mqfs_target_parse_status(const char *text, struct mqfs_target_creds *out);

/* Reads /proc/PID/status (proc_fd: a descriptor of /proc) and parses it. 0 or -errno
 * (-ESRCH when the process is gone). */
int mqfs_target_creds(int proc_fd, pid_t pid, struct mqfs_target_creds *out);
void mqfs_target_creds_clear(struct mqfs_target_creds *c);

/* Only the fs ids of thread tid, from a pidfd (PIDFD_GET_INFO, Linux 6.13 and later):
 * three system calls where reading /proc/PID/status costs about 15 us, most of an open.
 * 0, -EOPNOTSUPP when the kernel lacks it (use mqfs_target_creds), -ESRCH when gone. */
int mqfs_target_fsids(pid_t tid, uid_t *fsuid, gid_t *fsgid);
