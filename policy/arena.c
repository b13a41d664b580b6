/* arena.c — see arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define MQFS_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MQFS_ARENA_ASAN 1
#endif
#endif

enum {
        ALIGN = alignof(max_align_t),
        FIRST_CHUNK = 4096,
        MAX_CHUNK = 1 << 20,
};

struct mqfs_arena_chunk {
        struct mqfs_arena_chunk *next;
        size_t size;
        alignas(max_align_t) char data[];
};

static void *new_chunk(struct mqfs_arena *a, size_t size)
{
        if (size > SIZE_MAX - sizeof(struct mqfs_arena_chunk))
                return NULL;
        struct mqfs_arena_chunk *c = malloc(sizeof(*c) + size);
        if (c == NULL)
                return NULL;
        c->next = a->chunks;
        c->size = size;
        a->chunks = c;
        return c->data;
}

/* size bytes at a multiple of align (a power of two, at most ALIGN). */
static void *carve(struct mqfs_arena *a, size_t size, size_t align)
{
        if (size == 0 || size > SIZE_MAX / 2)
                return NULL;
#ifdef MQFS_ARENA_ASAN
        (void)align;
        void *own = new_chunk(a, size);
        if (own != NULL)
                a->used += size;
        return own;
#else
        size_t pad = (size_t)(-(uintptr_t)a->next) & (align - 1);
        if (a->left < pad || size > a->left - pad) {
                size_t chunk = a->next_chunk ? a->next_chunk : FIRST_CHUNK;
                if (size > chunk / 4) {
                        /* A big block of its own: the current chunk stays in use. */
                        void *own = new_chunk(a, size);
                        if (own != NULL)
                                a->used += size;
                        return own;
                }
                char *data = new_chunk(a, chunk);
                if (data == NULL)
                        return NULL;
                a->current = a->chunks;
                a->next = data;
                a->left = chunk;
                a->next_chunk = chunk < MAX_CHUNK ? chunk * 2 : MAX_CHUNK;
                pad = 0;
        }
        void *p = a->next + pad;
        a->next += pad + size;
        a->left -= pad + size;
        a->used += size;
        return p;
#endif
}

void *mqfs_arena_alloc(struct mqfs_arena *a, size_t size)
{
        return carve(a, size, ALIGN);
}

void *mqfs_arena_array(struct mqfs_arena *a, size_t n, size_t size)
{
        if (size != 0 && n > SIZE_MAX / size)
                return NULL;
        return mqfs_arena_alloc(a, n * size);
}

char *mqfs_arena_strndup(struct mqfs_arena *a, const char *s, size_t len)
{
        if (len == SIZE_MAX)
                return NULL;
        char *copy = carve(a, len + 1, 1);
        if (copy == NULL)
                return NULL;
        if (len > 0)
                memcpy(copy, s, len);
        copy[len] = '\0';
        return copy;
}

struct mqfs_arena_mark mqfs_arena_mark(const struct mqfs_arena *a)
{
        return (struct mqfs_arena_mark){a->chunks, a->current, a->next, a->left, a->used};
}

void mqfs_arena_rollback(struct mqfs_arena *a, const struct mqfs_arena_mark *m)
{
        struct mqfs_arena_chunk *keep = NULL;
        while (a->chunks != m->chunks) {
                struct mqfs_arena_chunk *c = a->chunks;
                a->chunks = c->next;
                if (c == a->current)
                        keep = c; /* reused below rather than freed and allocated again */
                else
                        free(c);
        }
        a->used = m->used;
        if (keep == NULL) {
                a->current = m->current;
                a->next = m->next;
                a->left = m->left;
                return;
        }
        keep->next = a->chunks;
        a->chunks = keep;
        a->current = keep;
        a->next = keep->data;
        a->left = keep->size;
}

void mqfs_arena_clear(struct mqfs_arena *a)
{
        while (a->chunks != NULL) {
                struct mqfs_arena_chunk *c = a->chunks;
                a->chunks = c->next;
                free(c);
        }
        memset(a, 0, sizeof(*a));
}
