-- The authorization endpoint (RFC 6749 4.1.1, 4.1.2.1; OAuth 2.1; RFC 7636;
-- RFC 8707; RFC 9207; RFC 8252 7.3) and the consent decision.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/api';
SET mcp_oauth.request_lifetime = 300;
SET mcp_oauth.code_lifetime = 300;
SET mcp_oauth.refuse_admin_consent = off;
SET client_min_messages = warning;

-- URL-decode a query component.
CREATE FUNCTION pg_temp.urldecode(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	out bytea := '';
	i int := 1;
	c text;
BEGIN
	WHILE i <= length(s) LOOP
		c := substr(s, i, 1);
		IF c = '%' THEN
			out := out || decode(substr(s, i + 1, 2), 'hex');
			i := i + 3;
		ELSE
			out := out || convert_to(CASE c WHEN '+' THEN ' ' ELSE c END, 'UTF8');
			i := i + 1;
		END IF;
	END LOOP;
	RETURN convert_from(out, 'UTF8');
END
$$;

-- The decoded query parameter name of url, or null.
CREATE FUNCTION pg_temp.qp(url text, name text) RETURNS text LANGUAGE sql AS $$
	SELECT pg_temp.urldecode((regexp_match(url, '[?&]' || name || '=([^&#]*)'))[1])
$$;

-- One line for a response: a redirect with its target and parameters, or
-- the status and error of a JSON answer.
CREATE FUNCTION pg_temp.show(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN r.status = 302 THEN
		format('302 %s error=%s state=%s iss=%s', split_part(r.location, '?', 1),
			   pg_temp.qp(r.location, 'error'), pg_temp.qp(r.location, 'state'),
			   pg_temp.qp(r.location, 'iss'))
	ELSE
		format('%s %s location=%s', r.status, coalesce(r.body::json->>'error', 'consent'),
			   coalesce(r.location, 'none'))
	END
$$;

-- authorize() from a documentation address.
CREATE FUNCTION pg_temp.az(query text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize(query, '203.0.113.50')
$$;

-- A valid request for client c plus extra parameters.
CREATE FUNCTION pg_temp.q(c text, extra text DEFAULT '') RETURNS text LANGUAGE sql AS $$
	SELECT 'response_type=code&client_id=' || c
		|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
		|| '&code_challenge_method=S256&state=xyz' || extra
$$;

-- authorize_decision() from the same address.
CREATE FUNCTION pg_temp.decide(request_id text, subject text, approve boolean,
							   granted text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize_decision(request_id, subject, approve, granted, '203.0.113.50')
$$;

-- Clients of this test.
SELECT client_id FROM mcp_oauth.create_client('Authz Web', ARRAY['https://app.example.com/cb'],
											  client_id => 'az-web');
SELECT client_id FROM mcp_oauth.create_client('Authz Multi',
		ARRAY['https://app.example.com/one', 'https://app.example.com/two'], client_id => 'az-multi');
SELECT client_id FROM mcp_oauth.create_client('Authz Loopback', ARRAY['http://127.0.0.1/callback'],
											  client_id => 'az-loop');
SELECT client_id FROM mcp_oauth.create_client('Authz Narrow', ARRAY['https://app.example.com/cb'],
											  scope => 'mcp:tools', client_id => 'az-narrow');
INSERT INTO mcp_oauth.clients (client_id, client_name, redirect_uris, grant_types, kind)
VALUES ('az-refresh-only', 'Authz Refresh Only', '{https://app.example.com/cb}', '{refresh_token}', 'static');

-- 1. A valid request: 200 consent descriptor with the sealed request's handle.
SELECT pg_temp.az(pg_temp.q('az-web', '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=mcp%3Atools+mcp%3Aresources&resource=https%3A%2F%2Fmcp.example.com%2Fmcp')) AS r \gset
SELECT (:'r'::mcp_oauth.http_response).status, (:'r'::mcp_oauth.http_response).content_type,
	   (:'r'::mcp_oauth.http_response).cache_control, (:'r'::mcp_oauth.http_response).location;
SELECT length(b->>'request_id') BETWEEN 400 AND 700 AS sealed_handle_length,
	   (SELECT array_agg(k ORDER BY k) FROM json_object_keys(b) k) AS members,
	   b->>'client_id' AS client_id, b->>'client_name' AS client_name,
	   b->>'redirect_uri' AS redirect_uri, b->>'redirect_host' AS redirect_host,
	   b->>'resource' AS resource, b->>'expires_in' AS expires_in
FROM (SELECT (:'r'::mcp_oauth.http_response).body::json AS b) s;
SELECT s->>'name' AS name, s->>'description' AS description
FROM json_array_elements((:'r'::mcp_oauth.http_response).body::json->'scopes') s;
SELECT (:'r'::mcp_oauth.http_response).body::json->>'request_id' AS rid \gset
-- the request is sealed into its handle: nothing is written, and the
-- handle shows nothing of the request
BEGIN;
SELECT (pg_temp.az(pg_temp.q('az-web'))).status;
SELECT pg_current_xact_id_if_assigned() IS NULL AS wrote_nothing;
COMMIT;
SELECT :'rid' ~ '^[A-Za-z0-9_-]+$' AS handle_base64url,
	   position(convert_to('app.example.com', 'UTF8') IN
				decode(rpad(translate(:'rid', '-_', '+/'), (length(:'rid') + 3) / 4 * 4, '='),
					   'base64')) = 0 AS request_encrypted;
SELECT count(*) AS used_before_decision FROM mcp_oauth.used_requests;

-- 2. Approve: 302 with code, state and iss; a grant and a bound code.
SELECT pg_temp.decide(:'rid', 'az-alice', true) AS d \gset
SELECT pg_temp.show(:'d'), (:'d'::mcp_oauth.http_response).cache_control,
	   pg_temp.qp((:'d'::mcp_oauth.http_response).location, 'code') ~ '^[A-Za-z0-9_-]{43}$' AS code_shape,
	   (:'d'::mcp_oauth.http_response).location
		~ '^https://app\.example\.com/cb\?code=[A-Za-z0-9_-]{43}&state=xyz&iss=https%3A%2F%2Fas\.example\.com$' AS exact_location;
SELECT pg_temp.qp((:'d'::mcp_oauth.http_response).location, 'code') AS code \gset
SELECT g.subject, g.client_id, g.scopes, g.resource, g.revoked_at IS NULL AS active,
	   g.expires_at - g.created_at AS absolute_lifetime,
	   c.client_id AS code_client, c.redirect_uri, c.redirect_uri_provided,
	   c.code_challenge, c.expires_at - c.created_at AS code_lifetime, c.redeemed_at IS NULL AS unused
FROM mcp_oauth.authorization_codes c JOIN mcp_oauth.grants g USING (grant_id)
WHERE c.code_hash = sha256(convert_to(:'code', 'UTF8'));
SELECT a.event, a.subject, a.client_id, a.client_addr, a.grant_id = c.grant_id AS same_grant,
	   a.detail
FROM mcp_oauth.audit_log a, mcp_oauth.authorization_codes c
WHERE c.code_hash = sha256(convert_to(:'code', 'UTF8')) AND a.subject = 'az-alice'
ORDER BY a.audit_id;
SELECT count(*) AS code_in_audit FROM mcp_oauth.audit_log WHERE detail::text LIKE '%' || :'code' || '%';
SELECT count(*) AS used, min(expires_at) > now() + interval '4 minutes' AS kept_until_expiry
FROM mcp_oauth.used_requests;

-- 3. The request handle is single use; unknown and missing handles.
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)),
	   (pg_temp.decide(:'rid', 'az-alice', true)).body::json->>'error_description' AS description;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', false)) AS deny_after_use;
SELECT pg_temp.show(pg_temp.decide('no-such-request', 'az-alice', true)) AS unknown;
SELECT pg_temp.show(pg_temp.decide(NULL, 'az-alice', true)) AS missing;

-- 4. An expired request (a lifetime of one second, then a wait: the expiry
--    is inside the handle), and handles that are not ours.
SET mcp_oauth.request_lifetime = 1;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
RESET mcp_oauth.request_lifetime;
SELECT pg_sleep(1.2);
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)) AS expired;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT v.label, pg_temp.show(pg_temp.decide(v.handle, 'az-alice', true))
FROM (VALUES
	('one character changed', overlay(:'rid' PLACING
		CASE WHEN substr(:'rid', 60, 1) = 'A' THEN 'B' ELSE 'A' END FROM 60 FOR 1)),
	('truncated', left(:'rid', length(:'rid') - 4)),
	('cut to the seal overhead', left(:'rid', 36)),
	('not base64url', :'rid' || '*'),
	('padded', :'rid' || '=='),
	('empty', ''),
	('oversized', repeat('A', 70000))
) AS v(label, handle);
SELECT count(*) AS used_by_bad_handles FROM mcp_oauth.used_requests;
--    a new request key voids every pending request
UPDATE mcp_oauth.request_key SET secret = encode(mcp_oauth._random_bytes(32), 'hex');
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)) AS after_new_key;

