/* errors.h — errno values in messages, and logging an error while returning it.
 *
 * A failing call logs what was wrong, with which input and what to do, and returns the
 * error in one expression:
 *     return mqfs_log_errno(err, "cannot open %s; is mqfsd running?", path);
 * The message goes to the program's error sink: stderr ("PROGRAM: message: text") by
 * default, the daemon's log once mqfsd sets its own. This is the one place that turns
 * an errno value into text. */
#pragma once

/* The text for an errno value, given negative (-EACCES, as functions here return it)
 * or positive (errno itself). */
const char *mqfs_errstr(int err);

/* The errno's symbolic name ("EACCES"), or NULL when unknown. Sign as mqfs_errstr. */
const char *mqfs_errname(int err);

/* Where mqfs_log_errno's lines go; NULL puts back the default (stderr). Set once, at
 * start-up, before other threads run. */
typedef void (*mqfs_error_sink)(const char *line);
void mqfs_set_error_sink(mqfs_error_sink sink);

/* Writes "MESSAGE: TEXT OF err" to the error sink and returns err unchanged (a negative
 * errno, or 0 when err is 0, which then writes nothing). */
int mqfs_log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
