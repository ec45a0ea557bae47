/*
 * fetch.h
 *		The server's one outbound HTTP fetcher: https GETs of small JSON
 *		documents (client metadata, JWKS, provider metadata) on an h2o event
 *		loop, through libcurl's multi socket interface, never blocking the
 *		loop.
 *
 * Each event-loop thread has its own fetch_ctx.  A fetch is refused before
 * any network traffic when its URL is not https with a path (userinfo,
 * fragments and, on request, IP-literal hosts refused: lib/uri.h), or when
 * the thread already runs max_total fetches, or max_per_host for that
 * host.  libcurl resolves the name (its threaded resolver), and every
 * address it is about to connect to is checked in CURLOPT_OPENSOCKETFUNCTION
 * against the special-purpose ranges of lib/netaddr.h (minus the operator's
 * allowed CIDRs) before a socket exists, so the address checked is the
 * address connected to.  No redirect is followed, the status must be 200
 * (or 304 to an If-None-Match), the Content-Type JSON, the body at most the
 * request's cap; TLS is verified against the system store plus ca_file.
 * Concurrent requests of the same URL with the same options share one
 * fetch (single flight).
 *
 * No PostgreSQL headers; logs name the URL's host and the reason only,
 * never a body.
 */
#ifndef MCP_OAUTH_FETCH_H
#define MCP_OAUTH_FETCH_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif

#include <stdbool.h>
#include <stddef.h>
#include <h2o.h>

#include "lib/netaddr.h"		/* extension/lib/netaddr.h */

/* Why a fetch ended; fetch_reason_name() gives the lowercase word. */
typedef enum fetch_reason
{
	FETCH_OK = 0,				/* 200, JSON, within the cap: body */
	FETCH_NOT_MODIFIED,			/* 304 to the If-None-Match sent */
	FETCH_BAD_URL,				/* refused by uri_fetch_problem() */
	FETCH_DNS,					/* the name did not resolve */
	FETCH_REFUSED_ADDRESS,		/* an address it resolved to is refused */
	FETCH_CONNECT,				/* no connection */
	FETCH_TLS,					/* handshake or certificate failure */
	FETCH_TIMEOUT,				/* connect or total timeout */
	FETCH_REDIRECT,				/* a 3xx (never followed) */
	FETCH_STATUS,				/* another status than 200 (or 304) */
	FETCH_SIZE,					/* the body is larger than the cap */
	FETCH_CONTENT_TYPE,			/* not application/json nor +json */
	FETCH_BUSY,					/* concurrency cap reached: not tried */
	FETCH_NETWORK,				/* any other transfer failure */
	FETCH_SHUTDOWN				/* the fetcher was destroyed first */
} fetch_reason;

/* The settings of every fetcher of the process (shim_conf.fetch). */
typedef struct fetch_settings
{
	netaddr_cidr *allow;		/* --fetch-allow-cidrs: reachable anyway */
	int			n_allow;
	char	   *ca_file;		/* --fetch-ca-file: a CA besides the system's */
	int			connect_timeout_ms; /* 2000 */
	int			timeout_ms;		/* whole fetch, 5000 */
	int			max_total;		/* fetches at once per thread (16) */
	int			max_per_host;	/* of those, to one host[:port] (2) */
	int			min_lifetime_s; /* freshness clamp, 300 */
	int			max_lifetime_s; /* 86400 */
	/*
	 * Test hook, set by no flag (the environment variable
	 * MCP_OAUTH_TEST_FETCH_RESOLVE of config.c): "host:port:address"
	 * entries libcurl resolves the name to (CURLOPT_RESOLVE); the
	 * addresses are checked like any others.
	 */
	char	  **resolve;
	int			n_resolve;
} fetch_settings;

/* What one fetch needs besides its URL. */
typedef struct fetch_options
{
	size_t		max_body;		/* body cap in bytes (5 KB for client metadata) */
	bool		refuse_ip_literal;	/* refuse a URL whose host is an IP address */
	const char *if_none_match;	/* an ETag to revalidate (NULL: none) */
} fetch_options;

/* The outcome of one fetch, valid only during the callback. */
typedef struct fetch_result
{
	fetch_reason reason;
	long		status;			/* HTTP status, 0 when none arrived */
	const char *body;			/* NUL-terminated; "" unless FETCH_OK */
	size_t		body_len;
	const char *etag;			/* the response's ETag (visible ASCII), or NULL */
	int			lifetime_s;		/* freshness from Cache-Control/Expires/Date,
								 * clamped; for FETCH_OK and _NOT_MODIFIED */
	bool		no_store;		/* Cache-Control: no-store or no-cache */
	const char *detail;			/* why, for FETCH_REFUSED_ADDRESS the address
								 * class; may be NULL.  Never a body. */
} fetch_result;

typedef struct fetch_ctx fetch_ctx;
typedef struct fetch_waiter fetch_waiter;

/* Called once per fetch_start() that returned non-NULL, on the loop's thread. */
typedef void (*fetch_done_cb) (const fetch_result *res, void *arg);

/* curl_global_init (once, before threads) and curl_global_cleanup; false on failure. */
extern bool fetch_global_init(void);
extern void fetch_global_cleanup(void);

/* Whether a fetcher can be made with settings (the CA file is usable); logged if not. */
extern bool fetch_settings_ok(const fetch_settings *settings);

/* A fetcher on loop with settings (kept by pointer); NULL on failure. */
extern fetch_ctx *fetch_ctx_create(h2o_evloop_t *loop, const fetch_settings *settings);

/* Stop every fetch (waiters get FETCH_SHUTDOWN) and free the fetcher. */
extern void fetch_ctx_destroy(fetch_ctx *ctx);

/* Fetches running (each may have many waiters). */
extern int	fetch_pending(fetch_ctx *ctx);

/*
 * Fetch url (GET) and call cb with the result.  A refusal before any
 * network traffic (FETCH_BAD_URL, FETCH_BUSY) calls cb before returning
 * and returns NULL; otherwise returns a handle for fetch_cancel().  A
 * request that equals a running one (URL and options) waits for it.
 */
extern fetch_waiter *fetch_start(fetch_ctx *ctx, const char *url,
								 const fetch_options *opts,
								 fetch_done_cb cb, void *arg);

/* Forget a waiter before its callback (its fetch goes on for the others). */
extern void fetch_cancel(fetch_waiter *w);

/* "ok", "not_modified", "dns", "refused_address", ... */
extern const char *fetch_reason_name(fetch_reason reason);

#endif							/* MCP_OAUTH_FETCH_H */
