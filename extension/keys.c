/*
 * keys.c
 *		JWT signing keys: rotation, the JWKS, signing, signature checks.
 *
 * A key is published (in the JWKS, and accepted by verify_access_token)
 * from its creation until retired_at + access token lifetime + clock
 * leeway, and signs from activates_at until retired_at.  The newest key
 * that has activated signs.  Its kid is the RFC 7638 thumbprint.
 *
 * Parsed EVP_PKEYs are cached per backend by kid.  A kid names one key
 * pair for ever (it is the key's thumbprint), so the cache never gives a
 * wrong key; it is emptied when signing_keys changes only to free memory.
 * The relcache callback just marks it stale: the keys are freed at the
 * next lookup, never while one may be in use.
 */
#include "mcp_oauth.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "keys.h"

#define KEY_CACHE_MAX 32
#define DEFAULT_PUBLISH_AHEAD 600	/* seconds */

/*
 * "The key is published" for a query whose $1 is lifetime + leeway in
 * seconds.  Operators and functions are qualified: verify_access_token runs
 * it under the caller's search_path (see 10_keys_metadata_verify.sql).
 */
#define PUBLISHED_SQL \
	"(retired_at IS NULL OR (retired_at OPERATOR(pg_catalog.+)" \
	" pg_catalog.make_interval(secs => $1)) OPERATOR(pg_catalog.>) pg_catalog.now())"

typedef struct KeyCacheEntry
{
	char	   *kid;
	jwt_alg		alg;
	EVP_PKEY   *pkey;
} KeyCacheEntry;

static KeyCacheEntry key_cache[KEY_CACHE_MAX];
static int	key_cache_count = 0;
static bool key_cache_stale = false;
static Oid	signing_keys_relid = InvalidOid;

PG_FUNCTION_INFO_V1(rotate_signing_key);
PG_FUNCTION_INFO_V1(mcp_oauth_sign_claims_for_test);

/* Relcache callback: signing_keys changed (or everything did). */
static void
keys_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == signing_keys_relid)
	{
		key_cache_stale = true;
		signing_keys_relid = InvalidOid;
	}
}

/* Register the relcache callback (called once from _PG_init). */
void
mo_keys_init(void)
{
	CacheRegisterRelcacheCallback(keys_relcache_callback, (Datum) 0);
}

/* The oid of mcp_oauth.signing_keys, remembered for the callback. */
static Oid
keys_relid(void)
{
	if (!OidIsValid(signing_keys_relid))
		signing_keys_relid = get_relname_relid("signing_keys",
											   get_namespace_oid("mcp_oauth", false));
	return signing_keys_relid;
}

/* Free every cached key. */
static void
key_cache_clear(void)
{
	for (int i = 0; i < key_cache_count; i++)
	{
		EVP_PKEY_free(key_cache[i].pkey);
		pfree(key_cache[i].kid);
	}
	key_cache_count = 0;
	key_cache_stale = false;
}

/* The parsed key of kid, loaded from pem on first use. */
static EVP_PKEY *
cached_key(const char *kid, jwt_alg alg, const char *pem)
{
	KeyCacheEntry *e;

	if (key_cache_stale || key_cache_count == KEY_CACHE_MAX)
		key_cache_clear();
	for (int i = 0; i < key_cache_count; i++)
		if (key_cache[i].alg == alg && strcmp(key_cache[i].kid, kid) == 0)
			return key_cache[i].pkey;
	e = &key_cache[key_cache_count];
	e->kid = MemoryContextStrdup(TopMemoryContext, kid);
	e->alg = alg;
	e->pkey = jwt_load_private_key(pem);
	if (e->pkey == NULL)
	{
		pfree(e->kid);
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not load signing key \"%s\"", kid)));
	}
	key_cache_count++;
	return e->pkey;
}

/* Seconds a retired key stays published: access token lifetime + leeway. */
static Datum
publish_tail_datum(void)
{
	return Float8GetDatum((double) mo_access_token_lifetime + mo_clock_leeway);
}

/* Prepare and keep a plan (one float8 or text parameter, or none). */
static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL || SPI_keepplan(plan) != 0)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	return plan;
}

/*
 * Column col of the first result row as a C string in the caller's context
 * (NULL if null), so that it outlives mo_spi_finish().
 */
static char *
result_string(int col)
{
	MemoryContext old = MemoryContextSwitchTo(mo_spi_caller_context());
	char	   *s = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col);

	MemoryContextSwitchTo(old);
	return s;
}

