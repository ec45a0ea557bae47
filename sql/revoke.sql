-- Token revocation (RFC 7009) and introspection (RFC 7662).
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.access_token_lifetime = 900;
SET client_min_messages = warning;
-- A key that signs now.
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- The confidential clients are resource servers: they may introspect other
-- clients' access tokens (trust.sql tests that right).
INSERT INTO mcp_oauth.clients (client_id, client_secret_hash, token_endpoint_auth_method,
							   redirect_uris, introspection_allowed)
VALUES ('rev-public', NULL, 'none', '{https://app.example.com/cb}', false),
	   ('rev-other', NULL, 'none', '{https://app.example.com/cb}', false),
	   ('rev-conf', sha256('conf-secret'), 'client_secret_basic', '{https://app.example.com/cb}', true),
	   ('rev-post', sha256('post-secret'), 'client_secret_post', '{https://app.example.com/cb}', true);

\set conf_auth '\'Basic \' || encode(convert_to(\'rev-conf:conf-secret\', \'UTF8\'), \'base64\')'

-- A grant with a refresh token, then one refresh through the endpoint:
-- returns the token response (a live access token and refresh token).
CREATE FUNCTION pg_temp.tokens(client text, auth text DEFAULT NULL)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	gid bigint;
	tok text := 'mcp_rt_' || substr(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 1, 43);
BEGIN
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
	VALUES ('dave', client, '{mcp:tools}', 'https://mcp.example.com/mcp', now() + interval '90 days')
	RETURNING grant_id INTO gid;
	INSERT INTO mcp_oauth.refresh_tokens (token_hash, grant_id, scopes, expires_at)
	VALUES (sha256(convert_to(tok, 'UTF8')), gid, '{mcp:tools}', now() + interval '1 day');
	RETURN (mcp_oauth.token('application/x-www-form-urlencoded', auth,
		'grant_type=refresh_token&refresh_token=' || tok
		|| CASE WHEN auth IS NULL THEN '&client_id=' || client ELSE '' END, NULL)).body::json;
END
$$;

CREATE FUNCTION pg_temp.h(tok text) RETURNS bytea
LANGUAGE sql AS $$ SELECT sha256(convert_to(tok, 'UTF8')) $$;

