/* aaload.c — writing generated profiles to a directory and, when the kernel runs
 * AppArmor, compiling and loading them. */
#include "aaload.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aaparser.h"
#include "escape.h"
#include "qname.h"

extern char **environ;

int mqfs_aa_status_decide(struct mqfs_aa_status *st, bool enabled, const char *features_dir)
{
        *st = (struct mqfs_aa_status){.enabled = false};
        if (!enabled)
                return 0;
        if (!features_dir || !*features_dir || strlen(features_dir) >= sizeof(st->features))
                return -EINVAL;
        int dirfd = open(features_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        struct stat sb;
        st->enabled = true;
        st->mqueue_mediated = fstatat(dirfd, "ipc/posix_mqueue", &sb, 0) == 0;
        strcpy(st->features, features_dir);
        close(dirfd);
        return 0;
}

int mqfs_aa_status_read(struct mqfs_aa_status *st)
{
        *st = (struct mqfs_aa_status){.enabled = false};
        if (aa_is_enabled() != 1)
                return 0; /* errno says why (ENOSYS: not built in, EPERM: not booted, ...) */
        char *mnt = NULL;
        if (aa_find_mountpoint(&mnt) != 0)
                return -errno;
        char dir[PATH_MAX];
        int n = snprintf(dir, sizeof(dir), "%s/features", mnt);
        free(mnt);
        if (n < 0 || (size_t)n >= sizeof(dir))
                return -ENAMETOOLONG;
        return mqfs_aa_status_decide(st, true, dir);
}

static bool profile_name_ok(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 255 || name[0] == '.')
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-") ==
               n;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
        va_list ap;
        char *out = NULL;
        va_start(ap, fmt);
        if (vasprintf(&out, fmt, ap) < 0)
                out = NULL;
        va_end(ap);
        return out;
}

static int mkdir_parents(const char *dir)
{
        char path[PATH_MAX];
        if (strlen(dir) >= sizeof(path))
                return -ENAMETOOLONG;
        strcpy(path, dir);
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0755) != 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
                return -errno;
        struct stat sb;
        if (stat(path, &sb) != 0)
                return -errno;
        return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
}

/* DIR/NAME holds text, or nothing changed. Never follows a link at DIR/.NAME.tmp. */
static int write_profile(int dirfd, const char *name, const char *text)
{
        char tmp[300];
        snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        (void)unlinkat(dirfd, tmp, 0);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int rc = 0;
        size_t len = strlen(text);
        for (const char *p = text; len > 0 && rc == 0;) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno != EINTR)
                        rc = -errno;
                if (n > 0) {
                        p += n;
                        len -= (size_t)n;
                }
        }
        if (rc == 0 && fchmod(fd, 0644) != 0) /* whatever the umask was */
                rc = -errno;
        if (rc == 0 && fsync(fd) != 0)
                rc = -errno;
        if (close(fd) != 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
                rc = -errno;
        if (rc)
                (void)unlinkat(dirfd, tmp, 0);
        return rc;
}

/* Runs PARSER -Q -K -M FEATURES -o OUT IN; 0, -EINVAL (it refused; *diag gets its stderr
 * or NULL), or -errno when it could not be run. */
static int compile_to(const char *parser, const char *features, const char *in, const char *out,
                      char **diag)
{
        *diag = NULL;
        char errpath[] = "/tmp/mqfs-aaload-XXXXXX";
        int errfd = mkostemp(errpath, O_CLOEXEC);
        if (errfd < 0)
                return -errno;
        unlink(errpath);
        posix_spawn_file_actions_t actions;
        int rc = -posix_spawn_file_actions_init(&actions);
        if (rc) {
                close(errfd);
                return rc;
        }
        rc = -posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (!rc)
                rc = -posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                                       O_WRONLY, 0);
        if (!rc)
                rc = -posix_spawn_file_actions_adddup2(&actions, errfd, STDERR_FILENO);
        char *argv[] = {(char *)parser, "-Q",        "-K",       "-M", (char *)features,
                        "-o",           (char *)out, (char *)in, NULL};
        pid_t pid;
        if (!rc)
                rc = -posix_spawn(&pid, parser, &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (!rc) {
                int status = 0;
                pid_t waited;
                while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                        ;
                if (waited < 0)
                        rc = -errno;
                else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                        rc = 0;
                else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                        rc = -ENOEXEC;
                else
                        rc = -EINVAL;
        }
        if (rc == -EINVAL) {
                char buf[2048];
                ssize_t n = pread(errfd, buf, sizeof(buf) - 1, 0);
                if (n > 0)
                        *diag = mqfs_escape(buf, (size_t)n);
        }
        close(errfd);
        return rc;
}

