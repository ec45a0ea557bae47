-- purge_expired: what can no longer be used goes, the rest stays.  Other
-- test files leave rows too, so only this file's rows are checked.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.clock_leeway = 60;
SET mcp_oauth.access_token_lifetime = 900;

-- clients: dynamic and unused for 40 days (purged), dynamic but used
-- yesterday, dynamic with a grant, static and old (all kept); dynamic and
-- never used for a token since mcp_oauth.unused_client_ttl (24 hours:
-- purged), registered an hour ago (kept), used once (kept)
INSERT INTO mcp_oauth.clients (client_id, kind, created_at, last_used_at) VALUES
	('purge-new-unused', 'dynamic', now() - interval '25 hours', NULL),
	('purge-new-recent', 'dynamic', now() - interval '1 hour', NULL),
	('purge-new-used', 'dynamic', now() - interval '25 hours', now() - interval '24 hours'),
	('purge-new-static', 'static', now() - interval '25 hours', NULL),
	('purge-dyn-unused', 'dynamic', now() - interval '40 days', NULL),
	('purge-dyn-stale', 'dynamic', now() - interval '60 days', now() - interval '31 days'),
	('purge-dyn-used', 'dynamic', now() - interval '40 days', now() - interval '1 day'),
	('purge-dyn-granted', 'dynamic', now() - interval '40 days', NULL),
	('purge-static', 'static', now() - interval '400 days', NULL),
	('purge-app', 'dynamic', now(), NULL);

-- grants, by what should become of them
CREATE TEMP TABLE g (k text PRIMARY KEY, id bigint);
WITH ins AS (
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at, revoked_at)
	SELECT 'purge_' || k, c, '{mcp:tools}', 'https://mcp.example.com/mcp',
		   now() + e, CASE WHEN r THEN now() END
	  FROM (VALUES
		('abandoned', 'purge-app', interval '30 days', false),	-- code expired unredeemed: goes
		('redeemed', 'purge-app', interval '30 days', false),	-- code used, refresh token lives: stays
		('revoked_done', 'purge-app', interval '30 days', true),	-- revoked, token long expired: goes
		('revoked_recent', 'purge-app', interval '30 days', true),	-- revoked (its tokens are dead): goes
		('expired', 'purge-app', interval '-1 day', false),	-- expired, refresh token expired: goes
		('expired_recent', 'purge-app', interval '-5 minutes', false),	-- its access tokens may live: stays
		('live', 'purge-app', interval '30 days', false),	-- stays
		('pending', 'purge-app', interval '30 days', false),	-- code not yet expired: stays
		('client', 'purge-dyn-granted', interval '30 days', false)	-- keeps its client
	  ) v(k, c, e, r)
	RETURNING grant_id, subject)
INSERT INTO g SELECT substr(subject, 7), grant_id FROM ins;

INSERT INTO mcp_oauth.authorization_codes (code_hash, grant_id, client_id, redirect_uri,
	redirect_uri_provided, code_challenge, expires_at, redeemed_at)
SELECT sha256(convert_to('purge-code-' || k, 'UTF8')), id, 'purge-app', 'http://127.0.0.1/cb',
	   true, 'x', now() + e, CASE WHEN used THEN now() - interval '1 hour' END
  FROM g JOIN (VALUES ('abandoned', interval '-1 second', false),
					  ('redeemed', interval '-1 hour', true),
					  ('pending', interval '5 minutes', false)) v(k2, e, used) ON g.k = v.k2;

INSERT INTO mcp_oauth.refresh_tokens (token_hash, grant_id, scopes, expires_at)
SELECT sha256(convert_to('purge-rt-' || k, 'UTF8')), id, '{mcp:tools}', now() + e
  FROM g JOIN (VALUES ('redeemed', interval '1 day'),
					  ('expired', interval '-1 second'),
					  ('live', interval '1 day')) v(k2, e) ON g.k = v.k2;

-- access tokens revoked one by one: past expiry and the leeway (goes),
-- within the leeway, not expired (stay)
INSERT INTO mcp_oauth.revoked_access_tokens (jti, grant_id, expires_at)
SELECT gen_random_uuid(), id, now() + e
  FROM g JOIN (VALUES ('revoked_done', interval '-90 seconds'),
					  ('revoked_recent', interval '-30 seconds'),
					  ('live', interval '10 minutes')) v(k2, e) ON g.k = v.k2;

