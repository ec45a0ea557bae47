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
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
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
 * as a statement of its own would see it; with lock, lock it FOR UPDATE
 * (waiting for a concurrent writer) and get the locked version.  False if
 * there is none (or it went away meanwhile).  The table is opened as for
 * SELECT ... FOR UPDATE either way (a read is followed by a lock), and a
 * lock is refused in a read-only transaction.
 */
bool
mo_row_find(const char *table, Datum key, bool lock, MoRow *row)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("mcp_oauth", false));
	Snapshot	snapshot;
	AttrNumber	keyatt;
	RegProcedure eqproc;
	Oid			collation;
	TM_FailureData tmfd;
	TM_Result	result;
	bool		found;

	if (!OidIsValid(relid))
		elog(ERROR, "table mcp_oauth.%s does not exist", table);
	/* the lock SELECT ... FOR UPDATE takes, even to read: a lock follows */
	row->rel = table_open(relid, RowShareLock);
	if (lock)
		PreventCommandIfReadOnly("SELECT FOR UPDATE");
	row->slot = table_slot_create(row->rel, NULL);
	/* as a statement of its own: see what this transaction did before */
	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	found = fetch_by_key(row->rel, key, snapshot, row->slot, &keyatt, &eqproc,
						 &collation);
	if (found && lock)
	{
		ItemPointerData tid = row->slot->tts_tid;

		result = table_tuple_lock(row->rel, &tid, snapshot, row->slot,
								  GetCurrentCommandId(false), LockTupleExclusive,
								  LockWaitBlock,
								  IsolationUsesXactSnapshot() ? 0 :
								  TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
								  &tmfd);
		switch (result)
		{
			case TM_Ok:
				found = !tmfd.traversed ||
					key_unchanged(row->slot, keyatt, eqproc, collation, key);
				break;
			case TM_Updated:
			case TM_Deleted:
				if (IsolationUsesXactSnapshot())
					ereport(ERROR,
							(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
							 errmsg("could not serialize access due to concurrent update")));
				found = false;	/* deleted (an update is followed) */
				break;
			case TM_SelfModified:
				/* changed by this transaction after the snapshot: skip it, as SELECT FOR UPDATE does */
				found = false;
				break;
			default:
				elog(ERROR, "unexpected result %d locking a row of mcp_oauth.%s",
					 (int) result, table);
		}
	}
	UnregisterSnapshot(snapshot);
	if (!found)
		mo_row_release(row);
	return found;
}

/* Column c of a found row (NULL: *isnull), raising if it is not of c's type. */
Datum
mo_row_get(MoRow *row, const MoColumn *c, bool *isnull)
{
	TupleDesc	desc = RelationGetDescr(row->rel);

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped || strcmp(NameStr(att->attname), c->name) != 0)
			continue;
		if (att->atttypid != c->type)
			break;
		return slot_getattr(row->slot, a + 1, isnull);
	}
	elog(ERROR, "column %s of mcp_oauth.%s is not as the extension made it",
		 c->name, RelationGetRelationName(row->rel));
	return (Datum) 0;			/* keep the compiler quiet */
}

/* Let go of the row's slot and table; a row lock stays to the end of the transaction. */
void
mo_row_release(MoRow *row)
{
	if (row->slot != NULL)
		ExecDropSingleTupleTableSlot(row->slot);
	if (row->rel != NULL)
		table_close(row->rel, NoLock);
	row->slot = NULL;
	row->rel = NULL;
}
