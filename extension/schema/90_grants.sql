-- mcp_oauth install script, part 90 (runs last): who may call what.
--
-- Nobody but the extension owner and superusers may call a function of the
-- schema, except the endpoint functions, which the HTTP server's role
-- mcp_oauth_server may call.  The admin API is granted to nobody.
-- sql/zz_security.sql checks the result.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA mcp_oauth FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
	authorization_server_metadata(),
	openid_configuration(),
	protected_resource_metadata(text),
	jwks(),
	register(text, text, text, inet),
	authorize(text, inet),
	authorize_decision(text, text, boolean, text, inet),
	token(text, text, text, inet),
	revoke(text, text, text, inet),
	introspect(text, text, text, inet),
	verify_access_token(text, text, text[]),
	login(text, text, inet, text),
	session_subject(text),
	logout(text),
	fetched(text, text, text, integer, text, text, integer, text, inet)
TO mcp_oauth_server;
