-- verify_access_token(): JWT access tokens (RFC 9068) and personal access
-- tokens, the RFC 6750 / RFC 9728 challenge, and the verified-token cache.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/';
SET mcp_oauth.access_token_lifetime = 900;
SET mcp_oauth.clock_leeway = 60;
SET mcp_oauth.token_cache_size = 100;
SET client_min_messages = warning;

SELECT client_id FROM mcp_oauth.create_client('Verify App', ARRAY['https://app.example.com/cb'],
											  client_id => 'vf-app');

-- S256 challenge of a verifier.
CREATE FUNCTION pg_temp.challenge(verifier text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '+/', '-_'), '=')
$$;

-- The whole flow: authorize -> consent -> token; the access token.
CREATE FUNCTION pg_temp.access_token(subject text, scope text,
									 resource text DEFAULT 'https://mcp.example.com/mcp')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	verifier text := 'verify-verifier-0123456789-0123456789-0123456789';
	r mcp_oauth.http_response;
	code text;
BEGIN
	r := mcp_oauth.authorize('response_type=code&client_id=vf-app'
		|| '&redirect_uri=https://app.example.com/cb&state=s1'
		|| '&code_challenge=' || pg_temp.challenge(verifier) || '&code_challenge_method=S256'
		|| '&scope=' || replace(scope, ' ', '+') || '&resource=' || resource, '192.0.2.1');
	r := mcp_oauth.authorize_decision(r.body::json->>'request_id', subject, true, NULL, '192.0.2.1');
	code := (regexp_match(r.location, '[?&]code=([^&]*)'))[1];
	r := mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=authorization_code&client_id=vf-app&code=' || code
		|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || verifier
		|| '&resource=' || resource, '192.0.2.1');
	RETURN r.body::json->>'access_token';
END
$$;

