-- Privileges and storage rules; named to run last, after every other file
-- has left its rows.
SET mcp_oauth.issuer = 'https://as.example.com';
SET mcp_oauth.resources = 'https://mcp.example.com/mcp';

-- The SQLSTATE of a statement that should fail, or 'ok'.
CREATE FUNCTION pg_temp.sqlstate_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- Endpoint functions: what the HTTP server's role may call.
CREATE TEMP TABLE endpoints (fn regprocedure PRIMARY KEY);
INSERT INTO endpoints VALUES
	('mcp_oauth.authorization_server_metadata()'),
	('mcp_oauth.openid_configuration()'),
	('mcp_oauth.protected_resource_metadata(text)'),
	('mcp_oauth.jwks()'),
	('mcp_oauth.register(text, text, text, inet)'),
	('mcp_oauth.authorize(text, inet)'),
	('mcp_oauth.authorize_decision(text, text, boolean, text, inet)'),
	('mcp_oauth.token(text, text, text, inet)'),
	('mcp_oauth.revoke(text, text, text, inet)'),
	('mcp_oauth.introspect(text, text, text, inet)'),
	('mcp_oauth.verify_access_token(text, text, text[])'),
	('mcp_oauth.login(text, text, inet, text)'),
	('mcp_oauth.session_subject(text)'),
	('mcp_oauth.logout(text)');

-- Pure helpers, not SECURITY DEFINER, callable by nobody but the owner.
CREATE TEMP TABLE helpers (fn regprocedure PRIMARY KEY);
INSERT INTO helpers VALUES
	('mcp_oauth._crypt(text, text)'),
	('mcp_oauth._gen_salt(text, integer)'),
	('mcp_oauth._random_bytes(integer)');

-- 1. PUBLIC: no use of the schema, no table, sequence or function
SELECT has_schema_privilege('public', 'mcp_oauth', 'USAGE') AS public_schema_usage;
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND CASE WHEN c.relkind <> 'S' THEN
	   has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') END;
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind = 'S'
   AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('public', c.oid, 'USAGE, SELECT, UPDATE') END;
SELECT p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'mcp_oauth'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE');

-- 2. mcp_oauth_server: the endpoint functions, nothing else
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND CASE WHEN c.relkind = 'S'
	   THEN has_sequence_privilege('mcp_oauth_server', c.oid, 'USAGE, SELECT, UPDATE')
	   ELSE has_table_privilege('mcp_oauth_server', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') END;
SELECT p.oid::regprocedure::text AS granted_to_server FROM pg_proc p
 WHERE p.pronamespace = 'mcp_oauth'::regnamespace
   AND has_function_privilege('mcp_oauth_server', p.oid, 'EXECUTE')
 ORDER BY 1;
SELECT e.fn AS endpoint_not_granted FROM endpoints e
 WHERE NOT has_function_privilege('mcp_oauth_server', e.fn, 'EXECUTE');

-- 3. every function is SECURITY DEFINER with a fixed search_path (but the
-- helpers, and verify_access_token: see below)
SELECT p.oid::regprocedure AS unsafe_function, p.prosecdef, p.proconfig FROM pg_proc p
 WHERE p.pronamespace = 'mcp_oauth'::regnamespace
   AND p.oid NOT IN (SELECT fn FROM helpers)
   AND p.oid <> 'mcp_oauth.verify_access_token(text, text, text[])'::regprocedure
   AND p.oid <> 'mcp_oauth.purge_expired_all(integer, double precision)'::regprocedure
   AND NOT (p.prosecdef AND coalesce(p.proconfig, '{}') @> '{"search_path=mcp_oauth, pg_catalog, pg_temp"}');
-- verify_access_token runs on every MCP request: it is SECURITY DEFINER with
-- no SET clause at all, because SET search_path costs a GUC save and restore
-- per call (about a quarter of the cached path).  That is safe only because
-- every query on its path qualifies every table, function and operator; 3b
-- below calls it under a hostile search_path to prove it.
SELECT p.prosecdef, p.proconfig IS NULL AS no_set_clause FROM pg_proc p
 WHERE p.oid = 'mcp_oauth.verify_access_token(text, text, text[])'::regprocedure;
-- purge_expired_all commits between batches, which a SECURITY DEFINER
-- routine or one with a SET clause may not: it runs with its caller's
-- rights (an admin, who may run purge_expired) and qualifies every name.
SELECT p.prokind, p.prosecdef, p.proconfig IS NULL AS no_set_clause FROM pg_proc p
 WHERE p.oid = 'mcp_oauth.purge_expired_all(integer, double precision)'::regprocedure;
SELECT h.fn::text, p.prosecdef, p.provolatile FROM helpers h JOIN pg_proc p ON p.oid = h.fn ORDER BY 1;
-- endpoint functions are VOLATILE (they write audit rows, last-use times)
SELECT e.fn AS not_volatile FROM endpoints e JOIN pg_proc p ON p.oid = e.fn
 WHERE p.provolatile <> 'v';

-- 3b. verify_access_token under a hostile search_path: operators and a
-- now() that shadow pg_catalog's (an "=" that is always true would let any
-- well-formed token match some stored row) are never called, and every
-- answer stays right.
CREATE SCHEMA regress_evil;
CREATE TABLE regress_evil.calls (what text);
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY '{bytea,uuid,text,bigint,timestamptz}'::text[] LOOP
		EXECUTE format('CREATE FUNCTION regress_evil.yes(%1$s, %1$s) RETURNS boolean'
			' LANGUAGE sql AS %2$L', t,
			format('INSERT INTO regress_evil.calls VALUES (%L); SELECT true', t));
		EXECUTE format('CREATE OPERATOR regress_evil.= (FUNCTION = regress_evil.yes, LEFTARG = %1$s, RIGHTARG = %1$s)', t);
		EXECUTE format('CREATE OPERATOR regress_evil.< (FUNCTION = regress_evil.yes, LEFTARG = %1$s, RIGHTARG = %1$s)', t);
		EXECUTE format('CREATE OPERATOR regress_evil.> (FUNCTION = regress_evil.yes, LEFTARG = %1$s, RIGHTARG = %1$s)', t);
	END LOOP;
