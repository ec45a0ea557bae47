-- Token endpoint: authorization_code grant (RFC 6749 4.1.3, RFC 7636,
-- RFC 8707), client authentication (RFC 6749 2.3), errors (RFC 6749 5.2).
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/mcp';
SET mcp_oauth.access_token_lifetime = 900;
SET client_min_messages = warning;
-- A key that signs now.
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- Clients: public, confidential with Basic, confidential with POST, and one
-- public client that may not refresh.
INSERT INTO mcp_oauth.clients (client_id, client_secret_hash, token_endpoint_auth_method,
							   redirect_uris, grant_types)
VALUES ('tok-public', NULL, 'none', '{https://app.example.com/cb}',
		'{authorization_code,refresh_token}'),
	   ('tok-basic', sha256('basic secret:1'), 'client_secret_basic',
		'{https://app.example.com/cb}', '{authorization_code,refresh_token}'),
	   ('tok-post', sha256('post-secret'), 'client_secret_post',
		'{https://app.example.com/cb}', '{authorization_code,refresh_token}'),
	   ('tok-norefresh', NULL, 'none', '{https://app.example.com/cb}',
		'{authorization_code}');

-- S256 challenge of a verifier.
CREATE FUNCTION pg_temp.challenge(verifier text) RETURNS text
LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'),
						   '+/', '-_'), '=')
$$;

-- A grant and its code, as authorize_decision would make them.
CREATE FUNCTION pg_temp.new_code(client text, verifier text,
								 redirect text DEFAULT 'https://app.example.com/cb',
								 provided boolean DEFAULT true,
								 resource text DEFAULT 'https://mcp.example.com/mcp')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	gid bigint;
	code text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
BEGIN
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
	VALUES ('alice', client, '{mcp:tools,mcp:resources}', resource,
			now() + interval '90 days')
	RETURNING grant_id INTO gid;
	INSERT INTO mcp_oauth.authorization_codes (code_hash, grant_id, client_id,
		redirect_uri, redirect_uri_provided, code_challenge, expires_at)
	VALUES (sha256(convert_to(code, 'UTF8')), gid, client, redirect, provided,
			pg_temp.challenge(verifier), now() + interval '5 minutes');
	RETURN code;
END
$$;

