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
# make test's lock: both install into the one PostgreSQL's library directory
exec 9>/tmp/mcp_oauth_test.lock
flock 9
secs=${BENCH_SECONDS:-5}
runs=${BENCH_RUNS:-3}
clients=${BENCH_CLIENTS:-4}

bash scripts/deps.sh
make -s >/dev/null && make -s install >/dev/null
. bench/lib.sh

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
line() { printf '%-34s %10.0f /s   %5s x %s\n' "$1" "$2" "$(ratio "$2" "$3")" "$4"; }

echo "mcp_oauth SQL benchmarks: $clients clients, best of $runs runs of ${secs}s each, $(nproc) cores"
select1=$(tps select1.sql)
durable=$(tps durable_insert.sql)
# Authorization for a client identified by its metadata document (CIMD),
# the document cached (stored as the server stores a fetched one), beside
# a registered (DCR) client with the same metadata.  The document is shaped
# like Claude Code's: portless loopback redirect URIs, no application_type.
cimd=https://client.example/oauth/client.json
cimd_doc='{"client_id": "'$cimd'", "client_name": "bench CIMD client",
 "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
 "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
 "token_endpoint_auth_method": "none"}'
stored=$(psql -X -q -tA -v ON_ERROR_STOP=1 -v doc="$cimd_doc" -v url="$cimd" <<'SQL'
SELECT mcp_oauth.fetched(:'url', 'client_metadata', 'ok', 200, :'doc', '"v1"', 86400, NULL, '127.0.0.1');
SQL
)
[ "$stored" = stored ] || { echo "bench: the metadata document was not stored: $stored" >&2; exit 1; }
registered=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT (mcp_oauth.register('application/json', NULL,
	'{\"client_name\": \"bench registered client\", \"redirect_uris\": [\"http://127.0.0.1:33418/callback\"],
	  \"grant_types\": [\"authorization_code\", \"refresh_token\"], \"response_types\": [\"code\"],
	  \"token_endpoint_auth_method\": \"none\"}', '127.0.0.1')).body::json->>'client_id'")
[ -n "$registered" ] || { echo "bench: could not register a client" >&2; exit 1; }
# authorize_query CLIENT_ID: the query string of an authorization request.
authorize_query() {
	printf 'response_type=code&client_id=%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%3A33418%%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s' \
		"$(node -e 'console.log(encodeURIComponent(process.argv[1]))' "$1")"
}
auth_registered=$(tps authorize.sql -D query="$(authorize_query "$registered")")
auth_cimd=$(tps authorize.sql -D query="$(authorize_query "$cimd")")

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
line "authorize, registered client" "$auth_registered" "$select1" "SELECT 1"
line "authorize, CIMD client (cached)" "$auth_cimd" "$auth_registered" "registered client (aim >= 0.91)"

if [ "${BENCH_HTTP:-1}" != 0 ] && [ -f bench/http.sh ] && [ -x shim/mcp-oauth-server ]; then
	# This cluster's next checkpoint (the runs above dirtied most of its
	# buffers) must not land in the middle of the HTTP runs.
	cluster_stop "$tmp"
	bash bench/http.sh
fi
