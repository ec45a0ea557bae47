-- Security review (issue 12), findings 3, 5, 6, 14 and 16: whom the server
-- trusts with a redirect, a replay, an introspection and an expiry, and
-- what a failed request leaves in the audit.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.access_token_lifetime = 30;
SET mcp_oauth.clock_leeway = 60;
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- S256 challenge of a verifier.
CREATE FUNCTION pg_temp.challenge(verifier text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '+/', '-_'), '=')
$$;
\set verifier 'trust-verifier-0123456789-0123456789-0123456789'

-- A dynamic registration from its own address; the response body.
CREATE FUNCTION pg_temp.reg(body text, addr inet) RETURNS json LANGUAGE sql AS $$
	SELECT (mcp_oauth.register('application/json', NULL, body, addr)).body::json
$$;

-- An authorization request of client to redirect, with extra parameters.
CREATE FUNCTION pg_temp.az(client text, redirect text, extra text DEFAULT '')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize('client_id=' || client || '&redirect_uri=' || redirect
		|| '&state=st&code_challenge=' || pg_temp.challenge('trust-verifier-0123456789-0123456789-0123456789')
		|| '&code_challenge_method=S256' || extra, '192.0.2.70')
$$;

-- One line per authorization response: status, where it goes, the error.
CREATE FUNCTION pg_temp.show(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT r.status || ' ' || coalesce(split_part(r.location, '?', 1), '-') || ' '
		|| coalesce(r.body::json->>'error',
					(regexp_match(r.location, '[?&]error=([^&]*)'))[1], '-')
$$;

-- The code of an approved request of client (subject approves).
CREATE FUNCTION pg_temp.code(client text, redirect text, subject text DEFAULT 'tr-alice')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response := pg_temp.az(client, redirect, '&response_type=code');
BEGIN
	r := mcp_oauth.authorize_decision(r.body::json->>'request_id', subject, true, NULL, '192.0.2.70');
	RETURN (regexp_match(r.location, '[?&]code=([^&]*)'))[1];
END
$$;

-- A token request; the response.
CREATE FUNCTION pg_temp.tok(body text, auth text DEFAULT NULL,
							ctype text DEFAULT 'application/x-www-form-urlencoded')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.token(ctype, auth, body, '192.0.2.71')
$$;

-- A code exchanged by a public client (verifier and redirect as given).
CREATE FUNCTION pg_temp.exchange(client text, code text, redirect text,
								 verifier text DEFAULT 'trust-verifier-0123456789-0123456789-0123456789')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT pg_temp.tok('grant_type=authorization_code&client_id=' || client
		|| '&code=' || code || coalesce('&redirect_uri=' || redirect, '')
		|| coalesce('&code_verifier=' || verifier, ''))
$$;

-- Basic credentials.
CREATE FUNCTION pg_temp.basic(id text, secret text) RETURNS text LANGUAGE sql AS $$
	SELECT 'Basic ' || translate(encode(convert_to(id || ':' || secret, 'UTF8'), 'base64'), E'\n', '')
$$;

-- The base64url-decoded claims of a JWT, and a JWT signed with chosen
-- claims by the tests' signing hook (tests/signing, make test only).
CREATE FUNCTION pg_temp.claims(jwt text) RETURNS jsonb LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', 2), '-_', '+/'),
		(length(split_part(jwt, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb
$$;
CREATE FUNCTION pg_temp.sign(claims text) RETURNS text
AS '$libdir/mcp_oauth_test', 'mcp_oauth_sign_claims_for_test' LANGUAGE C STRICT;

-- ---- Finding 3: no open redirector through registration (RFC 9700 4.11.2)

-- 1. A self-registered client's redirect URI is not trusted before a
--    person approved a request to it: its errors are a 400 for the
--    person, never a 302 there.  (An insider registers a harmless URI and
--    a phishing page, and approves a request to the harmless one.)
SELECT pg_temp.reg('{"client_name":"Trust Phish","redirect_uris":["https://ok.example/cb",'
	'"https://evil.example/phish"],"token_endpoint_auth_method":"none"}', '192.0.2.60')->>'client_id' AS phish \gset
SELECT kind, approved_redirect_uris IS NULL AS never_approved
FROM mcp_oauth.clients WHERE client_id = :'phish';
SELECT 'response_type=x' AS what, pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish', '&response_type=x'))
UNION ALL
SELECT 'no response_type', pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish'))
UNION ALL
SELECT 'unknown scope', pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish',
	'&response_type=code&scope=nope'))
UNION ALL
SELECT 'no redirect_uri', pg_temp.show(mcp_oauth.authorize('client_id=' || :'phish'
	|| '&response_type=x', '192.0.2.70'))
UNION ALL
SELECT 'the harmless URI', pg_temp.show(pg_temp.az(:'phish', 'https://ok.example/cb', '&response_type=x'))
UNION ALL
SELECT 'valid request', pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish',
	'&response_type=code'));

