-- private_key_jwt client authentication (RFC 7523 sections 2.2 and 3):
-- what SQL alone shows.  The claims are checked before the key is looked
-- for, so every claim rule shows with an assertion whose signature is
-- zeros; the key chosen shows as bad_signature (a key was found and
-- refused the zeros) against unknown_key.  Assertions signed with real
-- RS256, PS256, ES256 and EdDSA keys, accepted and replayed: tests/jwt.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.clock_leeway = 60;
-- this file's audit rows go at its end (hostile.sql counts the others)
SELECT coalesce(max(audit_id), 0) AS audit_start FROM mcp_oauth.audit_log \gset

CREATE FUNCTION pg_temp.b64url(s text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(convert_to(s, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

-- A compact JWS of header h and claims c whose signature is 64 zero bytes.
CREATE FUNCTION pg_temp.jws(h jsonb, c jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.b64url(h::text) || '.' || pg_temp.b64url(c::text) || '.' || repeat('A', 86)
$$;

-- The claims of a good assertion of client c for the token endpoint, with
-- extra's members added or replaced (a member set to null is left out).
CREATE FUNCTION pg_temp.claims(c text, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('iss', c, 'sub', c,
		'aud', 'https://as.example.com/token',
		'exp', floor(extract(epoch FROM now())) + 120,
		'jti', 'jti-' || gen_random_uuid()) || extra)
$$;

-- The form parameters of an assertion.
CREATE FUNCTION pg_temp.auth(assertion text) RETURNS text LANGUAGE sql AS $$
	SELECT 'client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
		|| '&client_assertion=' || assertion
$$;

-- An Authorization header of client_secret_basic.
CREATE FUNCTION pg_temp.basic(id text, secret text) RETURNS text LANGUAGE sql AS $$
	SELECT 'Basic ' || translate(encode(convert_to(id || ':' || secret, 'UTF8'), 'base64'), E'\n', '')
$$;

-- Call endpoint (token, revoke, introspect) with form body and the
-- Authorization header authz: status, error (or content type) and the
-- reason of the client_auth_failed row it wrote.
CREATE FUNCTION pg_temp.call(endpoint text, body text, authz text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	before bigint := (SELECT coalesce(max(audit_id), 0) FROM mcp_oauth.audit_log);
	r mcp_oauth.http_response;
	reason text;
BEGIN
	EXECUTE format('SELECT * FROM mcp_oauth.%I($1, $2, $3, ''192.0.2.7'')', endpoint)
		INTO r USING 'application/x-www-form-urlencoded', authz, body;
	SELECT string_agg(detail->>'reason', ',') INTO reason FROM mcp_oauth.audit_log
	 WHERE audit_id > before AND event = 'client_auth_failed';
	RETURN r.status || ' ' || coalesce(r.body::json->>'error', r.content_type)
		|| coalesce(' ' || reason, '');
END
$$;

-- token endpoint, refresh_token grant, with an assertion of header h, claims c
CREATE FUNCTION pg_temp.tok(h jsonb, c jsonb, extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.call('token', 'grant_type=refresh_token&refresh_token=mcp_rt_x&'
		|| pg_temp.auth(pg_temp.jws(h, c)) || extra)
$$;

-- Clients: one with its keys inline (one P-256 key, kid e1), one with a
-- jwks_uri, one with no keys, one whose only key is 1024-bit RSA; a
-- confidential and a public client for the other direction.
SELECT 1 FROM mcp_oauth.create_client('pkjwt inline', '{https://app.example.com/cb}',
	client_id => 'pkjwt-inline');
SELECT 1 FROM mcp_oauth.create_client('pkjwt uri', '{https://app.example.com/cb}',
	client_id => 'pkjwt-uri');
SELECT 1 FROM mcp_oauth.create_client('pkjwt nokeys', '{https://app.example.com/cb}',
	client_id => 'pkjwt-nokeys');
SELECT 1 FROM mcp_oauth.create_client('pkjwt weak', '{https://app.example.com/cb}',
	client_id => 'pkjwt-weak');
SELECT client_secret AS secret FROM mcp_oauth.create_client('pkjwt secret',
	'{https://app.example.com/cb}', true, client_id => 'pkjwt-secret') \gset
SELECT 1 FROM mcp_oauth.create_client('pkjwt public', '{https://app.example.com/cb}',
	client_id => 'pkjwt-public');
UPDATE mcp_oauth.clients SET token_endpoint_auth_method = 'private_key_jwt'
 WHERE client_id IN ('pkjwt-inline', 'pkjwt-uri', 'pkjwt-nokeys', 'pkjwt-weak');
UPDATE mcp_oauth.clients SET jwks = '{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"e1","alg":"ES256"}]}'
 WHERE client_id = 'pkjwt-inline';
UPDATE mcp_oauth.clients SET jwks = '{"keys":[{"kty":"RSA","n":"0ShXrtrJRsttdi_GEKFHDw05rQ-Ja5rlv7-eUulDnsdVdkPrxof2b_Bje-6Jw1efEzph2PthMeFwgI3DbDjZjqLlC_tYIi_bMQ6AATuOr38w1lVbvSN8ARby2CDMiNMHUKBQi_hppMBJQlVDbVw-h0ajmV9q76SLh79QTUxwCoM","e":"AQAB"}]}'
 WHERE client_id = 'pkjwt-weak';
UPDATE mcp_oauth.clients SET jwks_uri = 'https://keys.example.com/jwks.json'
 WHERE client_id = 'pkjwt-uri';

-- 1. Claims (RFC 7523 section 3), each refused before any key is looked for
SELECT n, label, outcome FROM (VALUES
	(1, 'all good: the key e1 refuses the zeros',
		pg_temp.tok('{"alg":"ES256","kid":"e1"}', pg_temp.claims('pkjwt-inline'))),
	(2, 'no kid: the only P-256 key is chosen',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline'))),
	(3, 'unknown kid, inline keys: nothing to fetch',
		pg_temp.tok('{"alg":"ES256","kid":"zz"}', pg_temp.claims('pkjwt-inline'))),
	(4, 'RS256: no RSA key in the set',
		pg_temp.tok('{"alg":"RS256","kid":"e1"}', pg_temp.claims('pkjwt-inline'))),
	(5, 'alg none',
		pg_temp.tok('{"alg":"none"}', pg_temp.claims('pkjwt-inline'), '&client_id=pkjwt-inline')),
	(6, 'alg HS256',
		pg_temp.tok('{"alg":"HS256","kid":"e1"}', pg_temp.claims('pkjwt-inline'), '&client_id=pkjwt-inline')),
	(7, 'iss another client',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"iss":"pkjwt-uri"}'))),
	(8, 'no iss',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"iss":null}'))),
	(9, 'no sub, client_id parameter',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"sub":null}'),
					'&client_id=pkjwt-inline')),
	(10, 'sub another client (iss ours)',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"sub":"pkjwt-uri"}'))),
	(11, 'sub an unknown client',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-nobody'))),
	(12, 'aud another server',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":"https://other.example.com/token"}'))),
	(13, 'aud the issuer',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":"https://as.example.com"}'))),
	(14, 'aud an array naming the token endpoint',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":["https://x.example","https://as.example.com/token"]}'))),
	(15, 'aud the issuer with a trailing slash',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":"https://as.example.com/"}'))),
	(16, 'aud the revocation endpoint, at the token endpoint',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":"https://as.example.com/revoke"}'))),
	(17, 'no aud',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"aud":null}'))),
	(18, 'expired a second ago',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('exp', floor(extract(epoch FROM now())) - 1)))),
	(19, 'exp 330 s ahead (5 minutes and the skew)',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('exp', floor(extract(epoch FROM now())) + 330)))),
	(20, 'exp 331 s ahead',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('exp', floor(extract(epoch FROM now())) + 331)))),
	(21, 'no exp',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"exp":null}'))),
	(22, 'exp a string',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"exp":"2000000000"}'))),
	(23, 'nbf 61 s ahead (past the leeway)',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('nbf', floor(extract(epoch FROM now())) + 61)))),
	(24, 'nbf and iat now',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('nbf', floor(extract(epoch FROM now())),
							   'iat', floor(extract(epoch FROM now())))))),
	(25, 'iat 61 s ahead',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('iat', floor(extract(epoch FROM now())) + 61)))),
	(26, 'no jti',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"jti":null}'))),
	(27, 'jti a number',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline', '{"jti":7}'))),
	(28, 'jti of 257 bytes',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			jsonb_build_object('jti', repeat('j', 257))))),
	(29, 'client_id parameter the same client',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline'), '&client_id=pkjwt-inline')),
	(30, 'client_id parameter another client',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline'), '&client_id=pkjwt-uri')),
	(31, 'a client with no keys',
		pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-nokeys'))),
	(32, 'a client whose only key is 1024-bit RSA',
		pg_temp.tok('{"alg":"RS256"}', pg_temp.claims('pkjwt-weak')))
) t(n, label, outcome) ORDER BY n;

-- 2. The form of the attempt (RFC 7521 section 4.2)
SELECT n, label, outcome FROM (VALUES
	(1, 'wrong assertion type', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:saml2-bearer&client_assertion='
		|| pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline')))),
	(2, 'assertion without its type', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_assertion='
		|| pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline')))),
	(3, 'type without an assertion', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer')),
	(4, 'assertion and client_secret', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_secret=s&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline'))))),
	(5, 'assertion and Basic', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline'))),
		pg_temp.basic('pkjwt-secret', :'secret'))),
	(6, 'not a JWS', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&' || pg_temp.auth('abc'))),
	(7, 'not a JWS, client_id parameter', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_id=pkjwt-inline&' || pg_temp.auth('abc')))
) t(n, label, outcome) ORDER BY n;

-- 3. A client authenticates with the method it registered, and only so
SELECT n, label, outcome FROM (VALUES
	(1, 'private_key_jwt client, client_secret_post', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_id=pkjwt-inline&client_secret=' || :'secret')),
	(2, 'private_key_jwt client, Basic', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x',
		pg_temp.basic('pkjwt-inline', :'secret'))),
	(3, 'private_key_jwt client, no authentication', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x&client_id=pkjwt-inline')),
	(4, 'confidential client, an assertion', pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-secret'))),
	(5, 'public client, an assertion', pg_temp.tok('{"alg":"ES256"}', pg_temp.claims('pkjwt-public'))),
	(6, 'confidential client, its secret (Basic)', pg_temp.call('token',
		'grant_type=refresh_token&refresh_token=x', pg_temp.basic('pkjwt-secret', :'secret')))
) t(n, label, outcome) ORDER BY n;

-- 4. Revocation and introspection: the audience may be the endpoint called
SELECT n, label, outcome FROM (VALUES
	(1, 'revoke, aud the revocation endpoint', pg_temp.call('revoke', 'token=x&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			'{"aud":"https://as.example.com/revoke"}'))))),
	(2, 'revoke, aud the introspection endpoint', pg_temp.call('revoke', 'token=x&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			'{"aud":"https://as.example.com/introspect"}'))))),
	(3, 'introspect, aud the introspection endpoint', pg_temp.call('introspect', 'token=x&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline',
			'{"aud":"https://as.example.com/introspect"}'))))),
	(4, 'introspect, aud the token endpoint', pg_temp.call('introspect', 'token=x&'
		|| pg_temp.auth(pg_temp.jws('{"alg":"ES256"}', pg_temp.claims('pkjwt-inline')))))
) t(n, label, outcome) ORDER BY n;

-- 5. Keys at a jwks_uri, through fetched_documents (the need-fetch protocol)
-- 5.1 no copy: the server is asked for the set (status 0), nothing audited
SELECT pg_temp.tok('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri')) AS first_call;
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&refresh_token=x&'
	|| pg_temp.auth(pg_temp.jws('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri'))),
	'192.0.2.7')).body::jsonb AS need_fetch;
-- 5.2 the server stores the set (kid k1): the key is chosen
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'ok', 200,
	'{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"k1"}]}',
	'"v1"', 300, NULL, '192.0.2.7');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri')) AS known_kid;
-- 5.3 an unknown kid, the set fetched just now: no refetch
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS unknown_kid_fresh;
-- 5.4 fetched over a minute ago: one refetch, revalidating the copy
UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '61 seconds'
 WHERE url = 'https://keys.example.com/jwks.json';
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&refresh_token=x&'
	|| pg_temp.auth(pg_temp.jws('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri'))),
	'192.0.2.7')).body::jsonb AS refetch;
-- 5.5 unchanged (304): the kid stays unknown, and is not fetched for again
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'not_modified', 304,
	NULL, '"v1"', 300, NULL, '192.0.2.7');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS after_304;
-- 5.6 a minute later the client rotated its key in: the new set has k2
UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '61 seconds'
 WHERE url = 'https://keys.example.com/jwks.json';
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS rotated_asks;
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'ok', 200,
	'{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"k2"}]}',
	'"v2"', 300, NULL, '192.0.2.7');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS rotated_known,
	   pg_temp.tok('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri')) AS old_kid_gone;
