/*
 * verify.c
 *		verify_access_token(): bearer token verification for protected
 *		resources (JWT access tokens per RFC 9068, and personal access
 *		tokens), the RFC 6750 challenge, and the verified-token cache.
 *
 * The cache is per backend, keyed by SHA-256 of (token, resource, issuer),
 * and holds only tokens that verified.  An entry is used only while the
 * token has not expired.  Every revocation calls
 * mo_token_cache_invalidate(), a relcache invalidation of mcp_oauth.grants
 * that every backend receives at commit (the revoking one at once); the
 * callback bumps a generation counter, so a verification that raced with
 * a revocation never enters the cache, and the cache is emptied at the
 * next lookup.
 *
 * A second cache, under the same invalidation, keeps the grants JWTs named
 * that were found unrevoked (subject and client), and the ids of the access
 * tokens revoked by themselves and not yet expired (revoked_access_tokens,
 * at most grant_cache_size of them; more, and every first-seen JWT is
 * looked up), so that a JWT seen for the first time, of a grant seen
 * before, is verified without a query.
 *
 * Both caches are bounded by their size setting; when full, an entry is
 * evicted by the clock (second chance): a hand sweeps the slots, sparing
 * once each entry used since it last passed.
 */
#include "mcp_oauth.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "keys.h"
#include "lib/token_format.h"

#define PAT_TOUCH_INTERVAL (3600 * USECS_PER_SEC)	/* last_used_at resolution */
#define UNIX_EPOCH_OFFSET ((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* A token that verified (before the scope check). */
typedef struct Verified
{
	char		kind;			/* 'j' JWT, 'p' PAT */
	char	   *subject;
	char	   *client_id;		/* NULL for a PAT */
	List	   *scopes;
	bool		has_expiry;
	TimestampTz expires_at;
	TimestampTz issued_at;		/* JWT: iat */
	int64		pat_id;
	TimestampTz last_used;		/* PAT: last_used_at as now stored, or DT_NOBEGIN */
} Verified;

/* A cache entry: a Verified copied into the cache's memory context. */
typedef struct CacheEntry
{
	unsigned char key[SHA256_DIGEST_LENGTH];
	char		kind;
	char	   *subject;
	char	   *client_id;
	List	   *scopes;			/* of char *, in the cache's context */
	bool		has_expiry;
	TimestampTz expires_at;
	int64		pat_id;
	TimestampTz last_used;
	HeapTupleHeader active_row; /* the answer with no scope missing, once made */
	int			slot;			/* in token_clock */
} CacheEntry;

/* A grant known unrevoked: what a JWT naming it must agree with. */
typedef struct GrantEntry
{
	int64		grant_id;
	char	   *subject;
	char	   *client_id;
	TimestampTz created_at;
	int			slot;			/* in grant_clock */
} GrantEntry;

/* The slots of a cache, for eviction by the clock; in the cache's context. */
typedef struct Clock
{
	void	  **entries;		/* each slot's hash entry, NULL when free */
	bool	   *used;			/* looked up since the hand last passed */
	int			size;
	int			hand;
} Clock;

/*
 * What revoked_access_tokens holds live, as last read: nothing, the ids
 * (in deny_set), or more than grant_cache_size ids (each JWT looked up).
 */
typedef enum DenyList
{
	DENY_UNKNOWN, DENY_EMPTY, DENY_SET, DENY_SOME
} DenyList;

/* What the deny list says of one token id. */
typedef enum DenyAnswer
{
	DENY_REVOKED, DENY_NOT_REVOKED, DENY_ASK	/* ask: query the table */
} DenyAnswer;

#define DENY_RECHECK_US	(60 * USECS_PER_SEC)	/* DENY_SOME: rows may have expired */

static HTAB *token_cache = NULL;
static MemoryContext cache_cxt = NULL;
static Clock token_clock;
static HTAB *grant_cache = NULL;
static MemoryContext grant_cxt = NULL;
static Clock grant_clock;
static HTAB *deny_set = NULL;
static MemoryContext deny_cxt = NULL;
static DenyList deny_list = DENY_UNKNOWN;
static TimestampTz deny_checked_at = 0;
static uint64 cache_generation = 0;
static bool cache_reset_pending = false;
static Oid	grants_relid = InvalidOid;

PG_FUNCTION_INFO_V1(verify_access_token);

/* Relcache callback: grants changed (a revocation), or everything did. */
static void
verify_relcache_callback(Datum arg, Oid relid)
{
	/* grants' oid unknown (after a full reset): any message may be about it */
	if (relid == InvalidOid || !OidIsValid(grants_relid) || relid == grants_relid)
	{
		cache_generation++;
		cache_reset_pending = true;
		if (relid == InvalidOid || relid == grants_relid)
			grants_relid = InvalidOid;	/* looked up again (it may be new) */
	}
}

/* Register the relcache callback (called once from _PG_init). */
void
mo_verify_init(void)
{
	CacheRegisterRelcacheCallback(verify_relcache_callback, (Datum) 0);
}

