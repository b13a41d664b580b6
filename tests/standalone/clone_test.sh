#!/usr/bin/env bash
# The repository stands alone: clones the source tree into an empty temporary directory
# (nothing beside the clone, so no sibling folder of the checkout can be read), carries
# the working tree's uncommitted changes and new files over, and runs `scripts/test
# --quick` there: configure, build and every ctest test of the clone.
# The nested run does not register this test again (MQFS_CLONE_TEST_NESTED).
# Usage: clone_test.sh SOURCE_DIR
set -euo pipefail
src=$1
scratch=$(mktemp -d /tmp/mqfs-clone.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
clone=$scratch/mqfs

. "$(dirname "$0")/../lib/clone-worktree.sh"
mqfs_clone_worktree "$src" "$clone"

beside=$(ls -A "$scratch")
if [ "$beside" != mqfs ]; then
        echo "clone_test: expected only the clone in $scratch, found: $beside" >&2
        exit 1
fi
echo "clone_test: running scripts/test --quick in $clone"
MQFS_CLONE_TEST_NESTED=1 "$clone/scripts/test" --quick
