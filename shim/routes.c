/*
 * routes.c
 *		The route table and the endpoints that map one request onto one SQL
 *		function: discovery, JWKS, token, register, revoke, introspect,
 *		health.  Page paths are dispatched to pages.c.
 *
 * Method, content type and size are checked here, before the database is
 * touched.  Paths match exactly (h2o path handlers match by prefix).
 */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum route_kind
{
	R_AS_METADATA,
	R_OIDC_CONFIG,
	R_PR_METADATA,
	R_JWKS,
	R_TOKEN,
	R_REGISTER,
	R_REVOKE,
	R_INTROSPECT,
	R_HEALTHZ,
	R_READYZ,
	R_PAGE_AUTHORIZE,
	R_PAGE_LOGIN,
	R_PAGE_CONSENT,
	R_PAGE_LOGOUT
} route_kind;

#define M_GET	0x01
#define M_POST	0x02

typedef struct route
{
	char	   *path;
	size_t		path_len;
	route_kind	kind;
	int			methods;		/* M_* */
	int			flags;			/* HTTP_CORS ... */
	const char *resource;		/* R_PR_METADATA: resource URI, NULL = first */
	int			cache_slot;		/* metadata cache entry, -1 = not cached */
} route;

#define MAX_ROUTES (32 + 2 * SHIM_MAX_MCP_PATHS)

static route routes[MAX_ROUTES];
static int	nroutes;

/*
 * The metadata cache: per thread, one entry per distinct answer (AS
 * metadata, OIDC configuration, JWKS, PRM of the root and of each MCP
 * path).  An entry is a copy of a 200 http_response row, replayed through
 * http_send_db_response() so that a cached answer is byte-identical to a
 * fresh one.  Failures are never cached.
 */
enum
{
	SLOT_AS = 0,
	SLOT_OIDC,
	SLOT_JWKS,
	SLOT_PRM_ROOT,
	SLOT_PRM_PATH,				/* + MCP path index */
	MCACHE_SLOTS = SLOT_PRM_PATH + SHIM_MAX_MCP_PATHS
};

typedef struct mcache_entry
{
	uint64_t	expires;		/* loop time (ms); 0 = empty */
	uint64_t	refreshing;		/* loop time its refresh began; 0 = none */
	db_result	res;			/* strings in block */
	char	   *block;
} mcache_entry;

/*
 * A stale entry is refreshed by one request; the others get the stale copy
 * meanwhile, for at most this long (a refresh whose answer never came, e.g.
 * its client left, does not hold the others back for longer).  Without
 * this, every request arriving until the first answer went to the
 * database: at 200k requests/s, thousands of queued calls per expiry, and
 * seconds of latency for the last of them.
 */
#define MCACHE_REFRESH_MAX_MS 2000

static __thread mcache_entry mcache[MCACHE_SLOTS];

/* ---- the route table ---- */

/* Add a route (path copied). */
static void
add_route(const char *prefix, const char *suffix, route_kind kind, int methods,
		  int flags, const char *resource, int cache_slot)
{
	route	   *r;
	int			i;
	size_t		len = strlen(prefix) + strlen(suffix) + 1;

	if (nroutes >= MAX_ROUTES)
	{
		fprintf(stderr, "mcp-oauth-server: too many routes\n");
		exit(2);
	}
	r = &routes[nroutes];
	r->path = malloc(len);
	if (r->path == NULL)
		exit(1);
	snprintf(r->path, len, "%s%s", prefix, suffix);
	for (i = 0; i < nroutes; i++)
		if (strcmp(routes[i].path, r->path) == 0)
		{
			free(r->path);		/* same path twice (e.g. empty issuer path) */
			return;
		}
	r->path_len = strlen(r->path);
	r->kind = kind;
	r->methods = methods;
	r->flags = flags;
	r->resource = resource;
	r->cache_slot = cache_slot;
	nroutes++;
}

