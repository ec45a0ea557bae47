#!/usr/bin/env bash
# make bench-compare BASE=COMMIT: refresh and first-seen JWT verification of
# the extension built from COMMIT beside the work tree's, in one run on one
# cluster.  The two libraries take turns as $libdir/mcp_oauth.so, in
# interleaved rounds (base, current, base, ...); each pgbench run opens new
# backends, which load the library installed at that moment.  The best run
# of each counts.  The database is made by the current version's install
# script, so COMMIT must have the same SQL entry points (true of 0.1.0).
#
#   BENCH_SECONDS=5   length of each pgbench run
#   BENCH_ROUNDS=3    rounds
#   BENCH_CLIENTS=4   pgbench clients
set -euo pipefail
cd "$(dirname "$0")/.."
# make test's lock: both install into the one PostgreSQL's library directory
exec 9>/tmp/mcp_oauth_test.lock
flock 9
base=${BASE:?usage: make bench-compare BASE=COMMIT}
secs=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-4}
runs=1

. bench/libs.sh
. bench/lib.sh
trap 'use current; cluster_stop "$tmp"; rm -rf "$tmp" "$libs"' EXIT

declare -A refresh first
for which in base current; do refresh[$which]=0; first[$which]=0; done
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; }
for round in $(seq 1 "$rounds"); do
	for which in base current; do
		use "$which"
		r=$(BENCH_BEFORE_RUN=refill_families tps refresh.sql -D first=1)
		f=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify.sql -D tok="$tok" \
			-D resource="$resource" -D need="{mcp:tools}")
		echo "round $round, $which: refresh $r/s, verify first seen $f/s"
		refresh[$which]=$(best "$r" "${refresh[$which]}")
		first[$which]=$(best "$f" "${first[$which]}")
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "mcp_oauth $base against the work tree: $clients clients, best of $rounds interleaved runs of ${secs}s, $(nproc) cores"
printf '%-36s %10s %10s %7s\n' "" "$base" "current" "ratio"
printf '%-36s %10.0f %10.0f %7s\n' "refresh (rotation, durable)" "${refresh[base]}" "${refresh[current]}" \
	"$(ratio "${refresh[current]}" "${refresh[base]}")"
printf '%-36s %10.0f %10.0f %7s\n' "verify JWT first seen, grant known" "${first[base]}" "${first[current]}" \
	"$(ratio "${first[current]}" "${first[base]}")"
