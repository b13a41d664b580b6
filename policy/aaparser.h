/* aaparser.h — the installed apparmor_parser, run as a checker: generated profiles are
 * compiled (never loaded) to prove they are valid, and a tiny profile tells whether the
 * parser understands `mqueue` rules (AppArmor 4) or not (Debian 12's 3.0.8). */
#pragma once

/* The parser to compile with: path to apparmor_parser and a features file or directory
 * for -M (without -M, the parser silently drops rules the kernel cannot enforce, mount
 * rules among them, so one is always passed). */
struct mqfs_apparmor_parser {
        const char *path;
        const char *features;
};

/* apparmor_parser's path: the first executable one in $PATH, /usr/sbin, /sbin (looked up
 * once per process; static storage); NULL if none. */
const char *mqfs_apparmor_find_parser(void);
/* The running kernel's features directory if there is one, else Debian's
 * /usr/share/apparmor-features/features; NULL if neither exists. */
const char *mqfs_apparmor_find_features(void);

/* Compiles text with `PARSER -Q -K -M FEATURES` (no kernel load, no cache). 0 when it
 * compiles; -EINVAL when the parser rejects it; -errno when the parser cannot be run.
 * *diagnostics (if not NULL) gets what the parser wrote to stderr (possibly "") to
 * free(), or NULL. */
int mqfs_apparmor_compile(const struct mqfs_apparmor_parser *parser, const char *text,
                          char **diagnostics);

/* Whether the parser understands `mqueue type=posix,`: 1 yes, 0 no, -errno when it cannot
 * tell (the parser cannot be run, or rejects even a profile without mqueue rules). The
 * answer is cached for the process (per parser path and features). Thread-safe. */
int mqfs_apparmor_probe_mqueue(const struct mqfs_apparmor_parser *parser);