/* Build the table from the configuration. */
static void
build_routes(void)
{
	const char *ip = shim_conf.issuer_path;
	int			i;

	add_route("/.well-known/oauth-authorization-server", ip, R_AS_METADATA, M_GET, HTTP_CORS, NULL, SLOT_AS);
	add_route("/.well-known/oauth-authorization-server", "", R_AS_METADATA, M_GET, HTTP_CORS, NULL, SLOT_AS);
	add_route("/.well-known/openid-configuration", ip, R_OIDC_CONFIG, M_GET, HTTP_CORS, NULL, SLOT_OIDC);
	add_route(ip, "/.well-known/openid-configuration", R_OIDC_CONFIG, M_GET, HTTP_CORS, NULL, SLOT_OIDC);
	add_route("/.well-known/openid-configuration", "", R_OIDC_CONFIG, M_GET, HTTP_CORS, NULL, SLOT_OIDC);
	add_route("/.well-known/oauth-protected-resource", "", R_PR_METADATA, M_GET, HTTP_CORS, NULL,
			  SLOT_PRM_ROOT);
	for (i = 0; i < shim_conf.n_mcp_paths; i++)
		add_route("/.well-known/oauth-protected-resource", shim_conf.mcp_paths[i],
				  R_PR_METADATA, M_GET, HTTP_CORS, shim_conf.mcp_resources[i], SLOT_PRM_PATH + i);
	add_route(ip, "/.well-known/jwks.json", R_JWKS, M_GET, HTTP_CORS, NULL, SLOT_JWKS);
	add_route(ip, "/token", R_TOKEN, M_POST, HTTP_CORS, NULL, -1);
	add_route(ip, "/register", R_REGISTER, M_POST, HTTP_CORS, NULL, -1);
	add_route(ip, "/revoke", R_REVOKE, M_POST, HTTP_CORS, NULL, -1);
	add_route(ip, "/introspect", R_INTROSPECT, M_POST, 0, NULL, -1);
	add_route(ip, "/authorize", R_PAGE_AUTHORIZE, M_GET, 0, NULL, -1);
	add_route(ip, "/login", R_PAGE_LOGIN, M_GET | M_POST, 0, NULL, -1);
	add_route(ip, "/consent", R_PAGE_CONSENT, M_POST, 0, NULL, -1);
	add_route(ip, "/logout", R_PAGE_LOGOUT, M_GET | M_POST, 0, NULL, -1);
	add_route("/healthz", "", R_HEALTHZ, M_GET, 0, NULL, -1);
	add_route("/readyz", "", R_READYZ, M_GET, 0, NULL, -1);
}

/* The route of the request's exact path, or NULL. */
static const route *
find_route(h2o_req_t *req)
{
	size_t		len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
	int			i;

	for (i = 0; i < nroutes; i++)
		if (h2o_memis(req->path.base, len, routes[i].path, routes[i].path_len))
			return &routes[i];
	return NULL;
}

/* "GET, OPTIONS" etc. for a route. */
static const char *
allow_header(const route *r)
{
	switch (r->methods)
	{
		case M_GET:
			return "GET, HEAD, OPTIONS";
		case M_POST:
			return "POST, OPTIONS";
		default:
			return "GET, HEAD, POST, OPTIONS";
	}
}

/* ---- endpoints ---- */

/* db_call callback: copy the http_response row out. */
static void
on_http_response(h2o_req_t *req, const db_result *res, void *arg)
{
	const route *r = arg;

	http_send_db_response(req, res, r->flags);
}

/* The name of a POST endpoint in a log line. */
static const char *
post_name(route_kind kind)
{
	switch (kind)
	{
		case R_TOKEN:
			return "token";
		case R_REGISTER:
			return "register";
		case R_REVOKE:
			return "revoke";
		default:
			return "introspect";
	}
}

