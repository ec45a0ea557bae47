/*
 * fetched.c
 *		Documents the HTTP server fetched for the database: fetched()
 *		records what a fetch gave, mo_fetched_get() tells an endpoint what it
 *		may use, mo_need_fetch_response() asks the server for a fetch, and
 *		forget_fetched() drops a URL.
 *
 * Decisions (see also extension/DESIGN.md):
 *	- A valid document is kept with its ETag and is fresh for the lifetime
 *	  the server computed (at least MIN_LIFETIME, so the call that follows a
 *	  fetch always finds it fresh).
 *	- A row is a URL fetched for a purpose: a URL fetched as a JWK Set is
 *	  another document than a client metadata document at that URL (anyone
 *	  may name any https URL as either), so what one fetch records never
 *	  touches the other's copy.
 *	- A failure is remembered for mcp_oauth.fetch_failure_ttl: until then
 *	  an endpoint refuses instead of asking for the URL again.
 *	- A failure while the copy is fresh (a refetch for an unknown kid, which
 *	  anyone can cause, or a concurrent fetch) keeps it servable until its
 *	  freshness ends: a refetch never leaves less than no refetch would.
 *	- Only a transient failure (no answer, or a 5xx) lets the last valid
 *	  copy be served stale, until mcp_oauth.fetch_max_stale after it stopped
 *	  being fresh.  Any other failure of a copy no longer fresh sets
 *	  fresh_until to NULL: the copy is kept (its ETag revalidates it later)
 *	  but not served.
 *	- A 404 or 410 marks the document gone until the next success.
 *	- Every failure leaves a fetch_failed audit row naming the reason,
 *	  never the body.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "cimd.h"
#include "client_meta.h"
#include "fetched.h"
#include "lib/uri.h"

PG_FUNCTION_INFO_V1(fetched);
PG_FUNCTION_INFO_V1(forget_fetched);

/* Seconds a stored document stays fresh at least. */
#define MIN_LIFETIME	10

/* The outcomes the server's fetcher reports (shim/fetch.c fetch_reason_name). */
static const char *const fetch_outcomes[] = {
	"ok", "not_modified", "bad_url", "dns", "refused_address", "connect",
	"tls", "timeout", "redirect", "status", "size", "content_type", "network",
};

/* What a failure means, for a person. */
static const struct
{
	const char *failure;
	const char *text;
}			failure_texts[] =
{
	{"bad_url", "its URL may not be fetched"},
	{"dns", "its host name could not be resolved"},
	{"refused_address", "its host is at an address this server may not connect to"},
	{"connect", "its server could not be reached"},
	{"tls", "a secure connection to its server could not be made"},
	{"timeout", "its server did not answer in time"},
	{"redirect", "its server answered with a redirect, which is not followed"},
	{"status", "its server did not answer with the document"},
	{"size", "it is larger than this server accepts"},
	{"content_type", "it is not served as JSON"},
	{"network", "the connection to its server failed"},
	{"json", "it is not a JSON object"},
	{"validation", "it is not a valid document of its kind"},
	{"gone", "it no longer exists (its server answered 404 or 410)"},
};

/* A phrase for a person telling what failure means. */
const char *
mo_fetch_failure_text(const char *failure)
{
	for (int i = 0; i < lengthof(failure_texts); i++)
	{
		if (strcmp(failure_texts[i].failure, failure) == 0)
			return failure_texts[i].text;
	}
	return "it could not be fetched";
}

/* Whether the schema has fetched_documents (0.5.0). */
bool
mo_fetched_available(void)
{
	return OidIsValid(mo_relid("fetched_documents"));
}

/* ---- reading, through a per-backend copy ---- */

/*
 * Every backend keeps the rows it read (an authorization of a URL client
 * reads its row each time), keyed by purpose and URL, emptied by any
 * change to the table (its trigger sends a relcache invalidation, as for
 * clients.c) and when it holds FETCHED_CACHE_MAX rows or
 * FETCHED_CACHE_MAX_BYTES of bodies.  A row absent is not remembered: its fetch will change the
 * table.  What a row means is decided at each use, against the
 * transaction's time.
 */
#define FETCHED_CACHE_MAX		1024
#define FETCHED_CACHE_MAX_BYTES	(1024 * 1024)