-- The grant of a code.
CREATE FUNCTION pg_temp.code_grant(code text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT grant_id FROM mcp_oauth.authorization_codes
	WHERE code_hash = sha256(convert_to(code, 'UTF8'))
$$;

-- A token request with a form body; every response is kept in seen.
CREATE TEMP TABLE seen (r mcp_oauth.http_response);
CREATE FUNCTION pg_temp.tok(body text, auth text DEFAULT NULL,
							ctype text DEFAULT 'application/x-www-form-urlencoded')
RETURNS mcp_oauth.http_response LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response;
BEGIN
	r := mcp_oauth.token(ctype, auth, body, '192.0.2.10');
	INSERT INTO seen VALUES (r);
	RETURN r;
END
$$;

-- The claims of a JWT (unverified: for looking at what was signed).
CREATE FUNCTION pg_temp.claims(jwt text) RETURNS json
LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', 2), '-_', '+/'),
		(length(split_part(jwt, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::json
$$;

CREATE FUNCTION pg_temp.basic(id text, secret text) RETURNS text
LANGUAGE sql AS $$
	SELECT 'Basic ' || encode(convert_to(id || ':' || secret, 'UTF8'), 'base64')
$$;

CREATE TEMP TABLE res (name text PRIMARY KEY, r mcp_oauth.http_response, code text);

\set v1 'verifier-one-0123456789-0123456789-0123456789'
\set v2 'verifier-two-0123456789-0123456789-0123456789'

-- 1. Success, public client.
INSERT INTO res SELECT 'ok', NULL, pg_temp.new_code('tok-public', :'v1');
UPDATE res SET r = pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') WHERE name = 'ok';
SELECT (r).status, (r).content_type, (r).cache_control,
	   (r).body::json->>'token_type' AS token_type,
	   (r).body::json->>'expires_in' AS expires_in,
	   (r).body::json->>'scope' AS scope,
	   (r).body::json->>'refresh_token' ~ '^mcp_rt_[A-Za-z0-9_-]{43}$' AS refresh_shape,
	   (r).body::json->>'access_token' ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' AS jwt_shape
FROM res WHERE name = 'ok';
-- The claims (RFC 9068).
SELECT c->>'iss' AS iss, c->>'sub' AS sub, c->>'aud' AS aud, c->>'client_id' AS client_id,
	   c->>'scope' AS scope, (c->>'exp')::bigint - (c->>'iat')::bigint AS lifetime,
	   c->>'nbf' = c->>'iat' AS nbf_is_iat,
	   abs((c->>'iat')::bigint - extract(epoch FROM now())) < 60 AS iat_now,
	   c->>'jti' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS jti_uuid,
	   (c->>'grant_id')::bigint = pg_temp.code_grant(code) AS names_its_grant
FROM (SELECT pg_temp.claims((r).body::json->>'access_token') c, code FROM res WHERE name = 'ok') s;
-- Stored as hashes only; the refresh token belongs to the grant.
SELECT t.grant_id = pg_temp.code_grant(code) AS same_grant, t.scopes,
	   t.expires_at > now() + interval '29 days' AS idle_life
FROM res, mcp_oauth.refresh_tokens t
WHERE name = 'ok' AND t.token_hash = sha256(convert_to((r).body::json->>'refresh_token', 'UTF8'));
SELECT redeemed_at IS NOT NULL AS redeemed FROM mcp_oauth.authorization_codes, res
WHERE name = 'ok' AND code_hash = sha256(convert_to(code, 'UTF8'));
SELECT event, subject, client_id, detail FROM mcp_oauth.audit_log
WHERE event = 'token_issued' AND client_id = 'tok-public';
-- The access token verifies for its resource.
SELECT (v).active, (v).subject, (v).client_id, (v).kind
FROM (SELECT mcp_oauth.verify_access_token((r).body::json->>'access_token',
										   'https://mcp.example.com/mcp') v
	  FROM res WHERE name = 'ok') s;

-- 2. Code replay: invalid_grant, and the grant with everything it issued is revoked.
SELECT (r).status, (r).body::json->>'error' AS error, (r).cache_control
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r FROM res WHERE name = 'ok') s;
SELECT g.revoked_at IS NOT NULL AS grant_revoked, g.revoked_reason,
	   NOT (mcp_oauth.verify_access_token((r).body::json->>'access_token',
										  'https://mcp.example.com/mcp')).active AS access_refused,
	   (SELECT bool_and(revoked_at IS NULL) FROM mcp_oauth.refresh_tokens t WHERE t.grant_id = g.grant_id) AS no_token_row_written
FROM mcp_oauth.grants g, res WHERE name = 'ok' AND g.grant_id = pg_temp.code_grant(code);
SELECT count(*) AS replay_audited FROM mcp_oauth.audit_log, res
WHERE name = 'ok' AND event = 'code_replay_detected' AND grant_id = pg_temp.code_grant(code);
-- The first access token and refresh token no longer work.
SELECT (v).active FROM (SELECT mcp_oauth.verify_access_token((r).body::json->>'access_token',
	'https://mcp.example.com/mcp') v FROM res WHERE name = 'ok') s;
SELECT (r2).status, (r2).body::json->>'error' AS error
FROM (SELECT pg_temp.tok('grant_type=refresh_token&client_id=tok-public&refresh_token='
	|| ((r).body::json->>'refresh_token')) r2 FROM res WHERE name = 'ok') s;

-- 3. PKCE: missing and malformed verifier -> invalid_request; wrong -> invalid_grant.
INSERT INTO res SELECT 'pkce', NULL, pg_temp.new_code('tok-public', :'v1');
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).cache_control
FROM (VALUES
	('missing', 'grant_type=authorization_code&client_id=tok-public&redirect_uri=https://app.example.com/cb&code='),
	('short', 'grant_type=authorization_code&client_id=tok-public&redirect_uri=https://app.example.com/cb&code_verifier=tooshort&code='),
	('bad char', 'grant_type=authorization_code&client_id=tok-public&redirect_uri=https://app.example.com/cb&code_verifier=' || repeat('a', 42) || '%21&code='),
	('wrong', 'grant_type=authorization_code&client_id=tok-public&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v2' || '&code=')
) AS t(label, prefix), LATERAL (SELECT pg_temp.tok(prefix || code) r FROM res WHERE name = 'pkce') s;
-- None of these burned the code: the right verifier still works.
SELECT (r).status FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r FROM res WHERE name = 'pkce') s;

-- 4. Expired code.
INSERT INTO res SELECT 'expired', NULL, pg_temp.new_code('tok-public', :'v1');
UPDATE mcp_oauth.authorization_codes SET expires_at = now() - interval '1 second'
WHERE code_hash = (SELECT sha256(convert_to(code, 'UTF8')) FROM res WHERE name = 'expired');
SELECT (r).status, (r).body::json->>'error' AS error
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r FROM res WHERE name = 'expired') s;

