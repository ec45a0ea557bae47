-- mcp_oauth 0.3.0 -> 0.4.0
--
-- Rotation keeps what reuse detection needs, not the whole history
-- (issue 13): rotation is an in-place update of rotated_at, the rotations
-- are logged in time order for the purge, the sealed successor of a
-- just-rotated token is kept in a table of its own that the purge empties
-- once the grace period is over, and revoking a grant writes no token row.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.4.0'" to load this file. \quit

-- no rotation commits between the logging below and the end of the update
LOCK TABLE refresh_tokens IN SHARE ROW EXCLUSIVE MODE;

-- rotation as a HOT update: room on the page for the new row version
-- (pages written from now on; VACUUM FULL would apply it to the old ones)
ALTER TABLE refresh_tokens SET (fillfactor = 90);

CREATE TABLE refresh_rotations (
	rotated_at timestamptz NOT NULL,
	token_hash bytea NOT NULL		-- the rotated token
);
CREATE INDEX refresh_rotations_at_idx ON refresh_rotations (rotated_at);

CREATE TABLE refresh_grace (
	rotated_at timestamptz NOT NULL,
	token_hash bytea NOT NULL,		-- the rotated token
	successor_sealed bytea NOT NULL
);
CREATE INDEX refresh_grace_at_idx ON refresh_grace (rotated_at);

SELECT pg_catalog.pg_extension_config_dump('refresh_rotations', '');
SELECT pg_catalog.pg_extension_config_dump('refresh_grace', '');

-- the tokens rotated before the update: logged, so that the purge ends
-- them after the reuse window as it ends those rotated from now on.  The
-- successors sealed in their rows stay there (a grace retry still opens
-- them; nothing opens them after the grace period) and go with the rows:
-- clearing them here would rewrite every rotated row in this transaction.
INSERT INTO refresh_rotations (rotated_at, token_hash)
SELECT rotated_at, token_hash FROM refresh_tokens
 WHERE rotated_at IS NOT NULL;

-- as the install script leaves every table (a no-op on the rights, but
-- recorded as the tables' initial privileges, as a fresh install records)
REVOKE ALL ON refresh_rotations, refresh_grace FROM PUBLIC;

-- Dynamic clients never used for a token go after mcp_oauth.unused_client_ttl
-- (issue 14): the purge finds them by index.
CREATE INDEX clients_dynamic_new_idx ON clients (created_at)
	WHERE kind = 'dynamic' AND last_used_at IS NULL;
