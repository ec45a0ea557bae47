/*
 * ratelimit.c
 *		Sliding-window counters in mcp_oauth.rate_limits, shared by the
 *		sign-in throttle (accounts.c), the registration limit
 *		(register.c) and the limit on fetches of client metadata
 *		documents (cimd_policy.c).
 *
 * A row counts the attempts of one bucket made at one time (window_start
 * is the transaction's now()).  An attempt is allowed when, with it, no
 * more than the limit fall within the window_secs before it: no span of
 * window_secs ever holds more than the limit, whatever the clock says, and
 * a bucket at its limit opens again as its oldest attempts leave the
 * window.  A refused attempt is not kept, so a bucket holds at most the
 * limit of attempts per window.  (The table is 0.2.0's, whose rows counted
 * a fixed window from its start: they read the same, so the library works
 * before and after ALTER EXTENSION UPDATE.)
 *
 * An attempt is counted before it is decided: a transaction-scoped
 * advisory lock on the bucket serializes its attempts, then one statement
 * adds this one (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) and sums
 * the window.  The lock is held until the transaction ends, so each
 * attempt sees every attempt before it, and concurrent attempts on one
 * bucket wait for each other (a sign-in for as long as a bcrypt
 * computation).  An attempt refused by any of its buckets is counted in
 * none of them.
 *
 * The counts are only right at READ COMMITTED, where each statement after
 * the lock takes a snapshot that sees the attempts before it.  At
 * REPEATABLE READ or SERIALIZABLE the transaction's snapshot is taken
 * before the lock is waited for, and overlapping attempts would miss each
 * other: there an attempt is refused with an error (fail closed).
 *
 * A client address is counted by what its owner can change cheaply: an
 * IPv4 address alone, an IPv6 address by its /64 (the least a site or a
 * home is given; rotating through it is free), and an IPv4-mapped IPv6
 * address (::ffff:a.b.c.d, a dual-stack socket's IPv4 peer) as its IPv4
 * address.
 */
#include "mcp_oauth.h"

#include <sys/socket.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/inet.h"

/* Seed of the advisory lock keys of buckets (register.c's locks use 7591). */
#define RATE_LOCK_SEED "6585"

/* Serialize the attempts on bucket $1 until the transaction ends. */
#define RATE_LOCK_SQL \
	"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, " RATE_LOCK_SEED "))"

/*
 * Count one attempt in bucket $1 and say whether the attempts within the
 * last $2 seconds, this one included, are more than $3.  The sum leaves
 * out the row this statement writes (it sees the table as before the
 * statement) and adds that row's new count.
 */
#define RATE_TAKE_SQL \
	"WITH c AS (INSERT INTO mcp_oauth.rate_limits AS r (bucket, window_start, hits)" \
	"  VALUES ($1, now(), 1)" \
	"  ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + 1" \
	"  RETURNING hits)" \
	" SELECT (SELECT hits FROM c) + coalesce((SELECT sum(hits) FROM mcp_oauth.rate_limits" \
	"  WHERE bucket = $1 AND window_start <> now()" \
	"  AND window_start > now() - make_interval(secs => $2)), 0) > $3"

/* Take back one attempt counted in bucket $1 by this transaction. */
#define RATE_RETURN_SQL \
	"WITH d AS (DELETE FROM mcp_oauth.rate_limits" \
	"  WHERE bucket = $1 AND window_start = now() AND hits = 1)" \
	" UPDATE mcp_oauth.rate_limits SET hits = hits - 1" \
	" WHERE bucket = $1 AND window_start = now() AND hits > 1"

/* Raise for a count that changed no row: only an operator's trigger or rule does that. */
static void
raise_not_counted(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_MO_SERVER_ERROR),
			 errmsg("could not count an attempt"),
			 errdetail("The statement on mcp_oauth.rate_limits changed no row."),
			 errhint("Check the triggers and rules on mcp_oauth.rate_limits.")));
}

