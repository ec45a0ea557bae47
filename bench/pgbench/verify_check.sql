-- verify_access_token of one token, failing the transaction (division by
-- zero) unless every column is what it must be: active, subject :sub,
-- scopes :scopes, kind :kind, no error.  For correctness under load, e.g.
--   pgbench -c 4 -T 10 -f bench/pgbench/verify_check.sql -D tok=mcp_pat_... \
--     -D resource=... -D need='{mcp:tools}' -D sub=bench \
--     -D scopes='{mcp:tools}' -D kind=pat
SELECT 1 / ((v).active AND (v).subject = :sub AND (v).scopes = :scopes::text[]
	AND (v).kind = :kind AND (v).error IS NULL)::int AS ok
  FROM (SELECT mcp_oauth.verify_access_token(:tok, :resource, :need) v) s;
