-- Client ID Metadata Documents and fetched documents (issue 14): a
-- client_id that is the https URL of a document describing the client.
-- The database never fetches: authorize() answers status 0 (need-fetch),
-- the server fetches and reports with fetched(), and calls authorize()
-- again.  Here the test plays the server.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.registration = open;
SET mcp_oauth.registration_rate_limit = 0;
SET client_min_messages = warning;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

-- S256 challenge of a verifier.
CREATE FUNCTION pg_temp.challenge(verifier text) RETURNS text LANGUAGE sql AS $$
	SELECT rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'), '+/', '-_'), '=')
$$;

-- An authorization request of client to redirect, with extra parameters.
CREATE FUNCTION pg_temp.az(client text, redirect text, extra text DEFAULT '&response_type=code')
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize('client_id=' || client || '&redirect_uri=' || redirect
		|| '&state=st&code_challenge=' || pg_temp.challenge('cimd-verifier-0123456789-0123456789-0123456789')
		|| '&code_challenge_method=S256' || extra, '192.0.2.80')
$$;

-- One line per authorization response: status, then what the server is
-- asked to fetch (need-fetch), where it redirects, or the error and its
-- description.
CREATE FUNCTION pg_temp.show(r mcp_oauth.http_response) RETURNS text LANGUAGE sql AS $$
	SELECT CASE
		WHEN r.status = 0 THEN '0 fetch ' || (r.body::json->>'purpose')
			|| coalesce(' if-none-match ' || (r.body::json->>'if_none_match'), '')
		WHEN r.status = 302 THEN '302 ' || split_part(r.location, '?', 1)
		WHEN r.status = 200 THEN '200 consent ' || (r.body::json->>'client_kind')
		ELSE r.status || ' ' || (r.body::json->>'error') || ': ' || (r.body::json->>'error_description')
	END
$$;

-- A client metadata document: client_id, client_name, redirect_uris, and
-- the members of extra (a null in extra removes a member).
CREATE FUNCTION pg_temp.doc(url text, name text, redirects jsonb, extra jsonb DEFAULT '{}')
RETURNS text LANGUAGE sql AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('client_id', url, 'client_name', name,
		'redirect_uris', redirects) || extra)::text
$$;

-- The server reports a fetch of a client metadata document.
CREATE FUNCTION pg_temp.fetched(url text, outcome text, status integer DEFAULT 200,
								body text DEFAULT NULL, etag text DEFAULT NULL,
								lifetime integer DEFAULT 300, detail text DEFAULT NULL)
RETURNS text LANGUAGE sql AS $$
	SELECT mcp_oauth.fetched(url, 'client_metadata', outcome, status, body, etag,
							 lifetime, detail, '192.0.2.90')
$$;

