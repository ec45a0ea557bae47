/*
 * keys.c
 *		JWT signing keys: rotation, the JWKS, signing, signature checks.
 *
 * A key is published (in the JWKS, and accepted by verify_access_token)
 * from its creation until retired_at + access token lifetime + clock
 * leeway, and signs from activates_at until retired_at.  The newest key
 * that has activated signs.  Its kid is the RFC 7638 thumbprint.
 *
 * Every backend keeps the signing_keys rows (kid, alg, times, and the
 * parsed key once used) in memory, so that neither verifying nor signing
 * runs a query: publication and activation are time windows checked in C
 * against the transaction time, as the SQL below would.  A statement
 * trigger on signing_keys (cached_table_changed) sends a relcache
 * invalidation for any change, which every backend receives (the changing
 * one at once, the others at commit); the callback marks the copy stale
 * and it is reloaded at the next lookup, never freed while in use.  A
 * reload is built aside and swapped in when complete: one that fails (a
 * lock or statement timeout, a cancel) leaves the old copy stale, and the
 * next lookup tries again.  In read committed a reload after the
 * invalidation sees the change (the committer leaves the proc array before
 * it sends invalidations); a transaction-snapshot transaction's load
 * serves only that transaction.
 */
#include "mcp_oauth.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "storage/proc.h"

#include "keys.h"

#define DEFAULT_PUBLISH_AHEAD 600	/* seconds */

/*
 * "The key is published" for a query whose $1 is lifetime + leeway in
 * seconds (the JWKS; key_published() is the same test in C).  Operators
 * and functions are qualified, as everywhere on verify_access_token's path.
 */
#define PUBLISHED_SQL \
	"(retired_at IS NULL OR (retired_at OPERATOR(pg_catalog.+)" \
	" pg_catalog.make_interval(secs => $1)) OPERATOR(pg_catalog.>) pg_catalog.now())"

/* One signing_keys row, and its key once parsed. */
typedef struct KeyEntry
{
	char	   *kid;
	jwt_alg		alg;
	char	   *pem;
	jwt_key    *key;			/* NULL until first used */
	TimestampTz created_at;
	TimestampTz activates_at;
	TimestampTz retired_at;		/* DT_NOEND when null */
} KeyEntry;

static KeyEntry *keys = NULL;
static int	nkeys = 0;
static MemoryContext keys_cxt = NULL;
static MoTableCache keys_cache = {"signing_keys"};

PG_FUNCTION_INFO_V1(rotate_signing_key);
PG_FUNCTION_INFO_V1(cached_table_changed);

/* Register the relcache callback (called once from _PG_init). */
void
mo_keys_init(void)
{
	mo_table_cache_register(&keys_cache);
}

/* A timestamptz column of the current SPI row; DT_NOEND when null. */
static TimestampTz
row_time(HeapTuple row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? DT_NOEND : DatumGetTimestampTz(d);
}

/* A text column of the current SPI row, copied into cxt. */
static char *
row_text(MemoryContext cxt, HeapTuple row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(row, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/*
 * Read every signing_keys row into a new context, a child of the caller's
 * until it is complete (a failed load is freed with the caller's memory),
 * then swap it in for the old keys.
 */
static void
keys_load(uint64 ticket)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "mcp_oauth signing keys",
											  ALLOCSET_SMALL_SIZES);
	KeyEntry   *loaded;
	int			nloaded = 0;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT kid, alg, private_key_pem, created_at, activates_at,"
				" retired_at FROM mcp_oauth.signing_keys", 0, NULL);
	mo_spi_run(plan, NULL, 0);
	loaded = MemoryContextAllocZero(cxt, sizeof(KeyEntry) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		KeyEntry   *e = &loaded[nloaded++];
		char	   *alg = row_text(cxt, row, 2);

		e->kid = row_text(cxt, row, 1);
		e->alg = alg ? jwt_alg_from_name(alg) : JWT_ALG_UNKNOWN;
		e->pem = row_text(cxt, row, 3);
		e->created_at = row_time(row, 4);
		e->activates_at = row_time(row, 5);
		e->retired_at = row_time(row, 6);
	}
	mo_spi_finish();
	for (int i = 0; i < nkeys; i++)
		jwt_key_free(keys[i].key);
	mo_table_cache_swap(&keys_cache, ticket, &keys_cxt, cxt);
	keys = loaded;
	nkeys = nloaded;
}

/* The keys as of this transaction, reloaded when stale. */
static void
keys_current(void)
{
	uint64		ticket;

	if (mo_table_cache_reload(&keys_cache, &ticket))
		keys_load(ticket);
}

/* The parsed key of e, loaded from its PEM on first use. */
static jwt_key *
entry_key(KeyEntry *e)
{
	EVP_PKEY   *pkey;

	if (e->key != NULL)
		return e->key;
	pkey = e->pem ? jwt_load_private_key(e->pem) : NULL;
	e->key = pkey ? jwt_key_new(pkey, e->alg) : NULL;
	EVP_PKEY_free(pkey);
	if (e->key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not load signing key \"%s\"", e->kid)));
	return e->key;
}

