-- verify_access_token of one token (-D tok=... -D resource=... -D need=...),
-- with the verified-token cache as configured; an inactive answer fails the
-- transaction (division by zero)
SELECT 1 / (mcp_oauth.verify_access_token(:tok, :resource, :need)).active::int AS ok;