-- 2. Clients an administrator made keep the redirect: static and the
--    built-in mcp-agent.
SELECT client_id FROM mcp_oauth.create_client('Trust Static', ARRAY['https://static.example.com/cb'],
											  client_id => 'tr-static');
SELECT 'static' AS what, pg_temp.show(pg_temp.az('tr-static', 'https://static.example.com/cb', '&response_type=x'))
UNION ALL
SELECT 'mcp-agent', pg_temp.show(pg_temp.az('mcp-agent', 'http://127.0.0.1:5000/cb', '&response_type=x'));

-- 3. A person's denial is redirected (the person signed in and chose),
--    and does not make the client trusted.
SELECT pg_temp.show(mcp_oauth.authorize_decision(
	(pg_temp.az(:'phish', 'https://evil.example/phish', '&response_type=code')).body::json->>'request_id',
	'tr-alice', false, NULL, '192.0.2.70')) AS denied;
SELECT pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish', '&response_type=x')) AS after_denial;

-- 4. Trust is per redirect URI: after a person approved a request to the
--    harmless URI, errors to it are redirected (this backend's copy of the
--    row was emptied by the change), errors to the phishing page, which
--    no person ever saw, are still the person's 400; later approvals to a
--    known URI do not change the row again.
SELECT pg_temp.code(:'phish', 'https://ok.example/cb') IS NOT NULL AS approved;
SELECT approved_redirect_uris, xmin AS consent_xmin
FROM mcp_oauth.clients WHERE client_id = :'phish' \gset
SELECT :'approved_redirect_uris' AS approved_redirect_uris;
SELECT 'approved URI' AS what, pg_temp.show(pg_temp.az(:'phish', 'https://ok.example/cb', '&response_type=x'))
UNION ALL
SELECT 'never approved URI', pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish', '&response_type=x'))
UNION ALL
SELECT 'no redirect_uri', pg_temp.show(mcp_oauth.authorize('client_id=' || :'phish'
	|| '&response_type=x', '192.0.2.70'));
SELECT pg_temp.code(:'phish', 'https://ok.example/cb') IS NOT NULL AS approved_again;
SELECT xmin = :'consent_xmin'::xid AS row_unchanged
FROM mcp_oauth.clients WHERE client_id = :'phish';
-- a person approving a request to the second URI trusts it too
SELECT pg_temp.code(:'phish', 'https://evil.example/phish') IS NOT NULL AS approved_second;
SELECT approved_redirect_uris FROM mcp_oauth.clients WHERE client_id = :'phish';
SELECT pg_temp.show(pg_temp.az(:'phish', 'https://evil.example/phish', '&response_type=x')) AS after_approval;
-- a loopback redirect URI is one URI on any port (RFC 8252 section 7.3),
-- as when the request is checked: the registered form is recorded once
SELECT pg_temp.reg('{"client_name":"Trust Loop","redirect_uris":["http://127.0.0.1/cb"],'
	'"token_endpoint_auth_method":"none"}', '192.0.2.62')->>'client_id' AS loop \gset
SELECT pg_temp.show(pg_temp.az(:'loop', 'http://127.0.0.1:5001/cb', '&response_type=x')) AS before_approval;
SELECT pg_temp.code(:'loop', 'http://127.0.0.1:5001/cb') IS NOT NULL AS approved;
SELECT pg_temp.code(:'loop', 'http://127.0.0.1:5002/cb') IS NOT NULL AS approved_other_port;
SELECT approved_redirect_uris FROM mcp_oauth.clients WHERE client_id = :'loop';
SELECT 'third port' AS what, pg_temp.show(pg_temp.az(:'loop', 'http://127.0.0.1:5003/cb', '&response_type=x'))
UNION ALL
-- the effective redirect URI of a request without one: the registered one
SELECT 'no redirect_uri', pg_temp.show(mcp_oauth.authorize('client_id=' || :'loop'
	|| '&response_type=x', '192.0.2.70'));
