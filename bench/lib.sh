# Shared by bench/run.sh and bench/compare.sh: a cluster with a bench
# database, a token, a PAT, fresh refresh-token families, and tps(): the
# best of $runs pgbench runs.  Source it from the repository root with secs,
# runs and clients set.

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

