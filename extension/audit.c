/*
 * audit.c
 *		The audit trail: who did what, from where, when.
 */
#include "mcp_oauth.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

/* Insert an audit_log row; the caller is SPI-connected. */
void
mo_audit(const char *event, const char *subject, const char *client_id,
		 const char *client_addr, int64 grant_id, const char *detail_json)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[6];
	char		nulls[6];

	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};

	mo_spi_plan(&plan, "INSERT INTO mcp_oauth.audit_log"
				" (event, subject, client_id, client_addr, grant_id, detail)"
				" VALUES ($1, $2, $3, $4::inet, $5, $6::jsonb)",
				6, types);
	values[0] = CStringGetTextDatum(event);
	nulls[0] = ' ';
	values[1] = subject ? CStringGetTextDatum(subject) : (Datum) 0;
	nulls[1] = subject ? ' ' : 'n';
	values[2] = client_id ? CStringGetTextDatum(client_id) : (Datum) 0;
	nulls[2] = client_id ? ' ' : 'n';
	values[3] = client_addr ? CStringGetTextDatum(client_addr) : (Datum) 0;
	nulls[3] = client_addr ? ' ' : 'n';
	values[4] = Int64GetDatum(grant_id);
	nulls[4] = grant_id > 0 ? ' ' : 'n';
	values[5] = detail_json ? CStringGetTextDatum(detail_json) : (Datum) 0;
	nulls[5] = detail_json ? ' ' : 'n';
	mo_spi_check_write(SPI_execute_plan(plan, values, nulls, false, 0),
					   SPI_OK_INSERT, "audit_log");
}

/* The next audit_log.audit_id (its identity sequence). */
static int64
next_audit_id(void)
{
	Oid			seq = mo_relid("audit_log_audit_id_seq");

	if (get_rel_relkind(seq) != RELKIND_SEQUENCE)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("sequence \"mcp_oauth.audit_log_audit_id_seq\" does not exist"),
				 errhint("The identity sequence of column \"audit_id\" of table \"mcp_oauth.audit_log\" must keep its name.")));
	return nextval_internal(seq, false);
}

/*
 * Insert an audit_log row as mo_audit does, into table i of w (opened on
 * "audit_log"), with the row writes of the same response.
 */
void
mo_audit_write(MoRowWrite *w, int i, const char *event, const char *subject,
			   const char *client_id, const char *client_addr, int64 grant_id,
			   const char *detail_json)
{
	static const MoColumn columns[] = {{"audit_id", INT8OID},
		{"at", TIMESTAMPTZOID}, {"event", TEXTOID}, {"subject", TEXTOID},
		{"client_id", TEXTOID}, {"client_addr", INETOID}, {"grant_id", INT8OID},
	{"detail", JSONBOID}};
	Datum		values[8];
	bool		nulls[8];

	values[0] = Int64GetDatum(next_audit_id());
	values[1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	values[2] = CStringGetTextDatum(event);
	values[3] = subject ? CStringGetTextDatum(subject) : (Datum) 0;
	values[4] = client_id ? CStringGetTextDatum(client_id) : (Datum) 0;
	values[5] = client_addr ?
		DirectFunctionCall1(inet_in, CStringGetDatum(client_addr)) : (Datum) 0;
	values[6] = Int64GetDatum(grant_id);
	values[7] = detail_json ?
		DirectFunctionCall1(jsonb_in, CStringGetDatum(detail_json)) : (Datum) 0;
	nulls[0] = nulls[1] = nulls[2] = false;
	nulls[3] = subject == NULL;
	nulls[4] = client_id == NULL;
	nulls[5] = client_addr == NULL;
	nulls[6] = grant_id <= 0;
	nulls[7] = detail_json == NULL;
	mo_row_insert(w, i, lengthof(columns), columns, values, nulls);
}
