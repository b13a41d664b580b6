/* cleanup.h — one owner per resource: a variable that releases what it holds when its
 * scope ends, and an explicit move for ownership handed on.
 *
 *     MQFS_AUTOFREE char *text = strdup(s);    free()d on every way out of the scope
 *     MQFS_AUTOCLOSE int fd = open(...);       close()d when >= 0, errno kept
 *     MQFS_AUTOFCLOSE FILE *f = fopen(...);    fclose()d when not NULL, errno kept
 *     return MQFS_MOVE_PTR(text);              the caller owns it now: text is NULL
 *     *out = MQFS_MOVE_FD(fd);                 the caller owns it now: fd is -1
 *
 * What a variable holds when its scope ends is released exactly once; what was moved
 * out is not touched. Releasing keeps errno, so a "return -errno" after it (or a
 * caller reading errno) sees the error of the call that failed, not that of a close.
 * Other kinds of resource get their own release function of the same shape (a pointer
 * to the variable, doing nothing for the empty value) and MQFS_CLEANUP(fn); their
 * moves are MQFS_MOVE_PTR, or a reset to the empty value where the owner is a struct.
 *
 * GCC and clang run the release on return, break, goto out of the scope and the end of
 * the block alike (not on longjmp or exit). A variable must be initialised where it is
 * declared, before any way out of the scope. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Runs fn(&var) when var's scope ends. */
#define MQFS_CLEANUP(fn) __attribute__((cleanup(fn)))

#define MQFS_AUTOFREE   MQFS_CLEANUP(mqfs_free_ptr)
#define MQFS_AUTOCLOSE  MQFS_CLEANUP(mqfs_close_fd)
#define MQFS_AUTOFCLOSE MQFS_CLEANUP(mqfs_fclose_file)

/* The pointer's value, leaving the variable NULL: its cleanup then frees nothing. */
#define MQFS_MOVE_PTR(p)                                                                           \
        __extension__({                                                                            \
                __typeof__(p) mqfs_moved_ = (p);                                                   \
                (p) = NULL;                                                                        \
                mqfs_moved_;                                                                       \
        })

/* The descriptor, leaving the variable -1: its cleanup then closes nothing. */
#define MQFS_MOVE_FD(fd)                                                                           \
        __extension__({                                                                            \
                int mqfs_moved_ = (fd);                                                            \
                (fd) = -1;                                                                         \
                mqfs_moved_;                                                                       \
        })

/* For any pointer variable (cleanup passes its address: T **). */
static inline void mqfs_free_ptr(void *var)
{
        void **p = var;
        free(*p);
        *p = NULL;
}

static inline void mqfs_close_fd(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
        *fd = -1;
}

static inline void mqfs_fclose_file(FILE **f)
{
        if (*f != NULL) {
                int saved = errno;
                fclose(*f);
                errno = saved;
        }
        *f = NULL;
}