-- base64url of text, and the parts of a JWT.
CREATE FUNCTION pg_temp.b64(s text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(convert_to(s, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;
CREATE FUNCTION pg_temp.part(jwt text, n int) RETURNS json LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', n), '-_', '+/'),
		(length(split_part(jwt, '.', n)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::json
$$;
-- The grant a JWT names.
CREATE FUNCTION pg_temp.gid(jwt text) RETURNS bigint LANGUAGE sql AS $$
	SELECT (pg_temp.part(jwt, 2)->>'grant_id')::bigint
$$;

-- The tests' signing hook (tests/signing, installed by make test only):
-- sign chosen claims with the active key, to make tokens the token
-- endpoint never would (expired, future, wrong issuer or audience).
CREATE FUNCTION pg_temp.sign(claims text) RETURNS text
AS '$libdir/mcp_oauth_test', 'mcp_oauth_sign_claims_for_test' LANGUAGE C STRICT;
-- Claims like those of token t, with some replaced.
CREATE FUNCTION pg_temp.forge(t text, changes jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.sign((pg_temp.part(t, 2)::jsonb || changes)::text)
$$;

-- One line per verification.
CREATE FUNCTION pg_temp.v(token text, resource text DEFAULT 'https://mcp.example.com/mcp',
						  required text[] DEFAULT '{}') RETURNS text LANGUAGE sql AS $$
	SELECT format('active=%s error=%s (%s)', (v).active, coalesce((v).error, '-'),
				  coalesce((v).error_description, '-'))
	FROM (SELECT mcp_oauth.verify_access_token(token, resource, required) v) s
$$;

SELECT pg_temp.access_token('vf-alice', 'mcp:tools mcp:resources') AS t1 \gset
SELECT pg_temp.access_token('vf-bob', 'mcp:tools') AS t2 \gset
SELECT pg_temp.access_token('vf-carol', 'mcp:tools', 'https://other.example.com') AS t3 \gset
SELECT pg_temp.access_token('vf-dave', 'mcp:tools') AS t4 \gset
SELECT pg_temp.access_token('vf-erin', 'mcp:tools') AS t5 \gset
SELECT pg_temp.part(:'t1', 1)->>'typ' AS typ, pg_temp.part(:'t1', 2)->>'sub' AS sub;

-- 1. A valid token: who, which client, which scopes, what kind.
SELECT (v).active, (v).subject, (v).client_id, (v).scopes, (v).kind,
	   (v).expires_at = to_timestamp((pg_temp.part(:'t1', 2)->>'exp')::bigint) AS expires_at_is_exp,
	   (v).error, (v).error_description, (v).www_authenticate
FROM (SELECT mcp_oauth.verify_access_token(:'t1', 'https://mcp.example.com/mcp') v) s;
-- the same resource however spelled; NULL means the first; scopes held
SELECT pg_temp.v(:'t1', r) AS spelled, r
FROM unnest(ARRAY['HTTPS://MCP.EXAMPLE.COM/mcp', 'https://mcp.example.com:443/mcp/', NULL]) r;
SELECT pg_temp.v(:'t1', required => '{mcp:tools}') AS one_scope,
	   pg_temp.v(:'t1', required => '{mcp:resources,mcp:tools}') AS both_scopes,
	   pg_temp.v(:'t1', required => NULL) AS null_scopes;
-- a token for the other resource
SELECT (v).active, (v).subject, (v).kind FROM
	(SELECT mcp_oauth.verify_access_token(:'t3', 'https://other.example.com/') v) s;

-- 2. Wrong resource: invalid_token, with the challenge of this resource.
SELECT pg_temp.v(:'t1', 'https://other.example.com/') AS wrong_resource;
SELECT pg_temp.v(:'t3', 'https://mcp.example.com/mcp') AS wrong_resource;
SELECT (mcp_oauth.verify_access_token(:'t1', 'https://other.example.com/')).www_authenticate;
-- a resource that is not configured is a caller error
SELECT mcp_oauth.verify_access_token(:'t1', 'https://evil.example.com/mcp');

-- 3. insufficient_scope: inactive, identity kept, every required scope in the challenge.
SELECT (v).active, (v).subject, (v).scopes, (v).error, (v).error_description, (v).www_authenticate
FROM (SELECT mcp_oauth.verify_access_token(:'t2', 'https://mcp.example.com/mcp',
										   '{mcp:tools,mcp:prompts}') v) s;
SELECT mcp_oauth.verify_access_token(:'t2', NULL, '{"bad scope"}');
SELECT mcp_oauth.verify_access_token(:'t2', NULL, '{"bad\"scope"}');
-- (the same bad array again: still refused, nothing of it was remembered)
SELECT mcp_oauth.verify_access_token(:'t2', NULL, '{"bad scope"}');
-- a cached token asked with changing scopes: each answer as when first made
-- (the active answer is formed once and then copied from the cache)
SELECT n, need, (v).active, (v).error, (v).scopes, (v).kind, (v).expires_at IS NOT NULL AS has_expiry
FROM (VALUES (1, '{mcp:tools}'), (2, '{mcp:tools,mcp:prompts}'), (3, '{mcp:tools}'),
			 (4, '{}'), (5, '{mcp:tools}')) AS c(n, need),
	 LATERAL (SELECT mcp_oauth.verify_access_token(:'t2', NULL, c.need::text[]) v) s
ORDER BY n;
SELECT count(DISTINCT mcp_oauth.verify_access_token(:'t2', NULL, '{mcp:tools}')) AS one_answer
FROM generate_series(1, 3);

-- 4. No token: no error code (RFC 6750 section 3.1), the PRM URL, and the
-- scopes needed when the caller says.
SELECT (v).active, (v).error, (v).subject, (v).www_authenticate
FROM (SELECT mcp_oauth.verify_access_token(t, 'https://mcp.example.com/mcp') v
	  FROM unnest(ARRAY[NULL, '']) t) s;
SELECT (mcp_oauth.verify_access_token(NULL, 'https://mcp.example.com/mcp', '{mcp:tools}')).www_authenticate;
SELECT (mcp_oauth.verify_access_token(NULL, 'https://other.example.com')).www_authenticate;

-- 5. Tampered and malformed tokens.
SELECT 'header' AS what, pg_temp.v(pg_temp.b64(replace(pg_temp.part(:'t1', 1)::text, 'at+jwt', 'AT+JWT'))
	|| '.' || split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'payload', pg_temp.v(split_part(:'t1', '.', 1) || '.'
	|| pg_temp.b64(replace(pg_temp.part(:'t1', 2)::text, 'vf-alice', 'vf-admin'))
	|| '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'signature', pg_temp.v(split_part(:'t1', '.', 1) || '.' || split_part(:'t1', '.', 2) || '.'
	|| overlay(split_part(:'t1', '.', 3) PLACING
			   CASE WHEN substr(split_part(:'t1', '.', 3), 20, 1) = 'A' THEN 'B' ELSE 'A' END FROM 20 FOR 1))
UNION ALL
SELECT 'signature bits', pg_temp.v(split_part(:'t1', '.', 1) || '.' || split_part(:'t1', '.', 2) || '.'
	|| translate(split_part(:'t1', '.', 3), 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
				 'BCDEFGHIJKLMNOPQRSTUVWXYZAbcdefghijklmnopqrstuvwxyza'))
UNION ALL
SELECT 'signature of t2', pg_temp.v(split_part(:'t1', '.', 1) || '.' || split_part(:'t1', '.', 2)
	|| '.' || split_part(:'t2', '.', 3))
UNION ALL
SELECT 'alg none', pg_temp.v(pg_temp.b64('{"alg":"none","typ":"at+jwt"}') || '.'
	|| split_part(:'t1', '.', 2) || '.')
UNION ALL
SELECT 'alg none, signed', pg_temp.v(pg_temp.b64('{"alg":"none","typ":"at+jwt"}') || '.'
	|| split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'alg HS256', pg_temp.v(pg_temp.b64('{"alg":"HS256","typ":"at+jwt","kid":"'
	|| (pg_temp.part(:'t1', 1)->>'kid') || '"}') || '.' || split_part(:'t1', '.', 2) || '.'
	|| split_part(:'t1', '.', 3))
UNION ALL
SELECT 'alg EdDSA on an ES256 key', pg_temp.v(pg_temp.b64('{"alg":"EdDSA","typ":"at+jwt","kid":"'
	|| (pg_temp.part(:'t1', 1)->>'kid') || '"}') || '.' || split_part(:'t1', '.', 2) || '.'
	|| split_part(:'t1', '.', 3))
UNION ALL
SELECT 'unknown kid', pg_temp.v(pg_temp.b64('{"alg":"ES256","typ":"at+jwt","kid":"nope"}') || '.'
	|| split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'no kid', pg_temp.v(pg_temp.b64('{"alg":"ES256","typ":"at+jwt"}') || '.'
	|| split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'typ JWT', pg_temp.v(pg_temp.b64('{"alg":"ES256","typ":"JWT","kid":"x"}') || '.'
	|| split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'no typ', pg_temp.v(pg_temp.b64('{"alg":"ES256","kid":"x"}') || '.'
	|| split_part(:'t1', '.', 2) || '.' || split_part(:'t1', '.', 3))
UNION ALL
SELECT 'two parts', pg_temp.v(split_part(:'t1', '.', 1) || '.' || split_part(:'t1', '.', 2))
UNION ALL
SELECT 'four parts', pg_temp.v(:'t1' || '.AAAA')
UNION ALL
SELECT 'padded', pg_temp.v(:'t1' || '=')
UNION ALL
SELECT 'garbage', pg_temp.v('garbage')
UNION ALL
SELECT 'dots', pg_temp.v('..')
UNION ALL
SELECT 'long', pg_temp.v(repeat('A', 9000))
UNION ALL
SELECT 'bad PAT checksum', pg_temp.v('mcp_pat_' || repeat('a', 49))
UNION ALL
SELECT 'refresh token', pg_temp.v('mcp_rt_' || repeat('a', 43));

-- 6. Claims, through tokens signed with our key (the test hook).
SELECT pg_temp.v(pg_temp.forge(:'t4', '{}')) AS same_claims;
SELECT 'expired' AS what, pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'exp', extract(epoch FROM now())::bigint - 100, 'iat', extract(epoch FROM now())::bigint - 1000,
	'nbf', extract(epoch FROM now())::bigint - 1000)))
UNION ALL
SELECT 'expired 30 s ago (no leeway on exp)', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'exp', extract(epoch FROM now())::bigint - 30)))
UNION ALL
SELECT 'not yet valid', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'nbf', extract(epoch FROM now())::bigint + 200)))
UNION ALL
SELECT 'nbf within leeway', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'nbf', extract(epoch FROM now())::bigint + 30)))
UNION ALL
SELECT 'issued in the future', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'iat', extract(epoch FROM now())::bigint + 200)))
UNION ALL
SELECT 'no exp', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'exp')::text))
UNION ALL
SELECT 'no iat', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'iat')::text))
UNION ALL
SELECT 'no nbf', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'nbf')::text))
UNION ALL
SELECT 'no sub', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'sub')::text))
UNION ALL
SELECT 'no scope', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'scope')::text), required => '{mcp:tools}')
UNION ALL
SELECT 'exp as string', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'exp', (extract(epoch FROM now())::bigint + 100)::text)))
UNION ALL
SELECT 'issuer with a slash', pg_temp.v(pg_temp.forge(:'t4', '{"iss":"https://as.example.com/"}'))
UNION ALL
SELECT 'issuer in capitals', pg_temp.v(pg_temp.forge(:'t4', '{"iss":"https://AS.example.com"}'))
UNION ALL
SELECT 'no issuer', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'iss')::text))
UNION ALL
SELECT 'aud array', pg_temp.v(pg_temp.forge(:'t4', '{"aud":["https://x.example.com","https://mcp.example.com/mcp"]}'))
UNION ALL
SELECT 'aud array without us', pg_temp.v(pg_temp.forge(:'t4', '{"aud":["https://x.example.com"]}'))
UNION ALL
SELECT 'aud other', pg_temp.v(pg_temp.forge(:'t4', '{"aud":"https://other.example.com/"}'))
UNION ALL
SELECT 'no aud', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'aud')::text))
UNION ALL
SELECT 'unknown grant', pg_temp.v(pg_temp.forge(:'t4', '{"grant_id":999999999}'))
UNION ALL
SELECT 'no grant_id', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'grant_id')::text))
UNION ALL
SELECT 'grant_id a string', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object('grant_id', pg_temp.gid(:'t4')::text)))
UNION ALL
SELECT 'grant_id fractional', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object('grant_id', pg_temp.gid(:'t4') + 0.5)))
UNION ALL
SELECT 'another grant', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object('grant_id', pg_temp.gid(:'t2'))))
UNION ALL
SELECT 'issued the second before its grant', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object('iat',
	(SELECT floor(extract(epoch FROM created_at))::bigint - 1 FROM mcp_oauth.grants
	 WHERE grant_id = pg_temp.gid(:'t4')))))