/* The key that signs now; false if there is none.  SPI-connected. */
static bool
active_key(char **kid, jwt_alg *alg, char **pem)
{
	static SPIPlanPtr plan = NULL;

	if (plan == NULL)
		plan = keep_plan("SELECT kid, alg, private_key_pem FROM mcp_oauth.signing_keys"
						 " WHERE activates_at <= now()"
						 " AND (retired_at IS NULL OR retired_at > now())"
						 " ORDER BY activates_at DESC, created_at DESC, kid LIMIT 1",
						 0, NULL);
	if (SPI_execute_plan(plan, NULL, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read signing keys");
	if (SPI_processed == 0)
		return false;
	*kid = result_string(1);
	*alg = jwt_alg_from_name(result_string(2));
	*pem = result_string(3);
	return true;
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
	if (SPI_execute_with_args("INSERT INTO mcp_oauth.signing_keys"
							  " (kid, alg, private_key_pem, public_jwk, activates_at)"
							  " VALUES ($1, $2, $3, $4::jsonb, now() + make_interval(secs => $5))",
							  5, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store signing key");
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
		CacheInvalidateRelcacheByRelid(keys_relid());
	}
}

/* Sign claims (a JSON object text) as an at+jwt with the active key. */
char *
mo_sign_claims(const char *claims_json)
{
	char	   *kid,
			   *pem,
			   *jwt;
	jwt_alg		alg;

	mo_spi_connect();
	if (!active_key(&kid, &alg, &pem))
	{
		ensure_first_key();
		if (!active_key(&kid, &alg, &pem))
			ereport(ERROR,
					(errcode(ERRCODE_MO_SERVER_ERROR),
					 errmsg("no active signing key"),
					 errhint("Call mcp_oauth.rotate_signing_key().")));
	}
	mo_spi_finish();
	jwt = jwt_sign(cached_key(kid, alg, pem), alg, kid, claims_json, palloc);
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
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {FLOAT8OID, TEXTOID};
	Datum		values[2];
	jwt_alg		alg;
	char	   *pem;

	if (jwt->kid == NULL)
	{
		*reason = "missing kid";
		return false;
	}
	mo_spi_connect();
	if (plan == NULL)
		plan = keep_plan("SELECT alg, private_key_pem FROM mcp_oauth.signing_keys"
						 " WHERE kid OPERATOR(pg_catalog.=) $2 AND " PUBLISHED_SQL,
						 2, types);
	values[0] = publish_tail_datum();
	values[1] = CStringGetTextDatum(jwt->kid);
	if (SPI_execute_plan(plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read signing keys");
	if (SPI_processed == 0)
	{
		mo_spi_finish();
		*reason = "unknown signing key";
		return false;
	}
	alg = jwt_alg_from_name(result_string(1));
	pem = result_string(2);
	mo_spi_finish();
	if (alg != jwt->alg)
	{
		*reason = "algorithm does not match the key";
		return false;
	}
	if (!jwt_verify_signature(jwt, cached_key(jwt->kid, alg, pem), alg))
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
	if (plan == NULL)
		plan = keep_plan("SELECT public_jwk::text FROM mcp_oauth.signing_keys"
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
	if (alg == JWT_ALG_UNKNOWN)
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
	if (SPI_execute_with_args("UPDATE mcp_oauth.signing_keys k SET retired_at = n.activates_at"
							  " FROM mcp_oauth.signing_keys n"
							  " WHERE n.kid = $1 AND k.kid <> $1 AND k.retired_at IS NULL",
							  1, (Oid[]) {TEXTOID},
							  (Datum[]) {CStringGetTextDatum(kid)},
							  NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not retire signing keys");
	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	mo_json_string(&detail, "kid", kid);
	mo_json_string(&detail, "alg", jwt_alg_name(alg));
	appendStringInfoChar(&detail, '}');
	mo_audit("signing_key_rotated", NULL, NULL, NULL, 0, detail.data);
	CacheInvalidateRelcacheByRelid(keys_relid());
	mo_spi_finish();
	PG_RETURN_TEXT_P(cstring_to_text(kid));
}

/*
 * mcp_oauth_sign_claims_for_test(claims text) -> jwt.  Not declared by the
 * extension script: a superuser's test declares it (only superusers may
 * declare C functions, and they can read the private keys anyway) to mint
 * tokens with chosen claims (expired, wrong issuer, ...).
 */
Datum
mcp_oauth_sign_claims_for_test(PG_FUNCTION_ARGS)
{
	char	   *claims = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(mo_sign_claims(claims)));
}
