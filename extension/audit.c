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
	static MoKeyPlan plan;
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID};
	Datum		values[6];
	char		nulls[6];

	mo_spi_text_param(values, nulls, 0, event);
	mo_spi_text_param(values, nulls, 1, subject);
	mo_spi_text_param(values, nulls, 2, client_id);
	mo_spi_text_param(values, nulls, 3, client_addr);
	values[4] = Int64GetDatum(grant_id);
	nulls[4] = grant_id > 0 ? ' ' : 'n';
	mo_spi_text_param(values, nulls, 5, detail_json);
	/* a plan by key for its nulls (an INSERT ... VALUES scans nothing) */
	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 MO_AUDIT_INSERT("$1", "$2", "$3", "$4", "$5", "$6"),
										 6, types, values, nulls, 0),
					   SPI_OK_INSERT, "audit_log");
}