UNION ALL
SELECT 'issued in its grant''s second', pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object('iat',
	(SELECT floor(extract(epoch FROM created_at))::bigint FROM mcp_oauth.grants
	 WHERE grant_id = pg_temp.gid(:'t4')))))
UNION ALL
SELECT 'malformed jti', pg_temp.v(pg_temp.forge(:'t4', '{"jti":"not-a-uuid"}'))
UNION ALL
SELECT 'no jti', pg_temp.v(pg_temp.sign((pg_temp.part(:'t4', 2)::jsonb - 'jti')::text))
UNION ALL
SELECT 'another subject', pg_temp.v(pg_temp.forge(:'t4', '{"sub":"vf-admin"}'))
UNION ALL
SELECT 'another client', pg_temp.v(pg_temp.forge(:'t4', '{"client_id":"mcp-agent"}'))
UNION ALL
SELECT 'more scope', pg_temp.v(pg_temp.forge(:'t4', '{"scope":"mcp:tools mcp:prompts"}'), required => '{mcp:prompts}')
UNION ALL
SELECT 'malformed scope', pg_temp.v(pg_temp.forge(:'t4', '{"scope":"mcp:tools a\\\\b"}'));
-- leeway is a setting (for nbf and iat; never for exp)
SET mcp_oauth.clock_leeway = 300;
SELECT pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'nbf', extract(epoch FROM now())::bigint + 100))) AS nbf_100s_ahead_leeway_300;
SELECT pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'exp', extract(epoch FROM now())::bigint - 100))) AS expired_100s_leeway_300;
SET mcp_oauth.clock_leeway = 0;
SELECT pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'nbf', extract(epoch FROM now())::bigint + 1))) AS nbf_1s_ahead_leeway_0;
SELECT pg_temp.v(pg_temp.forge(:'t4', jsonb_build_object(
	'exp', extract(epoch FROM now())::bigint - 1))) AS expired_1s_leeway_0;
