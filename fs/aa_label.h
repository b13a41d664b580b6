/* aa_label.h — when the kernel runs AppArmor, does the caller's label belong to the
 * snap whose view it is using?
 *
 * A snap reaches only its own view through /dev/mqueue, but a view can be reached by
 * other ways (filesystem.c lists them: /proc/PID/root, a passed descriptor,
 * open_by_handle_at). snapd confines each app as "snap.SNAP.APP" (hooks
 * "snap.SNAP.hook.NAME") and snap-update-ns as "snap-update-ns.SNAP", so a caller whose
 * label names another snap is refused. Unconfined callers and labels that are not a
 * snap's (host tools, the administrator) pass: the broker's grants and the file modes
 * still apply to them.
 *
 * Checked on open, create and unlink, not on lookup, stat or listing (the fast paths,
 * which reveal no content and change nothing), nor on read and write (they use a
 * descriptor that passed the check at open). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* True when label may act in snap's view. label is as the kernel gives it, with or
 * without the mode suffix (" (enforce)") and trailing newline. False for snap.OTHER.*
 * and snap-update-ns.OTHER, and for malformed snap labels ("", "snap.", "snap.a",
 * "snap.a.", "snap..x", a name with bytes no snap name has). */
bool mqfs_label_allows(const char *label, const char *snap);

/* Whether the kernel runs AppArmor (aa_is_enabled), asked once at the daemon's start;
 * logs the answer once. MQFS_AA_LABELS=check in the environment turns checking on even
 * without AppArmor (for tests: then no label can be read and every checked operation is
 * refused); there is no way to turn it off, so the variable can only make mqfsd stricter. */
bool mqfs_aa_label_enabled(void);

/* 0 when checking is off (enabled false) or the thread pid's label allows snap; -EACCES
 * (logged as a denial of operation on queue) when it does not or cannot be read (the
 * check fails closed). */
int mqfs_aa_label_check(bool enabled, pid_t pid, const char *snap, const char *queue,
                        const char *operation);
