-- Dynamic client registration (RFC 7591) and the admin client API
-- (create_client, delete_client).
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;

-- register() with a JSON body from a documentation address.
CREATE FUNCTION pg_temp.reg(body text, addr inet DEFAULT '192.0.2.10',
							ctype text DEFAULT 'application/json')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.register(ctype, NULL, body, addr)
$$;

-- status and error code of a registration (error is null on success).
CREATE FUNCTION pg_temp.outcome(r mcp_oauth.http_response) RETURNS text
LANGUAGE sql AS $$
	SELECT r.status || ' ' || coalesce(r.body::json->>'error', 'ok')
$$;

-- The stored row of a client.
CREATE FUNCTION pg_temp.client(id text) RETURNS mcp_oauth.clients
LANGUAGE sql AS $$
	SELECT * FROM mcp_oauth.clients WHERE client_id = id
$$;

-- 1. A public loopback client without application_type (MCP Inspector,
--    Claude Code): 201, native, no secret, defaults filled in.
SELECT pg_temp.reg('{"client_name": "Reg Inspector",
					 "redirect_uris": ["http://localhost:6274/oauth/callback"],
					 "token_endpoint_auth_method": "none"}') AS r \gset
SELECT (:'r'::mcp_oauth.http_response).status,
	   (:'r'::mcp_oauth.http_response).content_type,
	   (:'r'::mcp_oauth.http_response).cache_control;
SELECT b->>'client_id' ~ '^mcp_[0-9a-f-]{36}$' AS random_id,
	   b ? 'client_secret' AS has_secret,
	   b ? 'client_secret_expires_at' AS has_secret_expiry,
	   jsonb_typeof(b->'client_id_issued_at') AS issued_at,
	   b->'redirect_uris' AS redirect_uris,
	   b->>'token_endpoint_auth_method' AS auth_method,
	   b->'grant_types' AS grant_types,
	   b->'response_types' AS response_types,
	   b->>'application_type' AS application_type,
	   b->>'client_name' AS client_name
FROM (SELECT (:'r'::mcp_oauth.http_response).body::jsonb AS b) s;
SELECT (:'r'::mcp_oauth.http_response).body::jsonb->>'client_id' AS inspector_id \gset
SELECT c.kind, c.token_endpoint_auth_method, c.client_secret_hash IS NULL AS no_hash,
	   c.application_type, c.redirect_uris, c.registered_from,
	   c.metadata = (:'r'::mcp_oauth.http_response).body::jsonb AS metadata_as_returned
FROM pg_temp.client(:'inspector_id') c;

