#!/usr/bin/env bash
# The install layout, both ways of setting the prefix: `cmake --install BUILD --prefix P`
# and a build configured with -DCMAKE_INSTALL_PREFIX=P must give the same tree, in which
# the binaries, the unit's ExecStart and ExecStartPost, and the AppArmor profile's
# attachment all name P; plus the configured default prefix. Everything is staged under
# DESTDIR in a scratch directory; nothing touches the machine's own /usr or /etc.
# Usage: install_layout.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
scratch=$(mktemp -d /tmp/mqfs-install.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "install_layout: $*" >&2; exit 1; }

parser=$(command -v apparmor_parser || ls /usr/sbin/apparmor_parser /sbin/apparmor_parser 2>/dev/null | head -n1 || true)
features=/sys/kernel/security/apparmor/features
[ -e "$features" ] || features=/usr/share/apparmor-features/features

# Checks the tree staged in $1 for prefix $2.
check_tree() {
        local stage=$1 prefix=$2
        local sbin=$prefix/sbin bin=$prefix/bin
        for f in "$sbin/mqfsd" "$sbin/mqfs-mount" "$bin/mqfs-policy" "$bin/mqfs-exec"; do
                [ -x "$stage$f" ] && [ -f "$stage$f" ] || fail "$prefix: not installed: $f"
        done
        local unit=$stage$prefix/lib/systemd/system/mqfsd.service
        [ -f "$unit" ] || fail "$prefix: no unit at $prefix/lib/systemd/system/mqfsd.service"
        for line in "Type=notify" "NotifyAccess=main" \
                "ExecStart=$sbin/mqfsd --system /etc/mqfs/system.yaml -f /run/mqfs" \
                "ExecStartPost=-$sbin/mqfs-mount repair" \
                "ExecStartPre=-/bin/umount --lazy /run/mqfs" \
                "ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure" \
                "Documentation=man:mqfsd(8) man:mqfs-mount(8) man:mqfs-policy(1) man:mqfs-system.yaml(5)" \
                "Documentation=man:mqfs-exec(1)"; do
                grep -qxF -- "$line" "$unit" || fail "$prefix: the unit lacks '$line':
$(cat "$unit")"
        done
        ! grep -q '^ConditionPathExists' "$unit" || fail "$prefix: the unit still skips a fresh install"
        ! grep -q 'sleep' "$unit" || fail "$prefix: the unit still polls"
        ! grep -q '@[A-Z_]*@' "$unit" || fail "$prefix: an unreplaced placeholder in the unit"

        local follow=$stage$prefix/lib/systemd/system/mqfs-follow.service
        [ -f "$follow" ] || fail "$prefix: no mqfs-follow.service"
        grep -qxF "ExecStart=$sbin/mqfs-mount follow --root /run/mqfs" "$follow" ||
                fail "$prefix: mqfs-follow.service does not run $sbin/mqfs-mount follow"

        local profile=${sbin#/}/mqfsd
        profile=$stage/etc/apparmor.d/${profile//\//.}
        [ -f "$profile" ] || fail "$prefix: no AppArmor profile at ${profile#"$stage"}"
        grep -q "^profile mqfsd $sbin/mqfsd " "$profile" || fail "$prefix: the profile does not attach to $sbin/mqfsd"
        grep -qx 'abi <abi/3.0>,' "$profile" || fail "$prefix: the profile does not pin its ABI"
        if [ -n "$parser" ] && [ -e "$features" ]; then
                "$parser" -Q -K -M "$features" "$profile" || fail "$prefix: apparmor_parser rejects the profile"
        fi

        local state=$stage/etc/mqfs/system.yaml
        [ -f "$state" ] || fail "$prefix: no /etc/mqfs/system.yaml"
        "$stage$bin/mqfs-policy" check --system "$state" || fail "$prefix: the installed system.yaml does not load whole"

        local page
        for page in mqfsd.8 mqfs-mount.8 mqfs-policy.1 mqfs-system.yaml.5 mqfs-exec.1; do
                [ -f "$src/docs/man/$page" ] || continue
                [ -f "$stage$prefix/share/man/man${page##*.}/$page" ] || fail "$prefix: man page $page not installed"
        done
}

# 1. The build's configured prefix (default /usr/local).
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR=$scratch/configured cmake --install "$build" >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "cmake --install failed"; }
check_tree "$scratch/configured" "$configured"

# 2. The same build, installed with --prefix /usr.
DESTDIR=$scratch/by-option cmake --install "$build" --prefix /usr >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "cmake --install --prefix /usr failed"; }
check_tree "$scratch/by-option" /usr

# 3. A build configured with -DCMAKE_INSTALL_PREFIX=/usr (the tools only, no tests).
cmake -S "$src" -B "$scratch/build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "configure failed"; }
cmake --build "$scratch/build" -j"$(nproc)" --target mqfsd mqfs-mount mqfs-policy mqfs-exec >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "build failed"; }
DESTDIR=$scratch/by-cache cmake --install "$scratch/build" >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "cmake --install (prefix /usr configured) failed"; }
check_tree "$scratch/by-cache" /usr

# The two /usr trees hold the same files, and every file that is not a binary is the same.
(cd "$scratch/by-option" && find . | sort) >"$scratch/a.list"
(cd "$scratch/by-cache" && find . | sort) >"$scratch/b.list"
diff -u "$scratch/a.list" "$scratch/b.list" || fail "--prefix /usr and -DCMAKE_INSTALL_PREFIX=/usr install different files"
while read -r f; do
        [ -f "$scratch/by-option/$f" ] || continue
        case $f in ./usr/sbin/* | ./usr/bin/*) continue ;; esac
        cmp -s "$scratch/by-option/$f" "$scratch/by-cache/$f" || fail "$f differs between the two ways"
done <"$scratch/a.list"

# An administrator's system.yaml survives a reinstall.
echo 'snaps: [] # mine' >"$scratch/by-option/etc/mqfs/system.yaml"
DESTDIR=$scratch/by-option cmake --install "$build" --prefix /usr >"$scratch/log" 2>&1 || { cat "$scratch/log"; fail "reinstall failed"; }
grep -q '# mine' "$scratch/by-option/etc/mqfs/system.yaml" || fail "a reinstall replaced the administrator's system.yaml"

echo "install_layout: $configured, --prefix /usr and -DCMAKE_INSTALL_PREFIX=/usr give the expected trees; the two /usr trees are the same"
