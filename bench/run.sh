#!/usr/bin/env bash
# make bench: the SQL-level benchmarks beside their floors, measured in one
# run on one cluster (fsync and synchronous_commit on), then the HTTP
# benchmarks (bench/http.sh) when the server is built.  Prints one line per
# figure: transactions/s and the ratio to its floor.
#
#   BENCH_SECONDS=5    length of each pgbench run
#   BENCH_RUNS=3       runs per figure; the best one counts (floors too)
#
# pgbench runs a thread per client: with two clients per thread, runs on a
# 2-core VM land now and then in a slow scheduling mode (wakeup IPIs) that
# halves SELECT 1 (100k-218k/s from one run to the next; a thread per
# client: 209k-213k/s).
#   BENCH_CLIENTS=4    pgbench clients
#
# A pgbench error (a transaction whose answer is not what it must be: each
# script checks its own) stops the benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${BENCH_SECONDS:-5}
runs=${BENCH_RUNS:-3}
clients=${BENCH_CLIENTS:-4}

bash scripts/deps.sh
make -s >/dev/null && make -s install >/dev/null
. scripts/cluster.sh
tmp=$(mktemp -d /tmp/mcp_oauth_bench.XXXXXX); chmod 755 "$tmp"
port=$(free_port)
trap 'cluster_stop "$tmp"; rm -rf "$tmp"' EXIT
cluster_init "$tmp"
cluster_start "$tmp" "$port" max_connections=50 shared_buffers=256MB
resource=http://127.0.0.1:8080/mcp
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
CREATE DATABASE bench;
\c bench
CREATE EXTENSION mcp_oauth CASCADE;
ALTER DATABASE bench SET mcp_oauth.issuer = 'http://127.0.0.1:8080';
ALTER DATABASE bench SET mcp_oauth.resources = '$resource';
CREATE TABLE bench_floor (id bigserial PRIMARY KEY, v text);
CREATE TABLE bench_refresh (id int PRIMARY KEY, rt text);
SQL
export PGDATABASE=bench

# One code round through the SQL functions; prints the token response JSON.
code_round() {
	psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
SELECT (mcp_oauth.authorize('response_type=code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s', '127.0.0.1')).body::json->>'request_id' AS req \gset
SELECT substring((mcp_oauth.authorize_decision(:'req', 'bench', true, NULL, '127.0.0.1')).location from '[?&]code=([^&]+)') AS code \gset
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL, 'grant_type=authorization_code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code=' || :'code', '127.0.0.1')).body;
SQL
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }

tok=$(code_round | json_field access_token)
[ -n "$tok" ] && [ "$tok" != undefined ] || { echo "bench: could not mint a token" >&2; exit 1; }
pat=$(psql -X -tA -c "SELECT mcp_oauth.create_personal_access_token('bench', 'bench', '{mcp:tools}')")
# A fresh token family per client for the refresh runs (each run rotates
# them; a second run with the same tokens would be refresh-token reuse).
refill_families() {
	psql -X -q -c "TRUNCATE bench_refresh"
	for i in $(seq 0 $((clients - 1))); do
		rt=$(code_round | json_field refresh_token)
		psql -X -q -c "INSERT INTO bench_refresh VALUES ($i, '$rt')"
	done
}

# Best tps of $runs pgbench runs (BENCH_BEFORE_RUN: a command run before
# each).  Generic plans for pgbench's own statements, as the HTTP server's
# one-call statements get: a plan made again at every call would be a cost
# of the script, not of the extension.
tps() {
	local f=$1 best=0 out t
	shift
	for _ in $(seq 1 "$runs"); do
		[ -n "${BENCH_BEFORE_RUN:-}" ] && $BENCH_BEFORE_RUN >/dev/null
		if ! out=$(PGOPTIONS="${PGOPTIONS:-} -c plan_cache_mode=force_generic_plan" \
			pgbench -n -M prepared -c "$clients" -j "$clients" -T "$secs" -f "bench/pgbench/$f" "$@" 2>&1) ||
			! grep -q '^number of failed transactions: 0 ' <<<"$out"; then
			echo "bench: $f failed:" >&2
			grep -Ev '^(pgbench|transaction type|scaling|query mode|number of (clients|threads)|maximum|duration)' <<<"$out" | head -n 20 >&2
			exit 1
		fi
		t=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | tail -n 1)
		best=$(awk -v a="$t" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
	done
	echo "$best"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
line() { printf '%-34s %10.0f /s   %5s x %s\n' "$1" "$2" "$(ratio "$2" "$3")" "$4"; }

echo "mcp_oauth SQL benchmarks: $clients clients, best of $runs runs of ${secs}s each, $(nproc) cores"
select1=$(tps select1.sql)
durable=$(tps durable_insert.sql)
alg=ES256; speed=ecdsap256
openssl_verify=$(openssl speed -multi "$(nproc)" -seconds 3 "$speed" 2>/dev/null |
	awk '/nistp256/ { v = $NF } END { print v }')
seen=$(tps verify.sql -D tok="$tok" -D resource="$resource" -D need="{mcp:tools}")
# first seen: the token cache off.  The grant the token names is known
# (the grant cache, as for every token after a refresh), or not either.
first=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify.sql -D tok="$tok" -D resource="$resource" -D need="{mcp:tools}")
first_cold=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0 -c mcp_oauth.grant_cache_size=0" tps verify.sql -D tok="$tok" -D resource="$resource" -D need="{mcp:tools}")
patv=$(tps verify.sql -D tok="$pat" -D resource="$resource" -D need="{mcp:tools}")
patfirst=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify.sql -D tok="$pat" -D resource="$resource" -D need="{mcp:tools}")
refresh=$(BENCH_BEFORE_RUN=refill_families tps refresh.sql -D first=1)
round=$(tps code_round.sql)

line "floor: SELECT 1" "$select1" "$select1" "SELECT 1"
line "floor: durable 1-row INSERT" "$durable" "$durable" "durable INSERT"
line "floor: openssl $alg verify" "$openssl_verify" "$openssl_verify" "openssl verify ($(nproc) cores)"
line "verify JWT seen before" "$seen" "$select1" "SELECT 1 (aim >= 0.70)"
line "verify JWT first seen, grant known" "$first" "$openssl_verify" "openssl $alg verify (aim >= 0.80)"
line "verify JWT first seen, grant unknown" "$first_cold" "$openssl_verify" "openssl $alg verify"
line "verify PAT seen before" "$patv" "$select1" "SELECT 1"
line "verify PAT first seen (no cache)" "$patfirst" "$select1" "SELECT 1"
line "refresh (rotation, durable)" "$refresh" "$durable" "durable INSERT (aim >= 0.50)"
line "authorize+approve+code exchange" "$round" "$durable" "durable INSERT (aim >= 0.25)"

if [ "${BENCH_HTTP:-1}" != 0 ] && [ -f bench/http.sh ] && [ -x shim/mcp-oauth-server ]; then
	# This cluster's next checkpoint (the runs above dirtied most of its
	# buffers) must not land in the middle of the HTTP runs.
	cluster_stop "$tmp"
	bash bench/http.sh
fi
