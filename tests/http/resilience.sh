# tests/http/resilience.sh: sourced by tests/http/run.sh.  The database side
# of a request going wrong: a serialization failure retried once, one that
# persists, a client that hangs up while its query waits on a lock, and
# requests that outlive --request-timeout (their statements are cancelled;
# a statement_timeout backstop ends them even when the server hangs).

# Fault injection in the test database: registering a client named
# retry-once-* fails with SQLSTATE 40001 on its first attempt only,
# retry-always-* on every attempt.  Sequences count the attempts (they are
# not rolled back with the failed transaction).
resilience_setup() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<-'SQL'
	CREATE SEQUENCE IF NOT EXISTS public.fail_once_attempts;
	CREATE SEQUENCE IF NOT EXISTS public.fail_always_attempts;
	CREATE OR REPLACE FUNCTION public.inject_serialization_failure() RETURNS trigger
	LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.client_name LIKE 'retry-once-%'
			AND nextval('public.fail_once_attempts') = 1 THEN
			RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
		END IF;
		IF NEW.client_name LIKE 'retry-always-%' THEN
			PERFORM nextval('public.fail_always_attempts');
			RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
		END IF;
		RETURN NEW;
	END $$;
	DROP TRIGGER IF EXISTS inject_serialization_failure ON mcp_oauth.clients;
	CREATE TRIGGER inject_serialization_failure BEFORE INSERT ON mcp_oauth.clients
		FOR EACH ROW EXECUTE FUNCTION public.inject_serialization_failure();
	SELECT setval('public.fail_once_attempts', 1, false);
	SELECT setval('public.fail_always_attempts', 1, false);
	SQL
}

# sql QUERY: one value from the test database.
sql() { psql -X -tA -d "$db" -c "$1"; }

# The last value a sequence handed out (0 if none).
attempts() { sql "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.$1"; }

# client_json NAME: the metadata of a public loopback client called NAME.
client_json() {
	printf '{"client_name":"%s","redirect_uris":["http://127.0.0.1:7/cb"],"token_endpoint_auth_method":"none"}' "$1"
}

# register_named NAME [BASE]: POST /register of client_json NAME.
register_named() {
	req POST "${2:-$base}/register" -H "Content-Type: application/json" -d "$(client_json "$1")"
}

test_resilience() {
	local lock_pid rc
	resilience_setup || { check "resilience: setup" false; return; }

	register_named "retry-once-$suite_name"
	check "40001 once: retried, 201" eq "$status" 201
	check "40001 once: two attempts" eq "$(attempts fail_once_attempts)" 2

	register_named "retry-always-$suite_name"
	check "40001 twice: 500" eq "$status" 500
	check "40001 twice: generic body" eq "$(j error)" server_error
	check "40001 twice: no database detail in the body" hasnt "$(cat "$B")" injected
	check "40001 twice: exactly one retry" eq "$(attempts fail_always_attempts)" 2

	# A client that gives up while its query waits on a lock.
	psql -X -q -d "$db" -c "BEGIN; LOCK TABLE mcp_oauth.clients IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;" \
		>/dev/null 2>&1 &
	lock_pid=$!
	sleep 0.3
	curl -s -o /dev/null --max-time 0.5 -X POST "$base/register" -H "Content-Type: application/json" \
		-d "$(client_json gone)"
	rc=$?
	check "client gone: curl gave up" eq "$rc" 28
	wait "$lock_pid"
	sleep 0.3
	check "client gone: server still running" kill -0 "$srv_pid"
	req GET "$base/healthz"
	check "client gone: healthz 200" eq "$status" 200
	register_named "after-gone-$suite_name"
	check "client gone: next request served" eq "$status" 201

	psql -X -q -d "$db" -c "DROP TRIGGER inject_serialization_failure ON mcp_oauth.clients" >/dev/null
}

# ---- --request-timeout bounds database time ----

# A one-thread server with two connections and a 1 s request timeout, so a
# handful of requests stuck on a lock would exhaust its pool if a timed-out
# statement kept running.  Its connections' statement_timeout backstop is
# then 2 s (the request timeout + 1 s), and their
# client_connection_check_interval 200 ms.
timeout_ms=1000

