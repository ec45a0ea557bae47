#!/usr/bin/env bash
# tests/embedded/run.sh: make run's start-up (scripts/run.sh), for real.
#
# Runs under scripts/test.sh as root (the extension and the server are
# built and installed; MCP_OAUTH_RUN_PREBUILT skips that in run.sh, whose
# install would wait for make test's lock).  Each case starts scripts/run.sh
# on a scratch directory (MCP_OAUTH_RUN_DIR) and a free port:
#
#   1. the embedded cluster admits no one but the user who ran it (issue 12,
#      finding 12): Unix socket only, peer authentication, no TCP, a private
#      directory; another OS user is refused, and so is the cluster user as
#      the server's role; the server's role mcp_oauth_shim has no attribute
#      and no membership but mcp_oauth_server, and cannot read signing_keys
#      or any table; the demo password is in a 0600 file and on no command
#      line; Ctrl-C stops everything with status 0.
#   2. a cluster made by an earlier version (trust, a 0755 directory) is
#      made private and peer-authenticated at the next start.
#   3. a part that does not start, or stops, ends make run with status 1 and
#      a message naming it (finding 15): a demo MCP server that stops, no
#      node on PATH, a node that fails, the port taken, a refused demo
#      password, an extension that cannot be created, a broken cluster.
#   4. make run by an unprivileged user (nobody, from a copy of the
#      checkout): the cluster runs as that user, who connects as postgres,
#      and root is refused.
#   5. MCP_OAUTH_SERVER_ARGS (issue 14): more server flags, split as a
#      shell splits words (a quoted value with a space stays one), after
#      make run's own (they win); nothing in it is run; an unmatched quote
#      or a flag the server refuses ends make run with status 1.
#
#   EMBEDDED_KEEP=1   keep the work directory
#
# Last line: "embedded: N passed, M failed"; exit status non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=../../scripts/cluster.sh
. scripts/cluster.sh

[ "$(id -u)" -eq 0 ] || { echo "embedded: needs root (runs psql as other users)"; echo "embedded: 0 passed, 1 failed"; exit 1; }
# the test cluster's settings must not leak into make run's
unset PGHOST PGPORT PGUSER PGDATABASE

work=$(mktemp -d /tmp/mcp_oauth_embedded.XXXXXX)
chmod 711 "$work"			# the cluster user reaches $dir below it
dir=$work/run
port=$(free_port) || exit 1
passed=0 failed=0
rpid="" listener=""

