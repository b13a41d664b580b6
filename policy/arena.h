/* arena.h — private to policy/: a bump allocator for data that lives and dies together
 * (a parsed YAML document, the strings of a loaded system).
 *
 * Allocations are carved out of chunks that grow geometrically (a request larger than
 * a quarter of the next chunk gets a chunk of its own), so n small objects cost about
 * log(n) calls to malloc, no per-object header, and one pass to free. Nothing is freed
 * individually. Under AddressSanitizer every allocation is a malloc of its own, so that
 * overflows between neighbours are still caught. */
#pragma once

#include <stddef.h>

struct mqfs_arena_chunk;

struct mqfs_arena {
        struct mqfs_arena_chunk *chunks;  /* newest first */
        struct mqfs_arena_chunk *current; /* the chunk next points into */
        char *next;                       /* free space in the current chunk */
        size_t left;                      /* bytes at next */
        size_t next_chunk;                /* size of the next chunk to allocate */
        size_t used;                      /* bytes handed out, for figures */
};

/* A point to roll back to: everything allocated after it can be dropped at once. */
struct mqfs_arena_mark {
        struct mqfs_arena_chunk *chunks;
        struct mqfs_arena_chunk *current;
        char *next;
        size_t left, used;
};

/* An empty arena is all zeroes: `struct mqfs_arena a = {0};`. */

/* size bytes aligned for any object (max_align_t), or NULL on out of memory (or size 0
 * overflow). */
void *mqfs_arena_alloc(struct mqfs_arena *a, size_t size);
/* n elements of size bytes, checked for overflow; NULL on failure. */
void *mqfs_arena_array(struct mqfs_arena *a, size_t n, size_t size);
/* A NUL-terminated copy of len bytes at s (which may hold NULs); NULL on failure. */
char *mqfs_arena_strndup(struct mqfs_arena *a, const char *s, size_t len);

struct mqfs_arena_mark mqfs_arena_mark(const struct mqfs_arena *a);
/* Frees what was allocated after the mark (which must be of this arena and not rolled
 * past already). The newest chunk is kept for what comes next. */
void mqfs_arena_rollback(struct mqfs_arena *a, const struct mqfs_arena_mark *m);

/* Frees every allocation; the arena is empty (and usable) again. */
void mqfs_arena_clear(struct mqfs_arena *a);
