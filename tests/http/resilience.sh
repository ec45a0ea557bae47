# tests/http/resilience.sh: sourced by tests/http/run.sh.  The database side
# of a request going wrong: a serialization failure retried once, one that
# persists, and a client that hangs up while its query waits on a lock.

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

# The last value a sequence handed out (0 if none).
attempts() {
	psql -X -tA -d "$db" -c "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.$1"
}

# register NAME: POST /register of a public loopback client called NAME.
register_named() {
	req POST "$base/register" -H "Content-Type: application/json" \
		-d "{\"client_name\":\"$1\",\"redirect_uris\":[\"http://127.0.0.1:7/cb\"],\"token_endpoint_auth_method\":\"none\"}"
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
		-d '{"client_name":"gone","redirect_uris":["http://127.0.0.1:7/cb"],"token_endpoint_auth_method":"none"}'
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