-- 2. Identical re-registration returns the same client_id, no new row.
SELECT (pg_temp.reg('{"client_name": "Reg Inspector",
					  "redirect_uris": ["http://localhost:6274/oauth/callback"],
					  "token_endpoint_auth_method": "none"}', '192.0.2.99')).body::jsonb->>'client_id'
	   = :'inspector_id' AS same_client_id;
SELECT count(*) FROM mcp_oauth.clients WHERE client_name = 'Reg Inspector';
SELECT event, detail->>'reused' AS reused FROM mcp_oauth.audit_log
WHERE client_id = :'inspector_id' ORDER BY audit_id;
--    ... but different metadata is a different client.
SELECT (pg_temp.reg('{"client_name": "Reg Inspector",
					  "redirect_uris": ["http://localhost:6274/oauth/callback"],
					  "token_endpoint_auth_method": "none",
					  "software_version": "2"}')).body::jsonb->>'client_id'
	   <> :'inspector_id' AS new_client_id;

-- 3. RFC 7591 default auth method: client_secret_basic, secret issued once,
--    only its hash stored; confidential clients are never reused.
SELECT pg_temp.reg('{"client_name": "Reg Confidential",
					 "redirect_uris": ["https://app.example.com/cb"]}') AS r \gset
SELECT (:'r'::mcp_oauth.http_response).status,
	   b->>'token_endpoint_auth_method' AS auth_method,
	   b->>'client_secret' ~ '^mcp_cs_[A-Za-z0-9_-]{43}$' AS secret_shape,
	   b->'client_secret_expires_at' AS secret_expires_at,
	   b->>'application_type' AS application_type
FROM (SELECT (:'r'::mcp_oauth.http_response).body::jsonb AS b) s;
SELECT c.client_secret_hash = sha256(convert_to(b->>'client_secret', 'UTF8')) AS hash_stored,
	   NOT (c.metadata ? 'client_secret') AS secret_not_in_metadata,
	   position(b->>'client_secret' IN c.metadata::text) = 0 AS secret_nowhere
FROM (SELECT (:'r'::mcp_oauth.http_response).body::jsonb AS b) s,
	 LATERAL pg_temp.client(b->>'client_id') c;
SELECT count(*) = 0 AS secret_not_audited FROM mcp_oauth.audit_log
WHERE detail::text LIKE '%mcp_cs_%';
SELECT (pg_temp.reg('{"client_name": "Reg Confidential",
					  "redirect_uris": ["https://app.example.com/cb"]}')).body::jsonb->>'client_id'
	   <> (:'r'::mcp_oauth.http_response).body::jsonb->>'client_id' AS confidential_not_reused;

-- 4. application_type: derived, explicit, and web with loopback allowed.
SELECT v.label, pg_temp.outcome(r), r.body::jsonb->>'application_type' AS application_type
FROM (VALUES
	('private-use scheme', '{"redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/user-Reg/callback"], "token_endpoint_auth_method": "none"}'),
	('reverse-DNS scheme', '{"redirect_uris": ["com.example.reg:/oauth2redirect"], "token_endpoint_auth_method": "none"}'),
	('loopback ipv6', '{"redirect_uris": ["http://[::1]:33418/cb"], "token_endpoint_auth_method": "none"}'),
	('https', '{"redirect_uris": ["https://claude.ai/api/mcp/auth_callback"], "token_endpoint_auth_method": "none"}'),
	('https + loopback', '{"redirect_uris": ["https://reg.example.com/cb", "http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}'),
	('web + loopback', '{"redirect_uris": ["http://127.0.0.1:8976/cb"], "application_type": "web", "token_endpoint_auth_method": "none"}'),
	('native + https', '{"redirect_uris": ["https://reg-native.example.com/cb"], "application_type": "native", "token_endpoint_auth_method": "none"}')
) AS v(label, body), LATERAL pg_temp.reg(v.body) r;

-- 5. Other metadata: optional fields returned, unknown ones ignored,
--    null treated as absent, client_secret_post, a narrower scope.
SELECT pg_temp.reg('{"client_name": "Reg Full",
					 "redirect_uris": ["https://full.example.com/cb"],
					 "token_endpoint_auth_method": "client_secret_post",
					 "grant_types": ["authorization_code"],
					 "response_types": ["code"],
					 "scope": "mcp:tools mcp:tools",
					 "contacts": ["ops@example.com"],
					 "client_uri": "https://full.example.com",
					 "logo_uri": "https://full.example.com/logo.png",
					 "tos_uri": "https://full.example.com/tos",
					 "policy_uri": "http://full.example.com/privacy",
					 "software_id": "reg-full", "software_version": "1.0",
					 "jwks_uri": "https://full.example.com/jwks",
					 "x_vendor": {"nested": [1, {"a": null}]},
					 "application_type": null}') AS r \gset
SELECT pg_temp.outcome(:'r'),
	   (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(b) k) AS members,
	   b->>'scope' AS scope, b->'grant_types' AS grant_types
FROM (SELECT (:'r'::mcp_oauth.http_response).body::jsonb AS b) s;
SELECT c.scope, c.grant_types, c.token_endpoint_auth_method
FROM pg_temp.client((:'r'::mcp_oauth.http_response).body::jsonb->>'client_id') c;

-- 6. Request errors: 400 invalid_client_metadata with a description.
SELECT v.label, pg_temp.outcome(r), r.body::json->>'error_description' AS description,
	   r.cache_control
FROM (VALUES
	('text/plain', 'text/plain', '{"redirect_uris": ["https://a.example.com/cb"]}'),
	('no content type', NULL, '{"redirect_uris": ["https://a.example.com/cb"]}'),
	('not JSON', 'application/json', '{"redirect_uris": ['),
	('array', 'application/json', '["https://a.example.com/cb"]'),
	('string', 'application/json', '"x"'),
	('empty body', 'application/json', ''),
	('null body', 'application/json', NULL),
	('duplicate member', 'application/json', '{"client_name": "a", "client_name": "b", "redirect_uris": ["https://a.example.com/cb"]}'),
	('too large', 'application/json', '{"client_name": "' || repeat('x', 9000) || '"}')
) AS v(label, ctype, body), LATERAL pg_temp.reg(v.body, '192.0.2.10', v.ctype) r;
--    a media type with parameters is fine
SELECT pg_temp.outcome(pg_temp.reg('{"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "none"}',
								   '192.0.2.10', 'Application/JSON; charset=utf-8'));

-- 7. Metadata errors.
SELECT v.label, pg_temp.outcome(r), r.body::json->>'error_description' AS description
FROM (VALUES
	('grant client_credentials', '{"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["client_credentials"]}'),
	('grant implicit', '{"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["implicit"]}'),
	('only refresh_token', '{"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["refresh_token"]}'),
	('response_type token', '{"redirect_uris": ["https://a.example.com/cb"], "response_types": ["token"]}'),
	('no response_types', '{"redirect_uris": ["https://a.example.com/cb"], "response_types": []}'),
	('private_key_jwt', '{"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "private_key_jwt"}'),
	('application_type', '{"redirect_uris": ["https://a.example.com/cb"], "application_type": "desktop"}'),
	('unknown scope', '{"redirect_uris": ["https://a.example.com/cb"], "scope": "mcp:tools admin"}'),
	('malformed scope', '{"redirect_uris": ["https://a.example.com/cb"], "scope": "a\"b"}'),
	('client_name number', '{"redirect_uris": ["https://a.example.com/cb"], "client_name": 5}'),
	('client_name control', '{"redirect_uris": ["https://a.example.com/cb"], "client_name": "a\nb"}'),
	('client_name long', '{"redirect_uris": ["https://a.example.com/cb"], "client_name": "' || repeat('n', 300) || '"}'),
	('logo_uri http', '{"redirect_uris": ["https://a.example.com/cb"], "logo_uri": "http://a.example.com/logo.png"}'),
	('client_uri javascript', '{"redirect_uris": ["https://a.example.com/cb"], "client_uri": "javascript:alert(1)"}'),
	('tos_uri no host', '{"redirect_uris": ["https://a.example.com/cb"], "tos_uri": "https://"}'),
	('policy_uri space', '{"redirect_uris": ["https://a.example.com/cb"], "policy_uri": "https://a.example.com/p q"}'),
	('contacts string', '{"redirect_uris": ["https://a.example.com/cb"], "contacts": "ops@example.com"}'),
	('grant_types numbers', '{"redirect_uris": ["https://a.example.com/cb"], "grant_types": [1]}')
) AS v(label, body), LATERAL pg_temp.reg(v.body) r;

-- 8. The redirect URI policy, through register: 400 invalid_redirect_uri
--    naming the offending element, or 201.
SELECT v.uri, pg_temp.outcome(r),
	   r.body::json->>'error_description' LIKE 'redirect_uris[0]: _%' AS has_reason
FROM (VALUES
	('https://app.example.com/callback'),
	('https://claude.com/api/mcp/auth_callback'),
	('https://app.example.com/cb?x=1'),
	('http://localhost/cb'),
	('http://localhost:3334/cb'),
	('http://127.0.0.1:65535/cb'),
	('http://[::1]/cb'),
	('vscode://vscode.github-authentication/did-authenticate'),
	('com.example.app:/oauth2redirect'),
	('http://app.example.com/cb'),
	('http://192.168.1.5/cb'),
	('https://app.example.com/cb#fragment'),
	('https://*.example.com/cb'),
	('https://user:pw@app.example.com/cb'),
	('https://app.example.com/c b'),
	('/relative/cb'),
	('javascript:alert(1)'),
	('data:text/html,hello'),
	('file:///etc/passwd'),
	('vbscript:msgbox'),
	('https:///cb'),
	('')
) AS v(uri),
LATERAL pg_temp.reg(json_build_object('redirect_uris', json_build_array(v.uri),
									  'token_endpoint_auth_method', 'none')::text) r;
--    the index of the offending element, and the other shapes
SELECT v.label, pg_temp.outcome(r), r.body::json->>'error_description' AS description
FROM (VALUES
	('second bad', '{"redirect_uris": ["https://a.example.com/cb", "http://a.example.com/cb"]}'),
	('missing', '{"client_name": "no uris"}'),
	('empty', '{"redirect_uris": []}'),
	('not an array', '{"redirect_uris": "https://a.example.com/cb"}'),
	('not strings', '{"redirect_uris": [["https://a.example.com/cb"]]}'),
	('null', '{"redirect_uris": null}'),
	('too many', '{"redirect_uris": [' || (SELECT string_agg('"https://a.example.com/cb' || i || '"', ',') FROM generate_series(1, 17) i) || ']}')
) AS v(label, body), LATERAL pg_temp.reg(v.body) r;
SELECT pg_temp.outcome(pg_temp.reg('{"redirect_uris": ["https://a.example.com/cb", "http://a.example.com/cb"]}'))
	   AS second_bad,
	   (pg_temp.reg('{"redirect_uris": ["https://a.example.com/cb", "http://a.example.com/cb"]}')).body::json->>'error_description'
	   LIKE 'redirect_uris[1]: %' AS names_element_1;

-- 9. Registration closed: 403 access_denied.
SET mcp_oauth.registration = closed;
SELECT pg_temp.outcome(r), r.body::json->>'error_description' AS description
FROM pg_temp.reg('{"redirect_uris": ["https://closed.example.com/cb"]}') r;
RESET mcp_oauth.registration;

-- 10. Rate limits (one transaction, so that now() is one hour window).
BEGIN;
SET LOCAL mcp_oauth.registration_rate_limit = 2;
--     per address: the third distinct registration from one address is refused
SELECT i, pg_temp.outcome(r), r.body::json->>'error_description' AS description
FROM generate_series(1, 3) i,
	 LATERAL pg_temp.reg(format('{"client_name": "Reg Limited %s", "redirect_uris": ["https://limited.example.com/cb"]}', i),
						 '198.51.100.77') r;
--     an allow-listed address is exempt from the per-address limit
SET LOCAL mcp_oauth.registration_allowlist = '203.0.113.0/24, 2001:db8::/32';
SELECT i, pg_temp.outcome(r)
FROM generate_series(1, 3) i,
	 LATERAL pg_temp.reg(format('{"client_name": "Reg Egress %s", "redirect_uris": ["https://egress.example.com/cb"]}', i),
						 '203.0.113.8') r;
SELECT i, pg_temp.outcome(r)
FROM generate_series(1, 3) i,
	 LATERAL pg_temp.reg(format('{"client_name": "Reg Egress6 %s", "redirect_uris": ["https://egress.example.com/cb"]}', i),
						 '2001:db8::5') r;
--     ... but not from the per-identity limit (software_id, from any address)
SELECT i, pg_temp.outcome(r)
FROM generate_series(1, 3) i,
	 LATERAL pg_temp.reg('{"software_id": "reg-same-software", "redirect_uris": ["https://same.example.com/cb"]}',
						 ('203.0.113.' || (20 + i))::inet) r;
--     ... nor client_name + redirect_uris when there is no software_id
SELECT i, pg_temp.outcome(r)
FROM generate_series(1, 3) i,
	 LATERAL pg_temp.reg('{"client_name": "Reg Same Name", "redirect_uris": ["https://same.example.com/cb"]}',
						 ('203.0.113.' || (30 + i))::inet) r;
--     identical public re-registration is not counted and always answered
SELECT i, pg_temp.outcome(r), r.body::jsonb->>'client_id' = :'inspector_id' AS same
FROM generate_series(1, 4) i,
	 LATERAL pg_temp.reg('{"client_name": "Reg Inspector",
						  "redirect_uris": ["http://localhost:6274/oauth/callback"],
						  "token_endpoint_auth_method": "none"}', '198.51.100.77') r;
SELECT (SELECT count(*) FROM mcp_oauth.clients WHERE client_name = 'Reg Limited 3') AS limited_3_rows,
	   (SELECT count(*) FROM mcp_oauth.clients WHERE client_name = 'Reg Same Name') AS same_name_rows;
COMMIT;

-- 11. Admin: create_client.
\set VERBOSITY sqlstate
SELECT client_id, client_secret IS NULL AS no_secret
FROM mcp_oauth.create_client('Reg Static', ARRAY['http://127.0.0.1/cb'], client_id => 'reg-static');
SELECT kind, token_endpoint_auth_method, application_type, scope, grant_types,
	   metadata->>'client_name' AS name
FROM pg_temp.client('reg-static');
SELECT c.client_secret ~ '^mcp_cs_' AS secret_shape,
	   s.client_secret_hash = sha256(convert_to(c.client_secret, 'UTF8')) AS hash_stored,
	   s.token_endpoint_auth_method, s.application_type, s.scope, s.client_id ~ '^mcp_' AS random_id
FROM mcp_oauth.create_client('Reg Static Confidential', ARRAY['https://static.example.com/cb'],
							 true, 'mcp:tools') c,
	 LATERAL pg_temp.client(c.client_id) s;
SELECT event FROM mcp_oauth.audit_log WHERE client_id = 'reg-static';
--     errors: already exists, bad redirect URIs, unknown scope, bad client_id
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://a.example.com/cb'], client_id => 'reg-static');
SELECT * FROM mcp_oauth.create_client('x', ARRAY['http://a.example.com/cb']);
SELECT * FROM mcp_oauth.create_client('x', ARRAY[]::text[]);
SELECT * FROM mcp_oauth.create_client('x', NULL);
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://a.example.com/cb'], scope => 'mcp:nope');
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://a.example.com/cb'], client_id => 'has space');
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://a.example.com/cb'], client_id => '');
SELECT * FROM mcp_oauth.create_client(E'a\tb', ARRAY['https://a.example.com/cb']);
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://a.example.com/cb'], client_id => 'mcp-agent');
--     create_client works when registration is closed
SET mcp_oauth.registration = closed;
SELECT client_id FROM mcp_oauth.create_client('Reg Closed', ARRAY['https://a.example.com/cb'], client_id => 'reg-closed');
RESET mcp_oauth.registration;

-- 12. Admin: delete_client removes the client, its grants and every code
--     and token they issued, and nothing of another client.
WITH g AS (
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
	VALUES ('reg-user', 'reg-static', '{mcp:tools}', 'https://mcp.example.com/mcp', now() + interval '1 day'),
		   ('reg-user', 'mcp-agent', '{mcp:tools}', 'https://mcp.example.com/mcp', now() + interval '1 day')
	RETURNING grant_id, client_id),
c AS (
	INSERT INTO mcp_oauth.authorization_codes (code_hash, grant_id, client_id, redirect_uri,
		redirect_uri_provided, code_challenge, expires_at)
	SELECT sha256(('reg-code-' || client_id)::bytea), grant_id, client_id, 'https://a.example.com/cb',
		   true, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', now() + interval '5 minutes' FROM g),
r AS (
	INSERT INTO mcp_oauth.refresh_tokens (token_hash, grant_id, scopes, expires_at)
	SELECT sha256(('reg-rt-' || client_id)::bytea), grant_id, '{mcp:tools}', now() + interval '1 day' FROM g)
INSERT INTO mcp_oauth.revoked_access_tokens (jti, grant_id, expires_at)
SELECT gen_random_uuid(), grant_id, now() + interval '15 minutes' FROM g;
SELECT mcp_oauth.delete_client('reg-static');
SELECT g.client_id,
	   (SELECT count(*) FROM mcp_oauth.authorization_codes c WHERE c.grant_id = g.grant_id) AS codes,
	   (SELECT count(*) FROM mcp_oauth.refresh_tokens t WHERE t.grant_id = g.grant_id) AS refresh,
	   (SELECT count(*) FROM mcp_oauth.revoked_access_tokens a WHERE a.grant_id = g.grant_id) AS denied_access
  FROM mcp_oauth.grants g WHERE g.subject = 'reg-user' ORDER BY 1;
SELECT (SELECT count(*) FROM mcp_oauth.authorization_codes c
		 WHERE NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.grant_id = c.grant_id)) AS orphan_codes,
	   (SELECT count(*) FROM mcp_oauth.refresh_tokens t
		 WHERE NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.grant_id = t.grant_id)) AS orphan_refresh,
	   (SELECT count(*) FROM mcp_oauth.revoked_access_tokens a
		 WHERE NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.grant_id = a.grant_id)) AS orphan_denied;
WITH g AS (DELETE FROM mcp_oauth.grants WHERE subject = 'reg-user' RETURNING grant_id),
c AS (DELETE FROM mcp_oauth.authorization_codes WHERE grant_id IN (SELECT grant_id FROM g)),
r AS (DELETE FROM mcp_oauth.refresh_tokens WHERE grant_id IN (SELECT grant_id FROM g))
DELETE FROM mcp_oauth.revoked_access_tokens WHERE grant_id IN (SELECT grant_id FROM g);
SELECT event, detail->>'grants_revoked' AS grants_revoked FROM mcp_oauth.audit_log
WHERE client_id = 'reg-static' ORDER BY audit_id;
SELECT mcp_oauth.delete_client('reg-static');
SELECT mcp_oauth.delete_client(NULL);
SELECT mcp_oauth.delete_client('mcp-agent');
SELECT count(*) AS builtin_kept FROM mcp_oauth.clients WHERE client_id = 'mcp-agent';

-- 13. RFC 7591 section 2: metadata the server does not understand is
--     ignored whatever its value (names repeated inside it, nesting as deep
--     as the body's size allows, a number of 64 bytes): each of these
--     registers, and the member is not stored.  A number beyond a double's
--     range (overflow or underflow), longer than 64 bytes or with an
--     exponent beyond 400 is not JSON to this server (RFC 8259 section 6
--     lets a reader limit the range and precision; jsonb could not hold
--     1e-20000), and a repeated member is reported only in valid JSON.
SELECT v.label, pg_temp.outcome(r), r.body::json->>'error_description' AS description
FROM (VALUES
	('repeated inside unknown', '{"x_vendor": {"a": 1, "a": [2]}}'),
	('nested 4000 deep', '{"x_vendor": ' || repeat('[', 4000) || repeat(']', 4000) || '}'),
	('64-byte number', '{"x_vendor": 1.' || repeat('0', 61) || '1}'),
	('65-byte number', '{"x_vendor": 1.' || repeat('0', 62) || '1}'),
	('number overflows', '{"x_vendor": 1e400}'),
	('number underflows', '{"x_vendor": 1e-20000}'),
	('zero, exponent 20000', '{"x_vendor": 0e-20000}'),
	('repeated, then not JSON', '{"client_name": "a", "client_name": "b", "x": }')
) AS v(label, extra),
LATERAL pg_temp.reg(rtrim('{"redirect_uris": ["https://ignored.example.com/cb"], "token_endpoint_auth_method": "none"}', '}')
					|| ', ' || ltrim(v.extra, '{')) r;
SELECT count(*) AS clients, count(*) FILTER (WHERE metadata ? 'x_vendor') AS stored_x_vendor
FROM mcp_oauth.clients WHERE redirect_uris = '{https://ignored.example.com/cb}';

-- 14. A write that an operator's trigger suppresses is an error (MO013): not
--     a client answered but never stored, a rate count read from no row, or
--     a deletion reported that did not happen.
BEGIN;
CREATE FUNCTION public.reg_suppress() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER reg_suppress BEFORE INSERT OR DELETE ON mcp_oauth.clients
	FOR EACH ROW EXECUTE FUNCTION public.reg_suppress();
SAVEPOINT s;
SELECT pg_temp.outcome(pg_temp.reg('{"redirect_uris": ["https://suppressed.example.com/cb"]}'));
ROLLBACK TO s;
SELECT * FROM mcp_oauth.create_client('x', ARRAY['https://suppressed.example.com/cb']);
ROLLBACK TO s;
SELECT mcp_oauth.delete_client('reg-closed');
ROLLBACK TO s;
DROP TRIGGER reg_suppress ON mcp_oauth.clients;
SET LOCAL mcp_oauth.registration_rate_limit = 5;
CREATE TRIGGER reg_suppress BEFORE INSERT ON mcp_oauth.rate_limits
	FOR EACH ROW EXECUTE FUNCTION public.reg_suppress();
SELECT pg_temp.outcome(pg_temp.reg('{"redirect_uris": ["https://suppressed.example.com/cb"]}'));
ROLLBACK;
SELECT count(*) AS reg_closed_kept FROM mcp_oauth.clients WHERE client_id = 'reg-closed';