-- 5. Deny: access_denied with state and iss, audited.
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.show(r), pg_temp.qp(r.location, 'error_description') AS description
FROM pg_temp.decide(:'rid', 'az-bob', false) r;
SELECT event, subject, detail FROM mcp_oauth.audit_log WHERE subject = 'az-bob';
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-bob', true)) AS approve_after_deny;

-- 6. Scope at consent: narrowed, wider refused (request kept), empty subject.
SELECT (pg_temp.az(pg_temp.q('az-web', '&scope=mcp:tools%20mcp:resources'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.show(r), r.body::json->>'error_description' AS description
FROM pg_temp.decide(:'rid', 'az-carol', true, 'mcp:tools mcp:prompts') r;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-carol', true, '')) AS empty_grant;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-carol', true, 'bad"scope')) AS malformed_grant;
SELECT pg_temp.show(pg_temp.decide(:'rid', '', true)) AS empty_subject;
SELECT pg_temp.show(pg_temp.decide(:'rid', NULL, true)) AS null_subject;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-carol', true, 'mcp:resources')) AS narrowed;
SELECT scopes FROM mcp_oauth.grants WHERE subject = 'az-carol';

-- 7. Admin accounts: refused only when mcp_oauth.refuse_admin_consent is on.
INSERT INTO mcp_oauth.accounts (username, is_admin) VALUES ('az-admin', true), ('az-user', false);
SET mcp_oauth.refuse_admin_consent = on;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.show(r), pg_temp.qp(r.location, 'error_description') AS description
FROM pg_temp.decide(:'rid', 'az-admin', true) r;
SELECT event, detail FROM mcp_oauth.audit_log WHERE subject = 'az-admin';
SELECT count(*) AS admin_grants FROM mcp_oauth.grants WHERE subject = 'az-admin';
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-user', true)) AS non_admin;
RESET mcp_oauth.refuse_admin_consent;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-admin', true)) AS admin_when_allowed;

-- 8. Client and redirect URI errors: 400 for the person, never a redirect.
SELECT v.label, pg_temp.show(pg_temp.az(v.query)),
	   (pg_temp.az(v.query)).body::json->>'error_description' AS description
FROM (VALUES
	('no client_id', 'response_type=code&state=xyz'),
	('empty client_id', 'client_id=&response_type=code'),
	('unknown client', pg_temp.q('az-nobody')),
	('repeated client_id', pg_temp.q('az-web', '&client_id=az-web')),
	('repeated redirect_uri', pg_temp.q('az-web', '&redirect_uri=https://app.example.com/cb&redirect_uri=https://app.example.com/cb')),
	('unregistered redirect', pg_temp.q('az-web', '&redirect_uri=https://evil.example.com/cb')),
	('redirect prefix', pg_temp.q('az-web', '&redirect_uri=https://app.example.com/cb/more')),
	('redirect case', pg_temp.q('az-web', '&redirect_uri=https://APP.example.com/cb')),
	('redirect query added', pg_temp.q('az-web', '&redirect_uri=https://app.example.com/cb%3Fx%3D1')),
	('omitted, several registered', pg_temp.q('az-multi')),
	('malformed query', 'client_id=az-web&state=%zz'),
	('malformed and repeated', pg_temp.q('az-web', '&scope=a&scope=b&x=%zz')),
	('empty query', ''),
	('null query', NULL)
) AS v(label, query);
SELECT pg_temp.show(pg_temp.az(pg_temp.q('az-multi', '&redirect_uri=https://app.example.com/two'))) AS multi_second;

-- 9. Loopback redirect URIs: the port may vary (RFC 8252 7.3), nothing else.
SELECT v.uri, pg_temp.show(r), r.body::json->>'redirect_uri' AS redirect_uri,
	   r.body::json->>'redirect_host' AS redirect_host
FROM (VALUES
	('http://127.0.0.1/callback'),
	('http://127.0.0.1:53127/callback'),
	('http://127.0.0.1:8080/callback'),
	('http://127.0.0.1:53127/other'),
	('http://localhost:53127/callback'),
	('https://127.0.0.1:53127/callback')
) AS v(uri), LATERAL pg_temp.az(pg_temp.q('az-loop', '&redirect_uri=' || v.uri)) r;
--    errors after the redirect URI is known go to the presented port
SELECT pg_temp.show(pg_temp.az(pg_temp.q('az-loop', '&redirect_uri=http://127.0.0.1:49152/callback&scope=nope')));
SELECT pg_temp.az(pg_temp.q('az-loop', '&redirect_uri=http://127.0.0.1:49152/callback')) AS r \gset
SELECT pg_temp.show(pg_temp.decide((:'r'::mcp_oauth.http_response).body::json->>'request_id', 'az-dave', true));

-- 10. The built-in mcp-agent: any loopback URI, any port; nothing else.
SELECT v.uri, pg_temp.show(pg_temp.az(pg_temp.q('mcp-agent', coalesce('&redirect_uri=' || v.uri, ''))))
FROM (VALUES
	('http://localhost:4567/cb'),
	('http://127.0.0.1:65000/oauth/callback'),
	('http://[::1]:9/x'),
	('http://localhost/cb'),
	('https://evil.example.com/cb'),
	('http://evil.example.com/cb'),
	('cursor://anysphere.cursor-retrieval/cb'),
	('http://localhost:4567/cb#frag'),
	(NULL)
) AS v(uri);

-- 11. Errors returned by redirect, each with state (when sent) and iss.
SELECT v.label, pg_temp.show(r), pg_temp.qp(r.location, 'error_description') AS description
FROM (VALUES
	('no response_type', 'client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=xyz'),
	('response_type token', 'response_type=token&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=xyz'),
	('response_type code id_token', 'response_type=code+id_token&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=xyz'),
	('repeated response_type', pg_temp.q('az-web') || '&response_type=code'),
	('no code_challenge', 'response_type=code&client_id=az-web&state=xyz'),
	('no method (plain)', 'response_type=code&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&state=xyz'),
	('method plain', 'response_type=code&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=plain&state=xyz'),
	('method s256', 'response_type=code&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=s256&state=xyz'),
	('challenge short', 'response_type=code&client_id=az-web&code_challenge=abc&code_challenge_method=S256&state=xyz'),
	('challenge bad chars', 'response_type=code&client_id=az-web&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw%2BcM&code_challenge_method=S256&state=xyz'),
	('unknown scope', pg_temp.q('az-web', '&scope=mcp:tools+mcp:admin')),
	('malformed scope', pg_temp.q('az-web', '&scope=mcp%22tools')),
	('scope not allowed', pg_temp.q('az-narrow', '&scope=mcp:resources')),
	('unknown resource', pg_temp.q('az-web', '&resource=https://evil.example.com/mcp')),
	('resource path differs', pg_temp.q('az-web', '&resource=https://mcp.example.com/other')),
	('resource not a URL', pg_temp.q('az-web', '&resource=mcp')),
	('empty resource', pg_temp.q('az-web', '&resource=')),
	('two resources', pg_temp.q('az-web', '&resource=https://mcp.example.com/mcp&resource=https://other.example.com/api')),
	('repeated scope', pg_temp.q('az-web', '&scope=mcp:tools&scope=mcp:tools')),
	('repeated state', pg_temp.q('az-web', '&state=abc')),
	('refresh-only client', pg_temp.q('az-refresh-only')),
	('no state', 'response_type=token&client_id=az-web'),
	('state 1025', 'response_type=code&client_id=az-web&state=' || repeat('s', 1025))
) AS v(label, query), LATERAL pg_temp.az(v.query) r;
--    state is echoed exactly, up to 1024 characters
SELECT length(pg_temp.qp(r.location, 'state')) AS state_length, pg_temp.qp(r.location, 'error') AS error
FROM pg_temp.az('response_type=token&client_id=az-web&state=' || repeat('s', 1024)) r;
SELECT pg_temp.qp(r.location, 'state') AS state
FROM pg_temp.az('response_type=token&client_id=az-web&state=a%20b%26c%3Dd%2B%C3%A9') r;

-- 12. Scope and resource resolution on success.
CREATE TEMP TABLE az_resolved AS
SELECT v.label, r.status, r.body::json AS descriptor
FROM (VALUES
	('no scope: defaults', pg_temp.q('az-web')),
	('no scope, narrow client', pg_temp.q('az-narrow')),
	('repeated names', pg_temp.q('az-web', '&scope=mcp:tools+mcp:tools')),
	('no resource: first', pg_temp.q('az-web', '&scope=mcp:prompts')),
	('uppercase + slash', pg_temp.q('az-web', '&resource=HTTPS://MCP.EXAMPLE.COM/mcp/')),
	('default port', pg_temp.q('az-web', '&resource=https://mcp.example.com:443/mcp')),
	('second resource', pg_temp.q('az-web', '&resource=https%3A%2F%2Fother.example.com%2Fapi'))
) AS v(label, query), LATERAL pg_temp.az(v.query) r;
SELECT a.label, a.status,
	   (SELECT array_agg(s->>'name' ORDER BY s->>'name')
		FROM json_array_elements(a.descriptor->'scopes') s) AS scopes,
	   a.descriptor->>'resource' AS resource
FROM az_resolved a ORDER BY a.label;
--    the sealed request keeps them: approve one and look at its grant
SELECT pg_temp.qp(pg_temp.decide(descriptor->>'request_id', 'az-frank', true)::text, 'code') IS NOT NULL AS code_issued
FROM az_resolved WHERE label = 'second resource';
SELECT scopes, resource FROM mcp_oauth.grants WHERE subject = 'az-frank';
--    redirect_uri omitted with one registered: used, and remembered as omitted
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT pg_temp.qp(pg_temp.decide(:'rid', 'az-erin', true)::text, 'code') IS NOT NULL AS code_issued;
SELECT c.redirect_uri, c.redirect_uri_provided FROM mcp_oauth.authorization_codes c
JOIN mcp_oauth.grants g USING (grant_id) WHERE g.subject = 'az-erin';

-- 13. Deleting a client voids its pending requests.
SELECT (pg_temp.az(pg_temp.q('az-multi', '&redirect_uri=https://app.example.com/one'))).body::json->>'request_id' AS rid \gset
SELECT mcp_oauth.delete_client('az-multi');
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)) AS after_delete;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', false)) AS deny_after_delete;
--    nor does a client registered again under the same client_id inherit them
SELECT client_id FROM mcp_oauth.create_client('Authz Multi Again', ARRAY['https://app.example.com/one'],
											  client_id => 'az-multi');
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)) AS after_new_registration;
--    even when deleted and registered again in one transaction
SELECT (pg_temp.az(pg_temp.q('az-multi', '&redirect_uri=https://app.example.com/one'))).body::json->>'request_id' AS rid \gset
BEGIN;
SELECT mcp_oauth.delete_client('az-multi');
SELECT client_id FROM mcp_oauth.create_client('Authz Multi Third', ARRAY['https://app.example.com/one'],
											  client_id => 'az-multi');
