-- Local accounts, passwords, login sessions of the consent pages.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.session_lifetime = 3600;

-- SQLSTATE and message of a statement that should fail, or 'ok'.
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- The rate_limits bucket of sign-ins with a username that names no
-- account: an HMAC of it keyed by the request_key secret (accounts.c).
CREATE FUNCTION pg_temp.unknown_bucket(username text) RETURNS text LANGUAGE sql AS $$
	SELECT 'login-unknown:' || left(encode(hmac(convert_to('mcp_oauth login bucket' || E'\n' || username, 'UTF8'),
		convert_to((SELECT secret FROM mcp_oauth.request_key), 'UTF8'), 'sha256'), 'hex'), 32)
$$;

-- audit rows written from here on
CREATE TEMP TABLE mark AS SELECT coalesce(max(audit_id), 0) AS id FROM mcp_oauth.audit_log;

-- create_account
SELECT mcp_oauth.create_account('acct_alice', 'correct horse battery') > 0 AS created;
SELECT mcp_oauth.create_account('acct_admin', 'admin password 1', true, 'The Admin') > 0 AS created;
SELECT username, is_admin, display_name, disabled_at IS NULL AS enabled
  FROM mcp_oauth.accounts WHERE username LIKE 'acct\_%' ORDER BY username;
-- the password is kept only as a bcrypt hash of cost 10
SELECT password_hash ~ '^\$2a\$10\$[./A-Za-z0-9]{53}$' AS bcrypt,
       password_hash = mcp_oauth._crypt('correct horse battery', password_hash) AS verifies
  FROM mcp_oauth.accounts WHERE username = 'acct_alice';

-- refused: duplicate, bad usernames, password policy
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct_alice', 'another password')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('-acct', 'password123')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct bob', 'password123')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('', 'password123')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account(NULL, 'password123')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account(repeat('a', 65), 'password123')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct_short', 'seven77')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct_short', NULL)$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct_long', repeat('x', 73))$$);
-- 37 two-byte characters are 74 bytes: too long for bcrypt
SELECT pg_temp.err($$SELECT mcp_oauth.create_account('acct_long', repeat('é', 37))$$);
SELECT count(*) AS none_created FROM mcp_oauth.accounts
 WHERE username IN ('acct_short', 'acct_long', 'acct bob', '-acct');
-- the limits themselves are accepted: 72 bytes, 8 (multibyte) characters, 64-character name
SELECT mcp_oauth.create_account('acct_long', repeat('x', 72)) > 0 AS created;
SELECT mcp_oauth.create_account('acct_mb', repeat('é', 8)) > 0 AS created;
SELECT mcp_oauth.create_account('acct_' || repeat('n', 59), 'password123') > 0 AS created;
SELECT mcp_oauth.create_account('acct.x+y@example-1.com', 'password123') > 0 AS created;

-- authenticate
SELECT mcp_oauth.authenticate('acct_alice', 'correct horse battery') AS right_password,
       mcp_oauth.authenticate('acct_alice', 'correct horse batter') AS wrong_password,
       mcp_oauth.authenticate('acct_nobody', 'correct horse battery') AS unknown_user,
       mcp_oauth.authenticate('acct_alice', NULL) AS null_password,
       mcp_oauth.authenticate(NULL, NULL) AS nulls;
-- bcrypt would ignore the 73rd byte: such a password is refused, not truncated
SELECT mcp_oauth.authenticate('acct_long', repeat('x', 72)) AS exact,
       mcp_oauth.authenticate('acct_long', repeat('x', 73)) AS longer;
SELECT mcp_oauth.authenticate('acct_mb', repeat('é', 8)) AS multibyte;

-- set_password
SELECT mcp_oauth.set_password('acct_alice', 'new password 1');
SELECT mcp_oauth.authenticate('acct_alice', 'correct horse battery') AS old_password,
       mcp_oauth.authenticate('acct_alice', 'new password 1') AS new_password;
SELECT pg_temp.err($$SELECT mcp_oauth.set_password('acct_nobody', 'new password 1')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.set_password('acct_alice', 'short')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.set_password('acct_alice', repeat('y', 100))$$);
SELECT mcp_oauth.authenticate('acct_alice', 'new password 1') AS unchanged;