SET mcp_oauth.clock_leeway = 60;
-- a token from another issuer setting is refused even if cached
SELECT pg_temp.v(:'t4') AS before;
SET mcp_oauth.issuer = 'https://as.example.com/';
SELECT pg_temp.v(:'t4') AS other_issuer;
SET mcp_oauth.issuer = 'https://as.example.com';

-- 7. A revoked grant stops its tokens at once, the cached ones included.
SELECT pg_temp.v(:'t5') AS before_revoke;
SELECT pg_temp.v(:'t5') AS cached;
-- (a change the cache cannot see: it keeps answering from memory)
UPDATE mcp_oauth.grants SET revoked_at = now() WHERE grant_id = pg_temp.gid(:'t5');
SELECT pg_temp.v(:'t5') AS stale_from_cache;
-- (neither cache: whether the grant cache may answer depends on whether
-- any access token is revoked by itself, which earlier test files leave)
SET mcp_oauth.token_cache_size = 0;
SET mcp_oauth.grant_cache_size = 0;
SELECT pg_temp.v(:'t5') AS uncached;
SET mcp_oauth.token_cache_size = 100;
RESET mcp_oauth.grant_cache_size;
UPDATE mcp_oauth.grants SET revoked_at = NULL WHERE grant_id = pg_temp.gid(:'t5');
SELECT pg_temp.v(:'t5') AS cached_again;
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'t5')) AS revoked;
SELECT pg_temp.v(:'t5') AS after_revoke;
-- revoking one grant in a transaction, verified again inside it
BEGIN;
SELECT pg_temp.v(:'t2') AS t2_before;
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'t2')) AS revoked;
SELECT pg_temp.v(:'t2') AS t2_same_transaction;
COMMIT;
-- a single revoked access token
SELECT pg_temp.v(:'t3', 'https://other.example.com/') AS t3_before;
INSERT INTO mcp_oauth.revoked_access_tokens (jti, grant_id, expires_at)
VALUES ((pg_temp.part(:'t3', 2)->>'jti')::uuid, pg_temp.gid(:'t3'), now() + interval '15 minutes');
SELECT pg_temp.v(:'t3', 'https://other.example.com/') AS t3_stale_from_cache;
SET mcp_oauth.token_cache_size = 0;
SET mcp_oauth.grant_cache_size = 0;
SELECT pg_temp.v(:'t3', 'https://other.example.com/') AS t3_revoked;
SET mcp_oauth.token_cache_size = 100;
RESET mcp_oauth.grant_cache_size;

