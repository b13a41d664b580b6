# Debian 12 packages mqfs needs to build and test; sourced by scripts/test and scripts/demo.
MQFS_DEPS=(build-essential cmake pkg-config clang libfuse3-dev fuse3 libyaml-dev libapparmor-dev
        apparmor libcmocka-dev libseccomp-dev libjson-c-dev util-linux valgrind
        mandoc groff-base debhelper dh-apparmor lintian)

mqfs_install_deps() {
        local missing=() p
        for p in "${MQFS_DEPS[@]}"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                        missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        if [ "$(id -u)" != 0 ]; then
                echo "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
                return 1
        fi
        echo "== installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