/* The oid of mcp_oauth.grants, remembered for the callback. */
static Oid
grants_oid(void)
{
	if (!OidIsValid(grants_relid))
		grants_relid = mo_relid("grants");
	return grants_relid;
}

/* Make every backend drop its verified-token cache at commit. */
void
mo_token_cache_invalidate(void)
{
	CacheInvalidateRelcacheByRelid(grants_oid());
}

/* Drop every cache entry. */
static void
cache_reset(void)
{
	if (cache_cxt != NULL)
		MemoryContextReset(cache_cxt);	/* the table lives in a child context */
	token_cache = NULL;
	memset(&token_clock, 0, sizeof(token_clock));
}

/* Forget every grant. */
static void
grant_entries_reset(void)
{
	if (grant_cxt != NULL)
		MemoryContextReset(grant_cxt);	/* the table lives in a child context */
	grant_cache = NULL;
	memset(&grant_clock, 0, sizeof(grant_clock));
}

/* Forget what the deny list held. */
static void
deny_set_reset(void)
{
	if (deny_cxt != NULL)
		MemoryContextReset(deny_cxt);
	deny_set = NULL;
	deny_list = DENY_UNKNOWN;
}

/* Forget every grant, and what the deny list held. */
static void
grant_cache_reset(void)
{
	grant_entries_reset();
	deny_set_reset();
}

/* Empty both caches if a revocation (any change to grants) arrived. */
static void
caches_check(void)
{
	if (!cache_reset_pending)
		return;
	cache_reset();
	grant_cache_reset();
	cache_reset_pending = false;
}

/*
 * Whether what a query read may enter a cache: its snapshot was taken after
 * the generation was noted (read committed: SPI takes one per query).  A
 * transaction snapshot can be older than a revocation whose invalidation
 * has already been taken in; it serves this call only.
 */
static bool
snapshot_is_fresh(void)
{
	return !IsolationUsesXactSnapshot();
}

