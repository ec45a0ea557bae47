-- Personal access tokens: create, list, revoke, and verification by
-- verify_access_token.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp,https://other.example.com/api';

-- SQLSTATE and message of a statement that should fail, or 'ok'.
CREATE FUNCTION pg_temp.err(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

-- create: the token has the PAT shape, and is shown once
CREATE TEMP TABLE pats (k text PRIMARY KEY, tok text);
INSERT INTO pats VALUES
	('plain', mcp_oauth.create_personal_access_token('pat_alice', 'ci script', '{mcp:tools}')),
	('two', mcp_oauth.create_personal_access_token('pat_alice', 'two scopes',
		'{mcp:tools,mcp:resources,mcp:tools}', now() + interval '30 days')),
	('bound', mcp_oauth.create_personal_access_token('pat_alice', 'bound',
		'{mcp:tools}', NULL, 'HTTPS://MCP.Example.COM/mcp/')),
	('other', mcp_oauth.create_personal_access_token('pat_bob', 'bob''s', '{mcp:prompts}'));
SELECT k, tok ~ '^mcp_pat_[0-9A-Za-z]{49}$' AS shape FROM pats ORDER BY k;
SELECT count(DISTINCT tok) AS distinct_tokens FROM pats;

-- only the SHA-256 of the token is stored
SELECT k, p.subject, p.name FROM pats
  JOIN mcp_oauth.personal_access_tokens p
    ON p.token_hash = sha256(convert_to(pats.tok, 'UTF8'))
 ORDER BY k;
SELECT count(*) AS plaintext_rows FROM mcp_oauth.personal_access_tokens p, pats
 WHERE strpos(p::text, pats.tok) > 0
    OR strpos(p::text, substr(pats.tok, 9, 43)) > 0;

-- list: duplicates removed, the resource in its configured form
SELECT name, scopes, resource, expires_at IS NOT NULL AS expires,
       last_used_at, revoked_at
  FROM mcp_oauth.list_personal_access_tokens('pat_alice');
SELECT count(*) AS nobody FROM mcp_oauth.list_personal_access_tokens('pat_nobody');

-- refused
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:everything}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:tools,admin}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', NULL)$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:tools,NULL}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:tools}', NULL, 'https://evil.example.com/mcp')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:tools}', NULL, 'https://mcp.example.com/mcp/other')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', 'x', '{mcp:tools}', now() - interval '1 second')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', '', '{mcp:tools}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('pat_alice', repeat('n', 201), '{mcp:tools}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token('', 'x', '{mcp:tools}')$$);
SELECT pg_temp.err($$SELECT mcp_oauth.create_personal_access_token(NULL, 'x', '{mcp:tools}')$$);
SELECT count(*) AS still_four FROM mcp_oauth.personal_access_tokens
 WHERE subject IN ('pat_alice', 'pat_bob', '');

-- verify_access_token accepts a PAT as a bearer token of kind 'pat'
SELECT k, (v).active, (v).kind, (v).subject, (v).client_id, (v).scopes,
       (v).expires_at IS NOT NULL AS expires, (v).error
  FROM (SELECT k, mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp', '{mcp:tools}') v
          FROM pats WHERE k IN ('plain', 'two', 'bound')) s ORDER BY k;
-- a PAT without a resource is good for every configured resource; a bound one only for its own
SELECT k, (v).active, (v).error
  FROM (SELECT k, mcp_oauth.verify_access_token(tok, 'https://other.example.com/api') v
          FROM pats WHERE k IN ('plain', 'bound')) s ORDER BY k;
-- insufficient_scope names the scopes needed
SELECT (v).active, (v).error, (v).www_authenticate ~ 'insufficient_scope' AS challenge,
       (v).www_authenticate ~ 'mcp:resources' AS names_scope
  FROM (SELECT mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp', '{mcp:resources}') v
          FROM pats WHERE k = 'plain') s;
SELECT (v).active, (v).error
  FROM (SELECT mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp', '{mcp:resources,mcp:tools}') v
          FROM pats WHERE k = 'two') s;
-- a PAT with a wrong checksum is refused
SELECT (v).active, (v).error
  FROM (SELECT mcp_oauth.verify_access_token(
		substr(tok, 1, 20) || CASE substr(tok, 21, 1) WHEN 'A' THEN 'B' ELSE 'A' END || substr(tok, 22),
		'https://mcp.example.com/mcp') v FROM pats WHERE k = 'plain') s;
-- last use is recorded
SELECT name, last_used_at IS NOT NULL AS used
  FROM mcp_oauth.list_personal_access_tokens('pat_alice') ORDER BY pat_id;

-- expired: refused
INSERT INTO pats VALUES ('expiring', mcp_oauth.create_personal_access_token('pat_alice',
	'expiring', '{mcp:tools}', now() + interval '1 hour'));
UPDATE mcp_oauth.personal_access_tokens SET expires_at = now() - interval '1 second'
 WHERE token_hash = (SELECT sha256(convert_to(tok, 'UTF8')) FROM pats WHERE k = 'expiring');
SELECT (v).active, (v).error
  FROM (SELECT mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp') v
          FROM pats WHERE k = 'expiring') s;

-- revoke: refused at once, revoking twice says false
SELECT mcp_oauth.revoke_personal_access_token(pat_id) AS revoked
  FROM mcp_oauth.list_personal_access_tokens('pat_alice') WHERE name = 'ci script';
SELECT mcp_oauth.revoke_personal_access_token(pat_id) AS again
  FROM mcp_oauth.list_personal_access_tokens('pat_alice') WHERE name = 'ci script';
SELECT mcp_oauth.revoke_personal_access_token(-1) AS unknown;
SELECT (v).active, (v).error
  FROM (SELECT mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp') v
          FROM pats WHERE k = 'plain') s;
SELECT name, revoked_at IS NOT NULL AS revoked
  FROM mcp_oauth.list_personal_access_tokens('pat_alice') ORDER BY pat_id;
-- bob's token is untouched
SELECT (v).active, (v).subject, (v).scopes
  FROM (SELECT mcp_oauth.verify_access_token(tok, 'https://mcp.example.com/mcp', '{mcp:prompts}') v
          FROM pats WHERE k = 'other') s;

-- audit: created and revoked, without the token
SELECT event, subject, detail->>'name' AS name, detail->'scopes' AS scopes,
       detail->>'resource' AS resource
  FROM mcp_oauth.audit_log
 WHERE event IN ('pat_created', 'pat_revoked') AND subject IN ('pat_alice', 'pat_bob')
 ORDER BY audit_id;
SELECT count(*) AS tokens_in_audit FROM mcp_oauth.audit_log a, pats
 WHERE strpos(a::text, pats.tok) > 0 OR strpos(a::text, substr(pats.tok, 9, 43)) > 0;
