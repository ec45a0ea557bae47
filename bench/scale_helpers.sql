-- bench/scale.sh's helpers, made in both databases (schema public, not the
-- extension's): the refresh tokens and client ids the loader writes are
-- derived from a number, so a pgbench script can name a loaded row without
-- reading a table first.

-- Refresh token number k, in the functions' format: "mcp_rt_" and 43
-- base64url characters of 32 bytes (here SHA-256 of k rather than the
-- CSPRNG's).  The functions keep sha256 of the token's bytes.
CREATE FUNCTION bench_rt(k bigint) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN 'mcp_rt_' || translate(rtrim(encode(sha256(convert_to('bench rt ' || k, 'UTF8')),
											   'base64'), '='), '+/', '-_');

-- Dynamic client number k: "mcp_" and a UUID, as register() names them.
CREATE FUNCTION bench_client(k bigint) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN 'mcp_' || md5('bench client ' || k)::uuid;

-- bench_clone(tbl, template, n, overrides, derived, all_rows): n copies of
-- the row of tbl chosen by the condition template (a row the functions
-- wrote; all_rows: of every row it chooses), column
-- c set to the SQL expression overrides[c] (over the template row t and
-- the copy's number i) where given, then to derived[c] (over the copy c
-- itself, e.g. an expiry from its creation time).  Columns the table does
-- not have are ignored, so the loader runs on every schema version; columns
-- not named keep the template's value (identity columns their default).
CREATE FUNCTION bench_clone(tbl regclass, template text, n bigint,
							overrides jsonb, derived jsonb DEFAULT '{}',
							all_rows boolean DEFAULT false)
	RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	cols text;
	inner_exprs text;
	outer_exprs text;
	k bigint;
BEGIN
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
		   string_agg(coalesce(overrides->>a.attname, 't.' || quote_ident(a.attname))
					  || ' AS ' || quote_ident(a.attname), ', ' ORDER BY a.attnum),
		   string_agg(coalesce(derived->>a.attname, 'c.' || quote_ident(a.attname)),
					  ', ' ORDER BY a.attnum)
	  INTO cols, inner_exprs, outer_exprs
	  FROM pg_attribute a
	 WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
	   AND a.attgenerated = ''
	   AND (a.attidentity = '' OR overrides ? a.attname);
	IF NOT EXISTS (SELECT FROM pg_class WHERE oid = tbl) THEN
		RAISE EXCEPTION 'no table %', tbl;
	END IF;
	EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM'
				   ' (SELECT %s FROM (SELECT * FROM %s WHERE %s %s) t,'
				   '  generate_series(1::bigint, %s) i) c',
				   tbl, cols, outer_exprs, inner_exprs, tbl, template,
				   CASE WHEN all_rows THEN '' ELSE 'LIMIT 1' END, n);
	GET DIAGNOSTICS k = ROW_COUNT;
	IF k <> n AND NOT all_rows THEN
		RAISE EXCEPTION 'bench_clone: % rows of % made, not % (no template row where %?)',
			k, tbl, n, template;
	END IF;
	RETURN k;
END
$$;

-- A row for each rotation refresh_tokens holds that refresh_rotations
-- (0.4.0) lacks, with its rotated_at and token_hash; nothing before 0.4.0.
-- A hash anti join, whatever the statistics say (a nested loop over the
-- table the statement fills ran for minutes; NOT IN outgrows work_mem).
CREATE FUNCTION bench_fill_rotations() RETURNS bigint
	LANGUAGE plpgsql AS $$
DECLARE
	k bigint := 0;
BEGIN
	IF to_regclass('mcp_oauth.refresh_rotations') IS NOT NULL THEN
		EXECUTE 'INSERT INTO mcp_oauth.refresh_rotations (rotated_at, token_hash)'
			' SELECT r.rotated_at, r.token_hash FROM mcp_oauth.refresh_tokens r'
			' WHERE r.rotated_at IS NOT NULL AND NOT EXISTS (SELECT FROM'
			'  mcp_oauth.refresh_rotations x WHERE x.token_hash = r.token_hash)';
		GET DIAGNOSTICS k = ROW_COUNT;
	END IF;
	RETURN k;
END
$$;
ALTER FUNCTION bench_fill_rotations() SET enable_nestloop = off SET work_mem = '256MB';

-- pgbench's purge: purge_expired(batch) until a batch deletes nothing, each
-- batch its own transaction (as purge_expired_all), logging each batch's
-- time and WAL (EXPLAIN ANALYZE's WAL usage of the call: this backend's
-- WAL only, not that of a concurrent load) into bench_purge_log.
CREATE TABLE bench_purge_log (batch serial, secs float8, deleted bigint,
							  wal_bytes bigint, wal_fpi bigint, wal_records bigint);
CREATE PROCEDURE bench_purge(batch_size int, busy_share float8) LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	secs float8;
	plan json;
	last_purge bigint;
	n bigint;
	k text;
BEGIN
	-- as mcp_oauth.purge_expired_all(batch_size, busy_share) goes (0.4.0):
	-- kind by kind until a batch deletes fewer than batch_size, resting
	-- after each; every batch timed and logged
	FOR k IN SELECT p.what FROM mcp_oauth.purge_expired(0, '{}') WITH ORDINALITY p
			  ORDER BY p.ordinality LOOP
		LOOP
			SELECT coalesce(max(audit_id), 0) INTO last_purge FROM mcp_oauth.audit_log;
			COMMIT;
			t0 := clock_timestamp();
			EXECUTE format('EXPLAIN (ANALYZE, WAL, FORMAT JSON)'
						   ' SELECT * FROM mcp_oauth.purge_expired(%s, %L)', batch_size,
						   ARRAY[k]) INTO plan;
			COMMIT;
			secs := extract(epoch FROM clock_timestamp() - t0);
			-- the batch's counts: its own "purged" audit row
			SELECT coalesce(sum(value::bigint), 0) INTO n
			  FROM mcp_oauth.audit_log a, jsonb_each_text(a.detail)
			 WHERE a.event = 'purged' AND a.audit_id > last_purge;
			INSERT INTO bench_purge_log (secs, deleted, wal_bytes, wal_fpi, wal_records)
			VALUES (secs, n,
					(plan->0->'Plan'->>'WAL Bytes')::bigint,
					(plan->0->'Plan'->>'WAL FPI')::bigint,
					(plan->0->'Plan'->>'WAL Records')::bigint);
			COMMIT;
			EXIT WHEN n < batch_size;
			PERFORM pg_sleep(secs * (1 / busy_share - 1));
		END LOOP;
	END LOOP;
END
$$;

-- Rows of the extension's table tbl; NULL if this version has no such table.
CREATE FUNCTION bench_count(tbl text) RETURNS bigint
	LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	IF to_regclass('mcp_oauth.' || tbl) IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE format('SELECT count(*) FROM mcp_oauth.%I', tbl) INTO n;
	RETURN n;
END
$$;