/* *table, made if NULL: a hash table of blob keys in *cxt, made too (name: a string constant). */
static HTAB *
table_made(MemoryContext *cxt, HTAB **table, const char *name,
		   Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	if (*cxt == NULL)
	{
		*cxt = AllocSetContextCreate(TopMemoryContext, "mcp_oauth verify cache",
									 ALLOCSET_DEFAULT_SIZES);
		MemoryContextSetIdentifier(*cxt, name);
	}
	if (*table == NULL)
	{
		ctl.keysize = keysize;
		ctl.entrysize = entrysize;
		ctl.hcxt = *cxt;
		*table = hash_create(name, 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	return *table;
}

/* Give *clock size free slots in cxt. */
static void
clock_made(Clock *clock, MemoryContext cxt, int size)
{
	clock->entries = MemoryContextAllocZero(cxt, sizeof(void *) * size);
	clock->used = MemoryContextAllocZero(cxt, sizeof(bool) * size);
	clock->size = size;
	clock->hand = 0;
}

/*
 * A slot for a new entry: a free one, or the first the hand finds unused
 * since it last passed (sparing, and marking unused, those it passes).
 * *victim is the entry in it, for the caller to remove, or NULL.
 */
static int
clock_slot(Clock *clock, void **victim)
{
	for (;;)
	{
		int			slot = clock->hand;

		clock->hand = (clock->hand + 1) % clock->size;
		if (clock->entries[slot] == NULL || !clock->used[slot])
		{
			*victim = clock->entries[slot];
			clock->used[slot] = false;
			return slot;
		}
		clock->used[slot] = false;
	}
}

/* The cache table, created (or emptied) as needed; NULL when the cache is off. */
static HTAB *
cache_table(void)
{
	caches_check();
	if (token_cache != NULL && token_clock.size != mo_token_cache_size)
		cache_reset();			/* resized (or turned off): start over */
	if (mo_token_cache_size == 0)
		return NULL;
	if (token_cache == NULL)
	{
		table_made(&cache_cxt, &token_cache, "mcp_oauth verified tokens",
				   SHA256_DIGEST_LENGTH, sizeof(CacheEntry));
		clock_made(&token_clock, cache_cxt, mo_token_cache_size);
	}
	return token_cache;
}

/*
 * The cache key: SHA-256 of token, resource and issuer, NUL-separated.  The
 * digest and its context are fetched once per backend: OpenSSL 3's
 * implicit fetch in EVP_sha256() takes locks on every call.
 */
static void
cache_key(const char *token, const char *resource, unsigned char *key)
{
	static EVP_MD *md = NULL;
	static EVP_MD_CTX *ctx = NULL;
	bool		ok;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	ok = md != NULL && ctx != NULL &&
		EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
		EVP_DigestUpdate(ctx, token, strlen(token) + 1) == 1 &&
		EVP_DigestUpdate(ctx, resource, strlen(resource) + 1) == 1 &&
		EVP_DigestUpdate(ctx, mo_issuer, strlen(mo_issuer)) == 1 &&
		EVP_DigestFinal_ex(ctx, key, NULL) == 1;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not compute SHA-256")));
}

/* The transaction time and the clock leeway, in microseconds. */
static TimestampTz
now_ts(void)
{
	return GetCurrentTransactionStartTimestamp();
}

static int64
leeway_us(void)
{
	return (int64) mo_clock_leeway * USECS_PER_SEC;
}

/*
 * Whether a cached or verified token has expired at now.  No leeway: this
 * database's clock set exp (expires_in said so to the client), and the
 * leeway is for clocks that differ (nbf and iat, check_times).
 */
static bool
expired(bool has_expiry, TimestampTz expires_at)
{
	return has_expiry && now_ts() >= expires_at;
}

/* The usable cache entry for key, or NULL (absent, expired, PAT due a touch). */
static CacheEntry *
cache_entry(const unsigned char *key)
{
	HTAB	   *table = cache_table();
	CacheEntry *e;

	if (table == NULL)
		return NULL;
	e = hash_search(table, key, HASH_FIND, NULL);
	if (e == NULL || expired(e->has_expiry, e->expires_at))
		return NULL;
	if (e->kind == 'p' && now_ts() - e->last_used >= PAT_TOUCH_INTERVAL)
		return NULL;
	token_clock.used[e->slot] = true;
	return e;
}

/* A cache entry's token as a Verified (sharing the entry's memory). */
static void
entry_to_verified(const CacheEntry *e, Verified *v)
{
	v->kind = e->kind;
	v->subject = e->subject;
	v->client_id = e->client_id;
	v->scopes = e->scopes;
	v->has_expiry = e->has_expiry;
	v->expires_at = e->expires_at;
	v->pat_id = e->pat_id;
	v->last_used = e->last_used;
}

/* Free what a cache entry points to. */
static void
entry_free_parts(CacheEntry *e)
{
	pfree(e->subject);
	if (e->client_id)
		pfree(e->client_id);
	list_free_deep(e->scopes);
	if (e->active_row)
		pfree(e->active_row);
}

/* A slot for a new token, evicting the entry in it. */
static int
cache_evict(void)
{
	CacheEntry *victim;
	int			slot = clock_slot(&token_clock, (void **) &victim);

	if (victim != NULL)
	{
		entry_free_parts(victim);
		hash_search(token_cache, victim->key, HASH_REMOVE, NULL);
		token_clock.entries[slot] = NULL;
	}
	return slot;
}

/* Remember v under key, unless a revocation arrived since generation. */
static void
cache_store(const unsigned char *key, const Verified *v, uint64 generation)
{
	HTAB	   *table;
	CacheEntry	copy;
	CacheEntry *e;
	MemoryContext old;

	if (generation != cache_generation || !snapshot_is_fresh() ||
		(table = cache_table()) == NULL)
		return;
	/* copy first: an error while copying must not leave a half-made entry */
	memcpy(copy.key, key, SHA256_DIGEST_LENGTH);
	copy.kind = v->kind;
	old = MemoryContextSwitchTo(cache_cxt);
	copy.subject = pstrdup(v->subject);
	copy.client_id = v->client_id ? pstrdup(v->client_id) : NULL;
	copy.scopes = mo_string_list_copy(v->scopes);
	MemoryContextSwitchTo(old);
	copy.has_expiry = v->has_expiry;
	copy.expires_at = v->expires_at;
	copy.pat_id = v->pat_id;
	copy.last_used = v->last_used;
	copy.active_row = NULL;
	e = hash_search(table, key, HASH_FIND, NULL);
	if (e != NULL)
	{
		copy.slot = e->slot;	/* a PAT stored again after its touch */
		entry_free_parts(e);
		*e = copy;
		return;
	}
	copy.slot = cache_evict();
	e = hash_search(table, key, HASH_ENTER, NULL);
	*e = copy;
	token_clock.entries[copy.slot] = e;
}

/* Whether uri names the configured resource (canonical comparison). */
static bool
same_resource(const char *uri, const char *configured)
{
	const char *m = mo_match_resource(uri);

	return m != NULL && strcmp(m, configured) == 0;
}

/* Whether the aud claim (a string or an array of strings) names configured. */
static bool
aud_matches(const json_member *aud, const char *configured)
{
	if (aud == NULL)
		return false;
	if (aud->type == JSON_STRING)
		return same_resource(aud->string, configured);
	if (aud->type != JSON_ARRAY || aud->strings == NULL)
		return false;
	for (int i = 0; i < aud->nstrings; i++)
		if (same_resource(aud->strings[i], configured))
			return true;
	return false;
}

/* A string claim, or NULL when absent or not a string. */
static const char *
claim_string(const json_doc *claims, const char *name)
{
	const json_member *m = json_get(claims, name);

	return (m != NULL && m->type == JSON_STRING) ? m->string : NULL;
}

/* A NumericDate claim as a timestamp; false when absent, not a number or absurd. */
static bool
claim_time(const json_doc *claims, const char *name, TimestampTz *out)
{
	const json_member *m = json_get(claims, name);

	if (m == NULL || m->type != JSON_NUMBER || m->number < 0 || m->number > 1e11)
		return false;
	*out = (TimestampTz) ((m->number - UNIX_EPOCH_OFFSET) * USECS_PER_SEC);
	return true;
}

/* Check exp, and nbf and iat with the clock leeway; NULL or a reason. */
static const char *
check_times(const json_doc *claims, Verified *v)
{
	TimestampTz now = now_ts();
	TimestampTz t;

	if (!claim_time(claims, "exp", &v->expires_at))
		return "missing or malformed exp";
	v->has_expiry = true;
	if (expired(true, v->expires_at))
		return "token expired";
	if (json_get(claims, "nbf") != NULL &&
		(!claim_time(claims, "nbf", &t) || t > now + leeway_us()))
		return "token not yet valid";
	if (!claim_time(claims, "iat", &t))
		return "missing or malformed iat";
	v->issued_at = t;
	if (t > now + leeway_us())
		return "token issued in the future";
	return NULL;
}

/* Whether s is a UUID in its canonical 8-4-4-4-12 hex form. */
static bool
uuid_shaped(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
	{
		bool		dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/* The grant_id claim into *grant_id; false if absent or not a positive integer. */
static bool
claim_grant_id(const json_doc *claims, int64 *grant_id)
{
	const json_member *m = json_get(claims, "grant_id");

	if (m == NULL || m->type != JSON_NUMBER || m->number < 1 ||
		m->number > 1e15 || m->number != (double) (int64) m->number)
		return false;
	*grant_id = (int64) m->number;
	return true;
}

/* The grant table, emptied as needed; NULL when the grant cache is off. */
static HTAB *
grant_table(void)
{
	caches_check();
	if (grant_cache != NULL && grant_clock.size != mo_grant_cache_size)
		grant_cache_reset();	/* resized (or turned off): start over */
	if (mo_grant_cache_size == 0)
		return NULL;
	if (grant_cache == NULL)
	{
		table_made(&grant_cxt, &grant_cache, "mcp_oauth grants",
				   sizeof(int64), sizeof(GrantEntry));
		clock_made(&grant_clock, grant_cxt, mo_grant_cache_size);
	}
	return grant_cache;
}

/* deny_set made from the ids SPI just read. */
static void
deny_set_fill(void)
{
	HTAB	   *set = table_made(&deny_cxt, &deny_set, "mcp_oauth revoked tokens",
								 UUID_LEN, UUID_LEN);

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		jti = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										1, &isnull);

		hash_search(set, DatumGetUUIDP(jti)->data, HASH_ENTER, NULL);
	}
}

/*
 * Read the ids of the live single revocations, at most grant_cache_size
 * (one more tells there are too many) into deny_set and deny_list.  Kept
 * only when no revocation arrived meanwhile; false when not kept.
 */
static bool
deny_list_load(void)
{
	static SPIPlanPtr plan = NULL;
	uint64		generation = cache_generation;
	TimestampTz now = now_ts();
	Datum		values[2];
	uint64		n;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT r.jti FROM mcp_oauth.revoked_access_tokens r"
				" WHERE r.expires_at OPERATOR(pg_catalog.>) $1 LIMIT $2",
				2, (Oid[]) {TIMESTAMPTZOID, INT8OID});
	values[0] = TimestampTzGetDatum(now - leeway_us());
	values[1] = Int64GetDatum((int64) mo_grant_cache_size + 1);
	/* not read-only: a snapshot taken now, after generation */
	if (SPI_execute_plan(plan, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the revoked access tokens");
	n = SPI_processed;
	if (generation != cache_generation || !snapshot_is_fresh())
	{
		mo_spi_finish();		/* a revocation meanwhile: this call asks */
		return false;
	}
	deny_set_reset();
	if (n > 0 && n <= (uint64) mo_grant_cache_size)
		deny_set_fill();
	deny_list = n == 0 ? DENY_EMPTY : (deny_set != NULL ? DENY_SET : DENY_SOME);
	deny_checked_at = now;
	mo_spi_finish();
	return true;
}

/*
 * Whether the token jti is revoked by itself, from memory; DENY_ASK when
 * memory cannot tell (too many revoked, or a revocation came in while the
 * ids were read).  With too many, they are read again after a while, as
 * rows expire.
 */
static DenyAnswer
deny_check(const char *jti)
{
	pg_uuid_t  *id;

	if ((deny_list == DENY_UNKNOWN ||
		 (deny_list == DENY_SOME && now_ts() - deny_checked_at >= DENY_RECHECK_US)) &&
		!deny_list_load())
		return DENY_ASK;
	if (deny_list == DENY_EMPTY)
		return DENY_NOT_REVOKED;
	if (deny_list == DENY_SOME)
		return DENY_ASK;
	id = DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(jti)));
	return hash_search(deny_set, id->data, HASH_FIND, NULL) != NULL ?
		DENY_REVOKED : DENY_NOT_REVOKED;
}

/* A slot for a new grant, evicting the entry in it. */
static int
grant_evict(void)
{
	GrantEntry *victim;
	int			slot = clock_slot(&grant_clock, (void **) &victim);

	if (victim != NULL)
	{
		pfree(victim->subject);
		pfree(victim->client_id);
		hash_search(grant_cache, &victim->grant_id, HASH_REMOVE, NULL);
		grant_clock.entries[slot] = NULL;
	}
	return slot;
}

/* Remember grant_id as unrevoked, unless a revocation arrived since generation. */
static void
grant_store(int64 grant_id, const char *subject, const char *client_id,
			TimestampTz created_at, uint64 generation)
{
	HTAB	   *table;
	GrantEntry	copy;

	GrantEntry *e;

	if (generation != cache_generation || !snapshot_is_fresh() ||
		(table = grant_table()) == NULL ||
		hash_search(table, &grant_id, HASH_FIND, NULL) != NULL)
		return;
	/* copy first: an error while copying must not leave a half-made entry */
	copy.grant_id = grant_id;
	copy.subject = MemoryContextStrdup(grant_cxt, subject);
	copy.client_id = MemoryContextStrdup(grant_cxt, client_id);
	copy.created_at = created_at;
	copy.slot = grant_evict();
	e = hash_search(table, &grant_id, HASH_ENTER, NULL);
	*e = copy;
	grant_clock.entries[copy.slot] = e;
}

/*
 * Whether the token's subject and client are its grant's, and it was issued
 * after the grant was made (iat has whole seconds): a grant id used again
 * (a database restored from a dump restarts the sequence) does not take
 * in the tokens of the grant that had it.  NULL or a reason.
 */
static const char *
grant_matches(const char *subject, const char *client_id, TimestampTz created_at,
			  const Verified *v)
{
	if (strcmp(subject, v->subject) != 0 || strcmp(client_id, v->client_id) != 0 ||
		v->issued_at + USECS_PER_SEC <= created_at)
		return "token does not match its grant";
	return NULL;
}

/*
 * Look the grant up, and the token in the deny list; NULL or a reason.  A
 * grant found unrevoked is remembered.
 */
static const char *
grant_lookup(int64 grant_id, const char *jti, const Verified *v)
{
	static SPIPlanPtr plan = NULL;
	uint64		generation = cache_generation;
	Datum		values[2];
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	const char *reason;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT g.revoked_at IS NULL, EXISTS"
				" (SELECT FROM mcp_oauth.revoked_access_tokens r"
				" WHERE r.jti OPERATOR(pg_catalog.=) $2),"
				" g.subject, g.client_id, g.created_at"
				" FROM mcp_oauth.grants g"
				" WHERE g.grant_id OPERATOR(pg_catalog.=) $1",
				2, (Oid[]) {INT8OID, UUIDOID});
	values[0] = Int64GetDatum(grant_id);
	values[1] = DirectFunctionCall1(uuid_in, CStringGetDatum(jti));
	/* not read-only: a snapshot taken now, after generation (see grant_store) */
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the grant of an access token");
	if (SPI_processed == 0)
	{
		mo_spi_finish();
		return "unknown token";
	}
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	if (!DatumGetBool(SPI_getbinval(row, desc, 1, &isnull)))
		reason = "token revoked";
	else
	{
		char	   *subject = SPI_getvalue(row, desc, 3);
		char	   *client_id = SPI_getvalue(row, desc, 4);
		TimestampTz created_at =
			DatumGetTimestampTz(SPI_getbinval(row, desc, 5, &isnull));

		grant_store(grant_id, subject, client_id, created_at, generation);
		reason = DatumGetBool(SPI_getbinval(row, desc, 2, &isnull)) ?
			"token revoked" : grant_matches(subject, client_id, created_at, v);
	}
	mo_spi_finish();
	return reason;
}

