/*
 * http.c
 *		HTTP helpers: request accessors, response sending, CORS, security
 *		headers, and copying an http_response row to the response.
 */
#include "shim.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CORS_ALLOW_HEADERS \
	"Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID"
#define CORS_EXPOSE_HEADERS "WWW-Authenticate, Mcp-Session-Id, Retry-After"
#define CORS_MAX_AGE "86400"

#define LOG_ID_MAX 64			/* bytes of a client id in a log line */

/* The pool lib/ parsers allocate from (their alloc takes no context). */
static __thread h2o_mem_pool_t *lib_pool;

/* A request header's value, or NULL. */
const h2o_iovec_t *
http_header(h2o_req_t *req, const h2o_token_t *token)
{
	ssize_t		i = h2o_find_header(&req->headers, token, -1);

	return i >= 0 ? &req->headers.entries[i].value : NULL;
}

/* Whether the request carries the header more than once. */
bool
http_header_repeated(h2o_req_t *req, const h2o_token_t *token)
{
	ssize_t		i = h2o_find_header(&req->headers, token, -1);

	return i >= 0 && h2o_find_header(&req->headers, token, i) >= 0;
}

/* A request header's value by lowercase name, or NULL. */
const h2o_iovec_t *
http_header_by_name(h2o_req_t *req, const char *name)
{
	ssize_t		i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);

	return i >= 0 ? &req->headers.entries[i].value : NULL;
}

/* NUL-terminated copy in req->pool. */
char *
http_strdup(h2o_req_t *req, const char *s, size_t len)
{
	char	   *p = h2o_mem_alloc_pool(&req->pool, len + 1);

	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* An IP address in binary form (network order). */
typedef struct ip_addr
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];
} ip_addr;

/* The TCP peer's address; false if unknown or not IP. */
static bool
peer_addr(h2o_req_t *req, ip_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t	len;

	len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *) &ss);
	if (len == 0)
		return false;
	out->family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		memcpy(out->bytes, &((struct sockaddr_in *) &ss)->sin_addr, 4);
	else if (ss.ss_family == AF_INET6)
		memcpy(out->bytes, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
	else
		return false;
	return true;
}

/* Parse s[0..len), an IPv4 or IPv6 address without port or brackets. */
static bool
parse_ip(const char *s, size_t len, ip_addr *out)
{
	char		buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, out->bytes) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->bytes) == 1)
		out->family = AF_INET6;
	else
		return false;
	return true;
}

/* Does addr lie in net (an IPv4-mapped IPv6 address counts as IPv4)? */
static bool
cidr_contains(const shim_cidr *net, const ip_addr *addr)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a = addr->bytes;
	int			family = addr->family;
	int			full = net->prefix / 8,
				rest = net->prefix % 8;

	if (family == AF_INET6 && net->family == AF_INET &&
		memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		a += 12, family = AF_INET;
	if (family != net->family || memcmp(a, net->addr, full) != 0)
		return false;
	return rest == 0 ||
		((a[full] ^ net->addr[full]) & (unsigned char) (0xff << (8 - rest))) == 0;
}

/* Is addr one of the --trusted-proxies? */
static bool
proxy_trusted(const ip_addr *addr)
{
	int			i;

	for (i = 0; i < shim_conf.n_trusted_proxies; i++)
		if (cidr_contains(&shim_conf.trusted_proxies[i], addr))
			return true;
	return false;
}

/* Address as text in req->pool; NULL on failure. */
static const char *
ip_text(h2o_req_t *req, const ip_addr *addr)
{
	char		buf[INET6_ADDRSTRLEN];

	if (inet_ntop(addr->family, addr->bytes, buf, sizeof(buf)) == NULL)
		return NULL;
	return http_strdup(req, buf, strlen(buf));
}

typedef enum xff_step
{
	XFF_UNTRUSTED,				/* found the client: *out */
	XFF_INVALID,				/* an entry is not an IP address: use the peer */
	XFF_ALL_TRUSTED				/* every entry (maybe none) is a trusted proxy */
} xff_step;

