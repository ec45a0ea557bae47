-- bench/scale.sh's volume, loaded into a database whose template rows the
-- functions wrote (an account, a login session, a dynamic client, a grant
-- with a live and a rotated refresh token, a revoked access token, a used
-- request, audit rows): every loaded row is a copy of the template of its
-- kind (bench_clone, bench/scale_helpers.sql) with what differs between
-- rows set in set-based SQL, so the columns the functions fill are filled
-- the same way on every schema version.  Sizes as psql variables:
-- accounts, clients, shared (clients sharing the template client's redirect
-- URI), grants (one live refresh token each), rotated, audit.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;
SELECT max(grant_id) AS g0 FROM mcp_oauth.grants \gset
SELECT max(account_id) AS a0 FROM mcp_oauth.accounts \gset
CREATE TABLE bench_meta AS SELECT :g0::bigint AS g0, :a0::bigint AS a0,
	:grants::bigint AS grants, :accounts::bigint AS accounts, :clients::bigint AS clients;

-- accounts user1..N (the template's bcrypt hash: same cost and shape, not
-- computed 100k times)
SELECT bench_clone('mcp_oauth.accounts', $$username = 'bench'$$, :accounts, jsonb_build_object(
	'account_id', :a0 || ' + i',
	'username', $$'user' || i$$,
	'display_name', $$'User ' || i$$,
	'created_at', $$now() - interval '120 days' + i * interval '100 ms'$$)) AS accounts;

-- dynamic public clients, as register() writes them; the first :shared
-- share the template's redirect URI.  Every one has grants (k * 7919 mod
-- clients meets each client), so each was used for a token since it
-- registered (last_used_at, which the token endpoint touches).
SELECT $$c.metadata || jsonb_build_object('client_id', c.client_id,
	'client_name', c.client_name, 'redirect_uris', to_jsonb(c.redirect_uris),
	'client_id_issued_at', extract(epoch FROM c.created_at)::bigint)$$ AS meta \gset