COMMIT;
SELECT pg_temp.show(pg_temp.decide(:'rid', 'az-alice', true)) AS after_same_transaction;

-- 14. An approval that is the only write of its transaction does not wait
--     for its WAL flush (its code is of use only through a durable token
--     exchange); a denial does, and so does an approval inside a caller's
--     transaction block, after another write, or with
--     mcp_oauth.durable_consent on.  A write after the approval, in the same
--     transaction, makes the commit wait after all (seen at commit: DEBUG1).
SET client_min_messages = debug1;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT d.status, current_setting('synchronous_commit') AS approval_commit
FROM pg_temp.decide(:'rid', 'az-grace', true) d;
SHOW synchronous_commit;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT d.status, current_setting('synchronous_commit') AS denial_commit
FROM pg_temp.decide(:'rid', 'az-grace', false) d;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
BEGIN;
SELECT d.status, current_setting('synchronous_commit') AS in_block_commit
FROM pg_temp.decide(:'rid', 'az-grace', true) d;
COMMIT;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SET az_test.rid = :'rid';
DO $$
BEGIN
	INSERT INTO mcp_oauth.audit_log (event, subject) VALUES ('test_write', 'az-grace');
	PERFORM pg_temp.decide(current_setting('az_test.rid'), 'az-grace', true);
	RAISE NOTICE 'after another write: %', current_setting('synchronous_commit');
