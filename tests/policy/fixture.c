/* fixture.c — see fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { MAX_DIRS = 64 };
static struct fx_dir *live_dirs[MAX_DIRS];

struct fx_dir *fx_dir_new(void)
{
        struct fx_dir *d = calloc(1, sizeof(*d));
        assert_non_null(d);
        size_t slot = 0;
        while (slot < MAX_DIRS && live_dirs[slot])
                slot++;
        assert_true(slot < MAX_DIRS);
        live_dirs[slot] = d;
        const char *tmp = getenv("TMPDIR");
        int n = snprintf(d->path, sizeof(d->path), "%s/mqfs-h2-XXXXXX",
                         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
        assert_true(n > 0 && (size_t)n < sizeof(d->path));
        if (!mkdtemp(d->path))
                fail_msg("mkdtemp %s: %s", d->path, strerror(errno));
        return d;
}

const char *fx_write(struct fx_dir *d, const char *name, const char *text)
{
        assert_true(d->nfiles < FX_MAX_FILES);
        assert_null(strchr(name, '/'));
        char *path;
        assert_true(asprintf(&path, "%s/%s", d->path, name) > 0);
        /* Rewriting a file keeps one entry. */
        bool known = false;
        for (size_t i = 0; i < d->nfiles; i++)
                if (strcmp(d->files[i], path) == 0) {
                        free(path);
                        path = d->files[i];
                        known = true;
                }
        if (!known)
                d->files[d->nfiles++] = path;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        size_t len = strlen(text);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        assert_int_equal(close(fd), 0);
        return path;
}

void fx_dir_remove(struct fx_dir *d)
{
        if (!d)
                return;
        for (size_t i = 0; i < d->nfiles; i++) {
                unlink(d->files[i]);
                free(d->files[i]);
        }
        if (d->path[0])
                rmdir(d->path);
        for (size_t i = 0; i < MAX_DIRS; i++)
                if (live_dirs[i] == d)
                        live_dirs[i] = NULL;
        free(d);
}

int fx_cleanup_all(void)
{
        for (size_t i = 0; i < MAX_DIRS; i++)
                fx_dir_remove(live_dirs[i]);
        return 0;
}

struct mqfs_system *fx_load_system(struct fx_dir *d, const char *system_yaml)
{
        const char *path = fx_write(d, "system.yaml", system_yaml);
        struct mqfs_system *sys = NULL;
        char *error = NULL;
        int rc = mqfs_system_load(path, &sys, &error);
        if (rc)
                fail_msg("cannot load %s (%s): %s\n%s", path, strerror(-rc),
                         error ? error : "(no message)", system_yaml);
        free(error);
        return sys;
}

/* The parts of Debian 12's /usr/share/apparmor-features/features that the generated
 * profiles use: capabilities, files, mount rules, unix networking, profile domains. */
static const char minimal_features[] =
    "caps {mask {chown dac_override dac_read_search fowner fsetid kill setgid setuid "
    "setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock "
    "ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot "
    "sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control "
    "setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf "
    "checkpoint_restore\n}\n}\n"
    "mount {mask {mount umount pivot_root\n}\n}\n"
    "network_v8 {af_mask {unspec unix inet inet6 netlink packet\n}\n}\n"
    "file {mask {create read write exec append mmap_exec link lock\n}\n}\n"
    "domain {version {1.2\n}\nattach_conditions {xattr {yes\n}\n}\n"
    "computed_longest_left {yes\n}\npost_nnp_subset {yes\n}\nstack {yes\n}\n"
    "change_profile {yes\n}\nchange_onexec {yes\n}\nchange_hatv {yes\n}\n"
    "change_hat {yes\n}\n}\n"
    "policy {set_load {yes\n}\nversions {v8 {yes\n}\nv7 {yes\n}\nv6 {yes\n}\nv5 {yes\n}\n}\n}\n";

struct mqfs_apparmor_parser fx_parser(struct fx_dir *d)
{
        struct mqfs_apparmor_parser p = {
            .path = mqfs_apparmor_find_parser(),
            .features = mqfs_apparmor_find_features(),
        };
        if (!p.path)
                fail_msg("apparmor_parser is not installed (apt-get install apparmor): the "
                         "generated profiles cannot be proved to compile");
        if (!p.features)
                p.features = fx_write(d, "features", minimal_features);
        return p;
}

void fx_assert_compiles(const struct mqfs_apparmor_parser *p, const char *text, const char *what)
{
        char *diag = NULL;
        int rc = mqfs_apparmor_compile(p, text, &diag);
        if (rc)
                fail_msg("%s does not compile with %s -Q -K -M %s (%s):\n%s\n--- profile ---\n%s",
                         what, p->path, p->features, strerror(-rc), diag ? diag : "", text);
        free(diag);
}

size_t fx_count(const char *haystack, const char *needle)
{
        size_t n = 0, len = strlen(needle);
        for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += len)
                n++;
        return n;
}

char *fx_concat(const char *a, const char *b)
{
        char *s;
        assert_true(asprintf(&s, "%s%s", a ? a : "", b ? b : "") >= 0);
        return s;
}

static char *slurp_fd(int fd)
{
        off_t size = lseek(fd, 0, SEEK_END);
        assert_true(size >= 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        char *buf = malloc((size_t)size + 1);
        assert_non_null(buf);
        size_t got = 0;
        while (got < (size_t)size) {
                ssize_t n = read(fd, buf + got, (size_t)size - got);
                assert_true(n > 0);
                got += (size_t)n;
        }
        buf[got] = '\0';
        return buf;
}

static int scratch_fd(void)
{
        int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
                char name[] = "/tmp/mqfs-h2-out-XXXXXX";
                fd = mkostemp(name, O_CLOEXEC);
                assert_true(fd >= 0);
                unlink(name);
        }
        return fd;
}

void fx_run(char *const argv[], struct fx_run *r)
{
        int out = scratch_fd(), err = scratch_fd();
        posix_spawn_file_actions_t fa;
        assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
        assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
        assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out, 1), 0);
        assert_int_equal(posix_spawn_file_actions_adddup2(&fa, err, 2), 0);
        pid_t pid;
        int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc)
                fail_msg("cannot run %s: %s", argv[0], strerror(rc));
        int status;
        while (waitpid(pid, &status, 0) < 0)
                assert_int_equal(errno, EINTR);
        r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r->out = slurp_fd(out);
        r->err = slurp_fd(err);
        close(out);
        close(err);
}

void fx_run_free(struct fx_run *r)
{
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}
