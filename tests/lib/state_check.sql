-- Check that the state tests/lib/state_fill.sql made still works: each
-- check prints "ok NAME" or "FAIL NAME".  Used after an upgrade and after a
-- dump and restore.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\pset tuples_only on
\pset format unaligned
CREATE FUNCTION pg_temp.kept(n text) RETURNS text LANGUAGE sql AS $$
	SELECT value FROM public.state_kept WHERE name = n
$$;
CREATE FUNCTION pg_temp.ck(n text, passed boolean) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN coalesce(passed, false) THEN 'ok ' ELSE 'FAIL ' END || n
$$;
CREATE FUNCTION pg_temp.form(fn text, body text, auth text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response;
BEGIN
	EXECUTE format('SELECT (mcp_oauth.%I($1, $2, $3, $4)).*', fn)
		INTO r USING 'application/x-www-form-urlencoded', auth, body, '192.0.2.2'::inet;
	RETURN r;
END
$$;
CREATE FUNCTION pg_temp.active(token text) RETURNS boolean LANGUAGE sql AS $$
	SELECT (mcp_oauth.verify_access_token(token,
		split_part(current_setting('mcp_oauth.resources'), ',', 1))).active
$$;
CREATE TEMP TABLE fresh (name text PRIMARY KEY, value text);
SELECT count(*) AS audit_kept FROM mcp_oauth.audit_log \gset

SELECT pg_temp.ck('settings: issuer and resources',
	current_setting('mcp_oauth.issuer', true) IS NOT NULL
	AND current_setting('mcp_oauth.resources', true) IS NOT NULL);
SELECT pg_temp.ck('verify: the current access token', pg_temp.active(pg_temp.kept('access_1')));
SELECT pg_temp.ck('verify: the access token revoked by itself stays revoked',
	NOT pg_temp.active(pg_temp.kept('access_0')));
SELECT pg_temp.ck('verify: the personal access token', pg_temp.active(pg_temp.kept('pat')));
SELECT pg_temp.ck('clients: the introspection right kept (none if filled before 0.3.0)',
	(SELECT introspection_allowed FROM mcp_oauth.clients
	  WHERE client_id = pg_temp.kept('conf_client'))
	= (pg_temp.kept('introspection_right') IS NOT NULL));
SELECT mcp_oauth.set_client_introspection(pg_temp.kept('conf_client'), true) IS NULL
	AS introspection_given \gset
SELECT pg_temp.ck('introspect: the current access token, by the confidential client',
	(pg_temp.form('introspect', 'token=' || pg_temp.kept('access_1'),
		'Basic ' || translate(encode(convert_to(pg_temp.kept('conf_client') || ':'
			|| pg_temp.kept('conf_secret'), 'UTF8'), 'base64'), E'\n', ''))).body::json->>'active'
	= 'true');

-- the token rotated at the fill: logged for the purge, and its successor
-- still sealed for a retry (a grace period long enough for the dump)
SELECT pg_temp.ck('refresh: the token rotated before is in the rotation log',
	EXISTS (SELECT FROM mcp_oauth.refresh_rotations
			 WHERE token_hash = sha256(convert_to(pg_temp.kept('refresh_0'), 'UTF8'))));
SET mcp_oauth.refresh_grace_period = 300;
SELECT pg_temp.ck('refresh: a retry with the token rotated before gets the same successor',
	(pg_temp.form('token', 'grant_type=refresh_token&refresh_token='
		|| pg_temp.kept('refresh_0') || '&client_id=' || pg_temp.kept('public_client'))).body::json->>'refresh_token'
	= pg_temp.kept('refresh_1'));
RESET mcp_oauth.refresh_grace_period;
INSERT INTO fresh
SELECT 'refresh', (pg_temp.form('token', 'grant_type=refresh_token&refresh_token='
	|| pg_temp.kept('refresh_1') || '&client_id=' || pg_temp.kept('public_client'))).body;
SELECT pg_temp.ck('refresh: the current refresh token rotates',
	(SELECT value::json->>'refresh_token' ~ '^mcp_rt_' FROM fresh WHERE name = 'refresh'));
SELECT pg_temp.ck('verify: the access token of that refresh',
	pg_temp.active((SELECT value::json->>'access_token' FROM fresh WHERE name = 'refresh')));
SELECT pg_temp.ck('revoke: the new refresh token',
	(pg_temp.form('revoke', 'token=' || (SELECT value::json->>'refresh_token' FROM fresh
		WHERE name = 'refresh') || '&client_id=' || pg_temp.kept('public_client'))).status = 200);
SELECT pg_temp.ck('revoke: the grant is revoked, its access tokens too',
	NOT pg_temp.active((SELECT value::json->>'access_token' FROM fresh WHERE name = 'refresh'))
	AND NOT pg_temp.active(pg_temp.kept('access_1')));
SELECT pg_temp.ck('revoke: a personal access token',
	mcp_oauth.revoke_personal_access_token((SELECT pat_id FROM
		mcp_oauth.list_personal_access_tokens('alice') LIMIT 1))
	AND NOT pg_temp.active(pg_temp.kept('pat')));

SELECT pg_temp.ck('accounts: the password still signs in',
	mcp_oauth.authenticate('alice', 'correct horse battery'));
SELECT max(account_id) AS last_account FROM mcp_oauth.accounts \gset
SELECT pg_temp.ck('accounts: create_account after the kept ones (the sequence kept)',
	mcp_oauth.create_account('bob-' || md5(random()::text), 'another long password',
		display_name => 'Bob') > :last_account);
SELECT pg_temp.ck('personal access tokens: a new one',
	pg_temp.active(mcp_oauth.create_personal_access_token('alice', 'new', '{mcp:tools}')));
SELECT pg_temp.ck('scopes: the operator-added scope and the defaults',
	(SELECT count(*) FROM mcp_oauth.scopes
	 WHERE name IN ('deploy:read', 'mcp:tools', 'mcp:resources', 'mcp:prompts')) = 4);
SELECT pg_temp.ck('clients: the built-in client and both registered ones',
	(SELECT count(*) FROM mcp_oauth.clients WHERE client_id IN
		('mcp-agent', pg_temp.kept('public_client'), pg_temp.kept('conf_client'))) = 3);
SELECT pg_temp.ck('authorize: the request made before is still decided (request key kept)',
	(mcp_oauth.authorize_decision(pg_temp.kept('pending'), 'alice', true, 'mcp:tools',
		'192.0.2.2')).location ~ '[?&]code=');
SELECT pg_temp.ck('authorize: a new request for a kept client',
	(mcp_oauth.authorize('response_type=code&client_id=' || pg_temp.kept('public_client')
		|| '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s2'
		|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
		|| '&code_challenge_method=S256', '192.0.2.2')).body::json->>'request_id' IS NOT NULL);
SELECT pg_temp.ck('register: the kept public client, registered again (members reordered), is reused',
	(mcp_oauth.register('application/json', NULL,
		'{"token_endpoint_auth_method":"none","client_name":"State test",'
		'"redirect_uris":["https://app.example.com/cb"]}', '192.0.2.3')).body::json->>'client_id'
	= pg_temp.kept('public_client'));
SELECT pg_temp.ck('register: a new client',
	(mcp_oauth.register('application/json', NULL,
		'{"client_name":"After","redirect_uris":["https://app.example.com/cb"],'
		'"token_endpoint_auth_method":"none"}', '192.0.2.3')).status = 201);
SELECT pg_temp.ck('audit: the kept rows and new ones',
	:audit_kept >= 8 AND (SELECT count(*) FROM mcp_oauth.audit_log) > :audit_kept);
