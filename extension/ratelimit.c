/*
 * ratelimit.c
 *		Sliding-window counters in mcp_oauth.rate_limits, shared by the
 *		sign-in throttle (accounts.c) and the registration limit
 *		(register.c).
 *
 * A bucket is one row: the start of its current window, the attempts
 * counted in it (hits) and in the window before (prev_hits).  The count an
 * attempt is judged by is hits + prev_hits weighted by the share of the
 * previous window still inside the last window_secs, so that a window
 * boundary does not hand out a fresh allowance: a burst at the end of one
 * window still counts in full at the start of the next.
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
 * Count one attempt in bucket $1 (window $2 seconds) and say whether the
 * weighted count is over $3.  The window rolls on when it has ended: the
 * one just ended becomes the previous one, or, after a whole idle window,
 * counting starts afresh.  A transaction that started before another one
 * rolled the row sees a window that starts after its now(): the previous
 * window then counts in full.
 */
#define RATE_TAKE_SQL \
	"INSERT INTO mcp_oauth.rate_limits AS r (bucket, window_start, hits, prev_hits)" \
	" VALUES ($1, now(), 1, 0)" \
	" ON CONFLICT (bucket) DO UPDATE SET" \
	"  window_start = CASE" \
	"   WHEN now() < r.window_start + make_interval(secs => $2) THEN r.window_start" \
	"   WHEN now() < r.window_start + make_interval(secs => 2 * $2)" \
	"    THEN r.window_start + make_interval(secs => $2)" \
	"   ELSE now() END," \
	"  prev_hits = CASE" \
	"   WHEN now() < r.window_start + make_interval(secs => $2) THEN r.prev_hits" \
	"   WHEN now() < r.window_start + make_interval(secs => 2 * $2) THEN r.hits" \
	"   ELSE 0 END," \
	"  hits = CASE" \
	"   WHEN now() < r.window_start + make_interval(secs => $2) THEN r.hits" \
	"   ELSE 0 END + 1" \
	" RETURNING prev_hits * (1 - least(1, greatest(0," \
	"  extract(epoch FROM now() - window_start) / $2))) + hits > $3"

/* Take back one attempt counted in bucket $1 by this transaction. */
#define RATE_RETURN_SQL \
	"UPDATE mcp_oauth.rate_limits SET hits = hits - 1" \
	" WHERE bucket = $1 AND hits > 0"

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