/* A fetched_documents row (NULL timestamps as DT_NOBEGIN). */
typedef struct FetchedRow
{
	char	   *body;
	char	   *etag;
	char	   *failure;
	bool		transient;		/* the failure lets the copy be served stale */
	TimestampTz fetched_at;
	TimestampTz fresh_until;	/* DT_NOBEGIN: may not be served */
	TimestampTz retry_after;
	bool		gone;
} FetchedRow;

typedef struct FetchedEntry
{
	char		key[MO_ROW_KEY_SIZE];	/* "<purpose> <url>" */
	FetchedRow	row;
} FetchedEntry;

static MoRowCache fetched_rows = {{"fetched_documents"}, "mcp_oauth fetched documents",
sizeof(FetchedEntry)};
static Size fetched_bytes = 0;	/* of the bodies kept */

/* Register the fetched_documents relcache callback (once, from _PG_init). */
void
mo_fetched_init(void)
{
	mo_table_cache_register(&fetched_rows.table);
}

/* The hash table, emptied first when the table changed or it is full. */
static HTAB *
fetched_table(void)
{
	HTAB	   *t = mo_row_cache_hash(&fetched_rows, fetched_rows.hash != NULL &&
									  (hash_get_num_entries(fetched_rows.hash) >= FETCHED_CACHE_MAX ||
									   fetched_bytes >= FETCHED_CACHE_MAX_BYTES));

	if (hash_get_num_entries(t) == 0)
		fetched_bytes = 0;
	return t;
}

/* A timestamptz column of the fetched row; DT_NOBEGIN when NULL. */
static TimestampTz
row_time(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * Read the row of url fetched for purpose into row (current context); false
 * if there is none.
 */
static bool
read_row(const char *url, const char *purpose, FetchedRow *row)
{
	static MoKeyPlan plan;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2] = {CStringGetTextDatum(url), CStringGetTextDatum(purpose)};
	bool		isnull;

	mo_spi_run_by_key(&plan,
					  "SELECT body, etag, failure, failure_transient, fetched_at,"
					  " fresh_until, retry_after, gone_at IS NOT NULL"
					  " FROM mcp_oauth.fetched_documents WHERE url = $1 AND purpose = $2",
					  2, types, values, NULL, 1);
	if (SPI_processed == 0)
		return false;
	row->body = mo_spi_text(1);
	row->etag = mo_spi_text(2);
	row->failure = mo_spi_text(3);
	row->transient = DatumGetBool(mo_spi_datum(4, &isnull));
	row->fetched_at = row_time(5);
	row->fresh_until = row_time(6);
	row->retry_after = row_time(7);
	row->gone = DatumGetBool(mo_spi_datum(8, &isnull));
	return true;
}

/* A copy of src in the current context. */
static void
copy_row(const FetchedRow *src, FetchedRow *dst)
{
	*dst = *src;
	dst->body = src->body ? pstrdup(src->body) : NULL;
	dst->etag = src->etag ? pstrdup(src->etag) : NULL;
	dst->failure = src->failure ? pstrdup(src->failure) : NULL;
}

/*
 * The row of url fetched for purpose, from the copy or read (and kept);
 * false if there is none.
 */
static bool
cached_row(const char *url, const char *purpose, FetchedRow *row)
{
	HTAB	   *t = fetched_table();
	char	   *key = psprintf("%s %s", purpose, url);
	FetchedEntry *e;
	FetchedRow	copy;
	MemoryContext old;

	if (strlen(key) >= sizeof(e->key))
		return read_row(url, purpose, row); /* too long to key: not kept */
	e = hash_search(t, key, HASH_FIND, NULL);
	if (e != NULL)
	{
		copy_row(&e->row, row);
		return true;
	}
	if (!read_row(url, purpose, row))
		return false;
	/* a change seen while reading: the copy is emptied at the next use */
	if (!fetched_rows.table.valid)
		return true;
	/* copy first: an error while copying must not leave a half-made entry */
	old = MemoryContextSwitchTo(fetched_rows.cxt);
	copy_row(row, &copy);
	MemoryContextSwitchTo(old);
	e = hash_search(t, key, HASH_ENTER, NULL);
	e->row = copy;
	fetched_bytes += row->body ? strlen(row->body) : 0;
	return true;
}

/* Whether t is set and later than now. */
static bool
after(TimestampTz t, TimestampTz now)
{
	return t != DT_NOBEGIN && t > now;
}