/* Seconds a retired key stays published: access token lifetime + leeway. */
static double
publish_tail(void)
{
	return (double) mo_access_token_lifetime + mo_clock_leeway;
}

static Datum
publish_tail_datum(void)
{
	return Float8GetDatum(publish_tail());
}

/* Whether e is published at now (PUBLISHED_SQL). */
static bool
key_published(const KeyEntry *e, TimestampTz now)
{
	return e->retired_at == DT_NOEND ||
		e->retired_at + (int64) (publish_tail() * USECS_PER_SEC) > now;
}

/* Whether e signs at now. */
static bool
key_signs(const KeyEntry *e, TimestampTz now)
{
	return e->activates_at <= now &&
		(e->retired_at == DT_NOEND || e->retired_at > now);
}

/*
 * Whether a signs in preference to b: the newest activation, then the
 * newest creation, then the smallest kid.
 */
static bool
key_preferred(const KeyEntry *a, const KeyEntry *b)
{
	if (a->activates_at != b->activates_at)
		return a->activates_at > b->activates_at;
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at;
	return strcmp(a->kid, b->kid) < 0;
}

/* The key that signs now, or NULL. */
static KeyEntry *
active_key(void)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	KeyEntry   *best = NULL;

	keys_current();
	for (int i = 0; i < nkeys; i++)
		if (keys[i].alg != JWT_ALG_UNKNOWN && key_signs(&keys[i], now) &&
			(best == NULL || key_preferred(&keys[i], best)))
			best = &keys[i];
	return best;
}

/* The published key named kid, or NULL. */
static KeyEntry *
published_key(const char *kid)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	keys_current();
	for (int i = 0; i < nkeys; i++)
		if (strcmp(keys[i].kid, kid) == 0)
			return key_published(&keys[i], now) ? &keys[i] : NULL;
	return NULL;
}

/* Generate a key of alg, store it activating after ahead seconds; its kid.  SPI-connected. */
static char *
insert_new_key(jwt_alg alg, double ahead)
{
	EVP_PKEY   *pkey = jwt_generate_key(alg);
	char	   *pem,
			   *kid,
			   *jwk;
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID};
	Datum		values[5];

	if (pkey == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not generate a signing key")));
	pem = jwt_private_key_pem(pkey, palloc);
	kid = jwt_thumbprint(pkey, alg, palloc);
	jwk = kid ? jwt_public_jwk(pkey, alg, kid, palloc) : NULL;
	EVP_PKEY_free(pkey);
	if (pem == NULL || jwk == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not encode a signing key")));
	values[0] = CStringGetTextDatum(kid);
	values[1] = CStringGetTextDatum(jwt_alg_name(alg));
	values[2] = CStringGetTextDatum(pem);
	values[3] = CStringGetTextDatum(jwk);
	values[4] = Float8GetDatum(ahead);
	mo_spi_check_write(SPI_execute_with_args("INSERT INTO mcp_oauth.signing_keys"
											 " (kid, alg, private_key_pem, public_jwk, activates_at)"
											 " VALUES ($1, $2, $3, $4::jsonb,"
											 " now() + make_interval(secs => $5))",
											 5, types, values, NULL, false, 0),
					   SPI_OK_INSERT, "signing_keys");
	return kid;
}

/* Lock signing_keys against concurrent rotation / first-key creation. */
static void
lock_signing_keys(void)
{
	if (SPI_execute("LOCK TABLE mcp_oauth.signing_keys IN SHARE ROW EXCLUSIVE MODE",
					false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock signing keys");
}

/* Whether the query (one boolean column, one row) is true. */
static bool
query_true(const char *sql)
{
	bool		isnull;
	Datum		d;

	if (SPI_execute(sql, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not run \"%s\"", sql);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(d);
}

/*
 * Make the first key (at once) if the table is empty.  SPI-connected.  The
 * common case (a key exists) takes no lock, so that concurrent JWKS
 * requests do not queue on the self-conflicting table lock.
 */
static void
ensure_first_key(void)
{
	const char *empty = "SELECT NOT EXISTS (SELECT FROM mcp_oauth.signing_keys)";

	if (!query_true(empty))
		return;
	lock_signing_keys();
	if (query_true(empty))
	{
		(void) insert_new_key((jwt_alg) (mo_signing_alg == MO_ALG_EDDSA ?
										 JWT_ALG_EDDSA : JWT_ALG_ES256), 0);
	}
}

/* Sign claims (a JSON object text) as an at+jwt with the active key. */
char *
mo_sign_claims(const char *claims_json)
{
	KeyEntry   *k = active_key();
	char	   *jwt;

	if (k == NULL)
	{
		mo_spi_connect();
		ensure_first_key();
		mo_spi_finish();
		keys_cache.valid = false;	/* its invalidation comes only at the next command */
		if ((k = active_key()) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_MO_SERVER_ERROR),
					 errmsg("no active signing key"),
					 errhint("Call mcp_oauth.rotate_signing_key().")));
	}
	jwt = jwt_key_sign(entry_key(k), k->kid, claims_json, palloc);
	if (jwt == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not sign access token")));
	return jwt;
}

/* Whether the signature of jwt checks out with the published key it names. */
bool
mo_check_jwt_signature(const jwt_parsed *jwt, const char **reason)
{
	KeyEntry   *k;

	if (jwt->kid == NULL)
	{
		*reason = "missing kid";
		return false;
	}
	if ((k = published_key(jwt->kid)) == NULL)
	{
		*reason = "unknown signing key";
		return false;
	}
	if (k->alg != jwt->alg)
	{
		*reason = "algorithm does not match the key";
		return false;
	}
	if (!jwt_key_verify(entry_key(k), jwt))
	{
		*reason = "bad signature";
		return false;
	}
	return true;
}

/* The JWKS document of every published key; makes the first key if none. */
char *
mo_jwks_json(void)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {FLOAT8OID};
	Datum		values[1];
	StringInfoData buf;
	MemoryContext oldcxt;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT public_jwk::text FROM mcp_oauth.signing_keys"
				" WHERE " PUBLISHED_SQL " ORDER BY created_at, kid",
				1, types);
	ensure_first_key();
	values[0] = publish_tail_datum();
	if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read signing keys");
	/* the document must outlive mo_spi_finish(): build it in the caller's context */
	oldcxt = MemoryContextSwitchTo(mo_spi_caller_context());
	initStringInfo(&buf);
	MemoryContextSwitchTo(oldcxt);
	appendStringInfoString(&buf, "{\"keys\":[");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, SPI_getvalue(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 1));
	}
	appendStringInfoString(&buf, "]}");
	mo_spi_finish();
	return buf.data;
}