/*
 * The token's grant: present, unrevoked, same subject and client; and the
 * token not revoked by itself (revoked_access_tokens).  Without a query
 * when the grant is cached and the revoked ids are known in memory.
 */
static const char *
check_grant(const json_doc *claims, const char *jti, const Verified *v)
{
	HTAB	   *table;
	GrantEntry *e;
	int64		grant_id;
	DenyAnswer	deny;

	if (!uuid_shaped(jti))
		return "malformed jti";
	if (!claim_grant_id(claims, &grant_id))
		return "missing or malformed grant_id";
	if (mo_grant_cache_size == 0 || grant_table() == NULL)
		return grant_lookup(grant_id, jti, v);
	/* the deny list first: its query may take in a revocation, emptying the table */
	deny = deny_check(jti);
	if (deny == DENY_REVOKED)
		return "token revoked";
	if (deny == DENY_NOT_REVOKED && (table = grant_table()) != NULL &&
		(e = hash_search(table, &grant_id, HASH_FIND, NULL)) != NULL)
	{
		grant_clock.used[e->slot] = true;
		return grant_matches(e->subject, e->client_id, e->created_at, v);
	}
	return grant_lookup(grant_id, jti, v);
}

/* Whether the header typ is at+jwt (RFC 9068 section 4, case-insensitive). */
static bool
typ_is_at_jwt(const char *typ)
{
	return typ != NULL && (pg_strcasecmp(typ, "at+jwt") == 0 ||
						   pg_strcasecmp(typ, "application/at+jwt") == 0);
}

