/* test_filesystem.c — the filesystem's operations without a kernel: each mqfs_do_X is
 * called directly, over a real broker in private IPC and mount namespaces (testns.c),
 * and each makes one broker call that reads the grant table once (SPEC §4, one judge:
 * the front end never asks the table itself). */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "grants.h"
#include "perm.h"
#include "testns.h"
#include "filesystem_internal.h"

static const struct mq_attr SMALL = {.mq_maxmsg = 4, .mq_msgsize = 64};

static struct mqfs_broker *broker;
static struct mqfs_grant_table *grants; /* the installed table, one reference of ours */
static struct mqfs_filesystem fs;

static int setup(void **state)
{
        (void)state;
        if (mqfs_test_broker_new(&broker) != 0)
                return -1;
        struct mqfs_grant_table *g;
        if (mqfs_grant_table_new(&g) != 0 ||
            mqfs_grant_table_add(g, "s", "/q", MQFS_PERM_ALL) != 0 ||
            mqfs_grant_table_add(g, "s", "/new", MQFS_PERM_ALL) != 0 ||
            mqfs_grant_table_freeze(g) != 0)
                return -1;
        grants = mqfs_grant_table_ref(g);
        mqfs_broker_set_grant_table(broker, g);
        return mqfs_filesystem_init(&fs, broker, NULL);
}

static int teardown(void **state)
{
        (void)state;
        mqfs_filesystem_destroy(&fs);
        mqfs_broker_free(broker);
        mqfs_grant_table_unref(grants);
        mqfs_test_remove_all_queues();
        return 0;
}

/* Root in the daemon's own mount namespace, as mqfs-mount on the host. */
static void root_caller(struct caller_buf *cb)
{
        mqfs_caller_init(cb, NULL, 0, 0, getpid());
}

#define ONE_LOOKUP(call) MQFS_TEST_ONE_LOOKUP(grants, call)

static void each_operation_reads_the_grant_table_once(void **state)
{
        (void)state;
        assert_int_equal(mqfs_test_make_queue("/q", 0666, &SMALL), 0);
        struct caller_buf cb;
        struct fuse_entry_param view, e;
        struct stat st;
        double timeout;
        struct mqfs_handle *h = NULL, *hc = NULL;
        struct dir_listing *l = NULL;

        root_caller(&cb);
        ONE_LOOKUP(assert_int_equal(mqfs_do_lookup(&fs, &cb, MQFS_ROOT_INO, "s", &view), 0));
        ONE_LOOKUP(assert_int_equal(mqfs_do_lookup(&fs, &cb, view.ino, "q", &e), 0));
        struct fuse_entry_param miss;
        ONE_LOOKUP(assert_int_equal(mqfs_do_lookup(&fs, &cb, view.ino, "nothere", &miss), -ENOENT));
        ONE_LOOKUP(assert_int_equal(mqfs_do_getattr(&fs, &cb, e.ino, NULL, &st, &timeout), 0));
        ONE_LOOKUP(assert_int_equal(mqfs_do_access(&fs, &cb, e.ino, R_OK | W_OK), 0));
        struct stat attr = {.st_mode = 0640};
        ONE_LOOKUP(
            assert_int_equal(mqfs_do_setattr(&fs, &cb, e.ino, &attr,
                                             FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_SIZE, NULL, &st),
                             0));
        assert_int_equal(st.st_mode & 07777, 0640);
        ONE_LOOKUP(assert_int_equal(mqfs_do_open(&fs, &cb, e.ino, O_RDWR | O_TRUNC, &h), 0));
        ONE_LOOKUP(assert_int_equal(mqfs_do_getattr(&fs, &cb, e.ino, h, &st, &timeout), 0));
        struct fuse_entry_param ce;
        ONE_LOOKUP(assert_int_equal(
            mqfs_do_create(&fs, &cb, view.ino, "new", 0600, O_WRONLY, &hc, &ce), 0));
        ONE_LOOKUP(assert_int_equal(mqfs_do_unlink(&fs, &cb, view.ino, "new"), 0));
        assert_int_equal(mqfs_do_opendir(&fs, &cb, view.ino, &l), 0);
        ONE_LOOKUP(assert_int_equal(mqfs_do_readdir(&fs, &cb, view.ino, 0, l), 0));
        assert_int_equal(l->shot->n, 3); /* ".", "..", "q" */
        assert_string_equal(l->shot->e[2].name, "q");
        mqfs_dir_listing_free(l);
        mqfs_handle_close(hc);
        mqfs_handle_close(h);
}

