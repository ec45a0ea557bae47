/*
 * row_lock.c
 *		A row of the extension's tables found by its primary key and locked
 *		FOR UPDATE without a plan, as SELECT ... FOR UPDATE would lock it:
 *		under READ COMMITTED a row updated meanwhile is locked in its latest
 *		version (and dropped if its key changed or it was deleted); under
 *		REPEATABLE READ or SERIALIZABLE such a row is a serialization
 *		failure.
 *
 * The token endpoint locks a grant and its refresh token or code in every
 * request; as a SELECT ... FOR UPDATE join, with the writes as SQL
 * (row_write.c), that was about a fifth of a refresh's CPU time.
 */
#include "mcp_oauth.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/*
 * The row of rel whose one-column primary key is key, read under snapshot
 * into slot; *keyatt, *eqproc and *collation get the key's column and
 * how the index compares it.
 */
static bool
fetch_by_key(Relation rel, Datum key, Snapshot snapshot, TupleTableSlot *slot,
			 AttrNumber *keyatt, RegProcedure *eqproc, Oid *collation)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	Relation	idx;
	ScanKeyData skey;
	IndexScanDesc scan;
	Oid			eq;
	bool		found;

	if (!OidIsValid(pk))
		elog(ERROR, "mcp_oauth.%s has no primary key", RelationGetRelationName(rel));
	idx = index_open(pk, AccessShareLock);
	if (IndexRelationGetNumberOfKeyAttributes(idx) != 1)
		elog(ERROR, "the primary key of mcp_oauth.%s is not one column",
			 RelationGetRelationName(rel));
	*keyatt = idx->rd_index->indkey.values[0];
	eq = get_opfamily_member(idx->rd_opfamily[0], idx->rd_opcintype[0],
							 idx->rd_opcintype[0], BTEqualStrategyNumber);
	*eqproc = get_opcode(eq);
	*collation = idx->rd_indcollation[0];
	ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
						   *collation, *eqproc, key);
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	index_close(idx, AccessShareLock);
	return found;
}

/* Whether the slot's key column still equals key (a newer version locked may differ). */
static bool
key_unchanged(TupleTableSlot *slot, AttrNumber keyatt, RegProcedure eqproc,
			  Oid collation, Datum key)
{
	bool		isnull;
	Datum		stored = slot_getattr(slot, keyatt, &isnull);

	return !isnull &&
		DatumGetBool(OidFunctionCall2Coll(eqproc, collation, stored, key));
}

/*
 * Find the row of mcp_oauth.<table> whose primary key (one column) is key,
 * as a statement of its own would see it; false if there is none.  The
 * table is opened as for SELECT ... FOR UPDATE (mo_row_lock may follow).
 */
bool
mo_row_find(const char *table, Datum key, MoRow *row)
{
	Oid			relid = mo_relid(table);

	if (!OidIsValid(relid))
		elog(ERROR, "table mcp_oauth.%s does not exist", table);
	row->rel = table_open(relid, RowShareLock);
	row->slot = table_slot_create(row->rel, NULL);
	row->key = key;
	/* as a statement of its own: see what this transaction did before */
	CommandCounterIncrement();
	row->snapshot = RegisterSnapshot(GetTransactionSnapshot());
	if (fetch_by_key(row->rel, key, row->snapshot, row->slot, &row->keyatt,
					 &row->eqproc, &row->collation))
		return true;
	mo_row_release(row);
	return false;
}

/*
 * Lock the found row FOR UPDATE, waiting for a concurrent writer; the row
 * then holds the locked version.  False, the row released, if it went away
 * meanwhile.  Refused in a read-only transaction.
 */
bool
mo_row_lock(MoRow *row)
{
	ItemPointerData tid = row->slot->tts_tid;
	TM_FailureData tmfd;
	TM_Result	result;
	bool		locked = false;

	PreventCommandIfReadOnly("SELECT FOR UPDATE");
	result = table_tuple_lock(row->rel, &tid, row->snapshot, row->slot,
							  GetCurrentCommandId(false), LockTupleExclusive,
							  LockWaitBlock,
							  IsolationUsesXactSnapshot() ? 0 :
							  TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							  &tmfd);
	switch (result)
	{
		case TM_Ok:
			locked = !tmfd.traversed ||
				key_unchanged(row->slot, row->keyatt, row->eqproc,
							  row->collation, row->key);
			break;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
			break;				/* deleted (an update is followed) */
		case TM_SelfModified:
			/* changed by this transaction after the snapshot: skip it, as SELECT FOR UPDATE does */
			break;
		default:
			elog(ERROR, "unexpected result %d locking a row of mcp_oauth.%s",
				 (int) result, RelationGetRelationName(row->rel));
	}
	if (!locked)
		mo_row_release(row);
	return locked;
}

/*
 * The 0-based attribute of column c in rel; raises if there is none or it
 * is not of c's type.
 */
int
mo_column_index(Relation rel, const MoColumn *c)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped || strcmp(NameStr(att->attname), c->name) != 0)
			continue;
		if (att->atttypid != c->type)
			break;
		return a;
	}
	elog(ERROR, "column %s of mcp_oauth.%s is not as the extension made it",
		 c->name, RelationGetRelationName(rel));
	return -1;					/* keep the compiler quiet */
}

/* Column c of a found row (NULL: *isnull), raising if it is not of c's type. */
Datum
mo_row_get(MoRow *row, const MoColumn *c, bool *isnull)
{
	return slot_getattr(row->slot, mo_column_index(row->rel, c) + 1, isnull);
}

/* Let go of the row's slot, snapshot and table; a row lock stays to the end of the transaction. */
void
mo_row_release(MoRow *row)
{
	if (row->snapshot != NULL)
		UnregisterSnapshot(row->snapshot);
	if (row->slot != NULL)
		ExecDropSingleTupleTableSlot(row->slot);
	if (row->rel != NULL)
		table_close(row->rel, NoLock);
	row->snapshot = NULL;
	row->slot = NULL;
	row->rel = NULL;
}