END
$$;
CREATE FUNCTION regress_evil.now() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO regress_evil.calls VALUES ('now');
	RETURN '2000-01-01';
END
$$;
CREATE FUNCTION pg_temp.sign(claims text) RETURNS text
AS '$libdir/mcp_oauth_test', 'mcp_oauth_sign_claims_for_test' LANGUAGE C STRICT;
SELECT mcp_oauth.create_personal_access_token('sec_evil_pat', 'evil path',
	'{mcp:tools}') AS evil_pat \gset
SELECT mcp_oauth.create_personal_access_token('sec_evil_gone', 'deleted',
	'{mcp:tools}') AS gone_pat \gset
DELETE FROM mcp_oauth.personal_access_tokens WHERE subject = 'sec_evil_gone';
-- a JWT signed by the active key that names no grant there is
SELECT pg_temp.sign(json_build_object('iss', 'https://as.example.com',
	'sub', 'sec_evil', 'aud', 'https://mcp.example.com/mcp',
	'exp', extract(epoch FROM now())::bigint + 600,
	'iat', extract(epoch FROM now())::bigint, 'jti', gen_random_uuid(),
	'client_id', 'mcp-agent', 'grant_id', 999999999, 'scope', 'mcp:tools')::text) AS lost_jwt \gset
SET search_path = regress_evil, pg_catalog, mcp_oauth, public;
SELECT k, v.active, v.subject, v.error, v.error_description
  FROM (VALUES
	(1, 'PAT whose row is gone', :'gone_pat'),
	(2, 'live PAT (its last use is recorded)', :'evil_pat'),
	(3, 'JWT of an unknown kid', 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Im5vcGUifQ.e30.'
		|| repeat('A', 86)),
	(4, 'JWT of an unknown jti', :'lost_jwt')) t(n, k, token),
	   LATERAL mcp_oauth.verify_access_token(t.token, 'https://mcp.example.com/mcp') v
 ORDER BY n;
RESET search_path;
SELECT count(*) AS evil_calls FROM regress_evil.calls;
SELECT last_used_at IS NOT NULL AS pat_use_recorded
  FROM mcp_oauth.personal_access_tokens WHERE subject = 'sec_evil_pat';

-- 3c. token, revoke and introspect under the same hostile search_path, with
-- temporary tables that would shadow the extension's own (pg_temp is
-- searched first when the path does not name it; the functions' SET clause
-- puts it last, and the token endpoint's rows are written to tables found
-- in mcp_oauth by name): a code exchange, a refresh, an introspection and a
-- revocation each answer as usual, write only the extension's tables, and
-- call nothing of the caller's.
SELECT (mcp_oauth.authorize('response_type=code&client_id=mcp-agent'
	'&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcb&state=s'
	'&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256'
	'&resource=https%3A%2F%2Fmcp.example.com%2Fmcp', '192.0.2.80')).body::json->>'request_id' AS evil_req \gset
