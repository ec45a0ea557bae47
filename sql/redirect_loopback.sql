-- Loopback redirect URIs as clients publish them (issue 14, item 3).
-- Claude Code registers (and publishes) portless http://localhost/callback
-- and http://127.0.0.1/callback and calls back on the port the system gave
-- it; Cursor registers cursor://anysphere.cursor-retrieval/oauth/user-NAME/
-- callback.  What lib/uri.h decides (RFC 8252 7.3 and 8.3, OAuth 2.1
-- 2.3.1), through registration, authorize(), the consent, the trust of a
-- redirect URI and the token endpoint:
--   - the port of a loopback http URI varies, whether or not one was
--     registered; nothing else does: scheme, host (localhost, 127.0.0.1 and
--     [::1] never match each other), path and query are byte-exact;
--   - https on a loopback host is exact;
--   - the code is bound to the URI with the port the request named.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- Register a public client with these redirect URIs (a JSON array) and no
-- application_type; the response body.
CREATE FUNCTION pg_temp.publish(name text, uris text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT (mcp_oauth.register('application/json', NULL,
		json_build_object('client_name', 'RL ' || name, 'redirect_uris', uris::json,
						  'token_endpoint_auth_method', 'none')::text,
		'192.0.2.81')).body::jsonb
$$;

-- An authorization request of client c to redirect URI uri (form-encoded
-- here), response_type as given.
CREATE FUNCTION pg_temp.ask(c text, uri text, response_type text DEFAULT 'code')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize('response_type=' || response_type || '&client_id=' || c
		|| '&redirect_uri=' || replace(replace(replace(replace(replace(uri, '%', '%25'),
			'&', '%26'), '?', '%3F'), '#', '%23'), ' ', '%20')
		|| '&state=rl&code_challenge_method=S256&code_challenge='
		|| rtrim(translate(encode(sha256(convert_to(
			'loopback-verifier-abcdefghijklmnopqrstuvwxyz-0123456789', 'UTF8')), 'base64'),
			'+/', '-_'), '='), '192.0.2.82')
$$;

-- An authorize() answer in one line: consent (and the redirect URI and host
-- it shows), an error page for the person, or a redirect and its error.
CREATE FUNCTION pg_temp.answer(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN r.status = 200 THEN 'consent for ' || (r.body::json->>'redirect_uri')
			|| ' at ' || (r.body::json->>'redirect_host')
		WHEN r.location IS NOT NULL THEN r.status || ' to ' || split_part(r.location, '?', 1)
			|| coalesce(' error=' || (regexp_match(r.location, '[?&]error=([^&]*)'))[1], '')
		ELSE r.status || ' page: ' || (r.body::json->>'error_description')
	END
$$;

-- The answer to a request of client c to each of uris, in order.
CREATE FUNCTION pg_temp.answers(c text, response_type text, VARIADIC uris text[])
RETURNS TABLE (presented text, answer text) LANGUAGE sql AS $$
	SELECT u, pg_temp.answer(pg_temp.ask(c, u, response_type))
	FROM unnest(uris) WITH ORDINALITY AS t(u, i) ORDER BY i
$$;

-- Approve a request of client c to uri as rl-alice; the code.
CREATE FUNCTION pg_temp.approve(c text, uri text) RETURNS text LANGUAGE sql AS $$
	SELECT (regexp_match((mcp_oauth.authorize_decision(
		(pg_temp.ask(c, uri)).body::json->>'request_id', 'rl-alice', true, NULL,
		'192.0.2.82')).location, '[?&]code=([^&]*)'))[1]
$$;

-- Exchange code of client c, naming redirect URI uri; status and error.
CREATE FUNCTION pg_temp.exchange(c text, code text, uri text) RETURNS text LANGUAGE sql AS $$
	SELECT r.status || ' ' || coalesce(r.body::json->>'error', 'tokens')
		|| coalesce(': ' || (r.body::json->>'error_description'), '')
	FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=authorization_code&client_id=' || c || '&code=' || code
		|| '&redirect_uri=' || replace(uri, '&', '%26')
		|| '&code_verifier=loopback-verifier-abcdefghijklmnopqrstuvwxyz-0123456789',
		'192.0.2.83') r
$$;

-- 1. Registration.  Claude Code's pair without application_type: 201,
--    native, the URIs kept as published (no port added).  Cursor's
--    per-server URI, and [::1] alone: native.  One https URI among
--    loopback ones: web.
SELECT pg_temp.publish('Claude Code', '["http://localhost/callback", "http://127.0.0.1/callback"]') AS b \gset
SELECT (:'b'::jsonb)->>'application_type' AS application_type,
	   (:'b'::jsonb)->'redirect_uris' AS redirect_uris,
	   (:'b'::jsonb)->>'token_endpoint_auth_method' AS auth_method,
	   (:'b'::jsonb) ? 'client_secret' AS has_secret;
SELECT (:'b'::jsonb)->>'client_id' AS claude \gset
SELECT application_type, redirect_uris FROM mcp_oauth.clients WHERE client_id = :'claude';
SELECT v.name, coalesce(b->>'application_type', b->>'error_description') AS application_type
FROM (VALUES
	('Cursor', '["cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback"]'),
	('IPv6 loopback', '["http://[::1]/callback"]'),
	('loopback and private-use', '["http://127.0.0.1/cb", "com.example.rl:/cb"]'),
	('loopback and https', '["http://127.0.0.1/cb", "https://rl.example.com/cb"]'),
	('https on a loopback host', '["https://localhost:8443/cb"]')
) AS v(name, uris), LATERAL pg_temp.publish(v.name, v.uris) AS b;

-- 2. Claude Code's client: any port on the host it registered, and the
--    same URI with no port; nothing that differs in anything but the port.
SELECT * FROM pg_temp.answers(:'claude', 'code',
	'http://localhost:54321/callback',
	'http://localhost/callback',
	'http://localhost:80/callback',
	'http://localhost:1/callback',
	'http://localhost:65535/callback',
	'http://127.0.0.1:54321/callback',
	'http://127.0.0.1/callback',
	'http://[::1]:54321/callback',
	'http://LOCALHOST:54321/callback',
	'HTTP://localhost:54321/callback',
	'https://localhost:54321/callback',
	'http://localhost.:54321/callback',
	'http://127.0.0.2:54321/callback',
	'http://[::ffff:127.0.0.1]:54321/callback',
	'http://localhost:54321/callback/',
	'http://localhost:54321/Callback',
	'http://localhost:54321/callback?x=1',
	'http://localhost:54321/callback?',
	'http://localhost:54321/callback#x',
	'http://localhost:0/callback',
	'http://localhost:65536/callback',
	'http://localhost:054321/callback',
	'http://localhost:54321@evil.example/callback');

-- 3. A registered port is no promise that the client listens there: it
--    varies too (OAuth 2.1 2.3.1 excepts the port of a loopback URI,
--    whatever was registered), still on the host it names only.
SELECT (pg_temp.publish('ported', '["http://127.0.0.1:8080/cb"]'))->>'client_id' AS ported \gset
SELECT * FROM pg_temp.answers(:'ported', 'code',
	'http://127.0.0.1:8080/cb',
	'http://127.0.0.1:51234/cb',
	'http://127.0.0.1/cb',
	'http://localhost:8080/cb',
	'http://[::1]:8080/cb');

-- 4. The query of a loopback URI is exact, byte for byte.
SELECT (pg_temp.publish('query', '["http://localhost/cb?tenant=a"]'))->>'client_id' AS queried \gset
SELECT * FROM pg_temp.answers(:'queried', 'code',
	'http://localhost:5000/cb?tenant=a',
	'http://localhost/cb?tenant=a',
	'http://localhost:5000/cb?tenant=b',
	'http://localhost:5000/cb?tenant=a&x=1',
	'http://localhost:5000/cb');

-- 5. https on a loopback host is exact: its port is a server's, with a
--    certificate, not an app's ephemeral listener.
SELECT client_id AS https_loop FROM mcp_oauth.clients WHERE client_name = 'RL https on a loopback host' \gset
SELECT * FROM pg_temp.answers(:'https_loop', 'code',
	'https://localhost:8443/cb',
	'https://localhost:9443/cb',
	'https://localhost/cb',
	'http://localhost:8443/cb');

-- 6. Approved on an ephemeral port, the code goes there and is bound to
--    that URI: the token request names it with the same port, not the
--    registered one, nor another port.  (A mismatch does not use the code.)
SELECT pg_temp.approve(:'claude', 'http://localhost:54321/callback') AS code \gset
SELECT v.named, pg_temp.exchange(:'claude', :'code', v.named)
FROM (VALUES
	('http://localhost/callback'),
	('http://localhost:54322/callback'),
	('http://127.0.0.1:54321/callback')
) AS v(named);
SELECT pg_temp.exchange(:'claude', :'code', 'http://localhost:54321/callback') AS same_port;
SELECT redirect_uri, redirect_uri_provided FROM mcp_oauth.authorization_codes
WHERE code_hash = sha256(convert_to(:'code', 'UTF8'));

-- 7. The person approved a request to http://localhost/callback (on port
--    54321): its registered form is trusted, on every port, so errors of
--    later requests there are redirected (the next run of the app has
--    another port); 127.0.0.1, which no person approved, is not.
SELECT approved_redirect_uris FROM mcp_oauth.clients WHERE client_id = :'claude';
SELECT * FROM pg_temp.answers(:'claude', 'token',
	'http://localhost:54321/callback',
	'http://localhost:61000/callback',
	'http://localhost/callback',
	'http://127.0.0.1:61000/callback');

-- 8. Cursor's per-server URI: exact (a private-use scheme has no port to
--    vary), approved with the code appended.
SELECT client_id AS cursor FROM mcp_oauth.clients WHERE client_name = 'RL Cursor' \gset
SELECT * FROM pg_temp.answers(:'cursor', 'code',
	'cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback',
	'cursor://anysphere.cursor-retrieval/oauth/user-keboola-data_warehouse/callback',
	'cursor://anysphere.cursor-retrieval/oauth/user-evil/callback',
	'cursor://anysphere.cursor-retrieval:5/oauth/user-keboola-Data_warehouse/callback');
SELECT pg_temp.approve(:'cursor',
	'cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback') AS code \gset
SELECT pg_temp.exchange(:'cursor', :'code',
	'cursor://anysphere.cursor-retrieval/oauth/user-keboola-Data_warehouse/callback') AS cursor_tokens;
