-- verify_access_token of one token (-D tok=... -D resource=... -D need=...),
-- with the verified-token cache as configured
SELECT (mcp_oauth.verify_access_token(:tok, :resource, :need)).active;
