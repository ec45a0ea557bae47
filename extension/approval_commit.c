/*
 * approval_commit.c
 *		An approval that is the only write of its transaction commits
 *		without waiting for its WAL flush (unless mcp_oauth.durable_consent).
 *
 * What an approval writes (the request used, the grant, the code, two audit
 * rows) is of use only through the code it returns, and the code only
 * through a token exchange.  The exchange reads the code after the
 * approval's commit record was inserted, so its own durable commit flushes
 * the WAL up to and past the approval before any token leaves (and waits
 * for a synchronous standby likewise).  A crash in between loses an unused
 * code together with its rows: the client gets invalid_grant and the person
 * connects again.  No token can outlive the record of its consent.
 *
 * That holds only while the approval is alone: the transaction must have
 * written nothing before it (no transaction id yet), must not be a
 * transaction block, a subtransaction or an extended-protocol pipeline, and
 * must write nothing after it.  The last is known only at commit: a
 * pre-commit callback puts synchronous_commit back when the transaction's
 * WAL went on past the approval's.
 */
#include "mcp_oauth.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "approval_commit.h"

/* The end of the approval's WAL while its commit may go unflushed, else invalid. */
static XLogRecPtr approval_wal_end = InvalidXLogRecPtr;

/* synchronous_commit as it was before the approval set it off. */
static char *approval_saved_level = NULL;

/* At commit: wait for the flush after all if the transaction wrote more. */
static void
approval_xact_callback(XactEvent event, void *arg)
{
	if (XLogRecPtrIsInvalid(approval_wal_end))
		return;
	if (event == XACT_EVENT_PRE_COMMIT && XactLastRecEnd != approval_wal_end)
	{
		ereport(DEBUG1,
				(errmsg_internal("the approval's transaction wrote more: its commit waits for the WAL flush")));
		(void) set_config_option("synchronous_commit", approval_saved_level,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
								 true, 0, false);
	}
	if (event != XACT_EVENT_PRE_COMMIT)
		approval_wal_end = InvalidXLogRecPtr;	/* commit, abort or prepare */
}

/*
 * Whether an approval about to be written would be the transaction's first
 * write, outside any block, subtransaction or pipeline (call before it
 * writes).
 */
bool
mo_approval_alone(void)
{
	return !mo_durable_consent &&
		!TransactionIdIsValid(GetTopTransactionIdIfAny()) &&
		!IsTransactionBlock() && !IsSubTransaction() &&
		(MyXactFlags & XACT_FLAGS_PIPELINING) == 0;
}

/*
 * Let the transaction of an approval just written (alone, as
 * mo_approval_alone() said before it) commit without waiting for its WAL
 * flush, unless it writes more.
 */
void
mo_approval_commit_async(void)
{
	static bool callback_registered = false;

	if (!callback_registered)
	{
		RegisterXactCallback(approval_xact_callback, NULL);
		callback_registered = true;
	}
	approval_saved_level = MemoryContextStrdup(TopTransactionContext,
											   GetConfigOption("synchronous_commit",
															   false, false));
	(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	approval_wal_end = XactLastRecEnd;
}