/*
 * Log a refused token, register, revoke or introspect request at info
 * level: the status, the OAuth error code and the client id the request
 * named (never a secret, token or code: those stay in the body, unread).
 */
static void
log_refusal(h2o_req_t *req, const route *r, int status, const char *error)
{
	LOG_INFO(req, "%s: refused %d error=%s client_id=\"%s\"", post_name(r->kind),
			 status, error, http_client_id_for_log(req));
}

/* The "error" member of a JSON error body, fit for a log line; "-" if none. */
static const char *
error_code(h2o_req_t *req, const char *body)
{
	json_doc	doc;
	const json_member *m;
	size_t		n;

	if (!http_json_parse(req, body, &doc) ||
		(m = json_get(&doc, "error")) == NULL || m->type != JSON_STRING)
		return "-";
	n = strspn(m->string, "abcdefghijklmnopqrstuvwxyz_");
	return n > 0 && n <= 64 && m->string[n] == '\0' ? m->string : "?";
}

/*
 * Retry-After of a registration refused by the rate limit: its window
 * (register.c REG_RATE_WINDOW_SECS).  The limit counts the registrations
 * of a sliding hour and not the refused ones, so an hour after a refusal
 * every registration it counted has left the window.  (The http_response
 * row has no column for a shorter, exact wait.)
 */
#define REGISTER_RETRY_AFTER "3600"

/* db_call callback of a POST endpoint: log a refusal, copy the row out. */
static void
on_post_response(h2o_req_t *req, const db_result *res, void *arg)
{
	const route *r = arg;
	const char *status = db_value(res, "status");

	if (res->status == DB_OK && status != NULL && atoi(status) >= 400)
		log_refusal(req, r, atoi(status), error_code(req, db_value(res, "body")));
	if (res->status == DB_OK && status != NULL && atoi(status) == 429 &&
		r->kind == R_REGISTER)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
					   H2O_STRLIT(REGISTER_RETRY_AFTER));
	http_send_db_response(req, res, r->flags);
}

/* Refuse a POST before the database is asked: log, then the JSON error. */
static void
refuse_post(h2o_req_t *req, const route *r, int status, const char *description)
{
	log_refusal(req, r, status, "invalid_request");
	http_send_error(req, status, "invalid_request", description, r->flags);
}

/* Empty a metadata cache entry. */
static void
mcache_clear(mcache_entry *e)
{
	free(e->block);
	memset(e, 0, sizeof(*e));
}

