/* snapd_fixture.c — see snapd_fixture.h. */
#include "snapd_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("snapd fixture: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        abort();
}

char *snapd_fixture_path(const char *root, const char *rel)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", root, rel) < 0)
                die("out of memory");
        return p;
}

/* mkdir -p of root/rel. */
static void make_dirs(const char *root, const char *rel)
{
        char *p = snapd_fixture_path(root, rel);
        for (char *s = p + strlen(root) + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        die("mkdir %s: %s", p, strerror(errno));
                *s = c;
                if (c == '\0')
                        break;
        }
        free(p);
}

static void write_text(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t len = strlen(text);
        if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0)
                die("write %s: %s", path, strerror(errno));
}

char *snapd_fixture_root(void)
{
        const char *tmp = getenv("TMPDIR");
        char *root = NULL;
        if (asprintf(&root, "%s/mqfs-snapd-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                die("out of memory");
        if (mkdtemp(root) == NULL)
                die("mkdtemp %s: %s", root, strerror(errno));
        make_dirs(root, "var/lib/snapd/assertions/asserts-v0/snap-declaration/16");
        make_dirs(root, "snap");
        return root;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
                die("remove %s: %s", path, strerror(errno));
        return 0;
}

void snapd_fixture_remove(const char *root)
{
        if (root != NULL && nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                die("remove %s: %s", root, strerror(errno));
}

void snapd_fixture_snap(const char *root, const char *instance, const char *revision,
                        const char *snap_yaml)
{
        char *rel = NULL, *path = NULL, *link = NULL, *tmp = NULL;
        if (asprintf(&rel, "snap/%s/%s/meta", instance, revision) < 0)
                die("out of memory");
        make_dirs(root, rel);
        if (asprintf(&path, "%s/%s/snap.yaml", root, rel) < 0 ||
            asprintf(&link, "%s/snap/%s/current", root, instance) < 0 ||
            asprintf(&tmp, "%s/snap/%s/.current.tmp", root, instance) < 0)
                die("out of memory");
        if (snap_yaml != NULL)
                write_text(path, snap_yaml);
        unlink(tmp);
        if (symlink(revision, tmp) < 0 || rename(tmp, link) < 0)
                die("symlink %s: %s", link, strerror(errno));
        free(rel);
        free(path);
        free(link);
        free(tmp);
}

void snapd_fixture_declaration(const char *root, const char *snap_id, const char *snap_name,
                               const char *publisher, const char *slots_rule)
{
        char *rel = NULL, *path = NULL, *text = NULL, *slots = NULL;
        if (asprintf(&rel, "var/lib/snapd/assertions/asserts-v0/snap-declaration/16/%s", snap_id) <
            0)
                die("out of memory");
        make_dirs(root, rel);
        if (slots_rule != NULL &&
            asprintf(&slots, "slots:\n  posix-mq:\n    allow-installation: %s\n", slots_rule) < 0)
                die("out of memory");
        /* An assertion: headers, a blank line, then the signature (no body). */
        if (asprintf(&path, "%s/%s/active", root, rel) < 0 ||
            asprintf(&text,
                     "type: snap-declaration\n"
                     "authority-id: canonical\n"
                     "revision: 2\n"
                     "series: 16\n"
                     "snap-id: %s\n"
                     "plugs:\n"
                     "  network-control:\n"
                     "    allow-auto-connection: true\n"
                     "publisher-id: %s\n"
                     "%s"
                     "snap-name: %s\n"
                     "timestamp: 2024-01-15T10:00:00.000000Z\n"
                     "sign-key-sha3-384: "
                     "BWDEoaqyr25nF5SNCvEv2v7QnM9QsfCc0PBMYD_i2NGSQ32EF2d4D0hqUel3m8ul\n"
                     "\n"
                     "AcLBUgQAAQoABgUCZaUDgAAAKpsQAK1x0fixturesignature0000000000000000000000\n"
                     "Zm9yIHRlc3RzIG9ubHk=\n",
                     snap_id, publisher, slots ? slots : "", snap_name) < 0)
                die("out of memory");
        write_text(path, text);
        free(rel);
        free(path);
        free(text);
        free(slots);
}

void snapd_fixture_state(const char *root, const char *json, bool in_place)
{
        char *path = snapd_fixture_path(root, "var/lib/snapd/state.json");
        char *tmp = snapd_fixture_path(root, "var/lib/snapd/state.json.XXXXXX");
        if (in_place) {
                write_text(path, json);
        } else {
                int fd = mkostemp(tmp, O_CLOEXEC);
                size_t len = strlen(json);
                if (fd < 0 || write(fd, json, len) != (ssize_t)len || fchmod(fd, 0600) < 0 ||
                    close(fd) < 0 || rename(tmp, path) < 0)
                        die("write %s: %s", path, strerror(errno));
        }
        free(path);
        free(tmp);
}
