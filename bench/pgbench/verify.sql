-- verify_access_token of one token (-D tok=...), with the cache as configured
SELECT (mcp_oauth.verify_access_token(:tok, :resource, '{mcp:tools}')).active;
