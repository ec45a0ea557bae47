#!/usr/bin/env bash
# make run: the embedded default.  A persistent cluster under ./.run/
# (created on first use), the extension, a demo account, the demo MCP
# server behind the /mcp gateway, and the HTTP server on 127.0.0.1:$PORT.
# Ctrl-C stops everything; the next run reuses the cluster.
#
#   PORT=8080                       the HTTP server's port
#   MCP_OAUTH_DEMO_PASSWORD=...     the demo account's password
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
port=${PORT:-8080}
issuer="http://127.0.0.1:$port"
run=$top/.run

bash scripts/deps.sh
echo "building..."
make -s >/dev/null
if [ -w "$(pg_config --pkglibdir)" ]; then
	# under make test's lock: a test run must not have its library replaced
	flock /tmp/mcp_oauth_test.lock make -s install >/dev/null
elif [ ! -f "$(pg_config --pkglibdir)/mcp_oauth.so" ]; then
	echo "cannot install the extension: run make run as root (or make install first)" >&2
	exit 1
fi

# shellcheck source=cluster.sh
. scripts/cluster.sh
mkdir -p "$run"
[ "$(id -u)" -eq 0 ] && chown "$(cluster_user):" "$run"
cluster_init "$run"
if [ -f "$run/pgport" ]; then pgport=$(cat "$run/pgport"); else pgport=$(free_port); echo "$pgport" >"$run/pgport"; fi
if ! as_cluster_user "$PG_BIN/pg_ctl" -D "$run/data" status >/dev/null 2>&1; then
	cluster_start "$run" "$pgport"
fi
export PGHOST=$run PGPORT=$pgport PGUSER=postgres
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -d "$@"; }

# The extension is created, or updated from the version an earlier run left
# (ALTER EXTENSION mcp_oauth UPDATE in mcp_database): the data is kept.
mcp_database mcp_oauth "$issuer" || { echo "could not set up the mcp_oauth database" >&2; exit 1; }
echo "extension mcp_oauth $(psql -X -tA -d mcp_oauth -c "SELECT extversion FROM pg_extension WHERE extname = 'mcp_oauth'")"

# The demo account: the password from MCP_OAUTH_DEMO_PASSWORD, else one
# generated on first use and kept in .run/demo-password.
if [ -n "${MCP_OAUTH_DEMO_PASSWORD:-}" ]; then
	password=$MCP_OAUTH_DEMO_PASSWORD
elif [ -f "$run/demo-password" ]; then
	password=$(cat "$run/demo-password")
else
	password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)
	(umask 077; echo "$password" >"$run/demo-password")
fi
psql_q mcp_oauth -v pw="$password" >/dev/null <<'SQL'
SELECT mcp_oauth.create_account('demo', :'pw', false, 'Demo User')
WHERE NOT EXISTS (SELECT FROM mcp_oauth.accounts WHERE username = 'demo');
SELECT mcp_oauth.set_password('demo', :'pw');
SQL

pids=()
stop_all() {
	trap - INT TERM EXIT
	echo
	echo "stopping..."
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	cluster_stop "$run"
	echo "stopped (the cluster in .run/ is kept for the next run)"
}
trap stop_all INT TERM EXIT

upstream_port=$(free_port)
node demo/whoami_mcp_server.mjs --host 127.0.0.1 --port "$upstream_port" >"$run/demo-mcp.log" 2>&1 &
pids+=($!)

shim/mcp-oauth-server --listen "127.0.0.1:$port" --issuer "$issuer" \
	--database "host=$run port=$pgport dbname=mcp_oauth user=mcp_oauth_shim" \
	--mcp-path /mcp --upstream "http://127.0.0.1:$upstream_port/mcp" &
pids+=($!)

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

  Ctrl-C stops everything.
EOF
wait -n "${pids[@]}" || true
