-- purge_expired(batch_size) and purge_expired_all(batch_size): purging in
-- bounded batches, each its own transaction, and resumable after an
-- interruption; and the indexes each purge step (and the README's audit
-- queries) reads.
SET mcp_oauth.clock_leeway = 60;
SET mcp_oauth.access_token_lifetime = 900;
SET mcp_oauth.audit_retention = '90d';

-- 1. a negative batch size is refused (0 purges everything at once)
SELECT * FROM mcp_oauth.purge_expired(-1);
CALL mcp_oauth.purge_expired_all(0);
-- start from nothing to purge
SELECT sum(deleted) >= 0 AS ok FROM mcp_oauth.purge_expired();

-- 2. 25 expired rows of three kinds, and live ones that stay
INSERT INTO mcp_oauth.used_requests (nonce_hash, expires_at)
SELECT sha256(convert_to('pb-req-' || i, 'UTF8')),
	   CASE WHEN i <= 25 THEN now() - interval '2 hours' ELSE now() + interval '5 minutes' END
  FROM generate_series(1, 30) i;
INSERT INTO mcp_oauth.revoked_access_tokens (jti, grant_id, expires_at)
SELECT gen_random_uuid(), -1, CASE WHEN i <= 25 THEN now() - interval '1 day' ELSE now() + interval '10 minutes' END
  FROM generate_series(1, 30) i;
INSERT INTO mcp_oauth.audit_log (at, event, detail)
SELECT now() - interval '100 days', 'pb_old', jsonb_build_object('i', i)
  FROM generate_series(1, 25) i;

-- 3. one batch of 10 deletes 10 of each kind, no more
SELECT what, deleted FROM mcp_oauth.purge_expired(10)
 WHERE what IN ('used_requests', 'revoked_access_tokens', 'audit_log') ORDER BY what;

-- 4. a batch rolled back (an interrupted purge) deletes nothing; the next
-- one picks up where the last committed one ended
BEGIN;
SELECT what, deleted FROM mcp_oauth.purge_expired(10)
 WHERE what IN ('used_requests', 'revoked_access_tokens', 'audit_log') ORDER BY what;
ROLLBACK;
SELECT count(*) AS old_audit_left FROM mcp_oauth.audit_log WHERE event = 'pb_old';

-- 5. purge_expired_all interrupted half way: the second batch fails (a
-- trigger on its audit row), the first stays committed; CALLed again, it
-- finishes, and only the live rows are left
-- (a sequence counts the batches: its count survives the rollback)
CREATE SEQUENCE pb_calls;
CREATE FUNCTION pb_fail_second() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF nextval('public.pb_calls') = 2 THEN
		RAISE EXCEPTION 'interrupted';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER pb_fail AFTER INSERT ON mcp_oauth.audit_log
	FOR EACH ROW WHEN (NEW.event = 'purged') EXECUTE FUNCTION pb_fail_second();
CALL mcp_oauth.purge_expired_all(5);
SELECT (SELECT count(*) FROM mcp_oauth.used_requests
		 WHERE nonce_hash IN (SELECT sha256(convert_to('pb-req-' || i, 'UTF8')) FROM generate_series(1, 30) i)) AS requests_left,
	   (SELECT count(*) FROM mcp_oauth.revoked_access_tokens WHERE grant_id = -1) AS denied_left,
	   (SELECT count(*) FROM mcp_oauth.audit_log WHERE event = 'pb_old') AS old_audit_left;
CALL mcp_oauth.purge_expired_all(5);
DROP TRIGGER pb_fail ON mcp_oauth.audit_log;
-- batches that deleted rows (each writes an audit row), kind by kind: 1
-- committed, 2 failed; the second CALL went on from there, 5 rows a batch
SELECT last_value AS purge_batches FROM pb_calls;
SELECT (SELECT count(*) FROM mcp_oauth.used_requests
		 WHERE nonce_hash IN (SELECT sha256(convert_to('pb-req-' || i, 'UTF8')) FROM generate_series(1, 30) i)) AS requests_left,
	   (SELECT count(*) FROM mcp_oauth.revoked_access_tokens WHERE grant_id = -1) AS denied_left,
	   (SELECT count(*) FROM mcp_oauth.audit_log WHERE event = 'pb_old') AS old_audit_left;
-- each batch left its own audit row with its counts (the last ones: audit rows)
SELECT detail->'revoked_access_tokens' AS denied, detail->'audit_log' AS audit
  FROM mcp_oauth.audit_log WHERE event = 'purged' ORDER BY audit_id DESC LIMIT 3;

-- 6. purge_expired_all cannot run inside a transaction block (it commits)
BEGIN;
CALL mcp_oauth.purge_expired_all(5);
ROLLBACK;