/* What the front end answers is the broker's judgement, translated. */
static void the_front_end_translates_the_judgement(void **state)
{
        (void)state;
        assert_int_equal(mqfs_test_make_queue("/q", 0666, &SMALL), 0);
        struct caller_buf cb;
        struct fuse_entry_param view, e;
        struct mqfs_handle *h = NULL;

        root_caller(&cb);
        assert_int_equal(mqfs_do_lookup(&fs, &cb, MQFS_ROOT_INO, "s", &view), 0);
        assert_int_equal(mqfs_do_lookup(&fs, &cb, view.ino, "q", &e), 0);
        /* The grant narrows to read: root's open for writing is refused at open. */
        struct mqfs_grant_table *g;
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add(g, "s", "/q", MQFS_PERM_READ), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        mqfs_grant_table_unref(grants);
        grants = mqfs_grant_table_ref(g);
        mqfs_broker_set_grant_table(broker, g);
        assert_int_equal(mqfs_do_open(&fs, &cb, e.ino, O_WRONLY, &h), -EACCES);
        assert_null(h);
        assert_string_equal(cb.v.denial, "the grant does not include write");
        assert_int_equal(mqfs_do_open(&fs, &cb, e.ino, O_RDONLY, &h), 0);
        mqfs_handle_close(h);
        /* unlink(2) says EPERM where the kernel's mq_unlink says EACCES (sticky bit);
         * without the delete grant it stays EACCES. */
        assert_int_equal(mqfs_do_unlink(&fs, &cb, view.ino, "q"), -EACCES);
        assert_string_equal(cb.v.denial, "the grant does not include delete");
        /* A grant withdrawn under a cached entry: ESTALE, so the kernel looks again. */
        mqfs_grant_table_unref(grants);
        assert_int_equal(mqfs_grant_table_new(&g), 0);
        assert_int_equal(mqfs_grant_table_add_snap(g, "s"), 0);
        assert_int_equal(mqfs_grant_table_freeze(g), 0);
        grants = mqfs_grant_table_ref(g);
        mqfs_broker_set_grant_table(broker, g);
        assert_int_equal(mqfs_do_open(&fs, &cb, e.ino, O_RDONLY, &h), -ESTALE);
        assert_string_equal(cb.v.denial, "no grant for this queue");
        /* Directories: a queue is not one, the root is root's. */
        struct dir_listing *l = NULL;
        assert_int_equal(mqfs_do_opendir(&fs, &cb, e.ino, &l), -ENOTDIR);
        struct caller_buf user;
        mqfs_caller_init(&user, NULL, 4242, 4242, getpid());
        assert_int_equal(mqfs_do_opendir(&fs, &user, MQFS_ROOT_INO, &l), -EACCES);
        assert_int_equal(mqfs_do_access(&fs, &user, MQFS_ROOT_INO, R_OK), -EACCES);
        assert_int_equal(mqfs_do_access(&fs, &user, view.ino, W_OK), 0);
}

static struct dir_listing *read_view(fuse_ino_t view)
{
        struct caller_buf cb;
        struct dir_listing *l = NULL;
        root_caller(&cb);
        assert_int_equal(mqfs_do_opendir(&fs, &cb, view, &l), 0);
        assert_int_equal(mqfs_do_readdir(&fs, &cb, view, 0, l), 0);
        assert_non_null(l->shot);
        return l;
}

/* Issue 15, finding 2: a view's listing is taken once for the handles that read it
 * while nothing changed, and taken anew after a change, or while the watch holds
 * changes not read yet; without a watch every read takes its own. */
static void a_views_listing_is_shared_while_nothing_changes(void **state)
{
        (void)state;
        assert_int_equal(mqfs_test_make_queue("/q", 0666, &SMALL), 0);
        struct caller_buf cb;
        struct fuse_entry_param view;
        root_caller(&cb);
        assert_int_equal(mqfs_do_lookup(&fs, &cb, MQFS_ROOT_INO, "s", &view), 0);

        struct dir_listing *a = read_view(view.ino), *b = read_view(view.ino);
        assert_ptr_not_equal(a->shot, b->shot); /* nobody says when a listing is out of date */
        mqfs_dir_listing_free(a);
        mqfs_dir_listing_free(b);

        int changes[2];
        assert_int_equal(pipe2(changes, O_CLOEXEC), 0);
        mqfs_filesystem_share_listings(&fs, changes[0]);
        a = read_view(view.ino);
        struct dir_listing *l = NULL;
        assert_int_equal(mqfs_do_opendir(&fs, &cb, view.ino, &l), 0);
        unsigned long before = mqfs_grant_table_lookups(grants);
        assert_int_equal(mqfs_do_readdir(&fs, &cb, view.ino, 0, l), 0);
        assert_int_equal(mqfs_grant_table_lookups(grants), before); /* not listed again */
        assert_ptr_equal(l->shot, a->shot);
        assert_int_equal(a->shot->refs, 3); /* a, l, and the view's */
        mqfs_dir_listing_free(l);

        /* A change not read yet: a new listing, shared from then on. */
        assert_int_equal(write(changes[1], "x", 1), 1);
        b = read_view(view.ino);
        assert_ptr_not_equal(b->shot, a->shot);
        char byte;
        assert_int_equal(read(changes[0], &byte, 1), 1);
        l = read_view(view.ino);
        assert_ptr_equal(l->shot, b->shot);
        mqfs_dir_listing_free(l);

        /* A change read: the next listing shows it, handles reading keep theirs. */
        assert_int_equal(mqfs_test_make_queue("/new", 0666, &SMALL), 0);
        mqfs_filesystem_listings_changed(&fs);
        assert_int_equal(b->shot->refs, 1);
        l = read_view(view.ino);
        assert_ptr_not_equal(l->shot, b->shot);
        assert_int_equal(l->shot->n, 4);
        assert_int_equal(b->shot->n, 3);
        assert_int_equal(a->shot->n, 3);
        mqfs_dir_listing_free(l);
        mqfs_dir_listing_free(b);
        mqfs_dir_listing_free(a);
        mqfs_filesystem_share_listings(&fs, -1);
        close(changes[0]);
        close(changes[1]);
}

int main(void)
{
        mqfs_test_private_world();
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(each_operation_reads_the_grant_table_once, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(the_front_end_translates_the_judgement, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(a_views_listing_is_shared_while_nothing_changes, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
