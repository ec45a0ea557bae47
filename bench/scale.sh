#!/usr/bin/env bash
# make bench-scale: cost as the data grows (issue 13).  One cluster, two
# databases with the extension: small (near-empty) and large (1M grants,
# 2M refresh tokens of which 1M rotated inside the reuse window, 200k
# dynamic clients, 5M audit rows, 100k accounts, 50k PATs; loaded as copies
# of rows the functions wrote, bench/scale_load.sql).  Prints each figure
# small | large | ratio, the aims of issue 13 beside them (met or not), the
# disk each kind of row takes, and EXPLAIN (ANALYZE, BUFFERS) of the
# README's audit queries at volume.
#
#   BENCH_SECONDS=5    length of each pgbench run
#   BENCH_RUNS=2       runs per figure; the best one counts
#   BENCH_CLIENTS=4    pgbench clients (a thread each, as bench/run.sh)
#   BENCH_SCALE=1      fraction of the volume to load (e.g. 0.1 to try it)
#   BENCH_STEADY_WINDOWS=12  runs back to back after a CHECKPOINT (refresh)
#
# The cluster: bench/lib.sh's settings, and for the volume shared_buffers=
# 4GB (BENCH_SHARED_BUFFERS; a server of 16 GB would be given that for a
# database of this size, and the large one, about 3 GB, then fits, as its
# working set would in production), max_wal_size=16GB and
# checkpoint_timeout=30min (no checkpoint forced by WAL volume or
# time during a measurement: each measurement of WAL starts with a
# CHECKPOINT of its own, so both databases start equal), and
# autovacuum_naptime=10s.  Access tokens live 2 hours
# (mcp_oauth.access_token_lifetime, both databases) so that the JWTs minted
# before the verification figures are still valid when they run.
set -euo pipefail
cd "$(dirname "$0")/.."
# make test's lock: both install into the one PostgreSQL's library directory
exec 9>/tmp/mcp_oauth_test.lock
flock 9
secs=${BENCH_SECONDS:-5}
runs=${BENCH_RUNS:-2}
clients=${BENCH_CLIENTS:-4}
scale=${BENCH_SCALE:-1}
started=$(date +%s)

bash scripts/deps.sh
make -s >/dev/null && make -s install >/dev/null
bench_db=small
bench_settings="shared_buffers=${BENCH_SHARED_BUFFERS:-4GB} max_wal_size=16GB checkpoint_timeout=30min autovacuum_naptime=10s"
. bench/lib.sh
bench_database large

n() { awk -v s="$scale" -v n="$1" 'BEGIN { printf "%d", n * s < 1 ? 1 : n * s }'; }
accounts=$(n 100000) nclients=$(n 200000) shared=$(n 20000) grants=$(n 1000000)
rotated=$(n 1000000) audit=$(n 5000000) pats=$(n 50000)
uri=http://127.0.0.1:9999/callback
declare -A F		# figures: F[name,small], F[name,large]
say() { printf '%s [%ss] %s\n' "$(date -u +%T)" "$(($(date +%s) - started))" "$*"; }
q() { psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

for db in small large; do
	q -d postgres -c "ALTER DATABASE $db SET mcp_oauth.access_token_lifetime = 7200"
	q -d "$db" -f bench/scale_helpers.sql
done

# ---- large: rows the functions write, then copies of them ----
say "loading large: $grants grants, $((grants + rotated)) refresh tokens, $nclients clients," \
	"$audit audit rows, $accounts accounts, $pats PATs"
t0=$(date +%s.%N)
export PGDATABASE=large
q >/dev/null <<SQL
SELECT mcp_oauth.create_account('bench', 'a long bench passphrase');
SELECT (mcp_oauth.login('bench', 'a long bench passphrase', '127.0.0.1')).ok;
SELECT (mcp_oauth.register('application/json', NULL,
	'{"redirect_uris": ["$uri"], "client_name": "template", "token_endpoint_auth_method": "none"}',
	'127.0.0.1')).status;
SQL
rt=$(code_round | json_field refresh_token)
q -v rt="$rt" >/dev/null <<'SQL'
SELECT (r).body::json->>'access_token' AS at
  FROM (SELECT mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || :'rt', '127.0.0.1') AS r) s \gset
SELECT (mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
	'client_id=mcp-agent&token=' || :'at', '127.0.0.1')).status;
