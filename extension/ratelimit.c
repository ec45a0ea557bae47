/*
 * ratelimit.c
 *		Sliding-window counters in mcp_oauth.rate_limits, shared by the
 *		sign-in throttle (accounts.c) and the registration limit
 *		(register.c).
 *
 * A bucket is one row holding the times of the attempts it counted within
 * the last window (at most the limit of them: a refused attempt is not
 * kept).  An attempt is allowed when, with it, no more than the limit fall
 * within the window_secs before it: so no span of window_secs ever holds
 * more than the limit, whatever the clock says, and a bucket at its limit
 * opens again when its oldest attempt leaves the window.
 *
 * An attempt is counted before it is decided, by one INSERT ... ON CONFLICT
 * DO UPDATE ... RETURNING: the row lock it takes is held until the
 * transaction ends, so concurrent attempts on one bucket are counted one
 * after the other and each sees every attempt before it, committed or
 * not.  (The price: they wait for each other, a sign-in for as long as a
 * bcrypt computation.)  An attempt refused by any of its buckets is
 * counted in none of them.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

/*
 * Count one attempt in bucket $1 (window $2 seconds): the attempts older
 * than the window go, this one is added last; whether there are now more
 * than $3.
 */
#define RATE_TAKE_SQL \
	"INSERT INTO mcp_oauth.rate_limits AS r (bucket, attempts)" \
	" VALUES ($1, ARRAY[now()])" \
	" ON CONFLICT (bucket) DO UPDATE SET attempts =" \
	"  (SELECT coalesce(array_agg(a ORDER BY a), '{}') FROM unnest(r.attempts) a" \
	"   WHERE a > now() - make_interval(secs => $2)) || now()" \
	" RETURNING cardinality(attempts) > $3"

/*
 * Take back the attempt counted in bucket $1 by this transaction: the last
 * one (the row has been locked since it was added).
 */
#define RATE_RETURN_SQL \
	"UPDATE mcp_oauth.rate_limits SET attempts = attempts[1:cardinality(attempts) - 1]" \
	" WHERE bucket = $1"

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
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, INT4OID, INT4OID};
	Datum		values[3];
	bool		isnull;

	values[0] = CStringGetTextDatum(bucket);
	values[1] = Int32GetDatum(window_secs);
	values[2] = Int32GetDatum(limit);
	mo_spi_check_write(SPI_execute_plan(mo_spi_plan(&plan, RATE_TAKE_SQL, 3, types),
										values, NULL, false, 1),
					   SPI_OK_INSERT_RETURNING, "rate_limits");
	if (SPI_processed != 1)
		raise_not_counted();
	return DatumGetBool(mo_spi_datum(1, &isnull)) && !isnull;
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

/*
 * Count one attempt in each bucket, in order (NULL entries skipped); true
 * if none is over limit attempts per window_secs.  A refused attempt is
 * counted in none of them.  Inside SPI.
 */
bool
mo_rate_limit_take(const char *const *buckets, int nbuckets,
				   int window_secs, int limit)
{
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
