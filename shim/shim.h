/*
 * shim.h
 *		Internal interface of the mcp_oauth HTTP server (libh2o 2.2.5 evloop
 *		+ asynchronous libpq).
 *
 * The server maps each HTTP request onto one SQL function call (one
 * transaction) and copies the returned row out.  Files:
 *
 *	main.c		startup, threads, listeners, signals, graceful shutdown
 *	config.c	flags and the config file
 *	db.c		per-thread libpq pool on the event loop: db_call()
 *	routes.c	discovery, token, register, revoke, introspect, health; the
 *				dispatcher that calls pages_*() for the page paths
 *	http.c		response helpers, CORS, security headers, http_response copy
 *	log.c		log lines and the per-request context (id, access log line)
 *	pages.c		(F2) /authorize, /login, /consent, /logout
 *	gateway.c	(F2) the /mcp reverse proxy
 *	fetch.c		the outbound HTTP fetcher (fetch.h): libcurl on the loop
 *	docfetch.c	the need-fetch protocol: fetch what an endpoint asks for
 *
 * No PostgreSQL server headers here (libpq-fe.h only, inside db.c).
 */
#ifndef MCP_OAUTH_SHIM_H
#define MCP_OAUTH_SHIM_H

#ifdef POSTGRES_H
#error "the HTTP server must not include PostgreSQL server headers"
#endif

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <h2o.h>

#include "fetch.h"
#include "lib/form.h"			/* extension/lib/form.h */
#include "lib/json.h"			/* extension/lib/json.h */

/* ---- configuration (config.c) ---- */

#define SHIM_MAX_MCP_PATHS	16

/* An IPv4 or IPv6 network (address with the host bits cleared, prefix length). */
typedef struct shim_cidr
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order; 4 bytes used for AF_INET */
	int			prefix;			/* 0..32 or 0..128 */
} shim_cidr;

typedef struct shim_config
{
	char	   *listen_host;	/* "127.0.0.1" */
	int			listen_port;	/* 8080 */
	char	   *database;		/* libpq conninfo ("" = libpq defaults / PG* env) */
	char	   *issuer;			/* byte-exact public base URL, no trailing slash */
	char	   *issuer_origin;	/* scheme://host[:port] of the issuer */
	char	   *issuer_path;	/* path part of the issuer ("" when none) */
	char	   *mcp_paths[SHIM_MAX_MCP_PATHS];	/* "/mcp" */
	char	   *mcp_resources[SHIM_MAX_MCP_PATHS];	/* issuer_origin + mcp path */
	int			n_mcp_paths;
	char	   *upstream;		/* upstream MCP server URL (NULL: none) */
	char	   *required_scopes;	/* space-separated, for /mcp ("mcp:tools") */
	char	   *tls_cert;		/* NULL: cleartext */
	char	   *tls_key;
	int			threads;		/* event-loop threads (number of cores) */
	int			db_connections;	/* per thread (8) */
	int			db_queue_max;	/* waiting calls per thread before 503 (256) */
	size_t		max_body;		/* request body limit in bytes (65536) */
	int			request_timeout_ms; /* whole request incl. database (10000) */
	int			shutdown_timeout_ms;	/* drain wait on SIGTERM (10000) */
	int			metadata_cache_ms;	/* metadata/JWKS reuse per thread (5000; 0 off) */
	int			log_level;		/* LOG_LEVEL_* */
	shim_cidr  *trusted_proxies;	/* peers whose X-Forwarded-For is used */
	int			n_trusted_proxies;	/* 0: trust nobody */
	char	  **allowed_origins;	/* Origins /mcp accepts, normalised
									 * (lowercase, no default port); the
									 * issuer's origin is always first */
	int			n_allowed_origins;
	fetch_settings fetch;		/* --fetch-* (fetch.h) */
} shim_config;

extern shim_config shim_conf;

/*
 * Fill shim_conf from defaults, --config FILE and flags (flags win).  On a
 * bad configuration prints a clear message to stderr and exits 2; on
 * --help prints usage and exits 0.
 */
extern void config_load(int argc, char **argv);

/* ---- logging (log.c): one line per event on stderr ---- */

