/* fuzz_check.h — what every mqfs fuzz target shares: a check that stops the run with a
 * message when an oracle fails, and small byte-level predicates.
 *
 * A failed FUZZ_CHECK prints the condition and a message to stderr and aborts, so that
 * libFuzzer (and the plain replay runner) records the input as a crash. Inputs that the
 * code under test rejects cleanly are not failures: only broken promises are. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__attribute__((noreturn, format(printf, 4, 5))) void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...);

#define FUZZ_CHECK(cond, ...)                                                                      \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                         \
        } while (0)

/* A NUL-terminated copy of the input (it may hold NUL bytes of its own); never NULL. */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* True when s holds no byte below 0x20 and no DEL: text that can go into one log or
 * report line without being able to start another one or move the terminal. */
bool fuzz_one_line(const char *s);

/* The libFuzzer entry points, implemented by each target (declared for -Wmissing-prototypes
 * and for the replay runner). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