-- login: a session token, kept only as its SHA-256
CREATE TEMP TABLE sess AS
	SELECT 'a1'::text AS k, * FROM mcp_oauth.login('acct_alice', 'new password 1', '192.0.2.1');
INSERT INTO sess SELECT 'a2', * FROM mcp_oauth.login('acct_alice', 'new password 1', NULL);
INSERT INTO sess SELECT 'adm', * FROM mcp_oauth.login('acct_admin', 'admin password 1', '2001:db8::1');
SELECT k, ok, session_token ~ '^[A-Za-z0-9_-]{43}$' AS token_shape, subject, error
  FROM sess ORDER BY k;
SELECT count(DISTINCT session_token) AS distinct_tokens FROM sess;
SELECT s.k, l.client_addr,
       l.expires_at - l.created_at = interval '3600 seconds' AS expires_per_guc
  FROM sess s JOIN mcp_oauth.login_sessions l
    ON l.session_hash = sha256(convert_to(s.session_token, 'UTF8'))
 ORDER BY s.k;

-- failed logins: one answer for a wrong password, an unknown user, nulls
SELECT * FROM mcp_oauth.login('acct_alice', 'wrong password', '192.0.2.1');
SELECT * FROM mcp_oauth.login('acct_nobody', 'new password 1', '192.0.2.1');
SELECT * FROM mcp_oauth.login(NULL, NULL, NULL);
SELECT * FROM mcp_oauth.login('acct_alice', '', NULL);

-- session_subject: subject, a CSRF token bound to the session, is_admin
SELECT s.k, x.subject, x.csrf_token ~ '^[A-Za-z0-9_-]{43}$' AS csrf_shape, x.is_admin
  FROM sess s, mcp_oauth.session_subject(s.session_token) x ORDER BY s.k;
-- the CSRF token is base64url(HMAC-SHA256(key = session token, 'csrf'))
SELECT s.k, x.csrf_token = rtrim(translate(encode(
           hmac('csrf'::bytea, convert_to(s.session_token, 'UTF8'), 'sha256'),
           'base64'), '+/', '-_'), '=') AS csrf_is_hmac
  FROM sess s, mcp_oauth.session_subject(s.session_token) x ORDER BY s.k;
-- stable per session, different across sessions
SELECT (SELECT csrf_token FROM mcp_oauth.session_subject(session_token)) =
       (SELECT csrf_token FROM mcp_oauth.session_subject(session_token)) AS stable
  FROM sess WHERE k = 'a1';
SELECT count(DISTINCT x.csrf_token) AS distinct_csrf
  FROM sess s, mcp_oauth.session_subject(s.session_token) x;
-- unknown, null, or the hash instead of the token: no row
SELECT count(*) AS unknown FROM mcp_oauth.session_subject('not-a-session');
SELECT count(*) AS null_token FROM mcp_oauth.session_subject(NULL);
SELECT count(*) AS hash_given FROM sess s,
	mcp_oauth.session_subject(encode(sha256(convert_to(s.session_token, 'UTF8')), 'hex'));

-- an expired session gives no row
UPDATE mcp_oauth.login_sessions SET expires_at = now() - interval '1 second'
 WHERE session_hash = (SELECT sha256(convert_to(session_token, 'UTF8')) FROM sess WHERE k = 'a2');
SELECT count(*) AS expired FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'a2';

-- logout ends that session only; unknown and null tokens are ignored
SELECT mcp_oauth.logout(session_token) FROM sess WHERE k = 'a1';
SELECT mcp_oauth.logout('not-a-session');
SELECT mcp_oauth.logout(NULL);
SELECT s.k, count(x.subject) AS rows
  FROM sess s LEFT JOIN LATERAL mcp_oauth.session_subject(s.session_token) x ON true
 GROUP BY s.k ORDER BY s.k;

-- signing in again ends the session the browser held (previous_session),
-- whoever it belonged to; a failed sign-in leaves it alone
INSERT INTO sess SELECT 'p1', * FROM mcp_oauth.login('acct_admin', 'admin password 1', NULL);
SELECT ok, error FROM mcp_oauth.login('acct_alice', 'wrong password', NULL,
	(SELECT session_token FROM sess WHERE k = 'p1'));
SELECT count(*) AS kept_after_failure
  FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'p1';
