-- Fill a database's mcp_oauth with every kind of state, through the
-- endpoint functions as the HTTP server calls them: a dynamic public client
-- and a confidential one, a consented grant with its code exchanged, a
-- rotated refresh token, an access token revoked by itself, a personal
-- access token, an account, an operator-added scope, audit rows.  What a
-- later check needs (tokens, secrets) goes to public.state_kept, a plain
-- table that pg_dump keeps like any other.  Used by tests/upgrade and
-- tests/backup; needs mcp_oauth.issuer and mcp_oauth.resources set.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE TABLE public.state_kept (name text PRIMARY KEY, value text NOT NULL);

SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key \gset
INSERT INTO mcp_oauth.scopes (name, description, is_default)
VALUES ('deploy:read', 'See deployments', false);
SELECT mcp_oauth.create_account('alice', 'correct horse battery', display_name => 'Alice') IS NOT NULL AS account \gset

-- The consent pages' login: a session, and a failed attempt (rate_limits).
SELECT (mcp_oauth.login('alice', 'correct horse battery', '192.0.2.1')).subject AS login_subject \gset
SELECT (mcp_oauth.login('alice', 'wrong', '192.0.2.1')).subject IS NULL AS login_refused \gset

-- RFC 7591 registrations: a public client and a confidential one.
INSERT INTO public.state_kept
SELECT 'public_client', (mcp_oauth.register('application/json', NULL,
	'{"client_name":"State test","redirect_uris":["https://app.example.com/cb"],'
	'"token_endpoint_auth_method":"none"}', '192.0.2.1')).body::json->>'client_id';
WITH r AS (
	SELECT (mcp_oauth.register('application/json', NULL,
		'{"client_name":"State test (confidential)","redirect_uris":["https://app.example.com/cb"],'
		'"token_endpoint_auth_method":"client_secret_basic"}', '192.0.2.1')).body::json AS b)
INSERT INTO public.state_kept
SELECT 'conf_client', b->>'client_id' FROM r
UNION ALL SELECT 'conf_secret', b->>'client_secret' FROM r;

-- The confidential client may introspect other clients' access tokens
-- (set_client_introspection, from 0.3.0; a database filled at an earlier
-- version has no such right).
DO $$
BEGIN
	IF pg_catalog.to_regprocedure('mcp_oauth.set_client_introspection(text, boolean)') IS NOT NULL THEN
		PERFORM mcp_oauth.set_client_introspection(value, true)
		FROM public.state_kept WHERE name = 'conf_client';
		INSERT INTO public.state_kept VALUES ('introspection_right', 'given');
	END IF;
END
$$;

-- Authorization request, consent, code exchange (RFC 7636 appendix B's verifier).
SELECT value AS client FROM public.state_kept WHERE name = 'public_client' \gset
SELECT (mcp_oauth.authorize('response_type=code&client_id=' || :'client'
	|| '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s1&scope=mcp%3Atools%20deploy%3Aread'
	|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
	'192.0.2.1')).body::json->>'request_id' AS rid \gset
SELECT substring((mcp_oauth.authorize_decision(:'rid', 'alice', true, 'mcp:tools deploy:read',
	'192.0.2.1')).location FROM '[?&]code=([^&]+)') AS code \gset
WITH t AS (
	SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=authorization_code&code=' || :'code' || '&client_id=' || :'client'
		|| '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb'
		|| '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', '192.0.2.1')).body::json AS b)
INSERT INTO public.state_kept
SELECT 'refresh_0', b->>'refresh_token' FROM t
UNION ALL SELECT 'access_0', b->>'access_token' FROM t;

-- One rotation: refresh_0 is rotated, refresh_1 current.
SELECT value AS rt FROM public.state_kept WHERE name = 'refresh_0' \gset
WITH t AS (
	SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=refresh_token&refresh_token=' || :'rt' || '&client_id=' || :'client',
		'192.0.2.1')).body::json AS b)
INSERT INTO public.state_kept
SELECT 'refresh_1', b->>'refresh_token' FROM t
UNION ALL SELECT 'access_1', b->>'access_token' FROM t;

-- access_0 revoked by itself (RFC 7009): a row in revoked_access_tokens.
SELECT value AS at0 FROM public.state_kept WHERE name = 'access_0' \gset
SELECT (mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
	'token=' || :'at0' || '&token_type_hint=access_token&client_id=' || :'client',
	'192.0.2.1')).status AS revoked_status \gset

-- A request awaiting consent: its handle is sealed under request_key.
INSERT INTO public.state_kept
SELECT 'pending', (mcp_oauth.authorize('response_type=code&client_id=' || :'client'
	|| '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=s3'
	|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
	'192.0.2.1')).body::json->>'request_id';

INSERT INTO public.state_kept
SELECT 'pat', mcp_oauth.create_personal_access_token('alice', 'ci', '{mcp:tools}');

-- Every kind of row is there.
SELECT (SELECT count(*) FROM mcp_oauth.grants) >= 1
   AND (SELECT count(*) FROM mcp_oauth.refresh_tokens) >= 2
   AND (SELECT count(*) FROM mcp_oauth.revoked_access_tokens) >= 1
   AND (SELECT count(*) FROM mcp_oauth.personal_access_tokens) >= 1
   AND (SELECT count(*) FROM mcp_oauth.audit_log) >= 1
   AND (SELECT count(*) FROM mcp_oauth.used_requests) >= 1
   AND (SELECT count(*) FROM mcp_oauth.login_sessions) >= 1
   AND (SELECT count(*) FROM mcp_oauth.rate_limits) >= 1
   AND (SELECT count(*) FROM public.state_kept WHERE value IS NULL) = 0 AS filled \gset
\if :filled
\else
\echo 'state_fill: some state is missing'
SELECT 1/0;
\endif