-- used authorization requests: one expired over an hour ago, one expired
-- lately, one not expired
INSERT INTO mcp_oauth.used_requests (nonce_hash, expires_at)
VALUES (sha256('purge-req-old'), now() - interval '61 minutes'),
	   (sha256('purge-req-recent'), now() - interval '59 minutes'),
	   (sha256('purge-req-new'), now() + interval '5 minutes');

-- login sessions: one expired, one not
SELECT mcp_oauth.create_account('purge_user', 'purge password') > 0 AS created;
SELECT ok FROM mcp_oauth.login('purge_user', 'purge password', NULL);
SELECT ok FROM mcp_oauth.login('purge_user', 'purge password', NULL);
UPDATE mcp_oauth.login_sessions SET expires_at = now() - interval '1 second'
 WHERE session_hash = (SELECT session_hash FROM mcp_oauth.login_sessions l
						 JOIN mcp_oauth.accounts a USING (account_id)
						WHERE a.username = 'purge_user' ORDER BY session_hash LIMIT 1);

-- rate limit counts: two days old (purged) and current
INSERT INTO mcp_oauth.rate_limits (bucket, window_start, hits) VALUES
	('purge-test', now() - interval '2 days', 3),
	('purge-test', now(), 1);

-- audit rows: past mcp_oauth.audit_retention (90 days; purged) and within it
INSERT INTO mcp_oauth.audit_log (at, event, subject) VALUES
	(now() - interval '91 days', 'purge_test', 'purge-audit-old'),
	(now() - interval '89 days', 'purge_test', 'purge-audit-recent');

-- signing keys: retired long enough ago that no token they signed can be
-- alive (purged), and retired just now (still published)
INSERT INTO mcp_oauth.signing_keys (kid, alg, private_key_pem, public_jwk,
	created_at, activates_at, retired_at)
VALUES ('purge-kid-old', 'ES256', 'none', '{}', now() - interval '10 days',
		now() - interval '10 days', now() - interval '1000 seconds'),
	   ('purge-kid-recent', 'ES256', 'none', '{}', now() - interval '10 days',
		now() - interval '10 days', now() - interval '900 seconds');

-- client assertion jtis: of an assertion that expired (purged), of one
-- still valid (kept: its replay must still be refused)
INSERT INTO mcp_oauth.client_assertion_jtis (client_id, jti, expires_at) VALUES
	('purge-client', 'purge-jti-old', now() - interval '1 second'),
	('purge-client', 'purge-jti-live', now() + interval '1 minute');

-- purge: one row per kind, in a fixed order; at least this file's rows
SELECT p.what, p.deleted >= v.n AS purged_enough
  FROM mcp_oauth.purge_expired() WITH ORDINALITY p(what, deleted, i)
  LEFT JOIN (VALUES ('used_requests', 1), ('authorization_codes', 2),
			   ('refresh_tokens', 1), ('refresh_rotations', 0), ('sealed_successors', 0),
			   ('revoked_access_tokens', 1), ('grants', 4),
			   ('login_sessions', 1), ('rate_limits', 1), ('signing_keys', 1),
			   ('clients', 3), ('fetched_documents', 0), ('client_assertion_jtis', 1),
			   ('audit_log', 1)) v(w, n) ON p.what = v.w
 ORDER BY p.i;

-- what is left of this file's rows
SELECT client_id FROM mcp_oauth.clients WHERE client_id LIKE 'purge-%' ORDER BY client_id;
SELECT g.k, x.grant_id IS NOT NULL AS kept
  FROM g LEFT JOIN mcp_oauth.grants x ON x.grant_id = g.id ORDER BY g.k;
SELECT g.k, count(c.*) AS codes
  FROM g JOIN mcp_oauth.authorization_codes c ON c.grant_id = g.id GROUP BY g.k ORDER BY g.k;
SELECT g.k, count(r.*) AS refresh_tokens
  FROM g JOIN mcp_oauth.refresh_tokens r ON r.grant_id = g.id GROUP BY g.k ORDER BY g.k;
SELECT g.k, count(a.*) AS revoked_access_tokens
  FROM g JOIN mcp_oauth.revoked_access_tokens a ON a.grant_id = g.id GROUP BY g.k ORDER BY g.k;
