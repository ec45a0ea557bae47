/*
 * gateway.c
 *		The /mcp gateway: bearer token verification in front of the
 *		upstream MCP server (RFC 6750, RFC 9728, MCP authorization).
 *
 * Each configured MCP path gets its own pathconf with three parts:
 *	- the auth handler (first): exact path, Origin (the MCP transport's
 *	  guard against DNS rebinding), CORS preflight, methods, token only in
 *	  the Authorization header, SQL verify_access_token(); on success it
 *	  rewrites the request headers and delegates;
 *	- libh2o's reverse proxy (next): streams the upstream's answer through,
 *	  Server-Sent Events included;
 *	- a filter that puts the CORS headers (and, on TLS, HSTS) on every
 *	  answer, proxied or not.
 *
 * The upstream never sees the bearer token, the consent pages' cookies or
 * any X-MCP-* header the client sent; it gets X-MCP-Subject,
 * X-MCP-Client-Id and X-MCP-Scopes from the verified token instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "shim.h"

#define GATEWAY_METHODS		"GET, POST, DELETE, OPTIONS"
#define UPSTREAM_IO_TIMEOUT_MS	300000	/* idle SSE streams may be quiet */
#define UPSTREAM_KEEPALIVE_MS	2000

/* Cookies of the consent pages, never forwarded upstream. */
static const char *const private_cookies[] = {
	"__Host-mcp_oauth_session", "__Host-mcp_oauth_login"
};

/* The auth handler of one MCP path. */
typedef struct gateway_handler
{
	h2o_handler_t super;
	const char *path;			/* "/mcp" */
	size_t		path_len;
	const char *resource;		/* issuer origin + path */
	const char *challenge;		/* Bearer resource_metadata=..., scope=... */
} gateway_handler;

/* ---- answers ---- */

/*
 * Send a Bearer challenge: status with error (NULL: none, for a request
 * without credentials, RFC 6750 section 3.1; invalid_request with 400) and
 * the given or our own WWW-Authenticate value (ours when the given one
 * cannot be a header).  Without an error, description (NULL: the default)
 * goes to the body only.
 */
static void
send_challenge(h2o_req_t *req, gateway_handler *gw, int status,
			   const char *error, const char *description, const char *www)
{
	char	   *value;
	size_t		len;

	if (www == NULL || *www == '\0' || !http_header_value_ok(www))
	{
		len = strlen(gw->challenge) + (error ? strlen(error) : 0) + 32;
		value = h2o_mem_alloc_pool(&req->pool, len);
		if (error)
			snprintf(value, len, "%s, error=\"%s\"", gw->challenge, error);
		else
			snprintf(value, len, "%s", gw->challenge);
		www = value;
	}
	h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE,
				   www, strlen(www), 1);
	http_send_error(req, status, error ? error : "invalid_token",
					error || description ? description : "An access token is required.",
					HTTP_CORS | HTTP_NO_STORE);
}

/* ---- the incoming request ---- */

/*
 * Whether the request may come from where it says: no Origin (not a
 * browser), or exactly one that is in shim_conf.allowed_origins (the
 * issuer's own, and --allowed-origins).  The MCP Streamable HTTP transport
 * asks for this against DNS rebinding: a page of another origin whose name
 * now points at this server must not reach the MCP server.
 */
static bool
origin_allowed(h2o_req_t *req)
{
	ssize_t		at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
	const h2o_iovec_t *v;
	int			i;

	if (at < 0)
		return true;
	if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), at) >= 0)
		return false;			/* two Origin headers: not from a browser */
	v = &req->headers.entries[at].value;
	for (i = 0; i < shim_conf.n_allowed_origins; i++)
	{
		const char *o = shim_conf.allowed_origins[i];

		if (strlen(o) == v->len && strncasecmp(o, v->base, v->len) == 0)
			return true;
	}
	return false;
}

/* 403 for a request whose Origin is not allowed. */
static void
send_origin_refused(h2o_req_t *req)
{
	const h2o_iovec_t *v = http_header_by_name(req, "origin");

	LOG_INFO(req, "gateway: refused Origin \"%.*s\"",
			 (int) (v->len < 100 ? v->len : 100), v->base);
	http_send_error(req, 403, "forbidden",
					"Requests from this Origin are not allowed.", HTTP_CORS);
}

/* Whether the query string carries an access_token parameter (or is malformed). */
static bool
query_has_token(h2o_req_t *req, bool *malformed)
{
	const char *query = http_query(req);
	form		q;

	*malformed = false;
	if (*query == '\0')
		return false;
	if (http_form_parse(req, query, strlen(query), &q) != FORM_OK)
	{
		*malformed = true;
		return false;
	}
	return form_get(&q, "access_token") != NULL;
}