cleanup() {
	[ -n "$rpid" ] && kill -TERM -- -"$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
	cluster_stop "$dir"
	[ -f "$work/nobody/data/postmaster.pid" ] &&
		runuser -u nobody -- "$PG_BIN/pg_ctl" -D "$work/nobody/data" -m fast -w stop >/dev/null 2>&1
	if [ -n "${EMBEDDED_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# check NAME COMMAND...: one test; COMMAND's status is the verdict.
check() {
	local name=$1; shift
	local why
	if why=$("$@" 2>&1); then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "FAIL - $name"
		[ -n "$why" ] && echo "$why" | sed 's/^/    /'
	fi
	return 0
}
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
has() { case $1 in *"$2"*) return 0 ;; esac; echo "'$(echo "$1" | tail -c 600)' lacks '$2'"; return 1; }
matches() { echo "$1" | grep -Eq -- "$2" || { echo "'$(echo "$1" | tail -c 600)' does not match /$2/"; return 1; }; }
# fails COMMAND...: COMMAND exits non-zero.
fails() { if "$@"; then echo "succeeded: $*"; return 1; fi; return 0; }

# ---- make run ----

# start_run LOG [VAR=VALUE...]: scripts/run.sh in the background (its own
# process group, so that SIGINT reaches its trap as Ctrl-C would); $rpid.
start_run() {
	local log=$1; shift
	set -m
	${RUN_AS:+runuser -u "$RUN_AS" --} env "$@" PORT="$port" MCP_OAUTH_RUN_DIR="$dir" MCP_OAUTH_RUN_PREBUILT=1 \
		bash "${RUN_TREE:-.}/scripts/run.sh" >"$log" 2>&1 </dev/null &
	rpid=$!
	set +m
}

# up LOG: make run printed that it runs (0), or ended (1), within 120 s.
up() {
	for _ in $(seq 1 1200); do
		grep -q 'mcp_oauth is running' "$1" && return 0
		kill -0 "$rpid" 2>/dev/null || return 1
		sleep 0.1
	done
	echo "make run did not come up in 120 s"
	return 1
}

# finish: $rc, make run's exit status, waiting at most 60 s.
finish() {
	for _ in $(seq 1 600); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
	# still running: its whole process group (the server, the demo)
	kill -0 "$rpid" 2>/dev/null && kill -KILL -- -"$rpid"
	wait "$rpid"
	rc=$?
	rpid=""
}

# run_to_end LOG [VAR=VALUE...]: make run, expected to end by itself; $rc.
run_to_end() {
	start_run "$@"
	finish
}

# sql USER [PSQL ARGS...]: psql as the current OS user on the cluster's socket.
sql() {
	local user=$1; shift
	psql -X -q -tA -v ON_ERROR_STOP=1 "host=$dir port=$(cat "$dir/pgport") dbname=mcp_oauth user=$user" "$@"
}
# sql_as OSUSER ROLE SQL: psql as another OS user; output and errors.
sql_as() {
	runuser -u "$1" -- psql -X -q -tA "host=$dir port=$(cat "$dir/pgport") dbname=mcp_oauth user=$2" -c "$3" 2>&1
}
# down: no postmaster runs in $dir.
down() { [ ! -f "$dir/data/postmaster.pid" ] || { echo "the cluster still runs"; return 1; }; }
# port_closed: nothing listens on the HTTP port.
port_closed() { ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "127.0.0.1:$port still answers"; return 1; }; }

# ---- 1. the embedded cluster admits only its user (finding 12) ----

# psql's command lines, as ps shows them to every user
mkdir -p "$work/bin"
cat >"$work/bin/psql" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$work/psql-args"
exec $(command -v psql) "\$@"
EOF
chmod 755 "$work/bin/psql"
: >"$work/psql-args"

log=$work/run1.log
start_run "$log" PATH="$work/bin:$PATH"
if ! up "$log"; then
	check "1.0 make run starts" false
	cat "$log"
	echo "embedded: $passed passed, $failed failed"
	exit 1
fi
check "1.0 make run starts" true
password=$(cat "$dir/demo-password")
pgport=$(cat "$dir/pgport")
check "1.1 the server is ready" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" 200
# /mcp from MCP Inspector's page is let through to the token check (401),
# from any other page refused (403)
mcp_status() { curl -s -o /dev/null -w '%{http_code}' -X POST -H "Origin: $1" "http://127.0.0.1:$port/mcp"; }
check "1.1a MCP Inspector's origin reaches /mcp's token check" eq "$(mcp_status http://localhost:6274)" 401
check "1.1b another page's origin is refused at /mcp" eq "$(mcp_status http://evil.example)" 403
check "1.2 the user who ran make run connects as postgres by peer" eq "$(sql postgres -c 'SELECT current_user')" postgres
check "1.3 every pg_hba.conf rule is peer (local) or reject" eq \
	"$(sql postgres -c "SELECT string_agg(type || ' ' || auth_method || coalesce(' ' || error, ''), ', ' ORDER BY line_number) FROM pg_hba_file_rules")" \
	"local peer, host reject"
check "1.4 no TCP: listen_addresses is empty" eq "$(sql postgres -c 'SHOW listen_addresses')" ""
check "1.5 no TCP: 127.0.0.1 refuses the connection" \
	fails psql -X -q -tA "host=127.0.0.1 port=$pgport dbname=mcp_oauth user=postgres" -c 'SELECT 1'
