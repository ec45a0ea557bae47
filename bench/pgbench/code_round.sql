-- authorize -> approve -> code exchange: three transactions, as over HTTP;
-- a token answer other than 200 fails the transaction (division by zero)
SELECT (mcp_oauth.authorize('response_type=code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=s', '127.0.0.1')).body::json->>'request_id' AS req \gset
SELECT substring((mcp_oauth.authorize_decision(:req, 'bench', true, NULL, '127.0.0.1')).location from '[?&]code=([^&]+)') AS code \gset
SELECT 1 / ((mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=authorization_code&client_id=mcp-agent&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code=' || :code::text,
	'127.0.0.1')).status = 200)::int AS ok \gset
