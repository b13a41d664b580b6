#!/usr/bin/env bash
# The Debian package: builds it from a clone of the tree (dpkg-buildpackage -us -uc -b),
# runs lintian on it (errors fail; warnings are printed and counted), then installs it
# with dpkg --root into a throw-away root made here (a dpkg database and just enough for
# the maintainer scripts to run chrooted: dash and the few tools they call), and checks
# the files, the conffiles, the unit, the AppArmor profile, that the maintainer scripts
# ran, that an edited conffile survives a reinstall, and that remove and purge clean up.
# Nothing touches the machine's own dpkg database, /etc or /usr.
# Usage: debian_package.sh SOURCE_DIR
set -euo pipefail
src=$1
scratch=$(mktemp -d /tmp/mqfs-deb.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "debian_package: $*" >&2; exit 1; }
for tool in dpkg-buildpackage dh lintian; do
        command -v "$tool" >/dev/null || fail "$tool is missing (scripts/lib/deps.sh installs it)"
done

. "$(dirname "$0")/../lib/clone-worktree.sh"
mqfs_clone_worktree "$src" "$scratch/mqfs"
(cd "$scratch/mqfs" && dpkg-buildpackage -us -uc -b) >"$scratch/build.log" 2>&1 ||
        { tail -n 40 "$scratch/build.log"; fail "dpkg-buildpackage -us -uc -b failed"; }
deb=$(ls "$scratch"/mqfs_*_*.deb)
echo "debian_package: built $(basename "$deb")"

# lintian: no error; the warnings (and pedantic/info tags) are listed.
lintian --pedantic --display-info --display-experimental "$scratch"/mqfs_*.changes >"$scratch/lintian.log" 2>&1 || true
grep -E '^[EWIPX]: ' "$scratch/lintian.log" || true
if grep -q '^E: ' "$scratch/lintian.log"; then
        fail "lintian reports errors (above)"
fi
echo "debian_package: lintian: $(grep -c '^E: ' "$scratch/lintian.log" || true) errors," \
        "$(grep -c '^W: ' "$scratch/lintian.log" || true) warnings"