/* Length of s with its NUL, 0 for NULL. */
static size_t
size_or_zero(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copy s (may be NULL) to *p and advance *p. */
static const char *
copy_advance(char **p, const char *s)
{
	char	   *dst = *p;
	size_t		n = size_or_zero(s);

	if (s == NULL)
		return NULL;
	memcpy(dst, s, n);
	*p += n;
	return dst;
}

/* Keep a copy of a 200 http_response row in e until now + the cache time. */
static void
mcache_store(mcache_entry *e, const db_result *res, uint64_t now)
{
	const char *status = db_value(res, "status");
	size_t		size = 0;
	char	   *block,
			   *p;
	int			i;

	if (res->status != DB_OK || res->nrows < 1 || status == NULL || strcmp(status, "200") != 0)
		return;
	for (i = 0; i < res->ncols; i++)
		size += size_or_zero(res->names[i]) + size_or_zero(res->values[i]);
	if ((block = malloc(size > 0 ? size : 1)) == NULL)
		return;
	mcache_clear(e);
	e->block = p = block;
	e->res.status = DB_OK;
	e->res.nrows = 1;
	e->res.ncols = res->ncols;
	for (i = 0; i < res->ncols; i++)
	{
		e->res.names[i] = copy_advance(&p, res->names[i]);
		e->res.values[i] = copy_advance(&p, res->values[i]);
	}
	e->expires = now + shim_conf.metadata_cache_ms;
}

/*
 * db_call callback of a cached route: answer, and keep a 200 answer (a
 * failure ends the refresh: the next request tries again).
 */
static void
on_metadata_response(h2o_req_t *req, const db_result *res, void *arg)
{
	const route *r = arg;

	mcache[r->cache_slot].refreshing = 0;
	mcache_store(&mcache[r->cache_slot], res, h2o_now(req->conn->ctx->loop));
	http_send_db_response(req, res, r->flags);
}

/*
 * Answer from the metadata cache: a fresh entry, or a stale one while
 * another request refreshes it; false when this request is to ask the
 * database (and then, if the entry is stale, it is the one refreshing it).
 */
static bool
mcache_serve(h2o_req_t *req, const route *r)
{
	mcache_entry *e;
	uint64_t	now;

	if (shim_conf.metadata_cache_ms <= 0 || r->cache_slot < 0)
		return false;
	e = &mcache[r->cache_slot];
	if (e->expires == 0)
		return false;
	now = h2o_now(req->conn->ctx->loop);
	if (now >= e->expires &&
		(e->refreshing == 0 || now - e->refreshing >= MCACHE_REFRESH_MAX_MS))
	{
		e->refreshing = now;
		return false;
	}
	http_send_db_response(req, &e->res, r->flags);
	return true;
}

/* Free this thread's metadata cache (at thread exit). */
void
routes_thread_done(void)
{
	int			i;

	for (i = 0; i < MCACHE_SLOTS; i++)
		mcache_clear(&mcache[i]);
}

/* Discovery and JWKS: a GET onto a function without request input. */
static void
serve_metadata(h2o_req_t *req, const route *r)
{
	const char *params[1] = {r->resource};
	db_done_cb	cb = on_http_response;

	if (mcache_serve(req, r))
		return;
	if (shim_conf.metadata_cache_ms > 0 && r->cache_slot >= 0)
		cb = on_metadata_response;

	switch (r->kind)
	{
		case R_AS_METADATA:
			db_call(req, STMT_AS_METADATA, NULL, 0, cb, (void *) r);
			break;
		case R_OIDC_CONFIG:
			db_call(req, STMT_OIDC_CONFIG, NULL, 0, cb, (void *) r);
			break;
		case R_PR_METADATA:
			db_call(req, STMT_PR_METADATA, params, 1, cb, (void *) r);
			break;
		default:
			db_call(req, STMT_JWKS, NULL, 0, cb, (void *) r);
			break;
	}
}

/* The statement of a POST endpoint. */
static db_stmt
post_stmt(route_kind kind)
{
	switch (kind)
	{
		case R_TOKEN:
			return STMT_TOKEN;
		case R_REGISTER:
			return STMT_REGISTER;
		case R_REVOKE:
			return STMT_REVOKE;
		default:
			return STMT_INTROSPECT;
	}
}

/* Header value as a NUL-terminated string, or NULL; false when it is not text. */
static bool
header_text(h2o_req_t *req, const h2o_token_t *token, const char **out)
{
	const h2o_iovec_t *v = http_header(req, token);

	*out = NULL;
	if (v == NULL)
		return true;
	if (!http_valid_text(v->base, v->len))
		return false;
	*out = http_strdup(req, v->base, v->len);
	return true;
}

/* Token, register, revoke, introspect: (content type, authorization, body, address). */
static void
serve_post(h2o_req_t *req, const route *r)
{
	const char *mime = r->kind == R_REGISTER ? "application/json" :
		"application/x-www-form-urlencoded";
	const char *params[4];

	if (!http_content_type_is(req, mime))
	{
		char		desc[96];

		snprintf(desc, sizeof(desc), "the request body must be %s", mime);
		refuse_post(req, r, 415, desc);
		return;
	}
	if (req->entity.len > shim_conf.max_body)
	{
		refuse_post(req, r, 413, "the request body is too large");
		return;
	}
	if (http_header_repeated(req, H2O_TOKEN_AUTHORIZATION) ||
		http_header_repeated(req, H2O_TOKEN_CONTENT_TYPE))
	{
		/* RFC 6749 section 2.3: one client authentication per request */
		refuse_post(req, r, 400, "the Authorization or Content-Type header is repeated");
		return;
	}
	if (!http_valid_text(req->entity.base, req->entity.len) ||
		!header_text(req, H2O_TOKEN_CONTENT_TYPE, &params[0]) ||
		!header_text(req, H2O_TOKEN_AUTHORIZATION, &params[1]))
	{
		refuse_post(req, r, 400, "the request is not valid UTF-8 text");
		return;
	}
	params[2] = http_body(req);
	params[3] = http_client_addr(req);
	docfetch_call(req, post_stmt(r->kind), params, 4, on_post_response, (void *) r);
}

/* /readyz: 200 when a database round trip works. */
static void
on_ready(h2o_req_t *req, const db_result *res, void *arg)
{
	if (res->status == DB_OK && res->nrows == 1)
		http_send(req, 200, "application/json", "{\"status\":\"ready\"}", 18, HTTP_NO_STORE);
	else
	{
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
		http_send(req, 503, "application/json", "{\"status\":\"unavailable\"}", 24, HTTP_NO_STORE);
	}
}

/* Dispatch a request whose route and method are valid. */
static int
serve(h2o_req_t *req, const route *r)
{
	switch (r->kind)
	{
		case R_AS_METADATA:
		case R_OIDC_CONFIG:
		case R_PR_METADATA:
		case R_JWKS:
			serve_metadata(req, r);
			return 0;
		case R_TOKEN:
		case R_REGISTER:
		case R_REVOKE:
		case R_INTROSPECT:
			serve_post(req, r);
			return 0;
		case R_HEALTHZ:
			http_send(req, 200, "application/json", "{\"status\":\"ok\"}", 15, HTTP_NO_STORE);
			return 0;
		case R_READYZ:
			db_call(req, STMT_PING, NULL, 0, on_ready, NULL);
			return 0;
		case R_PAGE_AUTHORIZE:
			return pages_authorize(req);
		case R_PAGE_LOGIN:
			return pages_login(req);
		case R_PAGE_CONSENT:
			return pages_consent(req);
		case R_PAGE_LOGOUT:
			return pages_logout(req);
	}
	return -1;
}

/* Does the request's method match one of methods (HEAD counts as GET)? */
static bool
method_allowed(h2o_req_t *req, int methods)
{
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
		h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")))
		return (methods & M_GET) != 0;
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		return (methods & M_POST) != 0;
	return false;
}

/* The handler of every path but the MCP paths. */
static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	const route *r;

	request_begin(req);
	r = find_route(req);
	if (r == NULL)
	{
		if (http_prefers_html(req))
			pages_message(req, 404, "Page not found",
						  "There is no page at this address. Applications that use "
						  "this sign-in service open the pages they need by themselves.");
		else
			http_send_error(req, 404, "not_found", NULL, 0);
		return 0;
	}
	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")))
	{
		if (r->flags & HTTP_CORS)
			http_cors_preflight(req, allow_header(r));
		else
		{
			h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
						   allow_header(r), strlen(allow_header(r)));
			http_send(req, 204, NULL, NULL, 0, 0);
		}
		return 0;
	}
	if (!method_allowed(req, r->methods))
	{
		if (!http_prefers_html(req))
			http_send_405(req, allow_header(r), r->flags);
		else
		{
			h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
						   allow_header(r), strlen(allow_header(r)));
			pages_message(req, 405, "This page cannot be opened this way",
						  "Return to the application and connect again from there.");
		}
		return 0;
	}
	return serve(req, r);
}

/* Register the route handler on "/" of host. */
void
routes_register(h2o_hostconf_t *host)
{
	h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
	h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));

	build_routes();
	handler->on_req = on_req;
}