-- 7b. The grant cache: a JWT never seen before, of a grant seen before and
-- found unrevoked, is verified from memory (so a change made behind the
-- functions' back is not seen), unless some access token is revoked by
-- itself; every revocation made through the functions is seen at once.
SET mcp_oauth.token_cache_size = 0;
DELETE FROM mcp_oauth.revoked_access_tokens;
-- (a revocation, for its invalidation: the DELETE alone is not seen)
SELECT mcp_oauth.revoke_grant(pg_temp.gid(pg_temp.access_token('vf-gina', 'mcp:tools'))) AS gina_revoked;
SELECT pg_temp.access_token('vf-frank', 'mcp:tools') AS t6 \gset
SELECT pg_temp.forge(:'t6', jsonb_build_object('jti', gen_random_uuid())) AS t6b \gset
SELECT pg_temp.v(:'t6') AS t6_grant_read;
UPDATE mcp_oauth.grants SET revoked_at = now() WHERE grant_id = pg_temp.gid(:'t6');
SELECT pg_temp.v(:'t6b') AS sibling_from_grant_cache;
SET mcp_oauth.grant_cache_size = 0;
SELECT pg_temp.v(:'t6b') AS sibling_without_grant_cache;
RESET mcp_oauth.grant_cache_size;
UPDATE mcp_oauth.grants SET revoked_at = NULL WHERE grant_id = pg_temp.gid(:'t6');
-- one access token revoked through the revocation endpoint: refused, its
-- sibling not
SELECT (mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
						 'client_id=vf-app&token=' || :'t6', NULL)).status AS revoke_status;
SELECT pg_temp.v(:'t6') AS revoked_alone, pg_temp.v(:'t6b') AS sibling;
-- the grant revoked through the functions: the cached grant is forgotten
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'t6')) AS revoked;
SELECT pg_temp.v(:'t6b') AS sibling_after_revoke_grant;
SET mcp_oauth.token_cache_size = 100;

-- 8. Personal access tokens.
SELECT mcp_oauth.create_personal_access_token('vf-pat-user', 'script', '{mcp:tools}') AS p1 \gset
SELECT mcp_oauth.create_personal_access_token('vf-pat-user', 'other', '{mcp:tools,mcp:prompts}',
	resource => 'https://other.example.com/') AS p2 \gset
SELECT mcp_oauth.create_personal_access_token('vf-pat-user', 'expiring', '{mcp:tools}',
	expires_at => now() + interval '1 day') AS p3 \gset
SELECT mcp_oauth.create_personal_access_token('vf-pat-user', 'revoked', '{mcp:tools}') AS p4 \gset
SELECT (v).active, (v).subject, (v).client_id, (v).scopes, (v).kind, (v).expires_at, (v).error
FROM (SELECT mcp_oauth.verify_access_token(:'p1', 'https://mcp.example.com/mcp') v) s;
SELECT last_used_at > now() - interval '1 minute' AS used_now FROM mcp_oauth.personal_access_tokens WHERE name = 'script'
	AND subject = 'vf-pat-user';
