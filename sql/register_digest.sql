-- Re-registration by index (issue 13, item 3): a dynamic public client that
-- registers identical metadata again is found through clients'
-- registration_digest, the SHA-256 of its metadata as jsonb text without
-- client_id and client_id_issued_at, with one index lookup.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;

-- client_id of a registration (from a documentation address).
CREATE FUNCTION pg_temp.reg_id(body text) RETURNS text
LANGUAGE sql AS $$
	SELECT (mcp_oauth.register('application/json', NULL, body,
							   '192.0.2.77')).body::jsonb->>'client_id'
$$;

-- Scans of the digest index so far (statistics flushed by the caller's
-- previous transaction).
CREATE FUNCTION pg_temp.digest_scans() RETURNS bigint
LANGUAGE sql AS $$
	SELECT pg_stat_clear_snapshot();
	SELECT idx_scan FROM pg_stat_user_indexes
	WHERE schemaname = 'mcp_oauth'
	  AND indexrelname = 'clients_registration_digest_idx'
$$;

-- 1. The first registration stores the digest of its metadata.
SELECT pg_temp.reg_id('{"client_name": "Digest A",
	"redirect_uris": ["http://127.0.0.1:5001/cb", "http://127.0.0.1:5002/cb"],
	"token_endpoint_auth_method": "none"}') AS a \gset
SELECT registration_digest = sha256(convert_to(
		   (metadata - 'client_id' - 'client_id_issued_at')::text, 'UTF8'))
	   AS digest_of_metadata
FROM mcp_oauth.clients WHERE client_id = :'a';

-- 2. Identical after normalisation: members in another order, a member
--    the server ignores, and the defaults spelt out (grant_types,
--    response_types, application_type): the same client, reused.
SELECT pg_temp.reg_id('{"grant_types": ["authorization_code", "refresh_token"],
	"x_unknown": {"nested": [1, 2]},
	"token_endpoint_auth_method": "none", "response_types": ["code"],
	"application_type": "native",
	"redirect_uris": ["http://127.0.0.1:5001/cb", "http://127.0.0.1:5002/cb"],
	"client_name": "Digest A"}') = :'a' AS reordered_reused;
SELECT detail->>'reused' AS reused FROM mcp_oauth.audit_log
WHERE client_id = :'a' AND event = 'client_registered' ORDER BY audit_id;

-- 3. Different metadata is a different client: another name, the redirect
--    URIs in another order, the grant types in another order (array order
--    has always counted: stored metadata is returned as registered).
SELECT pg_temp.reg_id('{"client_name": "Digest B",
	"redirect_uris": ["http://127.0.0.1:5001/cb", "http://127.0.0.1:5002/cb"],
	"token_endpoint_auth_method": "none"}') <> :'a' AS other_name_new;
SELECT pg_temp.reg_id('{"client_name": "Digest A",
	"redirect_uris": ["http://127.0.0.1:5002/cb", "http://127.0.0.1:5001/cb"],
	"token_endpoint_auth_method": "none"}') <> :'a' AS uri_order_new;
SELECT pg_temp.reg_id('{"client_name": "Digest A",
	"redirect_uris": ["http://127.0.0.1:5001/cb", "http://127.0.0.1:5002/cb"],
	"grant_types": ["refresh_token", "authorization_code"],
	"token_endpoint_auth_method": "none"}') <> :'a' AS grant_order_new;
SELECT count(*) AS clients FROM mcp_oauth.clients
WHERE redirect_uris && ARRAY['http://127.0.0.1:5001/cb'];

-- 4. Only dynamic public clients have a digest: a confidential dynamic
--    client and an admin-created public client have none, and are never
--    reused.
SELECT pg_temp.reg_id('{"client_name": "Digest C",
	"redirect_uris": ["https://digest.example.com/cb"]}') AS c \gset
SELECT registration_digest IS NULL AS confidential_no_digest
FROM mcp_oauth.clients WHERE client_id = :'c';
SELECT (mcp_oauth.create_client('Digest S', ARRAY['http://127.0.0.1:5003/cb'],
							   false, NULL, 'digest-static')).client_id = 'digest-static' AS created;
SELECT kind, registration_digest IS NULL AS static_no_digest
FROM mcp_oauth.clients WHERE client_id = 'digest-static';
SELECT pg_temp.reg_id('{"client_name": "Digest S",
	"redirect_uris": ["http://127.0.0.1:5003/cb"],
	"token_endpoint_auth_method": "none"}') <> 'digest-static' AS static_not_reused;

-- 5. Many clients sharing one redirect URI: a re-registration is one scan
--    of the digest index, and the lookup's plan is an index scan.
SELECT count(pg_temp.reg_id(format('{"client_name": "Flood %s",
	"redirect_uris": ["http://127.0.0.1:5004/cb"],
	"token_endpoint_auth_method": "none"}', i))) AS flood
FROM generate_series(1, 300) i;
ANALYZE mcp_oauth.clients;
SELECT pg_stat_force_next_flush();
SELECT pg_temp.digest_scans() AS before \gset
SELECT pg_temp.reg_id('{"client_name": "Flood 150",
	"redirect_uris": ["http://127.0.0.1:5004/cb"],
	"token_endpoint_auth_method": "none"}') = client_id AS flood_reused
FROM mcp_oauth.clients WHERE client_name = 'Flood 150';
SELECT pg_stat_force_next_flush();
SELECT pg_temp.digest_scans() - :before AS digest_index_scans;
-- the lookup of register.c (find_identical_public_client), as it is
-- planned (its long filter line left out)
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
		IF line !~ '^\s*Filter:' THEN
			RETURN NEXT line;
		END IF;
	END LOOP;
END
$$;
SELECT pg_temp.plan($q$
SELECT client_id, metadata::text FROM mcp_oauth.clients
WHERE registration_digest = sha256(convert_to(('{"a": 1}'::jsonb
		- 'client_id' - 'client_id_issued_at')::text, 'UTF8'))
  AND kind = 'dynamic' AND client_secret_hash IS NULL
  AND token_endpoint_auth_method = 'none'
  AND redirect_uris = ARRAY['http://127.0.0.1:5004/cb']
  AND metadata - 'client_id' - 'client_id_issued_at'
	  = '{"a": 1}'::jsonb - 'client_id' - 'client_id_issued_at'
ORDER BY created_at, client_id LIMIT 1
$q$);

-- clean up
SELECT count(mcp_oauth.delete_client(client_id)) >= 0 AS deleted
FROM mcp_oauth.clients
WHERE client_name LIKE 'Digest %' OR client_name LIKE 'Flood %';
DELETE FROM mcp_oauth.audit_log WHERE client_addr = '192.0.2.77';
