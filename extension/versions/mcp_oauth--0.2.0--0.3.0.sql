-- mcp_oauth 0.2.0 -> 0.3.0
--
-- The security review's fixes (issue 12): redirect URI rules, atomic login
-- throttling with a sliding window, registration limits on by default,
-- audit retention, introspection rights.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.3.0'" to load this file. \quit

-- Finding 2 (login throttling is check-then-act) and finding 4 (growth an
-- attacker controls): rate_limits holds one row per bucket with the counts
-- of its current and previous window (ratelimit.c), counted before the
-- attempt is decided.  Each bucket keeps the count of its latest window.
DELETE FROM rate_limits r
 WHERE EXISTS (SELECT FROM rate_limits n
				WHERE n.bucket = r.bucket AND n.window_start > r.window_start);
ALTER TABLE rate_limits DROP CONSTRAINT rate_limits_pkey;
ALTER TABLE rate_limits ADD PRIMARY KEY (bucket),
	ADD COLUMN prev_hits integer NOT NULL DEFAULT 0;
