/*
 * row_write.c
 *		Rows written to the extension's own tables without a plan: the
 *		executor's simple-relation calls, as logical replication applies a
 *		row.  Constraints, indexes, generated columns and row triggers
 *		(UPDATE OF columns included) work as with INSERT and UPDATE;
 *		statement triggers do not fire.
 *
 * The token endpoint writes three rows per token response.  As one SQL
 * statement (data-modifying CTEs) the executor's start-up, the plan cache
 * and SPI cost about as much again as the writes; here they cost an
 * executor state, a range table and the tables' indexes opened.
 *
 * Columns are named and typed: a column an operator adds takes its
 * default, as with INSERT, and a column whose type changed is an error
 * rather than a value of the wrong type.
 */
#include "mcp_oauth.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#define MO_ROW_MAX_TABLES 4

struct MoRowWrite
{
	EState	   *estate;
	int			ntables;
	ResultRelInfo *rels[MO_ROW_MAX_TABLES];
	TupleTableSlot *slots[MO_ROW_MAX_TABLES];
	TupleTableSlot *old_slots[MO_ROW_MAX_TABLES];
	bool		updated[MO_ROW_MAX_TABLES];
};

/* Open mcp_oauth.name for row writes; raises if it is not a plain table. */
static Relation
open_table(const char *name)
{
	Oid			relid = mo_relid(name);
	Relation	rel;

	if (!OidIsValid(relid))
		elog(ERROR, "table mcp_oauth.%s does not exist", name);
	rel = table_open(relid, RowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		elog(ERROR, "mcp_oauth.%s is not a plain table", name);
	return rel;
}

/*
 * Open tables mcp_oauth.<names[i]> for row writes in this command; end
 * with mo_rows_end().  Each table may have one row updated in between.
 */
MoRowWrite *
mo_rows_begin(int ntables, const char *const *names)
{
	MoRowWrite *w = palloc0(sizeof(MoRowWrite));
	List	   *rtable = NIL;
	Relation	rels[MO_ROW_MAX_TABLES];

	if (ntables > MO_ROW_MAX_TABLES)
		elog(ERROR, "too many tables for one row write");
	PreventCommandIfReadOnly("INSERT");
	for (int i = 0; i < ntables; i++)
	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rels[i] = open_table(names[i]);
		rte->rtekind = RTE_RELATION;
		rte->relid = RelationGetRelid(rels[i]);
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rtable = lappend(rtable, rte);
	}
	w->estate = CreateExecutorState();
	w->estate->es_output_cid = GetCurrentCommandId(true);
	w->estate->es_snapshot = GetActiveSnapshot();
	ExecInitRangeTable(w->estate, rtable);
	w->ntables = ntables;
	for (int i = 0; i < ntables; i++)
	{
		w->rels[i] = makeNode(ResultRelInfo);
		InitResultRelInfo(w->rels[i], rels[i], i + 1, NULL, 0);
		ExecOpenIndices(w->rels[i], false);
		/* so that an AFTER trigger's event finds it (ExecGetTriggerResultRel) */
		w->estate->es_opened_result_relations =
			lappend(w->estate->es_opened_result_relations, w->rels[i]);
		w->slots[i] = table_slot_create(rels[i], &w->estate->es_tupleTable);
	}
	AfterTriggerBeginQuery();
	return w;
}

/* The 0-based attribute of column c in rel, which a write may set (not a generated one). */
static int
column_index(Relation rel, const MoColumn *c)
{
	int			a = mo_column_index(rel, c);

	if (TupleDescAttr(RelationGetDescr(rel), a)->attgenerated)
		elog(ERROR, "column %s of mcp_oauth.%s is not as the extension made it",
			 c->name, RelationGetRelationName(rel));
	return a;
}

/*
 * Put column a's default (NULL if none) into slot, as INSERT would; a
 * dropped or generated column is NULL here (the insert computes the
 * generated ones).
 */