/* Verify a JWT access token for configured; NULL (v filled) or a reason. */
static const char *
verify_jwt(const char *token, const char *configured, Verified *v)
{
	jwt_parsed p;
	const char *reason;
	const char *iss,
			   *jti,
			   *scope;

	if ((reason = jwt_parse(token, palloc, &p)) != NULL)
		return reason;
	if (!typ_is_at_jwt(p.typ))
		return "not an access token (typ)";
	if (!mo_check_jwt_signature(&p, &reason))
		return reason;
	iss = claim_string(&p.claims, "iss");
	if (iss == NULL || strcmp(iss, mo_issuer) != 0)
		return "wrong issuer";
	if (!aud_matches(json_get(&p.claims, "aud"), configured))
		return "token not for this resource";
	if ((reason = check_times(&p.claims, v)) != NULL)
		return reason;
	v->kind = 'j';
	v->subject = (char *) claim_string(&p.claims, "sub");
	v->client_id = (char *) claim_string(&p.claims, "client_id");
	jti = claim_string(&p.claims, "jti");
	scope = claim_string(&p.claims, "scope");
	if (v->subject == NULL || v->client_id == NULL || jti == NULL)
		return "missing sub, client_id or jti";
	if (json_get(&p.claims, "scope") != NULL &&
		(scope == NULL || !mo_scope_parse(scope, &v->scopes)))
		return "malformed scope";
	return check_grant(&p.claims, jti, v);
}

