-- One refresh-token rotation per transaction, as over HTTP.  Each client
-- keeps its own token family: its first transaction reads the client's
-- initial token from bench_refresh (run with -D first=1), later ones use
-- the token the previous rotation returned.  Anything but a 200 fails the
-- transaction (division by zero), so a broken family cannot pass for speed.
\if :first
SELECT rt FROM bench_refresh WHERE id = :client_id \gset
\set first 0
\endif
SELECT (r).body::json->>'refresh_token' AS rt, 1 / ((r).status = 200)::int AS ok
  FROM (SELECT mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || :rt,
	'127.0.0.1') AS r) s \gset