/* The row of url fetched for purpose; false when there is none.  Inside SPI. */
bool
mo_fetched_get(const char *url, const char *purpose, MoFetchedDoc *out)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	FetchedRow	row;
	bool		within_stale;

	memset(out, 0, sizeof(*out));
	out->fetched_at = DT_NOBEGIN;
	if (!mo_fetched_available() || !cached_row(url, purpose, &row))
		return false;
	out->body = row.body;
	out->etag = row.etag;
	out->fetched_at = row.fetched_at;
	out->gone = row.gone;
	out->fresh = row.body != NULL && after(row.fresh_until, now);
	out->failure = after(row.retry_after, now) ? row.failure : NULL;
	within_stale = row.fresh_until != DT_NOBEGIN &&
		row.fresh_until + (TimestampTz) mo_fetch_max_stale * USECS_PER_SEC > now;
	/* stale only through a transient failure; fresh whatever failed */
	out->servable = out->fresh ||
		(out->body != NULL && out->failure != NULL && row.transient &&
		 within_stale);
	return true;
}

/* The need-fetch answer (status 0) for url. */
void
mo_need_fetch_response(MoResponse *r, const char *url, const char *purpose,
					   const char *if_none_match, int max_body,
					   bool refuse_ip_literal)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "url", url);
	mo_json_string(&buf, "purpose", purpose);
	mo_json_int(&buf, "max_body", max_body);
	mo_json_bool(&buf, "refuse_ip_literal", refuse_ip_literal);
	if (if_none_match != NULL)
		mo_json_string(&buf, "if_none_match", if_none_match);
	appendStringInfoChar(&buf, '}');
	memset(r, 0, sizeof(*r));
	r->status = 0;
	r->content_type = MO_FETCH_CONTENT_TYPE;
	r->cache_control = "no-store";
	r->body = buf.data;
}

/* ---- validation ---- */

/* The most bytes a document of purpose may have. */
static int
purpose_max_body(const char *purpose)
{
	return strcmp(purpose, MO_FETCH_JWKS) == 0 ?
		MO_FETCH_MAX_JWKS : MO_FETCH_MAX_CLIENT_METADATA;
}

/*
 * Check (and for a client metadata document, apply) a fetched document:
 * NULL when it is valid, else the reason ("size", "json", "validation")
 * with *problem saying what is wrong.
 */
static const char *
document_problem(const char *url, const char *purpose, const char *body,
				 const char **problem)
{
	bool		not_json = false;

	*problem = NULL;
	if (body == NULL)
		*problem = "the answer had no body";
	else if (strlen(body) > (size_t) purpose_max_body(purpose))
	{
		*problem = psprintf("the document is larger than %d bytes",
							purpose_max_body(purpose));
		return "size";
	}
	else if (strcmp(purpose, MO_FETCH_JWKS) == 0)
	{
		*problem = mo_jwks_problem(body, strlen(body), &not_json);
		if (*problem != NULL)
			*problem = psprintf("the JWK Set %s", *problem);
	}
	else
		*problem = mo_cimd_store(url, body, &not_json);
	if (*problem == NULL)
		return NULL;
	return (body == NULL || not_json) ? "json" : "validation";
}

/* ---- recording ---- */

/* Whether a failure lets the last valid copy be served stale. */
static bool
failure_is_transient(const char *reason, int status)
{
	return strcmp(reason, "dns") == 0 || strcmp(reason, "connect") == 0 ||
		strcmp(reason, "timeout") == 0 || strcmp(reason, "network") == 0 ||
		(strcmp(reason, "status") == 0 && status >= 500);
}

/* Store a valid document fetched from url. */
static void
record_document(const char *url, const char *purpose, const char *body,
				const char *etag, int lifetime)
{
	static MoKeyPlan plan;
	Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID};
	Datum		values[5];
	char		nulls[5];

	mo_spi_text_param(values, nulls, 0, url);
	mo_spi_text_param(values, nulls, 1, purpose);
	mo_spi_text_param(values, nulls, 2, body);
	mo_spi_text_param(values, nulls, 3, etag);
	values[4] = Int32GetDatum(Max(lifetime, MIN_LIFETIME));
	nulls[4] = ' ';
	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 "INSERT INTO mcp_oauth.fetched_documents AS f"
										 " (url, purpose, body, etag, fetched_at, fresh_until)"
										 " VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))"
										 " ON CONFLICT (url, purpose) DO UPDATE SET"
										 " body = excluded.body, etag = excluded.etag,"
										 " fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until,"
										 " failure = NULL, failure_transient = false,"
										 " failed_at = NULL, retry_after = NULL, gone_at = NULL",
										 5, types, values, nulls, 0),
					   SPI_OK_INSERT, "fetched_documents");
}