-- 5.7 the copy expired and a refetch failed (DNS, transient): the stale
-- copy serves, and an unknown kid is not fetched for while the failure is
-- remembered
UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '10 minutes',
	fresh_until = now() - interval '1 minute' WHERE url = 'https://keys.example.com/jwks.json';
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS expired_asks;
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'dns', 0,
	NULL, NULL, 0, NULL, '192.0.2.7');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS stale_served,
	   pg_temp.tok('{"alg":"ES256","kid":"k3"}', pg_temp.claims('pkjwt-uri')) AS stale_unknown;
-- 5.8 the set is gone (404): refused, naming it
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'status', 404,
	NULL, NULL, 0, NULL, '192.0.2.7');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS gone;
-- 5.9 forgotten by an operator: asked for again
SELECT mcp_oauth.forget_fetched('https://keys.example.com/jwks.json');
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS forgotten;

-- 5.10 an unknown kid (anyone may send one: no signature is checked
-- before) while the set is fresh, and the refetch fails for good (a CDN's
-- 403): recorded and audited, but the fresh set still serves until its
-- freshness ends, and nothing is fetched again while the failure is
-- remembered; once expired, it is not served stale
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'ok', 200,
	'{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"k2"}]}',
	'"v3"', 300, NULL, '192.0.2.7');
UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '61 seconds'
 WHERE url = 'https://keys.example.com/jwks.json';
SELECT pg_temp.tok('{"alg":"ES256","kid":"k3"}', pg_temp.claims('pkjwt-uri')) AS unknown_kid_asks;
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'status', 403,
	NULL, NULL, 0, NULL, '192.0.2.7');
SELECT detail->>'reason' AS reason, detail->>'status' AS status FROM mcp_oauth.audit_log
 WHERE event = 'fetch_failed' AND client_id = 'pkjwt-uri' ORDER BY audit_id DESC LIMIT 1;
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS still_fresh,
	   pg_temp.tok('{"alg":"ES256","kid":"k3"}', pg_temp.claims('pkjwt-uri')) AS no_second_refetch;
UPDATE mcp_oauth.fetched_documents SET fresh_until = now() - interval '1 second'
 WHERE url = 'https://keys.example.com/jwks.json';
SELECT pg_temp.tok('{"alg":"ES256","kid":"k2"}', pg_temp.claims('pkjwt-uri')) AS expired;

-- 5.11 a private_key_jwt client is confidential: it may be a resource
-- server that introspects other clients' tokens (a public client may not)
SELECT mcp_oauth.set_client_introspection('pkjwt-uri', true);
SELECT mcp_oauth.set_client_introspection('pkjwt-public', true);

