/* check.h — impossible states abort loudly, in every build.
 *
 * MQFS_CHECK(cond, fmt, ...) is an assert that NDEBUG does not remove: when cond is
 * false, a state the code's own logic rules out has happened (a lookup count going
 * negative, an inode the table does not hold, a handle of the wrong kind), and going on
 * would act on corrupt state with root's rights. It writes "FILE:LINE: impossible
 * state (COND): MESSAGE" to stderr and to the program's error sink (errors.h), then
 * aborts, leaving a core for the post-mortem. Never for what a caller can cause: that is
 * an error to return. */
#pragma once

#define MQFS_CHECK(cond, ...)                                                                      \
        ((cond) ? (void)0 : mqfs_check_failed(__FILE__, __LINE__, #cond, __VA_ARGS__))

_Noreturn void mqfs_check_failed(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
