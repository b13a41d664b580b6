/* test_arena.c — the policy's bump allocator (policy/arena.h): alignment, copies,
 * overflow, big blocks, and rolling back to a mark. Under AddressSanitizer every
 * allocation is its own block, so the same tests also show that a rollback frees what
 * it drops (ASan would report a leak or a use after free otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

/* Under AddressSanitizer the arena gives every allocation a block of its own. */
#if defined(__SANITIZE_ADDRESS__)
#define ONE_BLOCK_EACH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ONE_BLOCK_EACH 1
#endif
#endif

static void allocations_are_aligned_and_distinct(void **state)
{
        (void)state;
        struct mqfs_arena a = {0};
        char *prev = NULL;
        for (size_t size = 1; size < 300; size += 7) {
                char *p = mqfs_arena_alloc(&a, size);
                assert_non_null(p);
                assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
                memset(p, 0x5a, size); /* the whole block is ours (ASan checks it) */
                assert_ptr_not_equal(p, prev);
                prev = p;
        }
        assert_null(mqfs_arena_alloc(&a, 0));
        assert_null(mqfs_arena_array(&a, SIZE_MAX / 2, 4)); /* n * size overflows */
        mqfs_arena_clear(&a);
        assert_null(a.chunks);
        assert_int_equal(a.used, 0);
}

static void strndup_keeps_nul_bytes_and_terminates(void **state)
{
        (void)state;
        struct mqfs_arena a = {0};
        char *s = mqfs_arena_strndup(&a, "a\0b!", 3);
        assert_non_null(s);
        assert_memory_equal(s, "a\0b", 3);
        assert_int_equal(s[3], '\0');
        char *empty = mqfs_arena_strndup(&a, "x", 0);
        assert_non_null(empty);
        assert_string_equal(empty, "");
        mqfs_arena_clear(&a);
}

static void a_big_block_leaves_the_current_chunk_in_use(void **state)
{
        (void)state;
        struct mqfs_arena a = {0};
        char *small = mqfs_arena_alloc(&a, 16);
        char *big = mqfs_arena_alloc(&a, 1 << 20);
        char *next = mqfs_arena_alloc(&a, 16);
        assert_non_null(small);
        assert_non_null(big);
        assert_non_null(next);
        memset(big, 1, 1 << 20);
#ifndef ONE_BLOCK_EACH
        /* The small ones share a chunk: the big one did not start a new chunk for them. */
        assert_true(next > small && next - small < 4096);
#endif
        mqfs_arena_clear(&a);
}

static void rollback_drops_what_came_after_the_mark(void **state)
{
        (void)state;
        struct mqfs_arena a = {0};
        char *kept = mqfs_arena_strndup(&a, "kept", 4);
        struct mqfs_arena_mark m = mqfs_arena_mark(&a);
        size_t used = a.used;
        /* Enough to need several new chunks and one block of its own. */
        for (int i = 0; i < 2000; i++)
                assert_non_null(mqfs_arena_alloc(&a, 100));
        assert_non_null(mqfs_arena_alloc(&a, 1 << 20));
        assert_true(a.used > used + 2000 * 100);
        mqfs_arena_rollback(&a, &m);
        assert_int_equal(a.used, used);
        assert_string_equal(kept, "kept");
        /* The arena goes on working, and a second mark and rollback do too. */
        char *after = mqfs_arena_strndup(&a, "after", 5);
        assert_non_null(after);
        struct mqfs_arena_mark m2 = mqfs_arena_mark(&a);
        assert_non_null(mqfs_arena_alloc(&a, 5000));
        mqfs_arena_rollback(&a, &m2);
        assert_string_equal(after, "after");
        assert_string_equal(kept, "kept");
        /* A rollback with nothing after the mark changes nothing. */
        struct mqfs_arena_mark m3 = mqfs_arena_mark(&a);
        mqfs_arena_rollback(&a, &m3);
        assert_string_equal(mqfs_arena_strndup(&a, "z", 1), "z");
        mqfs_arena_clear(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(allocations_are_aligned_and_distinct),
            cmocka_unit_test(strndup_keeps_nul_bytes_and_terminates),
            cmocka_unit_test(a_big_block_leaves_the_current_chunk_in_use),
            cmocka_unit_test(rollback_drops_what_came_after_the_mark),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
