/* cli.h — what every mqfs tool (mqfsd, mqfs-mount, mqfs-policy, mqfs-exec) shares on its
 * command line, so that they read and answer alike: the exit codes, the default system
 * state, --version, and the messages for bad usage.
 *
 * Layout of every --help: "Usage: PROG ...", a blank line, what it does, "Commands:" (when
 * it has them), "Options:", then "Exit status: ..." with the codes below. A usage error is
 * one stderr line "PROG: WHAT; see PROG --help" and exit MQFS_EXIT_USAGE. */
#pragma once

/* The system state every tool reads unless --system names another. */
#define MQFS_SYSTEM_DEFAULT "/etc/mqfs/system.yaml"

enum {
        MQFS_EXIT_OK = 0,
        MQFS_EXIT_PROBLEMS = 1, /* the check found problems, or the work failed */
        MQFS_EXIT_USAGE = 2,    /* bad usage or unreadable input */
};

/* The "Exit status" paragraph every --help ends with. */
#define MQFS_CLI_EXIT_TEXT                                                                         \
        "Exit status: 0 done; 1 problems found or the work failed; 2 bad usage or\n"               \
        "unreadable input.\n"

/* Prints "PROG: WHAT; see PROG --help" on stderr. Returns MQFS_EXIT_USAGE. */
int mqfs_cli_usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The usage error for the option getopt_long just refused (it returned '?' or, with a
 * leading ':' in its optstring, ':'); argv and optind as getopt_long left them. The
 * option is printed escaped. Returns MQFS_EXIT_USAGE. */
int mqfs_cli_bad_option(const char *prog, int c, char *const argv[], int optind, int optopt);

/* For tools of the form "PROG COMMAND [OPTIONS] [ARGS]": looks at argv[1] before the
 * COMMAND's options are parsed. 0 when it is a COMMAND (to be judged by the caller);
 * -1 for -h/--help, -2 for --version; else (missing, or an option in the COMMAND's place)
 * the usage error, naming the commands, and MQFS_EXIT_USAGE. */
int mqfs_cli_command(const char *prog, int argc, char *const argv[], const char *commands);

/* Prints text (a --help) on stdout. MQFS_EXIT_OK, or MQFS_EXIT_USAGE when it could not
 * be written. */
int mqfs_cli_help(const char *text);

/* Prints "PROG (mqfs) VERSION" on stdout, and extra (when not NULL) on the next line.
 * As mqfs_cli_help. */
int mqfs_cli_version(const char *prog, const char *extra);
