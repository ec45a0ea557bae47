-- mcp_oauth 0.2.0 -> 0.3.0
--
-- The security review's fixes (issue 12): redirect URI rules, atomic login
-- throttling with a sliding window, registration limits on by default,
-- audit retention, introspection rights.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.3.0'" to load this file. \quit

-- Finding 6 (introspection rights) and finding 3 (a dynamic client's
-- errors are redirected only to a redirect URI a person approved): two
-- columns of clients, and the admin function that sets the first.
-- (the default is set after the rows are filled, not in ADD COLUMN, whose
-- stored "missing value" a fresh install does not have)
ALTER TABLE clients ADD COLUMN introspection_allowed boolean;
UPDATE clients SET introspection_allowed = false;
ALTER TABLE clients ALTER COLUMN introspection_allowed SET DEFAULT false,
	ALTER COLUMN introspection_allowed SET NOT NULL;
ALTER TABLE clients ADD COLUMN approved_redirect_uris text[];

CREATE FUNCTION set_client_introspection(client_id text, allowed boolean)
	RETURNS void
	AS 'MODULE_PATHNAME', 'set_client_introspection'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION set_client_introspection(text, boolean) FROM PUBLIC;

-- Issue 13 item 3 (registration by index): the digest of a dynamic public
-- client's metadata, indexed, so re-registration finds an identical client
-- with one lookup.  Existing dynamic public clients get theirs computed by
-- the same expression register.c uses, so they are still deduplicated.
ALTER TABLE clients ADD COLUMN registration_digest bytea;
UPDATE clients
	SET registration_digest = sha256(convert_to(
		(metadata - 'client_id' - 'client_id_issued_at')::text, 'UTF8'))
	WHERE kind = 'dynamic' AND client_secret_hash IS NULL
		AND token_endpoint_auth_method = 'none';
CREATE INDEX clients_registration_digest_idx ON clients (registration_digest)
	WHERE registration_digest IS NOT NULL;