/* Count one attempt in bucket; whether it is over limit (inside SPI). */
static bool
rate_take_one(const char *bucket, int window_secs, int limit)
{
	static SPIPlanPtr lock_plan = NULL;
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, INT4OID, INT4OID};
	Datum		values[3];
	bool		isnull;
	bool		over;

	values[0] = CStringGetTextDatum(bucket);
	values[1] = Int32GetDatum(window_secs);
	values[2] = Int32GetDatum(limit);
	mo_spi_run(mo_spi_plan(&lock_plan, RATE_LOCK_SQL, 1, types), values, 0);
	mo_spi_run(mo_spi_plan(&plan, RATE_TAKE_SQL, 3, types), values, 0);
	if (SPI_processed != 1)
		raise_not_counted();
	over = DatumGetBool(mo_spi_datum(1, &isnull));
	if (isnull)
		raise_not_counted();
	return over;
}

/* Take back one attempt counted in bucket by this transaction (inside SPI). */
static void
rate_return_one(const char *bucket)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(bucket)};

	mo_spi_check_write(SPI_execute_plan(mo_spi_plan(&plan, RATE_RETURN_SQL, 1, types),
										values, NULL, false, 0),
					   SPI_OK_UPDATE, "rate_limits");
}

/* Refuse to count at an isolation level whose snapshot predates the bucket lock. */
static void
require_read_committed(void)
{
	if (!IsolationUsesXactSnapshot())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
			 errmsg("rate limits need READ COMMITTED isolation"),
			 errdetail("At REPEATABLE READ or SERIALIZABLE, an attempt would not see the attempts that committed while it waited for its turn."),
			 errhint("Set default_transaction_isolation to \"read committed\" for the server's role and database.")));
}

/*
 * Count one attempt in each bucket, in order (NULL entries skipped); true
 * if none is over limit attempts per window_secs.  A refused attempt is
 * counted in none of them.  Raises unless at READ COMMITTED.  Inside SPI.
 */
bool
mo_rate_limit_take(const char *const *buckets, int nbuckets,
				   int window_secs, int limit)
{
	require_read_committed();
	for (int i = 0; i < nbuckets; i++)
	{
		if (buckets[i] == NULL || !rate_take_one(buckets[i], window_secs, limit))
			continue;
		mo_rate_limit_return(buckets, i + 1);
		return false;
	}
	return true;
}

/* Take back the attempt mo_rate_limit_take counted in these buckets (inside SPI). */
void
mo_rate_limit_return(const char *const *buckets, int nbuckets)
{
	for (int i = 0; i < nbuckets; i++)
	{
		if (buckets[i] != NULL)
			rate_return_one(buckets[i]);
	}
}

/* Whether the IPv6 address a (16 bytes) is IPv4-mapped, ::ffff:a.b.c.d. */
static bool
ipv4_mapped(const unsigned char *a)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/*
 * The client a rate limit counts for addr (inet text): an IPv4 address as
 * it is, an IPv4-mapped IPv6 address as its IPv4 address, another IPv6
 * address as its /64.
 */
char *
mo_rate_limit_addr(const char *addr)
{
	inet	   *ip = DatumGetInetPP(DirectFunctionCall1(inet_in, CStringGetDatum(addr)));
	const unsigned char *a = ip_addr(ip);

	if (ip_family(ip) == PGSQL_AF_INET)
		return pstrdup(addr);
	if (ipv4_mapped(a))
		return psprintf("%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	return DatumGetCString(DirectFunctionCall1(cidr_out,
											   InetPGetDatum(cidr_set_masklen_internal(ip, 64))));
}

/*
 * Whether addr (inet text), or the client a limit counts for it (key, from
 * mo_rate_limit_addr), is inside one of the CIDRs of
 * mcp_oauth.registration_allowlist: such a client is not counted by
 * address.  Inside SPI.
 */
bool
mo_rate_limit_allowlisted(const char *addr, const char *key)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;

	if (mo_registration_allowlist == NULL || mo_registration_allowlist[0] == '\0')
		return false;
	mo_spi_plan(&plan,
				"SELECT bool_or($1::inet <<= c OR $3::inet <<= c) FROM unnest(string_to_array("
				"regexp_replace($2, '\\s+', '', 'g'), ',')::cidr[]) c",
				3, types);
	values[0] = CStringGetTextDatum(addr);
	values[1] = CStringGetTextDatum(mo_registration_allowlist);
	values[2] = CStringGetTextDatum(key);
	if (SPI_execute_plan(plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check the registration allow-list");
	return DatumGetBool(mo_spi_datum(1, &isnull)) && !isnull;
}
