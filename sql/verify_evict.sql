-- The per-backend caches of verify_access_token() when full (issue 13):
-- an entry is evicted by the clock (second chance), not the whole cache
-- emptied; and the ids of access tokens revoked by themselves are kept in
-- memory, so that such a revocation does not switch the grant cache off.
-- What a cache holds is seen through changes made behind the functions'
-- back (a direct UPDATE of grants sends no invalidation): an entry in
-- memory still answers active, a token looked up again is refused.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.access_token_lifetime = 900;
SET mcp_oauth.clock_leeway = 60;
SET client_min_messages = warning;

SELECT client_id FROM mcp_oauth.create_client('Evict App', ARRAY['https://app.example.com/cb'],
											  client_id => 'ev-app');

-- The whole flow: authorize -> consent -> token; the access token.
CREATE FUNCTION pg_temp.access_token(subject text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	verifier text := 'evict-verifier-0123456789-0123456789-0123456789';
	r mcp_oauth.http_response;
	code text;
BEGIN
	r := mcp_oauth.authorize('response_type=code&client_id=ev-app'
		|| '&redirect_uri=https://app.example.com/cb&state=s1&code_challenge='
		|| rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '+/', '-_'), '=')
		|| '&code_challenge_method=S256&scope=mcp:tools'
		|| '&resource=https://mcp.example.com/mcp', '192.0.2.1');
	r := mcp_oauth.authorize_decision(r.body::json->>'request_id', subject, true, NULL, '192.0.2.1');
	code := (regexp_match(r.location, '[?&]code=([^&]*)'))[1];
	r := mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=authorization_code&client_id=ev-app&code=' || code
		|| '&redirect_uri=https://app.example.com/cb&code_verifier=' || verifier
		|| '&resource=https://mcp.example.com/mcp', '192.0.2.1');
	RETURN r.body::json->>'access_token';