# Fault injection: registering probe-* records the session's
# statement_timeout and client_connection_check_interval; slow-SECONDS-*
# sleeps that long before inserting.
timeout_setup() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<-'SQL'
	SET client_min_messages = warning;
	CREATE TABLE IF NOT EXISTS public.timeout_probe (statement_timeout text, check_interval text);
	TRUNCATE public.timeout_probe;
	CREATE OR REPLACE FUNCTION public.timeout_probe() RETURNS trigger
	LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.client_name LIKE 'probe-%' THEN
			INSERT INTO public.timeout_probe
			VALUES (current_setting('statement_timeout'),
				current_setting('client_connection_check_interval'));
		END IF;
		IF NEW.client_name LIKE 'slow-%' THEN
			PERFORM pg_sleep(split_part(NEW.client_name, '-', 2)::float8);
		END IF;
		RETURN NEW;
	END $$;
	DROP TRIGGER IF EXISTS timeout_probe ON mcp_oauth.clients;
	CREATE TRIGGER timeout_probe BEFORE INSERT ON mcp_oauth.clients
		FOR EACH ROW EXECUTE FUNCTION public.timeout_probe();
	SQL
}

# Backends of the server's role running the register statement.
busy_register() {
	sql "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role'
		AND state = 'active' AND query LIKE '%mcp_oauth.register(%'"
}

# busy_register_within SECONDS WANT: poll busy_register until it is WANT,
# for at most SECONDS (wall clock); print the last count.
busy_register_within() {
	local n end
	end=$(awk -v now="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", now + s }')
	while :; do
		n=$(busy_register)
		[ "$n" = "$2" ] && break
		awk -v now="$EPOCHREALTIME" -v end="$end" 'BEGIN { exit !(now < end) }' || break
		sleep 0.05
	done
	echo "$n"
}

# The database server's log (scripts/cluster.sh): pglog_mark prints its
# size; pglog_count MARK TEXT counts the lines written since that contain
# TEXT.
pglog_mark() { stat -c %s "$TEST_CLUSTER_DIR/postgres.log"; }
pglog_count() { tail -c +"$(($1 + 1))" "$TEST_CLUSTER_DIR/postgres.log" | grep -c -- "$2"; }
# The same for the timeout server's log ($log of test_request_timeout).
log_mark() { stat -c %s "$log"; }
log_count() { tail -c +"$(($1 + 1))" "$log" | grep -c -- "$2"; }

