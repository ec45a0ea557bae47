#!/usr/bin/env bash
# bench/verify_many.sh BASE=COMMIT: JWT verification with many distinct
# tokens in use (issue 13), the extension built from COMMIT beside the work
# tree's, in interleaved rounds on one cluster (as bench/compare.sh).
# 20k distinct JWTs (20 grants of 1000 tokens, minted by refreshing) are
# verified at random from a working set of 5k (below the default cache
# size of 10000) or all 20k (beyond it); and a first-seen JWT (token cache
# off) with one access token revoked by itself and unexpired.
#
#   BENCH_SECONDS=5   length of each pgbench run
#   BENCH_ROUNDS=2    rounds
#   BENCH_CLIENTS=4   pgbench clients
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/mcp_oauth_test.lock
flock 9
base=${BASE:?usage: BASE=COMMIT bash bench/verify_many.sh}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-2}
clients=${BENCH_CLIENTS:-4}
runs=1

. bench/libs.sh
. bench/lib.sh
trap 'use current; cluster_stop "$tmp"; rm -rf "$tmp" "$libs"' EXIT

# 20 grants, 1000 access tokens each (a refresh mints one)
mint_jwts 20 1000
psql -X -tA -c "SELECT 'tokens minted: ' || count(t) || ' of ' || count(*) FROM bench_jwts"

declare -A r
best() { awk -v a="$1" -v b="${2:-0}" 'BEGIN { print (a > b) ? a : b }'; }
measure() {		# name, then PGOPTIONS and pgbench arguments
	local name=$1 opts=$2 t
	shift 2
	for round in $(seq 1 "$rounds"); do
		for which in base current; do
			use "$which"
			t=$(PGOPTIONS="$opts" tps verify_many.sql -D resource="$resource" -D need="{mcp:tools}" "$@")
			r[$which,$name]=$(best "$t" "${r[$which,$name]:-0}")
		done
	done
}
measure "working set 5k (cache 10000)" "" -D n=5000
measure "20k distinct (cache 10000)" "" -D n=20000
measure "first seen, none revoked" "-c mcp_oauth.token_cache_size=0" -D n=19999
# one access token revoked by itself, unexpired (not one of those verified)
revoke_jwts 'id = 20000'
measure "first seen, one revoked alone" "-c mcp_oauth.token_cache_size=0" -D n=19999

echo "mcp_oauth $base against the work tree: $clients clients, best of $rounds interleaved runs of ${secs}s, $(nproc) cores"
printf '%-36s %10s %10s %7s\n' "verify JWT, tokens at random" "$base" "current" "ratio"
for name in "working set 5k (cache 10000)" "20k distinct (cache 10000)" \
	"first seen, none revoked" "first seen, one revoked alone"; do
	printf '%-36s %10.0f %10.0f %7s\n' "$name" "${r[base,$name]}" "${r[current,$name]}" \
		"$(awk -v a="${r[current,$name]}" -v b="${r[base,$name]}" 'BEGIN { printf "%.3f", a / b }')"
done
