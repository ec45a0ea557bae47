-- Token endpoint: refresh_token grant (RFC 6749 section 6, OAuth 2.1 4.3):
-- rotation, grace retry, reuse detection, scope narrowing, expiry, revocation.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/mcp';
SET mcp_oauth.refresh_grace_period = 30;
SET mcp_oauth.refresh_idle_lifetime = 86400;
SET client_min_messages = warning;
-- A key that signs now.
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;

INSERT INTO mcp_oauth.clients (client_id, client_secret_hash, token_endpoint_auth_method,
							   redirect_uris)
VALUES ('ref-public', NULL, 'none', '{https://app.example.com/cb}'),
	   ('ref-other', NULL, 'none', '{https://app.example.com/cb}'),
	   ('ref-conf', sha256('conf-secret'), 'client_secret_basic', '{https://app.example.com/cb}');

-- A grant with one refresh token, as the code exchange makes them.
CREATE FUNCTION pg_temp.new_refresh(client text,
									scopes text[] DEFAULT '{mcp:tools,mcp:resources}')
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	gid bigint;
	tok text := 'mcp_rt_' || substr(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 1, 43);
BEGIN
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
	VALUES ('carol', client, scopes, 'https://mcp.example.com/mcp', now() + interval '90 days')
	RETURNING grant_id INTO gid;
	INSERT INTO mcp_oauth.refresh_tokens (token_hash, grant_id, scopes, expires_at)
	VALUES (sha256(convert_to(tok, 'UTF8')), gid, scopes, now() + interval '1 day');
	RETURN tok;
END
$$;

CREATE FUNCTION pg_temp.h(tok text) RETURNS bytea
LANGUAGE sql AS $$ SELECT sha256(convert_to(tok, 'UTF8')) $$;

-- The grant of a refresh token.
CREATE FUNCTION pg_temp.gid(tok text) RETURNS bigint
LANGUAGE sql AS $$
	SELECT grant_id FROM mcp_oauth.refresh_tokens WHERE token_hash = pg_temp.h(tok)
$$;

-- A refresh request; every response is kept in seen.
CREATE TEMP TABLE seen (r mcp_oauth.http_response);
CREATE FUNCTION pg_temp.refresh(tok text, extra text DEFAULT '',
								client text DEFAULT 'ref-public', auth text DEFAULT NULL)
RETURNS mcp_oauth.http_response LANGUAGE plpgsql AS $$
DECLARE
	r mcp_oauth.http_response;
BEGIN
	r := mcp_oauth.token('application/x-www-form-urlencoded', auth,
		'grant_type=refresh_token&refresh_token=' || tok
		|| CASE WHEN client IS NULL THEN '' ELSE '&client_id=' || client END || extra,
		'192.0.2.20');
	INSERT INTO seen VALUES (r);
	RETURN r;
END
$$;