/* Whether c may appear in an RFC 6750 b64token. */
static bool
b64token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || (c != '\0' && strchr("-._~+/", c) != NULL);
}

/*
 * The bearer token of the Authorization header, or NULL when there is
 * none (or another scheme).  *status is set to 400 for repeated
 * Authorization headers and 401 for a malformed bearer token (NULL
 * returned), else 0.
 */
static const char *
bearer_token(h2o_req_t *req, int *status)
{
	const h2o_iovec_t *v = http_header(req, H2O_TOKEN_AUTHORIZATION);
	size_t		p = 6,
				start;

	*status = 0;
	if (v == NULL)
		return NULL;
	if (http_header_repeated(req, H2O_TOKEN_AUTHORIZATION))
	{
		*status = 400;
		return NULL;
	}
	if (v->len < 7 || strncasecmp(v->base, "bearer", 6) != 0 || v->base[6] != ' ')
		return NULL;
	while (p < v->len && v->base[p] == ' ')
		p++;
	start = p;
	while (p < v->len && b64token_char(v->base[p]))
		p++;
	while (p < v->len && v->base[p] == '=')
		p++;
	if (p == start || p != v->len)
	{
		*status = 401;
		return NULL;
	}
	return http_strdup(req, v->base + start, p - start);
}

/* ---- rewriting the request for the upstream ---- */

/*
 * Whether the first len bytes of name equal lit (lowercase, with '-'),
 * ignoring case and taking '_' for '-': CGI, WSGI and Rack map both
 * "X-MCP-Subject" and "X_MCP_Subject" to HTTP_X_MCP_SUBJECT.
 */
static bool
name_matches(const h2o_iovec_t *name, const char *lit, size_t len)
{
	size_t		i;

	if (name->len < len)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = h2o_tolower(name->base[i]);

		if (c != lit[i] && !(c == '_' && lit[i] == '-'))
			return false;
	}
	return true;
}

/* Whether the header called name must not reach the upstream. */
static bool
header_is_private(const h2o_iovec_t *name)
{
	return (name->len == 13 && name_matches(name, "authorization", 13)) ||
		(name->len == 19 && name_matches(name, "proxy-authorization", 19)) ||
		name_matches(name, "x-mcp-", 6);
}

/* Whether the cookie pair "name=value" at p (len bytes) is one of ours. */
static bool
cookie_is_private(const char *p, size_t len)
{
	size_t		i;

	for (i = 0; i < sizeof(private_cookies) / sizeof(private_cookies[0]); i++)
	{
		size_t		n = strlen(private_cookies[i]);

		if (len > n && memcmp(p, private_cookies[i], n) == 0 && p[n] == '=')
			return true;
	}
	return false;
}

/* The Cookie header value v without our cookies ("" when none is left). */
static h2o_iovec_t
cookies_without_private(h2o_req_t *req, h2o_iovec_t v)
{
	char	   *out = h2o_mem_alloc_pool(&req->pool, v.len + 1);
	size_t		n = 0;
	const char *p = v.base,
			   *end = v.base + v.len;

	while (p < end)
	{
		const char *semi = memchr(p, ';', end - p);
		const char *item_end = semi ? semi : end;

		while (p < item_end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < item_end && !cookie_is_private(p, item_end - p))
		{
			if (n > 0)
			{
				memcpy(out + n, "; ", 2);
				n += 2;
			}
			memcpy(out + n, p, item_end - p);
			n += item_end - p;
		}
		p = item_end + 1;
	}
	return h2o_iovec_init(out, n);
}

/* Remove credentials and client-sent identity headers from the request. */
static void
strip_request_headers(h2o_req_t *req)
{
	ssize_t		i = 0;

	while (i < (ssize_t) req->headers.size)
	{
		h2o_header_t *h = &req->headers.entries[i];

		if (header_is_private(h->name))
		{
			i = h2o_delete_header(&req->headers, i);
			continue;
		}
		if (h->name == &H2O_TOKEN_COOKIE->buf)
		{
			h->value = cookies_without_private(req, h->value);
			if (h->value.len == 0)
			{
				i = h2o_delete_header(&req->headers, i);
				continue;
			}
		}
		i++;
	}
}

/*
 * The elements of a PostgreSQL text[] literal ("{a,b}", quoted elements
 * with backslash escapes) joined by spaces.
 */
static const char *
array_to_words(h2o_req_t *req, const char *lit)
{
	char	   *out;
	size_t		n = 0;
	bool		quoted = false;
	const char *p;

	if (lit == NULL || *lit != '{')
		return "";
	out = h2o_mem_alloc_pool(&req->pool, strlen(lit) + 1);
	for (p = lit + 1; *p && (quoted || *p != '}'); p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '\\' && quoted && p[1])
			out[n++] = *++p;
		else if (*p == ',' && !quoted)
			out[n++] = ' ';
		else
			out[n++] = *p;
	}
	out[n] = '\0';
	return out;
}