SELECT array_agg(r.k ORDER BY r.k) AS used_requests_kept
  FROM mcp_oauth.used_requests u
  JOIN (VALUES ('old'), ('recent'), ('new')) r(k) ON u.nonce_hash = sha256(convert_to('purge-req-' || r.k, 'UTF8'));
SELECT count(*) AS sessions_left, bool_and(l.expires_at > now()) AS live
  FROM mcp_oauth.login_sessions l JOIN mcp_oauth.accounts a USING (account_id)
 WHERE a.username = 'purge_user';
SELECT window_start > now() - interval '1 day' AS current
  FROM mcp_oauth.rate_limits WHERE bucket = 'purge-test';
SELECT subject FROM mcp_oauth.audit_log WHERE event = 'purge_test';
SELECT kid FROM mcp_oauth.signing_keys WHERE kid LIKE 'purge-%';
SELECT jti FROM mcp_oauth.client_assertion_jtis WHERE client_id = 'purge-client';
-- a second run finds none of this file's rows to purge, and the audit log is kept
SELECT count(*) AS audit_rows_kept FROM mcp_oauth.audit_log WHERE subject = 'purge_user';
SELECT count(*) AS runs FROM mcp_oauth.purge_expired() WHERE what = 'clients';
SELECT client_id FROM mcp_oauth.clients WHERE client_id LIKE 'purge-%' ORDER BY client_id;
SELECT detail ?& ARRAY['used_requests', 'authorization_codes', 'refresh_tokens',
					   'revoked_access_tokens', 'grants', 'login_sessions', 'rate_limits',
					   'signing_keys', 'clients', 'audit_log'] AS audited
  FROM mcp_oauth.audit_log WHERE event = 'purged' ORDER BY audit_id DESC LIMIT 1;

-- leave nothing behind that could disturb later files
DELETE FROM mcp_oauth.signing_keys WHERE kid LIKE 'purge-%';
SELECT mcp_oauth.delete_client(client_id) FROM mcp_oauth.clients
 WHERE client_id LIKE 'purge-%' ORDER BY client_id;
DELETE FROM mcp_oauth.rate_limits WHERE bucket = 'purge-test';

-- audit retention: 0 keeps every row; the setting is superuser-only
SHOW mcp_oauth.audit_retention;
INSERT INTO mcp_oauth.audit_log (at, event, subject) VALUES
	(now() - interval '20 years', 'purge_test', 'purge-audit-ancient');
SET mcp_oauth.audit_retention = 0;
SELECT deleted FROM mcp_oauth.purge_expired() WHERE what = 'audit_log';
SET mcp_oauth.audit_retention = '30d';
SELECT deleted >= 2 AS purged FROM mcp_oauth.purge_expired() WHERE what = 'audit_log';
SELECT count(*) AS left_of_test FROM mcp_oauth.audit_log WHERE event = 'purge_test';
RESET mcp_oauth.audit_retention;
CREATE ROLE regress_mo_retention NOLOGIN;
SET ROLE regress_mo_retention;
SET mcp_oauth.audit_retention = 0;
RESET ROLE;
DROP ROLE regress_mo_retention;

-- Registration does not hand out a client never used for a token once it
-- is within an hour of mcp_oauth.unused_client_ttl (the purge may delete
-- it): an identical registration gets a new client instead.
CREATE FUNCTION pg_temp.register() RETURNS text
LANGUAGE sql AS $$
	SELECT (mcp_oauth.register('application/json', NULL,
		'{"client_name": "purge-reg", "redirect_uris": ["https://purge-reg.example.com/cb"],'
		' "token_endpoint_auth_method": "none"}', '192.0.2.40')).body::json->>'client_id'
$$;
SELECT pg_temp.register() AS first_id \gset
SELECT pg_temp.register() = :'first_id' AS reused_when_new;
UPDATE mcp_oauth.clients SET created_at = now() - interval '23 hours 30 minutes'
 WHERE client_id = :'first_id';
SELECT pg_temp.register() <> :'first_id' AS new_one_near_the_ttl;
-- a client used once is handed out at any age
UPDATE mcp_oauth.clients SET created_at = now() - interval '40 days', last_used_at = now() - interval '1 day'
 WHERE client_id = :'first_id';
DELETE FROM mcp_oauth.clients WHERE client_id <> :'first_id' AND client_name = 'purge-reg';
SELECT pg_temp.register() = :'first_id' AS reused_once_used;