/*
 * Walk one X-Forwarded-For value from the right, skipping empty elements
 * and trusted proxies; *leftmost keeps the last trusted entry seen.
 */
static xff_step
xff_walk_value(const h2o_iovec_t *v, ip_addr *out, ip_addr *leftmost, bool *seen)
{
	const char *end = v->base + v->len;

	while (end > v->base)
	{
		const char *start = end;

		while (start > v->base && start[-1] != ',')
			start--;
		{
			const char *b = start,
					   *e = end;

			while (b < e && (*b == ' ' || *b == '\t'))
				b++;
			while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (b < e)
			{
				if (!parse_ip(b, e - b, out))
					return XFF_INVALID;
				if (!proxy_trusted(out))
					return XFF_UNTRUSTED;
				*leftmost = *out;
				*seen = true;
			}
		}
		end = start > v->base ? start - 1 : v->base;
	}
	return XFF_ALL_TRUSTED;
}

/*
 * The client behind a trusted peer per X-Forwarded-For (every such header,
 * concatenated in order, walked from the right): the first entry that is
 * not a trusted proxy; the leftmost entry when all are trusted; false
 * (use the peer) when there is none or an entry is not an IP address.
 */
static bool
forwarded_client(h2o_req_t *req, ip_addr *out)
{
	ssize_t    *idx;
	ssize_t		i = -1;
	size_t		n = 0;
	ip_addr		leftmost;
	bool		seen = false;

	idx = h2o_mem_alloc_pool(&req->pool, sizeof(ssize_t) * (req->headers.size + 1));
	while ((i = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, i)) >= 0)
		idx[n++] = i;
	while (n > 0)
	{
		switch (xff_walk_value(&req->headers.entries[idx[--n]].value, out, &leftmost, &seen))
		{
			case XFF_UNTRUSTED:
				return true;
			case XFF_INVALID:
				return false;
			case XFF_ALL_TRUSTED:
				break;
		}
	}
	if (seen)
		*out = leftmost;
	return seen;
}

/*
 * The client's address as text, in req->pool; NULL if unknown.  When the
 * TCP peer is a trusted proxy (--trusted-proxies), X-Forwarded-For names
 * the client; otherwise that header is ignored.
 */
const char *
http_client_addr(h2o_req_t *req)
{
	ip_addr		peer,
				client;

	if (!peer_addr(req, &peer))
		return NULL;
	if (shim_conf.n_trusted_proxies > 0 && proxy_trusted(&peer) &&
		forwarded_client(req, &client))
		return ip_text(req, &client);
	return ip_text(req, &peer);
}

