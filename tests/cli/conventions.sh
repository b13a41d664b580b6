#!/usr/bin/env bash
# Every mqfs tool answers alike (policy/cli.h): --help on stdout, starting "Usage: TOOL",
# with an "Options:" section and the exit status paragraph, exit 0; --version on stdout
# as "TOOL (mqfs) VERSION", exit 0; an unknown option (also in the COMMAND's place) is
# one stderr line "TOOL: unknown option --no-such-option...; see TOOL --help", exit 2,
# nothing on stdout.
# Usage: conventions.sh BIN_DIR VERSION TOOL...
set -u
bin=$1 version=$2
shift 2
failed=0
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
bad() { echo "FAIL $*" >&2; failed=1; }
for tool in "$@"; do
        out=$("$bin/$tool" --help 2>"$errfile"); rc=$?
        [ $rc = 0 ] || bad "$tool --help: exit $rc"
        [ -s "$errfile" ] && bad "$tool --help wrote to stderr: $(cat "$errfile")"
        case $out in "Usage: $tool "*) ;; *) bad "$tool --help does not start with 'Usage: $tool ': $out" ;; esac
        grep -q '^Options:$' <<<"$out" || bad "$tool --help has no 'Options:' section"
        grep -q '^Exit status: ' <<<"$out" || bad "$tool --help has no 'Exit status:' paragraph"
        grep -q -- '--version' <<<"$out" || bad "$tool --help does not mention --version"

        out=$("$bin/$tool" --version 2>"$errfile"); rc=$?
        [ $rc = 0 ] || bad "$tool --version: exit $rc"
        [ "$(head -n1 <<<"$out")" = "$tool (mqfs) $version" ] ||
                bad "$tool --version: want '$tool (mqfs) $version', got '$out'"

        out=$("$bin/$tool" --no-such-option 2>"$errfile"); rc=$?
        err=$(cat "$errfile")
        [ $rc = 2 ] || bad "$tool --no-such-option: exit $rc, want 2"
        [ -z "$out" ] || bad "$tool --no-such-option wrote to stdout: $out"
        case $err in "$tool: unknown option --no-such-option"*"; see $tool --help") ;; *) false ;; esac ||
                bad "$tool --no-such-option: stderr '$err'"
done
[ $failed = 0 ] && echo "every tool of: $* follows the conventions"
exit $failed
