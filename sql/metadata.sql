-- Discovery documents: RFC 8414, OIDC discovery, RFC 9728, JWKS.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/';
SET mcp_oauth.registration = 'open';
SET client_min_messages = warning;

-- The members of a JSON document, sorted, one per line, as name = value.
CREATE FUNCTION pg_temp.members(r mcp_oauth.http_response) RETURNS SETOF text
LANGUAGE sql AS $$
	SELECT key || ' = ' || value::text FROM json_each((r).body::json) ORDER BY key
$$;

-- 1. RFC 8414 authorization server metadata.
SELECT (r).status, (r).content_type, (r).cache_control
FROM (SELECT mcp_oauth.authorization_server_metadata() r) s;
SELECT pg_temp.members(mcp_oauth.authorization_server_metadata());
-- issuer first (not required, but what people read), and exactly once
SELECT (mcp_oauth.authorization_server_metadata()).body LIKE '{"issuer":"https://as.example.com",%' AS issuer_first;

-- 2. The OIDC twin: the same members plus subject_types_supported, and no
-- ID token members (we issue none).
SELECT pg_temp.members(mcp_oauth.openid_configuration())
EXCEPT SELECT pg_temp.members(mcp_oauth.authorization_server_metadata());
SELECT pg_temp.members(mcp_oauth.authorization_server_metadata())
EXCEPT SELECT pg_temp.members(mcp_oauth.openid_configuration());
SELECT (r).status, (r).cache_control, (r).body::json->'id_token_signing_alg_values_supported' AS id_token_algs
FROM (SELECT mcp_oauth.openid_configuration() r) s;

-- 3. Registration closed: no registration_endpoint.
SET mcp_oauth.registration = 'closed';
SELECT (mcp_oauth.authorization_server_metadata()).body::json->>'registration_endpoint' AS closed_registration,
	   (mcp_oauth.openid_configuration()).body::json->>'registration_endpoint' AS closed_registration_oidc;
SET mcp_oauth.registration = 'open';

-- 4. The issuer byte for byte, with a path and with a trailing slash; the
-- endpoints never get a double slash.
SET mcp_oauth.issuer = 'https://AS.example.com/tenant/a';
SELECT b->>'issuer' AS issuer, b->>'authorization_endpoint' AS authz, b->>'token_endpoint' AS token,
	   b->>'jwks_uri' AS jwks_uri
FROM (SELECT (mcp_oauth.authorization_server_metadata()).body::json b) s;
SET mcp_oauth.issuer = 'https://as.example.com/tenant/';
SELECT b->>'issuer' AS issuer, b->>'authorization_endpoint' AS authz, b->>'revocation_endpoint' AS revoke,
	   b->>'introspection_endpoint' AS introspect, b->>'registration_endpoint' AS register
FROM (SELECT (mcp_oauth.openid_configuration()).body::json b) s;
SET mcp_oauth.issuer = 'http://127.0.0.1:8080/';
SELECT b->>'issuer' AS issuer, b->>'token_endpoint' AS token
FROM (SELECT (mcp_oauth.authorization_server_metadata()).body::json b) s;
SELECT (mcp_oauth.protected_resource_metadata()).body::json->'authorization_servers' AS as_list;
SET mcp_oauth.issuer = 'https://as.example.com';

-- 5. Scopes come from the scopes table.
INSERT INTO mcp_oauth.scopes (name, description, is_default) VALUES ('metadata:test', 'A test scope', false);
SELECT (mcp_oauth.authorization_server_metadata()).body::json->'scopes_supported' AS scopes;
SELECT (mcp_oauth.protected_resource_metadata()).body::json->'scopes_supported' AS prm_scopes;
DELETE FROM mcp_oauth.scopes WHERE name = 'metadata:test';

-- 6. RFC 9728 protected resource metadata: the configured resource string
-- exactly, for any spelling that names it; NULL means the first.
SELECT (r).status, (r).content_type, (r).cache_control
FROM (SELECT mcp_oauth.protected_resource_metadata('https://mcp.example.com/mcp') r) s;
SELECT pg_temp.members(mcp_oauth.protected_resource_metadata('https://mcp.example.com/mcp'));
SELECT q AS asked, (mcp_oauth.protected_resource_metadata(q)).body::json->>'resource' AS resource
FROM unnest(ARRAY[NULL, 'https://mcp.example.com/mcp', 'HTTPS://MCP.EXAMPLE.COM/mcp',
				  'https://mcp.example.com:443/mcp/', 'https://other.example.com',
				  'https://other.example.com/']) q;

-- 7. Unknown resources: 404 with a JSON error.
SELECT q AS asked, (r).status, (r).content_type, (r).body::json->>'error' AS error
FROM (SELECT q, mcp_oauth.protected_resource_metadata(q) r
	  FROM unnest(ARRAY['https://mcp.example.com/other', 'https://evil.example.com/mcp',
						'http://mcp.example.com/mcp', 'https://mcp.example.com/MCP', 'not a uri', '']) q) s;

