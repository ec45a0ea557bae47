#!/usr/bin/env bash
# make run: the embedded default.  A persistent cluster under ./.run/
# (created on first use), the extension, a demo account, the demo MCP
# server behind the /mcp gateway, and the HTTP server on 127.0.0.1:$PORT.
# Ctrl-C stops everything; the next run reuses the cluster.
#
# The cluster listens on its Unix socket in .run/ only (no TCP) and
# authenticates by peer: the user running make run may connect as postgres
# and as mcp_oauth_shim, the HTTP server's role (member of mcp_oauth_server
# only), nobody else as anyone (scripts/cluster.sh, cluster_peer).
#
# When a part does not start, or stops by itself, make run says which on
# stderr and exits 1: the cluster, the extension, the demo account, the
# demo MCP server (Node.js) or the HTTP server.  Ctrl-C or SIGTERM: exit 0.
#
#   PORT=8080                       the HTTP server's port
#   MCP_OAUTH_DEMO_PASSWORD=...     the demo account's password
#   MCP_OAUTH_RUN_DIR=DIR           the cluster's directory (default ./.run)
#   MCP_OAUTH_SERVER_ARGS='--f v'   more flags for the HTTP server, after
#                                   make run's own (a later flag wins), split
#                                   into words as a shell splits a command
#                                   line; nothing in it is expanded or run
#   MCP_OAUTH_RUN_PREBUILT=1        packages, build and install are done
#                                   (tests/embedded, under make test's lock)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
port=${PORT:-8080}
issuer="http://127.0.0.1:$port"
run=${MCP_OAUTH_RUN_DIR:-$top/.run}

# die MESSAGE: say what did not start and exit 1 (the EXIT trap stops the rest).
die() {
	echo "make run: $*" >&2
	exit 1
}

# The words of MCP_OAUTH_SERVER_ARGS in server_args: split by xargs, whose
# rules are the shell's ('...' and "..." group, a backslash escapes) without
# its expansions, so that nothing in the variable is run.
server_args=()
if [ -n "${MCP_OAUTH_SERVER_ARGS:-}" ]; then
	printf '%s' "$MCP_OAUTH_SERVER_ARGS" | xargs -r true 2>/dev/null ||
		die "MCP_OAUTH_SERVER_ARGS has an unmatched quote: $MCP_OAUTH_SERVER_ARGS"
	mapfile -d '' -t server_args < <(printf '%s' "$MCP_OAUTH_SERVER_ARGS" | xargs -r printf '%s\0')
fi

if [ -z "${MCP_OAUTH_RUN_PREBUILT:-}" ]; then
	bash scripts/deps.sh || die "missing Debian packages (see above)"
	echo "building..."
	make -s >/dev/null || die "the build failed (run make to see why)"
	if [ -w "$(pg_config --pkglibdir)" ]; then
		# under make test's lock: a test run must not have its library replaced
		flock /tmp/mcp_oauth_test.lock make -s install >/dev/null ||
			die "could not install the extension (make install)"
	elif [ ! -f "$(pg_config --pkglibdir)/mcp_oauth.so" ]; then
		die "cannot install the extension: run make run as root (or make install first)"
	fi
fi
[ -x shim/mcp-oauth-server ] || die "the HTTP server is not built (shim/mcp-oauth-server): run make"
command -v node >/dev/null ||
	die "the demo MCP server needs Node.js, and node is not on PATH: apt-get install nodejs"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	die "the HTTP server cannot listen on 127.0.0.1:$port: another program uses the port (PORT=... make run)"
fi

# shellcheck source=cluster.sh
. scripts/cluster.sh

