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
#include "utils/builtins.h"

#include "client_auth.h"

/* The kinds of row purge_expired reports, in the order it reports them. */
typedef enum PurgeKind
{
	PURGE_REQUESTS,
	PURGE_CODES,
	PURGE_REFRESH_TOKENS,
	PURGE_ACCESS_TOKENS,
	PURGE_GRANTS,
	PURGE_SESSIONS,
	PURGE_RATE_LIMITS,
	PURGE_SIGNING_KEYS,
	PURGE_CLIENTS,
	PURGE_AUDIT,
	PURGE_NKINDS
} PurgeKind;

static const char *const purge_kind_names[PURGE_NKINDS] = {
	"used_requests",
	"authorization_codes",
	"refresh_tokens",
	"revoked_access_tokens",
	"grants",
	"login_sessions",
	"rate_limits",
	"signing_keys",
	"clients",
	"audit_log",
};

/*
 * One DELETE, run in this order.  Each returns one row of counts, added to
 * the kinds in counts_to (the second is -1 when there is one count).
 * Parameters: $1 clock leeway, $2 access token lifetime, $3 audit
 * retention (0: forever), in seconds.
 */
typedef struct PurgeStep
{
	int			counts_to[2];	/* PurgeKind, or -1 */
	const char *sql;
} PurgeStep;

static const PurgeStep purge_steps[] = {
	/*
	 * a used request's row outlives the request by an hour (a decision also
	 * checks the expiry on the clock when it inserts)
	 */
	{{PURGE_REQUESTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.used_requests"
	" WHERE expires_at < now() - interval '1 hour' RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* expired codes, and the grants of unredeemed ones that issued nothing */
	{{PURGE_CODES, PURGE_GRANTS},
	"WITH c AS (DELETE FROM mcp_oauth.authorization_codes"
	"  WHERE expires_at < now() RETURNING grant_id, redeemed_at IS NULL AS unused),"
	" g AS (DELETE FROM mcp_oauth.grants g"
	"  WHERE g.grant_id IN (SELECT grant_id FROM c WHERE unused)"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.authorization_codes x"
	"   WHERE x.grant_id = g.grant_id AND x.expires_at >= now())"
	"  AND NOT EXISTS (SELECT FROM mcp_oauth.refresh_tokens r WHERE r.grant_id = g.grant_id)"
	"  RETURNING 1)"
	" SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM g)"},

	{{PURGE_REFRESH_TOKENS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.refresh_tokens"
	" WHERE expires_at < now() RETURNING 1) SELECT count(*) FROM d"},

	/* denied access tokens past their expiry (and the leeway) */
	{{PURGE_ACCESS_TOKENS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.revoked_access_tokens"
	" WHERE expires_at < now() - make_interval(secs => $1) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/*
	 * revoked grants, and expired ones whose last access tokens have expired
	 * too (issued until the grant expired; were the lifetime shortened since,
	 * older tokens only end early), with no code or refresh token left; and
	 * the denied access tokens of those grants
	 */
	{{PURGE_GRANTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.grants g"
	" WHERE (g.revoked_at IS NOT NULL"
	"  OR g.expires_at < now() - make_interval(secs => $1 + $2))"
	" AND NOT EXISTS (SELECT FROM mcp_oauth.authorization_codes c WHERE c.grant_id = g.grant_id)"
	" AND NOT EXISTS (SELECT FROM mcp_oauth.refresh_tokens r WHERE r.grant_id = g.grant_id)"
	" RETURNING g.grant_id),"
	" a AS (DELETE FROM mcp_oauth.revoked_access_tokens a"
	"  WHERE a.grant_id IN (SELECT grant_id FROM d))"
	" SELECT count(*) FROM d"},

	{{PURGE_SESSIONS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.login_sessions"
	" WHERE expires_at < now() RETURNING 1) SELECT count(*) FROM d"},

	/* attempts counted over a day ago: past every window */
	{{PURGE_RATE_LIMITS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.rate_limits"
	" WHERE window_start < now() - interval '1 day' RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* retired keys stay published until every token they signed expired */
	{{PURGE_SIGNING_KEYS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.signing_keys"
	" WHERE retired_at < now() - make_interval(secs => $1 + $2) RETURNING 1)"
	" SELECT count(*) FROM d"},

	/* dynamically registered clients unused for 30 days, with no grant */
	{{PURGE_CLIENTS, -1},
	"WITH d AS (DELETE FROM mcp_oauth.clients c"
	" WHERE c.kind = 'dynamic'"
	" AND coalesce(c.last_used_at, c.created_at) < now() - interval '30 days'"
	" AND NOT EXISTS (SELECT FROM mcp_oauth.grants g WHERE g.client_id = c.client_id)"
	" RETURNING 1) SELECT count(*) FROM d"},

	/*
	 * audit rows past their retention, found by the BRIN index on at (a
	 * retention of 0 is a one-time filter: nothing is scanned)
	 */
	{{PURGE_AUDIT, -1},
	"WITH d AS (DELETE FROM mcp_oauth.audit_log"
	" WHERE $3 > 0 AND at < now() - make_interval(secs => $3) RETURNING 1)"
	" SELECT count(*) FROM d"},
};

#define PURGE_NSTEPS lengthof(purge_steps)

PG_FUNCTION_INFO_V1(purge_expired);

/* Run step i and add its counts to counts (inside SPI). */
static void
purge_step(int i, int64 *counts)
{
	static SPIPlanPtr plans[PURGE_NSTEPS];
	const PurgeStep *step = &purge_steps[i];
	Datum		values[3] = {Int32GetDatum(mo_clock_leeway),
		Int32GetDatum(mo_access_token_lifetime),
	Int32GetDatum(mo_audit_retention)};
	Oid			types[3] = {INT4OID, INT4OID, INT4OID};

	mo_spi_run(mo_spi_plan(&plans[i], step->sql, 3, types), values, 0);
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

/* purge_expired() -> one (what, deleted) row per kind. */
Datum
purge_expired(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		counts[PURGE_NKINDS] = {0};

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	for (int i = 0; i < (int) PURGE_NSTEPS; i++)
		purge_step(i, counts);
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
