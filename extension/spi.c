/*
 * spi.c
 *		SPI connections of the endpoint functions, and handing their
 *		result back in the caller's memory context.
 *
 * Every SPI query leaves CurrentMemoryContext in SPI's procedure context,
 * which SPI_finish frees; so a result built while connected must be
 * copied to the caller's context before mo_spi_finish().
 */
#include "mcp_oauth.h"
#include "compat.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#define MO_SPI_MAX_DEPTH 8

static MemoryContext caller_contexts[MO_SPI_MAX_DEPTH];
static SubTransactionId connect_subxacts[MO_SPI_MAX_DEPTH];
static int	spi_depth = 0;

/* Connect to SPI, remembering the caller's memory context. */
void
mo_spi_connect(void)
{
	/* an operator's trigger calling an endpoint function may nest them */
	if (spi_depth >= MO_SPI_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("mcp_oauth functions nested too deeply"),
				 errdetail("At most %d calls of mcp_oauth functions may be nested.",
						   MO_SPI_MAX_DEPTH)));
	caller_contexts[spi_depth] = CurrentMemoryContext;
	connect_subxacts[spi_depth] = GetCurrentSubTransactionId();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "could not connect to SPI");
	spi_depth++;
}

/* Disconnect from SPI; CurrentMemoryContext is the caller's again. */
void
mo_spi_finish(void)
{
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "could not disconnect from SPI");
	if (spi_depth > 0)
		spi_depth--;
}

/* The memory context of the function that called mo_spi_connect(). */
MemoryContext
mo_spi_caller_context(void)
{
	if (spi_depth == 0)
		elog(ERROR, "not connected to SPI");
	return caller_contexts[spi_depth - 1];
}

/* Build the http_response row in the caller's context, then disconnect. */
Datum
mo_spi_finish_response(FunctionCallInfo fcinfo, const MoResponse *r)
{
	MemoryContext old = MemoryContextSwitchTo(mo_spi_caller_context());
	Datum		result = mo_response_datum(fcinfo, r);

	MemoryContextSwitchTo(old);
	mo_spi_finish();
	return result;
}

/* The oid of mcp_oauth.<name>, or InvalidOid if there is none. */
Oid
mo_relid(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("mcp_oauth", false));
}

/* Forget the connections of a transaction that ended mid-function. */
static void
spi_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		spi_depth = 0;
}

/* Forget the connections made inside a subtransaction that rolled back. */
static void
spi_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	while (spi_depth > 0 && connect_subxacts[spi_depth - 1] >= mySubid)
		spi_depth--;
}

/* Register the abort callbacks; called once from _PG_init. */
void
mo_spi_init(void)
{
	RegisterXactCallback(spi_xact_callback, NULL);
	RegisterSubXactCallback(spi_subxact_callback, NULL);
}

/*
 * Prepare sql once per backend and keep the plan in *plan.  The plan is
 * generic: every query here is a key lookup or a write whose best plan does
 * not depend on the parameter values, and a custom plan would be planned
 * again at every call.
 */
SPIPlanPtr
mo_spi_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare_cursor(sql, nargs, argtypes,
											   CURSOR_OPT_GENERIC_PLAN);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = p;
	}
	return *plan;
}

/*
 * Run a kept plan (read_only false; nulls as SPI_execute_plan takes them);
 * raise if SPI fails, else return its result.  SPI leaves its procedure
 * context current after a call: switch back to the caller's.
 */
static int
run_plan(SPIPlanPtr plan, Datum *values, const char *nulls, long limit)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc = SPI_execute_plan(plan, values, nulls, false, limit);

	MemoryContextSwitchTo(cxt);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* Run a kept plan (read_only false); raise if SPI fails. */
void
mo_spi_run(SPIPlanPtr plan, Datum *values, long limit)
{
	(void) run_plan(plan, values, NULL, limit);
}

/*
 * Make the generic plan of a kept plan now, with sequential and bitmap
 * scans off: the plan cache keeps it until an invalidation (an ANALYZE, a
 * change of the table), and made from a small table's statistics it would
 * be a sequential scan kept while the table grows.  Only the planning runs
 * under these settings, not the statement (nor an operator's trigger).
 */
static void
plan_by_key(SPIPlanPtr plan)
{
	int			level = NewGUCNestLevel();
	CachedPlan *cplan;

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_bitmapscan", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	cplan = SPI_plan_get_cached_plan(plan);
	if (cplan == NULL)
		elog(ERROR, "SPI_plan_get_cached_plan failed");
	ReleaseCachedPlan(cplan, CurrentResourceOwner);
	AtEOXact_GUC(true, level);
}

/*
 * Prepare (once) and run a plan of key lookups and writes by key (see
 * mcp_oauth.h); its generic plan is made by plan_by_key whenever the plan
 * cache would make it again.  An invalidation cannot slip in between: the
 * planning took the tables' locks, which the run finds held already.
 * Returns SPI_execute_plan's result.
 */
int
mo_spi_run_by_key(MoKeyPlan *kp, const char *sql, int nargs, Oid *argtypes,
				  Datum *values, const char *nulls, long limit)
{
	mo_spi_plan(&kp->plan, sql, nargs, argtypes);
	if (!kp->planned || !SPI_plan_is_valid(kp->plan))
	{
		kp->planned = false;
		plan_by_key(kp->plan);
		kp->planned = true;
	}
	return run_plan(kp->plan, values, nulls, limit);
}

