/* cli.c — the command-line conventions shared by every mqfs tool (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

#ifndef MQFS_VERSION
#error "MQFS_VERSION must be defined (the project's version, from CMake)"
#endif

int mqfs_cli_usage_error(const char *prog, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", prog);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "; see %s --help\n", prog);
        va_end(ap);
        return MQFS_EXIT_USAGE;
}

int mqfs_cli_bad_option(const char *prog, int c, char *const argv[], int optind, int optopt)
{
        /* optind has moved past a long option but not always past a short one inside a
         * cluster; optopt names the short one. */
        char shortopt[3] = {'-', (char)optopt, '\0'};
        const char *given = optopt > 0 && optopt < 256 ? shortopt : argv[optind - 1];
        char *shown = mqfs_escape(given, strlen(given));
        const char *s = shown ? shown : "?";
        int rc = c == ':' ? mqfs_cli_usage_error(prog, "option %s needs a value", s)
                          : mqfs_cli_usage_error(prog, "unknown option %s", s);
        free(shown);
        return rc;
}

int mqfs_cli_command(const char *prog, int argc, char *const argv[], const char *commands)
{
        if (argc < 2)
                return mqfs_cli_usage_error(prog, "no command given: use %s", commands);
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
                return -1;
        if (strcmp(argv[1], "--version") == 0)
                return -2;
        if (argv[1][0] != '-')
                return 0;
        char *shown = mqfs_escape(argv[1], strlen(argv[1]));
        int rc = mqfs_cli_usage_error(prog, "unknown option %s (the COMMAND comes first: %s)",
                                      shown ? shown : "?", commands);
        free(shown);
        return rc;
}

int mqfs_cli_help(const char *text)
{
        fputs(text, stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? MQFS_EXIT_OK : MQFS_EXIT_USAGE;
}

int mqfs_cli_version(const char *prog, const char *extra)
{
        printf("%s (mqfs) %s\n", prog, MQFS_VERSION);
        if (extra)
                printf("%s\n", extra);
        return fflush(stdout) == 0 && !ferror(stdout) ? MQFS_EXIT_OK : MQFS_EXIT_USAGE;
}
