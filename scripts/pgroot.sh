#!/usr/bin/env bash
# Run the extension's test layers on another PostgreSQL major version, inside
# a Debian root made with debootstrap (PostgreSQL 17 and 18 are not
# installable on Debian 12).
#
#   scripts/pgroot.sh MAJOR [LAYERS]     e.g. scripts/pgroot.sh 17
#
# MAJOR 17 uses Debian 13 (trixie), 18 Debian unstable (sid), both from the
# Debian mirror this machine's apt already names.  The roots are kept in
# $MO_ROOT_CACHE (default /var/cache/mcp_oauth/roots), outside the checkout,
# so a later run on the same machine skips the set-up.  The checkout's files
# (tracked and untracked, not ignored) are copied to /build inside the root,
# and scripts/test.sh runs there with LAYERS (default "unit regress
# isolation"), printing its own "make test: N passed, M failed" line.
# /proc, /dev and a /dev/shm tmpfs are mounted for the run in a mount
# namespace of its own (gone with the run, however it ends).  Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

major=${1:?usage: scripts/pgroot.sh MAJOR [LAYERS]}
layers=${2:-unit regress isolation}
case $major in
17) suite=trixie ;;
18) suite=sid ;;
*) echo "pgroot: no Debian root known for PostgreSQL $major" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "pgroot: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

cache=${MO_ROOT_CACHE:-/var/cache/mcp_oauth/roots}
root=$cache/$suite-pg$major
packages="make gcc libc6-dev pkgconf libssl-dev postgresql-$major postgresql-server-dev-$major"

# The Debian archive this machine's apt uses (deb822 or one-line sources).
debian_mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u { print u; exit }')
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
	echo "${uri:-http://deb.debian.org/debian}"
}

# Run a command in root $1 under chroot, with /proc, /dev and a /dev/shm
# tmpfs mounted in a mount namespace of its own: the mounts are never seen
# outside it and go with it, however the command ends (even killed).
in_root() {
	local r=$1; shift
	unshare --mount --propagation private -- sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --bind /dev "$r/dev" &&
			mount -t tmpfs -o mode=1777,size=512m shm "$r/dev/shm" &&
			exec chroot "$r" "$@"' in_root "$r" "$@"
}

# Make the root once: debootstrap, then the PostgreSQL packages.  A root is
# used only once complete (the .ready mark), so an interrupted set-up is
# started again.
make_root() {
	local tmp=$root.tmp mirror
	mirror=$(debian_mirror)
	echo "pgroot: making a Debian $suite root with PostgreSQL $major from $mirror (once)"
	command -v debootstrap >/dev/null || bash scripts/deps.sh debootstrap
	rm -rf --one-file-system "$tmp"
	mkdir -p "$cache"
	debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/$suite.log" 2>&1 ||
		{ tail -n 20 "$cache/$suite.log" >&2; return 1; }
	# no services started and no default cluster made by the packages
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	mkdir -p "$tmp/etc/postgresql-common/createcluster.d"
	echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.d/mcp_oauth.conf"
	# unstable's Release file may be past its validity date on the mirror
	echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99mcp_oauth"
	in_root "$tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -c \
		"apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages" \
		>>"$cache/$suite.log" 2>&1 || { tail -n 20 "$cache/$suite.log" >&2; return 1; }
	touch "$tmp/.ready"
	rm -rf --one-file-system "$root"
	mv "$tmp" "$root"
}

[ -f "$root/.ready" ] || make_root

# A fresh copy of the checkout's files at /build.
rm -rf --one-file-system "$root/build"
mkdir -p "$root/build"
git -C "$top" ls-files -z --cached --others --exclude-standard |
	tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$root/build"

echo "pgroot: PostgreSQL $(chroot "$root" /usr/lib/postgresql/$major/bin/pg_config --version | awk '{print $2}') on Debian $suite; layers: $layers"
in_root "$root" env -i PATH=/usr/lib/postgresql/$major/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root LC_ALL=C.UTF-8 TEST_LAYERS="$layers" MO_EXTENSION_ONLY=1 \
	bash -c 'cd /build && bash scripts/test.sh'
