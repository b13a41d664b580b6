# Sourced by tests that need the source tree as a user gets it (clone_test.sh,
# debian_package.sh): mqfs_clone_worktree SRC DEST clones SRC's repository into DEST and
# carries the working tree's uncommitted changes and untracked (not ignored) files over,
# so that what is tested is what ctest was run on.
mqfs_clone_worktree() {
        local src=$1 dest=$2
        git clone --quiet --no-hardlinks "$src" "$dest"
        git -C "$src" diff --binary HEAD >"$dest/.git/wip.patch"
        if [ -s "$dest/.git/wip.patch" ]; then
                git -C "$dest" apply --whitespace=nowarn "$dest/.git/wip.patch"
        fi
        git -C "$src" ls-files -z --others --exclude-standard |
                (cd "$src" && xargs -0r cp --parents -t "$dest")
}