/* mo_spi_run_by_key with one parameter of type argtype. */
void
mo_spi_run_by_key1(MoKeyPlan *kp, const char *sql, Oid argtype, Datum arg,
				   long limit)
{
	(void) mo_spi_run_by_key(kp, sql, 1, &argtype, &arg, NULL, limit);
}

/* Prepare (once) and run a plan of one parameter of type argtype. */
void
mo_spi_exec1(SPIPlanPtr *plan, const char *sql, Oid argtype, Datum arg,
			 long limit)
{
	Datum		values[1] = {arg};

	mo_spi_plan(plan, sql, 1, &argtype);
	mo_spi_run(*plan, values, limit);
}

/* Parameter i of a plan (values, nulls as SPI_execute_plan takes them): the text s, or NULL. */
void
mo_spi_text_param(Datum *values, char *nulls, int i, const char *s)
{
	values[i] = s ? CStringGetTextDatum(s) : (Datum) 0;
	nulls[i] = s ? ' ' : 'n';
}

/* Column colno of row 0 of SPI_tuptable as a Datum; *isnull set. */
Datum
mo_spi_datum(int colno, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, colno,
						 isnull);
}

/* Column colno of row 0 of SPI_tuptable as a palloc'd C string, or NULL. */
char *
mo_spi_text(int colno)
{
	bool		isnull;
	Datum		d = mo_spi_datum(colno, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * Raise unless rc, the result of a write to mcp_oauth.<table>, is expected.
 * An operator's rule on the table can replace the statement
 * (SPI_OK_REWRITTEN); anything else cannot happen.
 */
void
mo_spi_check_write(int rc, int expected, const char *table)
{
	if (rc == expected)
		return;
	if (rc == SPI_OK_REWRITTEN)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write to table \"mcp_oauth.%s\"", table),
				 errdetail("A rule on the table replaced the statement."),
				 errhint("The extension writes its tables itself: drop the rule.")));
	elog(ERROR, "unexpected SPI result %s writing table \"mcp_oauth.%s\"",
		 SPI_result_code_string(rc), table);
}

/* Relcache callback of a table cache: its table changed (or everything did). */
static void
table_cache_callback(Datum arg, Oid relid)
{
	MoTableCache *cache = (MoTableCache *) DatumGetPointer(arg);

	if (relid == InvalidOid || relid == cache->relid)
	{
		cache->valid = false;
		cache->relid = InvalidOid;
		cache->changes++;
	}
}

/* Register the callback of a table cache (once, from _PG_init). */
void
mo_table_cache_register(MoTableCache *cache)
{
	CacheRegisterRelcacheCallback(table_cache_callback, PointerGetDatum(cache));
}

/*
 * Whether the copy must be loaded now; then *ticket is for
 * mo_table_cache_loaded() once the new copy is complete.  In read
 * committed the load's fresh snapshot sees every change whose invalidation
 * has arrived (a committer leaves the proc array before it sends them).
 */
bool
mo_table_cache_reload(MoTableCache *cache, uint64 *ticket)
{
	if (cache->valid && (cache->any_xact || cache->lxid == MO_LOCAL_XID()))
		return false;
	cache->relid = mo_relid(cache->relname);
	*ticket = cache->changes;
	return true;
}

/* A load begun at ticket is complete: current, unless a change arrived since. */
void
mo_table_cache_loaded(MoTableCache *cache, uint64 ticket)
{
	cache->valid = cache->changes == ticket;
	cache->any_xact = !IsolationUsesXactSnapshot();
	cache->lxid = MO_LOCAL_XID();
}

/* The hash table of a row copy, emptied first when stale or full. */
HTAB *
mo_row_cache_hash(MoRowCache *cache, bool full)
{
	uint64		ticket;
	bool		stale = mo_table_cache_reload(&cache->table, &ticket);
	HASHCTL		ctl;

	if (!stale && cache->hash != NULL && !full)
		return cache->hash;
	if (cache->cxt == NULL)
	{
		cache->cxt = AllocSetContextCreate(TopMemoryContext, "mcp_oauth row copy",
										   ALLOCSET_DEFAULT_SIZES);
		MemoryContextSetIdentifier(cache->cxt, cache->name);
	}
	cache->hash = NULL;			/* no pointer into the context while it is reset */
	MemoryContextReset(cache->cxt);
	ctl.keysize = MO_ROW_KEY_SIZE;
	ctl.entrysize = cache->entrysize;
	ctl.hcxt = cache->cxt;
	cache->hash = hash_create(cache->name, 64, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	if (stale)
		mo_table_cache_loaded(&cache->table, ticket);
	return cache->hash;
}

/*
 * mo_table_cache_loaded() for a copy loaded into its own context, made
 * under the caller's (so that a failed load is freed with it): loaded
 * lives on in place of *current, which is deleted.
 */
void
mo_table_cache_swap(MoTableCache *cache, uint64 ticket, MemoryContext *current,
					MemoryContext loaded)
{
	MemoryContextSetParent(loaded, TopMemoryContext);
	if (*current != NULL)
		MemoryContextDelete(*current);
	*current = loaded;
	mo_table_cache_loaded(cache, ticket);
}

/* Whether the copy must be loaded now (then it counts as loaded). */
bool
mo_table_cache_stale(MoTableCache *cache)
{
	uint64		ticket;

	if (!mo_table_cache_reload(cache, &ticket))
		return false;
	mo_table_cache_loaded(cache, ticket);
	return true;
}