-- The code of an approved request of client to redirect.
CREATE FUNCTION pg_temp.code(client text, redirect text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response := pg_temp.az(client, redirect);
BEGIN
	r := mcp_oauth.authorize_decision(r.body::json->>'request_id', 'cimd-alice', true, NULL, '192.0.2.80');
	RETURN (regexp_match(r.location, '[?&]code=([^&]*)'))[1];
END
$$;

-- A token request of a public client; the response.
CREATE FUNCTION pg_temp.tok(body text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.token('application/x-www-form-urlencoded', NULL, body, '192.0.2.81')
$$;

-- Make the stored copy of url stale: its freshness ended a second ago.
CREATE FUNCTION pg_temp.expire(url text) RETURNS void LANGUAGE sql AS $$
	UPDATE mcp_oauth.fetched_documents SET fresh_until = now() - interval '1 second'
	WHERE url = $1
$$;

-- Forget the failure remembered for url (its retry_after has passed).
CREATE FUNCTION pg_temp.retry(url text) RETURNS void LANGUAGE sql AS $$
	UPDATE mcp_oauth.fetched_documents SET retry_after = now() - interval '1 second'
	WHERE url = $1
$$;

\set app 'https://app.example.com/oauth/client.json'

-- ---- The round trip

-- 1. The server advertises CIMD, and keeps "none" (clients use CIMD only
--    when both are there).
SELECT (b->>'client_id_metadata_document_supported')::boolean AS cimd_supported,
	b->'token_endpoint_auth_methods_supported' ? 'none' AS none_supported
FROM (SELECT (mcp_oauth.authorization_server_metadata()).body::jsonb AS b) m;

-- 2. An unknown URL client: authorize asks the server to fetch it
--    (status 0), with the body cap and the IP-literal refusal of client
--    metadata; nothing is written.
SELECT r.status, r.content_type, r.body::jsonb AS need_fetch
FROM pg_temp.az(:'app', 'https://app.example.com/cb') r;
SELECT count(*) AS rows_written FROM mcp_oauth.fetched_documents;

-- 3. The server reports the document: stored, and a 'metadata' client is
--    made from it (public, web: its redirect URI is https).
SELECT pg_temp.fetched(:'app', 'ok', 200,
	pg_temp.doc(:'app', 'CIMD App', '["https://app.example.com/cb"]',
				'{"client_uri": "https://app.example.com", "x-later-draft": {"a": [1]}}'),
	'"v1"', 300) AS recorded;
SELECT kind, client_name, redirect_uris, token_endpoint_auth_method,
	application_type, client_secret_hash IS NULL AS no_secret, jwks, jwks_uri,
	metadata->>'client_uri' AS client_uri, metadata ? 'x-later-draft' AS unknown_stored
FROM mcp_oauth.clients WHERE client_id = :'app';
SELECT created_at AS app_created FROM mcp_oauth.clients WHERE client_id = :'app' \gset
SELECT etag, fresh_until - fetched_at AS fresh_for, failure, gone_at
FROM mcp_oauth.fetched_documents WHERE url = :'app';

-- 4. The same request again: the consent descriptor, with the document's
--    host and whether every redirect URI is loopback.
SELECT r.status, d->>'client_id' = :'app' AS client_id, d->>'client_name' AS client_name,
	d->>'client_kind' AS client_kind, d->>'metadata_host' AS metadata_host,
	d->'loopback_redirects_only' AS loopback_redirects_only,
	d->>'redirect_host' AS redirect_host
FROM pg_temp.az(:'app', 'https://app.example.com/cb') r, LATERAL (SELECT r.body::jsonb AS d) x;

-- 5. Consent, code, token: the metadata client is a public client like
--    any other.
SELECT pg_temp.code(:'app', 'https://app.example.com/cb') AS app_code \gset
CREATE TEMP TABLE app_token AS
SELECT r.* FROM pg_temp.tok('grant_type=authorization_code&client_id=' || :'app' || '&code=' || :'app_code'
	|| '&redirect_uri=https://app.example.com/cb'
	|| '&code_verifier=cimd-verifier-0123456789-0123456789-0123456789') r;
SELECT status, body::jsonb ? 'access_token' AS access_token,
	body::jsonb ? 'refresh_token' AS refresh_token
FROM app_token;
SELECT body::json->>'refresh_token' AS app_rt FROM app_token \gset
-- the person's approval made the redirect URI trusted, as for a dynamic client
SELECT approved_redirect_uris FROM mcp_oauth.clients WHERE client_id = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb', '&response_type=x')) AS error_redirected;

-- ---- Documents that are refused

-- 6. Each is recorded as 'validation' (or 'json', 'size'), leaves a
--    fetch_failed audit row that names what is wrong (never the body),
--    and makes no client.
CREATE TEMP TABLE bad (n int, name text, url text, body text);
INSERT INTO bad VALUES
(1, 'client_id mismatch', 'https://bad.example/1.json',
	pg_temp.doc('https://bad.example/other.json', 'Bad', '["https://bad.example/cb"]')),
(2, 'client_id missing', 'https://bad.example/2.json',
	pg_temp.doc('https://bad.example/2.json', 'Bad', '["https://bad.example/cb"]', '{"client_id": null}')),
(3, 'client_name missing', 'https://bad.example/3.json',
	pg_temp.doc('https://bad.example/3.json', NULL, '["https://bad.example/cb"]')),
(4, 'redirect_uris missing', 'https://bad.example/4.json',
	pg_temp.doc('https://bad.example/4.json', 'Bad', NULL)),
(5, 'http redirect URI', 'https://bad.example/5.json',
	pg_temp.doc('https://bad.example/5.json', 'Bad', '["http://evil.example/cb"]')),
(6, 'client_secret', 'https://bad.example/6.json',
	pg_temp.doc('https://bad.example/6.json', 'Bad', '["https://bad.example/cb"]', '{"client_secret": "s3cret"}')),
(7, 'client_secret_expires_at', 'https://bad.example/7.json',
	pg_temp.doc('https://bad.example/7.json', 'Bad', '["https://bad.example/cb"]', '{"client_secret_expires_at": 0}')),
(8, 'client_secret_basic', 'https://bad.example/8.json',
	pg_temp.doc('https://bad.example/8.json', 'Bad', '["https://bad.example/cb"]',
				'{"token_endpoint_auth_method": "client_secret_basic"}')),
(9, 'private_key_jwt without keys', 'https://bad.example/9.json',
	pg_temp.doc('https://bad.example/9.json', 'Bad', '["https://bad.example/cb"]',
				'{"token_endpoint_auth_method": "private_key_jwt"}')),
(10, 'private_key_jwt, empty jwks', 'https://bad.example/10.json',
	pg_temp.doc('https://bad.example/10.json', 'Bad', '["https://bad.example/cb"]',
				'{"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}}')),
(11, 'private_key_jwt, http jwks_uri', 'https://bad.example/11.json',
	pg_temp.doc('https://bad.example/11.json', 'Bad', '["https://bad.example/cb"]',
				'{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://bad.example/jwks"}')),
(12, 'private_key_jwt, jwks and jwks_uri', 'https://bad.example/12.json',
	pg_temp.doc('https://bad.example/12.json', 'Bad', '["https://bad.example/cb"]',
				'{"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU", "y": "3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA"}]},'
				' "jwks_uri": "https://bad.example/jwks"}')),
(13, 'client_name with a bidi control', 'https://bad.example/13.json',
	pg_temp.doc('https://bad.example/13.json', E'Bad\u202Egnp.exe', '["https://bad.example/cb"]')),
(14, 'a member twice', 'https://bad.example/14.json',
	'{"client_id": "https://bad.example/14.json", "client_name": "A", "client_name": "B",'
	' "redirect_uris": ["https://bad.example/cb"]}'),
(15, 'oversized', 'https://bad.example/15.json',
	pg_temp.doc('https://bad.example/15.json', 'Bad', '["https://bad.example/cb"]',
				jsonb_build_object('padding', repeat('x', 5100)))),
(16, 'not JSON', 'https://bad.example/16.json', '<html>hello</html>'),
(17, 'not an object', 'https://bad.example/17.json', '["https://bad.example/17.json"]'),
(18, 'no body', 'https://bad.example/18.json', NULL),
(19, 'a URL never asked for', 'https://10.0.0.1/19.json',
	pg_temp.doc('https://10.0.0.1/19.json', 'Bad', '["https://bad.example/cb"]'));
CREATE TEMP TABLE bad_recorded AS
SELECT n, pg_temp.fetched(url, 'ok', 200, body, NULL, 300) AS recorded FROM bad ORDER BY n;
SELECT b.n, b.name, r.recorded, a.detail->>'reason' AS audited,
	a.detail->>'detail' AS what, a.client_id = b.url AS audit_client
FROM bad b JOIN bad_recorded r USING (n)
LEFT JOIN mcp_oauth.audit_log a ON a.event = 'fetch_failed' AND a.detail->>'url' = b.url
ORDER BY b.n;
SELECT count(*) AS clients_made FROM mcp_oauth.clients WHERE client_id IN (SELECT url FROM bad);
SELECT count(*) AS bodies_in_audit FROM mcp_oauth.audit_log
WHERE event = 'fetch_failed' AND (detail::text LIKE '%s3cret%' OR detail::text LIKE '%<html>%'
	OR detail::text LIKE '%xxxxxxxx%');

-- 7. While the failure is remembered, authorize answers the person with a
--    page naming it, asks for no fetch, and never redirects.
SELECT b.n, pg_temp.show(pg_temp.az(b.url, 'https://bad.example/cb')) AS authorize
FROM bad b WHERE b.n IN (1, 5, 15, 16) ORDER BY b.n;

-- 8. Once it is no longer remembered (mcp_oauth.fetch_failure_ttl), the
--    next request asks for the document again.
SELECT pg_temp.retry('https://bad.example/1.json');
SELECT pg_temp.show(pg_temp.az('https://bad.example/1.json', 'https://bad.example/cb')) AS after_ttl;

-- ---- Fetches that fail

-- 9. Each outcome of the fetcher is recorded and audited with its reason,
--    status and detail; the person gets a page naming it; no client.
CREATE TEMP TABLE failing (n int, outcome text, status int, detail text);
INSERT INTO failing VALUES
(1, 'dns', 0, NULL), (2, 'refused_address', 0, 'loopback'), (3, 'connect', 0, NULL),
(4, 'tls', 0, NULL), (5, 'timeout', 0, NULL), (6, 'redirect', 302, NULL),
(7, 'status', 500, NULL), (8, 'status', 403, NULL), (9, 'size', 200, NULL),
(10, 'content_type', 200, 'text/html'), (11, 'network', 0, NULL), (12, 'bad_url', 0, NULL),
(13, 'status', 404, NULL), (14, 'status', 410, NULL);
CREATE TEMP TABLE failing_recorded AS
SELECT n, pg_temp.fetched('https://fail.example/' || n || '.json', outcome, status,
						  NULL, NULL, 300, detail) AS recorded
FROM failing ORDER BY n;
SELECT f.n, f.outcome, f.status, r.recorded, a.detail->>'reason' AS audited,
	(a.detail->>'status')::int AS audited_status, a.detail->>'detail' AS audited_detail,
	a.client_addr
FROM failing f JOIN failing_recorded r USING (n)
LEFT JOIN mcp_oauth.audit_log a ON a.event = 'fetch_failed'
	AND a.detail->>'url' = 'https://fail.example/' || f.n || '.json'
ORDER BY f.n;
SELECT f.n, pg_temp.show(pg_temp.az('https://fail.example/' || f.n || '.json',
	'https://fail.example/cb')) AS authorize
FROM failing f ORDER BY f.n;
SELECT count(*) AS clients_made FROM mcp_oauth.clients WHERE client_id LIKE 'https://fail.example/%';
SELECT url, failure, gone_at IS NOT NULL AS gone, body IS NULL AS no_body,
	retry_after - failed_at AS remembered_for
FROM mcp_oauth.fetched_documents WHERE url IN ('https://fail.example/1.json', 'https://fail.example/13.json')
ORDER BY url;

-- 10. client_id URLs the server may not fetch are refused before any fetch.
SELECT c AS client_id, pg_temp.show(pg_temp.az(c, 'https://app.example.com/cb')) AS authorize
FROM unnest(ARRAY['https://127.0.0.1/client.json', 'https://[::1]/client.json',
				  'https://app.example.com', 'https://app.example.com/',
				  'https://user:pw@app.example.com/c.json', 'http://app.example.com/c.json']) c;

-- ---- Caching

-- 11. A fresh copy is used without a fetch; a lifetime under 10 s is
--     kept 10 s (the call that follows a fetch always finds it fresh).
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS while_fresh;
\set short 'https://short.example/c.json'
SELECT pg_temp.fetched(:'short', 'ok', 200, pg_temp.doc(:'short', 'Short', '["https://short.example/cb"]'),
					   NULL, 0) AS recorded;
SELECT fresh_until - fetched_at AS fresh_for
FROM mcp_oauth.fetched_documents WHERE url = :'short';
SELECT pg_temp.show(pg_temp.az(:'short', 'https://short.example/cb')) AS after_fetch;

-- 12. Past its freshness the copy is revalidated with its ETag; a 304
--     makes it fresh again for the new lifetime and changes no client.
SELECT xmin AS app_xmin FROM mcp_oauth.clients WHERE client_id = :'app' \gset
SELECT pg_temp.expire(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS stale;
SELECT pg_temp.fetched(:'app', 'not_modified', 304, NULL, NULL, 600) AS recorded;
SELECT etag, fresh_until - fetched_at AS fresh_for
FROM mcp_oauth.fetched_documents WHERE url = :'app';
SELECT xmin = :'app_xmin'::xid AS client_unchanged FROM mcp_oauth.clients WHERE client_id = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS revalidated;
-- a 304 for a URL with no copy is a failure
SELECT pg_temp.fetched('https://nocopy.example/c.json', 'not_modified', 304) AS no_copy;

-- 13. A refetch that gives the same document changes no client row
--     (every backend's copy of the clients table stays).
SELECT pg_temp.fetched(:'app', 'ok', 200,
	pg_temp.doc(:'app', 'CIMD App', '["https://app.example.com/cb"]',
				'{"client_uri": "https://app.example.com", "x-later-draft": {"a": [1]}}'),
	'"v1"', 300) AS recorded;
SELECT xmin = :'app_xmin'::xid AS client_unchanged FROM mcp_oauth.clients WHERE client_id = :'app';

-- 14. A transient failure (no answer, a 5xx) serves the last copy stale
--     while the failure is remembered, within mcp_oauth.fetch_max_stale.
SELECT pg_temp.expire(:'app');
SELECT pg_temp.fetched(:'app', 'timeout', 0) AS recorded;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS stale_after_timeout;
SELECT pg_temp.retry(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS asks_again;
SELECT pg_temp.fetched(:'app', 'status', 503) AS recorded;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS stale_after_503;

-- 15. ... but not past fetch_max_stale: then the person gets the page.
UPDATE mcp_oauth.fetched_documents SET fresh_until = now() - interval '61 minutes'
WHERE url = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS past_max_stale;
SET mcp_oauth.fetch_max_stale = '2h';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS max_stale_2h;
RESET mcp_oauth.fetch_max_stale;

-- 16. A refetch that is no longer valid is never served stale (once the
--     copy is no longer fresh: see 31); its ETag still revalidates it later.
SELECT pg_temp.fetched(:'app', 'ok', 200, pg_temp.doc(:'app', 'CIMD App', '[]'), '"v2"') AS recorded;
SELECT body IS NOT NULL AS copy_kept, etag, fresh_until IS NULL AS not_servable, failure
FROM mcp_oauth.fetched_documents WHERE url = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS after_invalid;
SELECT pg_temp.retry(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS asks_again;
SELECT pg_temp.fetched(:'app', 'not_modified', 304, NULL, NULL, 300) AS recorded;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS revalidated;

-- ---- Lifecycle

-- 17. A refetched document that dropped a redirect URI: that URI is
--     refused from then on, and is no longer trusted; the client keeps its
--     created_at (a consent page open across the refetch still works).
\set two 'https://two.example/c.json'
SELECT pg_temp.fetched(:'two', 'ok', 200, pg_temp.doc(:'two', 'Two',
	'["https://two.example/a", "https://two.example/b"]'), NULL, 300) AS recorded;
SELECT pg_temp.code(:'two', 'https://two.example/b') IS NOT NULL AS approved_b;
SELECT created_at AS two_created, approved_redirect_uris AS two_approved
FROM mcp_oauth.clients WHERE client_id = :'two' \gset
SELECT :'two_approved' AS approved_before;
SELECT (pg_temp.az(:'two', 'https://two.example/a')).body::json->>'request_id' AS open_request \gset
SELECT pg_temp.expire(:'two');
SELECT pg_temp.fetched(:'two', 'ok', 200, pg_temp.doc(:'two', 'Two',
	'["https://two.example/a"]'), NULL, 300) AS recorded;
SELECT redirect_uris, approved_redirect_uris, created_at = :'two_created' AS created_at_kept
FROM mcp_oauth.clients WHERE client_id = :'two';
SELECT 'dropped' AS uri, pg_temp.show(pg_temp.az(:'two', 'https://two.example/b')) AS authorize
UNION ALL
SELECT 'dropped, error', pg_temp.show(pg_temp.az(:'two', 'https://two.example/b', '&response_type=x'))
UNION ALL
SELECT 'kept', pg_temp.show(pg_temp.az(:'two', 'https://two.example/a'));
SELECT split_part(r.location, '?', 1) AS open_request_approved
FROM mcp_oauth.authorize_decision(:'open_request', 'cimd-alice', true, NULL, '192.0.2.80') r;

-- 18. The document gone (404 or 410 once the copy expired): new
--     authorizations are refused with a page naming it; the grant made
--     before keeps working (its refresh token).
SELECT pg_temp.expire(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS stale;
SELECT pg_temp.fetched(:'app', 'status', 404) AS recorded;
SELECT failure, gone_at IS NOT NULL AS gone FROM mcp_oauth.fetched_documents WHERE url = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS after_404;
SELECT r.status, r.body::jsonb ? 'access_token' AS refreshed
FROM pg_temp.tok('grant_type=refresh_token&client_id=' || :'app' || '&refresh_token=' || :'app_rt') r;
-- still gone when asked again after the failure's time; back when it is
SELECT pg_temp.retry(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS asks_again;
SELECT pg_temp.fetched(:'app', 'status', 410) AS recorded;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS after_410;
SELECT pg_temp.retry(:'app');
SELECT pg_temp.fetched(:'app', 'ok', 200,
	pg_temp.doc(:'app', 'CIMD App', '["https://app.example.com/cb"]'), '"v3"', 300) AS recorded;
SELECT gone_at IS NULL AS not_gone, failure FROM mcp_oauth.fetched_documents WHERE url = :'app';
SELECT created_at = :'app_created' AS created_at_kept FROM mcp_oauth.clients WHERE client_id = :'app';
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS back;

-- 19. forget_fetched drops the copy (and a remembered failure): the next
--     request fetches it again, without an ETag.
SELECT mcp_oauth.forget_fetched(:'app') AS forgotten, mcp_oauth.forget_fetched(:'app') AS again,
	mcp_oauth.forget_fetched(NULL) AS null_url;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS after_forget;
SELECT detail FROM mcp_oauth.audit_log WHERE event = 'fetched_forgotten';
SELECT mcp_oauth.forget_fetched('https://fail.example/1.json') AS forgotten_failure;
SELECT pg_temp.show(pg_temp.az('https://fail.example/1.json', 'https://fail.example/cb')) AS after_forget;
-- a client deleted while its copy stays: the copy makes it again
SELECT mcp_oauth.delete_client(:'two') AS deleted;
SELECT pg_temp.show(pg_temp.az(:'two', 'https://two.example/a')) AS after_delete;
SELECT kind, client_name, redirect_uris FROM mcp_oauth.clients WHERE client_id = :'two';
-- a copy forgotten while its client stays: the client keeps its created_at
SELECT pg_temp.fetched(:'app', 'ok', 200,
	pg_temp.doc(:'app', 'CIMD App', '["https://app.example.com/cb"]'), NULL, 300) AS recorded;
SELECT created_at = :'app_created' AS created_at_kept FROM mcp_oauth.clients WHERE client_id = :'app';

-- 20. purge_expired('fetched_documents') deletes rows with nothing
--     servable left and no failure remembered, fetch_max_stale past their
--     freshness (or their last failure).
INSERT INTO mcp_oauth.fetched_documents (url, purpose, body, fetched_at, fresh_until, failure,
										 failed_at, retry_after) VALUES
('https://purge.example/old.json', 'client_metadata', '{}', now() - interval '3 hours', now() - interval '2 hours', NULL, NULL, NULL),
('https://purge.example/stale.json', 'client_metadata', '{}', now() - interval '1 hour', now() - interval '30 minutes', NULL, NULL, NULL),
('https://purge.example/failed.json', 'client_metadata', NULL, NULL, NULL, 'dns', now() - interval '2 hours', now() - interval '2 hours'),
('https://purge.example/remembered.json', 'jwks', NULL, NULL, NULL, 'dns', now() - interval '2 hours', now() + interval '1 minute'),
('https://purge.example/invalid.json', 'client_metadata', '{}', now() - interval '3 hours', NULL, 'validation', now() - interval '2 hours', now() - interval '1 hour');
SELECT * FROM mcp_oauth.purge_expired(0, ARRAY['fetched_documents']);
SELECT url FROM mcp_oauth.fetched_documents WHERE url LIKE 'https://purge.example/%' ORDER BY url;

-- ---- Documents as the major clients publish them

-- 21. Claude Code: portless loopback redirect URIs, no application_type
--     (native), the callback on whatever port it got; the consent page
--     warns that every redirect URI is loopback.
\set claude 'https://claude.ai/oauth/claude-code-client-metadata'
SELECT pg_temp.fetched(:'claude', 'ok', 200, '{"client_id": "https://claude.ai/oauth/claude-code-client-metadata",'
	' "client_name": "Claude Code", "client_uri": "https://claude.ai",'
	' "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],'
	' "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],'
	' "token_endpoint_auth_method": "none"}', '"cc"', 3600) AS recorded;
SELECT application_type, token_endpoint_auth_method FROM mcp_oauth.clients WHERE client_id = :'claude';
SELECT r.status, r.body::jsonb->>'metadata_host' AS metadata_host,
	r.body::jsonb->'loopback_redirects_only' AS loopback_redirects_only,
	r.body::jsonb->>'redirect_uri' AS redirect_uri
FROM pg_temp.az(:'claude', 'http://localhost:54321/callback') r;
SELECT pg_temp.show(pg_temp.az(:'claude', 'http://127.0.0.1:61000/callback')) AS other_port,
	pg_temp.show(pg_temp.az(:'claude', 'http://[::1]:61000/callback')) AS other_host;
SELECT pg_temp.code(:'claude', 'http://localhost:54321/callback') AS claude_code \gset
SELECT (pg_temp.tok('grant_type=authorization_code&client_id=' || :'claude' || '&code=' || :'claude_code'
	|| '&redirect_uri=http://localhost:54321/callback'
	|| '&code_verifier=cimd-verifier-0123456789-0123456789-0123456789')).status AS token_status;

-- 22. ChatGPT: private_key_jwt with keys at a jwks_uri.
\set chatgpt 'https://chatgpt.com/oauth/client-metadata.json'
SELECT pg_temp.fetched(:'chatgpt', 'ok', 200, '{"client_id": "https://chatgpt.com/oauth/client-metadata.json",'
	' "client_name": "ChatGPT", "application_type": "web",'
	' "redirect_uris": ["https://chatgpt.com/connector_platform_oauth_redirect"],'
	' "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],'
	' "token_endpoint_auth_method": "private_key_jwt",'
	' "jwks_uri": "https://chatgpt.com/oauth/jwks.json", "scope": "openid offline_access"}',
	NULL, 3600) AS recorded;
SELECT application_type, token_endpoint_auth_method, jwks_uri, jwks IS NULL AS no_inline_jwks,
	client_secret_hash IS NULL AS no_secret
FROM mcp_oauth.clients WHERE client_id = :'chatgpt';
SELECT pg_temp.show(pg_temp.az(:'chatgpt', 'https://chatgpt.com/connector_platform_oauth_redirect')) AS authorize;

-- 23. Cursor: a private-use cursor:// redirect URI (native); inline jwks
--     is accepted too (a set with a usable key: sql/cimd_refusals.sql).
\set cursor 'https://cursor.com/.well-known/oauth-client.json'
SELECT pg_temp.fetched(:'cursor', 'ok', 200, pg_temp.doc(:'cursor', 'Cursor',
	'["cursor://anysphere.cursor-mcp/oauth/callback"]',
	'{"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}}'),
	NULL, 3600) AS recorded;
SELECT application_type, token_endpoint_auth_method, jwks->'keys'->0->>'kty' AS key_type
FROM mcp_oauth.clients WHERE client_id = :'cursor';
SELECT r.status, r.body::jsonb->>'metadata_host' AS metadata_host,
	r.body::jsonb->'loopback_redirects_only' AS loopback_redirects_only
FROM pg_temp.az(:'cursor', 'cursor://anysphere.cursor-mcp/oauth/callback') r;

-- 24. VS Code: a grant type this server does not have (device code) is
--     left out, not refused; a document naming none it has is refused.
\set vscode 'https://vscode.dev/oauth/client-metadata.json'
SELECT pg_temp.fetched(:'vscode', 'ok', 200, '{"application_type": "native",'
	' "client_id": "https://vscode.dev/oauth/client-metadata.json",'
	' "client_name": "Visual Studio Code", "client_uri": "https://vscode.dev/product",'
	' "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],'
	' "response_types": ["code"],'
	' "redirect_uris": ["https://vscode.dev/redirect", "http://127.0.0.1:33418/"],'
	' "token_endpoint_auth_method": "none"}', NULL, 3600) AS recorded;
SELECT application_type, grant_types, response_types FROM mcp_oauth.clients WHERE client_id = :'vscode';
SELECT pg_temp.show(pg_temp.az(:'vscode', 'http://127.0.0.1:49152/')) AS loopback,
	pg_temp.show(pg_temp.az(:'vscode', 'https://vscode.dev/redirect')) AS hosted;
SELECT pg_temp.fetched('https://device.example/c.json', 'ok', 200,
	pg_temp.doc('https://device.example/c.json', 'Device only', '["https://device.example/cb"]',
				'{"grant_types": ["urn:ietf:params:oauth:grant-type:device_code"], "response_types": ["token"]}'))
	AS recorded;
SELECT detail->>'detail' AS what FROM mcp_oauth.audit_log
WHERE event = 'fetch_failed' AND client_id = 'https://device.example/c.json';

-- members no page shows that are not valid are left out, not refused
\set lenient 'https://lenient.example/c.json'
SELECT pg_temp.fetched(:'lenient', 'ok', 200, pg_temp.doc(:'lenient', 'Lenient', '["https://lenient.example/cb"]',
	'{"logo_uri": "http://lenient.example/logo.png", "tos_uri": 5, "contacts": "ops",'
	' "policy_uri": "https://lenient.example/privacy", "software_id": "a\u0007b"}')) AS recorded;
SELECT metadata - 'client_id' - 'redirect_uris' - 'grant_types' - 'response_types' AS kept
FROM mcp_oauth.clients WHERE client_id = :'lenient';

-- 25. An administrator's client whose client_id is a URL stays that
--     client: no fetch, and a document of that URL makes no client.
SELECT client_id FROM mcp_oauth.create_client('Static URL', ARRAY['https://static.example/cb'],
											  client_id => 'https://static.example/c.json');
SELECT pg_temp.show(pg_temp.az('https://static.example/c.json', 'https://static.example/cb')) AS authorize;
SELECT pg_temp.fetched('https://static.example/c.json', 'ok', 200,
	pg_temp.doc('https://static.example/c.json', 'Impostor', '["https://static.example/cb"]')) AS recorded;
SELECT kind, client_name FROM mcp_oauth.clients WHERE client_id = 'https://static.example/c.json';

-- ---- JWK Sets (purpose jwks)

-- 26. A JWK Set is a JSON object whose "keys" is an array of at most 20
--     keys, a usable one among them (sql/cimd_refusals.sql); the failure
--     names the client whose jwks_uri it is.
SELECT mcp_oauth.fetched('https://chatgpt.com/oauth/jwks.json', 'jwks', 'ok', 200,
	'{"keys": [{"kty": "EC", "crv": "P-256", "x": "fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU", "y": "3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA", "kid": "k1"}]}', '"j1"', 600, NULL, NULL) AS ok,
	mcp_oauth.fetched('https://jwks.example/empty.json', 'jwks', 'ok', 200, '{"keys": []}', NULL, 600, NULL, NULL) AS empty,
	mcp_oauth.fetched('https://jwks.example/obj.json', 'jwks', 'ok', 200, '{"keys": {}}', NULL, 600, NULL, NULL) AS keys_object,
	mcp_oauth.fetched('https://jwks.example/str.json', 'jwks', 'ok', 200, '{"keys": ["k"]}', NULL, 600, NULL, NULL) AS string_key,
	mcp_oauth.fetched('https://jwks.example/many.json', 'jwks', 'ok', 200,
		'{"keys": [' || array_to_string(array_fill('{}'::text, ARRAY[21]), ',') || ']}', NULL, 600, NULL, NULL) AS too_many,
	mcp_oauth.fetched('https://jwks.example/arr.json', 'jwks', 'ok', 200, '[]', NULL, 600, NULL, NULL) AS not_object;
SELECT mcp_oauth.fetched('https://chatgpt.com/oauth/jwks.json', 'jwks', 'dns', 0, NULL, NULL, 0, NULL, NULL) AS recorded;
SELECT client_id, detail->>'purpose' AS purpose, detail->>'reason' AS reason
FROM mcp_oauth.audit_log WHERE event = 'fetch_failed' AND detail->>'url' = 'https://chatgpt.com/oauth/jwks.json';

-- 27. A bad call raises (class MO); an unknown outcome too.
SELECT mcp_oauth.fetched(NULL, 'jwks', 'ok', 200, '{}', NULL, 0, NULL, NULL);
SELECT mcp_oauth.fetched('https://x.example/a', 'openid', 'ok', 200, '{}', NULL, 0, NULL, NULL);
SELECT mcp_oauth.fetched('https://x.example/a', 'jwks', 'busy', 0, NULL, NULL, 0, NULL, NULL);
SELECT mcp_oauth.fetched('https://x.example/' || repeat('a', 2048), 'jwks', 'dns', 0, NULL, NULL, 0, NULL, NULL);

-- ---- Dynamic registration with keys

-- 28. DCR accepts private_key_jwt with exactly one of jwks and jwks_uri
--     (no secret is issued); other methods ignore both, as before.
CREATE FUNCTION pg_temp.reg(body text) RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.register('application/json', NULL, body, '192.0.2.85')
$$;
CREATE TEMP TABLE dcr AS
SELECT n, r.status, r.body::jsonb AS b
FROM unnest(ARRAY[
	'{"client_name": "DCR jwks", "redirect_uris": ["https://dcr.example/cb"],'
	' "token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU", "y": "3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA", "kid": "d1"}]}}',
	'{"client_name": "DCR jwks_uri", "redirect_uris": ["https://dcr.example/cb"],'
	' "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://dcr.example/jwks.json"}',
	'{"client_name": "DCR none", "redirect_uris": ["https://dcr.example/cb"],'
	' "token_endpoint_auth_method": "none", "jwks_uri": "https://dcr.example/jwks.json"}'
	]) WITH ORDINALITY AS t(body, n), LATERAL pg_temp.reg(body) r;
SELECT d.n, d.status, d.b ? 'client_secret' AS secret, d.b->>'token_endpoint_auth_method' AS method,
	d.b->'jwks'->'keys'->0->>'kid' AS jwks_kid, d.b->>'jwks_uri' AS jwks_uri,
	c.jwks->'keys'->0->>'kid' AS stored_kid, c.jwks_uri AS stored_uri,
	c.client_secret_hash IS NULL AS no_secret_stored
FROM dcr d JOIN mcp_oauth.clients c ON c.client_id = d.b->>'client_id'
ORDER BY d.n;
SELECT r.status, r.body::json->>'error' AS error, r.body::json->>'error_description' AS description
FROM unnest(ARRAY[
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}',
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "private_key_jwt",'
	' "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "fTuraApAj1hdghkKZ1FX7C_xouseTmNJGEt9J5ResLU", "y": "3t6C2hCkg-gs1ZU0bjzN1H0OvncWIDcUOhdtHzNxDeA"}]}, "jwks_uri": "https://dcr.example/jwks.json"}',
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "private_key_jwt",'
	' "jwks_uri": "http://dcr.example/jwks.json"}',
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "private_key_jwt",'
	' "jwks": "{\"keys\": []}"}',
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "private_key_jwt",'
	' "jwks": {"keys": [{"kty": "EC"}, 1]}}',
	'{"redirect_uris": ["https://dcr.example/cb"], "token_endpoint_auth_method": "client_secret_jwt"}'
	]) WITH ORDINALITY AS t(body, n), LATERAL pg_temp.reg(body) r
ORDER BY n;

-- ---- Housekeeping

-- 29. A metadata client never used for a token, with no grant, is purged
--     after mcp_oauth.unused_client_ttl (anyone can publish documents);
--     one with a grant stays.  Used again, its servable copy makes it anew.
UPDATE mcp_oauth.clients SET created_at = now() - interval '2 days'
WHERE client_id IN (:'chatgpt', :'claude');
SELECT deleted AS clients_purged FROM mcp_oauth.purge_expired(0, ARRAY['clients']) WHERE what = 'clients';
SELECT client_id FROM mcp_oauth.clients WHERE client_id IN (:'chatgpt', :'claude') ORDER BY 1;
SELECT pg_temp.show(pg_temp.az(:'chatgpt', 'https://chatgpt.com/connector_platform_oauth_redirect')) AS used_again;
SELECT kind, created_at > now() - interval '1 hour' AS made_anew FROM mcp_oauth.clients WHERE client_id = :'chatgpt';

-- ---- One URL, two purposes

-- 30. A URL fetched as a JWK Set is another document than the client
--     metadata document at that URL (anyone may name any https URL as a
--     jwks_uri or as a client_id): what one fetch records never touches
--     the other's copy.
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS before;
SELECT mcp_oauth.fetched(:'app', 'jwks', 'ok', 200,
	pg_temp.doc(:'app', 'CIMD App', '["https://app.example.com/cb"]'), NULL, 300, NULL, NULL) AS as_jwks;
SELECT purpose, body IS NOT NULL AS has_body, fresh_until > now() AS fresh, failure
FROM mcp_oauth.fetched_documents WHERE url = :'app' ORDER BY purpose;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS document_kept;
-- the other way: a client's JWK Set given as a client_id is asked for as a
-- metadata document, is not one, and the key set stays fresh
\set keys 'https://chatgpt.com/oauth/jwks.json'
SELECT pg_temp.show(pg_temp.az(:'keys', 'https://chatgpt.com/cb')) AS asks;
SELECT pg_temp.fetched(:'keys', 'ok', 200,
	'{"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}') AS as_metadata;
SELECT purpose, body IS NOT NULL AS has_body, fresh_until > now() AS fresh, failure
FROM mcp_oauth.fetched_documents WHERE url = :'keys' ORDER BY purpose;

-- 31. A refetch that fails for good (a CDN's 403 or 429, a redirect)
--     while the copy is fresh is recorded and audited, but the copy serves
--     until its freshness ends: whoever can make the server refetch cannot
--     take a client's document away.  Then it is not served stale.
SELECT pg_temp.fetched(:'app', 'status', 403) AS recorded;
SELECT fresh_until > now() AS fresh, failure FROM mcp_oauth.fetched_documents
WHERE url = :'app' AND purpose = 'client_metadata';
SELECT count(*) AS audited FROM mcp_oauth.audit_log
WHERE event = 'fetch_failed' AND client_id = :'app' AND (detail->>'status')::int = 403;
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS still_fresh;
SELECT pg_temp.expire(:'app');
SELECT pg_temp.show(pg_temp.az(:'app', 'https://app.example.com/cb')) AS expired;
-- an invalid document while the copy is fresh: the same
SELECT pg_temp.fetched(:'two', 'ok', 200, pg_temp.doc(:'two', 'Two', '[]')) AS recorded;
SELECT pg_temp.show(pg_temp.az(:'two', 'https://two.example/a')) AS still_fresh;

-- 32. forget_fetched forgets the URL under every purpose; purge_expired
--     deletes by URL and purpose.
SELECT mcp_oauth.forget_fetched(:'app') AS forgotten;
SELECT count(*) AS rows_left FROM mcp_oauth.fetched_documents WHERE url = :'app';
INSERT INTO mcp_oauth.fetched_documents (url, purpose, body, fetched_at, fresh_until) VALUES
('https://purge.example/two.json', 'client_metadata', '{}', now() - interval '3 hours', now() - interval '2 hours'),
('https://purge.example/two.json', 'jwks', '{}', now(), now() + interval '5 minutes');
SELECT * FROM mcp_oauth.purge_expired(0, ARRAY['fetched_documents']);
SELECT url, purpose FROM mcp_oauth.fetched_documents WHERE url LIKE 'https://purge.example/%'
ORDER BY url, purpose;

-- 33. The client a key set's failure is audited with is found through the
--     partial index on clients (jwks_uri), not by reading every client.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT client_id FROM mcp_oauth.clients
WHERE jwks_uri = 'https://chatgpt.com/oauth/jwks.json' ORDER BY client_id LIMIT 1;
RESET enable_seqscan;

-- ---- The operator's controls (cimd_policy.c)

-- An authorization request of client to redirect from the address addr.
CREATE FUNCTION pg_temp.az_from(client text, redirect text, addr inet)
RETURNS mcp_oauth.http_response LANGUAGE sql AS $$
	SELECT mcp_oauth.authorize('client_id=' || client || '&redirect_uri=' || redirect
		|| '&response_type=code&state=st&code_challenge='
		|| pg_temp.challenge('cimd-verifier-0123456789-0123456789-0123456789')
		|| '&code_challenge_method=S256', addr)
$$;
-- What the fetch limit counted: the hits of each cimd-fetch bucket.
CREATE FUNCTION pg_temp.fetch_counts() RETURNS TABLE (bucket text, hits bigint) LANGUAGE sql AS $$
	SELECT bucket, sum(hits) FROM mcp_oauth.rate_limits
	WHERE bucket LIKE 'cimd-fetch:%' GROUP BY bucket ORDER BY bucket
$$;

-- 34. Each need-fetch answer counts for the person's address, over a
--     sliding hour (mcp_oauth.client_metadata_fetch_rate_limit): anyone
--     can make up new URLs.  Over the limit: a 429 page (the server adds
--     Retry-After), nothing fetched, stored or audited, and the refused
--     request is not counted.
SHOW mcp_oauth.client_metadata_fetch_rate_limit;
SET mcp_oauth.client_metadata_fetch_rate_limit = 3;
SELECT n, pg_temp.show(pg_temp.az_from('https://n' || n || '.rate.example/c.json',
	'https://rate.example/cb', '198.51.100.7')) AS authorize
FROM generate_series(1, 4) n ORDER BY n;
SELECT * FROM pg_temp.fetch_counts();
SELECT (SELECT count(*) FROM mcp_oauth.fetched_documents WHERE url LIKE 'https://n_.rate.example/%') AS stored,
	(SELECT count(*) FROM mcp_oauth.clients WHERE client_id LIKE 'https://n_.rate.example/%') AS clients,
	(SELECT count(*) FROM mcp_oauth.audit_log WHERE client_id LIKE 'https://n_.rate.example/%') AS audited;
-- a document whose copy can be used is never counted, nor is a
-- remembered failure (a page, no fetch); a revalidation is a fetch
SELECT pg_temp.fetched('https://failed.rate.example/c.json', 'dns', 0) AS recorded;
SELECT pg_temp.show(pg_temp.az_from(:'vscode', 'https://vscode.dev/redirect', '198.51.100.7')) AS fresh_copy,
	pg_temp.show(pg_temp.az_from('https://failed.rate.example/c.json', 'https://rate.example/cb',
								 '198.51.100.7')) AS remembered_failure;
SELECT pg_temp.expire(:'vscode');
SELECT pg_temp.show(pg_temp.az_from(:'vscode', 'https://vscode.dev/redirect', '198.51.100.7')) AS revalidation;
-- an IPv4-mapped IPv6 address is its IPv4 address; another address is not limited
SELECT pg_temp.show(pg_temp.az_from('https://n5.rate.example/c.json', 'https://rate.example/cb',
									'::ffff:198.51.100.7')) AS mapped,
	pg_temp.show(pg_temp.az_from('https://n5.rate.example/c.json', 'https://rate.example/cb',
								 '198.51.100.8')) AS other_address;
-- an IPv6 address counts by its /64
SELECT a AS addr, pg_temp.show(pg_temp.az_from('https://v6-' || n || '.rate.example/c.json',
	'https://rate.example/cb', a::inet)) AS authorize
FROM unnest(ARRAY['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3',
				  '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:3::1']) WITH ORDINALITY AS t(a, n)
ORDER BY n;
-- mcp_oauth.registration_allowlist exempts its ranges; 0 turns the limit
-- off; a call without an address (a backend's own) is not counted
SET mcp_oauth.registration_allowlist = '192.0.2.0/24, 198.51.100.0/28';
SELECT pg_temp.show(pg_temp.az_from('https://n6.rate.example/c.json', 'https://rate.example/cb',
									'198.51.100.7')) AS allowlisted;
RESET mcp_oauth.registration_allowlist;
SET mcp_oauth.client_metadata_fetch_rate_limit = 0;
SELECT pg_temp.show(pg_temp.az_from('https://n7.rate.example/c.json', 'https://rate.example/cb',
									'198.51.100.7')) AS limit_off;
SET mcp_oauth.client_metadata_fetch_rate_limit = 3;
SELECT pg_temp.show(pg_temp.az_from('https://n8.rate.example/c.json', 'https://rate.example/cb',
									NULL)) AS no_address;
SELECT * FROM pg_temp.fetch_counts();
-- the oldest attempts leave the window: the address may fetch again
UPDATE mcp_oauth.rate_limits SET window_start = window_start - interval '1 hour'
WHERE bucket = 'cimd-fetch:addr:198.51.100.7';
SELECT pg_temp.show(pg_temp.az_from('https://n9.rate.example/c.json', 'https://rate.example/cb',
									'198.51.100.7')) AS an_hour_later;
RESET mcp_oauth.client_metadata_fetch_rate_limit;

-- A grant of the VS Code document's client, to see it outlive the switches.
SELECT pg_temp.fetched(:'vscode', 'not_modified', 304, NULL, NULL, 3600) AS recorded;
SELECT pg_temp.code(:'vscode', 'https://vscode.dev/redirect') AS vscode_code \gset
SELECT r.body::json->>'refresh_token' AS vscode_rt
FROM pg_temp.tok('grant_type=authorization_code&client_id=' || :'vscode' || '&code=' || :'vscode_code'
	|| '&redirect_uri=https://vscode.dev/redirect'
	|| '&code_verifier=cimd-verifier-0123456789-0123456789-0123456789') r \gset

-- 35. mcp_oauth.client_metadata_documents = off: the metadata no longer
--     offers CIMD; every URL client_id is refused at authorize with a page
--     (a known document's too, and nothing is fetched or counted for a new
--     one); an administrator's client whose client_id is a URL, and the
--     grants document clients already have, keep working.
SET mcp_oauth.client_metadata_documents = off;
SELECT (b->>'client_id_metadata_document_supported')::boolean AS cimd_supported,
	b->'token_endpoint_auth_methods_supported' ? 'none' AS none_supported
FROM (SELECT (mcp_oauth.authorization_server_metadata()).body::jsonb AS b) m;
SELECT pg_temp.show(pg_temp.az(:'vscode', 'https://vscode.dev/redirect')) AS known_document,
	pg_temp.show(pg_temp.az('https://off.example/c.json', 'https://off.example/cb')) AS new_document,
	pg_temp.show(pg_temp.az('https://static.example/c.json', 'https://static.example/cb')) AS admin_client;
SELECT count(*) AS stored FROM mcp_oauth.fetched_documents WHERE url = 'https://off.example/c.json';
SELECT * FROM pg_temp.fetch_counts() WHERE bucket = 'cimd-fetch:addr:192.0.2.80';
CREATE TEMP TABLE off_refresh AS
SELECT r.* FROM pg_temp.tok('grant_type=refresh_token&client_id=' || :'vscode' || '&refresh_token=' || :'vscode_rt') r;
SELECT status, body::jsonb ? 'access_token' AS refreshed FROM off_refresh;
SELECT body::json->>'refresh_token' AS vscode_rt FROM off_refresh \gset
RESET mcp_oauth.client_metadata_documents;
SELECT (mcp_oauth.authorization_server_metadata()).body::jsonb->'client_id_metadata_document_supported'
	AS cimd_supported_again;
SELECT pg_temp.show(pg_temp.az(:'vscode', 'https://vscode.dev/redirect')) AS known_document_again;

-- 36. mcp_oauth.client_metadata_denied_hosts: a document on a listed host
--     ("*.name": every host below name) is refused at authorize with a
--     page, stored copy or not, without a fetch; names compare without
--     case and without the root dot.  Grants already issued keep working.
SET mcp_oauth.client_metadata_denied_hosts = 'vscode.dev, *.evil.example';
SELECT c AS client_id, pg_temp.show(pg_temp.az(c, 'https://vscode.dev/redirect')) AS authorize
FROM unnest(ARRAY[:'vscode', 'https://VSCode.dev./oauth/client-metadata.json',
				  'https://a.evil.example/c.json', 'https://A.B.EVIL.example/c.json',
				  'https://evil.example/c.json', 'https://notevil.example/c.json']) c;
SELECT url FROM mcp_oauth.fetched_documents
WHERE url ~ 'evil\.example|VSCode' ORDER BY url;
SELECT r.status, r.body::jsonb ? 'access_token' AS refreshed
FROM pg_temp.tok('grant_type=refresh_token&client_id=' || :'vscode' || '&refresh_token=' || :'vscode_rt') r;
-- a list that is not one of host names is refused
SET mcp_oauth.client_metadata_denied_hosts = 'evil.example,,other.example';
SET mcp_oauth.client_metadata_denied_hosts = 'https://evil.example/';
SET mcp_oauth.client_metadata_denied_hosts = '*';
SHOW mcp_oauth.client_metadata_denied_hosts;
RESET mcp_oauth.client_metadata_denied_hosts;
SELECT pg_temp.show(pg_temp.az(:'vscode', 'https://vscode.dev/redirect')) AS not_denied;
