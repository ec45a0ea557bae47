/*
 * response.c
 *		http_response rows, JSON output, OAuth errors and redirects.
 */
#include "mcp_oauth.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "lib/text.h"
#include "lib/uri.h"

/* A text Datum for s, or SQL NULL. */
static void
set_text(Datum *values, bool *nulls, int i, const char *s)
{
	nulls[i] = (s == NULL);
	values[i] = (s == NULL) ? (Datum) 0 : CStringGetTextDatum(s);
}

/* The http_response composite Datum for r. */
Datum
mo_response_datum(FunctionCallInfo fcinfo, const MoResponse *r)
{
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int32GetDatum(r->status);
	nulls[0] = false;
	set_text(values, nulls, 1, r->content_type);
	set_text(values, nulls, 2, r->location);
	set_text(values, nulls, 3, r->www_authenticate);
	set_text(values, nulls, 4, r->cache_control);
	set_text(values, nulls, 5, r->body);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* A JSON response. */
void
mo_json_response(MoResponse *r, int status, const char *json,
				 const char *cache_control)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
	r->content_type = "application/json";
	r->cache_control = cache_control;
	r->body = json;
}

/* An OAuth JSON error with Cache-Control: no-store. */
void
mo_error_response(MoResponse *r, int status, const char *error,
				  const char *description)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "error", error);
	if (description != NULL)
		mo_json_string(&buf, "error_description", description);
	appendStringInfoChar(&buf, '}');
	mo_json_response(r, status, buf.data, "no-store");
	r->error = error;
	r->error_description = description;
}

/* A 302 to redirect_uri with parameters and iss (RFC 9207) appended. */
void
mo_redirect_response(MoResponse *r, const char *redirect_uri,
					 int nparams, const char *const *names,
					 const char *const *values)
{
	StringInfoData query;
	char	   *out;
	size_t		outsz;
	int			i;

	initStringInfo(&query);
	for (i = 0; i < nparams; i++)
	{
		if (values[i] == NULL)
			continue;
		if (query.len > 0)
			appendStringInfoChar(&query, '&');
		appendStringInfo(&query, "%s=%s", names[i], form_encode(values[i], palloc));
	}
	if (query.len > 0)
		appendStringInfoChar(&query, '&');
	appendStringInfo(&query, "iss=%s", form_encode(mo_issuer, palloc));

	outsz = strlen(redirect_uri) + query.len + 2;
	out = palloc(outsz);
	if (!uri_append_query(redirect_uri, query.data, out, outsz))
		elog(ERROR, "could not build redirect URI");

	memset(r, 0, sizeof(*r));
	r->status = 302;
	r->location = out;
	r->cache_control = "no-store";
}

/* Start a member: a comma unless the object or array was just opened. */
static void
json_key(StringInfo buf, const char *key)
{
	if (buf->len > 0 && buf->data[buf->len - 1] != '{' &&
		buf->data[buf->len - 1] != '[')
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

/* Append "key":"value" (or null). */
void
mo_json_string(StringInfo buf, const char *key, const char *value)
{
	json_key(buf, key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

/* Append "key":value for an integer. */
void
mo_json_int(StringInfo buf, const char *key, int64 value)
{
	json_key(buf, key);
	appendStringInfo(buf, INT64_FORMAT, value);
}

/* Append "key":true/false. */
void
mo_json_bool(StringInfo buf, const char *key, bool value)
{
	json_key(buf, key);
	appendStringInfoString(buf, value ? "true" : "false");
}

/* s without the characters a person may not be shown (lib/text.h); NULL stays NULL. */
char *
mo_display_text(const char *s)
{
	size_t		n;
	char	   *out;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	out = palloc(n);
	if (!text_display_clean(s, out, n))
		elog(ERROR, "could not clean text for display");
	return out;
}

/* Append "key":<raw JSON text>. */
void
mo_json_raw(StringInfo buf, const char *key, const char *json)
{
	json_key(buf, key);
	appendStringInfoString(buf, json);
}

/* Append "key":["a","b"] from a List of char *. */
void
mo_json_string_list(StringInfo buf, const char *key, List *values)
{
	ListCell   *lc;
	bool		first = true;

	json_key(buf, key);
	appendStringInfoChar(buf, '[');
	foreach(lc, values)
	{
		if (!first)
			appendStringInfoChar(buf, ',');
		escape_json(buf, (const char *) lfirst(lc));
		first = false;
	}
	appendStringInfoChar(buf, ']');
}