# Hold an ACCESS EXCLUSIVE lock on mcp_oauth.clients (every registration
# waits for it) until release_clients_lock; pid in lock_pid.
hold_clients_lock() {
	PGAPPNAME=mcp_timeout_lock psql -X -q -d "$db" \
		-c "BEGIN; LOCK TABLE mcp_oauth.clients IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;" \
		>/dev/null 2>&1 &
	lock_pid=$!
	for _ in $(seq 1 100); do
		[ "$(sql "SELECT count(*) FROM pg_locks WHERE relation = 'mcp_oauth.clients'::regclass
			AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}

release_clients_lock() {
	sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'mcp_timeout_lock'" >/dev/null
	wait "$lock_pid" 2>/dev/null
	lock_pid=""
}

# register_bg BASE NAME OUT: POST /register in the background; "status
# seconds" in OUT, pid appended to bg_pids.
register_bg() {
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 15 -X POST "$1/register" \
		-H "Content-Type: application/json" -d "$(client_json "$2")" >"$3" 2>/dev/null &
	bg_pids+=($!)
}

# between SECONDS MIN MAX
between() {
	awk -v t="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t < hi) }' ||
		{ echo "took ${1}s, want [$2, $3)"; return 1; }
}

# Registrations named NAME-PATTERN (LIKE) that were committed.
committed() { sql "SELECT count(*) FROM mcp_oauth.clients WHERE client_name LIKE '$1'"; }

# probe NAME: register NAME through the timeout server; print the
# statement_timeout and client_connection_check_interval its session had.
probe() {
	sql "TRUNCATE public.timeout_probe" >/dev/null
	register_named "probe-$1-$suite_name" "$bt"
	[ "$status" = 201 ] || { echo "register $status"; return; }
	sql "SELECT string_agg(statement_timeout || ' ' || check_interval, ',') FROM public.timeout_probe"
}

# start_timeout_server BINARY: the timeout server on $bt; pid in pid.
start_timeout_server() {
	"$1" --listen "127.0.0.1:$pt" --issuer "$issuer" --threads 1 --db-connections 2 \
		--request-timeout "$timeout_ms" --log-level debug \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role application_name=mcp_timeout_server" \
		--upstream "http://127.0.0.1:$up_port/mcp" >>"$log" 2>&1 &
	pid=$!
	wait_ready "$bt" && return 0
	kill "$pid"; wait "$pid"
	return 1
}

# stop_timeout_server NAME: SIGTERM, exit status 0.
stop_timeout_server() {
	local rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	check "timeout: $1 exits 0" eq "$rc" 0
}

test_request_timeout() {
	local binary=$1 pt bt pid i code secs n log=$work/server.$suite_name.timeout.log
	local bg_pids=() lock_pid="" mark lmark backends
	timeout_setup || { check "timeout: setup" false; return; }
	pt=$(free_port) || return
	bt=http://127.0.0.1:$pt
	start_timeout_server "$binary" || { check "timeout: server starts" false; return; }

	# 1. The backstops: the server's sessions run with statement_timeout =
	# the request timeout + 1 s, client_connection_check_interval = 200 ms.
	check "timeout: the server's session has statement_timeout = request timeout + 1 s, client_connection_check_interval = 200 ms" \
		eq "$(probe default)" "2s 200ms"

	# 2. Twice the pool's size in registrations stuck on a lock: each gets
	# 503 at the timeout, and the statements that ran (two, or more when a
	# queued one was sent as a connection came free just before its
	# timeout: a cancel that reaches the backend before the statement does
	# is dropped, and must be repeated) are cancelled, not left waiting on
	# the lock until statement_timeout ends them (at 2 s) or the lock is
	# released, so the pool serves again while the lock is still held and
	# nothing of them commits later.  The bound on their end leaves room
	# for a loaded machine; the database's log tells a cancel from
	# statement_timeout.
	hold_clients_lock || check "timeout: lock taken" false
	mark=$(pglog_mark)
	bg_pids=()
	for i in 1 2 3 4; do register_bg "$bt" "timeout-$i-$suite_name" "$work/timeout.$i"; done
	wait "${bg_pids[@]}"
	for i in 1 2 3 4; do
		read -r code secs <"$work/timeout.$i"
		check "timeout: stuck request $i gets 503" eq "$code" 503
		check "timeout: stuck request $i answered at the timeout" between "$secs" 0.9 2.0
	done
	check "timeout: no statement of the server still runs after the timeout" \
		eq "$(busy_register_within 1.5 0)" 0
	check "timeout: the stuck statements were cancelled, not ended by statement_timeout" \
		eq "$(pglog_count "$mark" 'canceling statement due to statement timeout')" 0
	req GET "$bt/readyz"
	check "timeout: pool not exhausted while the lock is held (readyz 200)" eq "$status" 200
	release_clients_lock
	register_named "after-timeout-$suite_name" "$bt"
	check "timeout: registration after the lock is released 201" eq "$status" 201
	check "timeout: the timed-out registrations were rolled back" eq "$(committed "timeout-%-$suite_name")" 0

	# 3. A cancel that reaches the backend before the statement does (here
	# the backend is stopped, so it reads the statement only after the
	# cancel's signal) is dropped by the backend, which then runs the
	# statement.  The server cancels again until the statement ends: it
	# does not wait on the lock until the connection is given up (1 s
	# after the cancel) or statement_timeout ends it, nor commit when the
	# lock is released.
	hold_clients_lock || check "timeout: lock taken for the early cancel" false
	backends=$(sql "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
		WHERE application_name = 'mcp_timeout_server'")
	check "timeout: the server's backends found" nonempty "$backends"
	lmark=$(log_mark)
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$backends" ] && kill -STOP $backends
	bg_pids=()
	register_bg "$bt" "early-$suite_name" "$work/early"
	wait "${bg_pids[@]}"
	sleep 0.2
	# shellcheck disable=SC2086
	[ -n "$backends" ] && kill -CONT $backends
	read -r code _ <"$work/early"
	check "timeout: the request on a stopped backend gets 503" eq "$code" 503
	check "timeout: its statement ends once the backend runs" eq "$(busy_register_within 1.5 0)" 0
	check "timeout: it was cancelled again, the connection kept" \
		eq "$(log_count "$lmark" 'register cancelled after its timeout') $(log_count "$lmark" 'reconnecting')" "1 0"
	release_clients_lock
	check "timeout: the early-cancelled registration was rolled back" eq "$(committed "early-$suite_name")" 0

	# 4. Statements ending around the timeout: a result that wins the race
	# is answered, one that loses is cancelled or (committed just before
	# the cancel landed) logged as such; either way, the connection's next
	# statements are not hit by a late cancel.  A smoke test of a race.
	for secs in 0.9 0.97 1.0 1.03; do
		late_before=$(grep -c 'completed after its timeout' "$log")
		bg_pids=()
		register_bg "$bt" "slow-$secs-$suite_name" "$work/slow"
		wait "${bg_pids[@]}"
		read -r code _ <"$work/slow"
		sleep 0.3	# a late completion's log line follows its commit
		n=$(committed "slow-$secs-$suite_name")
		case $code in
		201) check "timeout: slow $secs answered 201 is committed" eq "$n" 1 ;;
		503) check "timeout: slow $secs answered 503 is not committed (or logged as late)" \
			test "$n" = 0 -o "$(($(grep -c 'completed after its timeout' "$log") - late_before))" -ge "$n" ;;
		*) check "timeout: slow $secs answered 201 or 503" eq "$code" "201 or 503" ;;
		esac
		bg_pids=()
		register_bg "$bt" "next-a-$secs-$suite_name" "$work/next.a"
		register_bg "$bt" "next-b-$secs-$suite_name" "$work/next.b"
		wait "${bg_pids[@]}"
		check "timeout: after slow $secs, the next requests succeed" \
			eq "$(cut -d' ' -f1 "$work/next.a") $(cut -d' ' -f1 "$work/next.b")" "201 201"
	done

	# 5. The backstop at work: a server that hangs (SIGSTOP) cannot cancel,
	# yet its stuck statement ends at statement_timeout.
	hold_clients_lock || check "timeout: lock taken again" false
	bg_pids=()
	register_bg "$bt" "stopped-$suite_name" "$work/stopped"
	sleep 0.3
	kill -STOP "$pid"
	check "timeout: the stopped server's statement waits on the lock" eq "$(busy_register)" 1
	sleep 2.5
	check "timeout: statement_timeout ended it while the server was stopped" eq "$(busy_register)" 0
	kill -CONT "$pid"
	wait "${bg_pids[@]}"
	read -r code _ <"$work/stopped"
	check "timeout: the stopped server's request gets 503" eq "$code" 503
	release_clients_lock
	req GET "$bt/readyz"
	check "timeout: server serves after it was stopped" eq "$status" 200
	check "timeout: the statement ended by statement_timeout was rolled back" \
		eq "$(committed "stopped-$suite_name")" 0
	stop_timeout_server server

	# 6. A backend whose connection is closed under a statement waiting on
	# a lock (here the server is killed: no cancel, no request timeout)
	# notices it within client_connection_check_interval and rolls back,
	# well before statement_timeout and before the lock is released.
	if start_timeout_server "$binary"; then
		hold_clients_lock || check "timeout: lock taken for the kill" false
		mark=$(pglog_mark)
		bg_pids=()
		register_bg "$bt" "killed-$suite_name" "$work/killed"
		check "timeout: the statement of the server to kill waits on the lock" \
			eq "$(busy_register_within 0.8 1)" 1
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		check "timeout: the killed server's statement ended" eq "$(busy_register_within 1.5 0)" 0
		check "timeout: it ended on the closed connection, not by statement_timeout" \
			eq "$(pglog_count "$mark" 'connection to client lost') $(pglog_count "$mark" 'due to statement timeout')" "1 0"
		release_clients_lock
		wait "${bg_pids[@]}"
		check "timeout: the killed server's registration was rolled back" eq "$(committed "killed-$suite_name")" 0
	else
		check "timeout: server to kill starts" false
	fi

	# 7. Lower settings made for the role are kept.
	sql "ALTER ROLE $role IN DATABASE $db SET statement_timeout = '700ms'" >/dev/null
	sql "ALTER ROLE $role IN DATABASE $db SET client_connection_check_interval = '50ms'" >/dev/null
	if start_timeout_server "$binary"; then
		check "timeout: the role's lower statement_timeout and client_connection_check_interval are kept" \
			eq "$(probe lower)" "700ms 50ms"
		stop_timeout_server "server with the role's settings"
	else
		check "timeout: server with the role's settings starts" false
	fi
	sql "ALTER ROLE $role IN DATABASE $db RESET statement_timeout" >/dev/null
	sql "ALTER ROLE $role IN DATABASE $db RESET client_connection_check_interval" >/dev/null
	if [ "$suite_name" = asan ]; then
		check "timeout: no sanitizer report" sanitizer_clean "$log"
	fi
	psql -X -q -d "$db" -c "DROP TRIGGER timeout_probe ON mcp_oauth.clients" >/dev/null
}
