#!/usr/bin/env bash
# tests/browser/run.sh: a real browser through the sign-in and consent pages.
#
# Runs under scripts/test.sh (PGHOST, PGPORT, PGUSER=postgres of a running
# throwaway cluster).  Needs Debian's chromium (installed here with apt-get
# when missing and running as root; playwright-core never downloads a
# browser), installs the locked npm dependencies (npm ci), brings up a
# database, the demo MCP upstream and the server (tests/lib/stack.sh) and
# runs browser.test.mjs with node's test runner.  Screenshots of the sign-in
# and consent pages go to tests/out/browser/.
#
#   CHROMIUM=PATH  another chromium binary (default /usr/bin/chromium)
#   STACK_KEEP=1   keep the work directory (server and demo logs)
#
# Last line: "browser: N passed, M failed"; exit status non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/stack.sh
. "$here/../lib/stack.sh"

fail() { echo "$1"; echo "browser: 0 passed, 1 failed"; exit 1; }

export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "installing chromium"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } ||
			fail "could not install chromium"
	fi
	[ -x "$CHROMIUM" ] || fail "no chromium at $CHROMIUM (apt-get install chromium)"
fi

stack_npm_ci "$here" || fail "npm ci failed"
stack_init browser || fail "no free port"
trap stack_stop EXIT
stack_database || fail "database setup failed"
stack_start || fail "the stack did not start"

mkdir -p "$here/../out/browser"
cd "$here" || exit 1
stack_node_test browser browser.test.mjs
