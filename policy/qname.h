/* qname.h — POSIX message queue names: the kernel's rules, and safe printing.
 *
 * Every queue name that crosses a trust boundary (a snap.yaml, a FUSE request)
 * is checked here before it is used for anything else. */
#pragma once

#include <stddef.h>

/* The longest queue name the kernel accepts after the leading "/" (NAME_MAX). */
enum { MQFS_QNAME_MAX = 255 };

/* Checks a queue name the way mq_open(3) and the kernel do, for "/name" form:
 *   0             "/" followed by 1..255 bytes, none of them "/" or NUL;
 *   -EINVAL       NULL, or no leading "/" (glibc's mq_open rejects it so);
 *   -EACCES       "/", "/.", "/.." or a further "/" (the kernel's lookup refuses them so,
 *                 before it looks at the length);
 *   -ENAMETOOLONG more than 255 bytes after the "/".
 * Nothing else is judged: the snap.yaml rules of SPEC §2.2 are stricter and live in
 * the policy validator. */
int mqfs_qname_check(const char *name);

/* Like mqfs_qname_check, for a bare directory entry name as FUSE hands it over
 * ("name", without the "/"). */
int mqfs_qname_check_entry(const char *entry);