-- 8. JWKS: published keys only, public parts only; the first key is made
-- on demand.  After a rotation there are two keys, and the old one still signs.
SELECT (r).status, (r).content_type, (r).cache_control,
	   json_array_length((r).body::json->'keys') >= 1 AS has_keys
FROM (SELECT mcp_oauth.jwks() r) s;
BEGIN;
DELETE FROM mcp_oauth.signing_keys;
SELECT mcp_oauth.rotate_signing_key('ES256') ~ '^[A-Za-z0-9_-]{43}$' AS first_kid;
SELECT k->>'kty' AS kty, k->>'crv' AS crv, k->>'alg' AS alg, k->>'use' AS use,
	   length(k->>'x') AS x_len, length(k->>'y') AS y_len, (k->'d') IS NOT NULL AS has_private,
	   k->>'kid' = (SELECT kid FROM mcp_oauth.signing_keys) AS kid_matches
FROM json_array_elements((mcp_oauth.jwks()).body::json->'keys') k;
SELECT activates_at = now() AS first_signs_at_once, retired_at IS NULL AS not_retired
FROM mcp_oauth.signing_keys;
SELECT mcp_oauth.rotate_signing_key('EdDSA') ~ '^[A-Za-z0-9_-]{43}$' AS second_kid;
SELECT k->>'kty' AS kty, k->>'crv' AS crv, k->>'alg' AS alg, length(k->>'x') AS x_len, (k->'y') IS NOT NULL AS has_y
FROM json_array_elements((mcp_oauth.jwks()).body::json->'keys') k ORDER BY k->>'alg';
-- the new key signs after 10 minutes; the old one retires then
SELECT alg, activates_at - now() AS activates_in, retired_at - now() AS retires_in
FROM mcp_oauth.signing_keys ORDER BY alg;
-- kid is the RFC 7638 thumbprint of the public key
SELECT kid = rtrim(translate(encode(sha256(convert_to(
		'{"crv":"' || (public_jwk->>'crv') || '","kty":"' || (public_jwk->>'kty') || '","x":"'
		|| (public_jwk->>'x') || '"' || coalesce(',"y":"' || (public_jwk->>'y') || '"', '') || '}',
		'UTF8')), 'base64'), '+/', '-_'), '=') AS kid_is_thumbprint
FROM mcp_oauth.signing_keys ORDER BY alg;
SELECT audit.event, detail->>'alg' AS alg
FROM mcp_oauth.audit_log audit WHERE event = 'signing_key_rotated' ORDER BY audit_id DESC LIMIT 2;
COMMIT;

-- 9. A retired key stays published for the access token lifetime + leeway.
UPDATE mcp_oauth.signing_keys SET created_at = now() - interval '2 hours',
	activates_at = now() - interval '2 hours', retired_at = now() - interval '901 seconds'
WHERE alg = 'ES256';
SET mcp_oauth.access_token_lifetime = 900;
SET mcp_oauth.clock_leeway = 60;
SELECT json_array_length((mcp_oauth.jwks()).body::json->'keys') AS keys_while_tokens_live;
UPDATE mcp_oauth.signing_keys SET retired_at = now() - interval '961 seconds' WHERE alg = 'ES256';
SELECT json_array_length((mcp_oauth.jwks()).body::json->'keys') AS keys_after;

-- 10. Bad arguments to rotate_signing_key.
SELECT mcp_oauth.rotate_signing_key('RS256');
SELECT mcp_oauth.rotate_signing_key('none');
SELECT mcp_oauth.rotate_signing_key(NULL, interval '-1 minute');
-- a zero publish_ahead signs at once and retires the others at once
BEGIN;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS rotated;
SELECT count(*) FILTER (WHERE activates_at <= now() AND retired_at IS NULL) AS signing,
	   count(*) FILTER (WHERE retired_at = now()) AS retired_now
FROM mcp_oauth.signing_keys;
COMMIT;

-- 11. Who may call what.
SELECT p AS function, has_function_privilege('mcp_oauth_server', p, 'EXECUTE') AS server,
	   has_function_privilege('public', p, 'EXECUTE') AS public
FROM unnest(ARRAY['mcp_oauth.authorization_server_metadata()', 'mcp_oauth.openid_configuration()',
				  'mcp_oauth.protected_resource_metadata(text)', 'mcp_oauth.jwks()',
				  'mcp_oauth.verify_access_token(text, text, text[])',
				  'mcp_oauth.rotate_signing_key(text, interval)']) p;
RESET mcp_oauth.access_token_lifetime;
RESET mcp_oauth.clock_leeway;
