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
			   ('none', 'client_secret_basic', 'client_secret_post',
				'private_key_jwt')),
	client_name text,
	redirect_uris text[] NOT NULL DEFAULT '{}',
	grant_types text[] NOT NULL DEFAULT '{authorization_code,refresh_token}',
	response_types text[] NOT NULL DEFAULT '{code}',
	application_type text NOT NULL DEFAULT 'web'
		CHECK (application_type IN ('web', 'native')),
	scope text,					-- space-separated; null means every known scope
	metadata jsonb NOT NULL DEFAULT '{}',	-- registered metadata, as returned
	kind text NOT NULL DEFAULT 'dynamic'
		CHECK (kind IN ('builtin', 'static', 'dynamic', 'metadata')),
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
	registration_digest bytea,
	-- private_key_jwt (RFC 7523): the client's public keys, inline (a JWK
	-- Set) or at a URL the server fetches (fetched_documents); NULL for
	-- other clients
	jwks jsonb,
	jwks_uri text
);
-- purge_expired() finds dynamic clients unused for 30 days by index
CREATE INDEX clients_dynamic_unused_idx ON clients (coalesce(last_used_at, created_at))
	WHERE kind = 'dynamic';
-- ... and those never used since mcp_oauth.unused_client_ttl
CREATE INDEX clients_dynamic_new_idx ON clients (created_at)
	WHERE kind = 'dynamic' AND last_used_at IS NULL;
-- fetched.c names the client of a JWK Set's failed fetch by its jwks_uri
CREATE INDEX clients_jwks_uri_idx ON clients (jwks_uri) WHERE jwks_uri IS NOT NULL;

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

-- Documents the HTTP server fetched for the database (cimd.c): client ID
-- metadata documents (a 'metadata' client's client_id is the URL) and
-- JWK Sets at a client's jwks_uri.  One row per URL and purpose (a URL
-- fetched as a JWK Set never touches the client whose document it is, and
-- the other way round): the last valid copy and the last failure, shared
-- by every server process.
CREATE TABLE fetched_documents (
	url text NOT NULL,
	purpose text NOT NULL CHECK (purpose IN ('client_metadata', 'jwks')),
	body text,					-- the last valid document; NULL: none yet
	etag text,					-- its ETag, for If-None-Match
	fetched_at timestamptz,		-- body last fetched or revalidated
	fresh_until timestamptz,	-- no refetch before (Cache-Control, clamped)
	failure text,				-- the last failure's reason; NULL after a success
	-- the last failure lets the copy be served stale (no answer, or a 5xx)
	failure_transient boolean NOT NULL DEFAULT false,
	failed_at timestamptz,
	retry_after timestamptz,	-- the failure is remembered until then
	gone_at timestamptz,		-- answered 404 or 410 since the last success
	PRIMARY KEY (url, purpose)
);

-- The jti of every private_key_jwt client assertion accepted, until the
-- assertion expires: a second use is refused (RFC 7523 section 3).
CREATE TABLE client_assertion_jtis (
	client_id text NOT NULL,
	jti text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertion_jtis_expires_idx ON client_assertion_jtis (expires_at);

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
SELECT pg_catalog.pg_extension_config_dump('fetched_documents', '');
SELECT pg_catalog.pg_extension_config_dump('client_assertion_jtis', '');