/* Record that a PAT was used, at most once an hour (the hot path stays read-only). */
static void
touch_pat(Verified *v)
{
	TimestampTz now = now_ts();
	Interval	touch_interval = {.time = PAT_TOUCH_INTERVAL};

	if (v->last_used != DT_NOBEGIN && now - v->last_used < PAT_TOUCH_INTERVAL)
		return;
	if (XactReadOnly || RecoveryInProgress())
		return;
	mo_spi_check_write(SPI_execute_with_args("UPDATE mcp_oauth.personal_access_tokens"
											 " SET last_used_at = pg_catalog.now()"
											 " WHERE pat_id OPERATOR(pg_catalog.=) $1"
											 " AND (last_used_at IS NULL"
											 " OR last_used_at OPERATOR(pg_catalog.<)"
											 " (pg_catalog.now() OPERATOR(pg_catalog.-) $2))",
											 2, (Oid[]) {INT8OID, INTERVALOID},
											 (Datum[]) {Int64GetDatum(v->pat_id),
											 IntervalPGetDatum(&touch_interval)},
											 NULL, false, 0),
					   SPI_OK_UPDATE, "personal_access_tokens");
	v->last_used = now;
}

/* A timestamptz column of the first row, or DT_NOBEGIN when null. */
static TimestampTz
row_time(int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								  col, isnull);

	return *isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * Check the PAT row just fetched and fill v; NULL or a reason.
 * SPI-connected: v's strings and list are made in the caller's context,
 * since mo_spi_finish() frees SPI's.
 */
static const char *
check_pat_row(const char *configured, Verified *v)
{
	HeapTuple	row = SPI_tuptable->vals[0];
	TupleDesc	desc = SPI_tuptable->tupdesc;
	char	   *resource = SPI_getvalue(row, desc, 4);
	bool		isnull;
	MemoryContext old;

	if (DatumGetBool(SPI_getbinval(row, desc, 7, &isnull)))
		return "token revoked";
	v->expires_at = row_time(5, &isnull);
	v->has_expiry = !isnull;
	if (expired(v->has_expiry, v->expires_at))
		return "token expired";
	if (resource != NULL && !same_resource(resource, configured))
		return "token not for this resource";
	v->kind = 'p';
	v->pat_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	old = MemoryContextSwitchTo(mo_spi_caller_context());
	v->subject = SPI_getvalue(row, desc, 2);
	v->scopes = mo_text_array_to_list(SPI_getbinval(row, desc, 3, &isnull));
	MemoryContextSwitchTo(old);
	v->client_id = NULL;
	v->last_used = row_time(6, &isnull);
	touch_pat(v);
	return NULL;
}

/* Verify a personal access token for configured; NULL (v filled) or a reason. */
static const char *
verify_pat(const char *token, const char *configured, Verified *v)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[1];
	const char *reason;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT pat_id, subject, scopes, resource, expires_at,"
				" last_used_at, revoked_at IS NOT NULL"
				" FROM mcp_oauth.personal_access_tokens"
				" WHERE token_hash OPERATOR(pg_catalog.=) $1",
				1, (Oid[]) {BYTEAOID});
	values[0] = PointerGetDatum(mo_sha256(token));
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up personal access token");
	reason = SPI_processed == 0 ? "unknown token" : check_pat_row(configured, v);
	mo_spi_finish();
	return reason;
}

