/*
 * audit.c
 *		The audit trail: who did what, from where, when.
 *
 * Much of what a row says comes from whoever sent the request: the
 * username of a failed sign-in, the client_id of a failed client
 * authentication.  A row keeps at most MO_AUDIT_MAX_TEXT bytes of each such
 * string and MO_AUDIT_MAX_DETAIL bytes of detail, so that failed requests,
 * which anyone can send, cannot fill the table faster than their number.
 * purge_expired() deletes rows older than mcp_oauth.audit_retention.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#define CLIP_MARK "..."

/* s clipped to at most max bytes at a character boundary, marked if cut. */
static const char *
audit_clip(const char *s, int max)
{
	int			len;

	if (s == NULL || strlen(s) <= (size_t) max)
		return s;
	len = pg_mbcliplen(s, strlen(s), max - (int) strlen(CLIP_MARK));
	return psprintf("%.*s" CLIP_MARK, len, s);
}

/* detail_json, or {"truncated":<bytes>,"head":"<its clipped head>"} if too long. */
static const char *
bounded_detail(const char *detail_json)
{
	StringInfoData buf;

	if (detail_json == NULL || strlen(detail_json) <= MO_AUDIT_MAX_DETAIL)
		return detail_json;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_int(&buf, "truncated", (int64) strlen(detail_json));
	mo_json_string(&buf, "head", audit_clip(detail_json, MO_AUDIT_MAX_TEXT));
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

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
	mo_spi_text_param(values, nulls, 1, audit_clip(subject, MO_AUDIT_MAX_TEXT));
	mo_spi_text_param(values, nulls, 2, audit_clip(client_id, MO_AUDIT_MAX_TEXT));
	mo_spi_text_param(values, nulls, 3, client_addr);
	values[4] = Int64GetDatum(grant_id);
	nulls[4] = grant_id > 0 ? ' ' : 'n';
	mo_spi_text_param(values, nulls, 5, bounded_detail(detail_json));
	/* a plan by key for its nulls (an INSERT ... VALUES scans nothing) */
	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 MO_AUDIT_INSERT("$1", "$2", "$3", "$4", "$5", "$6"),
										 6, types, values, nulls, 0),
					   SPI_OK_INSERT, "audit_log");
}