/* Add one X-MCP-* header to the request. */
static void
add_identity_header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->headers, name, strlen(name), 0, NULL,
						  value, strlen(value));
}

/*
 * Rewrite the request for the upstream: credentials out, identity in.
 * False (and nothing changed) if the subject is missing or an identity
 * value cannot be a header.
 */
static bool
rewrite_for_upstream(h2o_req_t *req, const db_result *res)
{
	const char *subject = db_value(res, "subject");
	const char *client_id = db_value(res, "client_id");
	const char *scopes = array_to_words(req, db_value(res, "scopes"));

	if (client_id == NULL)
		client_id = "";
	if (subject == NULL || *subject == '\0' || !http_header_value_ok(subject) ||
		!http_header_value_ok(client_id) || !http_header_value_ok(scopes))
		return false;
	strip_request_headers(req);
	add_identity_header(req, "x-mcp-subject", subject);
	add_identity_header(req, "x-mcp-client-id", client_id);
	add_identity_header(req, "x-mcp-scopes", scopes);
	return true;
}

/* ---- the auth handler ---- */

/* verify_access_token() answered: forward, or refuse with its challenge. */
static void
on_verify(h2o_req_t *req, const db_result *res, void *arg)
{
	gateway_handler *gw = arg;
	const char *active = db_value(res, "active");
	const char *error = db_value(res, "error");

	if (res->status != DB_OK)
	{
		http_send_db_failure(req, res, HTTP_CORS);
		return;
	}
	if (res->nrows == 0 || active == NULL)
	{
		LOG_ERROR(req, "verify_access_token returned no row");
		http_send_error(req, 500, "server_error", NULL, HTTP_CORS);
		return;
	}
	if (strcmp(active, "t") != 0)
	{
		bool		scope = error != NULL && strcmp(error, "insufficient_scope") == 0;

		send_challenge(req, gw, scope ? 403 : 401, scope ? error : "invalid_token",
					   db_value(res, "error_description"),
					   db_value(res, "www_authenticate"));
		return;
	}
	if (shim_conf.upstream == NULL || !rewrite_for_upstream(req, res))
	{
		LOG_ERROR(req, shim_conf.upstream == NULL ? "no upstream MCP server configured"
				  : "verified token has no subject, or one that cannot be a header");
		http_send_error(req, 502, "server_error", NULL, HTTP_CORS);
		return;
	}
	LOG_DEBUG(req, "gateway: forwarding for subject %s", db_value(res, "subject"));
	h2o_delegate_request_deferred(req, &gw->super);
}

/* Whether the request method is one of the literal m. */
static bool
method_is(h2o_req_t *req, const char *m)
{
	return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

/* Every request on an MCP path. */
static int
gateway_on_req(h2o_handler_t *self, h2o_req_t *req)
{
	gateway_handler *gw = (gateway_handler *) self;
	const char *token;
	const char *params[3];
	int			status;
	bool		malformed,
				in_query;

	request_begin(req);
	if (!h2o_memis(req->path.base, req->query_at != SIZE_MAX ? req->query_at : req->path.len,
				   gw->path, gw->path_len))
		http_send_error(req, 404, "not_found", NULL, HTTP_CORS);
	else if (!origin_allowed(req))
		send_origin_refused(req);
	else if (method_is(req, "OPTIONS"))
		http_cors_preflight(req, GATEWAY_METHODS);
	else if (!method_is(req, "GET") && !method_is(req, "POST") && !method_is(req, "DELETE"))
		http_send_405(req, GATEWAY_METHODS, HTTP_CORS);
	else if ((in_query = query_has_token(req, &malformed)) || malformed)
	{
		/*
		 * RFC 6750 section 3.1: a token only in the query (a method we do
		 * not support) counts as no credentials; with a header as well it
		 * is two methods (section 2), invalid_request.  Never forwarded.
		 */
		if (in_query && http_header(req, H2O_TOKEN_AUTHORIZATION) == NULL)
			send_challenge(req, gw, 401, NULL,
						   "Access tokens are accepted only in the Authorization header.", NULL);
		else
			send_challenge(req, gw, 400, "invalid_request", malformed ? "Malformed query string." :
						   "Access tokens are accepted only in the Authorization header.", NULL);
	}
	else if ((token = bearer_token(req, &status)) == NULL)
	{
		if (status == 400)
			send_challenge(req, gw, 400, "invalid_request",
						   "Repeated Authorization header.", NULL);
		else if (status != 0)
			send_challenge(req, gw, 401, "invalid_token",
						   "The bearer token is malformed.", NULL);
		else
			send_challenge(req, gw, 401, NULL, NULL, NULL);
	}
	else
	{
		params[0] = token;
		params[1] = gw->resource;
		params[2] = shim_conf.required_scopes ? shim_conf.required_scopes : "";
		db_call(req, STMT_VERIFY, params, 3, on_verify, gw);
	}
	return 0;
}

/* ---- CORS on every answer ---- */

/* Put the CORS headers (and HSTS on TLS) on the response as it starts. */
static void
cors_on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	http_cors_headers(req);
	http_hsts_header(req);
	h2o_setup_next_ostream(req, slot);
}

