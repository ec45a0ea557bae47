#!/usr/bin/env bash
# HTTP benchmarks: mcp_oauth's server beside the MCP TypeScript SDK's
# reference router (bench/sdk: mcpAuthRouter, in-memory provider, rate
# limits off), the same wrk load on the same routes, in one run:
#
#   metadata   GET /.well-known/oauth-authorization-server
#   gateway    POST /mcp with a bearer token (ours: verify + proxy to
#              bench/upstream.c, a trivial C upstream; theirs:
#              requireBearerAuth + an in-process handler)
#   refresh    POST /token grant_type=refresh_token, rotated every time
#   code       POST /token grant_type=authorization_code (+ PKCE), one
#              pre-minted code per request
#
# Ours runs on a throwaway cluster with default settings (fsync and
# synchronous_commit on: every token is durable); theirs keeps everything in
# memory.  One line per route: requests/s, p99 latency, peak RSS (VmHWM of
# the server process, reset before each run) and errors (non-2xx responses +
# socket errors) for each side, and our/their ratio against its aim.
#
#   BENCH_SECONDS=10       length of each wrk run
#   BENCH_CONNECTIONS=32   wrk connections (the same for both sides)
#   BENCH_THREADS=2        wrk threads
#   BENCH_KEEP=1           keep the work directory (logs, wrk output)
#   BENCH_LOG_LEVEL=warn   our server's --log-level (info writes an access log line per request)
#   BENCH_DB_CONNECTIONS=  our server's --db-connections (per thread; unset: its default)
#   BENCH_SERVER=PATH      our server's binary (default shim/mcp-oauth-server; e.g. an
#                          older build, to compare before/after under the same load)
#   BENCH_SERVER_OPTS=     more flags for our server (word-split)
#   BENCH_ROUTES=          comma-separated subset of metadata,gateway,refresh,code
#   BENCH_PERF=1           perf record -g our server during each measured run
#                          (perf.ROUTE.data in the kept work directory)
#   BENCH_CPU=1            after each run, CPU microseconds per request of our
#                          server, our cluster's postgres, the SDK server and the
#                          upstream (from /proc; wrk not counted)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
wthreads=${BENCH_THREADS:-2}
log_level=${BENCH_LOG_LEVEL:-warn}
server_opts=()
[ -n "${BENCH_DB_CONNECTIONS:-}" ] && server_opts+=(--db-connections "$BENCH_DB_CONNECTIONS")
# shellcheck disable=SC2206
[ -n "${BENCH_SERVER_OPTS:-}" ] && server_opts+=($BENCH_SERVER_OPTS)
server_bin=${BENCH_SERVER:-shim/mcp-oauth-server}
routes=,${BENCH_ROUTES:-metadata,gateway,refresh,code},
[ -n "${BENCH_PERF:-}" ] && BENCH_KEEP=1
# Is route $1 selected?
want() { case $routes in *",$1,"*) return 0 ;; esac; return 1; }
warm=2