END
$$;
-- The claims of a JWT, and the grant it names.
CREATE FUNCTION pg_temp.claims(jwt text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', 2), '-_', '+/'),
		(length(split_part(jwt, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb
$$;
CREATE FUNCTION pg_temp.gid(jwt text) RETURNS bigint LANGUAGE sql AS $$
	SELECT (pg_temp.claims(jwt)->>'grant_id')::bigint
$$;
-- A sibling of token t: the same claims, another jti (signed with the
-- active key by the tests' signing hook, tests/signing).
CREATE FUNCTION pg_temp.sign(claims text) RETURNS text
AS '$libdir/mcp_oauth_test', 'mcp_oauth_sign_claims_for_test' LANGUAGE C STRICT;
CREATE FUNCTION pg_temp.sibling(t text) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.sign((pg_temp.claims(t) || jsonb_build_object('jti', gen_random_uuid()))::text)
$$;
-- One line per verification.
CREATE FUNCTION pg_temp.v(token text) RETURNS text LANGUAGE sql AS $$
	SELECT format('active=%s error=%s (%s)', (v).active, coalesce((v).error, '-'),
				  coalesce((v).error_description, '-'))
	FROM (SELECT mcp_oauth.verify_access_token(token, 'https://mcp.example.com/mcp') v) s
$$;
-- Revoke one access token by itself, through the revocation endpoint.
CREATE FUNCTION pg_temp.revoke_alone(t text) RETURNS int LANGUAGE sql AS $$
	SELECT (mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
							 'client_id=ev-app&token=' || t, NULL)).status
$$;
-- Revoke a grant, or take the revocation back, behind the caches' back.
CREATE FUNCTION pg_temp.set_revoked(t text, revoked boolean) RETURNS void LANGUAGE sql AS $$
	UPDATE mcp_oauth.grants SET revoked_at = CASE WHEN revoked THEN now() END
	WHERE grant_id = pg_temp.gid(t)
$$;

SELECT pg_temp.access_token('ev-alice') AS ta \gset
SELECT pg_temp.access_token('ev-bob') AS tb \gset
SELECT pg_temp.access_token('ev-carol') AS tc \gset
SELECT pg_temp.access_token('ev-dave') AS td \gset
CREATE TEMP TABLE siblings AS
SELECT n, pg_temp.sibling(:'ta') AS t FROM generate_series(1, 5) n;

-- 1. The verified-token cache, of 4 entries, full: a fifth token evicts
-- the one the clock hand finds first not used since it last passed, and
-- keeps the others (before issue 13 it emptied itself: all refused below).
SET mcp_oauth.grant_cache_size = 0;
SET mcp_oauth.token_cache_size = 4;
SELECT n, pg_temp.v(t) AS fill FROM siblings WHERE n <= 4 ORDER BY n;
SELECT n, pg_temp.v(t) AS used_again FROM siblings WHERE n <= 2 ORDER BY n;
SELECT n, pg_temp.v(t) AS fifth FROM siblings WHERE n = 5;
SELECT pg_temp.set_revoked(:'ta', true);
-- 3 was evicted (looked up: refused); 1, 2, 4 and 5 answer from memory
SELECT n, pg_temp.v(t) AS after_eviction FROM siblings ORDER BY n;
-- many more tokens than entries: every one still verifies, and a
-- revocation through the functions reaches every one kept
SELECT pg_temp.set_revoked(:'ta', false);
CREATE TEMP TABLE many AS SELECT n, pg_temp.sibling(:'ta') AS t FROM generate_series(1, 40) n;
SELECT count(*) FILTER (WHERE pg_temp.v(t) LIKE 'active=t %') AS active FROM many;
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'ta')) AS revoked;
SELECT count(*) FILTER (WHERE pg_temp.v(t) = 'active=f error=invalid_token (token revoked)')
	AS refused FROM many;
SELECT count(*) FILTER (WHERE pg_temp.v(t) = 'active=f error=invalid_token (token revoked)')
	AS refused FROM siblings;
RESET mcp_oauth.token_cache_size;

-- 2. The grant cache, of 2 grants, full: the grant not used again is
-- evicted, the others kept.
SET mcp_oauth.token_cache_size = 0;
SET mcp_oauth.grant_cache_size = 2;
SELECT pg_temp.v(:'tb') AS b, pg_temp.v(:'tc') AS c;
SELECT pg_temp.v(pg_temp.sibling(:'tb')) AS b_used_again;
SELECT pg_temp.v(:'td') AS d_third;
SELECT pg_temp.set_revoked(t, true) FROM unnest(ARRAY[:'tb', :'tc', :'td']) t;
-- c was evicted (looked up: refused); b and d answer from memory
SELECT pg_temp.v(pg_temp.sibling(:'tb')) AS b, pg_temp.v(pg_temp.sibling(:'tc')) AS c,
	   pg_temp.v(pg_temp.sibling(:'td')) AS d;
SELECT pg_temp.set_revoked(t, false) FROM unnest(ARRAY[:'tb', :'tc', :'td']) t;
RESET mcp_oauth.grant_cache_size;

-- 3. An access token revoked by itself is refused from the ids kept in
-- memory, and the grant cache still answers for its siblings (before issue
-- 13, any such revocation unexpired switched the grant cache off).
CREATE TEMP TABLE b_siblings AS SELECT n, pg_temp.sibling(:'tb') AS t FROM generate_series(1, 3) n;
SELECT pg_temp.v(:'tb') AS b_grant_read;
SELECT pg_temp.revoke_alone(t) AS revoke_status FROM b_siblings WHERE n = 1;
SELECT pg_temp.v(:'tb') AS b_grant_read_again;
SELECT pg_temp.set_revoked(:'tb', true);
SELECT n, pg_temp.v(t) AS from_memory FROM b_siblings ORDER BY n;
SELECT pg_temp.set_revoked(:'tb', false);
-- another revocation by itself: its invalidation reloads the ids
SELECT pg_temp.revoke_alone(t) AS revoke_status FROM b_siblings WHERE n = 2;
SELECT n, pg_temp.v(t) AS after_second_revocation FROM b_siblings ORDER BY n;
-- a revocation by itself the caches are not told of (a direct INSERT) is
-- not seen while the ids are in memory, and seen once they are reloaded
INSERT INTO mcp_oauth.revoked_access_tokens (jti, grant_id, expires_at)
SELECT (pg_temp.claims(t)->>'jti')::uuid, pg_temp.gid(t), now() + interval '15 minutes'
FROM b_siblings WHERE n = 3;
SELECT pg_temp.v(t) AS stale_from_memory FROM b_siblings WHERE n = 3;
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'tc')) AS another_grant_revoked;
SELECT pg_temp.v(t) AS after_reload FROM b_siblings WHERE n = 3;

-- 4. More live revocations by themselves than the grant cache's size: the
-- ids are not kept, and every first-seen JWT is looked up (as before).
SET mcp_oauth.grant_cache_size = 1;
SELECT pg_temp.v(:'td') AS d_grant_read;
SELECT pg_temp.set_revoked(:'td', true);
SELECT pg_temp.v(pg_temp.sibling(:'td')) AS d_looked_up;
SELECT n, pg_temp.v(t) AS revoked_alone FROM b_siblings ORDER BY n;
SELECT pg_temp.set_revoked(:'td', false);
RESET mcp_oauth.grant_cache_size;
RESET mcp_oauth.token_cache_size;

-- 5. The live revocations are found by expiry through an index.
SELECT indexdef FROM pg_indexes
WHERE schemaname = 'mcp_oauth' AND indexname = 'revoked_access_tokens_expires_idx';

SELECT mcp_oauth.delete_client('ev-app');
RESET mcp_oauth.clock_leeway;
RESET mcp_oauth.access_token_lifetime;