/* The value of cookie name, in req->pool, or NULL. */
const char *
http_cookie(h2o_req_t *req, const char *name)
{
	size_t		nlen = strlen(name);
	ssize_t		i = -1;

	while ((i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0)
	{
		const char *p = req->headers.entries[i].value.base;
		const char *end = p + req->headers.entries[i].value.len;

		while (p < end)
		{
			const char *semi = memchr(p, ';', end - p);
			const char *item_end = semi != NULL ? semi : end;

			while (p < item_end && (*p == ' ' || *p == '\t'))
				p++;
			if ((size_t) (item_end - p) > nlen && memcmp(p, name, nlen) == 0 &&
				p[nlen] == '=')
				return http_strdup(req, p + nlen + 1, item_end - p - nlen - 1);
			p = item_end + 1;
		}
	}
	return NULL;
}

/* The path without query string, in req->pool. */
const char *
http_path(h2o_req_t *req)
{
	size_t		len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;

	return http_strdup(req, req->path.base, len);
}

/* The query string without '?', in req->pool ("" when none). */
const char *
http_query(h2o_req_t *req)
{
	if (req->query_at == SIZE_MAX)
		return "";
	return http_strdup(req, req->path.base + req->query_at + 1,
					   req->path.len - req->query_at - 1);
}

/* The request body, NUL-terminated, in req->pool. */
const char *
http_body(h2o_req_t *req)
{
	if (req->entity.base == NULL)
		return "";
	return http_strdup(req, req->entity.base, req->entity.len);
}

/* Is s[0..len) valid UTF-8 text without NUL bytes (what a text parameter can carry)? */
bool
http_valid_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;

	while (p < end)
	{
		int			n;
		unsigned int cp;

		if (*p == 0)
			return false;
		if (*p < 0x80)
		{
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0)
			n = 1, cp = *p & 0x1F;
		else if ((*p & 0xF0) == 0xE0)
			n = 2, cp = *p & 0x0F;
		else if ((*p & 0xF8) == 0xF0)
			n = 3, cp = *p & 0x07;
		else
			return false;
		if (end - p <= n)
			return false;
		for (int i = 1; i <= n; i++)
		{
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += n + 1;
	}
	return true;
}

/* form_alloc_fn and json_alloc_fn on the current request's pool. */
static void *
lib_pool_alloc(size_t size)
{
	return h2o_mem_alloc_pool(lib_pool, size);
}

/* Parse a form-encoded string with req->pool memory. */
form_status
http_form_parse(h2o_req_t *req, const char *s, size_t len, form *out)
{
	form_status st;

	lib_pool = &req->pool;
	st = form_parse(s, len, 64, lib_pool_alloc, out);
	lib_pool = NULL;
	return st;
}

/* Parse a JSON object with req->pool memory; false if it is not one. */
bool
http_json_parse(h2o_req_t *req, const char *s, json_doc *out)
{
	return http_json_read(req, s, &json_strict_limits, out);
}

/* Parse a JSON object within limits with req->pool memory; false if not one. */
bool
http_json_read(h2o_req_t *req, const char *s, const json_limits *limits,
			   json_doc *out)
{
	bool		ok;

	if (s == NULL)
		return false;
	lib_pool = &req->pool;
	ok = json_read_object(s, strlen(s), limits, lib_pool_alloc, out) == JSON_OK;
	lib_pool = NULL;
	return ok;
}

/* Quality (0-1000) of a "q=..." parameter; 0 when malformed. */
static int
accept_q(const char *p)
{
	int			q = 0,
				scale = 100;

	if (p[0] == '1')
		return strspn(p + 1, ".0") == strlen(p + 1) ? 1000 : 0;
	if (p[0] != '0')
		return 0;
	p++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			q += (*p - '0') * scale;
	return *p == '\0' ? q : 0;
}

/*
 * The quality the Accept value gives type/subtype: that of its most
 * specific matching range (exact, type/x, any), 0 when none matches.
 */
static int
accept_quality(h2o_req_t *req, const h2o_iovec_t *v, const char *type,
			   const char *subtype)
{
	char	   *copy = http_strdup(req, v->base, v->len);
	char	   *save = NULL,
			   *range;
	int			best = 0,
				best_q = 0;

	for (range = strtok_r(copy, ",", &save); range != NULL; range = strtok_r(NULL, ",", &save))
	{
		char	   *psave = NULL,
				   *mt = strtok_r(range, ";", &psave),
				   *param,
				   *slash;
		int			q = 1000,
					specificity;

		if (mt == NULL)
			continue;			/* a range of only ';' */
		mt += strspn(mt, " \t");
		mt[strcspn(mt, " \t")] = '\0';
		if ((slash = strchr(mt, '/')) == NULL)
			continue;
		*slash++ = '\0';
		if (strcasecmp(mt, type) == 0 && strcasecmp(slash, subtype) == 0)
			specificity = 3;
		else if (strcasecmp(mt, type) == 0 && strcmp(slash, "*") == 0)
			specificity = 2;
		else if (strcmp(mt, "*") == 0 && strcmp(slash, "*") == 0)
			specificity = 1;
		else
			continue;
		while ((param = strtok_r(NULL, ";", &psave)) != NULL)
		{
			param += strspn(param, " \t");
			param[strcspn(param, " \t")] = '\0';
			if (strncasecmp(param, "q=", 2) == 0)
				q = accept_q(param + 2);
		}
		if (specificity > best)
			best = specificity, best_q = q;
	}
	return best_q;
}

/* Does Accept rank text/html above application/json? */
bool
http_prefers_html(h2o_req_t *req)
{
	const h2o_iovec_t *v = http_header(req, H2O_TOKEN_ACCEPT);

	if (v == NULL || v->len > 1024)
		return false;
	return accept_quality(req, v, "text", "html") >
		accept_quality(req, v, "application", "json");
}

/* s cut to LOG_ID_MAX bytes, anything but visible ASCII (or a quote) as '?'. */
static const char *
log_safe(h2o_req_t *req, const char *s)
{
	size_t		len = strlen(s) < LOG_ID_MAX ? strlen(s) : LOG_ID_MAX;
	char	   *out = http_strdup(req, s, len);
	size_t		i;

	for (i = 0; i < len; i++)
		if ((unsigned char) out[i] <= 0x20 || (unsigned char) out[i] >= 0x7f ||
			out[i] == '"' || out[i] == '\\')
			out[i] = '?';
	return len > 0 ? out : "-";
}

/* The user name of an Authorization: Basic header (form-decoded), or NULL. */
static const char *
basic_user(h2o_req_t *req)
{
	const h2o_iovec_t *v = http_header(req, H2O_TOKEN_AUTHORIZATION);
	unsigned char *raw;
	const char *colon;
	char	   *pair;
	size_t		ulen;
	int			n;
	form		f;

	if (v == NULL || v->len < 7 || v->len > 4096 || strncasecmp(v->base, "basic ", 6) != 0)
		return NULL;
	raw = h2o_mem_alloc_pool(&req->pool, v->len);
	n = EVP_DecodeBlock(raw, (const unsigned char *) v->base + 6, (int) v->len - 6);
	colon = n > 0 ? memchr(raw, ':', n) : NULL;
	ulen = colon != NULL ? (size_t) (colon - (const char *) raw) : 0;
	/* RFC 6749 section 2.3.1: the user name is form-urlencoded */
	pair = h2o_mem_alloc_pool(&req->pool, ulen + 3);
	memcpy(pair, "u=", 2);
	memcpy(pair + 2, raw, ulen);
	pair[ulen + 2] = '\0';
	if (n > 0)
		OPENSSL_cleanse(raw, n);	/* the secret is in there */
	if (colon == NULL || http_form_parse(req, pair, ulen + 2, &f) != FORM_OK)
		return NULL;
	return form_get(&f, "u");
}

/* The client id of the request for a log line, "-" when none. */
const char *
http_client_id_for_log(h2o_req_t *req)
{
	const char *id = basic_user(req);
	form		f;

	if (id == NULL && req->entity.base != NULL && req->entity.len <= shim_conf.max_body &&
		http_content_type_is(req, "application/x-www-form-urlencoded") &&
		http_form_parse(req, req->entity.base, req->entity.len, &f) == FORM_OK)
		id = form_get(&f, "client_id");
	return id != NULL ? log_safe(req, id) : "-";
}

/* Does the Content-Type (without parameters) equal mime? */
bool
http_content_type_is(h2o_req_t *req, const char *mime)
{
	const h2o_iovec_t *ct = http_header(req, H2O_TOKEN_CONTENT_TYPE);
	size_t		mlen = strlen(mime);
	size_t		i;

	if (ct == NULL || ct->len < mlen || strncasecmp(ct->base, mime, mlen) != 0)
		return false;
	for (i = mlen; i < ct->len && (ct->base[i] == ' ' || ct->base[i] == '\t'); i++)
		;
	return i == ct->len || ct->base[i] == ';';
}

/* Add a response header (copied into req->pool). */
void
http_add_header(h2o_req_t *req, const char *name, const char *value)
{
	size_t		nlen = strlen(name);
	char	   *lname = h2o_mem_alloc_pool(&req->pool, nlen + 1);
	size_t		i;

	for (i = 0; i < nlen; i++)
		lname[i] = h2o_tolower(name[i]);
	lname[nlen] = '\0';
	h2o_add_header_by_str(&req->pool, &req->res.headers, lname, nlen, 1, name,
						  http_strdup(req, value, strlen(value)), strlen(value));
}

/* X-Content-Type-Options: nosniff, once; HSTS on TLS. */
void
http_security_headers(h2o_req_t *req)
{
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("x-content-type-options"), 0,
						  H2O_STRLIT("nosniff"), 0);
	http_hsts_header(req);
}