# ---- dependencies and build ----
extra=()
command -v wrk >/dev/null || extra+=(wrk)
command -v node >/dev/null || extra+=(nodejs)
command -v npm >/dev/null || extra+=(npm)
bash scripts/deps.sh "${extra[@]}"
make -s >/dev/null
if [ -w "$(pg_config --pkglibdir)" ]; then make -s install >/dev/null; fi
if [ ! -f bench/sdk/node_modules/.package-lock.json ] ||
	[ bench/sdk/package-lock.json -nt bench/sdk/node_modules/.package-lock.json ]; then
	(cd bench/sdk && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# ---- cluster, servers ----
echo "bench/http.sh: ${SECONDS}s: built; starting the cluster and the servers" >&2
# shellcheck source=../scripts/cluster.sh
. scripts/cluster.sh
tmp=$(mktemp -d /tmp/mcp_oauth_http.XXXXXX); chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	cluster_stop "$tmp"
	if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
pgport=$(free_port)
cluster_init "$tmp"
cluster_start "$tmp" "$pgport"
port=$(free_port); sport=$(free_port); uport=$(free_port)
ours=http://127.0.0.1:$port
theirs=http://127.0.0.1:$sport

mcp_database bench "$ours"
export PGDATABASE=bench

cc -O2 -Wall -Wextra -Werror -o "$tmp/upstream" bench/upstream.c
"$tmp/upstream" "$uport" 2>"$tmp/upstream.log" &
upstream_pid=$!
pids+=($upstream_pid)
"$server_bin" --listen "127.0.0.1:$port" --issuer "$ours" --log-level "$log_level" "${server_opts[@]}" \
	--database "host=$tmp port=$pgport dbname=bench user=mcp_oauth_shim" \
	--mcp-path /mcp --upstream "http://127.0.0.1:$uport/mcp" 2>"$tmp/server.log" &
our_pid=$!
pids+=($our_pid)
(cd bench/sdk && NODE_ENV=production exec node sdk_server.mjs --port "$sport") 2>"$tmp/sdk.log" &
their_pid=$!
pids+=($their_pid)

# Wait until url answers (any HTTP status).
wait_up() {
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "bench: $1 did not come up" >&2
	tail -n 20 "$tmp"/*.log >&2
	exit 1
}
wait_up "$ours/.well-known/oauth-authorization-server"
wait_up "$theirs/.well-known/oauth-authorization-server"
wait_up "http://127.0.0.1:$uport/mcp"

# ---- single-use secrets ----
challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM
authz_query="response_type=code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_challenge=$challenge&code_challenge_method=S256&state=s"

# N authorization codes of ours (authorize + approve through SQL), one per line.
our_codes() {
	psql -X -q -v ON_ERROR_STOP=1 -tA -v q="$authz_query" -v n="$1" <<'SQL'
COPY (
	SELECT substring((mcp_oauth.authorize_decision(a.req, 'bench', true, NULL, '127.0.0.1')).location
					 from '[?&]code=([^&]+)')
	FROM (SELECT (mcp_oauth.authorize(:'q', '127.0.0.1')).body::json->>'request_id' AS req
		  FROM generate_series(1, :n)) a
) TO STDOUT;
SQL
}

# N authorization codes of theirs (the bench hook of sdk_server.mjs).
their_codes() {
	curl -sf -X POST "$theirs/__bench/codes?n=$1&code_challenge=$challenge"
}

# Exchange each code on stdin at $1/token; print field $2 of each answer.
exchange() {
	local code
	while read -r code; do
		curl -sf -w '\n' -X POST "$1/token" -H 'Content-Type: application/x-www-form-urlencoded' \
			--data "grant_type=authorization_code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code=$code" |
			sed -n "s/.*\"$2\" *: *\"\\([^\"]*\\)\".*/\\1/p"
	done
}

# ---- measuring ----
# Progress on stderr: elapsed seconds and what comes next.
step() { echo "bench/http.sh: ${SECONDS}s: $*" >&2; }
export BENCH_WRK_DIR=$top/bench/wrk BENCH_WRK_THREADS=$wthreads

# Reset the peak RSS of pid (Linux clear_refs 5); harmless when unsupported.
rss_reset() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
# Peak RSS of pid in MB.
rss_peak() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# CPU seconds used so far by the processes of this benchmark: "label seconds"
# lines for our server, the SDK server, the upstream and our cluster's
# postgres processes (other engineers' clusters are not counted).
cpu_snapshot() {
	local pm
	pm=$(head -n 1 "$tmp/data/postmaster.pid" 2>/dev/null || echo 0)
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v hz="$(getconf CLK_TCK)" -v pm="$pm" \
		-v ours="$our_pid" -v theirs="$their_pid" -v up="$upstream_pid" '{
		# comm may contain spaces: the fields after it count from ") "
		split(substr($0, index($0, ") ") + 2), f, " ")
		pid = $1; ppid = f[2]; t = (f[12] + f[13]) / hz
		if (pid == ours) cpu["server"] += t
		else if (pid == theirs) cpu["sdk"] += t
		else if (pid == up) cpu["upstream"] += t
		else if (pid == pm || ppid == pm) cpu["postgres"] += t
	} END { for (n in cpu) printf "%s\t%.3f\n", n, cpu[n] }'
}

