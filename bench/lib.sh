# Shared by the bench scripts: a cluster with a bench database, a token, a
# PAT, fresh refresh-token families, JWTs minted by refreshing, and tps():
# the best of $runs pgbench runs.  Source it from the repository root with
# secs, runs and clients set (bench_db: the database's name, default bench;
# bench_settings: more postgres -c settings).

. scripts/cluster.sh
tmp=$(mktemp -d /tmp/mcp_oauth_bench.XXXXXX); chmod 755 "$tmp"
port=$(free_port)
trap 'cluster_stop "$tmp"; rm -rf "$tmp"' EXIT
cluster_init "$tmp"
# shellcheck disable=SC2086
cluster_start "$tmp" "$port" max_connections=50 shared_buffers=256MB ${bench_settings:-}
resource=http://127.0.0.1:8080/mcp

# bench_database DB: database DB with the extension and the tables the
# pgbench scripts read.
bench_database() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
CREATE DATABASE $1;
\c $1
CREATE EXTENSION mcp_oauth CASCADE;
ALTER DATABASE $1 SET mcp_oauth.issuer = 'http://127.0.0.1:8080';
ALTER DATABASE $1 SET mcp_oauth.resources = '$resource';
CREATE TABLE bench_floor (id bigserial PRIMARY KEY, v text);
CREATE TABLE bench_refresh (id int PRIMARY KEY, rt text);
CREATE TABLE bench_jwts (id serial PRIMARY KEY, t text);
CREATE TABLE bench_chain (n int PRIMARY KEY, token_hash bytea);
SQL
}
bench_database "${bench_db:=bench}"
export PGDATABASE=$bench_db

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

# refresh_chain RT PER: refresh RT, then its successor, PER times in one
# transaction; every access token into bench_jwts, every refresh token used
# (and the last one, number PER) as (n, its hash) into bench_chain.
refresh_chain() {
	psql -X -q -v ON_ERROR_STOP=1 -v rt="$1" -v per="$2" <<'SQL'
SET bench.rt = :'rt';
SET bench.per = :'per';
DO $$
DECLARE
	rt text := current_setting('bench.rt');
	per int := current_setting('bench.per');
	r mcp_oauth.http_response;
BEGIN
	FOR i IN 0..per - 1 LOOP
		INSERT INTO bench_chain VALUES (i, sha256(convert_to(rt, 'UTF8')));
		r := mcp_oauth.token('application/x-www-form-urlencoded', NULL,
			'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || rt, '127.0.0.1');
		IF r.status <> 200 THEN
			RAISE EXCEPTION 'refresh % of the chain: %', i, r.body;
		END IF;
		INSERT INTO bench_jwts (t) VALUES (r.body::json->>'access_token');
		rt := r.body::json->>'refresh_token';
	END LOOP;
	INSERT INTO bench_chain VALUES (per, sha256(convert_to(rt, 'UTF8')));
END $$;
SQL
}

# mint_jwts GRANTS PER: GRANTS code rounds, each refreshed PER times
# (refresh_chain: a refresh mints an access token).
mint_jwts() {
	for _ in $(seq 1 "$1"); do
		psql -X -q -c "TRUNCATE bench_chain"
		refresh_chain "$(code_round | json_field refresh_token)" "$2"
	done
}

# revoke_jwts WHERE: revoke the access tokens of bench_jwts WHERE, each by
# itself (RFC 7009, the revocation endpoint function).
revoke_jwts() {
	psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FILTER (WHERE (mcp_oauth.revoke(
		'application/x-www-form-urlencoded', NULL, 'client_id=mcp-agent&token=' || t,
		'127.0.0.1')).status <> 200) AS failed FROM bench_jwts WHERE $1" | grep -q '^ *0$' ||
		{ echo "bench: could not revoke access tokens" >&2; exit 1; }
}

# One pgbench run of bench/pgbench/$1 for $secs seconds (more pgbench
# arguments after it): prints "tps transactions steady", steady being the
# mean tps of the run's second half (pgbench -P 1: past a warm-up such as
# a cache filling).  Generic plans for
# pgbench's own statements, as the HTTP server's one-call statements get: a
# plan made again at every call would be a cost of the script, not of the
# extension.  A failed transaction stops the benchmark.
pgbench_once() {
	local f=$1 out
	shift
	if ! out=$(PGOPTIONS="${PGOPTIONS:-} -c plan_cache_mode=force_generic_plan" \
		pgbench -n -M prepared -P 1 -c "$clients" -j "$clients" -T "$secs" -f "bench/pgbench/$f" "$@" 2>&1) ||
		! grep -q '^number of failed transactions: 0 ' <<<"$out"; then
		echo "bench: $f failed:" >&2
		grep -Ev '^(pgbench|transaction type|scaling|query mode|number of (clients|threads)|maximum|duration|progress)' <<<"$out" | head -n 20 >&2
		exit 1
	fi
	echo "$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | tail -n 1)" \
		"$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")" \
		"$(sed -n 's/^progress: [0-9.]* s, \([0-9.]*\) tps.*/\1/p' <<<"$out" |
			awk '{ v[NR] = $1 } END { for (i = int(NR / 2) + 1; i <= NR; i++) { s += v[i]; n++ }
				printf "%.1f", n ? s / n : 0 }')"
}

# Best tps of $runs pgbench runs (BENCH_BEFORE_RUN: a command run before
# each).
tps() {
	local f=$1 best=0 t
	shift
	for _ in $(seq 1 "$runs"); do
		[ -n "${BENCH_BEFORE_RUN:-}" ] && $BENCH_BEFORE_RUN >/dev/null
		t=$(pgbench_once "$f" "$@") || exit 1
		best=$(awk -v a="${t%% *}" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
	done
	echo "$best"
}