/* Verify token from scratch (PAT or JWT); NULL (v filled) or a reason. */
static const char *
verify_uncached(const char *token, const char *configured, Verified *v)
{
	memset(v, 0, sizeof(*v));
	if (strncmp(token, PAT_PREFIX, strlen(PAT_PREFIX)) == 0)
		return pat_valid(token) ? verify_pat(token, configured, v) : "malformed token";
	return verify_jwt(token, configured, v);
}

/*
 * The RFC 9728 metadata URL of resource: /.well-known/oauth-protected-resource
 * inserted between the host and the path (a lone "/" path is dropped).
 */
static char *
prm_url(const char *resource)
{
	const char *authority = strstr(resource, "://");
	const char *path;
	int			origin_len;

	authority = authority ? authority + 3 : resource;
	path = authority + strcspn(authority, "/?#");
	origin_len = (int) (path - resource);
	if (strcmp(path, "/") == 0)
		path = "";
	return psprintf("%.*s/.well-known/oauth-protected-resource%s",
					origin_len, resource, path);
}

/* Whether s may go inside a quoted scope challenge (RFC 6749 scope-token characters). */
static void
check_scope_names(List *scopes)
{
	ListCell   *lc;

	foreach(lc, scopes)
	{
		const char *s = lfirst(lc);

		for (const char *p = s; *p; p++)
			if (*p < 0x21 || *p > 0x7E || *p == '"' || *p == '\\')
				ereport(ERROR,
						(errcode(ERRCODE_MO_INVALID_SCOPE),
						 errmsg("required scope \"%s\" is not a valid scope name", s)));
		if (*s == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_MO_INVALID_SCOPE),
					 errmsg("required scope must not be empty")));
	}
}

/* The WWW-Authenticate challenge (RFC 6750 section 3, RFC 9728 section 5.1). */
static char *
challenge(const char *resource, const char *error, const char *description,
		  List *required)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "Bearer resource_metadata=\"%s\"", prm_url(resource));
	if (error != NULL)
		appendStringInfo(&buf, ", error=\"%s\", error_description=\"%s\"",
						 error, description);
	if (required != NIL)
		appendStringInfo(&buf, ", scope=\"%s\"", mo_scope_join(required));
	return buf.data;
}