check "1.6 the cluster's directory is private" eq "$(stat -c %a "$dir")" 700
out=$(sql_as nobody postgres 'SELECT 1')
check "1.7 another OS user is refused as postgres" matches "$out" 'Permission denied|authentication failed'
out=$(sql_as nobody mcp_oauth_shim 'SELECT 1')
check "1.8 another OS user is refused as the server's role" matches "$out" 'Permission denied|authentication failed'
out=$(sql_as postgres mcp_oauth_shim 'SELECT 1')
check "1.9 peer, not trust: the cluster user is refused as the server's role" \
	has "$out" 'Peer authentication failed for user "mcp_oauth_shim"'
check "1.10 the server's role has no attribute and no password" eq \
	"$(sql postgres -c "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolpassword IS NULL FROM pg_authid WHERE rolname = 'mcp_oauth_shim'")" \
	"f|f|f|f|f|t"
check "1.11 the server's role is a member of mcp_oauth_server only" eq \
	"$(sql postgres -c "SELECT string_agg(roleid::regrole::text, ',') FROM pg_auth_members WHERE member = 'mcp_oauth_shim'::regrole")" \
	mcp_oauth_server
check "1.12 mcp_oauth_server is a member of no role" eq \
	"$(sql postgres -c "SELECT count(*) FROM pg_auth_members WHERE member = 'mcp_oauth_server'::regrole")" 0
check "1.13 only mcp_oauth_server (and superusers) may connect to the database" eq \
	"$(sql postgres -c "SELECT string_agg(CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END || ':' || a.privilege_type, ',') FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = 'mcp_oauth' AND a.grantee <> d.datdba")" \
	mcp_oauth_server:CONNECT
check "1.14 the server's role calls its endpoint functions" \
	matches "$(sql mcp_oauth_shim -c 'SELECT mcp_oauth.jwks()')" '"keys"'
out=$(sql mcp_oauth_shim -c 'SELECT count(*) FROM mcp_oauth.signing_keys' 2>&1)
check "1.15 the server's role cannot read signing_keys" has "$out" 'permission denied for table signing_keys'
check "1.16 the server's role can read, write or lock no relation of the schema" eq \
	"$(sql mcp_oauth_shim -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'mcp_oauth' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') OR (c.relkind = 'S' AND has_sequence_privilege(c.oid, 'USAGE')))")" 0
check "1.17 the demo password's file is 0600 and the invoking user's" eq \
	"$(stat -c '%a %U' "$dir/demo-password")" "600 $(id -un)"
check "1.18 psql was run by make run" matches "$(cat "$work/psql-args")" 'mcp_oauth'
check "1.19 the demo password was on no psql command line" fails grep -qF -- "$password" "$work/psql-args"
ps -eo args >"$work/ps"
check "1.20 the demo password is on no command line now" fails grep -qF -- "$password" "$work/ps"
kill -INT -- -"$rpid"		# Ctrl-C: the whole process group
finish
check "1.21 Ctrl-C: make run exits 0" eq "$rc" 0
check "1.22 Ctrl-C stops the cluster" down
check "1.23 Ctrl-C stops the server" port_closed

# ---- 2. a cluster of an earlier version is made private at the next start ----

printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
chmod 755 "$dir"
log=$work/run2.log
start_run "$log"
if up "$log"; then
	check "2.1 make run starts again on the same cluster" true
	check "2.2 the earlier trust rules are gone" eq \
		"$(sql postgres -c "SELECT string_agg(type || ' ' || auth_method, ', ' ORDER BY line_number) FROM pg_hba_file_rules")" \
		"local peer, host reject"
	check "2.3 the directory is private again" eq "$(stat -c %a "$dir")" 700
	check "2.4 the demo account's password is kept" eq "$(cat "$dir/demo-password")" "$password"

	# ---- 3. a part that stops, or does not start (finding 15) ----
	node_pid=$(pgrep -P "$rpid" -x node)
	kill -KILL "$node_pid"
	finish
	check "3.1 a demo MCP server that stops ends make run with 1" eq "$rc" 1
	check "3.2 ... saying so" has "$(cat "$log")" "make run: the demo MCP server (node demo/whoami_mcp_server.mjs) stopped by itself"
	check "3.3 ... and stops the server" port_closed
	check "3.4 ... and the cluster" down
