-- Growth an attacker controls (issue 12, finding 4): registration is
-- limited by default, and a failed request keeps at most a few hundred
-- bytes of attacker text in its audit row.  (Audit retention: purge.sql.)
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.reg(name text, addr inet) RETURNS text LANGUAGE sql AS $$
	SELECT r.status || ' ' || coalesce(r.body::json->>'error', 'ok')
	  FROM mcp_oauth.register('application/json', NULL,
		format('{"client_name": %s, "redirect_uris": ["https://limits.example.com/cb"]}',
			   to_json(name)), addr) r
$$;

-- 1. The registration limit is on by default: 20 per sliding hour per
--    address (one transaction: now() stays put; rolled back at the end).
BEGIN;
SELECT pg_temp.reg('Limits ' || i, '198.51.100.40') AS outcome, count(*)
  FROM generate_series(1, 25) i GROUP BY 1 ORDER BY 1;
SHOW mcp_oauth.registration_rate_limit;
-- a refused registration is not counted, and made no client
SELECT sum(hits) AS hits FROM mcp_oauth.rate_limits WHERE bucket = 'register:addr:198.51.100.40';
SELECT count(*) AS clients_made FROM mcp_oauth.clients WHERE client_name LIKE 'Limits %';
-- another address is not affected
SELECT pg_temp.reg('Limits other', '198.51.100.41') AS other_address;
-- 59 minutes later the 20 still count (the hour slides) ...
UPDATE mcp_oauth.rate_limits SET window_start = now() - interval '59 minutes'
 WHERE bucket = 'register:addr:198.51.100.40';
SELECT pg_temp.reg('Limits sliding', '198.51.100.40') AS within_the_hour;
-- ... and when 5 of them are over an hour old, 5 more are allowed
DELETE FROM mcp_oauth.rate_limits WHERE bucket = 'register:addr:198.51.100.40';
INSERT INTO mcp_oauth.rate_limits (bucket, window_start, hits) VALUES
	('register:addr:198.51.100.40', now() - interval '61 minutes', 5),
	('register:addr:198.51.100.40', now() - interval '30 minutes', 15);
SELECT pg_temp.reg('Limits later ' || i, '198.51.100.40') AS outcome, count(*)
  FROM generate_series(1, 7) i GROUP BY 1 ORDER BY 1;
SELECT hits FROM mcp_oauth.rate_limits
 WHERE bucket = 'register:addr:198.51.100.40' AND window_start = now();
ROLLBACK;

-- 2. The per-identity limit holds from many addresses (the same
--    software_id), and the allow-list exempts only the address.
BEGIN;
SET LOCAL mcp_oauth.registration_allowlist = '203.0.113.0/24';
SELECT (mcp_oauth.register('application/json', NULL,
		'{"software_id": "limits-same", "redirect_uris": ["https://limits.example.com/cb"]}',
		('203.0.113.' || i)::inet)).status, count(*)
  FROM generate_series(1, 22) i GROUP BY 1 ORDER BY 1;
SELECT count(*) AS addr_buckets FROM mcp_oauth.rate_limits WHERE bucket LIKE 'register:addr:203.0.113.%';
ROLLBACK;

-- 3. Attacker text in the audit log is clipped, or not kept: a 60 KB
--    username of a failed sign-in names no account and is not kept at
--    all (accounts.c audit_login); a 60 KB client_id of a failed client
--    authentication is clipped at a character boundary (one-byte, then
--    two-byte characters).
SELECT ok, error FROM mcp_oauth.login(repeat('é', 30000), 'a wrong password', '192.0.2.60');
SELECT subject, detail
  FROM mcp_oauth.audit_log WHERE event = 'login_failed' AND client_addr = '192.0.2.60';
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=refresh_token&refresh_token=x&client_secret=s&client_id=' || repeat('c', 60000),
		'192.0.2.61')).status;
SELECT octet_length(client_id) AS bytes, client_id = repeat('c', 253) || '...' AS clipped
  FROM mcp_oauth.audit_log WHERE event = 'client_auth_failed' AND client_addr = '192.0.2.61';
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=refresh_token&refresh_token=x&client_secret=s&client_id=' || repeat('%C3%A9', 10000),
		'192.0.2.63')).status;
SELECT octet_length(client_id) AS bytes, client_id LIKE 'ééé%é...' AS clipped_whole_chars
  FROM mcp_oauth.audit_log WHERE event = 'client_auth_failed' AND client_addr = '192.0.2.63';