-- 5. Another client's code: invalid_grant, and the owner's grant is not revoked.
INSERT INTO res SELECT 'other', NULL, pg_temp.new_code('tok-norefresh', :'v1');
SELECT (r).status, (r).body::json->>'error' AS error
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r FROM res WHERE name = 'other') s;
SELECT revoked_at IS NULL AS not_revoked FROM mcp_oauth.grants, res
WHERE name = 'other' AND grant_id = pg_temp.code_grant(code);
-- Its own client redeems it; it may not refresh, so no refresh token.
SELECT (r).status, (r).body::jsonb ? 'refresh_token' AS has_refresh
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-norefresh'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r FROM res WHERE name = 'other') s;

-- 6. redirect_uri: required and byte-exact when sent at authorize.
INSERT INTO res SELECT 'redir', NULL, pg_temp.new_code('tok-public', :'v1');
SELECT label, (r).status, (r).body::json->>'error' AS error
FROM (VALUES
	('missing', ''),
	('slash', '&redirect_uri=https://app.example.com/cb/'),
	('case', '&redirect_uri=https://APP.example.com/cb')
) AS t(label, extra), LATERAL (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || extra || '&code_verifier=' || :'v1') r FROM res WHERE name = 'redir') s;
-- Not sent at authorize: may be omitted.
INSERT INTO res SELECT 'noredir', NULL, pg_temp.new_code('tok-public', :'v1', provided => false);
SELECT (r).status FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&code_verifier=' || :'v1') r FROM res WHERE name = 'noredir') s;

-- 7. resource (RFC 8707): another configured resource or an unknown one ->
-- invalid_target; the same one in another spelling is accepted.
INSERT INTO res SELECT 'res', NULL, pg_temp.new_code('tok-public', :'v1');
SELECT label, (r).status, (r).body::json->>'error' AS error
FROM (VALUES
	('other', 'https://other.example.com/mcp'),
	('unknown', 'https://evil.example.com/mcp')
) AS t(label, resource), LATERAL (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v1'
	|| '&resource=' || resource) r FROM res WHERE name = 'res') s;
SELECT (r).status, pg_temp.claims((r).body::json->>'access_token')->>'aud' AS aud
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || code || '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v1'
	|| '&resource=HTTPS://MCP.EXAMPLE.COM/mcp/') r FROM res WHERE name = 'res') s;

-- 8. grant_type.
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).cache_control
FROM (VALUES
	('missing', 'client_id=tok-public&code=x'),
	('unknown', 'grant_type=password&client_id=tok-public&username=a&password=b'),
	('client_credentials', 'grant_type=client_credentials&client_id=tok-public'),
	('not allowed', 'grant_type=refresh_token&client_id=tok-norefresh&refresh_token=mcp_rt_x'),
	('unknown code', 'grant_type=authorization_code&client_id=tok-public&code=nope&code_verifier=' || :'v1'),
	('no code', 'grant_type=authorization_code&client_id=tok-public&code_verifier=' || :'v1')
) AS t(label, body), LATERAL pg_temp.tok(body) r;

-- 9. Client authentication.
INSERT INTO res SELECT 'basic', NULL, pg_temp.new_code('tok-basic', :'v1');
-- Basic with the right secret (urlencoded: ' ' is '+', ':' is %3A).
SELECT (r).status, (r).body::jsonb ? 'access_token' AS has_token,
	   (r).body::jsonb ? 'refresh_token' AS has_refresh
FROM (SELECT pg_temp.tok('grant_type=authorization_code&code=' || code
	|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v1',
	pg_temp.basic('tok-basic', 'basic+secret%3A1')) r FROM res WHERE name = 'basic') s;
