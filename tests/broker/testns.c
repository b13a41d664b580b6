#include "testns.h"

#include <mqueue.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backing.h"

char mqfs_test_kernel_dir[64];
char mqfs_test_scratch_dir[64];
static int kernel_dir_made;

/* Existing directories the test may cover, in its own mount namespace only, with a
 * tmpfs of its own: whatever it makes there vanishes with the test, even when it is
 * killed, and nothing on the host is hidden from other tools (valgrind keeps files in
 * /tmp, so /tmp is left alone). */
static const char *const cover_candidates[] = {"/srv", "/media", "/mnt", "/opt"};

static void die(const char *what)
{
        fprintf(stderr,
                "FATAL: %s: %s\nBroker tests must run as root and be able to create private "
                "IPC and mount namespaces (unshare -im); they never run on the host's "
                "queues.\n",
                what, strerror(errno));
        exit(1);
}

static void leave_world(void)
{
        if (!kernel_dir_made)
                return;
        mqfs_test_remove_all_queues();
        umount2(mqfs_test_kernel_dir, MNT_DETACH);
        kernel_dir_made = 0;
}

void mqfs_test_private_world(void)
{
        if (geteuid() != 0) {
                errno = EPERM;
                die("not root");
        }
        if (unshare(CLONE_NEWIPC | CLONE_NEWNS) != 0)
                die("unshare(CLONE_NEWIPC | CLONE_NEWNS)");
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
                die("making / private");
        const char *cover = NULL;
        for (size_t i = 0; i < sizeof(cover_candidates) / sizeof(*cover_candidates); i++) {
                struct stat st;
                if (stat(cover_candidates[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        cover = cover_candidates[i];
                        break;
                }
        }
        if (cover == NULL) {
                errno = ENOENT;
                die("no directory to cover with a private tmpfs (/srv, /media, /mnt, /opt)");
        }
        if (mount("tmpfs", cover, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
                die("mounting a private tmpfs");
        snprintf(mqfs_test_scratch_dir, sizeof(mqfs_test_scratch_dir), "%s/scratch", cover);
        snprintf(mqfs_test_kernel_dir, sizeof(mqfs_test_kernel_dir), "%s/mqueue", cover);
        if (mkdir(mqfs_test_scratch_dir, 01777) != 0 || chmod(mqfs_test_scratch_dir, 01777) != 0 ||
            mkdir(mqfs_test_kernel_dir, 0755) != 0)
                die("making the test's directories");
        if (mount("mqueue", mqfs_test_kernel_dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  NULL) != 0)
                die("mounting the test's mqueue filesystem");
        kernel_dir_made = 1;
        atexit(leave_world);
}

static void kernel_path(const char *name, char *path, size_t size)
{
        snprintf(path, size, "%s/%s", mqfs_test_kernel_dir, name + 1);
}

int mqfs_test_kernel_status(const char *name, char *buf, size_t size)
{
        char path[512];
        kernel_path(name, path, sizeof(path));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        int err = n < 0 ? -errno : 0;
        close(fd);
        if (err < 0)
                return err;
        buf[n] = '\0';
        return (int)n;
}

int mqfs_test_kernel_stat(const char *name, struct stat *st)
{
        char path[512];
        kernel_path(name, path, sizeof(path));
        return stat(path, st) == 0 ? 0 : -errno;
}

void mqfs_test_remove_all_queues(void)
{
        DIR *d = opendir(mqfs_test_kernel_dir);
        if (d == NULL)
                return;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (de->d_name[0] == '.')
                        continue;
                unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

/* Runs fn in a child that has become caller; returns what fn returned (0 or -errno). */
static int run_as(const struct mqfs_caller *caller, int (*fn)(const void *), const void *arg)
{
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (setgroups(caller->ngroups, caller->groups) != 0 ||
                    setresgid(caller->gid, caller->gid, caller->gid) != 0 ||
                    setresuid(caller->uid, caller->uid, caller->uid) != 0)
                        _exit(255);
                umask(0);
                _exit(-fn(arg));
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 255)
                return -ECHILD;
        return -WEXITSTATUS(status);
}

struct open_args {
        const char *name;
        int oflag;
        mode_t mode;
        const struct mq_attr *attr;
};

static int do_open(const void *p)
{
        const struct open_args *a = p;
        mqd_t q = mq_open(a->name, a->oflag, a->mode, a->attr);
        if (q == (mqd_t)-1)
                return -errno;
        mq_close(q);
        return 0;
}

static int do_unlink(const void *p)
{
        return mq_unlink(p) == 0 ? 0 : -errno;
}

int mqfs_test_kernel_open_as(const struct mqfs_caller *caller, const char *name, int oflag,
                             mode_t mode, const struct mq_attr *attr)
{
        struct open_args a = {name, oflag, mode, attr};
        return run_as(caller, do_open, &a);
}

int mqfs_test_kernel_unlink_as(const struct mqfs_caller *caller, const char *name)
{
        return run_as(caller, do_unlink, name);
}

int mqfs_test_write_sysctl(const char *key, long value)
{
        char path[128];
        snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", key);
        FILE *f = fopen(path, "we");
        if (f == NULL)
                return -errno;
        int ok = fprintf(f, "%ld\n", value) > 0;
        if (fclose(f) != 0)
                ok = 0;
        return ok ? 0 : -EIO;
}

long mqfs_test_read_sysctl(const char *key)
{
        char path[128];
        snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", key);
        FILE *f = fopen(path, "re");
        if (f == NULL)
                return -errno;
        long v = -1;
        if (fscanf(f, "%ld", &v) != 1)
                v = -EIO;
        fclose(f);
        return v;
}

int mqfs_test_make_queue(const char *name, mode_t mode, const struct mq_attr *attr)
{
        mode_t old = umask(0);
        mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, mode, attr);
        int err = q == (mqd_t)-1 ? -errno : 0;
        umask(old);
        if (q != (mqd_t)-1)
                mq_close(q);
        return err;
}

int mqfs_test_broker_new(struct mqfs_broker **out)
{
        int fd = mqfs_backing_open();
        if (fd < 0)
                return fd;
        return mqfs_broker_new(fd, NULL, out);
}
