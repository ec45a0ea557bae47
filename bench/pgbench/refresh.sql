-- One refresh-token rotation per transaction, as over HTTP.  Each client
-- keeps its own token family: the first transaction takes the client's
-- initial token from bench_refresh (run with -D rt=-), later ones the token
-- the previous rotation returned.
SELECT (mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' ||
	CASE WHEN :rt = '-' THEN (SELECT rt FROM bench_refresh WHERE id = :client_id) ELSE :rt END,
	'127.0.0.1')).body::json->>'refresh_token' AS rt \gset
