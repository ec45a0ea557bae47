-- mcp_oauth install script, part 0: roles, types and tables.
--
-- The install script is the concatenation of extension/schema/*.sql in
-- name order (see Makefile).  Every table is private to the extension
-- owner; callers reach the data only through SECURITY DEFINER functions.

\echo Use "CREATE EXTENSION mcp_oauth" to load this file. \quit

-- Every text the extension reads, writes and decodes (form and JSON bodies,
-- \u escapes, URIs) is UTF-8.
DO $$
BEGIN
	IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
		RAISE EXCEPTION 'mcp_oauth requires a database with UTF8 encoding'
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = format('This database''s encoding is %s.',
								  pg_catalog.getdatabaseencoding());
	END IF;
END
$$;

-- The role the HTTP server logs in as (through a LOGIN member role): it may
-- call the endpoint functions and nothing else.  Roles are cluster-wide, so
-- it survives DROP EXTENSION and is created only when missing.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mcp_oauth_server') THEN
		CREATE ROLE mcp_oauth_server NOLOGIN;
	END IF;
END
$$;

-- What every endpoint function returns; the HTTP server copies the columns
-- to the response without interpreting them.
CREATE TYPE http_response AS (
	status integer,
	content_type text,
	location text,
	www_authenticate text,
	cache_control text,
	body text
);

-- What verify_access_token returns.
CREATE TYPE token_verification AS (
	active boolean,
	subject text,
	client_id text,
	scopes text[],
	expires_at timestamptz,
	kind text,					-- 'jwt' or 'pat'
	error text,					-- null, 'invalid_token' or 'insufficient_scope'
	error_description text,
	www_authenticate text		-- the challenge the HTTP layer must send
);

-- Scopes this server knows, with the plain words the consent page shows.
CREATE TABLE scopes (
	name text PRIMARY KEY
		CHECK (name ~ '^[\x21\x23-\x5B\x5D-\x7E]{1,64}$'),
	description text NOT NULL,
	is_default boolean NOT NULL DEFAULT true	-- granted when none is asked for
);

INSERT INTO scopes (name, description) VALUES
	('mcp:tools', 'Use the tools of this MCP server on your behalf'),
	('mcp:resources', 'Read the resources this MCP server offers'),
	('mcp:prompts', 'Use the prompts this MCP server offers');

-- Local accounts for the embedded default (teams with their own login call
-- authorize_decision with their own subject instead).
CREATE TABLE accounts (
	account_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username text NOT NULL UNIQUE
		CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$'),
	display_name text,
	password_hash text,			-- pgcrypto crypt(), bcrypt
	is_admin boolean NOT NULL DEFAULT false,
	disabled_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Browser login sessions of the consent pages (only the hash is kept).
CREATE TABLE login_sessions (
	session_hash bytea PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	client_addr inet,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
-- purge_expired() finds expired sessions, and ending a person's sessions
-- finds theirs, by index.
CREATE INDEX login_sessions_expires_idx ON login_sessions (expires_at);
CREATE INDEX login_sessions_account_idx ON login_sessions (account_id);

-- OAuth clients: built-in, pre-registered by an admin, or registered
-- dynamically (RFC 7591).
CREATE TABLE clients (
	client_id text PRIMARY KEY,
	client_secret_hash bytea,	-- SHA-256 of the secret; null for public clients
	token_endpoint_auth_method text NOT NULL DEFAULT 'none'
		CHECK (token_endpoint_auth_method IN
			   ('none', 'client_secret_basic', 'client_secret_post')),
	client_name text,
	redirect_uris text[] NOT NULL DEFAULT '{}',
	grant_types text[] NOT NULL DEFAULT '{authorization_code,refresh_token}',
	response_types text[] NOT NULL DEFAULT '{code}',
	application_type text NOT NULL DEFAULT 'web'
		CHECK (application_type IN ('web', 'native')),
	scope text,					-- space-separated; null means every known scope
	metadata jsonb NOT NULL DEFAULT '{}',	-- registered metadata, as returned
	kind text NOT NULL DEFAULT 'dynamic'
		CHECK (kind IN ('builtin', 'static', 'dynamic')),
	loopback_only boolean NOT NULL DEFAULT false,	-- any loopback redirect, nothing else
	registered_from inet,
	-- the clock, not the transaction time: a pending request is bound to
	-- (client_id, created_at), and a client deleted and registered again in
	-- one transaction is a new registration
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	last_used_at timestamptz,
	-- may introspect other clients' access tokens (a resource server; set by
	-- set_client_introspection()); any confidential client may introspect
	-- its own
	introspection_allowed boolean NOT NULL DEFAULT false,
	-- the redirect URIs (as registered) a person approved a request to: an
	-- error of a dynamic client's authorization request is redirected only
	-- to one of them, else shown to the person (clients.c, RFC 9700 section
	-- 4.11.2); NULL or empty: none yet
	approved_redirect_uris text[],
	-- a dynamic public client's SHA-256 of its metadata as jsonb text
	-- without client_id and client_id_issued_at (register.c): a client
	-- re-registering identical metadata is found by one index lookup;
	-- NULL for every other client
	registration_digest bytea
);
-- purge_expired() finds dynamic clients unused for 30 days by index
CREATE INDEX clients_dynamic_unused_idx ON clients (coalesce(last_used_at, created_at))
	WHERE kind = 'dynamic';
-- ... and those never used since mcp_oauth.unused_client_ttl
CREATE INDEX clients_dynamic_new_idx ON clients (created_at)
	WHERE kind = 'dynamic' AND last_used_at IS NULL;

-- The built-in public client for local tools: any loopback redirect URI.
INSERT INTO clients (client_id, client_name, application_type, kind,
					 loopback_only, metadata)
VALUES ('mcp-agent', 'MCP agent (local tools)', 'native', 'builtin', true,
		'{"client_id": "mcp-agent", "client_name": "MCP agent (local tools)", "token_endpoint_auth_method": "none", "application_type": "native", "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}');

-- Authorization requests awaiting consent are not stored: authorize()
-- seals the validated request into the handle the consent page carries
-- (AES-256-GCM under a key derived from request_key's secret; pending.c),
-- so the authorization endpoint writes nothing.  A decision records the
-- hash of the handle's nonce here, which makes each handle single use; the
-- row is kept until the request would have expired (purge_expired()).
CREATE TABLE used_requests (
	nonce_hash bytea PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX used_requests_expires_idx ON used_requests (expires_at);

-- pgcrypto's gen_random_bytes(), bound by C symbol (see _crypt in part 40).
CREATE FUNCTION _random_bytes(integer) RETURNS bytea
	AS '$libdir/pgcrypto', 'pg_random_bytes'
	LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
REVOKE EXECUTE ON FUNCTION _random_bytes(integer) FROM PUBLIC;

-- The secret pending requests are sealed under: one row, made by the first
-- authorization request (pending.c), not at install, so that a restored
-- dump brings its own row in.  Replacing it voids every pending request
-- (people connect again).
CREATE TABLE request_key (
	one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
	secret text NOT NULL DEFAULT encode(_random_bytes(32), 'hex'),
	created_at timestamptz NOT NULL DEFAULT now()
);

-- A grant: what a subject allowed a client, and the family of every token
-- issued from it.  Revoking the grant revokes them all.
--
-- Codes and tokens name their grant without a foreign key: they are only
-- written by the token functions, under a lock on the grant, and every read
-- joins the grant, so a referential check on each issue (a query and a row
-- lock per token) would buy nothing.  delete_client() and purge_expired()
-- remove them with their grant.
CREATE TABLE grants (
	grant_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subject text NOT NULL,
	client_id text NOT NULL REFERENCES clients ON DELETE CASCADE,
	scopes text[] NOT NULL,
	resource text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,	-- absolute limit of the refresh family
	revoked_at timestamptz,
	revoked_reason text
);
CREATE INDEX grants_subject_idx ON grants (subject);
CREATE INDEX grants_client_idx ON grants (client_id);
-- purge_expired() finds expired and revoked grants by index
CREATE INDEX grants_expires_idx ON grants (expires_at);
CREATE INDEX grants_revoked_idx ON grants (revoked_at) WHERE revoked_at IS NOT NULL;

-- Authorization codes (hash only), single use, bound to everything the
-- token request must repeat.
CREATE TABLE authorization_codes (
	code_hash bytea PRIMARY KEY,
	grant_id bigint NOT NULL,		-- its grant (no foreign key: see grants)
	client_id text NOT NULL,
	redirect_uri text NOT NULL,
	redirect_uri_provided boolean NOT NULL,
	code_challenge text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	redeemed_at timestamptz
);
CREATE INDEX authorization_codes_grant_idx ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);

-- Refresh tokens (hash only), rotated on every use.  Rotation sets
-- rotated_at and nothing else, an in-place (HOT) update: no indexed column
-- changes and the fill factor leaves room on the page.  A rotated token's
-- row stays for mcp_oauth.refresh_reuse_window, so that its reuse revokes
-- the grant; after that it is unknown.  A token is usable only while its
-- grant is: revoking the grant writes no token row.  successor_sealed and
-- revoked_at were written by 0.3.0 and earlier (and successor_sealed by
-- this library on a 0.3.0 schema): such a row's sealed successor is still
-- opened by a grace retry, and goes with the row.
CREATE TABLE refresh_tokens (
	token_hash bytea PRIMARY KEY,
	grant_id bigint NOT NULL,		-- its grant (no foreign key: see grants)
	scopes text[] NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,	-- idle limit, capped by the grant's
	rotated_at timestamptz,
	successor_sealed bytea,
	revoked_at timestamptz
) WITH (fillfactor = 90);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Every rotation, in time order (append-only), so that purge_expired()
-- finds the rotated rows past the reuse window by this table's index
-- instead of by an index on refresh_tokens.rotated_at (which would make
-- every rotation a non-HOT update).
CREATE TABLE refresh_rotations (
	rotated_at timestamptz NOT NULL,
	token_hash bytea NOT NULL		-- the rotated token
);
CREATE INDEX refresh_rotations_at_idx ON refresh_rotations (rotated_at);

-- The successor of a just-rotated token, sealed (AES-256-GCM) under a key
-- derived from the rotated token itself, so that a retry inside the grace
-- period gets the same successor and nothing usable rests in the table.
-- purge_expired() deletes it once the grace period is over.  Found by
-- (rotated_at, token_hash), both from the rotated token's row.
CREATE TABLE refresh_grace (
	rotated_at timestamptz NOT NULL,
	token_hash bytea NOT NULL,		-- the rotated token
	successor_sealed bytea NOT NULL
);
CREATE INDEX refresh_grace_at_idx ON refresh_grace (rotated_at);

-- Access tokens are JWTs that name their grant (claim grant_id): revoking
-- the grant ends every one of them, so no row is kept per token.  Only an
-- access token revoked by itself (RFC 7009) gets a row here, until it would
-- have expired (purge_expired()).
CREATE TABLE revoked_access_tokens (
	jti uuid PRIMARY KEY,
	grant_id bigint NOT NULL,		-- its grant (no foreign key: see grants)
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_access_tokens_grant_idx ON revoked_access_tokens (grant_id);
-- purge_expired() and the deny list's live rows, by expiry
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);

-- Personal access tokens (hash only).
CREATE TABLE personal_access_tokens (
	pat_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE,
	subject text NOT NULL,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	scopes text[] NOT NULL,
	resource text,				-- null: every configured resource
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,		-- null: no expiry
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX personal_access_tokens_subject_idx ON personal_access_tokens (subject);

-- JWT signing keys.  A new key is published in the JWKS from created_at and
-- signs from activates_at; a retired key stays published until the tokens
-- it signed have expired.
CREATE TABLE signing_keys (
	kid text PRIMARY KEY,
	alg text NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
	private_key_pem text NOT NULL,
	public_jwk jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	activates_at timestamptz NOT NULL,
	retired_at timestamptz
);

-- Sliding-window counters (ratelimit.c): sign-ins per username and per
-- client address, registrations per client address and per client
-- identity.  A row counts the attempts of one bucket made at one time
-- (window_start: the transaction's now(); 0.2.0 counted fixed windows from
-- their start, which reads the same).
CREATE TABLE rate_limits (
	bucket text NOT NULL,
	window_start timestamptz NOT NULL,
	hits integer NOT NULL,
	PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);

-- Who did what.
CREATE TABLE audit_log (
	audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	event text NOT NULL,
	subject text,
	client_id text,
	client_addr inet,
	grant_id bigint,
	detail jsonb
);
-- The latest rows, a subject's and a client's rows, newest first, and
-- retention's oldest rows, each by a btree (a BRIN index on at cannot give
-- rows in order, so "the latest 20" read the whole table).
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at) WHERE subject IS NOT NULL;
CREATE INDEX audit_log_client_idx ON audit_log (client_id, at) WHERE client_id IS NOT NULL;

REVOKE ALL ON ALL TABLES IN SCHEMA mcp_oauth FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA mcp_oauth FROM PUBLIC;
GRANT USAGE ON SCHEMA mcp_oauth TO mcp_oauth_server;

-- pg_dump keeps every row of state: a dump restores into a working server
-- (README, "Backups").  Rows the install script makes (the built-in client,
-- the default scopes) are made again by CREATE EXTENSION and are filtered
-- out; the identity sequences are dumped with their tables.
SELECT pg_catalog.pg_extension_config_dump('scopes',
	'WHERE name NOT IN (''mcp:tools'', ''mcp:resources'', ''mcp:prompts'')');
SELECT pg_catalog.pg_extension_config_dump('accounts', '');
SELECT pg_catalog.pg_extension_config_dump('accounts_account_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('login_sessions', '');
SELECT pg_catalog.pg_extension_config_dump('clients', 'WHERE kind <> ''builtin''');
SELECT pg_catalog.pg_extension_config_dump('used_requests', '');
SELECT pg_catalog.pg_extension_config_dump('request_key', '');
SELECT pg_catalog.pg_extension_config_dump('grants', '');
SELECT pg_catalog.pg_extension_config_dump('grants_grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('authorization_codes', '');
SELECT pg_catalog.pg_extension_config_dump('refresh_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('refresh_rotations', '');
SELECT pg_catalog.pg_extension_config_dump('refresh_grace', '');
SELECT pg_catalog.pg_extension_config_dump('revoked_access_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('personal_access_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('personal_access_tokens_pat_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('signing_keys', '');
SELECT pg_catalog.pg_extension_config_dump('rate_limits', '');
SELECT pg_catalog.pg_extension_config_dump('audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('audit_log_audit_id_seq', '');
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

-- purge_expired(batch_size, kinds): at most batch_size rows per step (0,
-- the default: everything, in one transaction), of the steps of the kinds
-- named (NULL, the default: every kind).
CREATE FUNCTION purge_expired(batch_size integer DEFAULT 0, kinds text[] DEFAULT NULL)
	RETURNS TABLE (what text, deleted bigint)
	AS 'MODULE_PATHNAME', 'purge_expired'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- purge_expired_all(batch_size, busy_share): each kind of row in turn,
-- purge_expired(batch_size, that kind) until a batch deletes fewer than
-- batch_size rows, committing after each, so no transaction holds more
-- than one step's batch (CALL it outside a transaction block), and a step
-- whose rows cannot all go yet (clients that still have grants, say) is
-- searched to its end once per run, not once per batch.  After each batch
-- it rests so that the purge works busy_share of the time at most (a
-- batch of 0.1 s, at 0.25, is followed by 0.3 s of sleep, with no snapshot
-- held): the traffic keeps the rest of the machine.  A procedure that
-- commits may be neither SECURITY DEFINER nor carry a SET clause: it runs
-- with its caller's rights (who needs EXECUTE on purge_expired too) and
-- qualifies every name and operator it uses.
CREATE PROCEDURE purge_expired_all(batch_size integer DEFAULT 5000,
								   busy_share double precision DEFAULT 0.25)
	LANGUAGE plpgsql
	AS $$
DECLARE
	kind text;
	n bigint;
	started timestamptz;
BEGIN
	IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION USING ERRCODE = 'MO001',
			MESSAGE = 'batch size must be positive';
	END IF;
	IF busy_share IS NULL OR busy_share OPERATOR(pg_catalog.<=) 0
		OR busy_share OPERATOR(pg_catalog.>) 1 THEN
		RAISE EXCEPTION USING ERRCODE = 'MO001',
			MESSAGE = 'busy share must be above 0 and at most 1';
	END IF;
	FOR kind IN SELECT p.what FROM mcp_oauth.purge_expired(0, '{}') WITH ORDINALITY p
				 ORDER BY p.ordinality LOOP
		LOOP
			started := pg_catalog.clock_timestamp();
			SELECT p.deleted INTO n
			  FROM mcp_oauth.purge_expired(batch_size, ARRAY[kind]) p
			 WHERE p.what OPERATOR(pg_catalog.=) kind;
			COMMIT;
			EXIT WHEN n OPERATOR(pg_catalog.<) batch_size;
			PERFORM pg_catalog.pg_sleep(pg_catalog.date_part('epoch',
				pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)
				OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog./) busy_share
										OPERATOR(pg_catalog.-) 1));
		END LOOP;
	END LOOP;
END
$$;
-- (REVOKE ... ON ALL FUNCTIONS in part 90 does not cover procedures)
REVOKE EXECUTE ON PROCEDURE purge_expired_all(integer, double precision) FROM PUBLIC;
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
	logout(text)
TO mcp_oauth_server;