-- 6. Nothing above was accepted, so no jti was recorded; no assertion
-- (a credential) is in the audit log
SELECT count(*) AS jtis FROM mcp_oauth.client_assertion_jtis WHERE client_id LIKE 'pkjwt-%';
SELECT count(*) AS audit_rows, count(*) FILTER (WHERE detail::text LIKE '%eyJ%') AS with_assertion
  FROM mcp_oauth.audit_log WHERE client_id LIKE 'pkjwt-%';

-- 7. The audit row of a failed assertion names the client it claimed
SELECT event, client_id, client_addr, detail FROM mcp_oauth.audit_log
 WHERE event = 'client_auth_failed' AND client_id = 'pkjwt-inline'
 ORDER BY audit_id DESC LIMIT 1;

-- 8. One URL, two purposes (fetched_documents keeps a row per URL and
-- purpose): naming a client's metadata document as a jwks_uri, or a
-- client's key set as a client_id, harms neither client.
-- 8.1 a jwks_uri that is another client's metadata document: the token
-- endpoint asks for it as a JWK Set (before any signature is checked), it
-- is not one, and the other client's authorizations go on
\set victim 'https://victim.example/client.json'
SELECT mcp_oauth.fetched(:'victim', 'client_metadata', 'ok', 200,
	'{"client_id": "https://victim.example/client.json", "client_name": "Victim",'
	' "redirect_uris": ["https://victim.example/cb"]}', NULL, 300, NULL, NULL) AS victim_stored;
