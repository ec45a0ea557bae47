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

-- Issue 13, purge in batches: purge_expired(batch_size), the procedure
-- purge_expired_all(batch_size) that commits between batches, and the
-- indexes each purge step (and the README's audit queries) needs.
CREATE INDEX login_sessions_expires_idx ON login_sessions (expires_at);
CREATE INDEX login_sessions_account_idx ON login_sessions (account_id);
CREATE INDEX clients_dynamic_unused_idx ON clients (coalesce(last_used_at, created_at))
	WHERE kind = 'dynamic';
CREATE INDEX used_requests_expires_idx ON used_requests (expires_at);
CREATE INDEX grants_expires_idx ON grants (expires_at);
CREATE INDEX grants_revoked_idx ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
DROP INDEX audit_log_at_idx;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at) WHERE subject IS NOT NULL;
CREATE INDEX audit_log_client_idx ON audit_log (client_id, at) WHERE client_id IS NOT NULL;

DROP FUNCTION purge_expired();
-- purge_expired(batch_size): at most batch_size rows of each kind (0, the
-- default: everything, in one transaction).
CREATE FUNCTION purge_expired(batch_size integer DEFAULT 0)
	RETURNS TABLE (what text, deleted bigint)
	AS 'MODULE_PATHNAME', 'purge_expired'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- purge_expired_all(batch_size): purge_expired(batch_size) until a batch
-- finds nothing, committing after each, so no transaction holds more than
-- one batch (CALL it outside a transaction block).  A procedure that
-- commits may be neither SECURITY DEFINER nor carry a SET clause: it runs
-- with its caller's rights (who needs EXECUTE on purge_expired too) and
-- qualifies every name it uses.
CREATE PROCEDURE purge_expired_all(batch_size integer DEFAULT 10000)
	LANGUAGE plpgsql
	AS $$
DECLARE
	n bigint;
BEGIN
	IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION USING ERRCODE = 'MO001',
			MESSAGE = 'batch size must be positive';
	END IF;
	LOOP
		SELECT pg_catalog.sum(p.deleted) INTO n
		  FROM mcp_oauth.purge_expired(batch_size) p;
		COMMIT;
		EXIT WHEN n OPERATOR(pg_catalog.=) 0;
	END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION purge_expired(integer) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE purge_expired_all(integer) FROM PUBLIC;

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