# The throw-away root: a dpkg database, and dash plus the tools the maintainer scripts
# call (dirname, mkdir, install, rm, rmdir) with their libraries, and /dev/null.
root=$scratch/root
mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} "$root"/bin "$root"/tmp
touch "$root/var/lib/dpkg/status"
mkdir -p "$root/dev"
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || : >"$root/dev/null" # the scripts read it
cp /bin/dash "$root/bin/sh"
for t in dirname mkdir install rm rmdir; do cp "$(command -v "$t")" "$root/bin/$t"; done
for b in "$root"/bin/*; do
        for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
                mkdir -p "$root$(dirname "$lib")"
                cp -n "$lib" "$root$lib"
        done
done
inroot() { dpkg --root="$root" --force-depends "$@" >>"$scratch/dpkg.log" 2>&1 ||
        { cat "$scratch/dpkg.log"; fail "dpkg --root $* failed"; }; }

inroot -i "$deb"
[ "$(dpkg-query --root="$root" -W -f='${Status}' mqfs)" = "install ok installed" ] ||
        fail "mqfs is not 'install ok installed' in the root"

for f in /usr/sbin/mqfsd /usr/sbin/mqfs-mount /usr/bin/mqfs-policy /usr/bin/mqfs-exec; do
        [ -x "$root$f" ] || fail "not installed: $f"
        "$root$f" --version >/dev/null || fail "$f --version failed"
done
for f in /usr/share/man/man8/mqfsd.8.gz /usr/share/man/man8/mqfs-mount.8.gz \
        /usr/share/man/man1/mqfs-policy.1.gz /usr/share/man/man1/mqfs-exec.1.gz \
        /usr/share/man/man5/mqfs-system.yaml.5.gz /usr/share/doc/mqfs/copyright \
        /usr/share/doc/mqfs/design.md.gz; do
        [ -f "$root$f" ] || fail "not installed: $f"
done

conffiles=$(dpkg-query --root="$root" -W -f='${Conffiles}' mqfs)
for f in /etc/mqfs/system.yaml /etc/apparmor.d/usr.sbin.mqfsd; do
        grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile: $conffiles"
done
"$root/usr/bin/mqfs-policy" check --system "$root/etc/mqfs/system.yaml" ||
        fail "the packaged /etc/mqfs/system.yaml does not load whole"

unit=$root/lib/systemd/system/mqfsd.service
[ -f "$unit" ] || fail "no unit at /lib/systemd/system/mqfsd.service"
for line in "Type=notify" "ExecStart=/usr/sbin/mqfsd --system /etc/mqfs/system.yaml -f /run/mqfs" \
        "ExecStartPost=-/usr/sbin/mqfs-mount repair" "ExecReload=/bin/kill -HUP \$MAINPID"; do
        grep -qxF -- "$line" "$unit" || fail "the unit lacks '$line'"
done
follow=$root/lib/systemd/system/mqfs-follow.service
grep -qxF "ExecStart=/usr/sbin/mqfs-mount follow --root /run/mqfs" "$follow" ||
        fail "no mqfs-follow.service running /usr/sbin/mqfs-mount follow"
# dh_installsystemd enables and starts both units.
for u in mqfsd.service mqfs-follow.service; do
        grep -q "deb-systemd-helper enable '$u'" "$root/var/lib/dpkg/info/mqfs.postinst" ||
                fail "the postinst does not enable $u"
done
if command -v systemd-analyze >/dev/null; then
        # The unit as this machine's systemd reads it, with the package's programs taken
        # from the root (the root has no systemd of its own to verify against).
        mkdir "$scratch/unit"
        for u in "$unit" "$follow"; do
                sed "s|/usr/sbin/|$root/usr/sbin/|g" "$u" >"$scratch/unit/$(basename "$u")"
        done
        systemd-analyze verify --man=no "$scratch"/unit/*.service >"$scratch/verify.log" 2>&1 ||
                { cat "$scratch/verify.log"; fail "systemd-analyze verify rejects the unit"; }
        [ ! -s "$scratch/verify.log" ] || { cat "$scratch/verify.log"; fail "systemd-analyze verify warns"; }
fi

profile=$root/etc/apparmor.d/usr.sbin.mqfsd
grep -q '^profile mqfsd /usr/sbin/mqfsd ' "$profile" || fail "the profile does not attach to /usr/sbin/mqfsd"
parser=$(command -v apparmor_parser || echo /sbin/apparmor_parser)
features=/sys/kernel/security/apparmor/features
[ -e "$features" ] || features=/usr/share/apparmor-features/features
if [ -x "$parser" ] && [ -e "$features" ]; then
        "$parser" -Q -K -M "$features" -I "$root/etc/apparmor.d" "$profile" ||
                fail "apparmor_parser rejects the packaged profile"
fi
# The postinst ran (chrooted): dh_apparmor's local/ file for site additions exists.
[ -f "$root/etc/apparmor.d/local/usr.sbin.mqfsd" ] || fail "the postinst did not run"

# An administrator's edit of the system state survives a reinstall.
echo 'snaps: [] # the administrator'"'"'s' >"$root/etc/mqfs/system.yaml"
inroot --force-confold -i "$deb"
grep -q "administrator's" "$root/etc/mqfs/system.yaml" || fail "a reinstall replaced the edited conffile"

# remove: the programs go, the conffiles stay; purge: they go too.
inroot -r mqfs
[ ! -e "$root/usr/sbin/mqfsd" ] || fail "remove left /usr/sbin/mqfsd"
[ -f "$root/etc/mqfs/system.yaml" ] || fail "remove took the conffile"
inroot -P mqfs
[ ! -e "$root/etc/mqfs/system.yaml" ] || fail "purge left /etc/mqfs/system.yaml"
[ ! -e "$root/etc/apparmor.d/local/usr.sbin.mqfsd" ] || fail "purge left the local/ profile file"
echo "debian_package: installs, checks out, reinstalls keeping conffiles, removes and purges in a throw-away root"