/* A text Datum or SQL NULL. */
static void
set_text(Datum *values, bool *nulls, int i, const char *s)
{
	nulls[i] = (s == NULL);
	values[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* The row type this function returns; looked up once per backend. */
static Oid
result_type(FunctionCallInfo fcinfo)
{
	static Oid	fn_oid = InvalidOid;
	static Oid	type_oid = InvalidOid;

	if (fcinfo->flinfo->fn_oid != fn_oid || !OidIsValid(type_oid))
	{
		type_oid = get_func_rettype(fcinfo->flinfo->fn_oid);
		fn_oid = fcinfo->flinfo->fn_oid;
	}
	return type_oid;
}

/* The tuple descriptor of token_verification from the type cache (the caller releases it). */
static TupleDesc
result_desc(FunctionCallInfo fcinfo)
{
	return lookup_rowtype_tupdesc(result_type(fcinfo), -1);
}

/* The token_verification row. */
static Datum
result_row(FunctionCallInfo fcinfo, bool active, const Verified *v,
		   const char *error, const char *description, const char *www)
{
	TupleDesc	tupdesc = result_desc(fcinfo);
	Datum		result;
	Datum		values[9];
	bool		nulls[9] = {false};

	values[0] = BoolGetDatum(active);
	set_text(values, nulls, 1, v ? v->subject : NULL);
	set_text(values, nulls, 2, v ? v->client_id : NULL);
	nulls[3] = (v == NULL);
	values[3] = v ? mo_list_to_text_array(v->scopes) : (Datum) 0;
	nulls[4] = (v == NULL || !v->has_expiry);
	values[4] = nulls[4] ? (Datum) 0 : TimestampTzGetDatum(v->expires_at);
	set_text(values, nulls, 5, v ? (v->kind == 'j' ? "jwt" : "pat") : NULL);
	set_text(values, nulls, 6, error);
	set_text(values, nulls, 7, description);
	set_text(values, nulls, 8, www);
	result = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	ReleaseTupleDesc(tupdesc);
	return result;
}

/*
 * The active answer for a cached token: formed once per entry, then copied
 * from the cache (the common case of a gateway's calls).
 */
static Datum
cached_active_row(FunctionCallInfo fcinfo, CacheEntry *e)
{
	HeapTupleHeader row;
	Size		len;

	if (e->active_row != NULL &&
		HeapTupleHeaderGetTypeId(e->active_row) != result_type(fcinfo))
	{
		pfree(e->active_row);	/* of another row type: made again */
		e->active_row = NULL;
	}
	if (e->active_row == NULL)
	{
		Verified	v;
		HeapTupleHeader made;

		entry_to_verified(e, &v);
		made = DatumGetHeapTupleHeader(result_row(fcinfo, true, &v, NULL, NULL, NULL));
		len = HeapTupleHeaderGetDatumLength(made);
		row = MemoryContextAlloc(cache_cxt, len);
		memcpy(row, made, len);
		e->active_row = row;
	}
	len = HeapTupleHeaderGetDatumLength(e->active_row);
	row = palloc(len);
	memcpy(row, e->active_row, len);
	PG_RETURN_HEAPTUPLEHEADER(row);
}

/*
 * mo_match_resource(requested), remembered for the last (requested,
 * mcp_oauth.resources) pair: a gateway asks for the same resource on every
 * call, and canonicalizing URIs is a good part of the cached path.
 */
static const char *
match_resource_memo(const char *requested)
{
	static char *last_requested = NULL;
	static char *last_resources = NULL;
	static char *last_match = NULL;
	const char *match;

	if (requested != NULL && last_requested != NULL && mo_resources != NULL &&
		strcmp(requested, last_requested) == 0 &&
		strcmp(mo_resources, last_resources) == 0)
		return pstrdup(last_match);	/* a nested call may replace it */
	match = mo_match_resource(requested);
	if (requested != NULL && match != NULL && mo_resources != NULL)
	{
		if (last_requested != NULL)
		{
			pfree(last_requested);
			pfree(last_resources);
			pfree(last_match);
		}
		last_requested = MemoryContextStrdup(TopMemoryContext, requested);
		last_resources = MemoryContextStrdup(TopMemoryContext, mo_resources);
		last_match = MemoryContextStrdup(TopMemoryContext, match);
	}
	return match;
}

/*
 * The required scopes argument as a checked list, remembered for the last
 * array given (a call site asks for the same scopes every time); NIL for
 * SQL NULL.  The caller gets its own copy: a nested call (from a policy or
 * trigger on a table the outer call reads) may replace the remembered one.
 */
static List *
required_scopes(FunctionCallInfo fcinfo)
{
	static ArrayType *last_array = NULL;
	static List *last_list = NIL;
	ArrayType  *arr;
	MemoryContext old;
	List	   *list;
	List	   *copy;

	if (PG_ARGISNULL(2))
		return NIL;
	arr = PG_GETARG_ARRAYTYPE_P(2);
	if (last_array != NULL && VARSIZE(arr) == VARSIZE(last_array) &&
		memcmp(arr, last_array, VARSIZE(arr)) == 0)
		return mo_string_list_copy(last_list);
	list = mo_text_array_to_list(PointerGetDatum(arr));
	check_scope_names(list);	/* raises: nothing remembered */
	if (last_array != NULL)
	{
		pfree(last_array);
		list_free_deep(last_list);
		last_array = NULL;
		last_list = NIL;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	copy = mo_string_list_copy(list);
	last_array = palloc(VARSIZE(arr));
	memcpy(last_array, arr, VARSIZE(arr));
	last_list = copy;
	MemoryContextSwitchTo(old);
	return list;
}

/* The configured resource the resource argument names; raises when none. */
static const char *
configured_resource(FunctionCallInfo fcinfo)
{
	const char *requested = mo_arg_cstring(fcinfo, 1);
	const char *configured = match_resource_memo(requested);

	if (configured == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_TARGET),
				 errmsg("resource \"%s\" is not configured", requested ? requested : ""),
				 errhint("List it in mcp_oauth.resources.")));
	return configured;
}

/*
 * verify_access_token(token text, resource text, required_scopes text[])
 *		-> token_verification.
 * No token: inactive, no error code (RFC 6750 section 3.1).  Invalid:
 * invalid_token.  Valid but short of a required scope: inactive with
 * insufficient_scope (the identity columns are filled, for logging).
 */
Datum
verify_access_token(PG_FUNCTION_ARGS)
{
	const char *token = mo_arg_cstring(fcinfo, 0);
	const char *configured = configured_resource(fcinfo);
	List	   *required = required_scopes(fcinfo);
	unsigned char key[SHA256_DIGEST_LENGTH];
	bool		use_cache = cache_table() != NULL;	/* off: no key to hash */
	CacheEntry *e = NULL;
	Verified	v;
	const char *reason;

	if (token == NULL || token[0] == '\0')
		return result_row(fcinfo, false, NULL, NULL, NULL,
						  challenge(configured, NULL, NULL, required));
	if (use_cache)
	{
		cache_key(token, configured, key);
		if ((e = cache_entry(key)) != NULL && mo_scope_subset(required, e->scopes))
			return cached_active_row(fcinfo, e);
		if (e != NULL)
			entry_to_verified(e, &v);
	}
	if (e == NULL)
	{
		uint64		generation;

		(void) grants_oid();	/* so the callback recognizes grants */
		generation = cache_generation;
		if ((reason = verify_uncached(token, configured, &v)) != NULL)
			return result_row(fcinfo, false, NULL, "invalid_token", reason,
							  challenge(configured, "invalid_token", reason, required));
		if (use_cache)
			cache_store(key, &v, generation);
	}
	if (!mo_scope_subset(required, v.scopes))
	{
		reason = "the token lacks a required scope";
		return result_row(fcinfo, false, &v, "insufficient_scope", reason,
						  challenge(configured, "insufficient_scope", reason, required));
	}
	return result_row(fcinfo, true, &v, NULL, NULL, NULL);
}
