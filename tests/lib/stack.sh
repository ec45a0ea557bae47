#!/usr/bin/env bash
# tests/lib/stack.sh: bring up a database, the demo MCP upstream and
# mcp-oauth-server for a client-driven test layer (tests/interop,
# tests/browser), and take them down again.  Source it from a run.sh that
# runs under scripts/test.sh (PGHOST, PGPORT, PGUSER=postgres of a running
# throwaway cluster).
#
#   stack_init NAME      work dir, names, free ports; exports STACK_* below
#   stack_database       database NAME_<pid>, extension, login role, accounts
#   stack_start          the demo upstream, then the server; waits for both
#   stack_stop           stop both, drop the database and role (trap it)
#
# Exported for the tests:
#   STACK_BASE (= issuer), STACK_RESOURCE (the /mcp URL), STACK_DB,
#   STACK_USER / STACK_PASSWORD (a normal account, display name "Alice
#   Example"), STACK_OTHER_USER (a second account, same password),
#   STACK_WORK (scratch directory, server and demo logs in it).
#
# Read by stack_start: STACK_SERVER_ARGS, more server flags (word-split).

# shellcheck source=../../scripts/cluster.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/cluster.sh"

stack_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
stack_srv_pid="" stack_demo_pid=""

# stack_init NAME: names, ports, a work directory.
stack_init() {
	: "${PGHOST:?run under scripts/test.sh}" "${PGPORT:?}"
	export PGUSER=${PGUSER:-postgres}
	local name=$1
	STACK_WORK=$(mktemp -d "/tmp/mcp_oauth_$name.XXXXXX")
	chmod 755 "$STACK_WORK"
	STACK_DB=mcp_${name}_$$
	stack_role=mcp_${name}_server_$$
	stack_port=$(free_port) || return 1
	stack_up_port=$(free_port) || return 1
	while [ "$stack_up_port" = "$stack_port" ]; do stack_up_port=$(free_port); done
	STACK_BASE=http://127.0.0.1:$stack_port
	STACK_RESOURCE=$STACK_BASE/mcp
	STACK_USER=alice
	STACK_OTHER_USER=bob
	STACK_PASSWORD=correct-horse-battery-staple
	export STACK_WORK STACK_DB STACK_BASE STACK_RESOURCE STACK_USER STACK_OTHER_USER STACK_PASSWORD
}

# psql on the stack's database, stopping at the first error.
stack_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$STACK_DB" "$@"
}

# stack_database: the database with the extension, settings, role, accounts.
stack_database() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $STACK_DB" || return 1
	stack_psql >"$STACK_WORK/setup.out" <<-SQL
	CREATE EXTENSION pgcrypto;
	CREATE EXTENSION mcp_oauth;
	CREATE ROLE $stack_role LOGIN IN ROLE mcp_oauth_server;
	ALTER DATABASE $STACK_DB SET mcp_oauth.issuer = '$STACK_BASE';
	ALTER DATABASE $STACK_DB SET mcp_oauth.resources = '$STACK_RESOURCE';
	-- every client of the tests registers, and has its documents fetched, from 127.0.0.1
	ALTER DATABASE $STACK_DB SET mcp_oauth.registration_rate_limit = 100000;
	ALTER DATABASE $STACK_DB SET mcp_oauth.client_metadata_fetch_rate_limit = 100000;
	SET mcp_oauth.issuer = '$STACK_BASE';
	SET mcp_oauth.resources = '$STACK_RESOURCE';
	SELECT mcp_oauth.create_account('$STACK_USER', '$STACK_PASSWORD', false, 'Alice Example');
	SELECT mcp_oauth.create_account('$STACK_OTHER_USER', '$STACK_PASSWORD');
	SELECT mcp_oauth.rotate_signing_key() IS NOT NULL;
	SQL
}

# stack_start: the demo upstream and the server, both answering.
stack_start() {
	local extra=()
	read -ra extra <<<"${STACK_SERVER_ARGS:-}"
	node "$stack_top/demo/whoami_mcp_server.mjs" --port "$stack_up_port" \
		>"$STACK_WORK/demo.log" 2>&1 &
	stack_demo_pid=$!
	local ok=""
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$stack_up_port/" && { ok=1; break; }
		sleep 0.1
	done
	[ -n "$ok" ] || { echo "demo upstream did not start"; cat "$STACK_WORK/demo.log"; return 1; }

	"$stack_top/shim/mcp-oauth-server" --listen "127.0.0.1:$stack_port" --issuer "$STACK_BASE" \
		--database "host=$PGHOST port=$PGPORT dbname=$STACK_DB user=$stack_role" \
		--upstream "http://127.0.0.1:$stack_up_port/mcp" --threads 2 "${extra[@]}" \
		>"$STACK_WORK/server.log" 2>&1 &
	stack_srv_pid=$!
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$STACK_BASE/readyz")" = 200 ] && return 0
		kill -0 "$stack_srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "server did not start"; cat "$STACK_WORK/server.log"; return 1
}

# stack_stop: stop what stack_start started, drop what stack_database made.
stack_stop() {
	local pid
	for pid in "$stack_srv_pid" "$stack_demo_pid"; do
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	stack_srv_pid="" stack_demo_pid=""
	if [ -n "${STACK_DB:-}" ]; then
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $STACK_DB WITH (FORCE)" >/dev/null 2>&1
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $stack_role" >/dev/null 2>&1
	fi
	if [ -n "${STACK_WORK:-}" ]; then
		if [ -n "${STACK_KEEP:-}" ]; then echo "kept $STACK_WORK"; else rm -rf "$STACK_WORK"; fi
	fi
}

# stack_npm_ci DIR: install DIR's dependencies exactly as its lockfile says.
stack_npm_ci() {
	(cd "$1" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
}

# stack_node_test NAME FILES...: node's test runner, spec output on the
# terminal, TAP kept to count; on failure the server log's tail; last line
# "NAME: N passed, M failed".
stack_node_test() {
	local name=$1; shift
	local tap=$STACK_WORK/$name.tap rc p f
	node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
		--test-reporter=tap --test-reporter-destination="$tap" "$@"
	rc=$?
	p=$(grep -E '^# pass [0-9]+' "$tap" | tail -n 1 | grep -oE '[0-9]+')
	f=$(grep -E '^# fail [0-9]+' "$tap" | tail -n 1 | grep -oE '[0-9]+')
	p=${p:-0} f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	if [ "$f" -ne 0 ]; then
		echo "--- server log (last 40 lines)"
		tail -n 40 "$STACK_WORK/server.log"
	fi
	echo "$name: $p passed, $f failed"
	[ "$f" -eq 0 ]
}