static int kernel_load(const char *binary_path, void *ctx)
{
        (void)ctx;
        aa_kernel_interface *ki = NULL;
        if (aa_kernel_interface_new(&ki, NULL, NULL) != 0)
                return -errno;
        int rc = aa_kernel_interface_replace_policy_from_file(ki, AT_FDCWD, binary_path) == 0
                     ? 0
                     : -errno;
        aa_kernel_interface_unref(ki);
        return rc;
}

/* Compiles DIR/NAME to DIR/NAME.bin and loads it. 0, or -errno and *message. */
static int load_one(const struct mqfs_aa_status *st, const char *dir, const char *name,
                    const struct mqfs_aa_install_options *o, char **message)
{
        const char *parser = o->parser ? o->parser : mqfs_apparmor_find_parser();
        if (!parser) {
                *message = format("cannot load the AppArmor profile %s: no apparmor_parser "
                                  "found (install the apparmor package)",
                                  name);
                return -ENOENT;
        }
        char src[PATH_MAX], bin[PATH_MAX];
        if (snprintf(src, sizeof(src), "%s/%s", dir, name) >= (int)sizeof(src) ||
            snprintf(bin, sizeof(bin), "%s/%s.bin", dir, name) >= (int)sizeof(bin)) {
                *message = format("cannot load the AppArmor profile %s: the directory %s is "
                                  "too long (give a shorter --dir)",
                                  name, dir);
                return -ENAMETOOLONG;
        }
        char *diag = NULL;
        int rc = compile_to(parser, st->features, src, bin, &diag);
        if (rc) {
                *message = format("cannot compile the AppArmor profile %s with %s: %s%s%s "
                                  "(the profile is in %s)",
                                  name, parser, rc == -EINVAL ? "it refused it" : strerror(-rc),
                                  diag ? ": " : "", diag ? diag : "", src);
                free(diag);
                return rc;
        }
        rc = (o->load ? o->load : kernel_load)(bin, o->load_ctx);
        if (rc)
                *message = format("cannot load the AppArmor profile %s (%s) into the kernel: %s "
                                  "(run as root, or load it with apparmor_parser -r %s)",
                                  name, bin, strerror(-rc), src);
        return rc;
}

int mqfs_aa_install(const struct mqfs_aa_status *st, const struct mqfs_aa_profile *profiles,
                    size_t nprofiles, const struct mqfs_aa_install_options *opts, char **message)
{
        static const struct mqfs_aa_install_options no_options = {.dir = NULL};
        const struct mqfs_aa_install_options *o = opts ? opts : &no_options;
        const char *dir = o->dir ? o->dir : MQFS_AA_DEFAULT_DIR;

        *message = NULL;
        for (size_t i = 0; i < nprofiles; i++) {
                if (!profile_name_ok(profiles[i].name) || !profiles[i].text) {
                        char *shown = profiles[i].name
                                          ? mqfs_escape(profiles[i].name, strlen(profiles[i].name))
                                          : NULL;
                        *message = format("cannot install an AppArmor profile named \"%s\": a "
                                          "name is 1..255 bytes of A-Z a-z 0-9 . _ + - and does "
                                          "not start with '.'",
                                          shown ? shown : "(none)");
                        free(shown);
                        return -EINVAL;
                }
        }
        if (dir[0] != '/') {
                *message =
                    format("cannot write AppArmor profiles to %s: give an absolute path", dir);
                return -EINVAL;
        }
        int rc = mkdir_parents(dir);
        if (rc) {
                *message = format("cannot create the AppArmor profile directory %s: %s (check "
                                  "the path and its permissions, or give another --dir)",
                                  dir, strerror(-rc));
                return rc;
        }
        int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                rc = -errno;
                *message =
                    format("cannot open the AppArmor profile directory %s: %s", dir, strerror(-rc));
                return rc;
        }
        for (size_t i = 0; i < nprofiles && rc == 0; i++) {
                rc = write_profile(dirfd, profiles[i].name, profiles[i].text);
                if (rc)
                        *message = format("cannot write the AppArmor profile %s to %s: %s (check "
                                          "the directory's permissions and free space)",
                                          profiles[i].name, dir, strerror(-rc));
        }
        close(dirfd);
        for (size_t i = 0; i < nprofiles && rc == 0 && st->enabled; i++)
                rc = load_one(st, dir, profiles[i].name, o, message);
        if (rc)
                return rc;
        if (!st->enabled)
                *message = format("AppArmor is not enabled: profiles written to %s; the broker "
                                  "enforces the posix-mq rules",
                                  dir);
        else
                *message = format("AppArmor is enabled: %zu profile%s loaded (texts in %s); the "
                                  "kernel %s",
                                  nprofiles, nprofiles == 1 ? "" : "s", dir,
                                  st->mqueue_mediated
                                      ? "mediates POSIX message queues as well as the broker"
                                      : "does not mediate POSIX message queues: the broker "
                                        "enforces the posix-mq rules");
        return *message ? 0 : -ENOMEM;
}
