-- mcp_oauth install script, part 20: client registration (register.c) and
-- the authorization endpoint with its consent decision (authorize.c).
-- EXECUTE is granted in 90_grants.sql.

-- Finding an identical dynamic public client on re-registration
-- (register.c); hash, because redirect URI arrays may be long.
CREATE INDEX clients_dynamic_redirect_uris_idx ON clients
	USING hash (redirect_uris) WHERE kind = 'dynamic';
CREATE INDEX clients_registration_digest_idx ON clients (registration_digest)
	WHERE registration_digest IS NOT NULL;

-- RFC 7591 dynamic client registration.  authorization (an initial access
-- token) is accepted for the HTTP server's uniform calling convention but
-- not used.
CREATE FUNCTION register(content_type text, authorization text, body text,
						 client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'mcp_oauth_register'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- The authorization endpoint: the raw query string of GET /authorize.
CREATE FUNCTION authorize(query text, client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'authorize'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- The person's answer on the consent page (subject: who approved).
CREATE FUNCTION authorize_decision(request_id text, subject text,
								   approve boolean, granted_scope text,
								   client_addr inet)
	RETURNS http_response
	AS 'MODULE_PATHNAME', 'authorize_decision'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- What create_client returns (a named type rather than RETURNS TABLE,
-- whose client_id column would clash with the client_id parameter).
CREATE TYPE client_credentials AS (
	client_id text,
	client_secret text			-- null for a public client
);

-- Admin API: pre-registered ('static') clients.  The secret of a
-- confidential client is returned here once and never stored.
CREATE FUNCTION create_client(client_name text, redirect_uris text[],
							  confidential boolean DEFAULT false,
							  scope text DEFAULT NULL,
							  client_id text DEFAULT NULL)
	RETURNS client_credentials
	AS 'MODULE_PATHNAME', 'create_client'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: delete a client with its pending requests, grants, codes and
-- tokens (the built-in client cannot be deleted).
CREATE FUNCTION delete_client(client_id text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'delete_client'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;