/* ---- registration ---- */

/* A malloc'd string formatted like printf (exits on failure at startup). */
static char *
startup_printf(const char *fmt, const char *a, const char *b)
{
	size_t		len = strlen(fmt) + strlen(a) + strlen(b) + 1;
	char	   *s = malloc(len);

	if (s == NULL)
	{
		LOG_ERROR(NULL, "out of memory");
		exit(1);
	}
	snprintf(s, len, fmt, a, b);
	return s;
}

/*
 * Make the certificate check of ctx require host (a name or an IP address,
 * IPv6 in brackets or not); libh2o 2.2.5 checks only the chain.
 */
static bool
expect_peer_host(SSL_CTX *ctx, h2o_iovec_t host)
{
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	char		name[256];

	if (host.len >= 2 && host.base[0] == '[' && host.base[host.len - 1] == ']')
		host = h2o_iovec_init(host.base + 1, host.len - 2);
	if (host.len == 0 || host.len >= sizeof(name))
		return false;
	memcpy(name, host.base, host.len);
	name[host.len] = '\0';
	if (X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1)
		return true;
	return X509_VERIFY_PARAM_set1_host(param, name, host.len) == 1;
}

/*
 * The TLS client context for an https:// upstream: the peer's certificate
 * verified against the system's trust store (or SSL_CERT_FILE /
 * SSL_CERT_DIR) and for the upstream's host.  libh2o 2.2.5 has no default:
 * without a context the first proxied request crashes in SSL_set_bio.
 * Made once at startup (every MCP path has the same upstream).
 */
static SSL_CTX *
upstream_ssl_ctx(const h2o_url_t *upstream)
{
	static SSL_CTX *ctx;

	if (ctx != NULL)
		return ctx;
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
		SSL_CTX_set_default_verify_paths(ctx) != 1 ||
		!expect_peer_host(ctx, upstream->host))
	{
		LOG_ERROR(NULL, "could not set up TLS for the upstream");
		exit(1);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* Register the reverse proxy to shim_conf.upstream on pathconf. */
static void
register_proxy(h2o_pathconf_t *pathconf)
{
	h2o_url_t	upstream;		/* copied by libh2o */
	h2o_proxy_config_vars_t config;

	if (h2o_url_parse(shim_conf.upstream, strlen(shim_conf.upstream), &upstream) != 0)
	{
		LOG_ERROR(NULL, "upstream is not an http:// or https:// URL: %s", shim_conf.upstream);
		exit(2);
	}
	memset(&config, 0, sizeof(config));
	config.io_timeout = UPSTREAM_IO_TIMEOUT_MS;
	config.keepalive_timeout = UPSTREAM_KEEPALIVE_MS;
	if (upstream.scheme == &H2O_URL_SCHEME_HTTPS)
		config.ssl_ctx = upstream_ssl_ctx(&upstream);
	h2o_proxy_register_reverse_proxy(pathconf, &upstream, &config);
}

/* Set up the gateway for MCP path number index on its own pathconf. */
void
gateway_register(h2o_pathconf_t *pathconf, int index)
{
	gateway_handler *gw = (gateway_handler *) h2o_create_handler(pathconf, sizeof(*gw));
	const char *scopes = shim_conf.required_scopes ? shim_conf.required_scopes : "";
	char	   *metadata;

	gw->super.on_req = gateway_on_req;
	gw->path = shim_conf.mcp_paths[index];
	gw->path_len = strlen(gw->path);
	gw->resource = shim_conf.mcp_resources[index];
	metadata = startup_printf("%s/.well-known/oauth-protected-resource%s",
							  shim_conf.issuer_origin, gw->path);
	if (*scopes)
		gw->challenge = startup_printf("Bearer resource_metadata=\"%s\", scope=\"%s\"",
									   metadata, scopes);
	else
		gw->challenge = startup_printf("Bearer resource_metadata=\"%s\"%s", metadata, "");
	free(metadata);
	if (shim_conf.upstream != NULL)
		register_proxy(pathconf);
	h2o_create_filter(pathconf, sizeof(h2o_filter_t))->on_setup_ostream = cors_on_setup_ostream;
}
