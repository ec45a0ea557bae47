-- Rotation history (issue 13): what a rotation writes, the reuse-detection
-- window (mcp_oauth.refresh_reuse_window), the life of the sealed
-- successor, a revocation that writes no token row, and the purge of what
-- the window no longer needs.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';
SET mcp_oauth.refresh_grace_period = 30;
SET client_min_messages = warning;
SELECT mcp_oauth.rotate_signing_key(NULL, interval '0') IS NOT NULL AS signing_key;
INSERT INTO mcp_oauth.clients (client_id, token_endpoint_auth_method, redirect_uris)
VALUES ('rw-public', 'none', '{https://app.example.com/cb}');

-- A grant with one refresh token, as the code exchange makes them.
CREATE FUNCTION pg_temp.new_refresh() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	gid bigint;
	tok text := 'mcp_rt_' || substr(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 1, 43);
BEGIN
	INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
	VALUES ('rw_user', 'rw-public', '{mcp:tools}', 'https://mcp.example.com/mcp', now() + interval '90 days')
	RETURNING grant_id INTO gid;
	INSERT INTO mcp_oauth.refresh_tokens (token_hash, grant_id, scopes, expires_at)
	VALUES (sha256(convert_to(tok, 'UTF8')), gid, '{mcp:tools}', now() + interval '30 days');
	RETURN tok;
END
$$;
CREATE FUNCTION pg_temp.h(tok text) RETURNS bytea
LANGUAGE sql AS $$ SELECT sha256(convert_to(tok, 'UTF8')) $$;
CREATE FUNCTION pg_temp.gid(tok text) RETURNS bigint
LANGUAGE sql AS $$ SELECT grant_id FROM mcp_oauth.refresh_tokens WHERE token_hash = pg_temp.h(tok) $$;
CREATE FUNCTION pg_temp.refresh(tok text) RETURNS mcp_oauth.http_response
LANGUAGE sql AS $$
	SELECT mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=refresh_token&client_id=rw-public&refresh_token=' || tok, '192.0.2.30')
$$;
-- The refresh token of a response.
CREATE FUNCTION pg_temp.rt(r mcp_oauth.http_response) RETURNS text
LANGUAGE sql AS $$ SELECT (r).body::json->>'refresh_token' $$;
-- Move a token's rotation back by ago, everywhere it is recorded.
CREATE FUNCTION pg_temp.rotated_ago(tok text, ago interval) RETURNS void
LANGUAGE sql AS $$
	UPDATE mcp_oauth.refresh_tokens SET rotated_at = rotated_at - ago WHERE token_hash = pg_temp.h(tok);
	UPDATE mcp_oauth.refresh_rotations SET rotated_at = rotated_at - ago WHERE token_hash = pg_temp.h(tok);
	UPDATE mcp_oauth.refresh_grace SET rotated_at = rotated_at - ago WHERE token_hash = pg_temp.h(tok);
$$;
-- What a response says: status and error description, or "ok".
CREATE FUNCTION pg_temp.said(r mcp_oauth.http_response) RETURNS text
LANGUAGE sql AS $$
	SELECT CASE WHEN (r).status = 200 THEN 'ok'
		   ELSE (r).status || ' ' || ((r).body::json->>'error') || ': ' || ((r).body::json->>'error_description') END
$$;
CREATE TEMP TABLE rt (name text PRIMARY KEY, tok text);

-- 1. The window's default: a few days.
SHOW mcp_oauth.refresh_reuse_window;

-- 2. A rotation writes rotated_at alone, in place (a HOT update), logs the
-- rotation, and keeps the successor sealed apart.
INSERT INTO rt VALUES ('a0', pg_temp.new_refresh());
BEGIN;
INSERT INTO rt SELECT 'a1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'a0';
SELECT n_tup_upd AS updates, n_tup_hot_upd AS hot_updates
  FROM pg_stat_xact_user_tables WHERE relid = 'mcp_oauth.refresh_tokens'::regclass;
COMMIT;
SELECT t.rotated_at IS NOT NULL AS rotated, t.successor_sealed IS NULL AS nothing_sealed_in_row,
	   (SELECT count(*) FROM mcp_oauth.refresh_rotations l
		 WHERE l.token_hash = t.token_hash AND l.rotated_at = t.rotated_at) AS logged,
	   (SELECT count(*) FROM mcp_oauth.refresh_grace s
		 WHERE s.token_hash = t.token_hash AND s.rotated_at = t.rotated_at) AS sealed_apart
  FROM mcp_oauth.refresh_tokens t, rt WHERE rt.name = 'a0' AND t.token_hash = pg_temp.h(rt.tok);
-- the successor is fresh and logged nowhere
SELECT t.rotated_at IS NULL AS live,
	   NOT EXISTS (SELECT FROM mcp_oauth.refresh_rotations l WHERE l.token_hash = t.token_hash) AS not_logged
  FROM mcp_oauth.refresh_tokens t, rt WHERE rt.name = 'a1' AND t.token_hash = pg_temp.h(rt.tok);

