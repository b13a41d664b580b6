/* test_mqfsd_loop.c — the event loop (fs/loop.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

struct counted {
        struct mqfs_loop_source src; /* first: the callback casts back */
        struct mqfs_loop *loop;
        int id;
        struct counted *victim; /* removed and freed when this one runs */
        bool stop;
};

static int calls[8];
static bool freed[8];

static void on_ready(struct mqfs_loop_source *src, uint32_t events)
{
        struct counted *c = (struct counted *)src;
        uint64_t v;
        (void)events;
        calls[c->id]++;
        if (events & EPOLLIN)
                (void)!read(src->fd, &v, sizeof(v));
        if (c->victim && !freed[c->victim->id]) {
                mqfs_loop_remove(c->loop, &c->victim->src);
                close(c->victim->src.fd);
                freed[c->victim->id] = true;
                free(c->victim);
        }
        if (c->stop)
                mqfs_loop_stop(c->loop);
}

static struct counted *counted_new(struct mqfs_loop *loop, int id)
{
        struct counted *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->src.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        assert_true(c->src.fd >= 0);
        c->src.ready = on_ready;
        c->loop = loop;
        c->id = id;
        calls[id] = 0;
        freed[id] = false;
        return c;
}

static void counted_free(struct counted *c)
{
        mqfs_loop_remove(c->loop, &c->src);
        close(c->src.fd);
        free(c);
}

static void kick(struct counted *c)
{
        uint64_t one = 1;
        assert_int_equal(write(c->src.fd, &one, sizeof(one)), sizeof(one));
}

/* Two sources ready in the same round, each freeing the other when it runs: exactly
 * one runs, and the freed one is never called (ASan would see it if it were). */
static void test_remove_from_callback(void **state)
{
        (void)state;
        struct mqfs_loop *loop;
        assert_int_equal(mqfs_loop_new(&loop), 0);
        struct counted *a = counted_new(loop, 0), *b = counted_new(loop, 1);
        struct counted *stopper = counted_new(loop, 2);
        a->victim = b;
        b->victim = a;
        stopper->stop = true;
        assert_int_equal(mqfs_loop_add(loop, &a->src, EPOLLIN), 0);
        assert_int_equal(mqfs_loop_add(loop, &b->src, EPOLLIN), 0);
        assert_int_equal(mqfs_loop_add(loop, &stopper->src, EPOLLIN), 0);
        kick(a);
        kick(b);
        kick(stopper);
        assert_int_equal(mqfs_loop_run(loop), 0);
        assert_int_equal(calls[0] + calls[1], 1);
        assert_true(freed[0] != freed[1]);
        assert_int_equal(calls[2], 1);
        counted_free(freed[0] ? b : a);
        counted_free(stopper);
        mqfs_loop_free(loop);
}

/* set(): changes events, adds what is not registered, and 0 removes. */
static void test_set_events(void **state)
{
        (void)state;
        struct mqfs_loop *loop;
        assert_int_equal(mqfs_loop_new(&loop), 0);
        struct counted *w = counted_new(loop, 3);
        w->stop = true;
        /* Not registered yet: set adds it. An eventfd is always writable. */
        assert_int_equal(mqfs_loop_set(loop, &w->src, EPOLLOUT), 0);
        assert_int_equal(w->src.events, EPOLLOUT);
        assert_int_equal(mqfs_loop_run(loop), 0);
        assert_int_equal(calls[3], 1);
        /* Now only readable counts, and it is not readable: a second source stops. */
        assert_int_equal(mqfs_loop_set(loop, &w->src, EPOLLIN), 0);
        struct counted *s = counted_new(loop, 4);
        s->stop = true;
        assert_int_equal(mqfs_loop_add(loop, &s->src, EPOLLIN), 0);
        kick(s);
        assert_int_equal(mqfs_loop_run(loop), 0);
        assert_int_equal(calls[3], 1);
        assert_int_equal(calls[4], 1);
        assert_int_equal(mqfs_loop_set(loop, &w->src, 0), 0);
        assert_int_equal(w->src.events, 0);
        mqfs_loop_remove(loop, &w->src); /* twice is fine */
        counted_free(w);
        counted_free(s);
        mqfs_loop_free(loop);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_remove_from_callback),
            cmocka_unit_test(test_set_events),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