# Print CPU microseconds per request by process name between two snapshots.
cpu_report() {
	local label=$1 before=$2 after=$3 rps=$4 d=$5
	awk -F'\t' -v label="$label" -v reqs="$(awk -v r="$rps" -v d="$d" 'BEGIN { print r * d }')" '
		NR == FNR { b[$1] = $2; next }
		{ u = ($2 - b[$1]) * 1e6 / (reqs > 0 ? reqs : 1); if (u >= 0.5) line = line sprintf(" %s=%.1f", $1, u) }
		END { printf "cpu us/request %s:%s\n", label, line }' "$before" "$after" >&2
}

# One wrk run: name side url script pid [seconds].  Leaves "rps p99ms rssMB errors"
# in $tmp/name.side and wrk's output in $tmp/name.side.wrk.
measure() {
	local name=$1 side=$2 url=$3 script=$4 pid=$5 d=${6:-$secs} out=$tmp/$1.$2
	local perf_pid=""
	rss_reset "$pid"
	[ -n "${BENCH_CPU:-}" ] && cpu_snapshot >"$out.cpu0"
	if [ -n "${BENCH_PERF:-}" ] && [ "$side" = ours ]; then
		perf record -q -g -p "$pid" -o "$tmp/perf.$name.data" -- sleep "$d" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	wrk -t"$wthreads" -c"$conns" -d"${d}s" --latency -s "bench/wrk/$script" "$url" >"$out.wrk" 2>&1 || true
	awk -v rss="$(rss_peak "$pid")" '
		/Requests\/sec:/ { rps = $2 }
		/^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
		/Non-2xx or 3xx responses:/ { err += $NF }
		/Socket errors:/ { for (i = 3; i <= NF; i += 2) { x = $(i + 1); gsub(/,/, "", x); err += x } }
		END { printf "%s %s %s %d\n", rps + 0, p99 + 0, rss, err }' "$out.wrk" >"$out"
	# What the errors were (wrk's own lines), so that a run with errors says why.
	if grep -Eq 'Socket errors:|Non-2xx' "$out.wrk"; then
		grep -E 'Socket errors:|Non-2xx' "$out.wrk" | sed "s/^ */bench: $name.$side: /" >&2
	fi
	if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
	if [ -n "${BENCH_CPU:-}" ]; then
		cpu_snapshot >"$out.cpu1"
		cpu_report "$name.$side" "$out.cpu0" "$out.cpu1" "$(cut -d' ' -f1 "$out")" "$d"
	fi
	grep -h "pool exhausted" "$out.wrk" >&2 || true
}