SELECT bench_clone('mcp_oauth.clients', $$kind = 'dynamic'$$, :clients, jsonb_build_object(
	'client_id', 'bench_client(i)',
	'client_name', $$'app ' || i$$,
	'redirect_uris', format($$CASE WHEN i <= %s THEN t.redirect_uris
		ELSE ARRAY['https://app' || i || '.example.com/callback'] END$$, :shared),
	'created_at', format($$now() - interval '29 days' * (1 - i::float8 / %s)$$, :clients),
	'registered_from', $$('10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256)::inet$$),
	jsonb_build_object(
	'metadata', :'meta',
	'last_used_at', $$c.created_at + (now() - c.created_at) * random()$$,
	'registration_digest', format($$CASE WHEN c.registration_digest IS NOT NULL THEN
		sha256(convert_to(((%s) - 'client_id' - 'client_id_issued_at')::text, 'UTF8')) END$$,
		:'meta'))) AS clients;

-- grants: subject user(1 + k % accounts), client bench_client(1 + k * 7919 % clients)
SELECT bench_clone('mcp_oauth.grants', 'revoked_at IS NULL', :grants, jsonb_build_object(
	'grant_id', :g0 || ' + i',
	'subject', format($$'user' || (1 + i %% %s)$$, :accounts),
	'client_id', format('bench_client(1 + i * 7919 %% %s)', :clients),
	'created_at', $$now() - interval '30 days' * random()$$),
	jsonb_build_object('expires_at', $$c.created_at + interval '90 days'$$)) AS grants;

-- a live refresh token per grant: bench_rt(k) of grant g0 + k
SELECT bench_clone('mcp_oauth.refresh_tokens', 'rotated_at IS NULL', :grants, jsonb_build_object(
	'token_hash', $$sha256(convert_to(bench_rt(i), 'UTF8'))$$,
	'grant_id', :g0 || ' + i',
	'created_at', $$now() - interval '1 day' * random()$$),
	jsonb_build_object('expires_at', $$c.created_at + interval '30 days'$$)) AS live_refresh_tokens;

-- rotated ones inside the reuse window (the last 3 days, the default of
-- mcp_oauth.refresh_reuse_window, less the run's length), a sealed
-- successor of the template's size where the template has one (0.3.0
-- kept it in the row; 0.4.0 in refresh_grace, for the grace period only),
-- and their refresh_rotations rows (0.4.0)
SELECT bench_clone('mcp_oauth.refresh_tokens', 'rotated_at IS NOT NULL', :rotated, jsonb_build_object(
	'token_hash', format($$sha256(convert_to(bench_rt(%s + i), 'UTF8'))$$, :grants),
	'grant_id', format('%s + 1 + (i - 1) %% %s', :g0, :grants),
	'rotated_at', $$now() - interval '2 days 23 hours' * random()$$,
	'successor_sealed', 'mcp_oauth._random_bytes(octet_length(t.successor_sealed))'),
	jsonb_build_object('created_at', $$c.rotated_at - interval '15 minutes'$$,
	'expires_at', $$c.rotated_at + interval '30 days' - interval '15 minutes'$$)) AS rotated_refresh_tokens;
SELECT bench_fill_rotations() AS refresh_rotations;

-- audit rows over 90 days, oldest first, in the mix the functions write:
-- 70% token_refreshed, 6% each token_issued, consent_granted, code_issued,
-- 5% login_succeeded, 2% login_failed, 3% client_registered, 1% each
-- token_revoked, grant_revoked; each names grant k's subject and client
SELECT bench_clone('mcp_oauth.audit_log', 'true', :audit, jsonb_build_object(
	'at', format($$now() - interval '89 days' * (1 - i::float8 / %s)$$, :audit),
	'event', $$CASE WHEN i * 37 % 100 < 70 THEN 'token_refreshed'
		WHEN i * 37 % 100 < 76 THEN 'token_issued'
		WHEN i * 37 % 100 < 82 THEN 'consent_granted'
		WHEN i * 37 % 100 < 88 THEN 'code_issued'
		WHEN i * 37 % 100 < 93 THEN 'login_succeeded'
		WHEN i * 37 % 100 < 95 THEN 'login_failed'
		WHEN i * 37 % 100 < 98 THEN 'client_registered'
		WHEN i * 37 % 100 < 99 THEN 'token_revoked'
		ELSE 'grant_revoked' END$$,
	'grant_id', format('%s + 1 + i * 104729 %% %s', :g0, :grants),
	'client_addr', $$('10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256)::inet$$),
	jsonb_build_object(
	'subject', format($$CASE WHEN c.event <> 'client_registered'
		THEN 'user' || (1 + (c.grant_id - %s) %% %s) END$$, :g0, :accounts),
	'client_id', format($$CASE WHEN c.event NOT LIKE 'login%%'
		THEN bench_client(1 + (c.grant_id - %s) * 7919 %% %s) END$$, :g0, :clients),
	'grant_id', $$CASE WHEN c.event NOT IN ('login_succeeded', 'login_failed', 'client_registered')
		THEN c.grant_id END$$,
	'detail', format($$CASE c.event
		WHEN 'token_issued' THEN '{"grant_type": "authorization_code"}'
		WHEN 'consent_granted' THEN jsonb_build_object('scope', 'mcp:tools', 'resource', %L)
		WHEN 'client_registered' THEN jsonb_build_object('reused', false,
			'application_type', 'web', 'token_endpoint_auth_method', 'none',
			'client_name', 'app ' || (1 + (c.grant_id - %s) * 7919 %% %s))
		WHEN 'token_revoked' THEN '{"token_type": "refresh_token"}'
		WHEN 'grant_revoked' THEN '{"reason": "admin"}' END$$,
		:'resource', :g0, :clients))) AS audit_rows;

SELECT setval(pg_get_serial_sequence('mcp_oauth.grants', 'grant_id'), max(grant_id))
  FROM mcp_oauth.grants \gset
SELECT setval(pg_get_serial_sequence('mcp_oauth.accounts', 'account_id'), max(account_id))
  FROM mcp_oauth.accounts \gset
