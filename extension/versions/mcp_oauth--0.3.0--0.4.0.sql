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

-- The batched purge goes kind by kind and rests between batches (issue
-- 13: no step searched again at every batch, no long transaction, the
-- traffic keeps the machine); purge_expired takes the kinds to purge.
DROP PROCEDURE purge_expired_all(integer);
DROP FUNCTION purge_expired(integer);
-- purge_expired(batch_size, kinds): at most batch_size rows per step (0,
-- the default: everything, in one transaction), of the steps of the kinds
-- named (NULL, the default: every kind).
CREATE FUNCTION purge_expired(batch_size integer DEFAULT 0, kinds text[] DEFAULT NULL)
	RETURNS TABLE (what text, deleted bigint)
	AS 'MODULE_PATHNAME', 'purge_expired'
	LANGUAGE C VOLATILE SECURITY DEFINER
	SET search_path = mcp_oauth, pg_catalog, pg_temp;
-- purge_expired_all(batch_size, busy_share): each kind of row in turn,
-- purge_expired(batch_size, that kind) until a batch deletes fewer than
-- batch_size rows, committing after each, so no transaction holds more
-- than one step's batch (CALL it outside a transaction block), and a step
-- whose rows cannot all go yet (clients that still have grants, say) is
-- searched to its end once per run, not once per batch.  After each batch
-- it rests so that the purge works busy_share of the time at most (a
-- batch of 0.1 s, at 0.25, is followed by 0.3 s of sleep, with no snapshot
-- held): the traffic keeps the rest of the machine.  A procedure that
-- commits may be neither SECURITY DEFINER nor carry a SET clause: it runs
-- with its caller's rights (who needs EXECUTE on purge_expired too) and
-- qualifies every name and operator it uses.
CREATE PROCEDURE purge_expired_all(batch_size integer DEFAULT 5000,
								   busy_share double precision DEFAULT 0.25)
	LANGUAGE plpgsql
	AS $$
DECLARE
	kind text;
	n bigint;
	started timestamptz;
BEGIN
	IF batch_size IS NULL OR batch_size OPERATOR(pg_catalog.<=) 0 THEN
		RAISE EXCEPTION USING ERRCODE = 'MO001',
			MESSAGE = 'batch size must be positive';
	END IF;
	IF busy_share IS NULL OR busy_share OPERATOR(pg_catalog.<=) 0
		OR busy_share OPERATOR(pg_catalog.>) 1 THEN
		RAISE EXCEPTION USING ERRCODE = 'MO001',
			MESSAGE = 'busy share must be above 0 and at most 1';
	END IF;
	FOR kind IN SELECT p.what FROM mcp_oauth.purge_expired(0, '{}') WITH ORDINALITY p
				 ORDER BY p.ordinality LOOP
		LOOP
			started := pg_catalog.clock_timestamp();
			SELECT p.deleted INTO n
			  FROM mcp_oauth.purge_expired(batch_size, ARRAY[kind]) p
			 WHERE p.what OPERATOR(pg_catalog.=) kind;
			COMMIT;
			EXIT WHEN n OPERATOR(pg_catalog.<) batch_size;
			PERFORM pg_catalog.pg_sleep(pg_catalog.date_part('epoch',
				pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started)
				OPERATOR(pg_catalog.*) (1 OPERATOR(pg_catalog./) busy_share
										OPERATOR(pg_catalog.-) 1));
		END LOOP;
	END LOOP;
END
$$;
-- (REVOKE ... ON ALL FUNCTIONS in part 90 does not cover procedures)
REVOKE EXECUTE ON PROCEDURE purge_expired_all(integer, double precision) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_expired(integer, text[]) FROM PUBLIC;
