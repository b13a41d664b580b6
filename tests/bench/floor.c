/* mqfs_bench_floor — FUSE's own floor: a filesystem that does no work.
 *
 *   mqfs_bench_floor MOUNTPOINT
 *
 * Answers the operations the benchmark times (lookup, getattr, open, read, write,
 * readdir, create, unlink) at once with fixed data, so that what a request costs here is
 * the FUSE round trip and nothing else: libfuse's low-level API, its single-threaded
 * loop (as mqfsd uses), and no caching at all (entry and attribute timeouts 0).
 *
 * The tree is flat: every name in the root is a regular file (mode 0666, empty), except
 * "lN" (N a decimal number), a directory listing N files named l-00000, l-00001, ...,
 * and "c-K" (K < 64), which exists only between its create and its unlink (one bit of
 * state each, so that create+unlink runs the same requests as on a real filesystem).
 * Open files get the same flags mqfsd gives its queue files (direct_io: every read and
 * write reaches the daemon; noflush: close sends no FLUSH), so the two pay the same
 * kernel paths. A read gives a status line like the kernel's; a write accepts all bytes.
 *
 * Mounted with allow_other (the benchmark measures as an unprivileged user) and without
 * default_permissions, as mqfsd is.
 * Runs in the foreground until unmounted or sent SIGTERM/SIGINT. Exit 0, or 1 when it
 * cannot mount. */
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Directory inodes carry the bit below plus their entry count; file inodes are a hash
 * of the name with that bit clear (collisions are harmless: nothing is stored). */
#define DIR_BIT   (UINT64_C(1) << 40)
#define NAME_MASK ((UINT64_C(1) << 39) - 1)

enum { LIST_MAX = 1000000, CREATED_MAX = 64 };

static bool created[CREATED_MAX];

static const char STATUS[] = "QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n";

static struct timespec born;

static uint64_t name_ino(const char *name)
{
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * UINT64_C(1099511628211);
        return 2 + (h & NAME_MASK);
}

/* "lN" with 0 <= N <= LIST_MAX: a listing directory of N entries. */
static bool list_dir(const char *name, uint64_t *count)
{
        if (name[0] != 'l' || name[1] < '0' || name[1] > '9')
                return false;
        char *end;
        unsigned long long n = strtoull(name + 1, &end, 10);
        if (*end != '\0' || n > LIST_MAX)
                return false;
        *count = n;
        return true;
}

/* "c-K" with K < CREATED_MAX: its slot in created[], else -1. */
static int created_slot(const char *name)
{
        if (strncmp(name, "c-", 2) != 0 || name[2] < '0' || name[2] > '9')
                return -1;
        char *end;
        unsigned long k = strtoul(name + 2, &end, 10);
        return *end == '\0' && k < CREATED_MAX ? (int)k : -1;
}

static void fill_attr(uint64_t ino, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = ino;
        if (ino == FUSE_ROOT_ID || (ino & DIR_BIT)) {
                st->st_mode = S_IFDIR | 01777;
                st->st_nlink = 2;
        } else {
                st->st_mode = S_IFREG | 0666;
                st->st_nlink = 1;
        }
        st->st_atim = st->st_mtim = st->st_ctim = born;
}

