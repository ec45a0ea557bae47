-- mcp_oauth install script, part 40: local accounts and login sessions
-- (accounts.c), personal access tokens (pat.c), purge_expired (purge.c).

-- pgcrypto's crypt() and gen_salt(), bound by C symbol so that nothing
-- depends on the schema pgcrypto was installed in.  Private helpers.
CREATE FUNCTION _crypt(text, text) RETURNS text
	AS '$libdir/pgcrypto', 'pg_crypt'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _gen_salt(text, int4) RETURNS text
	AS '$libdir/pgcrypto', 'pg_gen_salt_rounds'
	LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
REVOKE EXECUTE ON FUNCTION _crypt(text, text), _gen_salt(text, int4) FROM PUBLIC;

-- What login returns; error is 'invalid_credentials' when ok is false, or
-- 'too_many_attempts' past mcp_oauth.login_attempt_limit failed logins
-- (per 15 minutes, per username and per client address).
CREATE TYPE login_result AS (
	ok boolean,
	session_token text,
	subject text,
	error text
);

-- Admin API: accounts.

CREATE FUNCTION create_account(username text, password text,
							   is_admin boolean DEFAULT false,
							   display_name text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'create_account'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION set_password(username text, password text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'set_password'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION authenticate(username text, password text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'authenticate'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION disable_account(username text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'disable_account'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Endpoint functions: login sessions of the consent pages.  They accept
-- NULL arguments and never raise for bad credentials.

-- A successful login ends previous_session (the session the browser held,
-- if any): signing in again never leaves the earlier session alive.
CREATE FUNCTION login(username text, password text, client_addr inet,
					  previous_session text DEFAULT NULL)
	RETURNS login_result
	AS 'MODULE_PATHNAME', 'mcp_oauth_login'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION session_subject(session_token text)
	RETURNS TABLE (subject text, csrf_token text, is_admin boolean)
	AS 'MODULE_PATHNAME', 'session_subject'
	LANGUAGE C VOLATILE SECURITY DEFINER ROWS 1
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION logout(session_token text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'mcp_oauth_logout'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: personal access tokens.

CREATE FUNCTION create_personal_access_token(subject text, name text,
											 scopes text[],
											 expires_at timestamptz DEFAULT NULL,
											 resource text DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'create_personal_access_token'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION list_personal_access_tokens(subject text)
	RETURNS TABLE (pat_id bigint, name text, scopes text[], resource text,
				   created_at timestamptz, expires_at timestamptz,
				   last_used_at timestamptz, revoked_at timestamptz)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp
	AS $$
	SELECT p.pat_id, p.name, p.scopes, p.resource, p.created_at,
		   p.expires_at, p.last_used_at, p.revoked_at
	  FROM mcp_oauth.personal_access_tokens p
	 WHERE p.subject = list_personal_access_tokens.subject
	 ORDER BY p.pat_id
	$$;

CREATE FUNCTION revoke_personal_access_token(pat_id bigint)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'revoke_personal_access_token'
	LANGUAGE C VOLATILE STRICT SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: housekeeping.

-- purge_expired(batch_size): at most batch_size rows per step (0, the
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
-- (REVOKE ... ON ALL FUNCTIONS in part 90 does not cover procedures)
REVOKE EXECUTE ON PROCEDURE purge_expired_all(integer) FROM PUBLIC;