/*
 * Strict-Transport-Security, once, when this server terminates TLS (every
 * listener is then HTTPS); never on plain http, where it means nothing and
 * a proxy in front decides.
 */
void
http_hsts_header(h2o_req_t *req)
{
	if (shim_conf.tls_cert == NULL)
		return;
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("strict-transport-security"), 0,
						  H2O_STRLIT("max-age=31536000"), 0);
}

/* The CORS response headers. */
void
http_cors_headers(h2o_req_t *req)
{
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("access-control-allow-origin"), 0,
						  H2O_STRLIT("*"), 1);
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("access-control-expose-headers"), 0,
						  H2O_STRLIT(CORS_EXPOSE_HEADERS), 1);
}

/* The reason phrase of a status. */
static const char *
reason_phrase(int status)
{
	switch (status)
	{
		case 200: return "OK";
		case 201: return "Created";
		case 202: return "Accepted";
		case 204: return "No Content";
		case 301: return "Moved Permanently";
		case 302: return "Found";
		case 303: return "See Other";
		case 304: return "Not Modified";
		case 307: return "Temporary Redirect";
		case 400: return "Bad Request";
		case 401: return "Unauthorized";
		case 403: return "Forbidden";
		case 404: return "Not Found";
		case 405: return "Method Not Allowed";
		case 409: return "Conflict";
		case 413: return "Payload Too Large";
		case 415: return "Unsupported Media Type";
		case 429: return "Too Many Requests";
		case 500: return "Internal Server Error";
		case 502: return "Bad Gateway";
		case 503: return "Service Unavailable";
		case 504: return "Gateway Timeout";
		default: return "";
	}
}