SQL
q -v accounts="$accounts" -v clients="$nclients" -v shared="$shared" -v grants="$grants" \
	-v rotated="$rotated" -v audit="$audit" -v resource="$resource" -f bench/scale_load.sql
q -c "CREATE TABLE bench_pats (id int PRIMARY KEY, t text);
	INSERT INTO bench_pats SELECT i, mcp_oauth.create_personal_access_token('user' || i, 'pat ' || i,
		'{mcp:tools}', now() + interval '1 year') FROM generate_series(1, $pats) i;"
load_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
say "loaded in ${load_secs}s; VACUUM ANALYZE"
t0=$(date +%s.%N)
q -c "VACUUM (ANALYZE)"
vacuum_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
q -c "SELECT 'large: ' || bench_count('grants') || ' grants, '
	|| bench_count('refresh_tokens') || ' refresh tokens ('
	|| (SELECT count(*) FROM mcp_oauth.refresh_tokens WHERE rotated_at IS NOT NULL) || ' rotated), '
	|| bench_count('clients') || ' clients, ' || bench_count('audit_log') || ' audit rows, '
	|| bench_count('accounts') || ' accounts, ' || bench_count('personal_access_tokens') || ' PATs, '
	|| coalesce(bench_count('refresh_rotations')::text, 'no table') || ' refresh_rotations'"

# The loaded rows work: live refresh token number $grants (kept out of the
# runs) refreshes; a rotated one is reuse (its family is revoked).
g0=$(q -c "SELECT g0 FROM bench_meta")
check=$(q -c "SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=' || bench_client(1 + $grants::bigint * 7919 % $nclients)
	|| '&refresh_token=' || bench_rt($grants), '127.0.0.1')).status")
reuse=$(q -c "SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=' || bench_client(1 + $grants::bigint * 7919 % $nclients)
	|| '&refresh_token=' || bench_rt(2 * $grants), '127.0.0.1')).body::json->>'error_description'")
patcheck=$(q -c "SELECT (mcp_oauth.verify_access_token(t, '$resource', '{mcp:tools}')).active FROM bench_pats WHERE id = 1")
say "loaded live refresh token: $check; loaded rotated one: $reuse; loaded PAT active: $patcheck"
[ "$check" = 200 ] && [ "$patcheck" = t ] || { echo "bench-scale: the loaded rows do not work" >&2; exit 1; }

# ---- disk per row, at volume ----
sizes=$(q <<'SQL'
SELECT format('%-24s %12s rows %10s  %6s bytes/row (table + indexes + TOAST)',
	  c.relname, bench_count(c.relname), pg_size_pretty(pg_total_relation_size(c.oid)),
	  pg_total_relation_size(c.oid) / greatest(bench_count(c.relname), 1))
  FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
 WHERE s.nspname = 'mcp_oauth' AND c.relkind = 'r'
   AND c.relname IN ('grants', 'refresh_tokens', 'refresh_rotations', 'refresh_grace',
					 'clients', 'audit_log', 'accounts', 'personal_access_tokens')
 ORDER BY c.relname;
SELECT format('per grant (grant + its refresh family: live and rotated rows): %s bytes',
	  (pg_total_relation_size('mcp_oauth.grants') + pg_total_relation_size('mcp_oauth.refresh_tokens')
	   + coalesce(pg_total_relation_size(to_regclass('mcp_oauth.refresh_rotations')), 0))
	  / (SELECT count(*) FROM mcp_oauth.grants));
SQL
)

# ---- README's audit queries at volume ----
# The queries as the README gives them, and with a subject and a client
# that have rows here.
readme_audit=$(awk '/^SELECT at, event/ { q = $0; while (q !~ /;$/) { getline l; q = q "\n" l } print q "\n" }' README.md)
explains=""
while IFS= read -r -d '' query; do
	[ -n "${query//[[:space:]]/}" ] || continue
	for v in "$query" "$(sed -e "s/'alice'/'user1'/" -e "s/'mcp-agent'/bench_client(1)/" <<<"$query")"; do
		[ "$v" != "${explains_last:-}" ] || continue
		explains_last=$v
		explains+=$'\n'"$v"$'\n'"$(q -c "EXPLAIN (ANALYZE, BUFFERS) $v")"$'\n'
	done
done < <(awk 'BEGIN { RS = "\n\n" } { printf "%s%c", $0, 0 }' <<<"$readme_audit")

