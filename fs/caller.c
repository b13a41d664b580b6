/* caller.c — who asks: the FUSE caller's credentials and supplementary groups, as the
 * broker takes them (struct mqfs_caller), and the log line of a refusal, worded from
 * the broker's verdict. The groups come from /proc (libfuse reads them: 16 us, more
 * than the rest of an open), so they are read only when a call needs them: at once
 * (mqfs_caller_full), or when the broker finds they could decide (mqfs_caller_lazy). */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "filesystem_internal.h"

void mqfs_caller_init(struct caller_buf *cb, fuse_req_t req, uid_t uid, gid_t gid, pid_t pid)
{
        cb->c = (struct mqfs_caller){
            .uid = uid,
            .gid = gid,
            .pid = pid,
            .verdict = &cb->v,
        };
        cb->v.perms = 0;
        cb->v.denial[0] = '\0';
        cb->req = req;
        cb->big = NULL;
        cb->groups_failed = false;
}

void mqfs_caller_plain(fuse_req_t req, struct caller_buf *cb)
{
        const struct fuse_ctx *ctx = fuse_req_ctx(req);

        mqfs_caller_init(cb, req, ctx->uid, ctx->gid, ctx->pid);
}

static int read_groups(struct caller_buf *cb)
{
        gid_t *list = cb->small;
        int size = (int)(sizeof(cb->small) / sizeof(cb->small[0]));

        cb->c.load_groups = NULL;
        for (;;) {
                int n = fuse_req_getgroups(cb->req, size, list);
                if (n < 0)
                        return n;
                if (n <= size) {
                        cb->c.ngroups = (size_t)n;
                        cb->c.groups = n ? list : NULL;
                        return 0;
                }
                /* More groups than room: grow and read again (they may change between
                 * the two reads, hence the loop). */
                free(cb->big);
                cb->big = malloc((size_t)n * sizeof(*cb->big));
                if (!cb->big)
                        return -ENOMEM;
                list = cb->big;
                size = n;
        }
}

int mqfs_caller_full(fuse_req_t req, struct caller_buf *cb)
{
        mqfs_caller_plain(req, cb);
        int err = read_groups(cb);
        cb->groups_failed = err != 0;
        return err;
}

static int load_groups(void *ctx)
{
        struct caller_buf *cb = ctx;

        if (read_groups(cb) == 0)
                return 0;
        cb->groups_failed = true;
        return -EACCES;
}

void mqfs_caller_lazy(fuse_req_t req, struct caller_buf *cb)
{
        mqfs_caller_plain(req, cb);
        cb->c.load_groups = load_groups;
        cb->c.load_ctx = cb;
}

void mqfs_caller_release(struct caller_buf *cb)
{
        free(cb->big);
        cb->big = NULL;
}

void mqfs_log_verdict(const struct mqfs_verdict *v, const char *snap, const char *queue,
                      const char *operation)
{
        if (v->denial[0] != '\0')
                mqfs_log_denial(snap, queue, operation, v->denial);
}

void mqfs_note_denial(const struct caller_buf *cb, const char *snap, const char *queue,
                      const char *operation)
{
        if (cb->groups_failed)
                mqfs_log_denial(snap, queue, operation,
                                "the caller's supplementary groups cannot be read");
        else
                mqfs_log_verdict(&cb->v, snap, queue, operation);
}