else
	check "2.1 make run starts again on the same cluster" false
	cat "$log"
fi

# a PATH without node: every command of /usr/bin and /usr/local/bin but node
mkdir -p "$work/nonode"
for f in /usr/local/bin/* /usr/bin/*; do
	case ${f##*/} in node | nodejs | npm | npx | corepack) continue ;; esac
	[ -e "$work/nonode/${f##*/}" ] || ln -s "$f" "$work/nonode/${f##*/}"
done
log=$work/run3.log
run_to_end "$log" PATH="$work/nonode:/usr/sbin:/sbin"
check "3.5 no node on PATH: make run exits 1" eq "$rc" 1
check "3.6 ... naming the demo MCP server and Node.js" \
	has "$(cat "$log")" "make run: the demo MCP server needs Node.js, and node is not on PATH"
check "3.7 ... before it starts the cluster" down

# a node that fails at once
mkdir -p "$work/badnode"
printf '#!/bin/sh\necho "node: cannot start (test)" >&2\nexit 3\n' >"$work/badnode/node"
chmod 755 "$work/badnode/node"
log=$work/run4.log
run_to_end "$log" PATH="$work/badnode:$PATH"
check "3.8 a demo MCP server that does not start: make run exits 1" eq "$rc" 1
check "3.9 ... naming it" has "$(cat "$log")" \
	"make run: the demo MCP server did not start (node demo/whoami_mcp_server.mjs; log: $dir/demo-mcp.log)"
check "3.10 ... with its log's tail" has "$(cat "$log")" "node: cannot start (test)"
check "3.11 ... and stops the cluster it started" down

# the HTTP port taken
node -e 'require("net").createServer().listen(+process.argv[1], "127.0.0.1")' "$port" &
listener=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
log=$work/run5.log
run_to_end "$log"
kill "$listener" && wait "$listener" 2>/dev/null
listener=""
check "3.12 the port taken: make run exits 1" eq "$rc" 1
check "3.13 ... naming the HTTP server and the port" \
	has "$(cat "$log")" "make run: the HTTP server cannot listen on 127.0.0.1:$port"
check "3.14 ... before it starts the cluster" down

# a demo password the account policy refuses
log=$work/run6.log
run_to_end "$log" MCP_OAUTH_DEMO_PASSWORD=short
check "3.15 a refused demo password: make run exits 1" eq "$rc" 1
check "3.16 ... naming the demo account" has "$(cat "$log")" "make run: the demo account could not be created or updated"
check "3.17 ... and the password policy's reason" has "$(cat "$log")" "password is too short"
check "3.18 ... and stops the cluster" down

# an extension that cannot be created (its schema taken by another table)
cluster_start "$dir" "$pgport" >/dev/null
sql postgres -c 'SET client_min_messages = warning' -c 'DROP EXTENSION mcp_oauth CASCADE' -c 'CREATE SCHEMA IF NOT EXISTS mcp_oauth' \
	-c 'CREATE TABLE mcp_oauth.clients (x int)'
log=$work/run7.log
run_to_end "$log"
check "3.19 an extension that cannot be created: make run exits 1" eq "$rc" 1
check "3.20 ... naming the extension" has "$(cat "$log")" "make run: the extension could not be set up in database mcp_oauth"
check "3.21 ... and stops the cluster" down

# a cluster that does not start
echo 9 >"$dir/data/PG_VERSION"
log=$work/run8.log
run_to_end "$log"
check "3.22 a cluster that does not start: make run exits 1" eq "$rc" 1
check "3.23 ... naming the cluster" has "$(cat "$log")" "make run: the PostgreSQL cluster did not start"
check "3.24 ... after PostgreSQL's own reason" has "$(cat "$log")" "incompatible"

# ---- 4. make run by an unprivileged user ----

