-- one refresh-token rotation per transaction; each client keeps its own family
SELECT rt FROM bench_refresh WHERE id = :client_id \gset
BEGIN;
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || :rt::text,
	'127.0.0.1')).body::json->>'refresh_token' AS newrt \gset
UPDATE bench_refresh SET rt = :newrt WHERE id = :client_id;
COMMIT;
