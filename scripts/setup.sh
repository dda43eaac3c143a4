#!/bin/sh
# finscope: install what is missing on Debian 12 (as root), then build.
# Packages: scripts/debian-packages.txt and scripts/*/packages.txt.
# Configure flags: $FINSCOPE_CONFIGURE_FLAGS (CI: sanitizers, -Werror).
set -eu
cd "$(dirname "$0")/.."

wanted=$(cat scripts/debian-packages.txt scripts/*/packages.txt 2>/dev/null |
         sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=
for p in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing Debian packages:$missing (run as root)" >&2
        exit 1
    fi
    echo "setup: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    # Packages are tools here, not services: on a machine with an init
    # system, no daemon (prometheus, clickhouse-server) is started by
    # their installation.
    policy=/usr/sbin/policy-rc.d
    own_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 755 "$policy"
        own_policy=1
    fi
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing || {
        [ -z "$own_policy" ] || rm -f "$policy"
        exit 1
    }
    [ -z "$own_policy" ] || rm -f "$policy"
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] ||
        [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh
fi
# shellcheck disable=SC2086
./configure -q ${FINSCOPE_CONFIGURE_FLAGS:-}
make -j"$(nproc)"
