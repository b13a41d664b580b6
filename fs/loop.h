/* loop.h — the daemon's single-threaded event loop (epoll).
 *
 * A source is a descriptor plus a callback. Sources are owned by whoever registers
 * them; the loop only points at them. A source may be removed (or freed right after
 * mqfs_loop_remove) from inside any callback, also one of another source that is
 * ready in the same round: the loop forgets its pending events. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mqfs_loop;
struct mqfs_loop_source;

/* events: the EPOLL* bits that are ready. */
typedef void (*mqfs_loop_fn)(struct mqfs_loop_source *src, uint32_t events);

struct mqfs_loop_source {
        int fd;
        mqfs_loop_fn ready;
        uint32_t events; /* what is registered now; 0 when not in the loop */
};

int mqfs_loop_new(struct mqfs_loop **out);
/* The loop must hold no source any more. */
void mqfs_loop_free(struct mqfs_loop *loop);

/* Registers src (fd and ready filled in) for events (level-triggered). */
int mqfs_loop_add(struct mqfs_loop *loop, struct mqfs_loop_source *src, uint32_t events);
/* Changes the events; 0 removes the source, and a source not in the loop is added. */
int mqfs_loop_set(struct mqfs_loop *loop, struct mqfs_loop_source *src, uint32_t events);
/* Removes src if it is registered; safe to call twice. */
void mqfs_loop_remove(struct mqfs_loop *loop, struct mqfs_loop_source *src);

/* Runs until mqfs_loop_stop; 0, or -errno when epoll itself fails. */
int mqfs_loop_run(struct mqfs_loop *loop);
void mqfs_loop_stop(struct mqfs_loop *loop);
