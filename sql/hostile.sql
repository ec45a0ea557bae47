-- Hostile input at every endpoint function.  Each must answer with a row
-- (an OAuth error, or a harmless success), never raise: a raise is an HTTP
-- 500 for the client and rolls back what had to commit.  Bad inet values
-- are not tested: the inet type refuses them before any function runs.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = 'open';
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- hostile-public is an administrator's (its errors are redirected);
-- hostile-phish registered itself with a phishing page as redirect URI.
INSERT INTO mcp_oauth.clients (client_id, client_secret_hash, token_endpoint_auth_method,
							   redirect_uris, kind)
VALUES ('hostile-public', NULL, 'none', '{https://app.example.com/cb}', 'static'),
	   ('hostile-conf', sha256('hostile-secret'), 'client_secret_basic',
		'{https://app.example.com/cb}', 'dynamic'),
	   ('hostile-phish', NULL, 'none', '{https://evil.example/phish}', 'dynamic');

-- Run "SELECT * FROM <call>" (an http_response) and summarize it:
-- status, the OAuth error (from the body, or the Location of a redirect),
-- Cache-Control, the challenge scheme; or RAISED and the SQLSTATE.
CREATE FUNCTION pg_temp.try(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response;
BEGIN
	EXECUTE 'SELECT * FROM ' || call INTO r;
	RETURN concat_ws(' ', r.status,
		coalesce(CASE WHEN r.location IS NOT NULL
					  THEN substring(r.location FROM '[?&]error=([^&]*)')
					  WHEN r.body ~ '^\{' THEN r.body::json->>'error' END, '-'),
		coalesce(r.cache_control, '-'),
		split_part(r.www_authenticate, ' ', 1));
EXCEPTION WHEN OTHERS THEN
	RETURN 'RAISED ' || SQLSTATE;
END
$$;

-- Run a statement of any other shape; 'ok' or RAISED and the SQLSTATE.
CREATE FUNCTION pg_temp.try_any(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN 'RAISED ' || SQLSTATE;
END
$$;

CREATE FUNCTION pg_temp.b64url(s text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(convert_to(s, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

-- 1. register(content_type, authorization, body, client_addr)
CREATE TEMP TABLE reg_cases (n serial, label text, ct text, body text);
INSERT INTO reg_cases (label, ct, body) VALUES
	('all null', NULL, NULL),
	('no body', 'application/json', NULL),
	('empty body', 'application/json', ''),
	('text/plain', 'text/plain', '{"redirect_uris":["https://a.example.com/cb"]}'),
	('json null', 'application/json', 'null'),
	('json array', 'application/json', '[]'),
	('json string', 'application/json', '"x"'),
	('json number', 'application/json', '42'),
	('trailing garbage', 'application/json', '{"redirect_uris":["https://a.example.com/cb"]} x'),
	('redirect_uris string', 'application/json', '{"redirect_uris":"https://a.example.com/cb"}'),
	('redirect_uris number', 'application/json', '{"redirect_uris":1}'),
	('redirect_uris object', 'application/json', '{"redirect_uris":{"a":"https://a.example.com/cb"}}'),
	('redirect_uris nested', 'application/json', '{"redirect_uris":[["https://a.example.com/cb"]]}'),
	('redirect_uris [null]', 'application/json', '{"redirect_uris":[null]}'),
	('redirect_uris [obj]', 'application/json', '{"redirect_uris":[{"u":"https://a.example.com/cb"}]}'),
	('redirect_uris empty', 'application/json', '{"redirect_uris":[]}'),
	('redirect_uri control', 'application/json', '{"redirect_uris":["https://a.example.com/c\u0001b"]}'),
	('redirect_uri huge port', 'application/json', '{"redirect_uris":["http://127.0.0.1:99999999999/cb"]}'),
	('client_name number', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":5}'),
	('client_name huge number', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":1e999999}'),
	('client_name object', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":{"x":[1]}}'),
	('client_name control', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":"a\nb"}'),
	('client_name \u0000', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":"a\u0000b"}'),
	('lone surrogate', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":"\ud800"}'),
	('duplicate member', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"redirect_uris":["https://b.example.com/cb"]}'),
	('grant_types string', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"grant_types":"authorization_code"}'),
	('auth method number', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"token_endpoint_auth_method":0}'),
	('scope array', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"scope":["mcp:tools"]}'),
	('deeply nested', 'application/json', '{"a":' || repeat('[', 4000) || repeat(']', 4000) || '}'),
	('deeply nested objects', 'application/json', '{"a":' || repeat('{"a":', 1300) || '1' || repeat('}', 1300) || '}'),
	('too large', 'application/json', '{"client_name":"' || repeat('x', 9000) || '"}'),
	('redirect_uri mailto', 'application/json', '{"redirect_uris":["mailto:victim@example.com"]}'),
	('redirect_uri chrome-extension', 'application/json', '{"redirect_uris":["chrome-extension://abcdef/cb"]}'),
	('redirect_uri http+unix', 'application/json', '{"redirect_uris":["http+unix://%2Fvar%2Frun%2Fdocker.sock/cb"]}'),
	('redirect_uri planted code', 'application/json', '{"redirect_uris":["https://a.example.com/cb?code=planted&iss=https://evil.example"]}'),
	('redirect_uri planted ;code', 'application/json', '{"redirect_uris":["https://a.example.com/cb?x=1;code=planted"]}'),
	('redirect_uri googlechrome', 'application/json', '{"redirect_uris":["googlechrome://evil.example/cb"]}'),
	('redirect_uri zoommtg', 'application/json', '{"redirect_uris":["zoommtg://zoom.us/join?confno=1"]}'),
	('redirect_uri windows camera', 'application/json', '{"redirect_uris":["microsoft.windows.camera:/cb"]}'),
	('client_name RLO', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":"Goo\u202eelg"}'),
	('client_name LS', 'application/json', '{"redirect_uris":["https://a.example.com/cb"],"client_name":"a\u2028Verified"}'),
	('fine, charset', 'application/json; charset=utf-8', '{"redirect_uris":["https://hostile.example.com/cb"],"token_endpoint_auth_method":"none"}');
SELECT n, label, pg_temp.try(format('mcp_oauth.register(%L, %L, %L, %L)',
									ct, 'garbage', body, '192.0.2.1')) AS result
  FROM reg_cases ORDER BY n;

-- 2. authorize(query, client_addr)
CREATE TEMP TABLE authz_cases (n serial, label text, query text);
INSERT INTO authz_cases (label, query) VALUES
	('null', NULL),
	('empty', ''),
	('lone %', '%'),
	('bad escape', 'client_id=%zz'),
	('NUL', 'client_id=hostile-public%00'),
	('invalid UTF-8', 'client_id=%FF%FE'),
	('control character', 'client_id=hostile-public&state=a%01b'),
	('unknown client', 'client_id=nobody'),
	('client_id repeated', 'client_id=hostile-public&client_id=hostile-public'),
	('redirect_uri unregistered', 'client_id=hostile-public&redirect_uri=https://evil.example.com/cb'),
	('redirect_uri userinfo', 'client_id=mcp-agent&redirect_uri=http://127.0.0.1@evil.example.com/cb'),
	('redirect_uri lookalike', 'client_id=mcp-agent&redirect_uri=http://localhost.evil.example.com/cb'),
	('repeat + invalid UTF-8', 'client_id=hostile-public&state=%FF&state=x'),
	('repeat + control', 'client_id=hostile-public&state=%0A&state=x'),
	('repeated parameter', 'client_id=hostile-public&x=1&x=2'),
	('too large', 'client_id=hostile-public&x=' || repeat('a', 70000)),
	('too many parameters', 'client_id=hostile-public' || (SELECT string_agg('&p' || i || '=1', '') FROM generate_series(1, 70) i)),
	('state too long', 'client_id=hostile-public&response_type=code&state=' || repeat('s', 1025)),
	('response_type token', 'client_id=hostile-public&response_type=token'),
	('no code_challenge', 'client_id=hostile-public&response_type=code'),
	('plain PKCE', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=plain'),
	('short challenge', 'client_id=hostile-public&response_type=code&code_challenge=abc&code_challenge_method=S256'),
	('bad scope', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&scope=bad%22scope'),
	('unknown scope', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&scope=admin'),
	('unknown resource', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&resource=https://evil.example.com/mcp'),
	('huge resource', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&resource=https://' || repeat('x', 5000)),
	('two resources', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&resource=https://mcp.example.com/mcp&resource=https://mcp.example.com/mcp'),
	('mcp-agent open redirect', 'client_id=mcp-agent&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Foauth%2Fredirect%3Fnext%3Dhttps%3A%2F%2Fevil.example'),
	('mcp-agent planted iss', 'client_id=mcp-agent&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb%3Fiss%3Dhttps%3A%2F%2Fevil.example'),
	('fine', 'client_id=hostile-public&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&state=s'),
	-- open redirector (RFC 9700 4.11.2): a self-registered client that no
	-- person approved gets no 302 to its redirect URI from an error
	('phish: response_type x', 'client_id=hostile-phish&response_type=x'),
	('phish: no PKCE', 'client_id=hostile-phish&response_type=code&redirect_uri=https://evil.example/phish'),
	('phish: repeated parameter', 'client_id=hostile-phish&x=1&x=2'),
	('phish: unknown scope', 'client_id=hostile-phish&response_type=code&code_challenge=' || repeat('A', 43) || '&code_challenge_method=S256&scope=admin');
SELECT n, label, pg_temp.try(format('mcp_oauth.authorize(%L, %L)', query, '192.0.2.1')) AS result
  FROM authz_cases ORDER BY n;

-- 3. authorize_decision(request_id, subject, approve, granted_scope, client_addr)
SELECT (mcp_oauth.authorize('client_id=hostile-public&response_type=code&code_challenge='
		|| repeat('A', 43) || '&code_challenge_method=S256&scope=mcp:tools', NULL)).body::json->>'request_id'
	AS request_id \gset
CREATE TEMP TABLE decision_cases (n serial, label text, call text);
INSERT INTO decision_cases (label, call) VALUES
	('all null', 'mcp_oauth.authorize_decision(NULL, NULL, NULL, NULL, NULL)'),
	('empty handle', $$mcp_oauth.authorize_decision('', 'alice', true, NULL, NULL)$$),
	('huge handle', $$mcp_oauth.authorize_decision(repeat('x', 100000), 'alice', true, NULL, NULL)$$),
	('approve, no subject', format('mcp_oauth.authorize_decision(%L, NULL, true, NULL, NULL)', :'request_id')),
	('approve, empty subject', format('mcp_oauth.authorize_decision(%L, %L, true, NULL, NULL)', :'request_id', '')),
	('blank granted scope', format('mcp_oauth.authorize_decision(%L, %L, true, %L, NULL)', :'request_id', 'alice', '   ')),
	('empty granted scope', format('mcp_oauth.authorize_decision(%L, %L, true, %L, NULL)', :'request_id', 'alice', '')),
	('scope not requested', format('mcp_oauth.authorize_decision(%L, %L, true, %L, NULL)', :'request_id', 'alice', 'mcp:prompts')),
	('malformed scope', format('mcp_oauth.authorize_decision(%L, %L, true, %L, NULL)', :'request_id', 'alice', E'mcp:tools\\')),
	('approve NULL: deny', format('mcp_oauth.authorize_decision(%L, %L, NULL, NULL, NULL)', :'request_id', 'alice')),
	('used', format('mcp_oauth.authorize_decision(%L, %L, true, NULL, NULL)', :'request_id', 'alice'));
SELECT n, label, pg_temp.try(call) AS result FROM decision_cases ORDER BY n;

-- 4. token(content_type, authorization, body, client_addr)
CREATE TEMP TABLE token_cases (n serial, label text, ct text, auth text, body text);
INSERT INTO token_cases (label, ct, auth, body) VALUES
	('all null', NULL, NULL, NULL),
	('json content type', 'application/json', NULL, '{"grant_type":"refresh_token"}'),
	('lone %', 'application/x-www-form-urlencoded', NULL, '%'),
	('NUL', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=a%00b'),
	('invalid UTF-8', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=%C3%28'),
	('too large', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&x=' || repeat('a', 70000)),
	('repeated', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=refresh_token&grant_type=refresh_token'),
	('Basic garbage', 'application/x-www-form-urlencoded', 'Basic !!!!', 'grant_type=refresh_token'),
	('Basic empty', 'application/x-www-form-urlencoded', 'Basic ', 'grant_type=refresh_token'),
	('Basic no colon', 'application/x-www-form-urlencoded', 'Basic ' || encode('hostile-conf', 'base64'), 'grant_type=refresh_token'),
	('Basic NUL', 'application/x-www-form-urlencoded', 'Basic ' || encode(decode('686f7374696c65003a78', 'hex'), 'base64'), 'grant_type=refresh_token'),
	('Basic invalid UTF-8', 'application/x-www-form-urlencoded', 'Basic ' || encode('\xfffe3a78'::bytea, 'base64'), 'grant_type=refresh_token'),
	('Basic escaped bytes', 'application/x-www-form-urlencoded', 'Basic ' || encode('%FF%01:x', 'base64'), 'grant_type=refresh_token'),
	('Basic huge', 'application/x-www-form-urlencoded', 'Basic ' || repeat('QUFB', 5000), 'grant_type=refresh_token'),
	('Bearer scheme', 'application/x-www-form-urlencoded', 'Bearer abc', 'grant_type=refresh_token'),
	('Basic wrong secret', 'application/x-www-form-urlencoded', 'Basic ' || encode('hostile-conf:wrong', 'base64'), 'grant_type=refresh_token'),
	('Basic and post secret', 'application/x-www-form-urlencoded', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'grant_type=refresh_token&client_secret=x'),
	('no grant_type', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public'),
	('password grant', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=password'),
	('no code', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=authorization_code&code_verifier=' || repeat('v', 43)),
	('short verifier', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=authorization_code&code=abc&code_verifier=short'),
	('verifier bad chars', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=authorization_code&code=abc&code_verifier=' || repeat('%21', 43)),
	('unknown code', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=authorization_code&code=abc&code_verifier=' || repeat('v', 43)),
	('huge client_id', 'application/x-www-form-urlencoded', NULL, 'grant_type=refresh_token&refresh_token=x&client_secret=s&client_id=' || repeat('i', 60000)),
	('huge code', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=authorization_code&code=' || repeat('c', 60000) || '&code_verifier=' || repeat('v', 43)),
	('no refresh_token', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=refresh_token'),
	('unknown refresh_token', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=refresh_token&refresh_token=mcp_rt_nope'),
	('bad refresh scope', 'application/x-www-form-urlencoded', NULL, 'client_id=hostile-public&grant_type=refresh_token&refresh_token=mcp_rt_nope&scope=%20'),
	('huge public client_id', 'application/x-www-form-urlencoded', NULL, 'grant_type=refresh_token&client_id=' || repeat('i', 60000));
SELECT n, label, pg_temp.try(format('mcp_oauth.token(%L, %L, %L, %L)', ct, auth, body, '192.0.2.1')) AS result
  FROM token_cases ORDER BY n;
-- nothing that is not text reached the audit trail, no attacker's client_id
-- is kept whole, and every failure left a row (client_auth_failed, or
-- token_request_failed with its error)
SELECT count(*) AS bad_audit_rows FROM mcp_oauth.audit_log
 WHERE client_id IS NOT NULL AND client_id !~ '^[[:print:]]*$';
SELECT max(length(client_id)) AS longest_audited_client_id FROM mcp_oauth.audit_log;
SELECT event, detail->>'error' AS error, count(*) FROM mcp_oauth.audit_log
 WHERE event IN ('client_auth_failed', 'token_request_failed')
 GROUP BY 1, 2 ORDER BY 1, 2;

-- 4b. A used code replayed by whoever saw it (browser history, a log)
-- without the PKCE verifier or with another redirect URI revokes nothing
-- (RFC 9700 4.5); only the replay with the proof revokes the grant.
SELECT substring((mcp_oauth.authorize_decision((mcp_oauth.authorize(
		'client_id=hostile-public&response_type=code&code_challenge='
		|| 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256', NULL)).body::json->>'request_id',
	'alice', true, NULL, NULL)).location FROM '[?&]code=([^&]+)') AS used_code \gset
SELECT grant_id AS used_grant FROM mcp_oauth.authorization_codes
 WHERE code_hash = sha256(convert_to(:'used_code', 'UTF8')) \gset
\set proof '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
-- (a function: a subquery would see the grant as the statement began)
CREATE FUNCTION pg_temp.grant_live(gid bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	RETURN (SELECT revoked_at IS NULL FROM mcp_oauth.grants WHERE grant_id = gid);
END
$$;
SELECT label, pg_temp.try(format('mcp_oauth.token(%L, NULL, %L, NULL)',
		'application/x-www-form-urlencoded',
		'client_id=hostile-public&grant_type=authorization_code&code=' || :'used_code' || extra)) AS result,
	pg_temp.grant_live(:used_grant) AS grant_live
  FROM (VALUES (1, 'redeemed', :'proof'),
			   (2, 'replay, no verifier', ''),
			   (3, 'replay, wrong verifier', '&code_verifier=' || repeat('v', 43)),
			   (4, 'replay, other redirect_uri', :'proof' || '&redirect_uri=https://app.example.com/other'),
			   (5, 'replay with the proof', :'proof')) v(n, label, extra)
 ORDER BY n;
SELECT revoked_reason FROM mcp_oauth.grants WHERE grant_id = :used_grant;
-- and no audit row keeps more than a few hundred bytes of what was sent
SELECT max(octet_length(client_id)) <= 256 AS client_id_clipped,
	   max(octet_length(detail::text)) <= 2048 AS detail_bounded
  FROM mcp_oauth.audit_log WHERE client_addr = '192.0.2.1';

-- 5. revoke and introspect(content_type, authorization, body, client_addr)
CREATE TEMP TABLE rev_cases (n serial, label text, fn text, auth text, body text);
INSERT INTO rev_cases (label, fn, auth, body) VALUES
	('revoke: all null', 'revoke', NULL, NULL),
	('revoke: no token', 'revoke', NULL, 'client_id=hostile-public'),
	('revoke: empty token', 'revoke', NULL, 'client_id=hostile-public&token='),
	('revoke: dots', 'revoke', NULL, 'client_id=hostile-public&token=a.b.c'),
	('revoke: JWT, aud array of numbers', 'revoke', NULL, 'client_id=hostile-public&token=' || pg_temp.b64url('{"alg":"ES256","kid":"x"}') || '.' || pg_temp.b64url('{"aud":[1,{}]}') || '.AAAA'),
	('revoke: JWT, aud unknown', 'revoke', NULL, 'client_id=hostile-public&token=' || pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"x"}') || '.' || pg_temp.b64url('{"aud":"https://evil.example.com"}') || '.AAAA'),
	('revoke: refresh-shaped', 'revoke', NULL, 'client_id=hostile-public&token=mcp_rt_' || repeat('x', 43)),
	('revoke: PAT-shaped', 'revoke', NULL, 'client_id=hostile-public&token=mcp_pat_' || repeat('x', 49)),
	('revoke: huge token', 'revoke', NULL, 'client_id=hostile-public&token=' || repeat('t', 60000)),
	('revoke: unknown hint', 'revoke', NULL, 'client_id=hostile-public&token=x&token_type_hint=%FF'),
	('introspect: all null', 'introspect', NULL, NULL),
	('introspect: public client', 'introspect', NULL, 'client_id=hostile-public&token=x'),
	('introspect: no token', 'introspect', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), ''),
	('introspect: dots', 'introspect', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'token=a.b.c'),
	('introspect: refresh-shaped', 'introspect', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'token=mcp_rt_x'),
	('introspect: JWT garbage', 'introspect', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'token=' || pg_temp.b64url('{"alg":"none"}') || '.' || pg_temp.b64url('{"aud":"https://mcp.example.com/mcp"}') || '.'),
	('introspect: huge token', 'introspect', 'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'token=' || repeat('t', 60000)),
	('introspect: huge public client_id', 'introspect', NULL, 'token=x&client_id=' || repeat('i', 60000));
SELECT n, label, pg_temp.try(format('mcp_oauth.%s(%L, %L, %L, NULL)', fn,
		'application/x-www-form-urlencoded', auth, body)) AS result
  FROM rev_cases ORDER BY n;
SELECT (mcp_oauth.introspect('application/x-www-form-urlencoded',
		'Basic ' || encode('hostile-conf:hostile-secret', 'base64'), 'token=a.b.c', NULL)).body
	AS inactive_body;

-- 6. verify_access_token(token, resource, required_scopes): the token is
-- the hostile part (resource and required scopes are the caller's own
-- configuration, whose mistakes raise: see sql/verify.sql).
CREATE TEMP TABLE verify_cases (n serial, label text, token text);
INSERT INTO verify_cases (label, token) VALUES
	('null', NULL),
	('empty', ''),
	('one byte', 'x'),
	('huge', repeat('x', 1000000)),
	('PAT bad checksum', 'mcp_pat_' || repeat('x', 49)),
	('PAT too short', 'mcp_pat_'),
	('refresh token', 'mcp_rt_' || repeat('x', 43)),
	('dots only', '..'),
	('four parts', 'a.b.c.d'),
	('header not JSON', pg_temp.b64url('nope') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('header array', pg_temp.b64url('[]') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('header not base64url', '!!!.' || pg_temp.b64url('{}') || '.AAAA'),
	('alg none', pg_temp.b64url('{"alg":"none","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.'),
	('alg HS256', pg_temp.b64url('{"alg":"HS256","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('alg number', pg_temp.b64url('{"alg":1,"typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('kid number', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":1}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('kid huge', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"' || repeat('k', 4000) || '"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('no kid', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('typ JWT', pg_temp.b64url('{"alg":"ES256","typ":"JWT","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('crit', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"k","crit":["exp"]}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('duplicate header member', pg_temp.b64url('{"alg":"ES256","alg":"none","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.AAAA'),
	('claims nested deeply', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url(repeat('{"a":', 500) || '1' || repeat('}', 500)) || '.AAAA'),
	('claims with \u0000', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{"sub":"a\u0000b"}') || '.AAAA'),
	('unknown kid', pg_temp.b64url('{"alg":"ES256","typ":"at+jwt","kid":"k"}') || '.' || pg_temp.b64url('{}') || '.' || repeat('A', 86));
SELECT n, label, active, error, error_description,
	   www_authenticate ~ '^Bearer resource_metadata="[^"]+"(, error="[a-z_]+", error_description="[^"\\]*")?$' AS challenge_ok
  FROM verify_cases,
	   LATERAL mcp_oauth.verify_access_token(token, 'https://mcp.example.com/mcp', NULL)
 ORDER BY n;

-- 7. login, session_subject, logout
SELECT label, ok, session_token IS NULL AS no_session, subject, error
  FROM (VALUES (1, 'all null', NULL, NULL),
			   (2, 'empty', '', ''),
			   (3, 'huge', repeat('u', 100000), repeat('p', 100000)),
			   (4, 'quote and control', E'a''\x01b', E'\x01')) v(n, label, u, p),
	   LATERAL mcp_oauth.login(u, p, '192.0.2.1')
 ORDER BY n;
-- none names an account: their audit rows and rate_limits buckets keep
-- nothing of what was typed (it might be a password typed in the wrong
-- field), only that the user was unknown
SELECT event, subject, detail FROM mcp_oauth.audit_log
 WHERE event LIKE 'login%' AND client_addr = '192.0.2.1' ORDER BY audit_id;
SELECT count(*) AS typed_text_kept
  FROM (SELECT a::text AS t FROM mcp_oauth.audit_log a UNION ALL SELECT bucket FROM mcp_oauth.rate_limits) x
 WHERE strpos(t, 'uuuuuuuu') > 0 OR strpos(t, E'a''\x01b') > 0;
SELECT label, pg_temp.try_any(stmt) AS result
  FROM (VALUES (1, 'session_subject null', 'SELECT * FROM mcp_oauth.session_subject(NULL)'),
			   (2, 'session_subject empty', $$SELECT * FROM mcp_oauth.session_subject('')$$),
			   (3, 'session_subject huge', $$SELECT * FROM mcp_oauth.session_subject(repeat('s', 100000))$$),
			   (4, 'logout null', 'SELECT mcp_oauth.logout(NULL)'),
			   (5, 'logout empty', $$SELECT mcp_oauth.logout('')$$),
			   (6, 'logout huge', $$SELECT mcp_oauth.logout(repeat('s', 100000))$$)) v(n, label, stmt)
 ORDER BY n;
SELECT count(*) AS sessions FROM mcp_oauth.session_subject(repeat('s', 100000));

-- 8. discovery documents
SELECT label, pg_temp.try(call) AS result
  FROM (VALUES (1, 'metadata', 'mcp_oauth.authorization_server_metadata()'),
			   (2, 'openid', 'mcp_oauth.openid_configuration()'),
			   (3, 'jwks', 'mcp_oauth.jwks()'),
			   (4, 'resource null', 'mcp_oauth.protected_resource_metadata(NULL)'),
			   (5, 'resource empty', $$mcp_oauth.protected_resource_metadata('')$$),
			   (6, 'resource huge', $$mcp_oauth.protected_resource_metadata(repeat('x', 100000))$$),
			   (7, 'resource huge port', $$mcp_oauth.protected_resource_metadata('https://mcp.example.com:99999999/mcp')$$),
			   (8, 'resource uppercase', $$mcp_oauth.protected_resource_metadata('HTTPS://MCP.EXAMPLE.COM/mcp')$$),
			   (9, 'resource control', $$mcp_oauth.protected_resource_metadata(E'https://mcp.example.com/m\x01cp')$$)) v(n, label, call)
 ORDER BY n;

-- 9. Rotating addresses inside one IPv6 /64 (and names with them) does
--    not reset the limits: 10 registrations and 10 sign-ins, each from
--    another address of 2001:db8:4::/64 under another name, against a
--    limit of 3.
BEGIN;
SET LOCAL mcp_oauth.registration_rate_limit = 3;
SET LOCAL mcp_oauth.login_attempt_limit = 3;
SELECT (mcp_oauth.register('application/json', NULL,
		format('{"client_name": "rotator %s", "redirect_uris": ["https://rotate.example.com/cb"]}', i),
		('2001:db8:4::' || to_hex(i * 4099))::inet)).status, count(*)
  FROM generate_series(1, 10) i GROUP BY 1 ORDER BY 1;
SELECT l.error, count(*)
  FROM generate_series(1, 10) i,
	   LATERAL mcp_oauth.login('rotator-' || i, 'a wrong password',
							   ('2001:db8:4:0:' || to_hex(i) || '::1')::inet) l
 GROUP BY 1 ORDER BY 1;
ROLLBACK;
