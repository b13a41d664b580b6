/* test_mqfsd_reload.c — what changed between grant tables, and the system.yaml watch
 * (fs/reload.h). Loading itself is the policy loader's, tested there and end to end
 * in test_mqfsd. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "grants.h"
#include "perm.h"
#include "reload.h"

static struct mqfs_grant_table *table(const char *const *spec)
{
        /* spec: "snap" (installed, no grant) or "snap /queue PERMS" (bits as a number) */
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        for (; *spec; spec++) {
                char snap[64], queue[64];
                unsigned perms;
                int n = sscanf(*spec, "%63s %63s %u", snap, queue, &perms);
                if (n == 1)
                        assert_int_equal(mqfs_grant_table_add_snap(g, snap), 0);
                else
                        assert_int_equal(mqfs_grant_table_add(g, snap, queue, perms), 0);
        }
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        return g;
}

struct changes {
        char lines[32][128];
        int n;
};

static void record(void *ctx, const char *snap, const char *queue, unsigned old_perms,
                   unsigned new_perms)
{
        struct changes *c = ctx;
        assert_true(c->n < 32);
        if (queue)
                snprintf(c->lines[c->n++], 128, "%s %s %u->%u", snap, queue, old_perms, new_perms);
        else
                snprintf(c->lines[c->n++], 128, "%s", snap);
}

enum { O = MQFS_PERM_OPEN, R = MQFS_PERM_READ, W = MQFS_PERM_WRITE };

static void test_diff(void **state)
{
        (void)state;
        char a1[32], a2[32], b1[32], b2[32], b3[32];
        snprintf(a1, sizeof(a1), "cons /keep %u", O | R);
        snprintf(a2, sizeof(a2), "cons /gone %u", O | R);
        snprintf(b1, sizeof(b1), "cons /keep %u", O | R);
        snprintf(b2, sizeof(b2), "cons /new %u", O | W);
        snprintf(b3, sizeof(b3), "prov /p %u", O);
        const char *old_spec[] = {a1, a2, "removed", "same", NULL};
        const char *new_spec[] = {b1, b2, b3, "same", NULL};
        struct mqfs_grant_table *old = table(old_spec), *new = table(new_spec);
        struct changes c = {.n = 0};

        mqfs_grant_table_diff(old, new, record, &c);
        assert_int_equal(c.n, 5);
        assert_string_equal(c.lines[0], "cons /gone 3->0");
        assert_string_equal(c.lines[1], "cons /new 0->5");
        assert_string_equal(c.lines[2], "prov"); /* installed */
        assert_string_equal(c.lines[3], "prov /p 0->1");
        assert_string_equal(c.lines[4], "removed"); /* uninstalled; "same" is not listed */
        c.n = 0;
        mqfs_grant_table_diff(new, old, record, &c);
        assert_int_equal(c.n, 5);
        assert_string_equal(c.lines[0], "cons /gone 0->3");
        assert_string_equal(c.lines[1], "cons /new 5->0");
        assert_string_equal(c.lines[2], "prov");
        assert_string_equal(c.lines[3], "prov /p 1->0");
        assert_string_equal(c.lines[4], "removed");

        /* A change of permissions alone is a change. */
        char d1[32];
        snprintf(d1, sizeof(d1), "cons /keep %u", O | R | W);
        const char *wider_spec[] = {d1, a2, "removed", "same", NULL};
        struct mqfs_grant_table *wider = table(wider_spec);
        c.n = 0;
        mqfs_grant_table_diff(old, wider, record, &c);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.lines[0], "cons /keep 3->7");

        /* From nothing: everything is new. Identical tables: nothing. */
        c.n = 0;
        mqfs_grant_table_diff(NULL, old, record, &c);
        assert_int_equal(c.n, 5);
        c.n = 0;
        mqfs_grant_table_diff(old, old, record, &c);
        assert_int_equal(c.n, 0);
        mqfs_grant_table_unref(old);
        mqfs_grant_table_unref(new);
        mqfs_grant_table_unref(wider);
}

static char dir[64];

static void put(const char *name, const char *content, bool by_rename)
{
        char path[128], tmp[128];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        snprintf(tmp, sizeof(tmp), "%s/.%s.new", dir, name);
        int fd = open(by_rename ? tmp : path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
        close(fd);
        if (by_rename)
                assert_int_equal(rename(tmp, path), 0);
}

static void test_watch(void **state)
{
        (void)state;
        struct mqfs_reload *r;
        char path[128];
        strcpy(dir, "/tmp/test_mqfsd_reload.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/system.yaml", dir);
        put("system.yaml", "snaps: []\n", false);
        assert_int_equal(mqfs_reload_new(path, &r), 0);
        assert_false(mqfs_reload_changed(r));

        put("other.yaml", "x", false); /* another file: not a change */
        put("other.yaml", "y", true);
        assert_false(mqfs_reload_changed(r));
        put("system.yaml", "a", true); /* editors: write a new file, rename it over */
        assert_true(mqfs_reload_changed(r));
        assert_false(mqfs_reload_changed(r)); /* events are consumed */
        put("system.yaml", "b", false);       /* in place */
        assert_true(mqfs_reload_changed(r));
        assert_int_equal(unlink(path), 0);
        assert_true(mqfs_reload_changed(r));
        mqfs_reload_free(r);

        char other[128];
        snprintf(other, sizeof(other), "%s/other.yaml", dir);
        unlink(other);
        rmdir(dir);
        /* A directory that does not exist cannot be watched. */
        assert_int_not_equal(mqfs_reload_new("/nonexistent/dir/system.yaml", &r), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_diff),
            cmocka_unit_test(test_watch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
