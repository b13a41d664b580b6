/* fixture.h — helpers shared by the rule-generation and CLI tests: a scratch directory
 * that is always removed, system states written there and loaded, a features file for
 * apparmor_parser, and running a program with its output captured. Failures are cmocka
 * assertion failures naming what went wrong. */
#pragma once

#include <stddef.h>

#include "aaparser.h"
#include "system.h"

enum { FX_MAX_FILES = 64 };

struct fx_dir {
        char path[64];
        char *files[FX_MAX_FILES]; /* full paths written, removed by fx_dir_remove */
        size_t nfiles;
};

/* A new scratch directory (mkdtemp under $TMPDIR or /tmp), remembered until removed so
 * that fx_cleanup_all can remove it after a failed test jumped past its cleanup. */
struct fx_dir *fx_dir_new(void);
/* Writes text to d/name (no subdirectories); returns the full path, owned by d. */
const char *fx_write(struct fx_dir *d, const char *name, const char *text);
/* Removes every file written and the directory, and frees d. */
void fx_dir_remove(struct fx_dir *d);
/* Removes every directory not yet removed: call it from a group teardown. Returns 0. */
int fx_cleanup_all(void);

/* Writes system_yaml as d/system.yaml and loads it; fails the test if it does not load. */
struct mqfs_system *fx_load_system(struct fx_dir *d, const char *system_yaml);

/* The parser and a features file for -M: the system's if it has one, else one written
 * into d from what Debian 12's apparmor ships. Fails the test when apparmor_parser is
 * not installed (the generated profiles must be proved to compile). */
struct mqfs_apparmor_parser fx_parser(struct fx_dir *d);

/* Compiles text; fails the test with the parser's diagnostics and the text if it does
 * not compile. */
void fx_assert_compiles(const struct mqfs_apparmor_parser *p, const char *text, const char *what);

/* How many times needle occurs in haystack (non-overlapping). */
size_t fx_count(const char *haystack, const char *needle);

/* A new string: a, then b (either may be NULL). */
char *fx_concat(const char *a, const char *b);

struct fx_run {
        int status; /* exit status, or 128 + signal */
        char *out;  /* stdout, NUL-terminated */
        char *err;  /* stderr */
};

/* Runs argv[0] (a path) with argv, stdin from /dev/null; waits for it. */
void fx_run(char *const argv[], struct fx_run *r);
void fx_run_free(struct fx_run *r);