/*
 * The copy of url fetched for purpose was revalidated (304): fresh again.
 * False when there is no copy to revalidate.
 */
static bool
record_not_modified(const char *url, const char *purpose, const char *etag,
					int lifetime)
{
	static MoKeyPlan plan;
	Oid			types[4] = {TEXTOID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[4];
	char		nulls[4];

	mo_spi_text_param(values, nulls, 0, url);
	mo_spi_text_param(values, nulls, 1, etag);
	values[2] = Int32GetDatum(Max(lifetime, MIN_LIFETIME));
	nulls[2] = ' ';
	mo_spi_text_param(values, nulls, 3, purpose);
	mo_spi_run_by_key(&plan,
					  "UPDATE mcp_oauth.fetched_documents SET fetched_at = now(),"
					  " fresh_until = now() + make_interval(secs => $3),"
					  " etag = coalesce($2, etag),"
					  " failure = NULL, failure_transient = false,"
					  " failed_at = NULL, retry_after = NULL, gone_at = NULL"
					  " WHERE url = $1 AND purpose = $4 AND body IS NOT NULL",
					  4, types, values, nulls, 0);
	return SPI_processed == 1;
}

/*
 * Remember a failure of url fetched for purpose for
 * mcp_oauth.fetch_failure_ttl; gone marks a 404 or 410, transient keeps the
 * copy servable stale.  A copy still fresh stays servable until its
 * freshness ends, whatever failed.
 */
static void
record_failure(const char *url, const char *purpose, const char *reason,
			   bool gone, bool transient)
{
	static MoKeyPlan plan;
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, INT4OID, BOOLOID, BOOLOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	mo_spi_text_param(values, nulls, 0, url);
	mo_spi_text_param(values, nulls, 1, purpose);
	mo_spi_text_param(values, nulls, 2, reason);
	values[3] = Int32GetDatum(mo_fetch_failure_ttl);
	values[4] = BoolGetDatum(gone);
	values[5] = BoolGetDatum(transient);
	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 "INSERT INTO mcp_oauth.fetched_documents AS f"
										 " (url, purpose, failure, failure_transient, failed_at, retry_after,"
										 "  gone_at)"
										 " VALUES ($1, $2, $3, $6, now(), now() + make_interval(secs => $4),"
										 "  CASE WHEN $5 THEN now() END)"
										 " ON CONFLICT (url, purpose) DO UPDATE SET failure = excluded.failure,"
										 " failure_transient = excluded.failure_transient,"
										 " failed_at = excluded.failed_at, retry_after = excluded.retry_after,"
										 " gone_at = coalesce(f.gone_at, excluded.gone_at),"
										 " fresh_until = CASE WHEN $6 OR f.fresh_until > now()"
										 "  THEN f.fresh_until END",
										 6, types, values, nulls, 0),
					   SPI_OK_INSERT, "fetched_documents");
}

/* The client a failure concerns: the URL of a metadata document, the client of a JWK Set. */
static char *
failure_client(const char *url, const char *purpose)
{
	static SPIPlanPtr plan = NULL;

	if (strcmp(purpose, MO_FETCH_CLIENT_METADATA) == 0)
		return pstrdup(url);
	mo_spi_exec1(&plan,
				 "SELECT client_id FROM mcp_oauth.clients WHERE jwks_uri = $1"
				 " ORDER BY client_id LIMIT 1",
				 TEXTOID, CStringGetTextDatum(url), 1);
	return SPI_processed > 0 ? mo_spi_text(1) : NULL;
}

/* The fetch_failed audit row: {"url","purpose","reason","status","detail"}. */
static void
audit_failure(const char *url, const char *purpose, const char *reason,
			  int status, const char *detail, const char *addr)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "url", url);
	mo_json_string(&buf, "purpose", purpose);
	mo_json_string(&buf, "reason", reason);
	mo_json_int(&buf, "status", status);
	mo_json_string(&buf, "detail", detail);
	appendStringInfoChar(&buf, '}');
	mo_audit("fetch_failed", NULL, failure_client(url, purpose), addr, 0,
			 buf.data);
}

