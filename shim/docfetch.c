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
 *
 * The requests of one thread waiting for one URL share its fetch (fetch.c)
 * and its report: the first to hear the outcome reports it, the others
 * call their function again once that report is committed, so one fetch
 * is one fetched() call and, when it failed, one audit row.
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

typedef struct docfetch docfetch;

/* A fetched() call running for a URL, and the requests waiting for it. */
typedef struct pending_report
{
	char	   *url;			/* malloc'd */
	docfetch   *leader;			/* the request whose call it is, or NULL */
	docfetch   *followers;		/* linked by next_follower */
	struct pending_report *next;
} pending_report;

/* This thread's running reports. */
static __thread pending_report *reports;

/* One request's calls and fetches, in its pool (shared: see docfetch_dispose). */
struct docfetch
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
	pending_report *report;	/* whose report it makes or waits for */
	docfetch   *next_follower;
};

static void docfetch_run(docfetch *df);

/* The running report for url, or NULL. */
static pending_report *
report_find(const char *url)
{
	pending_report *r;

	for (r = reports; r != NULL; r = r->next)
		if (strcmp(r->url, url) == 0)
			return r;
	return NULL;
}

/* A new running report led by df; NULL when out of memory. */
static pending_report *
report_begin(docfetch *df)
{
	pending_report *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->url = strdup(df->url)) == NULL)
	{
		free(r);
		return NULL;
	}
	r->leader = df;
	r->next = reports;
	reports = r;
	df->report = r;
	return r;
}

/*
 * End report r: unlink and free it, and let each follower call its
 * function again (the report is committed, or its leader went away).
 */
static void
report_end(pending_report *r)
{
	pending_report **p;
	docfetch   *f;

	for (p = &reports; *p != NULL; p = &(*p)->next)
		if (*p == r)
		{
			*p = r->next;
			break;
		}
	if (r->leader != NULL)
		r->leader->report = NULL;
	while ((f = r->followers) != NULL)
	{
		r->followers = f->next_follower;
		f->report = NULL;
		docfetch_run(f);
	}
	free(r->url);
	free(r);
}

/* df calls its function again once r ends. */
static void
report_follow(pending_report *r, docfetch *df)
{
	df->report = r;
	df->next_follower = r->followers;
	r->followers = df;
}

/* Take follower df off its report's list. */
static void
report_leave(docfetch *df)
{
	docfetch  **p;

	for (p = &df->report->followers; *p != NULL; p = &(*p)->next_follower)
		if (*p == df)
		{
			*p = df->next_follower;
			break;
		}
	df->report = NULL;
}

/* The request's pool is freed (it ended, or its client went away). */
static void
docfetch_dispose(void *p)
{
	docfetch   *df = p;

	if (df->waiter != NULL)
		fetch_cancel(df->waiter);
	df->waiter = NULL;
	if (df->report != NULL && df->report->leader == df)
	{
		/* its fetched() result will never come back: free the others */
		df->report->leader = NULL;
		report_end(df->report);
	}
	else if (df->report != NULL)
		report_leave(df);
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

	if (df->report != NULL)
		report_end(df->report);
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
	pending_report *r;

	df->waiter = NULL;
	if (res->reason == FETCH_BUSY || res->reason == FETCH_SHUTDOWN)
	{
		LOG_INFO(df->req, "%s document not fetched: %s", df->purpose,
				 fetch_reason_name(res->reason));
		docfetch_unavailable(df, "the server is busy fetching other documents; try again shortly");
		return;
	}
	if ((r = report_find(df->url)) != NULL)
	{
		/* another waiter of this fetch reports it: call again after it */
		report_follow(r, df);
		return;
	}
	report_begin(df);			/* without memory, this request reports alone */
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
	pending_report *r;

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
	if ((r = report_find(df->url)) != NULL)
	{
		/* fetched a moment ago, the outcome not yet committed: a round too */
		report_follow(r, df);
		return;
	}
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
