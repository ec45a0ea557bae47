-- mcp_oauth 0.2.0 -> 0.3.0
--
-- The security review's fixes (issue 12): redirect URI rules, atomic login
-- throttling with a sliding window, registration limits on by default,
-- audit retention, introspection rights.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.3.0'" to load this file. \quit

-- Finding 2 (login throttling is check-then-act) and finding 4 (growth an
-- attacker controls): rate_limits holds one row per bucket with the times
-- of the attempts it counted within its window (ratelimit.c), counted
-- before the attempt is decided.  A fixed window's count becomes that many
-- attempts at the window's start, so what was counted lately still counts
-- until it leaves the window.
ALTER TABLE rate_limits RENAME TO rate_limits_0_2;
ALTER INDEX rate_limits_pkey RENAME TO rate_limits_0_2_pkey;
CREATE TABLE rate_limits (
	bucket text PRIMARY KEY,
	attempts timestamptz[] NOT NULL
);
INSERT INTO rate_limits (bucket, attempts)
SELECT bucket, array_agg(window_start ORDER BY window_start)
  FROM rate_limits_0_2, generate_series(1, least(hits, 1000))
 WHERE window_start > now() - interval '1 day'
 GROUP BY bucket;
ALTER EXTENSION mcp_oauth DROP TABLE rate_limits_0_2;
DROP TABLE rate_limits_0_2;
REVOKE ALL ON rate_limits FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('rate_limits', '');