/* Raise unless purpose and outcome are ones fetched() knows. */
static void
check_fetched_call(const char *url, const char *purpose, const char *outcome)
{
	int			i = 0;

	if (url == NULL || strlen(url) > URI_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("the URL of a fetched document must not be null or longer than %d bytes",
						URI_MAX_LEN)));
	if (purpose == NULL ||
		(strcmp(purpose, MO_FETCH_CLIENT_METADATA) != 0 &&
		 strcmp(purpose, MO_FETCH_JWKS) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("unknown fetch purpose \"%s\"", purpose ? purpose : "NULL"),
				 errdetail("The purposes are client_metadata and jwks.")));
	while (outcome != NULL && i < lengthof(fetch_outcomes) &&
		   strcmp(outcome, fetch_outcomes[i]) != 0)
		i++;
	if (outcome == NULL || i == lengthof(fetch_outcomes))
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("unknown fetch outcome \"%s\"", outcome ? outcome : "NULL")));
}

/*
 * Record what one fetch of url gave; what was recorded: "stored",
 * "not_modified" or the failure's reason.
 */
static const char *
record_fetch(const char *url, const char *purpose, const char *outcome,
			 int status, const char *body, const char *etag, int lifetime,
			 const char *detail, const char *addr)
{
	const char *reason = outcome;
	bool		gone = false;

	if (strcmp(outcome, "ok") == 0)
	{
		const char *problem;

		reason = document_problem(url, purpose, body, &problem);
		if (reason == NULL)
		{
			record_document(url, purpose, body, etag, lifetime);
			return "stored";
		}
		detail = problem;
	}
	else if (strcmp(outcome, "not_modified") == 0)
	{
		if (record_not_modified(url, purpose, etag, lifetime))
			return "not_modified";
		reason = "status";
		detail = "not modified, but there is no copy";
	}
	else if (strcmp(outcome, "status") == 0 && (status == 404 || status == 410))
	{
		reason = "gone";
		gone = true;
	}
	record_failure(url, purpose, reason, gone,
				   failure_is_transient(reason, status));
	audit_failure(url, purpose, reason, status, detail, addr);
	return reason;
}

/*
 * fetched(url, purpose, outcome, status, body, etag, lifetime, detail,
 * client_addr): the server reports one fetch it made for an endpoint.
 * Never raises for a bad document or outcome (those are recorded); raises
 * for a bad call.
 */
Datum
fetched(PG_FUNCTION_ARGS)
{
	const char *url = mo_arg_cstring(fcinfo, 0);
	const char *purpose = mo_arg_cstring(fcinfo, 1);
	const char *outcome = mo_arg_cstring(fcinfo, 2);
	MemoryContext caller = CurrentMemoryContext;
	const char *recorded;
	text	   *result;

	check_fetched_call(url, purpose, outcome);
	mo_spi_connect();
	recorded = record_fetch(url, purpose, outcome,
							PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3),
							mo_arg_cstring(fcinfo, 4), mo_arg_cstring(fcinfo, 5),
							PG_ARGISNULL(6) ? 0 : PG_GETARG_INT32(6),
							mo_arg_cstring(fcinfo, 7), mo_arg_addr(fcinfo, 8));
	MemoryContextSwitchTo(caller);
	result = cstring_to_text(recorded);
	mo_spi_finish();
	PG_RETURN_TEXT_P(result);
}

/*
 * forget_fetched(url): drop the copies of url, for every purpose (its next
 * use fetches it again).
 */
Datum
forget_fetched(PG_FUNCTION_ARGS)
{
	const char *url = mo_arg_cstring(fcinfo, 0);
	static SPIPlanPtr plan = NULL;
	bool		found;

	if (url == NULL)
		PG_RETURN_BOOL(false);
	mo_spi_connect();
	mo_spi_exec1(&plan,
				 "DELETE FROM mcp_oauth.fetched_documents WHERE url = $1",
				 TEXTOID, CStringGetTextDatum(url), 0);
	found = SPI_processed > 0;
	if (found)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfoChar(&buf, '{');
		mo_json_string(&buf, "url", url);
		appendStringInfoChar(&buf, '}');
		mo_audit("fetched_forgotten", NULL, NULL, NULL, 0, buf.data);
	}
	mo_spi_finish();
	PG_RETURN_BOOL(found);
}
