/* snapyaml.c — being written: every function of snapyaml.h is present so that others
 * can link; the parser itself follows. */
#include "snapyaml.h"

#include <errno.h>
#include <stdlib.h>

int mqfs_snap_yaml_parse(const char *buf, size_t len, const char *origin,
                         struct mqfs_snap_yaml **out, char **error)
{
        (void)buf, (void)len, (void)origin, (void)out;
        if (error)
                *error = NULL;
        return -ENOSYS;
}

int mqfs_snap_yaml_load(const char *path, struct mqfs_snap_yaml **out, char **error)
{
        (void)path, (void)out;
        if (error)
                *error = NULL;
        return -ENOSYS;
}

int mqfs_snap_yaml_from_node(yaml_document_t *doc, yaml_node_t *node, const char *origin,
                             struct mqfs_snap_yaml **out, char **error)
{
        (void)doc, (void)node, (void)origin, (void)out;
        if (error)
                *error = NULL;
        return -ENOSYS;
}

void mqfs_snap_yaml_free(struct mqfs_snap_yaml *snap)
{
        free(snap);
}

char *mqfs_snap_yaml_report(const struct mqfs_snap_yaml *snap)
{
        (void)snap;
        return NULL;
}

const struct mqfs_plug *mqfs_snap_yaml_plug(const struct mqfs_snap_yaml *snap, const char *name)
{
        (void)snap, (void)name;
        return NULL;
}

const struct mqfs_slot *mqfs_snap_yaml_slot(const struct mqfs_snap_yaml *snap, const char *name)
{
        (void)snap, (void)name;
        return NULL;
}
