-- A consent decision on a request that cannot be used tells the person why
-- (issue 12, finding 13): not valid (altered or foreign handle), expired,
-- already used, or its client removed or registered again.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.refuse_admin_consent = off;
SET client_min_messages = warning;

INSERT INTO mcp_oauth.clients (client_id, redirect_uris, kind)
VALUES ('dr-web', ARRAY['https://app.example.com/cb'], 'static');

-- A new pending request of dr-web; its handle.
CREATE FUNCTION pg_temp.rid() RETURNS text LANGUAGE sql AS $$
	SELECT (mcp_oauth.authorize('response_type=code&client_id=dr-web'
		|| '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
		|| '&code_challenge_method=S256&state=s', NULL)).body::json->>'request_id'
$$;

-- status, error and error_description of a decision.
CREATE FUNCTION pg_temp.decide(rid text, approve boolean) RETURNS text LANGUAGE sql AS $$
	SELECT format('%s %s: %s', r.status, r.body::json->>'error',
				  r.body::json->>'error_description')
	FROM mcp_oauth.authorize_decision(rid, 'dr-alice', approve, NULL, NULL) AS r
$$;

-- 1. Not a handle of ours.
SELECT pg_temp.decide('no-such-request', true) AS not_ours;
SELECT pg_temp.decide(NULL, true) AS missing;

-- 2. Used: a second approval, a denial after an approval, a second denial.
SELECT pg_temp.rid() AS rid \gset
SELECT left(pg_temp.decide(:'rid', true), 3) AS first_approval;
SELECT pg_temp.decide(:'rid', true) AS approved_again;
SELECT pg_temp.decide(:'rid', false) AS denied_after;
SELECT pg_temp.rid() AS rid \gset
SELECT left(pg_temp.decide(:'rid', false), 3) AS first_denial;
SELECT pg_temp.decide(:'rid', false) AS denied_again;

-- 3. Expired (the expiry is inside the handle: a one-second lifetime, then a wait).
SET mcp_oauth.request_lifetime = 1;
SELECT pg_temp.rid() AS rid \gset
RESET mcp_oauth.request_lifetime;
SELECT pg_sleep(1.2);
SELECT pg_temp.decide(:'rid', true) AS expired;

-- 4. The client registered again, or removed, after the request.
SELECT pg_temp.rid() AS rid \gset
UPDATE mcp_oauth.clients SET created_at = created_at + interval '1 second'
WHERE client_id = 'dr-web';
SELECT pg_temp.decide(:'rid', true) AS registered_again;
SELECT pg_temp.decide(:'rid', false) AS registered_again_deny;
SELECT pg_temp.rid() AS rid \gset
SELECT mcp_oauth.delete_client('dr-web');
SELECT pg_temp.decide(:'rid', true) AS removed;

DELETE FROM mcp_oauth.audit_log WHERE client_id = 'dr-web';
DELETE FROM mcp_oauth.used_requests;
