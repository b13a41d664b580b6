/* aaparser.c — running the installed apparmor_parser: locating it, compiling a text
 * without loading it, and probing which rules it understands. */
#include "aaparser.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdio.h"

extern char **environ;

static bool is_executable_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static char parser_path[PATH_MAX];
static const char *parser_found;

static void find_parser_once(void)
{
        const char *env = getenv("PATH");
        for (const char *p = env ? env : ""; p && *p && !parser_found;) {
                size_t n = strcspn(p, ":");
                if (n > 0 && p[0] == '/' &&
                    snprintf(parser_path, sizeof(parser_path), "%.*s/apparmor_parser", (int)n, p) <
                        (int)sizeof(parser_path) &&
                    is_executable_file(parser_path))
                        parser_found = parser_path;
                p = p[n] ? p + n + 1 : NULL;
        }
        /* root's usual places, for callers whose PATH lacks the sbin directories */
        static const char *const dirs[] = {"/usr/sbin", "/sbin"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !parser_found; i++) {
                snprintf(parser_path, sizeof(parser_path), "%s/apparmor_parser", dirs[i]);
                if (is_executable_file(parser_path))
                        parser_found = parser_path;
        }
}

const char *mqfs_apparmor_find_parser(void)
{
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, find_parser_once);
        return parser_found;
}

const char *mqfs_apparmor_find_features(void)
{
        static const char *const candidates[] = {
            "/sys/kernel/security/apparmor/features",
            "/usr/share/apparmor-features/features",
        };
        for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
                if (access(candidates[i], R_OK) == 0)
                        return candidates[i];
        return NULL;
}

/* An unlinked temporary file, open read-write and close-on-exec. */
static int anon_tmpfile(void)
{
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir)
                dir = "/tmp";
        int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        char name[PATH_MAX];
        if (snprintf(name, sizeof(name), "%s/mqfs-aa-XXXXXX", dir) >= (int)sizeof(name))
                return -ENAMETOOLONG;
        fd = mkostemp(name, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        unlink(name);
        return fd;
}

static char *read_all(int fd)
{
        off_t size = lseek(fd, 0, SEEK_END);
        if (size < 0 || size > (1 << 20) || lseek(fd, 0, SEEK_SET) < 0)
                return NULL;
        char *buf = malloc((size_t)size + 1);
        if (!buf)
                return NULL;
        size_t got = 0;
        while (got < (size_t)size) {
                ssize_t n = read(fd, buf + got, (size_t)size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        buf[got] = '\0';
        return buf;
}

int mqfs_apparmor_compile(const struct mqfs_apparmor_parser *parser, const char *text,
                          char **diagnostics)
{
        int in = -1, err = -1, rc;
        posix_spawn_file_actions_t actions;
        bool actions_ready = false;

        if (diagnostics)
                *diagnostics = NULL;
        if (!parser || !parser->path || !parser->features || !text)
                return -EINVAL;
        in = anon_tmpfile();
        if (in < 0)
                return in;
        err = anon_tmpfile();
        if (err < 0) {
                rc = err;
                goto out;
        }
        rc = mqfs_write_all(in, text, strlen(text));
        if (rc)
                goto out;
        if (lseek(in, 0, SEEK_SET) < 0) {
                rc = -errno;
                goto out;
        }
        rc = -posix_spawn_file_actions_init(&actions);
        if (rc)
                goto out;
        actions_ready = true;
        rc = -posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
        if (!rc)
                rc = -posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                                       O_WRONLY, 0);
        if (!rc)
                rc = -posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
        if (rc)
                goto out;

        char *argv[] = {(char *)parser->path, "-Q", "-K", "-M", (char *)parser->features, NULL};
        pid_t pid;
        rc = -posix_spawn(&pid, parser->path, &actions, NULL, argv, environ);
        if (rc)
                goto out;
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        rc = -errno;
                        goto out;
                }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                rc = 0;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                rc = -ENOEXEC; /* the child could not run the parser */
        else
                rc = -EINVAL;
        if (diagnostics)
                *diagnostics = read_all(err);
out:
        if (actions_ready)
                posix_spawn_file_actions_destroy(&actions);
        if (err >= 0)
                close(err);
        close(in);
        return rc;
}

static const char *const probe_baseline = "profile mqfs-probe {\n  /dev/mqueue/ r,\n}\n";
static const char *const probe_mqueue =
    "profile mqfs-probe {\n  /dev/mqueue/ r,\n  mqueue type=posix,\n}\n";

static struct {
        pthread_mutex_t lock;
        char *path;
        char *features;
        int answer;
} probe_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int probe_uncached(const struct mqfs_apparmor_parser *parser)
{
        int rc = mqfs_apparmor_compile(parser, probe_baseline, NULL);
        if (rc == -EINVAL)
                return -EIO; /* the parser or the features file is broken: no answer */
        if (rc)
                return rc;
        rc = mqfs_apparmor_compile(parser, probe_mqueue, NULL);
        if (rc == 0)
                return 1;
        return rc == -EINVAL ? 0 : rc;
}

int mqfs_apparmor_probe_mqueue(const struct mqfs_apparmor_parser *parser)
{
        if (!parser || !parser->path || !parser->features)
                return -EINVAL;
        pthread_mutex_lock(&probe_cache.lock);
        int answer;
        if (probe_cache.path && strcmp(probe_cache.path, parser->path) == 0 &&
            strcmp(probe_cache.features, parser->features) == 0) {
                answer = probe_cache.answer;
        } else {
                answer = probe_uncached(parser);
                /* Only definite answers are kept: a failure to run may be transient. */
                if (answer >= 0) {
                        char *p = strdup(parser->path), *f = strdup(parser->features);
                        if (p && f) {
                                free(probe_cache.path);
                                free(probe_cache.features);
                                probe_cache.path = p;
                                probe_cache.features = f;
                                probe_cache.answer = answer;
                        } else {
                                free(p);
                                free(f);
                        }
                }
        }
        pthread_mutex_unlock(&probe_cache.lock);
        return answer;
}

/* So that leak checkers see a clean exit. */
__attribute__((destructor)) static void probe_cache_free(void)
{
        free(probe_cache.path);
        free(probe_cache.features);
        probe_cache.path = probe_cache.features = NULL;
}