-- 3. Reuse inside the window (rotated two days ago): the grant is revoked,
-- and the revocation writes no token row.
SELECT pg_temp.rotated_ago(tok, interval '2 days') FROM rt WHERE name = 'a0';
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'a0';
SELECT g.revoked_reason,
	   (SELECT bool_and(t.revoked_at IS NULL) FROM mcp_oauth.refresh_tokens t
		 WHERE t.grant_id = g.grant_id) AS no_token_row_written
  FROM mcp_oauth.grants g, rt WHERE rt.name = 'a0' AND g.grant_id = pg_temp.gid(rt.tok);
-- its successor is refused with it
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'a1';

-- 4. Reuse after the window (rotated 3 days and a second ago), before any
-- purge: an unknown token; nothing is revoked, the successor lives on.
INSERT INTO rt VALUES ('b0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'b1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'b0';
SELECT pg_temp.rotated_ago(tok, interval '3 days 1 second') FROM rt WHERE name = 'b0';
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'b0';
SELECT g.revoked_at IS NULL AS grant_alive
  FROM mcp_oauth.grants g, rt WHERE rt.name = 'b0' AND g.grant_id = pg_temp.gid(rt.tok);
SELECT count(*) AS reuse_audit FROM mcp_oauth.audit_log a, rt
 WHERE rt.name = 'b0' AND a.event = 'refresh_reuse_detected' AND a.grant_id = pg_temp.gid(rt.tok);
INSERT INTO rt SELECT 'b2', pg_temp.rt(r) FROM rt, pg_temp.refresh(rt.tok) r WHERE rt.name = 'b1';
SELECT tok IS NOT NULL AS successor_rotated FROM rt WHERE name = 'b2';
-- a shorter window, the same way
SET mcp_oauth.refresh_reuse_window = '1h';
SELECT pg_temp.rotated_ago(tok, interval '2 hours') FROM rt WHERE name = 'b1';
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'b1';
RESET mcp_oauth.refresh_reuse_window;
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'b1';
SELECT g.revoked_reason FROM mcp_oauth.grants g, rt
 WHERE rt.name = 'b0' AND g.grant_id = pg_temp.gid(rt.tok);

-- 5. A window shorter than the grace period counts as the grace period:
-- a retry two minutes after rotation, with a 5 minute grace and a 1 minute
-- window, still gets the same successor.
SET mcp_oauth.refresh_grace_period = 300;
SET mcp_oauth.refresh_reuse_window = 60;
INSERT INTO rt VALUES ('c0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'c1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'c0';
SELECT pg_temp.rotated_ago(tok, interval '2 minutes') FROM rt WHERE name = 'c0';
SELECT pg_temp.rt(pg_temp.refresh(c0.tok)) = c1.tok AS same_successor
  FROM rt c0, rt c1 WHERE c0.name = 'c0' AND c1.name = 'c1';
RESET mcp_oauth.refresh_reuse_window;
SET mcp_oauth.refresh_grace_period = 30;

-- 6. A grace retry after the purge cleared the sealed successor (here a
-- purge run with no grace period): refused, nothing revoked, the successor
-- still works.
INSERT INTO rt VALUES ('d0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'd1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'd0';
SET mcp_oauth.refresh_grace_period = 0;
SELECT deleted >= 1 AS sealed_purged FROM mcp_oauth.purge_expired() WHERE what = 'sealed_successors';
RESET mcp_oauth.refresh_grace_period;
SET mcp_oauth.refresh_grace_period = 30;
SELECT count(*) AS sealed_left FROM mcp_oauth.refresh_grace s, rt
 WHERE rt.name = 'd0' AND s.token_hash = pg_temp.h(rt.tok);
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'd0';
SELECT g.revoked_at IS NULL AS grant_alive
  FROM mcp_oauth.grants g, rt WHERE rt.name = 'd0' AND g.grant_id = pg_temp.gid(rt.tok);
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'd1';
-- within the grace period the purge leaves the sealed successor
INSERT INTO rt VALUES ('e0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'e1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'e0';
SELECT count(*) AS kinds FROM mcp_oauth.purge_expired();
SELECT count(*) AS sealed_kept FROM mcp_oauth.refresh_grace s, rt
 WHERE rt.name = 'e0' AND s.token_hash = pg_temp.h(rt.tok);

-- 7. The purge ends rotated rows past the window, with their log rows,
-- oldest first and in batches; live tokens and rows inside the window stay.
INSERT INTO rt VALUES ('f0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'f1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'f0';
INSERT INTO rt SELECT 'f2', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'f1';
INSERT INTO rt SELECT 'f3', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'f2';
SELECT pg_temp.rotated_ago(tok, interval '10 days') FROM rt WHERE name = 'f0';
SELECT pg_temp.rotated_ago(tok, interval '4 days') FROM rt WHERE name = 'f1';
-- a batch of one: the oldest rotation
SELECT what, deleted FROM mcp_oauth.purge_expired(1)
 WHERE what IN ('refresh_rotations', 'refresh_tokens') ORDER BY what;
SELECT rt.name, t.token_hash IS NOT NULL AS row_kept,
	   EXISTS (SELECT FROM mcp_oauth.refresh_rotations l WHERE l.token_hash = pg_temp.h(rt.tok)) AS logged
  FROM rt LEFT JOIN mcp_oauth.refresh_tokens t ON t.token_hash = pg_temp.h(rt.tok)
 WHERE rt.name LIKE 'f%' ORDER BY rt.name;
SELECT count(*) AS kinds FROM mcp_oauth.purge_expired();
SELECT rt.name, t.token_hash IS NOT NULL AS row_kept
  FROM rt LEFT JOIN mcp_oauth.refresh_tokens t ON t.token_hash = pg_temp.h(rt.tok)
 WHERE rt.name LIKE 'f%' ORDER BY rt.name;
-- nothing left past the window
SELECT count(*) AS past_window FROM mcp_oauth.refresh_rotations
 WHERE rotated_at < now() - interval '3 days';
-- a purged token is unknown; the family is not revoked; the live token works
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'f0';
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'f3';

-- 8. Revoking a grant writes no token row, however long its history:
-- every row of the family keeps its row version.
INSERT INTO rt VALUES ('g0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'g1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'g0';
INSERT INTO rt SELECT 'g2', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'g1';
CREATE TEMP TABLE before AS
SELECT t.token_hash, t.xmin::text AS x, t.ctid AS c FROM mcp_oauth.refresh_tokens t, rt
 WHERE rt.name = 'g0' AND t.grant_id = pg_temp.gid(rt.tok);
SELECT mcp_oauth.revoke_grant(pg_temp.gid(tok)) FROM rt WHERE name = 'g0';
SELECT count(*) AS family, count(*) FILTER (WHERE t.xmin::text = b.x AND t.ctid = b.c) AS untouched
  FROM before b JOIN mcp_oauth.refresh_tokens t USING (token_hash);
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'g2';

-- 9. A grace retry after the grant was revoked: refused like any token of
-- a revoked grant (the grant check comes first; no token row says so).
INSERT INTO rt VALUES ('h0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'h1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'h0';
SELECT mcp_oauth.revoke_grant(pg_temp.gid(tok)) FROM rt WHERE name = 'h0';
SELECT pg_temp.said(pg_temp.refresh(tok)) FROM rt WHERE name = 'h0';

-- 10. The revocation endpoint treats a token past the window as unknown:
-- 200, and the grant lives on; one inside the window revokes the grant.
CREATE FUNCTION pg_temp.revoke(tok text) RETURNS int
LANGUAGE sql AS $$
	SELECT (mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
		'client_id=rw-public&token=' || tok, '192.0.2.30')).status
$$;
INSERT INTO rt VALUES ('i0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'i1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'i0';
INSERT INTO rt SELECT 'i2', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'i1';
SELECT pg_temp.rotated_ago(tok, interval '4 days') FROM rt WHERE name = 'i0';
SELECT pg_temp.revoke(tok) AS status FROM rt WHERE name = 'i0';
SELECT g.revoked_at IS NULL AS grant_alive
  FROM mcp_oauth.grants g, rt WHERE rt.name = 'i0' AND g.grant_id = pg_temp.gid(rt.tok);
SELECT pg_temp.revoke(tok) AS status FROM rt WHERE name = 'i1';
SELECT g.revoked_reason
  FROM mcp_oauth.grants g, rt WHERE rt.name = 'i0' AND g.grant_id = pg_temp.gid(rt.tok);

-- 11. The purge keeps a rotated row inside the grace period even when the
-- window is set shorter, and deletes by the row's own rotation time: a log
-- row left over for the same hash (here a made-up one) deletes nothing newer.
SET mcp_oauth.refresh_grace_period = 300;
SET mcp_oauth.refresh_reuse_window = 60;
INSERT INTO rt VALUES ('j0', pg_temp.new_refresh());
INSERT INTO rt SELECT 'j1', pg_temp.rt(pg_temp.refresh(tok)) FROM rt WHERE name = 'j0';
SELECT pg_temp.rotated_ago(tok, interval '2 minutes') FROM rt WHERE name = 'j0';
INSERT INTO mcp_oauth.refresh_rotations (rotated_at, token_hash)
SELECT now() - interval '10 days', pg_temp.h(tok) FROM rt WHERE name = 'j0';
SELECT count(*) AS kinds FROM mcp_oauth.purge_expired();
SELECT count(*) AS row_kept FROM mcp_oauth.refresh_tokens t, rt
 WHERE rt.name = 'j0' AND t.token_hash = pg_temp.h(rt.tok);
RESET mcp_oauth.refresh_reuse_window;
SET mcp_oauth.refresh_grace_period = 30;
