-- One refresh-token rotation per transaction, each of a loaded live token
-- used once (bench/scale.sh): client :client_id's n-th transaction of a run
-- takes token number :base + :client_id * :stride + n, permuted over the
-- :live loaded tokens (bench_rt(k), of grant :g0 + k, whose client is
-- bench_client(1 + k * 7919 % :clients)).  Run with -D n=0.  Anything but
-- a 200 fails the transaction (division by zero): a reuse or an unknown
-- token cannot pass for speed.
\set n :n + 1
\set k 1 + permute(:base + :client_id * :stride + :n, :live, 7)
\set c 1 + (:k * 7919) % :clients
SELECT 1 / ((mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=' || bench_client(:c) || '&refresh_token=' || bench_rt(:k),
	'127.0.0.1')).status = 200)::int AS ok;
