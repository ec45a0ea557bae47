#!/usr/bin/env bash
# Install the Debian 12 packages mcp_oauth needs, when run as root and any
# is missing.  Usage: scripts/deps.sh [extra packages...]
set -euo pipefail

packages=(make gcc pkgconf zlib1g-dev postgresql-15 postgresql-server-dev-15 postgresql-contrib
	libssl-dev libpq-dev libh2o-evloop-dev libcurl4-openssl-dev openssl curl ca-certificates "$@")
# Inside a root of another PostgreSQL version (scripts/pgroot.sh), which
# installed that version itself: the extension's build tools only.
[ -n "${MO_EXTENSION_ONLY:-}" ] && packages=(make gcc pkgconf libssl-dev "$@")
# Node.js runs make run's demo MCP server: Debian's, unless a node is on PATH.
[ -z "${MO_EXTENSION_ONLY:-}" ] && ! command -v node >/dev/null && packages+=(nodejs)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages: ${missing[*]}" >&2
	echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