-- 7. every purge step, the deny list and the README's audit queries read
-- an index (seqscan off stands in for a large table)
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT nonce_hash FROM mcp_oauth.used_requests
 WHERE expires_at < now() - interval '1 hour' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT code_hash FROM mcp_oauth.authorization_codes
 WHERE expires_at < now() LIMIT 10;
EXPLAIN (COSTS OFF) SELECT token_hash FROM mcp_oauth.refresh_tokens
 WHERE expires_at < now() LIMIT 10;
EXPLAIN (COSTS OFF) SELECT jti FROM mcp_oauth.revoked_access_tokens
 WHERE expires_at < now() - interval '60 seconds' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT FROM mcp_oauth.revoked_access_tokens r
 WHERE r.expires_at > now() LIMIT 1;
EXPLAIN (COSTS OFF) SELECT session_hash FROM mcp_oauth.login_sessions
 WHERE expires_at < now() LIMIT 10;
EXPLAIN (COSTS OFF) DELETE FROM mcp_oauth.login_sessions WHERE account_id = 1;
EXPLAIN (COSTS OFF) SELECT bucket FROM mcp_oauth.rate_limits
 WHERE window_start < now() - interval '1 day' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT grant_id FROM mcp_oauth.grants g
 WHERE g.expires_at < now() - interval '1 hour' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT grant_id FROM mcp_oauth.grants g
 WHERE g.revoked_at IS NOT NULL LIMIT 10;
EXPLAIN (COSTS OFF) SELECT client_id FROM mcp_oauth.clients c
 WHERE c.kind = 'dynamic' AND coalesce(c.last_used_at, c.created_at) < now() - interval '30 days' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT audit_id FROM mcp_oauth.audit_log
 WHERE at < now() - interval '90 days' ORDER BY at LIMIT 10;
-- the README's audit queries: the latest rows, a person's, a client's
EXPLAIN (COSTS OFF) SELECT at, event, subject, client_id, client_addr
  FROM mcp_oauth.audit_log ORDER BY at DESC LIMIT 20;
EXPLAIN (COSTS OFF) SELECT at, event, client_id, client_addr, detail
  FROM mcp_oauth.audit_log WHERE subject = 'alice' ORDER BY at DESC LIMIT 20;
EXPLAIN (COSTS OFF) SELECT at, event, subject, client_addr, detail
  FROM mcp_oauth.audit_log WHERE client_id = 'mcp-agent' ORDER BY at DESC LIMIT 20;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP SEQUENCE pb_calls;
DROP FUNCTION pb_fail_second();
-- leave no rows for later files
DELETE FROM mcp_oauth.revoked_access_tokens WHERE grant_id = -1;
DELETE FROM mcp_oauth.used_requests
 WHERE nonce_hash IN (SELECT sha256(convert_to('pb-req-' || i, 'UTF8')) FROM generate_series(1, 30) i);

-- 7. The busy share: out of range is refused; 1 never rests.
\set VERBOSITY terse
CALL mcp_oauth.purge_expired_all(5, 0);
CALL mcp_oauth.purge_expired_all(5, 1.5);
CALL mcp_oauth.purge_expired_all(5, NULL);
\set VERBOSITY default
CALL mcp_oauth.purge_expired_all(5, 1);

-- 8. Kinds: only the steps of the kinds named run; none named, nothing
-- runs and no audit row is written; a name that is no kind is refused.
INSERT INTO mcp_oauth.used_requests (nonce_hash, expires_at)
VALUES (sha256('kinds-req'), now() - interval '2 hours');
INSERT INTO mcp_oauth.audit_log (at, event, subject)
VALUES (now() - interval '400 days', 'purge_test', 'kinds-audit');
SELECT count(*) AS audit_before FROM mcp_oauth.audit_log WHERE event = 'purged' \gset
SELECT what, deleted FROM mcp_oauth.purge_expired(0, '{}') WHERE deleted > 0;
SELECT count(*) - :audit_before AS purged_audit_rows FROM mcp_oauth.audit_log WHERE event = 'purged';
SELECT what, deleted FROM mcp_oauth.purge_expired(0, ARRAY['audit_log']) WHERE deleted > 0;
SELECT count(*) AS request_kept FROM mcp_oauth.used_requests WHERE nonce_hash = sha256('kinds-req');
SELECT what, deleted FROM mcp_oauth.purge_expired(0, ARRAY['used_requests']) WHERE deleted > 0;
\set VERBOSITY terse
SELECT * FROM mcp_oauth.purge_expired(0, ARRAY['tokens']);
\set VERBOSITY default