SELECT pg_temp.v(:'p1', required => '{mcp:prompts}') AS pat_insufficient,
	   pg_temp.v(:'p1', 'https://other.example.com/') AS pat_any_resource,
	   pg_temp.v(:'p2') AS pat_wrong_resource,
	   pg_temp.v(:'p2', 'https://OTHER.example.com', '{mcp:prompts}') AS pat_its_resource;
SELECT pg_temp.v(:'p3') AS pat_not_expired,
	   (mcp_oauth.verify_access_token(:'p3', NULL)).expires_at > now() AS expiry_shown;
UPDATE mcp_oauth.personal_access_tokens SET expires_at = now() - interval '1 second'
WHERE name = 'expiring' AND subject = 'vf-pat-user';
SET mcp_oauth.token_cache_size = 0;
SELECT pg_temp.v(:'p3') AS pat_expired;
SET mcp_oauth.token_cache_size = 100;
SELECT pg_temp.v(:'p4') AS pat_before_revoke;
SELECT mcp_oauth.revoke_personal_access_token(pat_id) AS revoked
FROM mcp_oauth.personal_access_tokens WHERE name = 'revoked' AND subject = 'vf-pat-user';
SELECT pg_temp.v(:'p4') AS pat_after_revoke;
SELECT pg_temp.v(left(:'p1', -1) || CASE right(:'p1', 1) WHEN 'x' THEN 'y' ELSE 'x' END) AS pat_tampered,
	   pg_temp.v(replace(:'p1', 'mcp_pat_', 'MCP_PAT_')) AS pat_prefix_case;
-- last_used_at moves at most once an hour (the hot path does not write)
SET mcp_oauth.token_cache_size = 0;
UPDATE mcp_oauth.personal_access_tokens SET last_used_at = now() - interval '30 minutes'
WHERE name = 'script' AND subject = 'vf-pat-user';
SELECT pg_temp.v(:'p1') AS recent;
SELECT now() - last_used_at BETWEEN interval '29 minutes' AND interval '31 minutes' AS unchanged FROM mcp_oauth.personal_access_tokens
WHERE name = 'script' AND subject = 'vf-pat-user';
UPDATE mcp_oauth.personal_access_tokens SET last_used_at = now() - interval '2 hours'
WHERE name = 'script' AND subject = 'vf-pat-user';
SELECT pg_temp.v(:'p1') AS stale;
SELECT last_used_at > now() - interval '1 minute' AS touched FROM mcp_oauth.personal_access_tokens
WHERE name = 'script' AND subject = 'vf-pat-user';
-- in a read-only transaction it still verifies, without writing
UPDATE mcp_oauth.personal_access_tokens SET last_used_at = now() - interval '2 hours'
WHERE name = 'script' AND subject = 'vf-pat-user';
BEGIN TRANSACTION READ ONLY;
SELECT pg_temp.v(:'p1') AS read_only;
COMMIT;
SELECT last_used_at < now() - interval '1 hour' AS not_written FROM mcp_oauth.personal_access_tokens
WHERE name = 'script' AND subject = 'vf-pat-user';
SET mcp_oauth.token_cache_size = 100;

-- 9. Keys: a rotated-in key does not sign yet; the old key's tokens verify
-- while it stays published, and no longer once it is gone.
SELECT mcp_oauth.rotate_signing_key() IS NOT NULL AS rotated;
SELECT pg_temp.access_token('vf-frank', 'mcp:tools') AS t6 \gset
SELECT pg_temp.part(:'t6', 1)->>'kid' = pg_temp.part(:'t1', 1)->>'kid' AS old_key_still_signs,
	   pg_temp.v(:'t6') AS t6;
SELECT pg_temp.v(:'t1') AS t1_cached;
DELETE FROM mcp_oauth.signing_keys WHERE kid = pg_temp.part(:'t1', 1)->>'kid';
SET mcp_oauth.token_cache_size = 0;
SELECT pg_temp.v(:'t1') AS t1_key_gone;
-- leave a key that signs now, for the tests after this one
SELECT mcp_oauth.rotate_signing_key(publish_ahead => interval '0') IS NOT NULL AS rotated;
RESET mcp_oauth.token_cache_size;
RESET mcp_oauth.clock_leeway;
RESET mcp_oauth.access_token_lifetime;
