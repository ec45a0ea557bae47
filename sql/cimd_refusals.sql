-- What client metadata (a registration, a Client ID Metadata Document) and
-- fetched JWK Sets must not carry, found by the review of issue 14:
-- numbers PostgreSQL's jsonb cannot hold (they made fetched() and
-- register() raise), and JWK Sets with no key the server can use.  Each is
-- refused the protocol's way: a 'json' or 'validation' failure recorded
-- with its fetch_failed audit row, or 400 invalid_client_metadata; nothing
-- raises.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;
-- this file's audit rows go at its end
SELECT coalesce(max(audit_id), 0) AS audit_start FROM mcp_oauth.audit_log \gset

-- A P-256 public key (kid p1), the RFC 8037 Ed25519 example public key
-- (kid o1), and keys no signature can be checked with: RSA of 1024 bits,
-- a private EC key, an HMAC key, an EC key without y, a P-256 "point" not
-- on the curve.
\set p256 '{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","kid":"p1"}'
\set ed25519 '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"o1"}'
\set rsa1024 '{"kty":"RSA","n":"0ShXrtrJRsttdi_GEKFHDw05rQ-Ja5rlv7-eUulDnsdVdkPrxof2b_Bje-6Jw1efEzph2PthMeFwgI3DbDjZjqLlC_tYIi_bMQ6AATuOr38w1lVbvSN8ARby2CDMiNMHUKBQi_hppMBJQlVDbVw-h0ajmV9q76SLh79QTUxwCoM","e":"AQAB"}'
\set private '{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA","d":"AAAA"}'
\set oct '{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}'
\set no_y '{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU"}'
\set off_curve '{"kty":"EC","crv":"P-256","x":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU","y":"fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU"}'

-- The server reports a document of purpose fetched from url.
CREATE FUNCTION pg_temp.fetched(url text, body text, purpose text DEFAULT 'client_metadata')
RETURNS text LANGUAGE sql AS $$
	SELECT mcp_oauth.fetched(url, purpose, 'ok', 200, body, NULL, 300, NULL, '192.0.2.70')
$$;

-- A client metadata document of url (raw text: jsonb could not hold the
-- numbers below) with extra members, a JSON text starting with a comma.
CREATE FUNCTION pg_temp.doc(url text, extra text) RETURNS text LANGUAGE sql AS $$
	SELECT format('{"client_id": %s, "client_name": "Refusals",'
		' "redirect_uris": ["https://refusals.example/cb"]%s}', to_json(url), extra)
$$;