enum
{
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

extern void shim_log(int level, h2o_req_t *req, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* req may be NULL; when given the line carries the request id. */
#define LOG_ERROR(req, ...) shim_log(LOG_LEVEL_ERROR, (req), __VA_ARGS__)
#define LOG_WARN(req, ...)	shim_log(LOG_LEVEL_WARN, (req), __VA_ARGS__)
#define LOG_INFO(req, ...)	shim_log(LOG_LEVEL_INFO, (req), __VA_ARGS__)
#define LOG_DEBUG(req, ...) \
	do { if (shim_conf.log_level >= LOG_LEVEL_DEBUG) \
			shim_log(LOG_LEVEL_DEBUG, (req), __VA_ARGS__); } while (0)

/*
 * Per-request context, created on first use and freed with the request
 * pool; its disposal writes the access log line (time, id, method, path
 * without query, status, duration).  Every handler calls request_begin()
 * first (routes.c does it for the paths it dispatches; gateway handlers
 * registered on their own pathconf must call it themselves).
 */
typedef struct shim_request shim_request;
extern shim_request *request_begin(h2o_req_t *req);
extern const char *request_id(h2o_req_t *req);	/* "" when no context */
extern int	request_inflight(void);	/* contexts alive on this thread */

/* ---- per-thread state (main.c) ---- */

typedef struct db_pool db_pool;

typedef struct shim_thread
{
	h2o_context_t ctx;			/* first: req->conn->ctx casts to shim_thread */
	int			index;
	db_pool    *db;
	fetch_ctx  *fetch;			/* this loop's outbound fetcher */
	h2o_timeout_t request_timeout;	/* shim_conf.request_timeout_ms */
	bool		draining;		/* SIGTERM seen */
} shim_thread;

#define SHIM_THREAD(req) ((shim_thread *) (req)->conn->ctx)

/* ---- database (db.c) ---- */

/*
 * Prepared statements, prepared once on every connection.  Parameters are
 * text (NULL pointer = SQL NULL); the SQL casts them.  The result is the
 * first row's columns of "SELECT * FROM mcp_oauth.f(...)".
 */
typedef enum db_stmt
{
	STMT_PING = 0,				/* SELECT 1 */
	STMT_AS_METADATA,			/* authorization_server_metadata() */
	STMT_OIDC_CONFIG,			/* openid_configuration() */
	STMT_PR_METADATA,			/* protected_resource_metadata($1 resource) */
	STMT_JWKS,					/* jwks() */
	STMT_REGISTER,				/* register($1 ct, $2 authz, $3 body, $4 addr) */
	STMT_TOKEN,					/* token(ct, authz, body, addr) */
	STMT_REVOKE,				/* revoke(ct, authz, body, addr) */
	STMT_INTROSPECT,			/* introspect(ct, authz, body, addr) */
	STMT_AUTHORIZE,				/* authorize($1 query, $2 addr) */
	STMT_AUTHORIZE_DECISION,	/* authorize_decision($1 request_id,
								 * $2 subject, $3 approve 'true'/'false',
								 * $4 granted_scope, $5 addr) */
	STMT_VERIFY,				/* verify_access_token($1 token,
								 * $2 resource, $3 required scopes
								 * space-separated) -> token_verification */
	STMT_LOGIN,					/* login($1 username, $2 password, $3 addr)
								 * -> login_result */
	STMT_SESSION_SUBJECT,		/* session_subject($1 session_token) ->
								 * (subject, csrf_token, is_admin) or no row */
	STMT_LOGOUT,				/* logout($1 session_token) */
	STMT_FETCHED,				/* fetched($1 url, $2 purpose, $3 outcome,
								 * $4 status, $5 body, $6 etag, $7 lifetime,
								 * $8 detail, $9 addr) -> (fetched text) */
	STMT__COUNT
} db_stmt;

typedef enum db_status
{
	DB_OK = 0,					/* query done and committed; row may be absent */
	DB_UNAVAILABLE,				/* no connection / queue full / timeout /
								 * statement cancelled (57014): 503 */
	DB_FAILED					/* SQL error (logged with SQLSTATE): 500 */
} db_status;

#define DB_MAX_COLS 16

typedef struct db_result
{
	db_status	status;
	int			nrows;			/* 0 or more; only row 0 is copied */
	int			ncols;
	const char *names[DB_MAX_COLS];	/* column names */
	const char *values[DB_MAX_COLS];	/* row 0 values, NULL = SQL NULL */
} db_result;

/*
 * Called once when the call completes, on the request's thread, with
 * strings in req->pool (valid for the request's life).  Never called if
 * the client went away meanwhile (the late result is dropped).  arg should
 * live in req->pool.
 */
typedef void (*db_done_cb) (h2o_req_t *req, const db_result *res, void *arg);

/*
 * Run a prepared statement for req asynchronously.  params are copied.
 * Queued when every connection of the thread is busy; when the queue is
 * full or the database is down, cb gets DB_UNAVAILABLE (maybe before
 * db_call returns).  Serialization failures/deadlocks are retried once.
 * At --request-timeout cb gets DB_UNAVAILABLE and a statement still
 * running is cancelled (also when the client has gone away meanwhile).
 */
extern void db_call(h2o_req_t *req, db_stmt stmt, const char *const *params,
					int nparams, db_done_cb cb, void *arg);

/* The value of column name in row 0 (NULL when SQL NULL, absent or no row). */
extern const char *db_value(const db_result *res, const char *name);

extern db_pool *db_pool_create(h2o_context_t *ctx, int nconns);
extern void db_pool_destroy(db_pool *pool);
extern int	db_pool_busy(db_pool *pool);	/* calls running or queued */

/* Synchronous startup check (issuer and resources); exits 2 on mismatch. */
extern void db_startup_check(void);

/* ---- documents the database needs (docfetch.c) ---- */

/*
 * db_call for an endpoint function returning http_response that may answer
 * status 0 ("fetch this URL, report it with fetched(), call me again"):
 * cb gets the final row.  The fetch runs on the thread's fetcher; at most
 * two fetches per request, after that (or when the fetcher is busy or
 * shutting down) cb gets a 503 row of ours, with Retry-After added to the
 * response.  A request that goes away meanwhile is never called back.
 */
extern void docfetch_call(h2o_req_t *req, db_stmt stmt, const char *const *params,
						  int nparams, db_done_cb cb, void *arg);

/* ---- HTTP helpers (http.c) ---- */

/* Response flags. */
#define HTTP_CORS		0x01	/* add Access-Control-Allow-Origin/Expose-Headers */
#define HTTP_NO_STORE	0x02	/* Cache-Control: no-store (unless set) */

/* A request header's value, or NULL. */
extern const h2o_iovec_t *http_header(h2o_req_t *req, const h2o_token_t *token);
/* Whether the request carries the header more than once. */
extern bool http_header_repeated(h2o_req_t *req, const h2o_token_t *token);
/* A request header's value by name (lowercase), or NULL. */
extern const h2o_iovec_t *http_header_by_name(h2o_req_t *req, const char *name);
/* NUL-terminated copy in req->pool. */
extern char *http_strdup(h2o_req_t *req, const char *s, size_t len);
/*
 * The client's address as text ("127.0.0.1", "::1"), in req->pool; NULL if
 * unknown.  Behind a --trusted-proxies peer, taken from X-Forwarded-For.
 */
extern const char *http_client_addr(h2o_req_t *req);
/* The value of a request cookie, in req->pool, or NULL. */
extern const char *http_cookie(h2o_req_t *req, const char *name);
/* The path without query string, in req->pool. */
extern const char *http_path(h2o_req_t *req);
/* The query string without '?', in req->pool ("" when none). */
extern const char *http_query(h2o_req_t *req);
/* The request body, NUL-terminated, in req->pool ("" when none). */
extern const char *http_body(h2o_req_t *req);
/* Is s[0..len) valid UTF-8 without NUL bytes (safe as a text parameter)? */
extern bool http_valid_text(const char *s, size_t len);
/* Parse an application/x-www-form-urlencoded string with req->pool memory. */
extern form_status http_form_parse(h2o_req_t *req, const char *s, size_t len,
								   form *out);
/* Parse a JSON object (lib/json.h, strict limits) with req->pool memory. */
extern bool http_json_parse(h2o_req_t *req, const char *s, json_doc *out);
/* The same within the given limits. */
extern bool http_json_read(h2o_req_t *req, const char *s,
						   const json_limits *limits, json_doc *out);
/*
 * Whether the Accept header ranks text/html above application/json (a
 * browser navigating); false without one or on a tie ("*" "/" "*").
 */
extern bool http_prefers_html(h2o_req_t *req);
/*
 * The client id a token-endpoint-style request names (the Basic user name,
 * else the form's client_id), cut to 64 bytes with anything but visible
 * ASCII replaced by '?', for a log line; "-" when none.  Never a secret:
 * the Basic password and every other form field are left alone.
 */
extern const char *http_client_id_for_log(h2o_req_t *req);
/* Does the Content-Type (without parameters) equal mime (case-insensitive)? */
extern bool http_content_type_is(h2o_req_t *req, const char *mime);

/* Whether s may be a header value (not NULL, no control characters). */
extern bool http_header_value_ok(const char *s);
/* Add a response header (name and value copied into req->pool). */
extern void http_add_header(h2o_req_t *req, const char *name, const char *value);
/* Add X-Content-Type-Options: nosniff and HSTS (every send helper does it). */
extern void http_security_headers(h2o_req_t *req);
/* Add Strict-Transport-Security when this server terminates TLS. */
extern void http_hsts_header(h2o_req_t *req);
/* Add the CORS response headers. */
extern void http_cors_headers(h2o_req_t *req);
/* Answer an OPTIONS preflight: 204 with the CORS allow headers. */
extern void http_cors_preflight(h2o_req_t *req, const char *allow_methods);

/* Send status + body (copied) with Content-Type and Content-Length. */
extern void http_send(h2o_req_t *req, int status, const char *content_type,
					  const char *body, size_t len, int flags);
/* Send {"error":code} (and error_description when not NULL) as JSON. */
extern void http_send_error(h2o_req_t *req, int status, const char *code,
							const char *description, int flags);
/* 405 with Allow. */
extern void http_send_405(h2o_req_t *req, const char *allow, int flags);
/*
 * Copy an http_response row (status, content_type, location,
 * www_authenticate, cache_control, body) to the response; DB_UNAVAILABLE
 * gives 503 + Retry-After: 1, DB_FAILED or a missing row 500.
 */
extern void http_send_db_response(h2o_req_t *req, const db_result *res, int flags);
/* 503/500 for a failed db_result (status != DB_OK). */
extern void http_send_db_failure(h2o_req_t *req, const db_result *res, int flags);

/* ---- routes (routes.c) ---- */

/* Register every route on the host (called once per hostconf). */
extern void routes_register(h2o_hostconf_t *host);
/* Free the calling thread's metadata cache (--metadata-cache-ms). */
extern void routes_thread_done(void);

/* ---- pages (pages.c, F2): called by routes.c after request_begin() ----
 *
 * routes.c dispatches on the exact path and checks the method (405 with
 * Allow otherwise); no CORS on pages.  Each returns 0 after it has sent or
 * will send (asynchronously) a response.
 *	GET /authorize			pages_authorize
 *	GET, POST /login		pages_login
 *	POST /consent			pages_consent
 *	GET, POST /logout		pages_logout
 */
extern int	pages_authorize(h2o_req_t *req);
extern int	pages_login(h2o_req_t *req);
extern int	pages_consent(h2o_req_t *req);
extern int	pages_logout(h2o_req_t *req);
/* A page with a heading and a paragraph (plain text), for a browser. */
extern void pages_message(h2o_req_t *req, int status, const char *title,
						  const char *text);

/* ---- gateway (gateway.c, F2) ----
 *
 * Called by main.c once per MCP path (index into shim_conf.mcp_paths) with
 * that path's own pathconf, before routes.c registers "/".  The gateway
 * handles OPTIONS preflight (http_cors_preflight), bearer verification
 * (STMT_VERIFY with shim_conf.mcp_resources[index] and
 * shim_conf.required_scopes) and proxying to shim_conf.upstream.
 */
extern void gateway_register(h2o_pathconf_t *pathconf, int index);

#endif							/* MCP_OAUTH_SHIM_H */