/* The signing algorithm named by the alg argument, or the GUC when NULL. */
static jwt_alg
requested_alg(FunctionCallInfo fcinfo)
{
	char	   *name;
	jwt_alg		alg;

	if (PG_ARGISNULL(0))
		return mo_signing_alg == MO_ALG_EDDSA ? JWT_ALG_EDDSA : JWT_ALG_ES256;
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	alg = jwt_alg_from_name(name);
	if (!jwt_alg_signs(alg))
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("unsupported signing algorithm \"%s\"", name),
				 errhint("Use ES256 or EdDSA.")));
	return alg;
}

/* The publish_ahead argument in seconds (default 10 minutes); never negative. */
static double
requested_ahead(FunctionCallInfo fcinfo)
{
	Interval   *iv;
	double		secs;

	if (PG_ARGISNULL(1))
		return DEFAULT_PUBLISH_AHEAD;
	iv = PG_GETARG_INTERVAL_P(1);
	secs = iv->time / (double) USECS_PER_SEC + (double) iv->day * SECS_PER_DAY +
		(double) iv->month * DAYS_PER_MONTH * SECS_PER_DAY;
	if (secs < 0)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("publish_ahead must not be negative")));
	return secs;
}

/*
 * rotate_signing_key(alg text, publish_ahead interval) -> kid.
 * The first key (or one after every other was retired) signs at once; a
 * later key is published at once and signs after publish_ahead, when the
 * keys before it retire.
 */
Datum
rotate_signing_key(PG_FUNCTION_ARGS)
{
	jwt_alg		alg = requested_alg(fcinfo);
	double		ahead = requested_ahead(fcinfo);
	char	   *kid;
	StringInfoData detail;

	mo_spi_connect();
	lock_signing_keys();
	if (!query_true("SELECT EXISTS (SELECT FROM mcp_oauth.signing_keys"
					" WHERE retired_at IS NULL)"))
		ahead = 0;
	kid = insert_new_key(alg, ahead);
	mo_spi_check_write(SPI_execute_with_args("UPDATE mcp_oauth.signing_keys k"
											 " SET retired_at = n.activates_at"
											 " FROM mcp_oauth.signing_keys n"
											 " WHERE n.kid = $1 AND k.kid <> $1"
											 " AND k.retired_at IS NULL",
											 1, (Oid[]) {TEXTOID},
											 (Datum[]) {CStringGetTextDatum(kid)},
											 NULL, false, 0),
					   SPI_OK_UPDATE, "signing_keys");
	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	mo_json_string(&detail, "kid", kid);
	mo_json_string(&detail, "alg", jwt_alg_name(alg));
	appendStringInfoChar(&detail, '}');
	mo_audit("signing_key_rotated", NULL, NULL, NULL, 0, detail.data);
	mo_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(kid));
}

/*
 * cached_table_changed() trigger (signing_keys, scopes): any statement that
 * changes the table makes every backend reload its copy (at commit; this
 * one at the next command).
 */
Datum
cached_table_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"cached_table_changed\" was not called by trigger manager")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(((TriggerData *) fcinfo->context)->tg_relation));
	return PointerGetDatum(NULL);
}
