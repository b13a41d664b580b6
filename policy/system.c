/* system.c — being written: every function of system.h is present so that others can
 * link; loading and resolution follow. */
#include "system.h"

#include <errno.h>
#include <stdlib.h>

int mqfs_system_load(const char *path, struct mqfs_system **out, char **error)
{
        (void)path, (void)out;
        if (error)
                *error = NULL;
        return -ENOSYS;
}

int mqfs_system_load_buffer(const char *buf, size_t len, const char *base_dir, const char *origin,
                            struct mqfs_system **out, char **error)
{
        (void)buf, (void)len, (void)base_dir, (void)origin, (void)out;
        if (error)
                *error = NULL;
        return -ENOSYS;
}

void mqfs_system_free(struct mqfs_system *sys)
{
        free(sys);
}

const struct mqfs_system_snap *mqfs_system_snap(const struct mqfs_system *sys, const char *name)
{
        (void)sys, (void)name;
        return NULL;
}

const struct mqfs_connection *mqfs_system_plug_conns(const struct mqfs_system *sys,
                                                     const char *snap, size_t *count)
{
        (void)sys, (void)snap;
        *count = 0;
        return NULL;
}

int mqfs_system_grants(const struct mqfs_system *sys, struct mqfs_grants **out)
{
        (void)sys, (void)out;
        return -ENOSYS;
}
