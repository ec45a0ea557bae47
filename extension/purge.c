/*
 * purge.c
 *		purge_expired(): delete what can no longer be used, one kind at a
 *		time, and say how many rows of each kind went.  Audit rows are kept
 *		for mcp_oauth.audit_retention (0: forever).
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "client_auth.h"

/* The kinds of row purge_expired reports, in the order it reports them. */
typedef enum PurgeKind
{
	PURGE_REQUESTS,
	PURGE_CODES,
	PURGE_REFRESH_TOKENS,
	PURGE_ROTATIONS,
	PURGE_SEALED,
	PURGE_ACCESS_TOKENS,
	PURGE_GRANTS,
	PURGE_SESSIONS,
	PURGE_RATE_LIMITS,
	PURGE_SIGNING_KEYS,
	PURGE_CLIENTS,
	PURGE_FETCHED,
	PURGE_ASSERTION_JTIS,
	PURGE_AUDIT,
	PURGE_NKINDS
} PurgeKind;

static const char *const purge_kind_names[PURGE_NKINDS] = {
	"used_requests",
	"authorization_codes",
	"refresh_tokens",
	"refresh_rotations",
	"sealed_successors",
	"revoked_access_tokens",
	"grants",
	"login_sessions",
	"rate_limits",
	"signing_keys",
	"clients",
	"fetched_documents",
	"client_assertion_jtis",
	"audit_log",
};

/*
 * One DELETE, run in this order.  Each returns one row of counts, added to
 * the kinds in counts_to (the second is -1 when there is one count).
 * Parameters: $1 clock leeway, $2 access token lifetime, $3 audit
 * retention (0: forever), in seconds; $4 the most rows of its kind a step
 * deletes (0: no limit); $5 the refresh token reuse window, $6 the grace
 * period, $7 the time a dynamic client may stay unused, $8 how long a
 * fetched document may be served stale, in seconds.  A step that names a table is skipped when the
 * schema has no such table (before 0.4.0).  Each step picks its rows by an index on the
 * column that ends them and deletes them by key (= ANY (ARRAY(...)), an
 * index lookup per row, where IN (...) may hash-join against a scan of the
 * whole table), so a batch reads about as many rows as it deletes.
 */
typedef struct PurgeStep
{
	int			counts_to[2];	/* PurgeKind, or -1 */
	const char *sql;
	const char *needs;			/* a table it needs, or NULL */
} PurgeStep;