INSERT INTO sess SELECT 'p2', * FROM mcp_oauth.login('acct_alice', 'new password 1', NULL,
	(SELECT session_token FROM sess WHERE k = 'p1'));
SELECT s.k, s.ok, count(x.subject) AS live
  FROM sess s LEFT JOIN LATERAL mcp_oauth.session_subject(s.session_token) x ON true
 WHERE s.k IN ('p1', 'p2') GROUP BY s.k, s.ok ORDER BY s.k;
SELECT event, subject, detail FROM mcp_oauth.audit_log
 WHERE event = 'logout' AND detail IS NOT NULL ORDER BY audit_id DESC LIMIT 1;
-- an unknown previous session is ignored
SELECT ok FROM mcp_oauth.login('acct_alice', 'new password 1', NULL, 'not-a-session');
DELETE FROM sess WHERE k IN ('p1', 'p2');

-- set_password ends the account's sessions
INSERT INTO sess SELECT 'a3', * FROM mcp_oauth.login('acct_alice', 'new password 1', NULL);
SELECT count(*) AS before FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'a3';
SELECT mcp_oauth.set_password('acct_alice', 'new password 2');
SELECT count(*) AS after FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'a3';

-- a session of an account disabled behind our back gives no row either
INSERT INTO sess SELECT 'mb', * FROM mcp_oauth.login('acct_mb', repeat('é', 8), NULL);
UPDATE mcp_oauth.accounts SET disabled_at = now() WHERE username = 'acct_mb';
SELECT count(*) AS while_disabled FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'mb';
UPDATE mcp_oauth.accounts SET disabled_at = NULL WHERE username = 'acct_mb';
SELECT count(*) AS enabled_again FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'mb';

-- disable_account: no login, no session, no PAT, no grant
SELECT mcp_oauth.create_personal_access_token('acct_admin', 'admin pat', '{mcp:tools}') ~ '^mcp_pat_' AS pat;
INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
VALUES ('acct_admin', 'mcp-agent', '{mcp:tools}', 'https://mcp.example.com/mcp', now() + interval '1 day');
SELECT mcp_oauth.disable_account('acct_admin') AS disabled;
SELECT mcp_oauth.disable_account('acct_admin') AS again,
       mcp_oauth.disable_account('acct_nobody') AS unknown,
       mcp_oauth.disable_account(NULL) AS null_name;
SELECT count(*) AS admin_session FROM sess s, mcp_oauth.session_subject(s.session_token) WHERE s.k = 'adm';
SELECT count(*) AS sessions_left FROM mcp_oauth.login_sessions l
  JOIN mcp_oauth.accounts a USING (account_id) WHERE a.username = 'acct_admin';
SELECT * FROM mcp_oauth.login('acct_admin', 'admin password 1', NULL);
SELECT mcp_oauth.authenticate('acct_admin', 'admin password 1') AS disabled_authenticates;
SELECT revoked_at IS NOT NULL AS pat_revoked FROM mcp_oauth.personal_access_tokens WHERE subject = 'acct_admin';
SELECT revoked_at IS NOT NULL AS grant_revoked, revoked_reason FROM mcp_oauth.grants WHERE subject = 'acct_admin';

-- the audit trail names who did what, never a password or a session token
SELECT event, subject, client_addr FROM mcp_oauth.audit_log
 WHERE audit_id > (SELECT id FROM mark)
   AND subject LIKE 'acct\_%' AND event IN ('account_created', 'password_changed',
       'login_succeeded', 'login_failed', 'logout', 'account_disabled')
 ORDER BY audit_id;
SELECT event, count(*) FROM mcp_oauth.audit_log
 WHERE audit_id > (SELECT id FROM mark) AND subject IS NULL GROUP BY event;
SELECT count(*) AS secrets_in_audit FROM mcp_oauth.audit_log a
 WHERE audit_id > (SELECT id FROM mark) AND (a::text ~ '(horse|password 1|password 2|admin password|password123|xxxxxxxx|éééé)'
    OR EXISTS (SELECT FROM sess s WHERE strpos(a::text, s.session_token) > 0));

