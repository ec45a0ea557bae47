/*
 * docfetch.c
 *		The need-fetch protocol: a document the database asks the server to
 *		fetch before it can answer.
 *
 * An endpoint function returning http_response (authorize, token, revoke,
 * introspect) answers status 0 with a JSON body naming a URL when it needs
 * a document it has no usable copy of (a client's metadata document, a
 * client's JWKS).  The database never opens a connection: the server
 * fetches the URL with this thread's fetcher (fetch.h), reports the outcome
 * with fetched(), which validates and stores it (or remembers the failure
 * and writes the audit row), and calls the function again with the same
 * parameters.  At most DOCFETCH_ROUNDS fetches per request; a function
 * that asks again after that, or a fetcher too busy or shutting down, gets
 * the client a 503 with Retry-After (nothing is reported then: nothing was
 * tried).  A request whose client goes away while its fetch runs leaves
 * the fetch (the other waiters keep it) and is never called back.
 */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCFETCH_ROUNDS 2		/* fetches per request */
#define DOCFETCH_MAX_BODY (64 * 1024)	/* no document cap above this */
#define DOCFETCH_RETRY_AFTER "5"	/* seconds, for a 503 of ours */
#define DOCFETCH_TYPE "application/vnd.mcp-oauth.fetch+json"
#define DOCFETCH_MAX_PARAMS 8	/* of an endpoint statement */

/* One request's calls and fetches, in its pool (shared: see docfetch_dispose). */
typedef struct docfetch
{
	h2o_req_t  *req;
	db_stmt		stmt;
	const char *params[DOCFETCH_MAX_PARAMS];	/* the endpoint's, in the pool */
	int			nparams;
	db_done_cb	cb;
	void	   *arg;
	int			rounds;			/* fetches done */
	fetch_waiter *waiter;		/* the fetch being waited for, or NULL */
	const char *url;			/* of the fetch being done */
	const char *purpose;
} docfetch;

static void docfetch_run(docfetch *df);

/* The request's pool is freed (it ended, or its client went away). */
static void
docfetch_dispose(void *p)
{
	docfetch   *df = p;

	if (df->waiter != NULL)
		fetch_cancel(df->waiter);
	df->waiter = NULL;
}

/* A one-row http_response result of our own: status, JSON error body. */
static void
docfetch_answer(docfetch *df, int status, const char *description)
{
	db_result	res;
	char		code[8];
	char	   *body;
	size_t		n = strlen(description) + 96;

	body = h2o_mem_alloc_pool(&df->req->pool, n);
	snprintf(body, n, "{\"error\":\"temporarily_unavailable\",\"error_description\":\"%s\"}",
			 description);
	snprintf(code, sizeof(code), "%d", status);
	memset(&res, 0, sizeof(res));
	res.status = DB_OK;
	res.nrows = 1;
	res.ncols = 4;
	res.names[0] = "status";
	res.values[0] = code;
	res.names[1] = "content_type";
	res.values[1] = "application/json";
	res.names[2] = "cache_control";
	res.values[2] = "no-store";
	res.names[3] = "body";
	res.values[3] = body;
	http_add_header(df->req, "retry-after", DOCFETCH_RETRY_AFTER);
	df->cb(df->req, &res, df->arg);
}

/* 503: the document could not be fetched now (description: plain ASCII, no quotes). */
static void
docfetch_unavailable(docfetch *df, const char *description)
{
	docfetch_answer(df, 503, description);
}

/* fetched() answered: call the endpoint again (or pass a failure on). */
static void
on_fetched_reported(h2o_req_t *req, const db_result *res, void *arg)
{
	docfetch   *df = arg;

	if (res->status != DB_OK)
	{
		df->cb(req, res, df->arg);
		return;
	}
	LOG_DEBUG(req, "fetched(%s): %s", df->purpose,
			  db_value(res, "fetched") ? db_value(res, "fetched") : "-");
	docfetch_run(df);
}

/* The lifetime to report: the clamped one, the shortest for no-store. */
static int
docfetch_lifetime(const fetch_result *res)
{
	if (res->no_store)
		return shim_conf.fetch.min_lifetime_s;
	return res->lifetime_s;
}

/* Report a fetch's outcome with fetched(url, purpose, outcome, ...). */
static void
docfetch_report(docfetch *df, const fetch_result *res)
{
	h2o_req_t  *req = df->req;
	bool		stored = res->reason == FETCH_OK || res->reason == FETCH_NOT_MODIFIED;
	char		status[16];
	char		lifetime[16];
	const char *params[9];

	snprintf(status, sizeof(status), "%ld", res->status);
	snprintf(lifetime, sizeof(lifetime), "%d", docfetch_lifetime(res));
	params[0] = df->url;
	params[1] = df->purpose;
	params[2] = fetch_reason_name(res->reason);
	params[3] = status;
	params[4] = NULL;
	if (res->reason == FETCH_OK)
		/* not UTF-8 text (or a NUL in it): not JSON either, fetched() says so */
		params[4] = http_valid_text(res->body, res->body_len) ?
			http_strdup(req, res->body, res->body_len) : "";
	params[5] = stored && res->etag != NULL ? http_strdup(req, res->etag, strlen(res->etag)) : NULL;
	params[6] = stored ? lifetime : NULL;
	params[7] = res->detail;
	params[8] = http_client_addr(req);
	db_call(req, STMT_FETCHED, params, 9, on_fetched_reported, df);
}

