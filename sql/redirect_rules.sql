-- Redirect URI and display rules of the security review (issue 12):
-- the built-in mcp-agent's loopback redirects (RFC 8252 7.3, RFC 9700 4.11),
-- authorization response parameters in a redirect URI's query (RFC 9700
-- 4.1.3, RFC 9207), private-use schemes (RFC 8252 7.1), and characters a
-- consent page must not show (bidi controls, separators, invisible ones).
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;

-- Percent-encode every byte of s that is not unreserved.
CREATE FUNCTION pg_temp.enc(s text) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(CASE WHEN c ~ '^[A-Za-z0-9._~-]$' THEN c
		ELSE regexp_replace(upper(encode(convert_to(c, 'UTF8'), 'hex')), '(..)', '%\1', 'g')
		END, '' ORDER BY i), '')
	FROM regexp_split_to_table(s, '') WITH ORDINALITY AS t(c, i)
$$;

-- register() with a JSON body from a documentation address.
CREATE FUNCTION pg_temp.reg(body text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.register('application/json', NULL, body, '192.0.2.44')
$$;

-- Register a public client with one redirect URI (and a name).
CREATE FUNCTION pg_temp.reg_uri(uri text, name text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT pg_temp.reg(json_strip_nulls(json_build_object('redirect_uris', json_build_array(uri),
		'token_endpoint_auth_method', 'none', 'client_name', name))::text)
$$;

-- status, error and description of a response.
CREATE FUNCTION pg_temp.outcome(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT concat_ws(' ', r.status, coalesce(r.body::json->>'error', 'ok'),
					 r.body::json->>'error_description')
$$;

-- SQLSTATE and message of a statement, or 'ok'.
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- authorize() for client c with redirect URI uri (encoded here) and a valid rest.
CREATE FUNCTION pg_temp.az(c text, uri text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize('response_type=code&client_id=' || pg_temp.enc(c)
		|| '&redirect_uri=' || pg_temp.enc(uri)
		|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
		|| '&code_challenge_method=S256&state=xyz', '203.0.113.44')
$$;

-- One line for an authorize() answer: the consent descriptor, an error for
-- the person (never a redirect), or a redirect.
CREATE FUNCTION pg_temp.shown(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN r.status = 200 THEN '200 consent'
		WHEN r.location IS NOT NULL THEN '302 to ' || split_part(r.location, '?', 1)
		ELSE pg_temp.outcome(r) END
$$;

-- 1. mcp-agent takes any loopback redirect URI, any port, any path, but no
--    query: a local service's open redirector (?next=) would carry the code
--    away, and a query naming code or iss would double them.  Refused ones
--    are an error for the person, never a redirect.
SELECT v.uri, pg_temp.shown(pg_temp.az('mcp-agent', v.uri))
FROM (VALUES
	('http://localhost:3000/oauth/redirect'),
	('http://127.0.0.1:65000/any/deep/path/callback'),
	('http://[::1]:9/x'),
	('http://localhost/'),
	('http://localhost:3000/oauth/redirect?next=https://evil.example'),
	('http://127.0.0.1:8080/cb?x=1'),
	('http://127.0.0.1:8080/cb?'),
	('http://localhost:3000/cb?code=planted&iss=https://evil.example'),
	('http://localhost:3000/cb#frag'),
	('http://localhost:3000/cb?next=x#frag')
) AS v(uri);

-- 2. For every client, a redirect URI whose query names an authorization
--    response parameter (code, state, iss, error, error_description,
--    error_uri) is refused: at registration invalid_redirect_uri, from
--    create_client MO009.  Names are compared decoded and in any case.
SELECT v.uri, pg_temp.outcome(pg_temp.reg_uri(v.uri))
FROM (VALUES
	('https://app.example.com/cb?code=x'),
	('https://app.example.com/cb?state=x'),
	('https://app.example.com/cb?a=1&iss=https://as.example.com'),
	('https://app.example.com/cb?error=access_denied'),
	('https://app.example.com/cb?error_description=x'),
	('https://app.example.com/cb?error_uri=x'),
	('https://app.example.com/cb?code'),
	('https://app.example.com/cb?x=1&code='),
	('https://app.example.com/cb?CODE=x'),
	('https://app.example.com/cb?c%6Fde=x'),
	('https://app.example.com/cb?%73tate=x'),
	('http://127.0.0.1:8000/cb?iss=x'),
	('com.example.rr:/cb?code=x'),
	('https://app.example.com/cb?codes=1&x=code&mode=state&statement=1&iss_x=1'),
	('https://app.example.com/cb?tenant=a&&=b'),
	-- ';' separates parameters too, as older parsers read a query
	('https://app.example.com/cb?x=1;code=evil'),
	('https://app.example.com/cb?a=1&b=2;iss=https://evil.example'),
	('https://app.example.com/cb?;St%61te=x'),
	('http://127.0.0.1:8000/cb?x=1;error=x'),
	('https://app.example.com/cb?x=1;y=2'),
	('https://app.example.com/cb?x=1%3Bcode=evil')
) AS v(uri);
SELECT pg_temp.err($$SELECT mcp_oauth.create_client('RR planted', ARRAY['https://app.example.com/cb?iss=x'])$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_client('RR planted', ARRAY['https://app.example.com/ok', 'https://app.example.com/cb?state=1'])$$);
--    a row that holds one already (stored before these rules) is never
--    redirected to: the person gets the error page
INSERT INTO mcp_oauth.clients (client_id, client_name, redirect_uris, kind)
VALUES ('rr-old', 'RR old', '{https://app.example.com/cb?code=planted,http://127.0.0.1/cb?iss=x}', 'static');
SELECT v.uri, pg_temp.shown(pg_temp.az('rr-old', v.uri))
FROM (VALUES ('https://app.example.com/cb?code=planted'), ('http://127.0.0.1/cb?iss=x'),
			 ('http://127.0.0.1:5000/cb?iss=x')) AS v(uri);
SELECT pg_temp.shown(mcp_oauth.authorize('response_type=code&client_id=rr-old'
	|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
	'203.0.113.44')) AS without_redirect_uri;
--    nor when it is the only one and the request names none
INSERT INTO mcp_oauth.clients (client_id, client_name, redirect_uris, kind)
VALUES ('rr-old1', 'RR old one', '{https://app.example.com/cb?state=planted}', 'static'),
	   ('rr-old2', 'RR old scheme', '{mailto:victim@example.com}', 'static');
SELECT v.client, pg_temp.shown(mcp_oauth.authorize('response_type=code&client_id=' || v.client
	|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
	'203.0.113.44')) AS without_redirect_uri
FROM (VALUES ('rr-old1'), ('rr-old2')) AS v(client);
SELECT pg_temp.shown(pg_temp.az('rr-old2', 'mailto:victim@example.com')) AS with_redirect_uri;
DELETE FROM mcp_oauth.clients WHERE client_id IN ('rr-old', 'rr-old1', 'rr-old2');

-- 3. Private-use schemes (RFC 8252 7.1): a reverse-DNS name, or one word
--    with an authority (cursor://, vscode://); never a scheme the system
--    or a browser handles itself.
SELECT v.uri, pg_temp.outcome(pg_temp.reg_uri(v.uri))
FROM (VALUES
	('com.example.rr:/oauth2redirect'),
	('com.example.rr://callback'),
	('io.github.rr-tool:/cb'),
	('cursor://anysphere.cursor-mcp/oauth/callback'),
	('vscode://vscode.github-authentication/did-authenticate'),
	('myapp://callback'),
	('myapp:/callback'),
	('x:y'),
	('mailto:victim@example.com'),
	('mailto://victim@example.com'),
	('tel:+15555550100'),
	('sms://+15555550100'),
	('ms-settings:privacy'),
	('ms-word://host/ofe'),
	('search-ms://query=x'),
	('chrome-extension://abcdefghijklmnop/cb'),
	('chrome://settings'),
	('moz-extension://abc/cb'),
	('safari-web-extension://abc/cb'),
	('http+unix://%2Fvar%2Frun%2Fdocker.sock/cb'),
	('web+app://host/cb'),
	('x-apple.systempreferences:com.apple.preference'),
	('intent://host/cb'),
	('itms-services://host/cb'),
	('webcal://evil.example/cal'),
	('ftp://evil.example/cb'),
	('wss://evil.example/cb'),
	('javascript://host/%0aalert(1)'),
	('c://host/cb'),
	('com..example:/cb'),
	('com.-example:/cb'),
	('.com.example:/cb'),
	('com.example.:/cb'),
	--  handlers that open a browser, a store, a call or a meeting, a file
	--  share or a repository, or run something, by name and by family
	('itms-appss://apps.apple.com/app/id1'),
	('googlechrome://evil.example/cb'),
	('x-safari-https://evil.example/cb'),
	('shortcuts://run-shortcut?name=x'),
	('zoommtg://zoom.us/join?confno=1'),
	('msteams://teams.microsoft.com/l/meetup-join/x'),
	('skype://evil.example/call'),
	('git://evil.example/repo.git'),
	('smb://evil.example/share'),
	('teamviewer10://control/x'),
	('windowsdefender://threat'),
	--  reverse domain names in an OS or browser vendor's namespace
	('microsoft.windows.camera:/cb'),
	('Microsoft.Windows.Camera://host/cb'),
	('com.apple.preferences:/cb'),
	('com.google.android.apps.maps:/cb'),
	('org.mozilla.firefox:/cb'),
	--  and near them, an app's own
	('com.googleusercontent.apps.123-abc:/oauth2redirect'),
	('com.microsoftx.rr:/cb'),
	('slack://rr.example/cb')
) AS v(uri);
--    the redirect URIs of the clients people use register as before
SELECT v.client, pg_temp.outcome(pg_temp.reg(json_build_object('redirect_uris', v.uris,
	'token_endpoint_auth_method', 'none', 'client_name', 'RR ' || v.client)::text))
FROM (VALUES
	('Claude Code', '["http://localhost:51234/callback"]'::json),
	('Claude Desktop', '["http://127.0.0.1:46337/oauth/callback"]'),
	('claude.ai', '["https://claude.ai/api/mcp/auth_callback"]'),
	('ChatGPT', '["https://chatgpt.com/connector_platform_oauth_redirect"]'),
	('Cursor', '["cursor://anysphere.cursor-mcp/oauth/callback"]'),
	('VS Code', '["http://127.0.0.1:33418/", "https://vscode.dev/redirect", "vscode://vscode.github-authentication/did-authenticate"]'),
	('MCP Inspector', '["http://localhost:6274/oauth/callback", "http://localhost:6274/oauth/callback/debug"]')
) AS v(client, uris);
--    a private-use client without application_type is native
SELECT (pg_temp.reg_uri('cursor://anysphere.cursor-mcp/oauth/rr')).body::json->>'application_type' AS cursor_type;

-- 4. Displayed text: client_name (and every other text member) with a
--    bidi control, a line or paragraph separator, a C0 or C1 control or an
--    invisible character is refused (invalid_client_metadata); ordinary
--    non-ASCII names, emoji sequences included, are kept.
SELECT v.label, pg_temp.outcome(pg_temp.reg_uri('https://rr.example.com/cb', v.name))
FROM (VALUES
	('RLO U+202E', E'Claude\u202Eedoc'),
	('LRM U+200E', E'Claude\u200E'),
	('RLM U+200F', E'\u200FClaude'),
	('LRE U+202A', E'a\u202Ab'),
	('PDF U+202C', E'a\u202Cb'),
	('LRI U+2066', E'a\u2066b'),
	('PDI U+2069', E'a\u2069b'),
	('ALM U+061C', E'a\u061Cb'),
	('LS U+2028', E'Claude\u2028Approved by your admin'),
	('PS U+2029', E'Claude\u2029x'),
	('NEL U+0085', E'Claude\u0085x'),
	('C1 U+009B', E'a\u009Bb'),
	('ZWSP U+200B', E'Cla\u200Bude'),
	('WJ U+2060', E'a\u2060b'),
	('BOM U+FEFF', E'\uFEFFClaude'),
	('soft hyphen U+00AD', E'Cl\u00ADaude'),
	('Hangul filler U+3164', E'\u3164'),
	('private use U+E000', E'a\uE000b'),
	('tag U+E0041', E'a\U000E0041b'),
	('noncharacter U+FFFF', E'a\uFFFFb'),
	('plain', 'RR Plain Client'),
	('accents and CJK', E'Caf\u00E9 \u6771\u4EAC'),
	('emoji with ZWJ', E'RR \U0001F469\u200D\U0001F4BB tools \u2615\uFE0F')
) AS v(label, name);
SELECT v.member, pg_temp.outcome(pg_temp.reg(json_build_object('redirect_uris',
	json_build_array('https://rr.example.com/cb'), v.member, v.value)::text))
FROM (VALUES
	('software_id', to_json(E'rr\u202Etool'::text)),
	('software_version', to_json(E'1.0\u2028'::text)),
	('contacts', json_build_array(E'ops\u202E@example.com')),
	('client_uri', to_json('https://good.example@evil.example/'::text)),
	('tos_uri', to_json(E'https://rr.example.com/\u202Etos'::text)),
	('policy_uri', to_json('https://rr.example.com/policy'::text))
) AS v(member, value);
SELECT pg_temp.err(format('SELECT mcp_oauth.create_client(%L, ARRAY[%L])',
					E'RR Admin\u202Etxt.exe', 'https://rr.example.com/cb'));
SELECT pg_temp.err(format('SELECT mcp_oauth.create_client(%L, ARRAY[%L])',
					E'RR Admin\u2028line', 'https://rr.example.com/cb'));

-- 5. The consent descriptor: the kind of client (whether its name is its
--    own choice), whether it takes any loopback redirect, and what it shows
--    cleaned of such characters even when a row holds them (stored before
--    these rules, or a scope description an operator wrote).
SELECT b->>'client_name' AS client_name, b->>'client_kind' AS client_kind,
	   b->>'loopback_only' AS loopback_only
FROM (SELECT (pg_temp.az('mcp-agent', 'http://127.0.0.1:4000/cb')).body::json AS b) s;
SELECT (pg_temp.reg_uri('https://rr-dyn.example.com/cb', 'RR Dynamic')).body::json->>'client_id' AS dyn_id \gset
SELECT b->>'client_name' AS client_name, b->>'client_kind' AS client_kind,
	   b->>'loopback_only' AS loopback_only
FROM (SELECT (pg_temp.az(:'dyn_id', 'https://rr-dyn.example.com/cb')).body::json AS b) s;
INSERT INTO mcp_oauth.clients (client_id, client_name, redirect_uris, kind)
VALUES ('rr-spoof', E'Goo\u202Egle\u2028Verified by \u200Byour admin\u0085', '{https://rr.example.com/cb}', 'static');
INSERT INTO mcp_oauth.scopes (name, description, is_default)
VALUES ('rr:spoof', E'Read \u202Eevil\u202C files\u2029', false);
SELECT b->>'client_name' AS client_name, b->>'client_kind' AS client_kind,
	   b->'scopes'->0->>'description' AS description,
	   b::text !~ E'[\u0085\u200B-\u200F\u2028-\u202E]' AS no_controls
FROM (SELECT (mcp_oauth.authorize('response_type=code&client_id=rr-spoof&scope=rr%3Aspoof'
	|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
	'203.0.113.44')).body::json AS b) s;
DELETE FROM mcp_oauth.scopes WHERE name = 'rr:spoof';
DELETE FROM mcp_oauth.clients WHERE client_id = 'rr-spoof';

-- Leave no client of this file behind.
SELECT count(*) > 0 AS registered FROM mcp_oauth.clients WHERE client_name LIKE 'RR %';
DELETE FROM mcp_oauth.clients WHERE registered_from = '192.0.2.44' OR client_name LIKE 'RR %';