UPDATE mcp_oauth.fetched_documents SET fetched_at = now() - interval '61 seconds' WHERE url = :'victim';
UPDATE mcp_oauth.clients SET jwks_uri = :'victim' WHERE client_id = 'pkjwt-uri';
SELECT r.status, r.body::jsonb->>'url' = :'victim' AS victim_url, r.body::jsonb->>'purpose' AS purpose
FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&refresh_token=x&'
	|| pg_temp.auth(pg_temp.jws('{"alg":"ES256","kid":"k9"}', pg_temp.claims('pkjwt-uri'))),
	'192.0.2.7') r;
SELECT mcp_oauth.fetched(:'victim', 'jwks', 'ok', 200,
	'{"client_id": "https://victim.example/client.json", "client_name": "Victim",'
	' "redirect_uris": ["https://victim.example/cb"]}', NULL, 300, NULL, '192.0.2.7') AS as_jwks;
SELECT pg_temp.tok('{"alg":"ES256","kid":"k9"}', pg_temp.claims('pkjwt-uri')) AS attacker;
SELECT r.status, coalesce(r.body::jsonb->>'client_name', r.body::jsonb->>'error_description') AS victim_authorize
FROM mcp_oauth.authorize('client_id=' || :'victim' || '&redirect_uri=https://victim.example/cb'
	|| '&response_type=code&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
	|| '&code_challenge_method=S256', '192.0.2.7') r;
-- 8.2 a client's jwks_uri given as a client_id: authorize asks for it as a
-- metadata document, it is not one, and the key set still serves
UPDATE mcp_oauth.clients SET jwks_uri = 'https://keys.example.com/jwks.json' WHERE client_id = 'pkjwt-uri';
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'jwks', 'ok', 200,
	'{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"k1"}]}',
	'"v4"', 300, NULL, '192.0.2.7') AS keys_stored;
SELECT pg_temp.tok('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri')) AS key_found;
SELECT r.status, r.body::jsonb->>'purpose' AS purpose
FROM mcp_oauth.authorize('client_id=https://keys.example.com/jwks.json'
	|| '&redirect_uri=https://victim.example/cb'
	|| '&response_type=code&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
	|| '&code_challenge_method=S256', '192.0.2.7') r;
SELECT mcp_oauth.fetched('https://keys.example.com/jwks.json', 'client_metadata', 'ok', 200,
	'{"keys":[{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"k1"}]}',
	NULL, 300, NULL, '192.0.2.7') AS as_metadata;
SELECT pg_temp.tok('{"alg":"ES256","kid":"k1"}', pg_temp.claims('pkjwt-uri')) AS key_still_found;

SELECT mcp_oauth.delete_client(client_id) FROM mcp_oauth.clients
 WHERE client_id LIKE 'pkjwt-%' OR client_id = :'victim' ORDER BY client_id;
SELECT mcp_oauth.forget_fetched(url) FROM (VALUES (:'victim'), ('https://keys.example.com/jwks.json')) v(url);
DELETE FROM mcp_oauth.audit_log WHERE audit_id > :audit_start;