SELECT substring((mcp_oauth.authorize_decision(:'evil_req', 'sec_evil', true, NULL,
	'192.0.2.80')).location FROM '[?&]code=([^&]+)') AS evil_code \gset
INSERT INTO mcp_oauth.clients (client_id, client_secret_hash, token_endpoint_auth_method,
							   redirect_uris, introspection_allowed)
VALUES ('sec-conf', sha256('conf-secret'), 'client_secret_basic', '{https://app.example.com/cb}', true);
CREATE TEMP TABLE grants (LIKE mcp_oauth.grants);
CREATE TEMP TABLE authorization_codes (LIKE mcp_oauth.authorization_codes);
CREATE TEMP TABLE refresh_tokens (LIKE mcp_oauth.refresh_tokens);
CREATE TEMP TABLE audit_log (LIKE mcp_oauth.audit_log);
CREATE TEMP TABLE clients (LIKE mcp_oauth.clients);
SELECT count(*) AS audit_rows_before FROM mcp_oauth.audit_log WHERE subject = 'sec_evil' \gset
SET search_path = regress_evil, pg_catalog, mcp_oauth, public;
SELECT (r).status AS code_status, (r).body::json->>'refresh_token' AS evil_rt,
	   (r).body::json->>'access_token' AS evil_at
  FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=authorization_code&client_id=mcp-agent&code=' || :'evil_code'
	|| '&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcb'
	|| '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', '192.0.2.80') r \gset
SELECT (r).status AS refresh_status, (r).body::json->>'refresh_token' AS evil_rt2
  FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || :'evil_rt',
	'192.0.2.80') r \gset
SELECT (r).status AS introspect_status, (r).body::json->>'active' AS introspect_active,
	   (r).body::json->>'sub' AS introspect_sub
  FROM mcp_oauth.introspect('application/x-www-form-urlencoded',
	'Basic ' || encode(convert_to('sec-conf:conf-secret', 'UTF8'), 'base64'),
	'token=' || :'evil_at', '192.0.2.80') r;
SELECT (r).status AS revoke_status
  FROM mcp_oauth.revoke('application/x-www-form-urlencoded', NULL,
	'client_id=mcp-agent&token=' || :'evil_rt2', '192.0.2.80') r;
SELECT (r).status AS refresh_after_revoke, (r).body::json->>'error' AS error
  FROM mcp_oauth.token('application/x-www-form-urlencoded', NULL,
	'grant_type=refresh_token&client_id=mcp-agent&refresh_token=' || :'evil_rt2',
	'192.0.2.80') r;
RESET search_path;
SELECT :code_status AS code_status, :refresh_status AS refresh_status;
SELECT count(*) AS evil_calls FROM regress_evil.calls;
SELECT (SELECT count(*) FROM pg_temp.grants) + (SELECT count(*) FROM pg_temp.authorization_codes)
	   + (SELECT count(*) FROM pg_temp.refresh_tokens) + (SELECT count(*) FROM pg_temp.audit_log)
	   + (SELECT count(*) FROM pg_temp.clients) AS shadow_rows;
SELECT event FROM mcp_oauth.audit_log WHERE subject = 'sec_evil'
 ORDER BY audit_id OFFSET :audit_rows_before;
DROP TABLE pg_temp.grants, pg_temp.authorization_codes, pg_temp.refresh_tokens,
	pg_temp.audit_log, pg_temp.clients;
SET client_min_messages = warning;
DROP SCHEMA regress_evil CASCADE;
RESET client_min_messages;

-- 4. what a member of mcp_oauth_server can and cannot do
CREATE ROLE regress_mo_shim NOLOGIN IN ROLE mcp_oauth_server;
CREATE ROLE regress_mo_nobody NOLOGIN;
SET ROLE regress_mo_shim;
SELECT ok, error FROM mcp_oauth.login('sec_nobody', 'some password', '192.0.2.9');
SELECT count(*) AS sessions FROM mcp_oauth.session_subject('not-a-session');
SELECT mcp_oauth.logout('not-a-session');
SELECT (mcp_oauth.authorization_server_metadata()).status AS metadata_status;
SELECT (v).active, (v).error
  FROM (SELECT mcp_oauth.verify_access_token('garbage', 'https://mcp.example.com/mcp') v) s;