static void
set_default(MoRowWrite *w, Relation rel, TupleTableSlot *slot, int a)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), a);
	Node	   *expr;

	slot->tts_isnull[a] = true;
	slot->tts_values[a] = (Datum) 0;
	if (att->attisdropped || att->attgenerated)
		return;
	expr = build_column_default(rel, a + 1);
	if (expr != NULL)
	{
		ExprState  *state = ExecPrepareExpr((Expr *) expr, w->estate);

		slot->tts_values[a] =
			ExecEvalExprSwitchContext(state, GetPerTupleExprContext(w->estate),
									  &slot->tts_isnull[a]);
	}
}

/*
 * Insert a row into table i of w: columns[k] takes values[k] (NULL when
 * nulls[k]); any other column its default.
 */
void
mo_row_insert(MoRowWrite *w, int i, int ncolumns, const MoColumn *columns,
			  const Datum *values, const bool *nulls)
{
	Relation	rel = w->rels[i]->ri_RelationDesc;
	TupleTableSlot *slot = w->slots[i];
	int			natts = RelationGetDescr(rel)->natts;
	bool	   *given = palloc0(natts * sizeof(bool));

	ExecClearTuple(slot);
	for (int k = 0; k < ncolumns; k++)
	{
		int			a = column_index(rel, &columns[k]);

		slot->tts_values[a] = values[k];
		slot->tts_isnull[a] = nulls[k];
		given[a] = true;
	}
	for (int a = 0; a < natts; a++)
		if (!given[a])
			set_default(w, rel, slot, a);
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(w->rels[i], w->estate, slot);
	pfree(given);
}

/*
 * Update the row at tid of table i (the caller holds its row lock):
 * columns[k] takes values[k] (NULL when nulls[k]); the others are kept.
 * The columns are the update's updated columns, for UPDATE OF triggers,
 * generated columns and the indexes' unchanged hint.
 */
void
mo_row_update(MoRowWrite *w, int i, const ItemPointerData *tid, int ncolumns,
			  const MoColumn *columns, const Datum *values, const bool *nulls)
{
	Relation	rel = w->rels[i]->ri_RelationDesc;
	RangeTblEntry *rte = exec_rt_fetch(i + 1, w->estate);
	TupleTableSlot *slot = w->slots[i];
	int			natts = RelationGetDescr(rel)->natts;
	ItemPointerData at = *tid;
	TupleTableSlot *old;
	EPQState	epq;

	if (w->updated[i])
		elog(ERROR, "one row write updated mcp_oauth.%s twice",
			 RelationGetRelationName(rel));
	w->updated[i] = true;
	w->old_slots[i] = table_slot_create(rel, &w->estate->es_tupleTable);
	old = w->old_slots[i];
	if (!table_tuple_fetch_row_version(rel, &at, SnapshotAny, old))
		elog(ERROR, "row to update in mcp_oauth.%s is gone",
			 RelationGetRelationName(rel));
	slot_getallattrs(old);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, old->tts_values, natts * sizeof(Datum));
	memcpy(slot->tts_isnull, old->tts_isnull, natts * sizeof(bool));
	for (int k = 0; k < ncolumns; k++)
	{
		int			a = column_index(rel, &columns[k]);

		slot->tts_values[a] = values[k];
		slot->tts_isnull[a] = nulls[k];
		rte->updatedCols = bms_add_member(rte->updatedCols,
										  a + 1 - FirstLowInvalidHeapAttributeNumber);
	}
	ExecStoreVirtualTuple(slot);
	EvalPlanQualInit(&epq, w->estate, NULL, NIL, -1);
	ExecSimpleRelationUpdate(w->rels[i], w->estate, &epq, old, slot);
	EvalPlanQualEnd(&epq);
}

/*
 * Fire the row triggers the writes queued, close the tables and their
 * indexes and free w; what was written is visible to the next command.
 */
void
mo_rows_end(MoRowWrite *w)
{
	AfterTriggerEndQuery(w->estate);
	/* the indexes, and any table a trigger's event opened */
	ExecCloseResultRelations(w->estate);
	for (int i = 0; i < w->ntables; i++)
		table_close(w->rels[i]->ri_RelationDesc, NoLock);
	ExecResetTupleTable(w->estate->es_tupleTable, false);
	FreeExecutorState(w->estate);
	CommandCounterIncrement();
	pfree(w);
}