-- nor is a short one (an account's name is, accounts.sql)
SELECT ok FROM mcp_oauth.login('limits-nobody', 'a wrong password', '192.0.2.62');
SELECT subject, detail FROM mcp_oauth.audit_log WHERE client_addr = '192.0.2.62';
DELETE FROM mcp_oauth.rate_limits WHERE bucket ~ '^login-(addr:192\.0\.2\.6|unknown:)';

-- 4. Issue 12 follow-up A: an IPv6 address counts by its /64, so rotating
--    addresses within it (and client names with them) does not reset the
--    registration limit; another /64 is another bucket.  An IPv4-mapped
--    address (a dual-stack socket's IPv4 peer) is its IPv4 address.
BEGIN;
SET LOCAL mcp_oauth.registration_rate_limit = 2;
SELECT pg_temp.reg('Limits v6 one', '2001:db8::1') AS first_in_64;
SELECT pg_temp.reg('Limits v6 two', '2001:db8::2') AS second_in_64;
SELECT pg_temp.reg('Limits v6 three', '2001:db8::ffff:ffff:ffff:ffff') AS third_in_64;
SELECT pg_temp.reg('Limits v6 four', '2001:db8:0:1::1') AS next_64;
SELECT pg_temp.reg('Limits v4 one', '::ffff:192.0.2.1') AS mapped;
SELECT pg_temp.reg('Limits v4 two', '192.0.2.1') AS same_ipv4;
SELECT pg_temp.reg('Limits v4 three', '::ffff:192.0.2.1') AS mapped_again;
SELECT pg_temp.reg('Limits v4 four', '192.0.2.2') AS next_ipv4;
SELECT bucket, sum(hits) AS hits FROM mcp_oauth.rate_limits
 WHERE bucket LIKE 'register:addr:%' GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- 5. The allow-list exempts an address it holds, a mapped address by its
--    IPv4 form, and an IPv6 one whether it holds the address or its /64;
--    an allow-listed address does not exempt the rest of its /64.
BEGIN;
SET LOCAL mcp_oauth.registration_rate_limit = 1;
SET LOCAL mcp_oauth.registration_allowlist = '192.0.2.0/24, 2001:db8:0:2::/64, 2001:db8:0:3::7/128';
SELECT pg_temp.reg('Limits allow ' || a || ' ' || i, a) AS outcome, count(*)
  FROM unnest(ARRAY['::ffff:192.0.2.9', '2001:db8:0:2::1', '2001:db8:0:3::7']::inet[]) a,
	   generate_series(1, 3) i GROUP BY 1 ORDER BY 1;
SELECT pg_temp.reg('Limits allow next ' || i, '2001:db8:0:3::8') AS outcome, count(*)
  FROM generate_series(1, 3) i GROUP BY 1 ORDER BY 1;
SELECT bucket, sum(hits) AS hits FROM mcp_oauth.rate_limits
 WHERE bucket LIKE 'register:addr:%' GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- 6. The sign-in throttle counts addresses the same way (login-addr:).
BEGIN;
SET LOCAL mcp_oauth.login_attempt_limit = 2;
SELECT i, error FROM unnest(ARRAY['2001:db8::1', '2001:db8::2', '2001:db8::3',
								  '2001:db8:0:1::1', '::ffff:192.0.2.71', '192.0.2.71',
								  '::ffff:192.0.2.71']::inet[]) WITH ORDINALITY AS t(a, i),
	   LATERAL mcp_oauth.login('limits-v6-' || i, 'a wrong password', a)
 ORDER BY i;
SELECT bucket, sum(hits) AS hits FROM mcp_oauth.rate_limits
 WHERE bucket ~ '^login-addr:(2001:|192\.0\.2\.71)' GROUP BY 1 ORDER BY 1;
ROLLBACK;

-- 7. Issue 12 follow-up B: the counts need READ COMMITTED (at REPEATABLE
--    READ the snapshot is older than the wait for the bucket's lock, and
--    overlapping attempts would miss each other).  At REPEATABLE READ or
--    SERIALIZABLE a sign-in or a registration is refused with an error,
--    before any password is checked: the right one does not sign in.
SELECT mcp_oauth.create_account('limits-rr', 'limits right password') > 0 AS made;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT ok, error FROM mcp_oauth.login('limits-rr', 'limits right password', '192.0.2.90');
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT pg_temp.reg('Limits serializable', '192.0.2.91') AS serializable;
ROLLBACK;
SET default_transaction_isolation = 'repeatable read';
SELECT ok, error FROM mcp_oauth.login('limits-rr', 'a wrong password', '192.0.2.90');
-- with the limit off there is nothing to count, and a sign-in works
SET mcp_oauth.login_attempt_limit = 0;
SELECT ok, error FROM mcp_oauth.login('limits-rr', 'limits right password', '192.0.2.90');
RESET mcp_oauth.login_attempt_limit;
RESET default_transaction_isolation;
SELECT event, count(*) FROM mcp_oauth.audit_log WHERE subject = 'limits-rr' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS counted FROM mcp_oauth.rate_limits WHERE bucket IN ('login-user:limits-rr', 'login-addr:192.0.2.90');
-- and at READ COMMITTED the same sign-in is counted and checked
SELECT ok, error FROM mcp_oauth.login('limits-rr', 'a wrong password', '192.0.2.90');
DELETE FROM mcp_oauth.login_sessions WHERE account_id = (SELECT account_id FROM mcp_oauth.accounts WHERE username = 'limits-rr');
DELETE FROM mcp_oauth.audit_log WHERE subject = 'limits-rr';
DELETE FROM mcp_oauth.rate_limits WHERE bucket IN ('login-user:limits-rr', 'login-addr:192.0.2.90');
DELETE FROM mcp_oauth.accounts WHERE username = 'limits-rr';