/* The fetcher's answer: report it, or 503 when nothing was tried. */
static void
on_document(const fetch_result *res, void *arg)
{
	docfetch   *df = arg;

	df->waiter = NULL;
	if (res->reason == FETCH_BUSY || res->reason == FETCH_SHUTDOWN)
	{
		LOG_INFO(df->req, "%s document not fetched: %s", df->purpose,
				 fetch_reason_name(res->reason));
		docfetch_unavailable(df, "the server is busy fetching other documents; try again shortly");
		return;
	}
	docfetch_report(df, res);
}

/* Whether the need-fetch answer in body is usable; fills df and opts. */
static bool
docfetch_read(docfetch *df, const char *body, fetch_options *opts)
{
	json_doc	d;
	const json_member *max_body;
	const json_member *refuse;

	if (!http_json_parse(df->req, body, &d))
		return false;
	df->url = json_get_string(&d, "url");
	df->purpose = json_get_string(&d, "purpose");
	max_body = json_get(&d, "max_body");
	refuse = json_get(&d, "refuse_ip_literal");
	if (df->url == NULL || df->purpose == NULL || max_body == NULL ||
		max_body->type != JSON_NUMBER || max_body->number < 1 ||
		max_body->number > DOCFETCH_MAX_BODY || refuse == NULL || refuse->type != JSON_BOOL)
		return false;
	memset(opts, 0, sizeof(*opts));
	opts->max_body = (size_t) max_body->number;
	opts->refuse_ip_literal = refuse->boolean;
	opts->if_none_match = json_get_string(&d, "if_none_match");
	return true;
}

/* The endpoint asked for a document: fetch it (or give up). */
static void
docfetch_fetch(docfetch *df, const char *body)
{
	fetch_options opts;
	fetch_waiter *w;

	if (!docfetch_read(df, body, &opts))
	{
		LOG_ERROR(df->req, "the database asked for a document with an unreadable answer");
		df->cb(df->req, &(db_result) {.status = DB_FAILED}, df->arg);
		return;
	}
	if (df->rounds >= DOCFETCH_ROUNDS)
	{
		LOG_WARN(df->req, "%s document still needed after %d fetches", df->purpose,
				 df->rounds);
		docfetch_unavailable(df, "a document this request needs could not be stored; try again shortly");
		return;
	}
	df->rounds++;
	LOG_DEBUG(df->req, "fetching a %s document", df->purpose);
	w = fetch_start(SHIM_THREAD(df->req)->fetch, df->url, &opts, on_document, df);
	/* NULL: refused before any traffic, on_document has run already */
	if (w != NULL)
		df->waiter = w;
}

/* The endpoint answered: a need-fetch row starts a fetch, others go to the caller. */
static void
on_endpoint(h2o_req_t *req, const db_result *res, void *arg)
{
	docfetch   *df = arg;
	const char *status = db_value(res, "status");
	const char *type = db_value(res, "content_type");

	if (res->status != DB_OK || status == NULL || strcmp(status, "0") != 0 ||
		type == NULL || strcmp(type, DOCFETCH_TYPE) != 0)
	{
		df->cb(req, res, df->arg);
		return;
	}
	docfetch_fetch(df, db_value(res, "body"));
}

/* Call the endpoint (again). */
static void
docfetch_run(docfetch *df)
{
	db_call(df->req, df->stmt, df->params, df->nparams, on_endpoint, df);
}

/* db_call for an endpoint that may ask for a document first. */
void
docfetch_call(h2o_req_t *req, db_stmt stmt, const char *const *params, int nparams,
			  db_done_cb cb, void *arg)
{
	docfetch   *df;
	int			i;

	if (nparams > DOCFETCH_MAX_PARAMS)
	{
		LOG_ERROR(req, "docfetch_call: %d parameters", nparams);
		cb(req, &(db_result) {.status = DB_FAILED}, arg);
		return;
	}
	df = h2o_mem_alloc_shared(&req->pool, sizeof(*df), docfetch_dispose);
	memset(df, 0, sizeof(*df));
	df->req = req;
	df->stmt = stmt;
	df->nparams = nparams;
	df->cb = cb;
	df->arg = arg;
	for (i = 0; i < nparams; i++)
		df->params[i] = params[i] != NULL ? http_strdup(req, params[i], strlen(params[i])) : NULL;
	docfetch_run(df);
}