static void reply_entry(fuse_req_t req, uint64_t ino)
{
        struct fuse_entry_param e;

        memset(&e, 0, sizeof(e));
        e.ino = ino;
        fill_attr(ino, &e.attr);
        e.attr_timeout = 0;
        e.entry_timeout = 0;
        fuse_reply_entry(req, &e);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        (void)userdata;
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE; /* as mqfsd: each write() arrives whole */
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        uint64_t count;
        int slot = created_slot(name);

        if (parent == FUSE_ROOT_ID && list_dir(name, &count))
                reply_entry(req, DIR_BIT | count);
        else if (slot >= 0 && !created[slot])
                fuse_reply_err(req, ENOENT);
        else
                reply_entry(req, name_ino(name));
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
        (void)ino, (void)nlookup;
        fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        (void)count, (void)forgets;
        fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct stat st;

        (void)fi;
        fill_attr(ino, &st);
        fuse_reply_attr(req, &st, 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
        (void)attr, (void)to_set;
        op_getattr(req, ino, fi);
}

static void file_flags(struct fuse_file_info *fi)
{
        fi->direct_io = 1;
        fi->keep_cache = 0;
        fi->noflush = 1;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        if (ino & DIR_BIT) {
                fuse_reply_err(req, EISDIR);
                return;
        }
        file_flags(fi);
        fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
        size_t len = sizeof(STATUS) - 1;

        (void)ino, (void)fi;
        if (off < 0 || (size_t)off >= len) {
                fuse_reply_buf(req, NULL, 0);
                return;
        }
        size_t n = len - (size_t)off;
        fuse_reply_buf(req, STATUS + off, n < size ? n : size);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
        (void)ino, (void)buf, (void)off, (void)fi;
        fuse_reply_write(req, size);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)ino, (void)fi;
        fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        if (ino != FUSE_ROOT_ID && !(ino & DIR_BIT)) {
                fuse_reply_err(req, ENOTDIR);
                return;
        }
        fuse_reply_open(req, fi);
}

/* Entries are made up from their offset: ".", "..", then l-00000... */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        uint64_t count = (ino & DIR_BIT) ? ino & ~DIR_BIT : 0;
        char *buf = malloc(size ? size : 1);
        size_t used = 0;

        (void)fi;
        if (!buf) {
                fuse_reply_err(req, ENOMEM);
                return;
        }
        for (uint64_t i = off < 0 ? 0 : (uint64_t)off; i < count + 2; i++) {
                char name[32];
                struct stat st = {.st_mode = S_IFREG};
                if (i < 2) {
                        snprintf(name, sizeof(name), "%s", i == 0 ? "." : "..");
                        st.st_ino = i == 0 ? ino : FUSE_ROOT_ID;
                        st.st_mode = S_IFDIR;
                } else {
                        snprintf(name, sizeof(name), "l-%05llu", (unsigned long long)(i - 2));
                        st.st_ino = name_ino(name);
                }
                size_t need =
                    fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)(i + 1));
                if (need > size - used)
                        break;
                used += need;
        }
        fuse_reply_buf(req, buf, used);
        free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)ino, (void)fi;
        fuse_reply_err(req, 0);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
        struct fuse_entry_param e;
        int slot = created_slot(name);

        (void)parent, (void)mode;
        if (slot >= 0)
                created[slot] = true;
        memset(&e, 0, sizeof(e));
        e.ino = name_ino(name);
        fill_attr(e.ino, &e.attr);
        file_flags(fi);
        fuse_reply_create(req, &e, fi);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        int slot = created_slot(name);

        (void)parent;
        if (slot >= 0)
                created[slot] = false;
        fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops floor_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .create = op_create,
    .unlink = op_unlink,
};

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: mqfs_bench_floor MOUNTPOINT\n");
                return 2;
        }
        clock_gettime(CLOCK_REALTIME, &born);
        char *fargv[] = {"mqfs_bench_floor", "-o", "fsname=floor,subtype=floor,allow_other", NULL};
        struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
        struct fuse_session *se = fuse_session_new(&args, &floor_ops, sizeof(floor_ops), NULL);
        int status = 1;

        fuse_opt_free_args(&args);
        if (!se) {
                fprintf(stderr, "mqfs_bench_floor: cannot start a FUSE session\n");
                return 1;
        }
        if (fuse_set_signal_handlers(se) != 0) {
                fprintf(stderr, "mqfs_bench_floor: cannot install signal handlers\n");
                goto out;
        }
        if (fuse_session_mount(se, argv[1]) != 0) {
                fprintf(stderr, "mqfs_bench_floor: cannot mount on %s\n", argv[1]);
                goto out_signals;
        }
        status = fuse_session_loop(se) < 0 ? 1 : 0;
        fuse_session_unmount(se);
out_signals:
        fuse_remove_signal_handlers(se);
out:
        fuse_session_destroy(se);
        return status;
}