END
$$;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SET az_test.rid = :'rid';
DO $$
BEGIN
	PERFORM pg_temp.decide(current_setting('az_test.rid'), 'az-grace', true);
	RAISE NOTICE 'approval first: %', current_setting('synchronous_commit');
	INSERT INTO mcp_oauth.audit_log (event, subject) VALUES ('test_write', 'az-grace');
END
$$;
RESET az_test.rid;
SET mcp_oauth.durable_consent = on;
SELECT (pg_temp.az(pg_temp.q('az-web'))).body::json->>'request_id' AS rid \gset
SELECT d.status, current_setting('synchronous_commit') AS durable_commit
FROM pg_temp.decide(:'rid', 'az-grace', true) d;
RESET mcp_oauth.durable_consent;
RESET client_min_messages;
SELECT count(*) AS grace_grants FROM mcp_oauth.grants WHERE subject = 'az-grace';
DELETE FROM mcp_oauth.audit_log WHERE event = 'test_write';

-- 15. The request key row is made by the first authorization request (not
-- by the install script, so that a restored dump brings its own); a
-- read-only transaction cannot make it and says so.
DELETE FROM mcp_oauth.request_key;
BEGIN TRANSACTION READ ONLY;
SELECT (pg_temp.az(pg_temp.q('az-web'))).status AS read_only_without_key;
ROLLBACK;
SELECT (pg_temp.az(pg_temp.q('az-web'))).status AS read_write_makes_it;
SELECT count(*) AS key_rows, min(length(secret)) AS secret_hex_length FROM mcp_oauth.request_key;
BEGIN TRANSACTION READ ONLY;
SELECT (pg_temp.az(pg_temp.q('az-web'))).status AS read_only_with_key;
ROLLBACK;