# nobody may not reach the checkout (CI clones under /root): make run
# starts from a copy of what it uses, readable by everyone.
tree=$work/tree
mkdir -p "$tree/shim" && cp -r scripts demo "$tree/" && cp shim/mcp-oauth-server "$tree/shim/" &&
	chmod -R a+rX "$tree"
if runuser -u nobody -- test -r "$tree/scripts/run.sh" -a -x "$tree/shim/mcp-oauth-server"; then
	dir=$work/nobody
	port=$(free_port) || exit 1
	mkdir "$dir" && chown nobody: "$dir"
	log=$work/run9.log
	RUN_AS=nobody RUN_TREE=$tree start_run "$log" HOME="$dir"
	if up "$log"; then
		check "4.1 make run starts as nobody" true
		check "4.2 the cluster runs as nobody" eq "$(stat -c %U "$dir/data/postmaster.pid")" nobody
		check "4.3 nobody connects as postgres" eq "$(sql_as nobody postgres 'SELECT current_user')" postgres
		check "4.4 nobody connects as the server's role" eq "$(sql_as nobody mcp_oauth_shim 'SELECT current_user')" mcp_oauth_shim
		out=$(sql postgres -c 'SELECT 1' 2>&1)
		check "4.5 root is refused" has "$out" 'Peer authentication failed for user "postgres"'
		check "4.6 the demo password's file is nobody's, 0600" eq "$(stat -c '%a %U' "$dir/demo-password")" "600 nobody"
		# runuser's child, scripts/run.sh (su -c style: a session of its own)
		kill -INT "$(pgrep -P "$rpid")"
		finish
		check "4.7 SIGINT: make run exits 0" eq "$rc" 0
		check "4.8 SIGINT stops the cluster" down
	else
		check "4.1 make run starts as nobody" false
		cat "$log"
	fi
else
	check "4.0 nobody can read a copy of make run's files" false
fi

# ---- 5. MCP_OAUTH_SERVER_ARGS: the operator's server flags ----

dir=$work/args
port=$(free_port) || exit 1
log=$work/run10.log
start_run "$log" MCP_OAUTH_SERVER_ARGS="--log-level warn  --allowed-origins 'https://one.example, https://two.example' "
if up "$log"; then
	check "5.1 make run starts with MCP_OAUTH_SERVER_ARGS" true
	check "5.2 a quoted value with a space is one flag's: its second origin reaches /mcp" \
		eq "$(mcp_status https://two.example)" 401
	check "5.3 the operator's flag wins over make run's own (Inspector's origin replaced)" \
		eq "$(mcp_status http://localhost:6274)" 403
	check "5.4 --log-level warn took effect: no access log line of those requests" \
		fails grep -q "POST /mcp" "$log"
	check "5.4a ... which make run's default level (info) logs" grep -q "POST /mcp" "$work/run1.log"
	kill -INT -- -"$rpid"
	finish
	check "5.5 Ctrl-C: make run exits 0" eq "$rc" 0
else
	check "5.1 make run starts with MCP_OAUTH_SERVER_ARGS" false
	cat "$log"
fi
log=$work/run11.log
run_to_end "$log" MCP_OAUTH_SERVER_ARGS="--log-level \$(touch $work/ran) \`touch $work/ran2\`"
check "5.6 a flag the server refuses: make run exits 1" eq "$rc" 1
check "5.7 ... with the server's reason, the text as it was given" \
	has "$(cat "$log")" "unexpected argument \"$work/ran)\""
check "5.8 ... and nothing in it was run" fails test -e "$work/ran" -o -e "$work/ran2"
check "5.9 ... and the cluster is stopped" down
log=$work/run12.log
run_to_end "$log" MCP_OAUTH_SERVER_ARGS="--allowed-origins 'https://one.example"
check "5.10 an unmatched quote: make run exits 1" eq "$rc" 1
check "5.11 ... naming the variable" has "$(cat "$log")" "make run: MCP_OAUTH_SERVER_ARGS has an unmatched quote"
check "5.12 ... before it starts anything" eq "$(grep -c 'extension mcp_oauth' "$log")" 0

echo "embedded: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