/* Answer an OPTIONS preflight: 204 with the CORS allow headers. */
void
http_cors_preflight(h2o_req_t *req, const char *allow_methods)
{
	http_add_header(req, "Access-Control-Allow-Methods", allow_methods);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
				   allow_methods, strlen(allow_methods));
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("access-control-allow-headers"), 0,
						  H2O_STRLIT(CORS_ALLOW_HEADERS), 1);
	h2o_set_header_by_str(&req->pool, &req->res.headers,
						  H2O_STRLIT("access-control-max-age"), 0,
						  H2O_STRLIT(CORS_MAX_AGE), 1);
	http_send(req, 204, NULL, NULL, 0, HTTP_CORS);
}

/* Send status + body with Content-Type and Content-Length. */
void
http_send(h2o_req_t *req, int status, const char *content_type,
		  const char *body, size_t len, int flags)
{
	req->res.status = status;
	req->res.reason = reason_phrase(status);
	http_security_headers(req);
	if (flags & HTTP_CORS)
		http_cors_headers(req);
	if ((flags & HTTP_NO_STORE) &&
		h2o_find_header(&req->res.headers, H2O_TOKEN_CACHE_CONTROL, -1) < 0)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
					   NULL, H2O_STRLIT("no-store"));
	if (content_type != NULL && len > 0)
		h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
					   content_type, strlen(content_type), 1);
	if (status == 204 || status == 304)
		len = 0;
	req->res.content_length = len;
	h2o_send_inline(req, len > 0 ? body : "", len);
}

