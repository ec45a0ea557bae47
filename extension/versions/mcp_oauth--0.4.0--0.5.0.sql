-- mcp_oauth 0.4.0 -> 0.5.0
--
-- Client ID Metadata Documents and private_key_jwt (issue 14): a client
-- whose client_id is the URL of its metadata document ('metadata'), the
-- documents the HTTP server fetched for the database, clients' public keys
-- and the jti of every client assertion accepted.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.5.0'" to load this file. \quit

ALTER TABLE clients
	DROP CONSTRAINT clients_token_endpoint_auth_method_check,
	ADD CONSTRAINT clients_token_endpoint_auth_method_check
		CHECK (token_endpoint_auth_method IN
			   ('none', 'client_secret_basic', 'client_secret_post',
				'private_key_jwt')),
	DROP CONSTRAINT clients_kind_check,
	ADD CONSTRAINT clients_kind_check
		CHECK (kind IN ('builtin', 'static', 'dynamic', 'metadata')),
	ADD COLUMN jwks jsonb,
	ADD COLUMN jwks_uri text;

CREATE INDEX clients_jwks_uri_idx ON clients (jwks_uri) WHERE jwks_uri IS NOT NULL;

CREATE TABLE fetched_documents (
	url text NOT NULL,
	purpose text NOT NULL CHECK (purpose IN ('client_metadata', 'jwks')),
	body text,
	etag text,
	fetched_at timestamptz,
	fresh_until timestamptz,
	failure text,
	failure_transient boolean NOT NULL DEFAULT false,
	failed_at timestamptz,
	retry_after timestamptz,
	gone_at timestamptz,
	PRIMARY KEY (url, purpose)
);

CREATE TABLE client_assertion_jtis (
	client_id text NOT NULL,
	jti text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertion_jtis_expires_idx ON client_assertion_jtis (expires_at);

SELECT pg_catalog.pg_extension_config_dump('fetched_documents', '');
SELECT pg_catalog.pg_extension_config_dump('client_assertion_jtis', '');

-- as the install script leaves every table (recorded as the tables'
-- initial privileges, as a fresh install records)
REVOKE ALL ON fetched_documents, client_assertion_jtis FROM PUBLIC;

-- fetched.c: the server reports a fetch an endpoint asked for (status 0)
CREATE FUNCTION fetched(url text, purpose text, outcome text, status integer,
						body text, etag text, lifetime integer, detail text,
						client_addr inet)
	RETURNS text
	AS 'MODULE_PATHNAME', 'fetched'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

CREATE FUNCTION forget_fetched(url text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'forget_fetched'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

REVOKE EXECUTE ON FUNCTION
	fetched(text, text, text, integer, text, text, integer, text, inet),
	forget_fetched(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	fetched(text, text, text, integer, text, text, integer, text, inet)
TO mcp_oauth_server;

-- Every backend keeps the rows of fetched_documents it read (fetched.c);
-- any change makes every backend drop its copy (cached_table_changed(),
-- part 10).
CREATE TRIGGER fetched_documents_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fetched_documents
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();
