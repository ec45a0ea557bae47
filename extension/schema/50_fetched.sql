-- mcp_oauth install script, part 50: documents the HTTP server fetches for
-- the database (fetched.c): Client ID Metadata Documents and clients' JWK
-- Sets.  EXECUTE is granted in part 90.

-- The server reports one fetch it made because an endpoint answered status
-- 0 (need-fetch); it then calls that endpoint again.  Returns what was
-- recorded: 'stored', 'not_modified', or the failure's reason.
CREATE FUNCTION fetched(url text, purpose text, outcome text, status integer,
						body text, etag text, lifetime integer, detail text,
						client_addr inet)
	RETURNS text
	AS 'MODULE_PATHNAME', 'fetched'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Admin API: drop the copies of url, for every purpose (and any failure
-- remembered); its next use fetches it again.
CREATE FUNCTION forget_fetched(url text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'forget_fetched'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;

-- Every backend keeps the rows of fetched_documents it read (fetched.c);
-- any change makes every backend drop its copy (cached_table_changed(),
-- part 10).
CREATE TRIGGER fetched_documents_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fetched_documents
	FOR EACH STATEMENT EXECUTE FUNCTION cached_table_changed();