-- The grant of a refresh token.
CREATE FUNCTION pg_temp.gid(tok text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT grant_id FROM mcp_oauth.refresh_tokens WHERE token_hash = pg_temp.h(tok)
$$;

CREATE TEMP TABLE seen (endpoint text, r mcp_oauth.http_response);
-- A revocation or introspection request; every response is kept in seen.
CREATE FUNCTION pg_temp.call(endpoint text, body text, auth text)
RETURNS mcp_oauth.http_response LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response;
BEGIN
	IF endpoint = 'revoke' THEN
		r := mcp_oauth.revoke('application/x-www-form-urlencoded', auth, body, '192.0.2.30');
	ELSE
		r := mcp_oauth.introspect('application/x-www-form-urlencoded', auth, body, '192.0.2.30');
	END IF;
	INSERT INTO seen VALUES (endpoint, r);
	RETURN r;
END
$$;
CREATE FUNCTION pg_temp.rev(body text, auth text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$ SELECT pg_temp.call('revoke', body, auth) $$;
CREATE FUNCTION pg_temp.intro(body text, auth text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$ SELECT pg_temp.call('introspect', body, auth) $$;

CREATE TEMP TABLE t (name text PRIMARY KEY, j json);
INSERT INTO t VALUES ('a', pg_temp.tokens('rev-public')),
					 ('b', pg_temp.tokens('rev-public')),
					 ('c', pg_temp.tokens('rev-public')),
					 ('d', pg_temp.tokens('rev-public')),
					 ('conf', pg_temp.tokens('rev-conf', :conf_auth));
SELECT name, j->>'refresh_token' IS NOT NULL AS has_refresh, j->>'access_token' IS NOT NULL AS has_access
FROM t ORDER BY name;
CREATE FUNCTION pg_temp.rt(n text) RETURNS text
LANGUAGE sql AS $$ SELECT j->>'refresh_token' FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.at(n text) RETURNS text
LANGUAGE sql AS $$ SELECT j->>'access_token' FROM t WHERE name = n $$;
-- The claims of a JWT.
CREATE FUNCTION pg_temp.claims(jwt text) RETURNS json LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', 2), '-_', '+/'),
		(length(split_part(jwt, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::json
$$;

-- RFC 7009 --

-- 1. Unknown, garbage and missing tokens; bad client authentication.
SELECT label, (r).status, nullif((r).body, '')::json->>'error' AS error,
	   (r).body = '' AS empty_body, (r).www_authenticate
FROM (VALUES
	('unknown refresh', 'client_id=rev-public&token=mcp_rt_nothing', NULL),
	('garbage', 'client_id=rev-public&token=abc', NULL),
	('bad jwt', 'client_id=rev-public&token=eyJhbGciOiJub25lIn0.e30.', NULL),
	('unknown hint', 'client_id=rev-public&token=abc&token_type_hint=id_token', NULL),
	('missing', 'client_id=rev-public', NULL),
	('unknown client', 'client_id=rev-nobody&token=abc', NULL),
	('wrong secret', 'token=abc', 'Basic ' || encode(convert_to('rev-conf:nope', 'UTF8'), 'base64')),
	('no client', 'token=abc', NULL)
) AS v(label, body, auth), LATERAL pg_temp.rev(body, auth) r;

-- 2. Another client's refresh token: 200, nothing revoked.
SELECT (r).status FROM pg_temp.rev('client_id=rev-other&token=' || pg_temp.rt('a')) r;
SELECT revoked_at IS NULL AS alive FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(pg_temp.rt('a'));

-- 3. A refresh token revokes its grant: every refresh and access token.
-- The hint says access_token; it is only a hint.
SELECT (r).status, (r).body
FROM pg_temp.rev('client_id=rev-public&token_type_hint=access_token&token=' || pg_temp.rt('a')) r;
SELECT revoked_reason,
	   (SELECT bool_and(revoked_at IS NULL) FROM mcp_oauth.refresh_tokens x WHERE x.grant_id = g.grant_id) AS no_token_row_written
FROM mcp_oauth.grants g WHERE grant_id = pg_temp.gid(pg_temp.rt('a'));
SELECT (mcp_oauth.verify_access_token(pg_temp.at('a'), 'https://mcp.example.com/mcp')).active;
SELECT (r).status, (r).body::json->>'error' AS error
FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=rev-public&refresh_token=' || pg_temp.rt('a'), NULL) r;
SELECT detail FROM mcp_oauth.audit_log
WHERE event = 'token_revoked' AND grant_id = pg_temp.gid(pg_temp.rt('a'));
-- Revoking it again: 200, no second audit row.
SELECT (pg_temp.rev('client_id=rev-public&token=' || pg_temp.rt('a'))).status;
SELECT count(*) FROM mcp_oauth.audit_log
WHERE event = 'token_revoked' AND grant_id = pg_temp.gid(pg_temp.rt('a'));

-- 4. Another client's access token: 200, still active.
SELECT (pg_temp.rev('client_id=rev-other&token=' || pg_temp.at('b'))).status;
SELECT (mcp_oauth.verify_access_token(pg_temp.at('b'), 'https://mcp.example.com/mcp')).active;

-- 5. An access token is revoked alone; the refresh token still works.
SELECT (r).status, (r).body
FROM pg_temp.rev('client_id=rev-public&token_type_hint=refresh_token&token=' || pg_temp.at('b')) r;
SELECT (mcp_oauth.verify_access_token(pg_temp.at('b'), 'https://mcp.example.com/mcp')).active;
SELECT count(*) AS revoked_access, bool_and(jti::text = pg_temp.claims(pg_temp.at('b'))->>'jti') AS that_jti,
	   bool_and(expires_at = to_timestamp((pg_temp.claims(pg_temp.at('b'))->>'exp')::bigint)) AS until_it_expires
FROM mcp_oauth.revoked_access_tokens WHERE grant_id = pg_temp.gid(pg_temp.rt('b'));
SELECT revoked_at IS NULL AS grant_alive FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(pg_temp.rt('b'));
SELECT (r).status FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=rev-public&refresh_token=' || pg_temp.rt('b'), NULL) r;
SELECT detail FROM mcp_oauth.audit_log
WHERE event = 'token_revoked' AND grant_id = pg_temp.gid(pg_temp.rt('b'));

-- 6. A personal access token is not revoked here (its owner revokes it).
SELECT mcp_oauth.create_personal_access_token('dave', 'script', '{mcp:tools}') AS pat \gset
SELECT (pg_temp.rev('client_id=rev-public&token=' || :'pat')).status;
SELECT revoked_at IS NULL AS pat_alive FROM mcp_oauth.personal_access_tokens
WHERE token_hash = pg_temp.h(:'pat');

-- RFC 7662 --

-- 7. Only confidential clients may introspect.
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).www_authenticate
FROM (VALUES
	('public', 'client_id=rev-public&token=' || pg_temp.at('c'), NULL),
	('wrong secret', 'token=' || pg_temp.at('c'), 'Basic ' || encode(convert_to('rev-conf:nope', 'UTF8'), 'base64')),
	('missing token', '', :conf_auth)
) AS v(label, body, auth), LATERAL pg_temp.intro(body, auth) r;

-- 8. An active access token (any client's, to a resource server).
SELECT (r).status, (r).cache_control, b->>'active' AS active, b->>'scope' AS scope,
	   b->>'client_id' AS client_id, b->>'sub' AS sub, b->>'aud' AS aud, b->>'iss' AS iss,
	   b->>'token_type' AS token_type, (b->>'exp')::bigint - (b->>'iat')::bigint AS lifetime
FROM pg_temp.intro('token=' || pg_temp.at('c'), :conf_auth) r, LATERAL (SELECT (r).body::json b) s;
-- With client_secret_post too.
SELECT (r).body::json->>'active' AS active
FROM pg_temp.intro('client_id=rev-post&client_secret=post-secret&token=' || pg_temp.at('c')) r;

-- 9. The caller's own active refresh token.
SELECT b->>'active' AS active, b->>'scope' AS scope, b->>'client_id' AS client_id,
	   b->>'sub' AS sub, b->>'aud' AS aud, b->>'iss' AS iss, b->>'token_type' AS token_type,
	   (b->>'exp')::bigint > (b->>'iat')::bigint AS exp_after_iat
FROM pg_temp.intro('token=' || pg_temp.rt('conf'), :conf_auth) r, LATERAL (SELECT (r).body::json b) s;

-- 10. Inactive: unknown, garbage, revoked access token, revoked grant,
-- another client's refresh token, a rotated refresh token, a PAT.
SELECT (pg_temp.rev('client_id=rev-public&token=' || pg_temp.rt('d'))).status AS revoked_d;
SELECT label, (r).status, (r).body, (r).cache_control
FROM (VALUES
	('unknown', 'token=mcp_rt_nothing'),
	('garbage', 'token=abc'),
	('revoked access', 'token=' || pg_temp.at('b')),
	('revoked grant access', 'token=' || pg_temp.at('d')),
	('revoked grant refresh', 'token=' || pg_temp.rt('d')),
	('other client refresh', 'token=' || pg_temp.rt('c')),
	('pat', 'token=' || :'pat')
) AS v(label, body), LATERAL pg_temp.intro(body, :conf_auth) r;
INSERT INTO t VALUES ('conf2', (mcp_oauth.token('application/x-www-form-urlencoded', :conf_auth,
	'grant_type=refresh_token&refresh_token=' || pg_temp.rt('conf'), NULL)).body::json);
SELECT (r).body FROM pg_temp.intro('token=' || pg_temp.rt('conf'), :conf_auth) r;
SELECT (r).body::json->>'active' AS successor_active
FROM pg_temp.intro('token=' || pg_temp.rt('conf2'), :conf_auth) r;

-- 11. Every revocation and introspection response was no-store.
SELECT endpoint, count(*) AS responses,
	   count(*) FILTER (WHERE (r).cache_control IS DISTINCT FROM 'no-store') AS cacheable
FROM seen GROUP BY endpoint ORDER BY endpoint;