CREATE FUNCTION pg_temp.claims(jwt text) RETURNS json
LANGUAGE sql AS $$
	SELECT convert_from(decode(rpad(translate(split_part(jwt, '.', 2), '-_', '+/'),
		(length(split_part(jwt, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::json
$$;

CREATE TEMP TABLE res (name text PRIMARY KEY, r mcp_oauth.http_response);
CREATE FUNCTION pg_temp.rt(name text) RETURNS text
LANGUAGE sql AS $$ SELECT (r).body::json->>'refresh_token' FROM res WHERE res.name = rt.name $$;
CREATE FUNCTION pg_temp.at(name text) RETURNS text
LANGUAGE sql AS $$ SELECT (r).body::json->>'access_token' FROM res WHERE res.name = at.name $$;

SELECT pg_temp.new_refresh('ref-public') AS t0 \gset

-- 1. Rotation: a new refresh token and access token; the old row is
-- marked rotated, its successor kept only sealed, apart (refresh_grace).
INSERT INTO res VALUES ('first', pg_temp.refresh(:'t0'));
SELECT (r).status, (r).cache_control, (r).body::json->>'token_type' AS token_type,
	   (r).body::json->>'scope' AS scope,
	   (r).body::json->>'refresh_token' ~ '^mcp_rt_[A-Za-z0-9_-]{43}$' AS refresh_shape,
	   (r).body::json->>'refresh_token' <> :'t0' AS rotated
FROM res WHERE name = 'first';
SELECT t.rotated_at IS NOT NULL AS rotated, t.revoked_at IS NULL AS not_revoked,
	   t.successor_sealed IS NULL AS not_in_row,
	   length(s.successor_sealed) = length(pg_temp.rt('first')) + 28 AS sealed_len,
	   position(convert_to(pg_temp.rt('first'), 'UTF8') IN s.successor_sealed) = 0 AS not_plain
FROM mcp_oauth.refresh_tokens t
JOIN mcp_oauth.refresh_grace s USING (token_hash, rotated_at)
WHERE t.token_hash = pg_temp.h(:'t0');
SELECT grant_id = pg_temp.gid(:'t0') AS same_grant, scopes, rotated_at IS NULL AS fresh
FROM mcp_oauth.refresh_tokens WHERE token_hash = pg_temp.h(pg_temp.rt('first'));
SELECT pg_temp.claims(pg_temp.at('first'))->>'sub' AS sub,
	   pg_temp.claims(pg_temp.at('first'))->>'client_id' AS client_id;
SELECT count(*) AS refreshed_audit FROM mcp_oauth.audit_log
WHERE event = 'token_refreshed' AND grant_id = pg_temp.gid(:'t0') AND detail IS NULL;

-- 2. A retry with the old token inside the grace period gets the SAME
-- successor and a fresh access token; nothing is revoked.
INSERT INTO res VALUES ('retry', pg_temp.refresh(:'t0'));
SELECT (r).status, pg_temp.rt('retry') = pg_temp.rt('first') AS same_successor,
	   pg_temp.at('retry') <> pg_temp.at('first') AS new_access
FROM res WHERE name = 'retry';
SELECT count(*) AS grace_audit FROM mcp_oauth.audit_log
WHERE event = 'token_refreshed' AND grant_id = pg_temp.gid(:'t0')
  AND detail = '{"grace_retry": true}';
SELECT revoked_at IS NULL AS grant_alive FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(:'t0');
SELECT count(*) AS refresh_rows FROM mcp_oauth.refresh_tokens WHERE grant_id = pg_temp.gid(:'t0');

-- 3. The successor rotates normally.
INSERT INTO res VALUES ('second', pg_temp.refresh(pg_temp.rt('first')));
SELECT (r).status, pg_temp.rt('second') <> pg_temp.rt('first') AS rotated FROM res WHERE name = 'second';

-- The old token again, still inside its grace period, after its successor
-- was rotated in turn: refused (the client moved on), nothing revoked.
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t0') r;
SELECT revoked_at IS NULL AS grant_alive FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(:'t0');

-- 4. The old token after the grace period: reuse, the whole family is revoked.
UPDATE mcp_oauth.refresh_tokens SET rotated_at = now() - interval '31 seconds'
WHERE token_hash = pg_temp.h(:'t0');
SELECT (r).status, (r).body::json->>'error' AS error, (r).cache_control
FROM pg_temp.refresh(:'t0') r;
SELECT revoked_reason,
	   (SELECT bool_and(revoked_at IS NULL) FROM mcp_oauth.refresh_tokens t WHERE t.grant_id = g.grant_id) AS no_token_row_written
FROM mcp_oauth.grants g WHERE grant_id = pg_temp.gid(:'t0');
SELECT count(*) AS reuse_audit FROM mcp_oauth.audit_log
WHERE event = 'refresh_reuse_detected' AND grant_id = pg_temp.gid(:'t0');
-- The newest token and the access tokens are dead too.
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(pg_temp.rt('second')) r;
SELECT (mcp_oauth.verify_access_token(pg_temp.at('second'), 'https://mcp.example.com/mcp')).active;

-- 5. Grace period 0: an immediate retry is already reuse.
SET mcp_oauth.refresh_grace_period = 0;
SELECT pg_temp.new_refresh('ref-public') AS t5 \gset
SELECT (pg_temp.refresh(:'t5')).status;
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t5') r;
SELECT revoked_reason FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(:'t5');
SET mcp_oauth.refresh_grace_period = 30;

-- 6. Scope: narrowing is allowed (the new refresh token keeps the original
-- scope, RFC 6749 section 6); widening and malformed are invalid_scope.
SELECT pg_temp.new_refresh('ref-public') AS t6 \gset
SELECT label, (r).status, (r).body::json->>'error' AS error
FROM (VALUES
	('wider', '&scope=mcp:tools+mcp:prompts'),
	('other', '&scope=mcp:prompts'),
	('malformed', '&scope=mcp:tools%22'),
	('empty', '&scope=')
) AS t(label, extra), LATERAL pg_temp.refresh(:'t6', extra) r;
INSERT INTO res VALUES ('narrow', pg_temp.refresh(:'t6', '&scope=mcp:tools'));
SELECT (r).status, (r).body::json->>'scope' AS scope,
	   pg_temp.claims(pg_temp.at('narrow'))->>'scope' AS jwt_scope
FROM res WHERE name = 'narrow';
SELECT scopes FROM mcp_oauth.refresh_tokens WHERE token_hash = pg_temp.h(pg_temp.rt('narrow'));

-- 7. resource: the grant's (any spelling) is fine; another is invalid_target.
SELECT pg_temp.new_refresh('ref-public') AS t7 \gset
SELECT (r).status, (r).body::json->>'error' AS error
FROM pg_temp.refresh(:'t7', '&resource=https://other.example.com/mcp') r;
SELECT (r).status FROM pg_temp.refresh(:'t7', '&resource=https://MCP.example.com/mcp/') r;

-- 8. Expired refresh token; expired grant; the new token never outlives the grant.
SELECT pg_temp.new_refresh('ref-public') AS t8 \gset
UPDATE mcp_oauth.refresh_tokens SET expires_at = now() - interval '1 second'
WHERE token_hash = pg_temp.h(:'t8');
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t8') r;
SELECT pg_temp.new_refresh('ref-public') AS t8b \gset
UPDATE mcp_oauth.grants SET expires_at = now() - interval '1 second' WHERE grant_id = pg_temp.gid(:'t8b');
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t8b') r;
SELECT pg_temp.new_refresh('ref-public') AS t8c \gset
UPDATE mcp_oauth.grants SET expires_at = now() + interval '1 hour' WHERE grant_id = pg_temp.gid(:'t8c');
INSERT INTO res VALUES ('capped', pg_temp.refresh(:'t8c'));
SELECT t.expires_at = g.expires_at AS capped_by_grant
FROM mcp_oauth.refresh_tokens t JOIN mcp_oauth.grants g USING (grant_id)
WHERE t.token_hash = pg_temp.h(pg_temp.rt('capped'));

-- 9. Revoked grant (admin revoke_grant).
SELECT pg_temp.new_refresh('ref-public') AS t9 \gset
SELECT mcp_oauth.revoke_grant(pg_temp.gid(:'t9')) AS revoked,
	   mcp_oauth.revoke_grant(pg_temp.gid(:'t9')) AS again;
SELECT revoked_reason FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(:'t9');
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t9') r;
\set VERBOSITY sqlstate
SELECT mcp_oauth.revoke_grant(-1);
\set VERBOSITY default

-- 10. Another client's token: invalid_grant, and nothing is revoked.
SELECT pg_temp.new_refresh('ref-public') AS t10 \gset
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh(:'t10', '', 'ref-other') r;
SELECT revoked_at IS NULL AS grant_alive FROM mcp_oauth.grants WHERE grant_id = pg_temp.gid(:'t10');
SELECT (pg_temp.refresh(:'t10')).status AS owner_status;

-- 11. Missing and unknown tokens.
SELECT (r).status, (r).body::json->>'error' AS error
FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=ref-public', NULL) r;
SELECT (r).status, (r).body::json->>'error' AS error FROM pg_temp.refresh('mcp_rt_unknown') r;

-- 12. A confidential client refreshes with Basic; without its secret it cannot.
SELECT pg_temp.new_refresh('ref-conf') AS t12 \gset
SELECT (r).status, (r).body::jsonb ? 'refresh_token' AS has_refresh
FROM pg_temp.refresh(:'t12', '', NULL,
	'Basic ' || encode(convert_to('ref-conf:conf-secret', 'UTF8'), 'base64')) r;
SELECT pg_temp.new_refresh('ref-conf') AS t12b \gset
SELECT (r).status, (r).body::json->>'error' AS error, (r).www_authenticate
FROM pg_temp.refresh(:'t12b', '', 'ref-conf') r;

-- 13. Every response was no-store.
SELECT count(*) AS responses,
	   count(*) FILTER (WHERE (r).cache_control IS DISTINCT FROM 'no-store') AS cacheable
FROM seen;

-- 14. A token response writes its rows with INSERT and UPDATE (one
-- statement of data-modifying WITHs): triggers an operator adds fire, row
-- ones (AFTER ones and UPDATE OF a column too) and statement ones; a column
-- added with a default gets it, a stored generated column is computed, an
-- added partial expression index is kept, an added constraint is enforced,
-- and a column whose type changed takes the value by its assignment cast,
-- or refuses it when there is none.
CREATE TEMP TABLE fired (tg text, event text, rotated boolean);
CREATE FUNCTION pg_temp.log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'audit_log' THEN
		INSERT INTO pg_temp.fired VALUES (TG_WHEN || ' ' || TG_OP || ' ' || TG_TABLE_NAME, NEW.event, NULL);
	ELSE
		INSERT INTO pg_temp.fired VALUES (TG_WHEN || ' ' || TG_OP || ' ' || TG_TABLE_NAME, NULL, NEW.rotated_at IS NOT NULL);
	END IF;
	RETURN NEW;
END
$$;
CREATE FUNCTION pg_temp.log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pg_temp.fired VALUES (TG_WHEN || ' ' || TG_OP || ' ' || TG_TABLE_NAME || ' statement', NULL, NULL);
	RETURN NULL;
END
$$;
CREATE TRIGGER regress_audit AFTER INSERT ON mcp_oauth.audit_log
	FOR EACH ROW EXECUTE FUNCTION pg_temp.log_row();
CREATE TRIGGER regress_refresh BEFORE INSERT OR UPDATE ON mcp_oauth.refresh_tokens
	FOR EACH ROW EXECUTE FUNCTION pg_temp.log_row();
CREATE TRIGGER regress_refresh_after AFTER UPDATE OF rotated_at ON mcp_oauth.refresh_tokens
	FOR EACH ROW EXECUTE FUNCTION pg_temp.log_row();
CREATE TRIGGER regress_audit_statement BEFORE INSERT ON mcp_oauth.audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.log_statement();
CREATE TRIGGER regress_refresh_statement AFTER INSERT OR UPDATE ON mcp_oauth.refresh_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.log_statement();
ALTER TABLE mcp_oauth.audit_log ADD COLUMN regress_note text DEFAULT 'noted',
	ADD COLUMN regress_len int GENERATED ALWAYS AS (length(event)) STORED;
CREATE INDEX regress_hex ON mcp_oauth.refresh_tokens ((encode(token_hash, 'hex')))
	WHERE rotated_at IS NULL;
SELECT pg_temp.new_refresh('ref-public') AS t14 \gset
TRUNCATE fired;
SELECT (r).status, (r).body::json->>'refresh_token' AS t14n FROM pg_temp.refresh(:'t14') r \gset
SELECT :status AS status;
SELECT tg, event, rotated FROM fired ORDER BY tg, rotated;
SELECT event, regress_note, regress_len FROM mcp_oauth.audit_log
 WHERE grant_id = pg_temp.gid(:'t14') ORDER BY audit_id DESC LIMIT 1;
-- the partial expression index: the new token is in it, the rotated one left it
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET plan_cache_mode = force_generic_plan;
PREPARE in_index(bytea, bytea) AS
SELECT count(*) FILTER (WHERE token_hash = $1) AS new_in_index,
	   count(*) FILTER (WHERE token_hash = $2) AS rotated_in_index
  FROM mcp_oauth.refresh_tokens
 WHERE encode(token_hash, 'hex') IN (encode($1, 'hex'), encode($2, 'hex'))
   AND rotated_at IS NULL;
EXPLAIN (COSTS OFF) EXECUTE in_index(pg_temp.h(:'t14n'), pg_temp.h(:'t14'));
EXECUTE in_index(pg_temp.h(:'t14n'), pg_temp.h(:'t14'));
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET plan_cache_mode;
-- a constraint the audit row breaks: the request fails and writes nothing
ALTER TABLE mcp_oauth.audit_log ADD CONSTRAINT regress_no_refresh
	CHECK (event <> 'token_refreshed') NOT VALID;
\set VERBOSITY terse
SELECT (r).status FROM pg_temp.refresh(:'t14n') r;
ALTER TABLE mcp_oauth.audit_log DROP CONSTRAINT regress_no_refresh;
\set VERBOSITY default
SELECT rotated_at IS NULL AS still_unrotated FROM mcp_oauth.refresh_tokens
 WHERE token_hash = pg_temp.h(:'t14n');
-- a column of another type: json takes the jsonb detail (an assignment cast)
ALTER TABLE mcp_oauth.audit_log ALTER COLUMN detail TYPE json;
SELECT (r).status, (r).body::json->>'refresh_token' AS t14m FROM pg_temp.refresh(:'t14n') r \gset
SELECT :status AS status;
SELECT event, pg_typeof(detail) AS detail_type FROM mcp_oauth.audit_log
 WHERE grant_id = pg_temp.gid(:'t14n') ORDER BY audit_id DESC LIMIT 1;
ALTER TABLE mcp_oauth.audit_log ALTER COLUMN detail TYPE jsonb;
DROP TRIGGER regress_audit ON mcp_oauth.audit_log;
DROP TRIGGER regress_refresh ON mcp_oauth.refresh_tokens;
DROP TRIGGER regress_refresh_after ON mcp_oauth.refresh_tokens;
DROP TRIGGER regress_audit_statement ON mcp_oauth.audit_log;
DROP TRIGGER regress_refresh_statement ON mcp_oauth.refresh_tokens;
ALTER TABLE mcp_oauth.audit_log DROP COLUMN regress_note, DROP COLUMN regress_len;
DROP INDEX mcp_oauth.regress_hex;
-- an integer event takes no text: the request fails (rolled back here,
-- with the type change)
BEGIN;
ALTER TABLE mcp_oauth.audit_log ALTER COLUMN event TYPE int USING 0;
-- 42804 datatype_mismatch: column "event" is of type integer but
-- expression is of type text
\set VERBOSITY sqlstate
SELECT (r).status FROM pg_temp.refresh(:'t14m') r;
\set VERBOSITY default
ROLLBACK;
-- and the token still refreshes once they are gone (a dropped column is skipped)
SELECT (r).status FROM pg_temp.refresh(:'t14m') r;

-- 15. The token endpoint's key lookups and writes stay index scans however
-- small the tables are (spi.c, MoKeyPlan): after an ANALYZE of the few
-- rows here the generic plan of WHERE key = $1 would be a sequential scan,
-- yet a refresh (its plans made again after the ANALYZE) scans neither
-- grants nor refresh_tokens sequentially.
SELECT pg_temp.new_refresh('ref-public') AS t15 \gset
ANALYZE mcp_oauth.grants, mcp_oauth.refresh_tokens;
-- the scans counted so far are sent (pg_stat_xact_user_tables shows the
-- ones not yet sent)
SELECT pg_stat_force_next_flush();
BEGIN;
SELECT (r).status FROM pg_temp.refresh(:'t15') r;
SELECT relname, seq_scan, idx_scan > 0 AS by_index FROM pg_stat_xact_user_tables
 WHERE schemaname = 'mcp_oauth' AND relname IN ('grants', 'refresh_tokens')
 ORDER BY relname;
COMMIT;
