#!/usr/bin/env bash
# The man pages (docs/man) lint clean, with zero warnings from both formatters a Debian
# system uses: `mandoc -T lint -W style` (mandoc) and `groff -ww -z -man` (groff-base,
# what man-db renders with). And each page documents every long option its tool's --help
# lists, so the pages follow the code.
# Usage: lint.sh MAN_DIR BIN_DIR
set -u
man=$1 bin=$2
failed=0
pages=("$man"/*.[1-8])
[ -e "${pages[0]}" ] || { echo "no man pages in $man" >&2; exit 1; }
for page in "${pages[@]}"; do
        out=$(mandoc -T lint -W style "$page" 2>&1) || true
        [ -z "$out" ] || { echo "mandoc: $out" >&2; failed=1; }
        out=$(groff -ww -z -man "$page" 2>&1) || true
        [ -z "$out" ] || { echo "groff: $page: $out" >&2; failed=1; }
        tool=$(basename "$page")
        tool=${tool%.*}
        [ -x "$bin/$tool" ] || continue
        for opt in $("$bin/$tool" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
                grep -qF -- "${opt//-/\\-}" "$page" ||
                        { echo "$page does not document $opt (in $tool --help)" >&2; failed=1; }
        done
done
[ $failed = 0 ] && echo "${#pages[@]} man pages lint clean and document every option"
exit $failed
