-- What a purge finds at volume (bench/scale.sh), loaded as scale_load.sql
-- loads (copies of rows the functions wrote, bench_clone): refresh tokens
-- past their idle life (rotated a month and more ago), rotated ones past
-- the reuse window (4 to 25 days ago, not yet expired), access tokens
-- revoked by themselves and since expired, used requests, login sessions
-- and audit rows past retention.  Sizes as psql variables: expired,
-- past_window, revoked, requests, sessions, old_audit.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET synchronous_commit = off;
SELECT g0, a0, grants, accounts FROM bench_meta \gset

SELECT bench_clone('mcp_oauth.refresh_tokens', 'rotated_at IS NOT NULL', :expired, jsonb_build_object(
	'token_hash', $$sha256(convert_to('bench expired rt ' || i, 'UTF8'))$$,
	'grant_id', format('%s + 1 + (i - 1) %% %s', :g0, :grants),
	'rotated_at', $$now() - interval '31 days' - interval '29 days' * random()$$,
	'successor_sealed', 'mcp_oauth._random_bytes(octet_length(t.successor_sealed))'),
	jsonb_build_object('created_at', $$c.rotated_at - interval '15 minutes'$$,
	'expires_at', $$c.rotated_at + interval '30 days' - interval '15 minutes'$$)) AS expired_refresh_tokens;
SELECT bench_clone('mcp_oauth.refresh_tokens', 'rotated_at IS NOT NULL', :past_window, jsonb_build_object(
	'token_hash', $$sha256(convert_to('bench past window rt ' || i, 'UTF8'))$$,
	'grant_id', format('%s + 1 + (i - 1) %% %s', :g0, :grants),
	'rotated_at', $$now() - interval '4 days' - interval '21 days' * random()$$,
	'successor_sealed', 'mcp_oauth._random_bytes(octet_length(t.successor_sealed))'),
	jsonb_build_object('created_at', $$c.rotated_at - interval '15 minutes'$$,
	'expires_at', $$c.rotated_at + interval '30 days' - interval '15 minutes'$$)) AS rotated_past_window;
SELECT bench_fill_rotations() AS refresh_rotations;

SELECT bench_clone('mcp_oauth.revoked_access_tokens', 'true', :revoked, jsonb_build_object(
	'jti', $$md5('bench jti ' || i)::uuid$$,
	'grant_id', format('%s + 1 + (i - 1) %% %s', :g0, :grants),
	'expires_at', $$now() - interval '1 hour' - interval '20 days' * random()$$),
	jsonb_build_object('revoked_at', $$c.expires_at - interval '10 minutes'$$)) AS revoked_access_tokens;

SELECT bench_clone('mcp_oauth.used_requests', 'true', :requests, jsonb_build_object(
	'nonce_hash', $$sha256(convert_to('bench nonce ' || i, 'UTF8'))$$,
	'expires_at', $$now() - interval '2 hours' - interval '20 days' * random()$$)) AS used_requests;

SELECT bench_clone('mcp_oauth.login_sessions', 'true', :sessions, jsonb_build_object(
	'session_hash', $$sha256(convert_to('bench session ' || i, 'UTF8'))$$,
	'account_id', format('%s + 1 + i %% %s', :a0, :accounts),
	'created_at', $$now() - interval '1 day' - interval '20 days' * random()$$),
	jsonb_build_object('expires_at', $$c.created_at + interval '12 hours'$$)) AS login_sessions;

SELECT bench_clone('mcp_oauth.audit_log', $$event = 'token_refreshed'$$, :old_audit, jsonb_build_object(
	'at', format($$now() - interval '180 days' + interval '89 days' * i::float8 / %s$$, :old_audit),
	'grant_id', format('%s + 1 + i * 104729 %% %s', :g0, :grants))) AS audit_past_retention;