static const PurgeStep purge_steps[] = {
	/*
	 * a used request's row outlives the request by an hour (a decision also
	 * checks the expiry on the clock when it inserts)
	 */
	{{PURGE_REQUESTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.used_requests WHERE nonce_hash = ANY (ARRAY"
	" (SELECT nonce_hash FROM mcp_oauth.used_requests"
	"  WHERE expires_at < now() - interval '1 hour'"
	"  ORDER BY expires_at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* expired codes, and the grants of unredeemed ones that issued nothing */
	{{PURGE_CODES, PURGE_GRANTS},
	"WITH c AS (DELETE FROM mcp_oauth.authorization_codes WHERE code_hash = ANY (ARRAY"
	"  (SELECT code_hash FROM mcp_oauth.authorization_codes"
	"   WHERE expires_at < now() ORDER BY expires_at LIMIT nullif($4, 0)))"
	"  RETURNING grant_id, redeemed_at IS NULL AS unused),"
	" g AS (DELETE FROM mcp_oauth.grants g"
	"  WHERE g.grant_id IN (SELECT grant_id FROM c WHERE unused)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.authorization_codes x"
	"   WHERE x.grant_id = g.grant_id AND x.expires_at >= now())"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.refresh_tokens r WHERE r.grant_id = g.grant_id)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM g)"},

	{{PURGE_REFRESH_TOKENS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.refresh_tokens WHERE token_hash = ANY (ARRAY"
	" (SELECT token_hash FROM mcp_oauth.refresh_tokens"
	"  WHERE expires_at < now() ORDER BY expires_at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/*
	 * rotated refresh tokens past the reuse window, oldest first by the
	 * rotation log (their reuse is an unknown token from then on)
	 */
	{{PURGE_ROTATIONS, PURGE_REFRESH_TOKENS},
	"WITH r AS (DELETE FROM mcp_oauth.refresh_rotations WHERE ctid = ANY (ARRAY"
	"  (SELECT ctid FROM mcp_oauth.refresh_rotations"
	"   WHERE rotated_at < now() - make_interval(secs => $5)"
	"   ORDER BY rotated_at LIMIT nullif($4, 0))) RETURNING token_hash),"
	" d AS (DELETE FROM mcp_oauth.refresh_tokens"
	"  WHERE token_hash = ANY (ARRAY (SELECT token_hash FROM r))"
	"  AND rotated_at < now() - make_interval(secs => $5) RETURNING 1)"
	" SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM d)",
	"refresh_rotations"},

	/* successors sealed under tokens rotated longer than the grace period ago */
	{{PURGE_SEALED, -1},
	"WITH d AS (DELETE FROM mcp_oauth.refresh_grace WHERE ctid = ANY (ARRAY"
	" (SELECT ctid FROM mcp_oauth.refresh_grace"
	"  WHERE rotated_at < now() - make_interval(secs => $6)"
	"  ORDER BY rotated_at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d",
	"refresh_grace"},

	/* denied access tokens past their expiry (and the leeway) */
	{{PURGE_ACCESS_TOKENS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.revoked_access_tokens WHERE jti = ANY (ARRAY"
	" (SELECT jti FROM mcp_oauth.revoked_access_tokens"
	"  WHERE expires_at < now() - make_interval(secs => $1)"
	"  ORDER BY expires_at LIMIT nullif($4, 0)))"
	" RETURNING 1)"
	" SELECT count(*) FROM d"},

	/*
	 * revoked grants, oldest revocation first by index, with what is left of
	 * them (every token of a revoked grant is dead: codes, refresh tokens,
	 * the denied access tokens; counted with the grants)
	 */
	{{PURGE_GRANTS, -1},
	"WITH g AS (SELECT grant_id FROM mcp_oauth.grants WHERE revoked_at IS NOT NULL"
	"  ORDER BY revoked_at LIMIT nullif($4, 0)),"
	" c AS (DELETE FROM mcp_oauth.authorization_codes"
	"  WHERE grant_id = ANY (ARRAY (SELECT grant_id FROM g))),"
	" r AS (DELETE FROM mcp_oauth.refresh_tokens"
	"  WHERE grant_id = ANY (ARRAY (SELECT grant_id FROM g))),"
	" a AS (DELETE FROM mcp_oauth.revoked_access_tokens"
	"  WHERE grant_id = ANY (ARRAY (SELECT grant_id FROM g))),"
	" d AS (DELETE FROM mcp_oauth.grants"
	"  WHERE grant_id = ANY (ARRAY (SELECT grant_id FROM g)) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/*
	 * expired grants whose last access tokens have expired too (issued until
	 * the grant expired; were the lifetime shortened since, older tokens
	 * only end early), oldest first by index, with no code or refresh token
	 * left; and the denied access tokens of those grants
	 */
	{{PURGE_GRANTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.grants WHERE grant_id = ANY (ARRAY"
	" (SELECT grant_id FROM mcp_oauth.grants g"
	"  WHERE g.expires_at < now() - make_interval(secs => $1 + $2)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.authorization_codes c WHERE c.grant_id = g.grant_id)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.refresh_tokens r WHERE r.grant_id = g.grant_id)"
	"  ORDER BY g.expires_at LIMIT nullif($4, 0)))"
	" RETURNING grant_id),"
	" a AS (DELETE FROM mcp_oauth.revoked_access_tokens a"
	"  WHERE a.grant_id IN (SELECT grant_id FROM d))"
	" SELECT count(*) FROM d"},

	{{PURGE_SESSIONS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.login_sessions WHERE session_hash = ANY (ARRAY"
	" (SELECT session_hash FROM mcp_oauth.login_sessions"
	"  WHERE expires_at < now() ORDER BY expires_at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* attempts counted over a day ago: past every window */
	{{PURGE_RATE_LIMITS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.rate_limits WHERE ctid = ANY (ARRAY"
	" (SELECT ctid FROM mcp_oauth.rate_limits"
	"  WHERE window_start < now() - interval '1 day'"
	"  ORDER BY window_start LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* retired keys stay published until every token they signed expired */
	{{PURGE_SIGNING_KEYS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.signing_keys"
	" WHERE retired_at < now() - make_interval(secs => $1 + $2) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/*
	 * dynamically registered clients never used (at the token, revocation
	 * or introspection endpoint) since mcp_oauth.unused_client_ttl, with no
	 * grant: a client that registers again at every connection leaves no
	 * pile behind
	 */
	{{PURGE_CLIENTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.clients WHERE client_id = ANY (ARRAY"
	" (SELECT client_id FROM mcp_oauth.clients c"
	"  WHERE c.kind = 'dynamic' AND c.last_used_at IS NULL"
	"  AND c.created_at < now() - make_interval(secs => $7)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.client_id = c.client_id)"
	"  ORDER BY c.created_at LIMIT nullif($4, 0) FOR UPDATE SKIP LOCKED))"
	" RETURNING 1) SELECT count(*) FROM d"},

	/*
	 * clients made from a metadata document never used for a token since
	 * mcp_oauth.unused_client_ttl, with no grant: anyone can publish
	 * documents, and a servable copy makes its client again when used
	 */
	{{PURGE_CLIENTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.clients WHERE client_id = ANY (ARRAY"
	" (SELECT client_id FROM mcp_oauth.clients c"
	"  WHERE c.kind = 'metadata' AND c.last_used_at IS NULL"
	"  AND c.created_at < now() - make_interval(secs => $7)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.client_id = c.client_id)"
	"  ORDER BY c.created_at LIMIT nullif($4, 0) FOR UPDATE SKIP LOCKED))"
	" RETURNING 1) SELECT count(*) FROM d",
	"fetched_documents"},

	/* dynamically registered clients unused for 30 days, with no grant */
	{{PURGE_CLIENTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.clients WHERE client_id = ANY (ARRAY"
	" (SELECT client_id FROM mcp_oauth.clients c"
	"  WHERE c.kind = 'dynamic'"
	"  AND coalesce(c.last_used_at, c.created_at) < now() - interval '30 days'"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.client_id = c.client_id)"
	"  ORDER BY coalesce(c.last_used_at, c.created_at) LIMIT nullif($4, 0)"
	"  FOR UPDATE SKIP LOCKED)) RETURNING 1) SELECT count(*) FROM d"},

	/*
	 * fetched documents with nothing fresh or servable left and no failure
	 * remembered, fetch_max_stale ($8) past their freshness (or their last
	 * failure, when the copy may not be served): the next use fetches again
	 */
	{{PURGE_FETCHED, -1},
	"WITH d AS (DELETE FROM mcp_oauth.fetched_documents WHERE ctid = ANY (ARRAY"
	" (SELECT ctid FROM mcp_oauth.fetched_documents"
	"  WHERE (retry_after IS NULL OR retry_after < now())"
	"  AND coalesce(fresh_until, failed_at) < now() - make_interval(secs => $8)"
	"  ORDER BY url, purpose LIMIT nullif($4, 0) FOR UPDATE SKIP LOCKED)) RETURNING 1)"
	" SELECT count(*) FROM d",
	"fetched_documents"},

	/*
	 * the jti of client assertions that expired: no longer accepted anyway
	 * (client_assertion.c), so a replay needs no row
	 */
	{{PURGE_ASSERTION_JTIS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.client_assertion_jtis WHERE ctid = ANY (ARRAY"
	" (SELECT ctid FROM mcp_oauth.client_assertion_jtis"
	"  WHERE expires_at < now() ORDER BY expires_at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d",
	"client_assertion_jtis"},

	/*
	 * audit rows past their retention, oldest first by the index on at (a
	 * retention of 0 is a one-time filter: nothing is scanned)
	 */
	{{PURGE_AUDIT, -1},
	"WITH d AS (DELETE FROM mcp_oauth.audit_log WHERE audit_id = ANY (ARRAY"
	" (SELECT audit_id FROM mcp_oauth.audit_log"
	"  WHERE $3 > 0 AND at < now() - make_interval(secs => $3)"
	"  ORDER BY at LIMIT nullif($4, 0))) RETURNING 1)"
	" SELECT count(*) FROM d"},
};

#define PURGE_NSTEPS lengthof(purge_steps)

PG_FUNCTION_INFO_V1(purge_expired);

/*
 * Run step i, deleting at most limit rows of its kind (0: no limit), and add
 * its counts to counts (inside SPI).
 */
static void
purge_step(int i, int32 limit, int64 *counts)
{
	static SPIPlanPtr plans[PURGE_NSTEPS];
	const PurgeStep *step = &purge_steps[i];
	Datum		values[8] = {Int32GetDatum(mo_clock_leeway),
		Int32GetDatum(mo_access_token_lifetime),
		Int32GetDatum(mo_audit_retention),
		Int64GetDatum(limit),
		Int32GetDatum(MO_REUSE_WINDOW),
		Int32GetDatum(mo_refresh_grace_period),
		Int32GetDatum(mo_unused_client_ttl),
	Int32GetDatum(mo_fetch_max_stale)};
	Oid			types[8] = {INT4OID, INT4OID, INT4OID, INT8OID, INT4OID, INT4OID, INT4OID,
	INT4OID};

	if (step->needs != NULL && !OidIsValid(mo_relid(step->needs)))
		return;
	mo_spi_run(mo_spi_plan(&plans[i], step->sql, 8, types), values, 0);
	if (SPI_processed != 1)
		elog(ERROR, "could not purge %s", purge_kind_names[step->counts_to[0]]);
	for (int c = 0; c < 2 && step->counts_to[c] >= 0; c++)
	{
		bool		isnull;

		counts[step->counts_to[c]] += DatumGetInt64(mo_spi_datum(c + 1, &isnull));
	}
}

/* The audit detail: {"kind": count, ...}. */
static char *
purge_detail(const int64 *counts)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int k = 0; k < PURGE_NKINDS; k++)
		mo_json_int(&buf, purge_kind_names[k], counts[k]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * The kinds argument: which kinds' steps run (a step runs with the kind it
 * reports first); every kind when absent or null, as schemas before 0.4.0
 * declare no such argument.  Raises for a name that is no kind.
 */
static void
purge_kinds(FunctionCallInfo fcinfo, bool *run)
{
	Datum	   *names;
	bool	   *nulls;
	int			n;

	for (int k = 0; k < PURGE_NKINDS; k++)
		run[k] = (PG_NARGS() < 2 || PG_ARGISNULL(1));
	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		return;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT,
					  &names, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name = nulls[i] ? NULL : TextDatumGetCString(names[i]);
		int			k = 0;

		while (k < PURGE_NKINDS && (name == NULL || strcmp(name, purge_kind_names[k]) != 0))
			k++;
		if (k == PURGE_NKINDS)
			ereport(ERROR,
					(errcode(ERRCODE_MO_INVALID_REQUEST),
					 errmsg("\"%s\" is not a kind of row purge_expired deletes",
							name ? name : "NULL")));
		run[k] = true;
	}
}

/*
 * The batch size argument: 0 (everything) when absent or null, as the 0.2.0
 * schema declares no argument.
 */
static int32
purge_batch_size(FunctionCallInfo fcinfo)
{
	int32		batch_size;

	if (PG_NARGS() < 1 || PG_ARGISNULL(0))
		return 0;
	batch_size = PG_GETARG_INT32(0);
	if (batch_size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("batch size must not be negative"),
				 errdetail("A batch size of 0 purges everything at once.")));
	return batch_size;
}

/*
 * purge_expired(batch_size, kinds) -> one (what, deleted) row per kind; at
 * most batch_size rows per step (0: all of them), of the steps of kinds
 * (NULL: all).  Audited when it ran every step or deleted anything.
 */
Datum
purge_expired(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		counts[PURGE_NKINDS] = {0};
	int32		batch_size = purge_batch_size(fcinfo);
	bool		run[PURGE_NKINDS];
	bool		every = (PG_NARGS() < 2 || PG_ARGISNULL(1));
	int64		total = 0;

	purge_kinds(fcinfo, run);
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	for (int i = 0; i < (int) PURGE_NSTEPS; i++)
		if (run[purge_steps[i].counts_to[0]])
			purge_step(i, batch_size, counts);
	for (int k = 0; k < PURGE_NKINDS; k++)
		total += counts[k];
	if (every || total > 0)
		mo_audit("purged", NULL, NULL, NULL, 0, purge_detail(counts));
	SPI_finish();

	for (int k = 0; k < PURGE_NKINDS; k++)
	{
		Datum		values[2] = {CStringGetTextDatum(purge_kind_names[k]),
		Int64GetDatum(counts[k])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