-- A registration request, extra members as for pg_temp.doc.
CREATE FUNCTION pg_temp.reg(extra text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.register('application/json', NULL,
		'{"client_name": "Refusals", "redirect_uris": ["https://refusals.example/cb"]' || extra || '}',
		'192.0.2.71')
$$;

-- private_key_jwt with the inline JWK Set of keys (a JSON array's inside).
CREATE FUNCTION pg_temp.pkjwt(keys text) RETURNS text LANGUAGE sql AS $$
	SELECT ', "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [' || keys || ']}'
$$;

-- What was recorded for url, its audit row's reason and detail, and
-- whether a client was made.
CREATE FUNCTION pg_temp.outcome(url text, recorded text) RETURNS text LANGUAGE sql AS $$
	SELECT recorded || coalesce(' / ' || (SELECT a.detail->>'reason' || ': ' || (a.detail->>'detail')
			FROM mcp_oauth.audit_log a WHERE a.event = 'fetch_failed' AND a.detail->>'url' = url
			ORDER BY a.audit_id DESC LIMIT 1), '')
		|| CASE WHEN EXISTS (SELECT FROM mcp_oauth.clients WHERE client_id = url)
			THEN ' / client made' ELSE '' END
$$;

-- ---- Numbers jsonb cannot hold (lib/json.c refuses them)

-- 1. A metadata document holding such a number, in a member the server
--    ignores or in a key of its jwks, is a 'json' failure with its audit
--    row, and makes no client; fetched() does not raise.
CREATE TEMP TABLE numbers (n int, number text);
INSERT INTO numbers VALUES (1, '1e-20000'), (2, '-1e-20000'), (3, '0e-20000'), (4, '1e400'),
	(5, '1e-400'), (6, '0.' || repeat('0', 70) || '1');
SELECT n, number, pg_temp.outcome(url, pg_temp.fetched(url, pg_temp.doc(url, ', "x-later": ' || number)))
	AS in_unknown_member
FROM numbers, LATERAL (SELECT 'https://numbers.example/' || n || '.json' AS url) u ORDER BY n;
SELECT n, number, pg_temp.outcome(url, pg_temp.fetched(url,
	pg_temp.doc(url, pg_temp.pkjwt(replace(:'p256', '}', ', "x-n": ' || number || '}')))))
	AS in_jwks
FROM numbers, LATERAL (SELECT 'https://numbers.example/jwks-' || n || '.json' AS url) u ORDER BY n;
-- the failure is remembered: the person gets a page naming it, no new fetch
SELECT r.status, r.body::json->>'error_description' AS description
FROM mcp_oauth.authorize('response_type=code&client_id=https://numbers.example/jwks-1.json'
	'&redirect_uri=https://refusals.example/cb&state=s&code_challenge=' || repeat('a', 43)
	|| '&code_challenge_method=S256', '192.0.2.70') r;

-- 2. The edges that are kept: a double's extremes, zero with an exponent
--    of 400, a number of 64 bytes; the client is made and its jwks (jsonb)
--    holds them.
\set edges '"x-max": 1.7976931348623157e308, "x-min": -2.2250738585072014e-308, "x-zero": 0e-400, "x-long": 0.00000000000000000000000000000000000000000000000000000000000001'
SELECT pg_temp.outcome('https://numbers.example/edges.json',
	pg_temp.fetched('https://numbers.example/edges.json',
		pg_temp.doc('https://numbers.example/edges.json',
					pg_temp.pkjwt(replace(:'p256', '}', ', ' || :'edges' || '}'))))) AS edges;
SELECT (k->>'x-max')::numeric = 1.7976931348623157e308 AS x_max,
	(k->>'x-min')::numeric = -2.2250738585072014e-308 AS x_min,
	(k->>'x-zero')::numeric = 0 AS x_zero, (k->>'x-long')::numeric = 1e-62 AS x_long
FROM mcp_oauth.clients, LATERAL (SELECT jwks->'keys'->0 AS k) x
WHERE client_id = 'https://numbers.example/edges.json';

-- 3. A fetched JWK Set holding such a number: a 'json' failure.
SELECT pg_temp.outcome('https://numbers.example/set.json',
	pg_temp.fetched('https://numbers.example/set.json',
		'{"keys": [' || :'p256' || '], "x": 1e-20000}', 'jwks')) AS fetched_set;

-- 4. A registration holding such a number: 400 invalid_client_metadata,
--    no client; the edges are registered.
SELECT n, number, r.status, r.body::json->>'error' AS error,
	r.body::json->>'error_description' AS description
FROM numbers, LATERAL pg_temp.reg(', "x-later": ' || number) r ORDER BY n;
SELECT n, number, r.status, r.body::json->>'error' AS error,
	r.body::json->>'error_description' AS description
FROM numbers, LATERAL pg_temp.reg(pg_temp.pkjwt(replace(:'p256', '}', ', "x-n": ' || number || '}'))) r
ORDER BY n;
SELECT (pg_temp.reg(pg_temp.pkjwt(replace(:'p256', '}', ', ' || :'edges' || '}')))).body::json->>'client_id'
	AS edges_client \gset
SELECT (jwks->'keys'->0->>'x-max')::numeric = 1.7976931348623157e308 AS stored_max
FROM mcp_oauth.clients WHERE client_id = :'edges_client';
SELECT count(*) AS registered FROM mcp_oauth.clients
WHERE client_name = 'Refusals' AND kind = 'dynamic';

-- ---- JWK Sets with no usable key (lib/jwk.c reads them)

-- 5. Registration: a set whose every key is unusable is refused, naming
--    why; a usable key beside unusable ones is registered, and the set is
--    kept as given (the unusable keys too: they are ignored when used).
CREATE TEMP TABLE sets (n int, label text, keys text);
INSERT INTO sets VALUES
	(1, 'no keys', ''),
	(2, 'RSA of 1024 bits', :'rsa1024'),
	(3, 'a private key', :'private'),
	(4, 'an HMAC key', :'oct'),
	(5, 'EC without y', :'no_y'),
	(6, 'a point not on P-256', :'off_curve'),
	(7, 'use enc', replace(:'p256', '}', ', "use": "enc"}')),
	(8, 'alg RS256 on an EC key', replace(:'p256', '}', ', "alg": "RS256"}')),
	(9, 'all of them', concat_ws(',', :'rsa1024', :'private', :'oct', :'no_y', :'off_curve')),
	(10, 'a key twice named', replace(:'p256', '}', ', "kid": "again"}')),
	(11, '21 keys', array_to_string(array_fill(:'ed25519'::text, ARRAY[21]), ',')),
	(12, 'P-256 beside unusable keys', concat_ws(',', :'rsa1024', :'p256', :'oct')),
	(13, 'Ed25519', :'ed25519');
CREATE TEMP TABLE registered AS
SELECT s.n, r.status, r.body::json AS b FROM sets s, LATERAL pg_temp.reg(pg_temp.pkjwt(s.keys)) r;
SELECT s.n, s.label, g.status, g.b->>'error' AS error,
	coalesce(g.b->>'error_description', 'keys stored: ' || jsonb_array_length(c.jwks->'keys')) AS outcome
FROM sets s JOIN registered g USING (n) LEFT JOIN mcp_oauth.clients c ON c.client_id = g.b->>'client_id'
ORDER BY s.n;

-- 6. A metadata document: the same, as a 'validation' failure.
SELECT s.n, s.label, pg_temp.outcome(url, pg_temp.fetched(url, pg_temp.doc(url, pg_temp.pkjwt(s.keys))))
	AS outcome
FROM sets s, LATERAL (SELECT 'https://sets.example/' || s.n || '.json' AS url) u ORDER BY s.n;

-- 7. A fetched JWK Set (a client's jwks_uri): the same; a set with no
--    usable key is no longer stored to fail at each use.
SELECT s.n, s.label, pg_temp.outcome(url, pg_temp.fetched(url, '{"keys": [' || s.keys || ']}', 'jwks'))
	AS outcome
FROM sets s, LATERAL (SELECT 'https://sets.example/jwks-' || s.n || '.json' AS url) u ORDER BY s.n;
SELECT url, body IS NOT NULL AS stored, failure FROM mcp_oauth.fetched_documents
WHERE url IN ('https://sets.example/jwks-9.json', 'https://sets.example/jwks-12.json') ORDER BY url;

-- 8. No audit row holds a key's private part or an HMAC secret.
SELECT count(*) AS secrets_in_audit FROM mcp_oauth.audit_log
WHERE audit_id > :audit_start AND (detail::text LIKE '%c2VjcmV0%' OR detail::text LIKE '%"d"%');

DELETE FROM mcp_oauth.clients WHERE client_name = 'Refusals';
DELETE FROM mcp_oauth.fetched_documents WHERE url LIKE 'https://numbers.example/%'
	OR url LIKE 'https://sets.example/%';
DELETE FROM mcp_oauth.audit_log WHERE audit_id > :audit_start;