/* Append s JSON-escaped to buf (buf has room: callers bound s). */
static size_t
json_escape(char *buf, const char *s)
{
	size_t		n = 0;

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			buf[n++] = '\\', buf[n++] = c;
		else if (c < 0x20)
			n += sprintf(buf + n, "\\u%04x", c);
		else
			buf[n++] = c;
	}
	buf[n] = '\0';
	return n;
}

/* Send {"error":code[,"error_description":description]}. */
void
http_send_error(h2o_req_t *req, int status, const char *code,
				const char *description, int flags)
{
	size_t		cap = 64 + 6 * (strlen(code) + (description ? strlen(description) : 0));
	char	   *buf = h2o_mem_alloc_pool(&req->pool, cap);
	size_t		n;

	if (buf == NULL)			/* cannot happen: h2o aborts on OOM */
		return;
	n = sprintf(buf, "{\"error\":\"");
	n += json_escape(buf + n, code);
	if (description != NULL)
	{
		n += sprintf(buf + n, "\",\"error_description\":\"");
		n += json_escape(buf + n, description);
	}
	n += sprintf(buf + n, "\"}");
	http_send(req, status, "application/json", buf, n, flags | HTTP_NO_STORE);
}

/* 405 with Allow. */
void
http_send_405(h2o_req_t *req, const char *allow, int flags)
{
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL,
				   allow, strlen(allow));
	http_send_error(req, 405, "method_not_allowed", NULL, flags);
}

/* 503 (database unavailable) or 500 (any other failure). */
void
http_send_db_failure(h2o_req_t *req, const db_result *res, int flags)
{
	if (res->status == DB_UNAVAILABLE)
	{
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER,
					   NULL, H2O_STRLIT("1"));
		http_send_error(req, 503, "temporarily_unavailable", NULL, flags);
	}
	else
		http_send_error(req, 500, "server_error", NULL, flags);
}

/*
 * Whether s may be sent as a header value: no control characters (CR and LF
 * would split the response; libh2o copies values as they are).
 */
bool
http_header_value_ok(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Add header name = value when value is a non-empty column. */
static void
copy_column(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
	if (value != NULL && value[0] != '\0')
		h2o_set_header(&req->pool, &req->res.headers, token, value, strlen(value), 1);
}

/* Whether every column that becomes a header is NULL or header-safe. */
static bool
header_columns_ok(const db_result *res)
{
	static const char *const names[] = {
		"content_type", "location", "www_authenticate", "cache_control"
	};
	int			i;

	for (i = 0; i < 4; i++)
	{
		const char *v = db_value(res, names[i]);

		if (v != NULL && !http_header_value_ok(v))
			return false;
	}
	return true;
}

/* Copy an http_response row to the response. */
void
http_send_db_response(h2o_req_t *req, const db_result *res, int flags)
{
	const char *status_s,
			   *body;
	int			status;

	if (res->status != DB_OK)
	{
		http_send_db_failure(req, res, flags);
		return;
	}
	status_s = db_value(res, "status");
	status = status_s != NULL ? atoi(status_s) : 0;
	if (res->nrows < 1 || status < 100 || status > 599 || !header_columns_ok(res))
	{
		LOG_ERROR(req, "endpoint function returned no usable http_response row");
		http_send_error(req, 500, "server_error", NULL, flags);
		return;
	}
	copy_column(req, H2O_TOKEN_LOCATION, db_value(res, "location"));
	copy_column(req, H2O_TOKEN_WWW_AUTHENTICATE, db_value(res, "www_authenticate"));
	copy_column(req, H2O_TOKEN_CACHE_CONTROL, db_value(res, "cache_control"));
	body = db_value(res, "body");
	http_send(req, status, db_value(res, "content_type"), body,
			  body != NULL ? strlen(body) : 0, flags);
}