SELECT last_used_at IS NOT NULL AS used FROM mcp_oauth.clients WHERE client_id = 'tok-basic';
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).www_authenticate, (r).cache_control
FROM (VALUES
	('wrong secret', 'grant_type=authorization_code&code=x', pg_temp.basic('tok-basic', 'wrong')),
	('unknown client', 'grant_type=authorization_code&code=x', pg_temp.basic('tok-nobody', 'x')),
	('not base64', 'grant_type=authorization_code&code=x', 'Basic !!!'),
	('no colon', 'grant_type=authorization_code&code=x', 'Basic ' || encode('tok-basic', 'base64')),
	('secret missing', 'grant_type=authorization_code&code=x&client_id=tok-basic', NULL),
	('post for basic client', 'grant_type=authorization_code&code=x&client_id=tok-basic&client_secret=basic+secret%3A1', NULL),
	('basic for public client', 'grant_type=authorization_code&code=x', pg_temp.basic('tok-public', 'x')),
	('bearer scheme', 'grant_type=authorization_code&code=x', 'Bearer abc'),
	('no client', 'grant_type=authorization_code&code=x', NULL),
	('two methods', 'grant_type=authorization_code&code=x&client_secret=post-secret', pg_temp.basic('tok-basic', 'basic+secret%3A1')),
	('basic id mismatch', 'grant_type=authorization_code&code=x&client_id=tok-post', pg_temp.basic('tok-basic', 'basic+secret%3A1'))
) AS t(label, body, auth), LATERAL pg_temp.tok(body, auth) r;
-- Failures are audited, never with the secret.
SELECT detail->>'reason' AS reason, detail->>'method' AS method, client_id
FROM mcp_oauth.audit_log WHERE event = 'client_auth_failed' AND client_id IN ('tok-basic', 'tok-nobody', 'tok-public')
ORDER BY audit_id;
SELECT count(*) AS secret_in_audit FROM mcp_oauth.audit_log
WHERE detail::text LIKE '%secret:1%' OR detail::text LIKE '%secret\%3A1%'
   OR detail::text LIKE '%post-secret%' OR detail::text LIKE '%nope%';
-- client_secret_post.
INSERT INTO res SELECT 'post', NULL, pg_temp.new_code('tok-post', :'v1');
SELECT (r).status, (r).body::jsonb ? 'access_token' AS has_token
FROM (SELECT pg_temp.tok('grant_type=authorization_code&client_id=tok-post&client_secret=post-secret&code='
	|| code || '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v1') r
	FROM res WHERE name = 'post') s;
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).www_authenticate
FROM (VALUES
	('post wrong secret', 'grant_type=authorization_code&client_id=tok-post&client_secret=nope&code=x', NULL),
	('basic for post client', 'grant_type=authorization_code&code=x', pg_temp.basic('tok-post', 'post-secret'))
) AS t(label, body, auth), LATERAL pg_temp.tok(body, auth) r;

-- 10. Request format: repeated parameter, wrong content type, JSON body.
SELECT label, (r).status, (r).body::json->>'error' AS error, (r).cache_control
FROM (VALUES
	('repeated', 'grant_type=authorization_code&grant_type=authorization_code&client_id=tok-public', 'application/x-www-form-urlencoded'),
	('repeated client_id', 'grant_type=authorization_code&client_id=tok-public&client_id=tok-public', 'application/x-www-form-urlencoded'),
	('json', '{"grant_type":"authorization_code"}', 'application/json'),
	('no content type', 'grant_type=authorization_code&client_id=tok-public', NULL)
) AS t(label, body, ctype), LATERAL pg_temp.tok(body, NULL, ctype) r;

-- 11. Every token endpoint response above was no-store.
SELECT count(*) AS responses,
	   count(*) FILTER (WHERE (r).cache_control IS DISTINCT FROM 'no-store') AS cacheable
FROM seen;

-- 12. The full flow: authorize -> authorize_decision -> token.
SELECT (a).status AS authorize_status, (a).body::json->>'request_id' AS request_id
FROM mcp_oauth.authorize('response_type=code&client_id=tok-public'
	|| '&redirect_uri=https://app.example.com/cb&state=st1&code_challenge_method=S256'
	|| '&scope=mcp:tools&resource=https://mcp.example.com/mcp'
	|| '&code_challenge=' || pg_temp.challenge(:'v2'), '192.0.2.10') a \gset flow_
SELECT (d).status AS decision_status,
	   substring((d).location FROM '[?&]code=([^&]+)') AS code
FROM mcp_oauth.authorize_decision(:'flow_request_id', 'bob', true, NULL, '192.0.2.10') d \gset flow_
SELECT :flow_authorize_status AS authorize_status, :flow_decision_status AS decision_status,
	   length(:'flow_code') > 20 AS has_code;
