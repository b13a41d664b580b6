/* rule_check.h — the fuzz oracle for generated AppArmor text (fuzz_apparmor.c).
 *
 * What one generated text must be, line by line (lines end with '\n'; a non-empty text
 * ends with one). Why each rule: AppArmor reads a profile as a stream of rules, each
 * ended by ','; a name or path that could add a byte the grammar treats specially would
 * let a snap.yaml or system.yaml author write rules of their own.
 *
 *  - No byte below 0x20 other than the line ends, and no DEL, anywhere: a control byte
 *    inside a quoted name or a comment could end it (a newline ends a comment, and the
 *    text after it would be read as a rule).
 *  - A comment line is optional indentation, then '#' followed by a space or nothing
 *    (a '#' directly followed by a word may be read as a directive, like #include).
 *  - An include line is optional indentation then exactly `#include <[a-z0-9/_.-]+>`.
 *  - Profiles only: empty lines; `profile NAME... {` at column 0 opening the one
 *    profile (printable ASCII, no quote, no brace but the last); `}` closing it; every
 *    rule is inside it.
 *  - Everything else is one rule: two spaces of indentation, then text in which
 *      double quotes pair up, nothing outside quotes is above 0x7e, no '\' anywhere, no
 *      '{' or '}' outside quotes, parentheses outside quotes do not nest and are not
 *      empty, and the only ',' outside quotes and parentheses is the last byte of the
 *      line: exactly one rule per line, ending in ','.
 *  - Semantics of the lines that carry queue names: `mqueue (WORDS) type=posix "NAME",`
 *    has WORDS from open read write create delete getattr setattr, and NAME is "/" (with
 *    WORDS exactly "getattr") or a queue the snap holds a grant for;
 *    `"/dev/mqueue/NAME" r,` / `rw,` names a granted queue, `rw` exactly when write,
 *    create or delete is granted. Nothing ungranted ever appears in a snap's rules. */
#pragma once

struct mqfs_grant_set;

enum text_kind {
        SNIPPET_MQUEUE, /* mqfs_apparmor_snap_rules: comments and mqueue rules only */
        SNIPPET_VIEW,   /* mqfs_apparmor_view_rules: /dev/mqueue rules only */
        SNIPPET_MOUNT,  /* mqfs_apparmor_mount_rules: the mount and umount rules only */
        PROFILE,        /* a whole profile */
};

struct text_ctx {
        const char *what; /* for messages: the generator and snap */
        enum text_kind kind;
        const struct mqfs_grant_set *set; /* the snap's grant set; NULL for none */
};

/* Checks text as described above; aborts through FUZZ_CHECK on the first violation. */
void fuzz_check_rules(const struct text_ctx *t, const char *text);