# Short unmeasured run to warm both servers (JIT, connections, caches).
warm_up() {
	wrk -t"$wthreads" -c"$conns" -d"${warm}s" -s "bench/wrk/$3" "$2" >/dev/null 2>&1 || true
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

# Print the line of route name with aim (minimum our/their ratio).
report() {
	local name=$1 aim=$2 o t r verdict
	read -r -a o <"$tmp/$name.ours"
	read -r -a t <"$tmp/$name.theirs"
	r=$(ratio "${o[0]}" "${t[0]}")
	verdict=$(awk -v r="$r" -v a="$aim" -v e=$((o[3] + t[3])) \
		'BEGIN { if (e > 0) print "ERRORS"; else if (r + 0 >= a) print "ok"; else print "MISSED" }')
	printf '%-9s %8.0f/s %7.2fms %6.1fMB %5d | %7.0f/s %7.2fms %6.1fMB %5d | %5sx (aim >= %sx) %s\n' \
		"$name" "${o[0]}" "${o[1]}" "${o[2]}" "${o[3]}" "${t[0]}" "${t[1]}" "${t[2]}" "${t[3]}" "$r" "$aim" "$verdict"
}

# Route: name aim script ours-url theirs-url [warm-up].
route() {
	if [ "${6:-warm}" = warm ]; then
		warm_up ours "$4" "$3"
		warm_up theirs "$5" "$3"
	fi
	measure "$1" ours "$4" "$3" "$our_pid"
	measure "$1" theirs "$5" "$3" "$their_pid"
}

# metadata and gateway
if want metadata || want gateway; then
	step "metadata, gateway"
	code=$(our_codes 1)
	BENCH_TOKEN=$(echo "$code" | exchange "$ours" access_token)
	their_token=$(their_codes 1 | exchange "$theirs" access_token)
	[ -n "$BENCH_TOKEN" ] && [ -n "$their_token" ] || { echo "bench: could not mint access tokens" >&2; exit 1; }
fi
if want metadata; then
	route metadata 10 metadata.lua "$ours" "$theirs"
fi
if want gateway; then
	export BENCH_TOKEN
	warm_up ours "$ours" mcp.lua
	measure gateway ours "$ours" mcp.lua "$our_pid"
	BENCH_TOKEN=$their_token warm_up theirs "$theirs" mcp.lua
	BENCH_TOKEN=$their_token measure gateway theirs "$theirs" mcp.lua "$their_pid"
fi

# refresh: three tokens per connection start each side's rotation pools
# (one set for the warm-up, a fresh one for the measured run)
if want refresh; then
	step "refresh"
	n=$((conns * 3))
	for side in ours theirs; do
		url=$ours; mint=our_codes
		[ $side = theirs ] && { url=$theirs; mint=their_codes; }
		$mint $((n * 2)) | exchange "$url" refresh_token >"$tmp/rt-$side.txt"
		head -n $n "$tmp/rt-$side.txt" >"$tmp/rt-warm-$side.txt"
		tail -n +$((n + 1)) "$tmp/rt-$side.txt" >"$tmp/rt-run-$side.txt"
	done
	BENCH_POOL_FILE=$tmp/rt-warm-ours.txt warm_up ours "$ours" refresh.lua
	BENCH_POOL_FILE=$tmp/rt-run-ours.txt measure refresh ours "$ours" refresh.lua "$our_pid"
	BENCH_POOL_FILE=$tmp/rt-warm-theirs.txt warm_up theirs "$theirs" refresh.lua
	BENCH_POOL_FILE=$tmp/rt-run-theirs.txt measure refresh theirs "$theirs" refresh.lua "$their_pid"
fi

# code exchange: pools of 3x (ours) and 2x (theirs: every code held in its
# memory counts in its RSS) what each side's refresh rate would use (5000/s
# when refresh was not measured)
pool_size() {
	local r=5000
	[ -f "$tmp/refresh.$1" ] && r=$(cut -d' ' -f1 "$tmp/refresh.$1")
	awk -v r="$r" -v s="$secs" -v f="$2" 'BEGIN { print int(r * s * f) + 2000 }'
}
if want code; then
	step "code exchange: minting codes"
	our_codes "$(pool_size ours 3)" >"$tmp/codes-ours.txt"
	their_codes "$(pool_size theirs 2)" >"$tmp/codes-theirs.txt"
	step "code exchange: $(wc -l <"$tmp/codes-ours.txt") + $(wc -l <"$tmp/codes-theirs.txt") codes minted"
	BENCH_POOL_FILE=$tmp/codes-ours.txt measure code ours "$ours" code.lua "$our_pid"
	BENCH_POOL_FILE=$tmp/codes-theirs.txt measure code theirs "$theirs" code.lua "$their_pid"
fi

# ---- report ----
echo
echo "HTTP benchmarks: wrk -t$wthreads -c$conns, ${secs}s per run, $(nproc) cores; ours ($server_bin): fsync + synchronous_commit on, --log-level $log_level${server_opts[*]:+ ${server_opts[*]}}"
printf '%-9s %10s %9s %8s %5s | %9s %9s %8s %5s | %s\n' route "ours" p99 RSS err "SDK" p99 RSS err "ours/SDK"
for r in metadata:10 gateway:3 refresh:2 code:2; do
	if want "${r%%:*}"; then report "${r%%:*}" "${r##*:}"; fi
done
peak=$(cat "$tmp"/*.ours | awk '$3 > m { m = $3 } END { print m + 0 }')
awk -v p="$peak" 'BEGIN { printf "our server peak RSS (max over the runs): %s MB (aim < 16 MB) %s\n", p, (p + 0 < 16) ? "ok" : "MISSED" }'