# ---- JWTs to verify, PATs ----
say "minting JWTs (40 grants x 1000 refreshes, and 300 to revoke) in each database"
for db in small large; do
	PGDATABASE=$db mint_jwts 40 1000
	PGDATABASE=$db mint_jwts 1 300
done
q -d small -c "VACUUM (ANALYZE)"
q -c "VACUUM (ANALYZE)"
pat_large=$(q -c "SELECT t FROM bench_pats WHERE id = 2")
declare -A PAT=([small]=$pat [large]=$pat_large)

# ---- 1. refresh ----
wal() { q -d postgres -c "SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal"; }
lsn() { q -d postgres -c "SELECT pg_current_wal_lsn()"; }
# The record bytes (without full-page images) and FPI bytes of the WAL from
# LSN $1 to $2 (pg_waldump --stats)
waldump_bytes() {
	as_cluster_user "$PG_BIN/pg_waldump" -p "$tmp/data/pg_wal" -s "$1" -e "$2" --stats 2>/dev/null |
		awk '$1 == "Total" { print $3, $5 }'
}
upd() { q -d "$1" -c "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'mcp_oauth.refresh_tokens'::regclass"; }
next=0
live=$((grants - 2))		# $grants and $grants - 1 are kept out
# rargs: refresh_each.sql's arguments for one run of $1 seconds, tokens not
# used yet (not in a subshell: it moves next on); room for 1200 refreshes a
# second per client (about twice what one gets at volume on 2 cores; more
# would reuse a token, which fails the run)
refresh_args() {
	local s=$((1200 * $1)) b=$next
	next=$((next + clients * s))
	[ "$next" -le "$live" ] || { echo "bench-scale: out of loaded refresh tokens" >&2; exit 1; }
	rargs="-D n=0 -D base=$b -D stride=$s -D live=$live -D g0=$g0 -D clients=$nclients"
}
# refresh runs in $1, each after a CHECKPOINT: best tps; WAL and HOT per refresh
refresh_figure() {
	local db=$1 best=0 txns=0 w0 w1 u0 u1 l0 l1 out rec=0 fpib=0 d
	local -a acc=(0 0 0 0 0)
	for _ in $(seq 1 "$runs"); do
		if [ "$db" = small ]; then
			PGDATABASE=small refill_families
			args="-D first=1"; f=refresh.sql
		else
			refresh_args "$secs"; args=$rargs; f=refresh_each.sql
		fi
		q -d "$db" -c CHECKPOINT
		w0=$(wal); u0=$(upd "$db"); l0=$(lsn)
		# shellcheck disable=SC2086
		out=$(PGDATABASE=$db pgbench_once "$f" $args) || exit 1
		sleep 1		# backends' statistics flushed at exit
		w1=$(wal); u1=$(upd "$db"); l1=$(lsn)
		d=$(waldump_bytes "$l0" "$l1")
		rec=$((rec + ${d% *})); fpib=$((fpib + ${d#* }))
		read -r o_tps o_txns _ <<<"$out"
		best=$(awk -v a="$o_tps" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
		txns=$((txns + o_txns))
		read -r -a acc <<<"$(awk -v a="${acc[*]}" -v w0="$w0" -v w1="$w1" -v u0="$u0" -v u1="$u1" 'BEGIN {
			split(a, x, " "); split(w0, p, "|"); split(w1, q, "|"); split(u0, r, "|"); split(u1, s, "|")
			print x[1] + q[1] - p[1], x[2] + q[2] - p[2], x[3] + q[3] - p[3], x[4] + s[1] - r[1], x[5] + s[2] - r[2] }')"
	done
	F[refresh,$db]=$best
	F[wal,$db]=$(awk -v b="${acc[2]}" -v n="$txns" 'BEGIN { printf "%.0f", b / n }')
	F[fpi,$db]=$(awk -v f="${acc[1]}" -v n="$txns" 'BEGIN { printf "%.2f", f / n }')
	F[recs,$db]=$(awk -v r="${acc[0]}" -v n="$txns" 'BEGIN { printf "%.1f", r / n }')
	F[walnofpi,$db]=$(awk -v b="$rec" -v n="$txns" 'BEGIN { printf "%.0f", b / n }')
	F[fpibytes,$db]=$(awk -v b="$fpib" -v n="$txns" 'BEGIN { printf "%.0f", b / n }')
	F[hot,$db]=$(awk -v u="${acc[3]}" -v h="${acc[4]}" 'BEGIN { if (u > 0) printf "%.2f", h / u; else print "n/a" }')
	echo "raw refresh $db: $txns refreshes; pg_stat_wal: records ${acc[0]}, FPI ${acc[1]}, bytes ${acc[2]};" \
		"pg_waldump: record bytes $rec, FPI bytes $fpib; refresh_tokens updates ${acc[3]}, HOT ${acc[4]}"
}
# The same refreshes going on after the CHECKPOINT: $steady_windows runs
# of $secs s back to back.  Right after a checkpoint the first change of
# each page writes a full-page image; a large database has many more pages
# to touch once, so its first seconds cost many times a small one's, and
# the cost per refresh then falls to the steady cost as the pages touched
# since the checkpoint cover those refreshes touch (PostgreSQL's torn-page
# protection, full_page_writes).  Figures: each window, the whole series,
# and the steady state, the mean of the last three windows.
steady_windows=${BENCH_STEADY_WINDOWS:-12}
refresh_steady() {
	local db=$1 k w0 w1 out o_tps o_txns series="" txns=0 bytes=0 fpis=0 tail_tx=0 tail_b=0 tail_f=0 tail_tps=0
	q -d "$db" -c CHECKPOINT
	for k in $(seq 1 "$steady_windows"); do
		if [ "$db" = small ]; then
			PGDATABASE=small refill_families
			args="-D first=1"; f=refresh.sql
		else
			refresh_args "$secs"; args=$rargs; f=refresh_each.sql
		fi
		w0=$(wal)
		# shellcheck disable=SC2086
		out=$(PGDATABASE=$db pgbench_once "$f" $args) || exit 1
		sleep 1		# backends' statistics flushed at exit
		w1=$(wal)
		read -r o_tps o_txns _ <<<"$out"
		read -r db_b db_f <<<"$(awk -v w0="$w0" -v w1="$w1" 'BEGIN { split(w0, p, "|"); split(w1, q, "|"); print q[3] - p[3], q[2] - p[2] }')"
		series="$series $(awk -v t="$o_tps" -v b="$db_b" -v f="$db_f" -v n="$o_txns" 'BEGIN { printf "%.0f/s:%.0fB:%.2f", t, b / n, f / n }')"
		txns=$((txns + o_txns)); bytes=$((bytes + db_b)); fpis=$((fpis + db_f))
		if [ "$k" -gt $((steady_windows - 3)) ]; then
			tail_tx=$((tail_tx + o_txns)); tail_b=$((tail_b + db_b)); tail_f=$((tail_f + db_f))
			tail_tps=$(awk -v a="$tail_tps" -v t="$o_tps" 'BEGIN { print a + t / 3 }')
		fi
	done
	F[srefresh,$db]=$(awk -v t="$tail_tps" 'BEGIN { printf "%.0f", t }')
	F[swal,$db]=$(awk -v b="$tail_b" -v n="$tail_tx" 'BEGIN { printf "%.0f", b / n }')
	F[sfpi,$db]=$(awk -v f="$tail_f" -v n="$tail_tx" 'BEGIN { printf "%.2f", f / n }')
	F[awal,$db]=$(awk -v b="$bytes" -v n="$txns" 'BEGIN { printf "%.0f", b / n }')
	F[afpi,$db]=$(awk -v f="$fpis" -v n="$txns" 'BEGIN { printf "%.2f", f / n }')
	echo "raw refresh after a checkpoint, $db ($secs s windows: rate:WAL per refresh:FPIs per refresh):$series"
}
say "1. refresh"
refresh_figure small
refresh_figure large
refresh_steady small
refresh_steady large

# ---- 2. JWT verification; 3. PAT verification ----
say "2. verification"
vargs=(-D resource="$resource" -D need="{mcp:tools}")
# A working set of tokens at random: each backend's cache fills during the
# run (the first sight of each token is a first-seen verification), so the
# figure is the steady rate, the mean of the second half of runs of at
# least 10 s; the whole runs' rate is in the raw line.
wsecs=$((secs > 10 ? secs : 10))
working_set() {
	local best=0 whole=0 t o_tps o_steady
	for _ in $(seq 1 "$runs"); do
		t=$(secs=$wsecs pgbench_once verify_many.sql -D n="$1" "${vargs[@]}") || exit 1
		read -r o_tps _ o_steady <<<"$t"
		best=$(awk -v a="$o_steady" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
		whole=$(awk -v a="$o_tps" -v b="$whole" 'BEGIN { print (a > b) ? a : b }')
	done
	echo "raw verify $PGDATABASE working set $1: steady $best/s, whole run $whole/s" >&2
	echo "$best"
}
for db in small large; do
	export PGDATABASE=$db
	tok1=$(q -c "SELECT t FROM bench_jwts WHERE id = 1")
	F[seen,$db]=$(tps verify.sql -D tok="$tok1" "${vargs[@]}")
	# one token through the working sets' own script (its lookup of the
	# token in bench_jwts costs the same): the base of their ratio
	F[ws0,$db]=$(working_set 1)
	F[ws1,$db]=$(working_set 10000)
	F[ws2,$db]=$(working_set 20000)
	F[ws4,$db]=$(working_set 40000)
	F[first,$db]=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify_many.sql -D n=40000 "${vargs[@]}")
	F[patseen,$db]=$(tps verify.sql -D tok="${PAT[$db]}" "${vargs[@]}")
	F[patfirst,$db]=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify.sql -D tok="${PAT[$db]}" "${vargs[@]}")
done
# a few hundred access tokens revoked by themselves, unexpired (of another
# grant than those verified)
for db in small large; do
	export PGDATABASE=$db
	revoke_jwts 'id > 40000'
	F[firstrev,$db]=$(PGOPTIONS="-c mcp_oauth.token_cache_size=0" tps verify_many.sql -D n=40000 "${vargs[@]}")
done

# ---- 4. registration ----
say "4. registration"
for db in small large; do
	F[shared,$db]=$(q -d "$db" -c "SELECT count(*) FROM mcp_oauth.clients WHERE redirect_uris = '{$uri}'")
	F[register,$db]=$(PGDATABASE=$db PGOPTIONS="-c mcp_oauth.registration_rate_limit=0" \
		tps register.sql -D uri="$uri")
	echo "raw register $db: ${F[register,$db]}/s with ${F[shared,$db]} clients sharing the redirect URI"
done
export PGDATABASE=large

# ---- 6. purge of ~1M expired rows, refresh beside it ----
say "6. purge: loading expired rows"
t0=$(date +%s.%N)
q -v expired="$(n 300000)" -v past_window="$(n 200000)" -v revoked="$(n 150000)" \
	-v requests="$(n 150000)" -v sessions="$(n 100000)" -v old_audit="$(n 200000)" \
	-f bench/scale_expired.sql
expired_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
q -c "VACUUM (ANALYZE)"
q -c CHECKPOINT
psecs=2			# short runs, so that the runs during the purge are inside it
before=0
for _ in 1 2 3; do
	refresh_args $psecs
	# shellcheck disable=SC2086
	t=$(secs=$psecs pgbench_once refresh_each.sql $rargs) || exit 1
	read -r _ o_txns _ <<<"$t"
	before=$((before + o_txns))
done
F[before,large]=$(awk -v t="$before" -v s=$psecs 'BEGIN { printf "%.0f", t / (3 * s) }')
wal_before=$(wal)
q -c "CALL bench_purge(5000, 0.25)" &
purge_pid=$!
during=0 druns=0
while kill -0 "$purge_pid" 2>/dev/null; do
	if [ $((next + clients * 1200 * psecs)) -gt "$live" ]; then
		echo "bench-scale: no loaded refresh tokens left; the rest of the purge runs alone" >&2
		break
	fi
	refresh_args $psecs
	# shellcheck disable=SC2086
	t=$(secs=$psecs pgbench_once refresh_each.sql $rargs) || exit 1
	read -r _ o_txns _ <<<"$t"
	during=$((during + o_txns)); druns=$((druns + 1))
done
wait "$purge_pid"
wal_after=$(wal)
F[during,large]=$(awk -v t="$during" -v r="$druns" -v s=$psecs 'BEGIN { if (r) printf "%.0f", t / (r * s); else print "n/a" }')
purge=$(q -c "SELECT count(*), sum(deleted), round(sum(secs)::numeric, 2), round(max(secs)::numeric, 3),
	sum(wal_bytes), sum(wal_fpi), sum(wal_records) FROM bench_purge_log")
IFS='|' read -r pbatches pdeleted ptotal pmax pwal pfpi precs <<<"$purge"
pbatch=$(q -c "SELECT string_agg(round(secs::numeric, 2) || 's/' || deleted || '/' || round(wal_bytes / 1048576.0, 1) || 'MB',
	' ' ORDER BY batch) FROM bench_purge_log")
pcounts=$(q -c "SELECT string_agg(key || ' ' || s, ', ' ORDER BY key) FROM (SELECT key, sum(value::bigint) s
	FROM mcp_oauth.audit_log a, jsonb_each_text(a.detail) WHERE a.event = 'purged'
	AND a.audit_id > (SELECT max(audit_id) - 100000 FROM mcp_oauth.audit_log) GROUP BY key) x WHERE s > 0")

# ---- 5. revoking a grant that refreshed for a month ----
say "5. revoke: a family refreshed every 15 minutes for a month"
rt=$(code_round | json_field refresh_token)
fam=$(q -c "SELECT max(grant_id) FROM mcp_oauth.grants")
q -c "TRUNCATE bench_chain"
refresh_chain "$rt" 2880
# As a month leaves it: token n made 2880 - n quarter hours ago, rotated a
# quarter hour later; then the purge.
q -v fam="$fam" <<'SQL'
UPDATE mcp_oauth.grants SET created_at = now() - interval '30 days',
	expires_at = now() + interval '60 days' WHERE grant_id = :fam;
UPDATE mcp_oauth.refresh_tokens r
   SET created_at = now() - (2880 - f.n) * interval '15 minutes',
	   expires_at = now() - (2880 - f.n) * interval '15 minutes' + interval '30 days',
	   rotated_at = CASE WHEN r.rotated_at IS NOT NULL
		   THEN now() - (2879 - f.n) * interval '15 minutes' END
  FROM bench_chain f WHERE r.token_hash = f.token_hash;
UPDATE mcp_oauth.audit_log a SET at = now() - (2880 - x.n) * interval '15 minutes'
  FROM (SELECT audit_id, row_number() OVER (ORDER BY audit_id) AS n FROM mcp_oauth.audit_log
		 WHERE grant_id = :fam AND event = 'token_refreshed') x
 WHERE a.audit_id = x.audit_id;
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['refresh_rotations', 'refresh_grace'] LOOP
		IF to_regclass('mcp_oauth.' || t) IS NOT NULL THEN
			EXECUTE format('UPDATE mcp_oauth.%I x SET rotated_at = r.rotated_at'
						   ' FROM mcp_oauth.refresh_tokens r WHERE r.token_hash = x.token_hash'
						   ' AND r.token_hash IN (SELECT token_hash FROM bench_chain)', t);
		END IF;
	END LOOP;
END $$;
SQL
q -c "CALL mcp_oauth.purge_expired_all()"
family_rows=$(q -c "SELECT count(*) || ' refresh_tokens rows (' || count(rotated_at) || ' rotated)'
	FROM mcp_oauth.refresh_tokens WHERE grant_id = $fam")
# a fresh grant: one code round
rt=$(code_round | json_field refresh_token)
fresh=$(q -c "SELECT max(grant_id) FROM mcp_oauth.grants")
# 25 copies of each (new grant ids and token hashes), revoked in turns, each
# in its own transaction; the time of revoke_grant() itself
copies=25
q -v fam="$fam" -v fresh="$fresh" -v copies=$copies <<'SQL'
SET bench.copies = :'copies';
CREATE TABLE bench_revoke (kind text, grant_id bigint, ms float8);
SELECT max(grant_id) AS top FROM mcp_oauth.grants \gset
INSERT INTO bench_revoke (kind, grant_id)
SELECT k, :top + i * 2 + (k = 'fresh')::int FROM generate_series(1, :copies) i,
	   (VALUES ('month'), ('fresh')) v(k);
SELECT bench_clone('mcp_oauth.grants', 'grant_id = ' || :fam, :copies,
	jsonb_build_object('grant_id', :top || ' + i * 2')) AS month_grants;
SELECT bench_clone('mcp_oauth.grants', 'grant_id = ' || :fresh, :copies,
	jsonb_build_object('grant_id', :top || ' + i * 2 + 1')) AS fresh_grants;
SELECT bench_clone('mcp_oauth.refresh_tokens', 'grant_id = ' || :fam, :copies,
	jsonb_build_object('grant_id', :top || ' + i * 2',
		'token_hash', $$sha256(t.token_hash || int8send(i))$$), '{}', true) AS month_tokens;
SELECT bench_clone('mcp_oauth.refresh_tokens', 'grant_id = ' || :fresh, :copies,
	jsonb_build_object('grant_id', :top || ' + i * 2 + 1',
		'token_hash', $$sha256(t.token_hash || int8send(i))$$), '{}', true) AS fresh_tokens;
DO $$
BEGIN
	IF to_regclass('mcp_oauth.refresh_rotations') IS NOT NULL THEN
		EXECUTE 'INSERT INTO mcp_oauth.refresh_rotations (rotated_at, token_hash)'
			' SELECT x.rotated_at, sha256(x.token_hash || int8send(i))'
			' FROM mcp_oauth.refresh_rotations x, generate_series(1, '
			|| current_setting('bench.copies', true)::text || ') i'
			' WHERE x.token_hash IN (SELECT token_hash FROM bench_chain)';
	END IF;
END $$;
SELECT setval(pg_get_serial_sequence('mcp_oauth.grants', 'grant_id'), max(grant_id))
  FROM mcp_oauth.grants \gset
VACUUM ANALYZE mcp_oauth.grants;
VACUUM ANALYZE mcp_oauth.refresh_tokens;
SQL
q <<'SQL'
DO $$
DECLARE
	g bigint;
	t0 timestamptz;
	took float8;
BEGIN
	FOR g IN SELECT grant_id FROM bench_revoke ORDER BY grant_id LOOP
		t0 := clock_timestamp();
		PERFORM mcp_oauth.revoke_grant(g, 'bench');
		took := extract(epoch FROM clock_timestamp() - t0) * 1000;
		UPDATE bench_revoke SET ms = took WHERE grant_id = g;
		COMMIT;
	END LOOP;
END $$;
SQL
F[revfresh,large]=$(q -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) FROM bench_revoke WHERE kind = 'fresh'")
F[revmonth,large]=$(q -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) FROM bench_revoke WHERE kind = 'month'")
revraw=$(q -c "SELECT kind || ': ' || string_agg(round(ms::numeric, 1)::text, ' ' ORDER BY grant_id) FROM bench_revoke GROUP BY kind")

# ---- the figures ----
total=$(($(date +%s) - started))
aim() { awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN {
	ok = (op == ">=") ? v >= lim : v <= lim; printf "aim %s %s: %s", op, lim, ok ? "met" : "NOT MET" }'; }
# figures of 100 and more without decimals
fmt() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/ && v >= 100) printf "%.0f", v; else print v }'; }
row() { printf '%-46s %12s %12s %7s   %s\n' "$1" "$(fmt "$2")" "$(fmt "$3")" "$(ratio "$3" "$2")" "${4:-}"; }
echo
echo "mcp_oauth bench-scale: $clients clients, best of $runs runs of ${secs}s, $(nproc) cores, scale $scale"
echo "load of large: ${load_secs}s (then VACUUM ANALYZE ${vacuum_secs}s); whole run ${total}s"
echo
printf '%-46s %12s %12s %7s\n' "" small large ratio
echo "1. refresh of a random live token: steady, the last 3 of $steady_windows runs of ${secs}s after a CHECKPOINT"
row "   refreshes (/s)" "${F[srefresh,small]}" "${F[srefresh,large]}" \
	"$(aim "$(ratio "${F[srefresh,large]}" "${F[srefresh,small]}")" ">=" 0.9)"
row "   WAL per refresh (bytes)" "${F[swal,small]}" "${F[swal,large]}" \
	"$(aim "$(ratio "${F[swal,large]}" "${F[swal,small]}")" "<=" 2)"
row "   full-page images per refresh" "${F[sfpi,small]}" "${F[sfpi,large]}"
row "   WAL per refresh, all $steady_windows runs (bytes)" "${F[awal,small]}" "${F[awal,large]}"
row "   full-page images per refresh, all runs" "${F[afpi,small]}" "${F[afpi,large]}"
echo "   the first ${secs}s after a CHECKPOINT (best of $runs runs, each after its own):"
row "   refreshes (/s)" "${F[refresh,small]}" "${F[refresh,large]}"
row "   WAL per refresh (bytes)" "${F[wal,small]}" "${F[wal,large]}"
row "   full-page images per refresh" "${F[fpi,small]}" "${F[fpi,large]}"
row "   WAL per refresh without FPIs (bytes)" "${F[walnofpi,small]}" "${F[walnofpi,large]}"
row "   FPI bytes per refresh" "${F[fpibytes,small]}" "${F[fpibytes,large]}"
row "   WAL records per refresh" "${F[recs,small]}" "${F[recs,large]}"
row "   HOT share of refresh_tokens updates" "${F[hot,small]}" "${F[hot,large]}"
row "2. verify JWT seen before (/s)" "${F[seen,small]}" "${F[seen,large]}"
row "   one token, drawn as the working sets are (/s)" "${F[ws0,small]}" "${F[ws0,large]}"
row "   working set 10k = cache size (/s)" "${F[ws1,small]}" "${F[ws1,large]}" \
	"large/one token $(ratio "${F[ws1,large]}" "${F[ws0,large]}"): $(aim "$(ratio "${F[ws1,large]}" "${F[ws0,large]}")" ">=" 0.8)"
row "   working set 20k = 2x cache (/s)" "${F[ws2,small]}" "${F[ws2,large]}" \
	"large/first-seen $(ratio "${F[ws2,large]}" "${F[first,large]}"): $(aim "$(ratio "${F[ws2,large]}" "${F[first,large]}")" ">=" 1)"
row "   working set 40k = 4x cache (/s)" "${F[ws4,small]}" "${F[ws4,large]}" \
	"large/first-seen $(ratio "${F[ws4,large]}" "${F[first,large]}"): $(aim "$(ratio "${F[ws4,large]}" "${F[first,large]}")" ">=" 1)"
row "   first seen, token cache off (/s)" "${F[first,small]}" "${F[first,large]}"
row "   first seen, 300 revoked alone live (/s)" "${F[firstrev,small]}" "${F[firstrev,large]}" \
	"large/none revoked $(ratio "${F[firstrev,large]}" "${F[first,large]}"): $(aim "$(ratio "${F[firstrev,large]}" "${F[first,large]}")" ">=" 0.9)"
row "3. verify PAT seen before (/s)" "${F[patseen,small]}" "${F[patseen,large]}"
row "   verify PAT first seen, cache off (/s)" "${F[patfirst,small]}" "${F[patfirst,large]}"
row "4. register a new client (/s)" "${F[register,small]}" "${F[register,large]}" \
	"$(aim "$(ratio "${F[register,large]}" "${F[register,small]}")" ">=" 0.9)"
row "   clients sharing its redirect URI (before)" "${F[shared,small]}" "${F[shared,large]}"
echo
echo "large only:"
printf '%-46s %12s %12s %7s\n' "" fresh month ratio
row "5. revoke_grant(), median of $copies (ms)" "${F[revfresh,large]}" "${F[revmonth,large]}" \
	"$(aim "$(ratio "${F[revmonth,large]}" "${F[revfresh,large]}")" "<=" 2)"
printf '%-46s %12s %12s %7s\n' "" before during ratio
row "6. refresh while purging (/s)" "${F[before,large]}" "${F[during,large]}" \
	"$(aim "$(ratio "${F[during,large]}" "${F[before,large]}")" ">=" 0.8)"
printf '   purge: %s rows in %s batches of at most 5000 per step (busy share 0.25, as purge_expired_all), %ss in all, longest transaction %ss (%s); WAL %s MB, %s FPIs, %s records\n' \
	"$pdeleted" "$pbatches" "$ptotal" "$pmax" "$(aim "$pmax" "<=" 1)" \
	"$(awk -v b="$pwal" 'BEGIN { printf "%.1f", b / 1048576 }')" "$pfpi" "$precs"
echo "   purged: $pcounts"
echo "   expired rows loaded in ${expired_secs}s; pgbench runs of ${psecs}s: 3 before, $druns started while the purge ran"
echo
echo "raw: refresh small ${F[refresh,small]}/s large ${F[refresh,large]}/s; WAL/refresh ${F[wal,small]} / ${F[wal,large]} bytes, FPI ${F[fpi,small]} / ${F[fpi,large]}"
echo "raw: revoke ms $revraw"
echo "raw: purge batches (time/rows/WAL): $pbatch"
echo "raw: month family after the purge: $family_rows; cluster WAL during the purge and the refreshes: $(awk -v a="$wal_before" -v b="$wal_after" 'BEGIN { split(a, p, "|"); split(b, q, "|"); printf "%.1f MB", (q[3] - p[3]) / 1048576 }')"
echo
echo "disk at volume (large, before the purge load):"
echo "$sizes"
echo
echo "README audit queries at volume (large: $(q -c "SELECT count(*) FROM mcp_oauth.audit_log") audit rows now; plans taken before the purge load):"
echo "$explains"