-- an approval of a static client writes nothing to its row
SELECT pg_temp.code('tr-static', 'https://static.example.com/cb') IS NOT NULL AS static_approved;
SELECT approved_redirect_uris IS NULL AS static_row_untouched
FROM mcp_oauth.clients WHERE client_id = 'tr-static';

-- ---- Finding 5: a replayed code revokes only with the PKCE proof

-- Whether the grant is unrevoked now (a function: a subquery would see the
-- grant as its statement began).
CREATE FUNCTION pg_temp.grant_live(gid bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	RETURN (SELECT revoked_at IS NULL FROM mcp_oauth.grants WHERE grant_id = gid);
END
$$;

-- 5. The code is redeemed once; a replay without the verifier, with a
--    wrong one, or with another redirect URI is refused and revokes
--    nothing (RFC 9700 4.5); the replay with the proof revokes the grant.
SELECT pg_temp.code('tr-static', 'https://static.example.com/cb') AS rcode \gset
SELECT grant_id AS rgrant FROM mcp_oauth.authorization_codes
WHERE code_hash = sha256(convert_to(:'rcode', 'UTF8')) \gset
SELECT (pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/cb')).status AS redeemed;
SELECT 'no verifier' AS replay, r.status, r.body::json->>'error' AS error,
	r.body::json->>'error_description' AS description,
	pg_temp.grant_live(:rgrant) AS grant_live
FROM pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/cb', NULL) r
UNION ALL
SELECT 'wrong verifier', r.status, r.body::json->>'error', r.body::json->>'error_description',
	pg_temp.grant_live(:rgrant)
FROM pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/cb',
					  'wrong-verifier-0123456789-0123456789-0123456789') r
UNION ALL
SELECT 'other redirect_uri', r.status, r.body::json->>'error', r.body::json->>'error_description',
	pg_temp.grant_live(:rgrant)
FROM pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/other') r
UNION ALL
SELECT 'another client', r.status, r.body::json->>'error', r.body::json->>'error_description',
	pg_temp.grant_live(:rgrant)
FROM pg_temp.exchange('mcp-agent', :'rcode', 'https://static.example.com/cb') r;
SELECT count(*) AS replay_audits FROM mcp_oauth.audit_log
WHERE event = 'code_replay_detected' AND grant_id = :rgrant;
SELECT 'with the proof' AS replay, r.status, r.body::json->>'error' AS error,
	r.body::json->>'error_description' AS description
FROM pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/cb') r;
SELECT revoked_at IS NOT NULL AS revoked, revoked_reason
FROM mcp_oauth.grants WHERE grant_id = :rgrant;
SELECT count(*) AS replay_audits FROM mcp_oauth.audit_log
WHERE event = 'code_replay_detected' AND grant_id = :rgrant;

-- ---- Finding 6: introspection of other clients' tokens is a right

-- 6. Two confidential clients: one an administrator made, one registered
--    by anybody.  Each sees its own access token; neither sees the other's
--    ({"active":false}, RFC 7662 section 4) until an administrator allows
--    it (set_client_introspection).
SELECT client_secret AS rs_secret
FROM mcp_oauth.create_client('Trust RS', ARRAY['https://rs.example.com/cb'], true,
							 client_id => 'tr-rs') \gset
SELECT b->>'client_id' AS self, b->>'client_secret' AS self_secret
FROM pg_temp.reg('{"client_name":"Trust Self","redirect_uris":["https://self.example.com/cb"]}',
				 '192.0.2.61') b \gset
SELECT (pg_temp.tok('grant_type=authorization_code&code=' || pg_temp.code('tr-rs', 'https://rs.example.com/cb')
	|| '&redirect_uri=https://rs.example.com/cb&code_verifier=' || :'verifier',
	pg_temp.basic('tr-rs', :'rs_secret'))).body::json->>'access_token' AS rs_token \gset
SELECT (pg_temp.tok('grant_type=authorization_code&code=' || pg_temp.code(:'self', 'https://self.example.com/cb')
	|| '&redirect_uri=https://self.example.com/cb&code_verifier=' || :'verifier',
	pg_temp.basic(:'self', :'self_secret'))).body::json->>'access_token' AS self_token \gset
-- Who introspects what: the "active" member.
CREATE FUNCTION pg_temp.active(id text, secret text, token text) RETURNS text LANGUAGE sql AS $$
	SELECT r.status || ' ' || (r.body::json->>'active')
	FROM mcp_oauth.introspect('application/x-www-form-urlencoded', pg_temp.basic(id, secret),
							  'token=' || token, '192.0.2.72') r
$$;
SELECT 'self: own' AS who, pg_temp.active(:'self', :'self_secret', :'self_token') AS active
UNION ALL
SELECT 'self: the other''s', pg_temp.active(:'self', :'self_secret', :'rs_token')
UNION ALL
SELECT 'rs: own', pg_temp.active('tr-rs', :'rs_secret', :'rs_token')
UNION ALL
SELECT 'rs: the other''s', pg_temp.active('tr-rs', :'rs_secret', :'self_token');
SELECT mcp_oauth.set_client_introspection('tr-rs', true);
SELECT introspection_allowed FROM mcp_oauth.clients WHERE client_id = 'tr-rs';
SELECT 'rs allowed: the other''s' AS who,
	pg_temp.active('tr-rs', :'rs_secret', :'self_token') AS active
UNION ALL
SELECT 'self still: the other''s', pg_temp.active(:'self', :'self_secret', :'rs_token');
SELECT (r.body::json->>'client_id') = :'self' AS names_its_client
FROM mcp_oauth.introspect('application/x-www-form-urlencoded', pg_temp.basic('tr-rs', :'rs_secret'),
						  'token=' || :'self_token', '192.0.2.72') r;
SELECT mcp_oauth.set_client_introspection('tr-rs', false);
SELECT pg_temp.active('tr-rs', :'rs_secret', :'self_token') AS withdrawn;
-- the admin function: unknown and public clients are refused; NULL is no call
\set VERBOSITY sqlstate
SELECT mcp_oauth.set_client_introspection('tr-nobody', true);
SELECT mcp_oauth.set_client_introspection('tr-static', true);
\set VERBOSITY default
SELECT mcp_oauth.set_client_introspection(NULL, true) IS NULL AS strict;
SELECT detail FROM mcp_oauth.audit_log
WHERE event = 'client_introspection_set' ORDER BY audit_id;

-- ---- Finding 16: an access token ends at its expires_in

-- 7. A token of 30 s, 32 s after issue: refused although the clock leeway
--    is 60 s (this server set exp by this clock), at verification and at
--    introspection alike; nbf and iat keep the leeway.
CREATE FUNCTION pg_temp.at(token text, changes jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.sign((pg_temp.claims(token) || changes)::text)
$$;
SELECT (pg_temp.claims(:'rs_token')->>'exp')::bigint - (pg_temp.claims(:'rs_token')->>'iat')::bigint
	AS lifetime;
-- a grant of an hour ago, so that a token may say it was issued 32 s ago
INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at, created_at)
VALUES ('tr-alice', 'tr-rs', '{mcp:tools}', 'https://mcp.example.com/mcp',
		now() + interval '1 day', now() - interval '1 hour')
RETURNING grant_id AS old_grant \gset
SELECT pg_temp.at(:'rs_token', jsonb_build_object(
	'grant_id', :old_grant, 'iat', extract(epoch FROM now())::bigint - 32, 'nbf', extract(epoch FROM now())::bigint - 32,
	'exp', extract(epoch FROM now())::bigint - 2)) AS late \gset
SELECT pg_temp.at(:'rs_token', jsonb_build_object(
	'grant_id', :old_grant, 'iat', extract(epoch FROM now())::bigint - 29, 'nbf', extract(epoch FROM now())::bigint - 29,
	'exp', extract(epoch FROM now())::bigint + 1)) AS last_second \gset
SELECT pg_temp.at(:'rs_token', jsonb_build_object(
	'grant_id', :old_grant, 'iat', extract(epoch FROM now())::bigint + 30, 'nbf', extract(epoch FROM now())::bigint + 30,
	'exp', extract(epoch FROM now())::bigint + 60)) AS skewed \gset
SELECT 'expired 2 s ago' AS what, v.active, v.error_description,
	pg_temp.active('tr-rs', :'rs_secret', :'late') AS introspected
FROM mcp_oauth.verify_access_token(:'late', 'https://mcp.example.com/mcp') v
UNION ALL
SELECT 'expires in 1 s', v.active, v.error_description,
	pg_temp.active('tr-rs', :'rs_secret', :'last_second')
FROM mcp_oauth.verify_access_token(:'last_second', 'https://mcp.example.com/mcp') v
UNION ALL
SELECT 'issued 30 s ahead', v.active, v.error_description,
	pg_temp.active('tr-rs', :'rs_secret', :'skewed')
FROM mcp_oauth.verify_access_token(:'skewed', 'https://mcp.example.com/mcp') v;

-- ---- Finding 14: a failed token, revocation or introspection request
--      leaves an audit row with its error and client, never a secret

-- 8. Each failure once, then the rows it left.
SELECT max(audit_id) AS audit_mark FROM mcp_oauth.audit_log \gset
SELECT pg_temp.code('tr-static', 'https://static.example.com/cb') AS fcode \gset
SELECT 'wrong verifier' AS what, r.status, r.body::json->>'error' AS error
FROM pg_temp.exchange('tr-static', :'fcode', 'https://static.example.com/cb',
					  'secret-verifier-0123456789-0123456789-0123456789') r
UNION ALL
SELECT 'unsupported grant type', r.status, r.body::json->>'error'
FROM pg_temp.tok('grant_type=password&client_id=tr-static&password=hunter2hunter2') r
UNION ALL
SELECT 'unknown refresh token', r.status, r.body::json->>'error'
FROM pg_temp.tok('grant_type=refresh_token&client_id=tr-static&refresh_token=mcp_rt_guessed') r
UNION ALL
SELECT 'not a form', r.status, r.body::json->>'error'
FROM pg_temp.tok('{"code":"x"}', NULL, 'application/json') r
UNION ALL
SELECT 'long unknown client', r.status, r.body::json->>'error'
FROM pg_temp.tok('grant_type=authorization_code&code=x&client_id=' || repeat('c', 5000)) r
UNION ALL
SELECT 'replay with proof', r.status, r.body::json->>'error'
FROM pg_temp.exchange('tr-static', :'rcode', 'https://static.example.com/cb') r
UNION ALL
SELECT 'revoke without token', r.status, r.body::json->>'error'
FROM mcp_oauth.revoke('application/x-www-form-urlencoded', NULL, 'client_id=tr-static', '192.0.2.73') r
UNION ALL
SELECT 'introspect by a public client', r.status, r.body::json->>'error'
FROM mcp_oauth.introspect('application/x-www-form-urlencoded', NULL,
						  'client_id=tr-static&token=' || :'rs_token', '192.0.2.73') r;
SELECT event, left(client_id, 20) AS client_id, length(client_id) AS id_len, client_addr,
	detail - 'error_description' AS detail, detail->>'error_description' AS description
FROM mcp_oauth.audit_log WHERE audit_id > :audit_mark AND event NOT IN ('consent_granted', 'code_issued')
ORDER BY audit_id;
-- nothing the requests sent as a secret is in the audit
SELECT count(*) AS secrets_in_audit
FROM mcp_oauth.audit_log,
	unnest(ARRAY['secret-verifier', 'hunter2', 'mcp_rt_guessed', :'rs_token', :'fcode']) AS s
WHERE audit_id > :audit_mark
  AND position(s IN coalesce(detail::text, '') || coalesce(client_id, '')) > 0;
-- the code survived the failed exchange
SELECT (pg_temp.exchange('tr-static', :'fcode', 'https://static.example.com/cb')).status AS fcode_redeemed;

RESET mcp_oauth.access_token_lifetime;
RESET mcp_oauth.clock_leeway;
RESET mcp_oauth.registration;
RESET mcp_oauth.registration_rate_limit;
