/*
 * audit.c
 *		The audit trail: who did what, from where, when.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

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
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write audit row");
}
