-- verify_access_token of one of the first :n tokens of bench_jwts, drawn at
-- random (-D n=... -D resource=... -D need=...); an inactive answer fails the
-- transaction (division by zero)
\set i random(1, :n)
SELECT 1 / (mcp_oauth.verify_access_token(t, :resource, :need)).active::int AS ok
  FROM bench_jwts WHERE id = :i;