-- login throttling: mcp_oauth.login_attempt_limit failed logins per sliding
-- 15 minutes, counted per username (known or not) and per client address,
-- before the password is checked
SET mcp_oauth.login_attempt_limit = 3;
-- one transaction, so that now() and with it the 15-minute window cannot
-- move on between two attempts
BEGIN;
SELECT mcp_oauth.create_account('acct_thr', 'throttle pass 1') > 0 AS created;
SELECT mcp_oauth.create_account('acct_thr2', 'throttle pass 2') > 0 AS created;
CREATE TEMP TABLE thr_mark AS SELECT coalesce(max(audit_id), 0) AS id FROM mcp_oauth.audit_log;
-- three failures for one user, each from another address
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'wrong guess 1', '198.51.100.1');
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'wrong guess 2', '198.51.100.2');
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'wrong guess 3', '198.51.100.3');
-- (a row counts the attempts of one bucket made at one time)
SELECT bucket, hits, window_start = now() AS counted_now
  FROM mcp_oauth.rate_limits WHERE bucket ~ '^login-(user:acct_thr|addr:198\.51\.100\.)' ORDER BY bucket;
-- the 4th attempt, even with the right password, is refused, and not counted
SELECT ok, session_token IS NULL AS no_session, subject, error
  FROM mcp_oauth.login('acct_thr', 'throttle pass 1', '198.51.100.4');
SELECT sum(hits) AS hits FROM mcp_oauth.rate_limits WHERE bucket = 'login-user:acct_thr';
SELECT mcp_oauth.authenticate('acct_thr', 'throttle pass 1') AS password_still_right;
-- another user from another address still signs in; a success is counted
-- first and taken back: it adds nothing
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'throttle pass 2', '198.51.100.5');
SELECT count(*) AS success_counted FROM mcp_oauth.rate_limits
 WHERE bucket IN ('login-user:acct_thr2', 'login-addr:198.51.100.5');
-- the per-address limit catches many usernames from one address
SELECT ok, error FROM mcp_oauth.login('acct_spray1', 'guess', '203.0.113.7');
SELECT ok, error FROM mcp_oauth.login('acct_spray2', 'guess', '203.0.113.7');
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'guess', '203.0.113.7');
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'throttle pass 2', '203.0.113.7');
-- acct_thr2 has one failure of its own: still below the limit elsewhere
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'throttle pass 2', '198.51.100.5');
-- a success does not reset the per-address count
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'guess', '198.51.100.6');
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'throttle pass 2', '198.51.100.6');
SELECT sum(hits) AS hits FROM mcp_oauth.rate_limits WHERE bucket = 'login-addr:198.51.100.6';
-- unknown and over-long usernames are counted too
SELECT ok, error FROM mcp_oauth.login('acct_ghost', 'guess', NULL);
SELECT ok, error FROM mcp_oauth.login('acct_ghost', 'guess', NULL);
SELECT ok, error FROM mcp_oauth.login('acct_ghost', 'guess', NULL);
SELECT ok, error FROM mcp_oauth.login('acct_ghost', 'guess', NULL);
SELECT ok, error FROM mcp_oauth.login(repeat('g', 1000), 'guess', '198.51.100.7');
-- (their buckets are named by an HMAC of the text, not the text)
SELECT bucket = pg_temp.unknown_bucket('acct_ghost') AS ghost_bucket, hits
  FROM mcp_oauth.rate_limits WHERE bucket LIKE 'login-unknown:%' AND hits = 3;
SELECT length(bucket) AS long_name_bucket_len FROM mcp_oauth.rate_limits
 WHERE bucket = pg_temp.unknown_bucket(repeat('g', 1000));
-- the window slides with the clock: no boundary hands out a fresh
-- allowance (the three failures, now 14 minutes old, still count) ...
UPDATE mcp_oauth.rate_limits SET window_start = now() - interval '14 minutes'
 WHERE bucket IN ('login-user:acct_thr', 'login-addr:203.0.113.7');
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'throttle pass 1', '198.51.100.4');
SELECT ok, error FROM mcp_oauth.login('acct_spray3', 'guess', '203.0.113.7');
-- ... once the oldest is over 15 minutes old, one more attempt is checked,
-- and the next is not ...
DELETE FROM mcp_oauth.rate_limits WHERE bucket = 'login-user:acct_thr';
INSERT INTO mcp_oauth.rate_limits (bucket, window_start, hits) VALUES
	('login-user:acct_thr', now() - interval '16 minutes', 1),
	('login-user:acct_thr', now() - interval '10 minutes', 1),
	('login-user:acct_thr', now() - interval '5 minutes', 1);
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'wrong guess 4', '198.51.100.4');
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'throttle pass 1', '198.51.100.4');
SELECT round(extract(epoch FROM now() - window_start) / 60) AS minutes_ago, hits
  FROM mcp_oauth.rate_limits WHERE bucket = 'login-user:acct_thr' ORDER BY window_start;