pids=()
declare -A part=()
cluster_ours=""
# Stop what this run started; the cluster and its data stay in $run.
stop_all() {
	trap - INT TERM EXIT
	[ ${#pids[@]} -eq 0 ] && [ -z "$cluster_ours" ] && return 0
	echo "stopping..."
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[ -n "$cluster_ours" ] && cluster_stop "$run"
	echo "stopped (the cluster in $run is kept for the next run)"
}
trap 'echo; exit 0' INT TERM
trap stop_all EXIT

cluster_init "$run" || die "the PostgreSQL cluster could not be created in $run (initdb)"
cluster_peer "$run" || die "could not write the PostgreSQL cluster's authentication files in $run/data"
if [ -f "$run/pgport" ]; then pgport=$(cat "$run/pgport"); else pgport=$(free_port); echo "$pgport" >"$run/pgport"; fi
cluster_ours=1
if ! as_cluster_user "$PG_BIN/pg_ctl" -D "$run/data" status >/dev/null 2>&1; then
	cluster_start "$run" "$pgport" || die "the PostgreSQL cluster did not start (log: $run/postgres.log)"
fi
export PGHOST=$run PGPORT=$pgport PGUSER=postgres

# The extension is created, or updated from the version an earlier run left
# (ALTER EXTENSION mcp_oauth UPDATE in mcp_database): the data is kept.
mcp_database mcp_oauth "$issuer" || die "the extension could not be set up in database mcp_oauth"
echo "extension mcp_oauth $(psql -X -tA -d mcp_oauth -c "SELECT extversion FROM pg_extension WHERE extname = 'mcp_oauth'")"

# The demo account: the password from MCP_OAUTH_DEMO_PASSWORD, else one
# generated on first use and kept in $run/demo-password (mode 0600, owned by
# whoever runs make run).  psql reads it from its environment, never from
# its command line (which ps shows to every user).
if [ -n "${MCP_OAUTH_DEMO_PASSWORD:-}" ]; then
	password=$MCP_OAUTH_DEMO_PASSWORD
elif [ -f "$run/demo-password" ]; then
	password=$(cat "$run/demo-password")
else
	password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)
	(umask 077; echo "$password" >"$run/demo-password")
fi
[ -f "$run/demo-password" ] && chmod 600 "$run/demo-password"
MO_DEMO_PASSWORD=$password psql -X -q -v ON_ERROR_STOP=1 -d mcp_oauth >/dev/null <<'SQL' ||
\getenv pw MO_DEMO_PASSWORD
SELECT mcp_oauth.create_account('demo', :'pw', false, 'Demo User')
WHERE NOT EXISTS (SELECT FROM mcp_oauth.accounts WHERE username = 'demo');
SELECT mcp_oauth.set_password('demo', :'pw');
SQL
	die "the demo account could not be created or updated"

# started PID PART: remember a process this run stops at exit.
started() {
	pids+=("$1")
	part[$1]=$2
}

# ready PID TRIES CHECK...: CHECK succeeds (tried every 0.1 s) while PID lives.
ready() {
	local pid=$1 tries=$2
	shift 2
	for _ in $(seq 1 "$tries"); do
		"$@" && kill -0 "$pid" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# answers URL: URL answers 200.
answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }

# The demo MCP server, answering HTTP within 10 s.
upstream_port=$(free_port)
node demo/whoami_mcp_server.mjs --host 127.0.0.1 --port "$upstream_port" >"$run/demo-mcp.log" 2>&1 &
demo_pid=$!
started "$demo_pid" "demo MCP server (node demo/whoami_mcp_server.mjs)"
ready "$demo_pid" 100 curl -s -o /dev/null "http://127.0.0.1:$upstream_port/" ||
	die "the demo MCP server did not start (node demo/whoami_mcp_server.mjs; log: $run/demo-mcp.log):
$(tail -n 5 "$run/demo-mcp.log")"

# The HTTP server, ready (its database reachable) within 20 s.  MCP
# Inspector's page (http://localhost:6274) may call /mcp from the browser.
# The operator's flags come last: a later flag wins.
shim/mcp-oauth-server --listen "127.0.0.1:$port" --issuer "$issuer" \
	--database "host=$run port=$pgport dbname=mcp_oauth user=mcp_oauth_shim" \
	--allowed-origins "http://localhost:6274,http://127.0.0.1:6274" \
	--mcp-path /mcp --upstream "http://127.0.0.1:$upstream_port/mcp" "${server_args[@]}" &
srv_pid=$!
started "$srv_pid" "HTTP server (shim/mcp-oauth-server)"
ready "$srv_pid" 200 answers "$issuer/readyz" ||
	die "the HTTP server (shim/mcp-oauth-server) did not start on 127.0.0.1:$port (its messages are above)"

cat <<EOF

  mcp_oauth is running.

  MCP server (gateway):   $issuer/mcp
  Authorization server:   $issuer   (metadata: $issuer/.well-known/oauth-authorization-server)
  Demo account:           user demo, password $password

  Connect a client:
    Claude Code:    claude mcp add --transport http demo $issuer/mcp
    MCP Inspector:  npx @modelcontextprotocol/inspector   (Transport: Streamable HTTP, URL $issuer/mcp)
    Cursor:         ~/.cursor/mcp.json: { "mcpServers": { "demo": { "url": "$issuer/mcp" } } }

  SQL API:          psql "host=$run port=$pgport dbname=mcp_oauth user=postgres"
                    (as $(id -un) only: peer authentication on the socket, no TCP)

  Ctrl-C stops everything.
EOF

# Until Ctrl-C (the INT trap), or until a part stops by itself.
rc=0
wait -n -p who "${pids[@]}" || rc=$?
die "the ${part[$who]:-?} stopped by itself (exit status $rc)"
