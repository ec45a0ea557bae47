-- mcp_oauth install script, part 30: the token endpoint (token.c),
-- revocation and introspection (revoke.c).  EXECUTE is granted in part 90.

-- RFC 6749 section 3.2: authorization_code (with PKCE) and refresh_token.
CREATE FUNCTION token(content_type text, authorization text, body text,
					  client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'mcp_oauth_token'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- RFC 7009 token revocation: 200 for any token.
CREATE FUNCTION revoke(content_type text, authorization text, body text,
					   client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'mcp_oauth_revoke'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- RFC 7662 token introspection, for confidential clients.
CREATE FUNCTION introspect(content_type text, authorization text, body text,
						   client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'mcp_oauth_introspect'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: revoke a grant and every token it issued; false if it was
-- already revoked.
CREATE FUNCTION revoke_grant(grant_id bigint, reason text DEFAULT 'admin')
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'revoke_grant'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: allow (or forbid) a confidential client to introspect access
-- tokens of other clients, as a resource server does; every confidential
-- client may introspect its own.  Raises for an unknown or public client.
CREATE FUNCTION set_client_introspection(client_id text, allowed boolean)
	RETURNS void
	AS 'MODULE_PATHNAME', 'set_client_introspection'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;