-- ... and when all are, the bucket is open again
UPDATE mcp_oauth.rate_limits SET window_start = window_start - interval '15 minutes 1 second'
 WHERE bucket IN ('login-user:acct_thr', 'login-addr:203.0.113.7');
SELECT ok, error FROM mcp_oauth.login('acct_thr', 'throttle pass 1', '198.51.100.4');
SELECT ok, error FROM mcp_oauth.login('acct_spray3', 'guess', '203.0.113.7');
SELECT bucket, sum(hits) FILTER (WHERE window_start = now()) AS hits_now FROM mcp_oauth.rate_limits
 WHERE bucket IN ('login-user:acct_thr', 'login-addr:203.0.113.7') GROUP BY bucket ORDER BY bucket;
-- the audit trail says who was throttled from where, never a password
SELECT event, subject, client_addr FROM mcp_oauth.audit_log
 WHERE audit_id > (SELECT id FROM thr_mark) AND event = 'login_throttled' ORDER BY audit_id;
SELECT count(*) AS secrets_in_audit FROM mcp_oauth.audit_log a
 WHERE audit_id > (SELECT id FROM thr_mark) AND a::text ~ '(throttle pass|wrong guess|guess)';
-- 0 turns it off: no refusal, nothing counted
SET mcp_oauth.login_attempt_limit = 0;
SELECT ok, error FROM mcp_oauth.login('acct_ghost', 'guess', NULL);
SELECT sum(hits) AS hits FROM mcp_oauth.rate_limits WHERE bucket = pg_temp.unknown_bucket('acct_ghost');
SELECT ok, error FROM mcp_oauth.login('acct_thr2', 'throttle pass 2', '203.0.113.7');
COMMIT;
RESET mcp_oauth.login_attempt_limit;
SHOW mcp_oauth.login_attempt_limit;
-- only a superuser may change it
CREATE ROLE regress_mo_thr NOLOGIN;
SET ROLE regress_mo_thr;
SELECT pg_temp.err($$SET mcp_oauth.login_attempt_limit = 0$$);
RESET ROLE;
DROP ROLE regress_mo_thr;

-- A password typed into the username field (issue 12): a failed or
-- throttled sign-in with a username that names no account keeps that text
-- neither in the audit (subject NULL, {"unknown_user": true}) nor in
-- rate_limits (the bucket is an HMAC of it).  An account's name is kept.
SET mcp_oauth.login_attempt_limit = 1;
TRUNCATE thr_mark;
INSERT INTO thr_mark SELECT coalesce(max(audit_id), 0) FROM mcp_oauth.audit_log;
SELECT ok, error FROM mcp_oauth.login('Tr0ub4dor&3-typed-here', 'acct_alice', '198.51.100.40');
SELECT ok, error FROM mcp_oauth.login('Tr0ub4dor&3-typed-here', 'acct_alice', '198.51.100.41');
SET mcp_oauth.login_attempt_limit = 0;
SELECT ok, error FROM mcp_oauth.login('acct_alice', 'a wrong password', '198.51.100.42');
SELECT event, subject, detail FROM mcp_oauth.audit_log
 WHERE audit_id > (SELECT id FROM thr_mark) ORDER BY audit_id;
SELECT count(*) AS typed_text_kept
  FROM (SELECT a::text AS t FROM mcp_oauth.audit_log a WHERE audit_id > (SELECT id FROM thr_mark)
		UNION ALL SELECT bucket FROM mcp_oauth.rate_limits) x
 WHERE strpos(t, 'Tr0ub4dor') > 0;
SELECT hits FROM mcp_oauth.rate_limits
 WHERE bucket = pg_temp.unknown_bucket('Tr0ub4dor&3-typed-here');
DELETE FROM mcp_oauth.rate_limits WHERE bucket ~ '^login-addr:198\.51\.100\.4'
   OR bucket = pg_temp.unknown_bucket('Tr0ub4dor&3-typed-here');
RESET mcp_oauth.login_attempt_limit;