SELECT (r).status, (r).body::json->>'scope' AS scope,
	   pg_temp.claims((r).body::json->>'access_token')->>'sub' AS sub,
	   pg_temp.claims((r).body::json->>'access_token')->>'aud' AS aud,
	   (r).body::json->>'refresh_token' IS NOT NULL AS has_refresh
FROM pg_temp.tok('grant_type=authorization_code&client_id=tok-public&code=' || :'flow_code'
	|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v2'
	|| '&resource=https://mcp.example.com/mcp') r;
-- And a second time: replay.
SELECT (r).status, (r).body::json->>'error' AS error
FROM pg_temp.tok('grant_type=authorization_code&client_id=tok-public&code=' || :'flow_code'
	|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v2') r;

-- The per-backend copy of client rows (clients.c): an update of last_used_at
-- alone (the hourly touch) empties no copy, and the backend that touched
-- remembers it; any other change empties the copies.
SELECT (pg_temp.tok('grant_type=refresh_token&client_id=tok-public&refresh_token=nope')).status;
UPDATE mcp_oauth.clients SET last_used_at = now() - interval '2 hours' WHERE client_id = 'tok-public';
SELECT (pg_temp.tok('grant_type=refresh_token&client_id=tok-public&refresh_token=nope')).status;
SELECT last_used_at < now() - interval '1 hour' AS not_touched_again
FROM mcp_oauth.clients WHERE client_id = 'tok-public';
UPDATE mcp_oauth.clients SET client_name = 'Token Public, renamed' WHERE client_id = 'tok-public';
SELECT (pg_temp.tok('grant_type=refresh_token&client_id=tok-public&refresh_token=nope')).status;
SELECT last_used_at > now() - interval '1 minute' AS touched_after_reload
FROM mcp_oauth.clients WHERE client_id = 'tok-public';

-- 13. The code is marked redeemed by an UPDATE: a trigger on UPDATE OF
-- redeemed_at fires, and so does a statement trigger; a stored generated
-- column that depends on it is computed again, and another column's
-- trigger does not fire.
CREATE TEMP TABLE code_fired (tg text);
CREATE FUNCTION pg_temp.code_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pg_temp.code_fired VALUES (TG_NAME);
	RETURN NEW;
END
$$;
CREATE TRIGGER regress_redeemed AFTER UPDATE OF redeemed_at ON mcp_oauth.authorization_codes
	FOR EACH ROW EXECUTE FUNCTION pg_temp.code_row();
CREATE TRIGGER regress_expiry AFTER UPDATE OF expires_at ON mcp_oauth.authorization_codes
	FOR EACH ROW EXECUTE FUNCTION pg_temp.code_row();
CREATE TRIGGER regress_statement AFTER UPDATE ON mcp_oauth.authorization_codes
	FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.code_row();
ALTER TABLE mcp_oauth.authorization_codes
	ADD COLUMN regress_used boolean GENERATED ALWAYS AS (redeemed_at IS NOT NULL) STORED;
SELECT pg_temp.new_code('tok-public', :'v1') AS c13 \gset
SELECT (r).status FROM pg_temp.tok('grant_type=authorization_code&client_id=tok-public'
	|| '&code=' || :'c13' || '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=' || :'v1') r;
SELECT tg FROM code_fired ORDER BY tg;
SELECT redeemed_at IS NOT NULL AS redeemed, regress_used FROM mcp_oauth.authorization_codes
 WHERE code_hash = sha256(convert_to(:'c13', 'UTF8'));
DROP TRIGGER regress_redeemed ON mcp_oauth.authorization_codes;
DROP TRIGGER regress_expiry ON mcp_oauth.authorization_codes;
DROP TRIGGER regress_statement ON mcp_oauth.authorization_codes;
ALTER TABLE mcp_oauth.authorization_codes DROP COLUMN regress_used;

-- 14. A read-only transaction cannot redeem a code (nor lock or write
-- anything for it): its first statement, the grant's SELECT ... FOR
-- UPDATE, is refused (the context, that statement's text, is not shown).
SELECT pg_temp.new_code('tok-public', :'v1') AS c14 \gset
BEGIN READ ONLY;
\set SHOW_CONTEXT never
SELECT (r).status FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=authorization_code&client_id=tok-public&code=' || :'c14'
	|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || :'v1', NULL) r;
\set SHOW_CONTEXT errors
ROLLBACK;
SELECT redeemed_at IS NULL AS still_unredeemed FROM mcp_oauth.authorization_codes
 WHERE code_hash = sha256(convert_to(:'c14', 'UTF8'));