-- no table
SELECT count(*) FROM mcp_oauth.accounts;
SELECT count(*) FROM mcp_oauth.personal_access_tokens;
SELECT count(*) FROM mcp_oauth.login_sessions;
INSERT INTO mcp_oauth.audit_log (event) VALUES ('forged');
UPDATE mcp_oauth.grants SET revoked_at = NULL;
-- no admin function
SELECT mcp_oauth.create_account('sec_evil', 'password123', true);
SELECT mcp_oauth.set_password('sec_evil', 'password123');
SELECT mcp_oauth.authenticate('sec_evil', 'password123');
SELECT mcp_oauth.disable_account('sec_evil');
SELECT mcp_oauth.create_client('evil', '{https://evil.example.com/cb}');
SELECT mcp_oauth.delete_client('mcp-agent');
SELECT mcp_oauth.rotate_signing_key();
SELECT mcp_oauth.create_personal_access_token('sec_evil', 'x', '{mcp:tools}');
SELECT * FROM mcp_oauth.list_personal_access_tokens('sec_evil');
SELECT mcp_oauth.revoke_personal_access_token(1);
SELECT mcp_oauth.revoke_grant(1);
SELECT * FROM mcp_oauth.purge_expired();
SELECT * FROM mcp_oauth.purge_expired(10);
CALL mcp_oauth.purge_expired_all(10);
SELECT mcp_oauth._crypt('x', 'y');
RESET ROLE;
-- a role that is not a member may not even use the schema
SET ROLE regress_mo_nobody;
SELECT * FROM mcp_oauth.login('sec_nobody', 'some password', NULL);
SELECT * FROM mcp_oauth.authorization_server_metadata();
SELECT count(*) FROM mcp_oauth.clients;
RESET ROLE;
DROP ROLE regress_mo_shim;
DROP ROLE regress_mo_nobody;
-- nothing above reached the tables
SELECT count(*) AS forged FROM mcp_oauth.audit_log WHERE event = 'forged';
SELECT count(*) AS evil FROM mcp_oauth.accounts WHERE username = 'sec_evil';

-- 5. no table stores a token, code, secret or session handle in plaintext
-- the hash columns are SHA-256 digests (bytea); passwords are bcrypt hashes
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attname ~ '_(hash|sealed)$'
 ORDER BY 1, 2;
-- no column could hold a plaintext secret by its name
SELECT c.relname, a.attname AS suspicious_column
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attname ~ '(token|code|secret|session|password|verifier|request_id|handle)'
   AND a.atttypid <> 'bytea'::regtype
   AND a.attname NOT IN ('code_challenge', 'token_endpoint_auth_method', 'password_hash')
   -- the server's own key for sealing pending requests (pending.c), which it
   -- must be able to use, as signing_keys.private_key_pem; nobody presents it
   AND (c.relname, a.attname) <> ('request_key', 'secret');
-- every accounts.password_hash is a bcrypt hash
SELECT count(*) AS not_bcrypt FROM mcp_oauth.accounts
 WHERE password_hash !~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$';
-- no row of any table, after every test file ran, holds a PAT, refresh token or JWT
DO $$
DECLARE
	t regclass;
	n bigint;
BEGIN
	FOR t IN SELECT c.oid FROM pg_class c
			  WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind = 'r'
			  ORDER BY c.relname
	LOOP
		EXECUTE format($q$SELECT count(*) FROM %s x WHERE x::text ~
			'mcp_pat_[0-9A-Za-z]{40}|mcp_rt_[0-9A-Za-z_-]{40}|eyJ[0-9A-Za-z_-]{8,}\.eyJ'$q$, t)
		   INTO n;
		IF n > 0 THEN
			RAISE WARNING 'table % holds % token-shaped values', t, n;
		END IF;
	END LOOP;
END
$$;

-- 6. the admin API's errors are in SQLSTATE class MO
SELECT mcp_oauth.create_account('sec_user', 'sec password') > 0 AS created;
SELECT k, pg_temp.sqlstate_of(s) AS sqlstate FROM (VALUES
	('duplicate account', $$SELECT mcp_oauth.create_account('sec_user', 'sec password')$$),
	('bad username', $$SELECT mcp_oauth.create_account('-x', 'sec password')$$),
	('short password', $$SELECT mcp_oauth.create_account('sec_other', 'short')$$),
	('unknown account', $$SELECT mcp_oauth.set_password('sec_nobody', 'sec password')$$),
	('unknown scope', $$SELECT mcp_oauth.create_personal_access_token('sec_user', 'x', '{nope}')$$),
	('unknown resource', $$SELECT mcp_oauth.create_personal_access_token('sec_user', 'x', '{mcp:tools}', NULL, 'https://evil.example.com/')$$),
	('past expiry', $$SELECT mcp_oauth.create_personal_access_token('sec_user', 'x', '{mcp:tools}', now() - interval '1 day')$$),
	('unknown grant', $$SELECT mcp_oauth.revoke_grant(-1)$$),
	('bad redirect uri', $$SELECT mcp_oauth.create_client('sec client', '{http://evil.example.com/cb}')$$),
	('bad signing alg', $$SELECT mcp_oauth.rotate_signing_key('HS256')$$)
) v(k, s) ORDER BY k;

