-- mcp_oauth install script, part 10: discovery metadata, signing keys,
-- token verification (metadata.c, keys.c, verify.c).

-- RFC 8414 authorization server metadata.
CREATE FUNCTION authorization_server_metadata()
RETURNS http_response
AS 'MODULE_PATHNAME', 'authorization_server_metadata'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- OpenID Connect discovery twin of the above.
CREATE FUNCTION openid_configuration()
RETURNS http_response
AS 'MODULE_PATHNAME', 'openid_configuration'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- RFC 9728 protected resource metadata of a configured resource (NULL: the
-- first); 404 for an unknown one.
CREATE FUNCTION protected_resource_metadata(resource text DEFAULT NULL)
RETURNS http_response
AS 'MODULE_PATHNAME', 'protected_resource_metadata'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- The published signing keys, {"keys":[...]}.
CREATE FUNCTION jwks()
RETURNS http_response
AS 'MODULE_PATHNAME', 'jwks'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Verify a bearer token (JWT access token or personal access token) for a
-- protected resource.  VOLATILE: it records a PAT's last use (at most
-- hourly) and keeps a per-backend cache.
--
-- The one SECURITY DEFINER function without SET search_path: it runs on
-- every MCP request, and the SET clause makes every call save, set and
-- restore the GUC (a quarter of the cached path's time).  It is safe
-- because every query it and what it calls run (verify.c check_jti,
-- verify_pat, touch_pat; keys.c mo_check_jwt_signature) names tables
-- mcp_oauth.*, functions pg_catalog.*, operators OPERATOR(pg_catalog.x),
-- and passes parameters by type oid, so the caller's search_path (pg_temp
-- included) resolves nothing in them.  sql/zz_security.sql checks both.
CREATE FUNCTION verify_access_token(token text, resource text,
									required_scopes text[] DEFAULT '{}')
RETURNS token_verification
AS 'MODULE_PATHNAME', 'verify_access_token'
LANGUAGE C VOLATILE SECURITY DEFINER;

-- Admin: make a new signing key; returns its kid.  The first key signs at
-- once; a later one is published at once and signs after publish_ahead
-- (default 10 minutes), when the keys before it retire.
CREATE FUNCTION rotate_signing_key(alg text DEFAULT NULL,
								   publish_ahead interval DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'rotate_signing_key'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- EXECUTE: the endpoint functions above are granted to mcp_oauth_server and
-- rotate_signing_key to nobody in 90_grants.sql.

-- Every backend keeps the signing keys, the request key, the scopes and
-- the client rows it used in memory (keys.c, pending.c, scope.c,
-- clients.c); any change to one of these tables
-- makes every backend reload its copy (at commit; the changing one at its
-- next command).  Trigger only:
-- EXECUTE stays revoked (90_grants.sql).
CREATE FUNCTION cached_table_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'cached_table_changed'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE TRIGGER signing_keys_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON signing_keys
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();

-- clients: backends keep only rows they read, so a new client changes
-- nothing (a registration flood does not empty the copies), and neither
-- does the hourly last_used_at touch (the touching backend remembers it;
-- clients.c); any other change does.
CREATE TRIGGER clients_deleted
	AFTER DELETE OR TRUNCATE ON clients
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();

CREATE TRIGGER clients_changed
	AFTER UPDATE ON clients
	FOR EACH ROW
	WHEN (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) 'last_used_at'::text
		  IS DISTINCT FROM pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) 'last_used_at'::text)
	EXECUTE FUNCTION cached_table_changed();

CREATE TRIGGER request_key_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON request_key
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();

CREATE TRIGGER scopes_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON scopes
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();