-- 7. an operator's change to a table the extension writes or reads is an
-- error with a SQLSTATE of its own, not XX000 (an internal error), or no
-- error at all (a renamed identity sequence: the token endpoint's audit row
-- is an INSERT that takes the column's default).
-- sqlstate_after makes the change, runs the statement and undoes both (its
-- exception block's rollback).  A kept plan whose statement a rule replaced
-- by nothing depends on no table, so no invalidation reaches it when the
-- rule goes: DISCARD PLANS (or a new session) plans it again.
CREATE FUNCTION pg_temp.sqlstate_after(change text, stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	result text;
BEGIN
	EXECUTE change;
	result := pg_temp.sqlstate_of(stmt);
	RAISE EXCEPTION USING MESSAGE = result;
EXCEPTION WHEN raise_exception THEN
	RETURN SQLERRM;
END
$$;
SELECT (mcp_oauth.create_client('sec op', '{https://app.example.com/cb}', false,
								'mcp:tools', 'sec-op')).client_id;
SELECT mcp_oauth.create_personal_access_token('sec_user', 'op', '{mcp:tools}') AS op_pat \gset
SELECT k, pg_temp.sqlstate_after(change, stmt) AS sqlstate FROM (VALUES
	('signing key insert replaced by a rule',
	 'CREATE RULE r AS ON INSERT TO mcp_oauth.signing_keys DO INSTEAD NOTHING',
	 'SELECT mcp_oauth.rotate_signing_key()'),
	('signing key update replaced by a rule',
	 'CREATE RULE r AS ON UPDATE TO mcp_oauth.signing_keys DO INSTEAD NOTHING',
	 'SELECT mcp_oauth.rotate_signing_key()'),
	('audit row replaced by a rule',
	 'CREATE RULE r AS ON INSERT TO mcp_oauth.audit_log DO INSTEAD NOTHING',
	 $$SELECT mcp_oauth.create_account('sec_op', 'sec password')$$),
	('PAT row skipped by a trigger',
	 $$CREATE FUNCTION pg_temp.skip() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
	   CREATE TRIGGER skip BEFORE INSERT ON mcp_oauth.personal_access_tokens
	   FOR EACH ROW EXECUTE FUNCTION pg_temp.skip()$$,
	 $$SELECT mcp_oauth.create_personal_access_token('sec_user', 'x', '{mcp:tools}')$$),
	('PAT use record replaced by a rule',
	 'CREATE RULE r AS ON UPDATE TO mcp_oauth.personal_access_tokens DO INSTEAD NOTHING',
	 format('SELECT mcp_oauth.verify_access_token(%L, %L)', :'op_pat', 'https://mcp.example.com/mcp')),
	('audit_id sequence renamed',
	 $$ALTER SEQUENCE mcp_oauth.audit_log_audit_id_seq RENAME TO audit_seq;
	   WITH g AS (INSERT INTO mcp_oauth.grants (subject, client_id, scopes, resource, expires_at)
				  VALUES ('sec_op', 'sec-op', '{mcp:tools}', 'https://mcp.example.com/mcp',
						  now() + interval '1 day') RETURNING grant_id)
	   INSERT INTO mcp_oauth.authorization_codes (code_hash, grant_id, client_id, redirect_uri,
		   redirect_uri_provided, code_challenge, expires_at)
	   SELECT sha256('sec-op-code'), grant_id, 'sec-op', 'https://app.example.com/cb', true,
		   'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', now() + interval '5 minutes' FROM g$$,
	 $$SELECT mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		 'grant_type=authorization_code&client_id=sec-op&code=sec-op-code'
		 '&redirect_uri=https://app.example.com/cb'
		 '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', NULL)$$),
	('client scope malformed',
	 $$UPDATE mcp_oauth.clients SET scope = 'mcp:tools  mcp:resources' WHERE client_id = 'sec-op'$$,
	 $$SELECT mcp_oauth.authorize('response_type=code&client_id=sec-op'
		 '&redirect_uri=https://app.example.com/cb&code_challenge_method=S256'
		 '&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', NULL)$$)
) v(k, change, stmt);
DISCARD PLANS;
SELECT mcp_oauth.delete_client('sec-op');
