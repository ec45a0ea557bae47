/*
 * pages.c
 *		The pages a person sees: sign-in, consent, sign-out and errors.
 *
 *	GET /authorize		SQL authorize() first: its error page for the
 *						person; then, signed out, the sign-in page; signed
 *						in, its 302 or the consent page
 *	GET, POST /login	the sign-in page; SQL login(), session cookie, 303
 *	POST /consent		SQL authorize_decision() and its 302
 *	GET, POST /logout	SQL logout(), cookie cleared
 *
 * Plain server-rendered HTML without scripts.  Sign-in is protected by a
 * double-submit token (a random cookie repeated in a hidden field); consent
 * and sign-out by the session's CSRF token from session_subject().  Every
 * page forbids framing, caching and referrers; its one stylesheet is
 * allowed by hash in the Content-Security-Policy, whose form-action names,
 * besides 'self', only a redirect URI authorize() accepted.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "shim.h"
#include "lib/text.h"			/* extension/lib/text.h */

#define SESSION_COOKIE	"__Host-mcp_oauth_session"
#define LOGIN_COOKIE	"__Host-mcp_oauth_login"
#define COOKIE_ATTRS	"; Path=/; Secure; HttpOnly; SameSite=Lax"
#define LOGIN_TOKEN_BYTES	32
#define HTML_TYPE		"text/html; charset=utf-8"
#define JSON_MAX_DEPTH	16

static const char page_css[] =
"body{margin:0;background:#f3f4f7;color:#1c2030;"
"font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}"
"main{box-sizing:border-box;max-width:30rem;margin:8vh auto;padding:2rem;"
"background:#fff;border-radius:12px;"
"box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}"
"h1{font-size:1.35rem;line-height:1.3;margin:0 0 1rem}"
"p{margin:.5rem 0}"
"label{display:block;font-weight:600;margin:1rem 0 .25rem}"
"input[type=text],input[type=password]{box-sizing:border-box;width:100%;"
"padding:.6rem .7rem;font:inherit;border:1px solid #b5bac6;border-radius:6px}"
"button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;cursor:pointer;"
"border:1px solid #b5bac6;background:#fff;color:#1c2030}"
"button.primary{background:#1f5fd6;border-color:#1f5fd6;color:#fff;font-weight:600}"
"button.link{border:0;background:none;padding:0;color:#1f5fd6;text-decoration:underline}"
".actions{display:flex;gap:.75rem;justify-content:flex-end;margin-top:1.5rem}"
".host{font-size:1.2rem;font-weight:700;overflow-wrap:anywhere;margin:.25rem 0}"
".muted{font-size:.85rem;color:#596070;overflow-wrap:anywhere}"
"code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}"
"ul{padding-left:1.2rem}li{margin:.35rem 0}"
".error{background:#fdecea;border:1px solid #f3c1bb;color:#8a1c12;"
"padding:.6rem .8rem;border-radius:6px}"
".account{display:flex;justify-content:space-between;align-items:center;gap:1rem;"
"border-top:1px solid #e2e4ea;margin-top:1.5rem;padding-top:1rem;font-size:.9rem}"
".account form{margin:0}"
".host .muted{font-weight:400}";

/* ---- the page under construction ---- */

/* A growing string in the request's pool. */
typedef struct page_buf
{
	h2o_req_t  *req;
	char	   *data;
	size_t		len;
	size_t		cap;
} page_buf;

/* Start an empty buffer. */
static void
pb_init(page_buf *pb, h2o_req_t *req)
{
	pb->req = req;
	pb->cap = 4096;
	pb->len = 0;
	pb->data = h2o_mem_alloc_pool(&req->pool, pb->cap);
	pb->data[0] = '\0';
}

/* Make room for n more bytes and a NUL. */
static void
pb_reserve(page_buf *pb, size_t n)
{
	char	   *bigger;

	if (pb->len + n + 1 <= pb->cap)
		return;
	while (pb->len + n + 1 > pb->cap)
		pb->cap *= 2;
	bigger = h2o_mem_alloc_pool(&pb->req->pool, pb->cap);
	memcpy(bigger, pb->data, pb->len + 1);
	pb->data = bigger;
}

/* Append n bytes of s. */
static void
pb_add_len(page_buf *pb, const char *s, size_t n)
{
	pb_reserve(pb, n);
	memcpy(pb->data + pb->len, s, n);
	pb->len += n;
	pb->data[pb->len] = '\0';
}

/* Append trusted markup. */
static void
pb_add(page_buf *pb, const char *s)
{
	pb_add_len(pb, s, strlen(s));
}

/* Append s HTML-escaped, as it is (NULL appends nothing). */
static void
pb_escaped(page_buf *pb, const char *s)
{
	h2o_iovec_t esc;

	if (s == NULL)
		return;
	esc = h2o_htmlescape(&pb->req->pool, s, strlen(s));
	pb_add_len(pb, esc.base, esc.len);
}

/*
 * Append text a person reads, HTML-escaped and without the characters that
 * may not be shown (lib/text.h: bidi controls, line separators, controls,
 * invisible ones), whatever the database sent; NULL appends nothing.
 */
static void
pb_text(page_buf *pb, const char *s)
{
	char	   *shown;
	size_t		n;

	if (s == NULL)
		return;
	n = strlen(s) + 1;
	shown = h2o_mem_alloc_pool(&pb->req->pool, n);
	if (!text_display_clean(s, shown, n))
		shown[0] = '\0';
	pb_escaped(pb, shown);
}

/* Append a hidden form field (its value kept as it is). */
static void
pb_hidden(page_buf *pb, const char *name, const char *value)
{
	pb_add(pb, "<input type=\"hidden\" name=\"");
	pb_escaped(pb, name);
	pb_add(pb, "\" value=\"");
	pb_escaped(pb, value ? value : "");
	pb_add(pb, "\">");
}

/* Open a POST form to a page of this server (suffix like "/login"). */
static void
pb_form(page_buf *pb, const char *suffix)
{
	pb_add(pb, "<form method=\"post\" action=\"");
	pb_text(pb, shim_conf.issuer_path);
	pb_text(pb, suffix);
	pb_add(pb, "\">");
}

/* ---- headers ---- */

static char style_hash[64];		/* base64 SHA-256 of page_css */
static pthread_once_t style_hash_once = PTHREAD_ONCE_INIT;

/* Compute style_hash (left empty on failure: the page is then unstyled). */
static void
style_hash_init(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(page_css, strlen(page_css), md, &mdlen, EVP_sha256(), NULL) != 1)
	{
		LOG_ERROR(NULL, "could not hash the page stylesheet");
		return;
	}
	EVP_EncodeBlock((unsigned char *) style_hash, md, (int) mdlen);
}

/*
 * Whether s can stand in a CSP source list (no spaces, quotes, commas or
 * semicolons; visible ASCII only).
 */
static bool
csp_safe(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',' || c == '\'' || c == '"')
			return false;
	}
	return len > 0;
}

/*
 * The CSP source of a redirect URI: scheme://host[:port] for http(s), the
 * scheme ("cursor:") otherwise; NULL when it cannot be expressed safely or
 * is a scheme no redirect may use (javascript:, data:, ...).
 */
static const char *
redirect_source(h2o_req_t *req, const char *uri)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;
	const char *end;

	if (colon == NULL || !csp_safe(uri, (size_t) (colon - uri)) ||
		strncasecmp(uri, "javascript:", 11) == 0 || strncasecmp(uri, "data:", 5) == 0 ||
		strncasecmp(uri, "blob:", 5) == 0 || strncasecmp(uri, "filesystem:", 11) == 0)
		return NULL;
	if (strncmp(colon, "://", 3) != 0 ||
		(strncasecmp(uri, "http:", 5) != 0 && strncasecmp(uri, "https:", 6) != 0))
		return http_strdup(req, uri, (size_t) (colon - uri) + 1);
	end = colon + 3 + strcspn(colon + 3, "/?#");
	if (!csp_safe(uri, (size_t) (end - uri)) || end == colon + 3)
		return NULL;
	return http_strdup(req, uri, (size_t) (end - uri));
}

/*
 * The headers every page carries.  form_target, when not NULL, is a
 * redirect URI that a form of this page may end up navigating to.
 */
static void
page_headers(h2o_req_t *req, const char *form_target)
{
	const char *extra = redirect_source(req, form_target);
	h2o_iovec_t csp;

	pthread_once(&style_hash_once, style_hash_init);
	/* built to its full length: a cut policy would lose frame-ancestors */
	csp = h2o_concat(&req->pool,
					 h2o_iovec_init(H2O_STRLIT("default-src 'none'; style-src 'sha256-")),
					 h2o_iovec_init(style_hash, strlen(style_hash)),
					 h2o_iovec_init(H2O_STRLIT("'; form-action 'self'")),
					 h2o_iovec_init(extra ? " " : "", extra ? 1 : 0),
					 h2o_iovec_init(extra ? extra : "", extra ? strlen(extra) : 0),
					 h2o_iovec_init(H2O_STRLIT("; frame-ancestors 'none'; base-uri 'none'")));
	http_add_header(req, "content-security-policy", csp.base);
	http_add_header(req, "x-frame-options", "DENY");
	http_add_header(req, "referrer-policy", "no-referrer");
	http_add_header(req, "cache-control", "no-store");
}

/* Send a whole page: title, body markup, status. */
static void
page_send(h2o_req_t *req, int status, const char *title, const char *body,
		  const char *form_target)
{
	page_buf	pb;

	pb_init(&pb, req);
	pb_add(&pb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		   "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	pb_text(&pb, title);
	pb_add(&pb, "</title><style>");
	pb_add(&pb, page_css);
	pb_add(&pb, "</style></head>\n<body><main>\n");
	pb_add(&pb, body);
	pb_add(&pb, "\n</main></body></html>\n");
	page_headers(req, form_target);
	http_send(req, status, HTML_TYPE, pb.data, pb.len, HTTP_NO_STORE);
}

/* A page with a heading and one paragraph of text (both escaped). */
static void
message_page(h2o_req_t *req, int status, const char *title, const char *text)
{
	page_buf	pb;

	pb_init(&pb, req);
	pb_add(&pb, "<h1>");
	pb_text(&pb, title);
	pb_add(&pb, "</h1><p>");
	pb_text(&pb, text);
	pb_add(&pb, "</p>");
	page_send(req, status, title, pb.data, NULL);
}

/* A page with a heading and a paragraph, for routes.c (a browser's 404, 405). */
void
pages_message(h2o_req_t *req, int status, const char *title, const char *text)
{
	message_page(req, status, title, text);
}

/*
 * A redirect (302 from SQL, or our own 303) with the page headers; a
 * Location that cannot be a header (CR, LF) gets the 500 page instead.
 */
static void
send_redirect(h2o_req_t *req, int status, const char *location)
{
	if (!http_header_value_ok(location))
	{
		LOG_ERROR(req, "refusing a redirect whose Location has control characters");
		message_page(req, 500, "Something went wrong", "Please try again.");
		return;
	}
	http_add_header(req, "location", location);
	http_add_header(req, "referrer-policy", "no-referrer");
	http_send(req, status, HTML_TYPE, "", 0, HTTP_NO_STORE);
}

/* The page for a failed database call: 503 when unavailable, else 500. */
static void
db_failure_page(h2o_req_t *req, const db_result *res)
{
	if (res->status == DB_UNAVAILABLE)
	{
		http_add_header(req, "retry-after", "1");
		message_page(req, 503, "Temporarily unavailable",
					 "The sign-in service cannot reach its database right now. "
					 "Please try again in a moment.");
	}
	else
		message_page(req, 500, "Something went wrong",
					 "The sign-in service could not complete this request. "
					 "Please try again.");
}


/* ---- the SQL answers (consent descriptor, errors) ---- */

/*
 * authorize()'s JSON answers, read by lib/json.c: our own database's
 * output, so as long as it sends; nested no deeper than a JWT.
 */
static const json_limits answer_limits = {SIZE_MAX, JSON_MAX_DEPTH, true};

/* Parse text (NULL: none) as one JSON object with req->pool memory. */
static bool
answer_parse(h2o_req_t *req, const char *text, json_doc *out)
{
	return http_json_read(req, text, &answer_limits, out);
}

/* Whether the member key of object o is true. */
static bool
answer_true(const json_doc *o, const char *key)
{
	const json_member *m = json_get(o, key);

	return m != NULL && m->type == JSON_BOOL && m->boolean;
}

/* ---- cookies, CSRF, forms ---- */

/* Whether two secrets are equal, in constant time (NULL never equals). */
static bool
secret_equal(const char *a, const char *b)
{
	size_t		alen,
				blen;

	if (a == NULL || b == NULL)
		return false;
	alen = strlen(a);
	blen = strlen(b);
	if (alen == 0 || alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

/* Whether s looks like a token we issued (base64url, 43 characters). */
static bool
login_token_valid(const char *s)
{
	return s != NULL && strlen(s) == 43 &&
		strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43;
}

/*
 * The sign-in double-submit token: the request's cookie when it is one of
 * ours, else a new random one set as a cookie.  NULL if the CSPRNG fails.
 */
static const char *
login_token(h2o_req_t *req)
{
	const char *have = http_cookie(req, LOGIN_COOKIE);
	unsigned char raw[LOGIN_TOKEN_BYTES];
	char	   *token;
	char		cookie[128];

	if (login_token_valid(have))
		return have;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
	{
		LOG_ERROR(req, "could not generate a sign-in token");
		return NULL;
	}
	token = h2o_mem_alloc_pool(&req->pool, h2o_base64_encode_capacity(sizeof(raw)));
	h2o_base64_encode(token, raw, sizeof(raw), 1);
	snprintf(cookie, sizeof(cookie), LOGIN_COOKIE "=%s" COOKIE_ATTRS, token);
	http_add_header(req, "set-cookie", cookie);
	return token;
}

/* A path of this server: the issuer's path, then suffix ("/login"). */
static const char *
page_path(h2o_req_t *req, const char *suffix)
{
	return h2o_concat(&req->pool,
					  h2o_iovec_init(shim_conf.issuer_path, strlen(shim_conf.issuer_path)),
					  h2o_iovec_init(suffix, strlen(suffix))).base;
}

/* This request's path and query as a place to come back to after sign-in. */
static const char *
authorize_return_to(h2o_req_t *req)
{
	const char *path = page_path(req, "/authorize?");
	const char *query = http_query(req);

	return h2o_concat(&req->pool, h2o_iovec_init(path, strlen(path)),
					  h2o_iovec_init(query, strlen(query))).base;
}

/*
 * Whether return_to is a place sign-in may send the person back to: empty,
 * or a path on this server starting with <issuer path>/authorize?, visible
 * ASCII only.
 */
static bool
return_to_valid(h2o_req_t *req, const char *s)
{
	const char *prefix = page_path(req, "/authorize?");
	const char *p;

	if (s == NULL)
		return false;
	if (*s == '\0')
		return true;
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return false;
	for (p = s; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f || *p == '\\')
			return false;
	return true;
}

/* Whether s is valid UTF-8 text without NUL (what SQL text can carry). */
static bool
text_ok(const char *s)
{
	return s != NULL && http_valid_text(s, strlen(s));
}

/* Whether every name and value of f is text. */
static bool
form_is_text(const form *f)
{
	int			i;

	for (i = 0; i < f->count; i++)
		if (!text_ok(f->params[i].name) || !text_ok(f->params[i].value))
			return false;
	return true;
}

/*
 * Parse the form body of a POST into f.  Sends 415 or 400 and returns
 * false when it is not a well-formed form without repeated fields.
 */
static bool
read_form(h2o_req_t *req, form *f)
{
	const char *body;

	if (!http_content_type_is(req, "application/x-www-form-urlencoded"))
	{
		message_page(req, 415, "Unsupported form",
					 "This page accepts only forms sent by a web browser.");
		return false;
	}
	body = http_body(req);
	if (http_form_parse(req, body, strlen(body), f) != FORM_OK || f->duplicate != NULL ||
		!form_is_text(f))
	{
		message_page(req, 400, "Bad request", "The form could not be read.");
		return false;
	}
	return true;
}

/* ---- the session ---- */

typedef struct page_state page_state;
typedef void (*page_next) (h2o_req_t *req, page_state *ps);

/* What one page request carries from callback to callback. */
struct page_state
{
	form		f;				/* the posted form (POST only) */
	const char *session;		/* session cookie, or NULL */
	const char *subject;		/* signed-in account, or NULL */
	const char *csrf;			/* the session's CSRF token */
	page_next	next;			/* what to do once the session is known */
};

/* A new state in the request's pool. */
static page_state *
page_state_new(h2o_req_t *req)
{
	page_state *ps = h2o_mem_alloc_pool(&req->pool, sizeof(*ps));

	memset(ps, 0, sizeof(*ps));
	return ps;
}

/* session_subject() answered: record the subject and go on. */
static void
on_session(h2o_req_t *req, const db_result *res, void *arg)
{
	page_state *ps = arg;

	if (res->status != DB_OK)
	{
		db_failure_page(req, res);
		return;
	}
	if (res->nrows > 0)
	{
		ps->subject = db_value(res, "subject");
		ps->csrf = db_value(res, "csrf_token");
	}
	ps->next(req, ps);
}

/* Find who is signed in (maybe nobody), then call next. */
static void
with_session(h2o_req_t *req, page_state *ps, page_next next)
{
	const char *params[1];

	ps->next = next;
	ps->session = http_cookie(req, SESSION_COOKIE);
	if (!text_ok(ps->session) || *ps->session == '\0')
	{
		ps->session = NULL;
		next(req, ps);
		return;
	}
	params[0] = ps->session;
	db_call(req, STMT_SESSION_SUBJECT, params, 1, on_session, ps);
}

/* Whether s is a non-empty cookie value (RFC 6265 cookie-octets, no quotes). */
static bool
cookie_value_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f ||
			strchr("\";,\\", *s) != NULL)
			return false;
	return true;
}

/* Set the session cookie (value) or clear it (NULL). */
static void
set_session_cookie(h2o_req_t *req, const char *value)
{
	size_t		len = (value ? strlen(value) : 0) + 128;
	char	   *cookie = h2o_mem_alloc_pool(&req->pool, len);

	if (value)
		snprintf(cookie, len, SESSION_COOKIE "=%s" COOKIE_ATTRS, value);
	else
		snprintf(cookie, len, SESSION_COOKIE "=" COOKIE_ATTRS "; Max-Age=0");
	http_add_header(req, "set-cookie", cookie);
}

/* ---- sign-in ---- */

/*
 * The sign-in page; message (plain text) may be NULL.  form_target: the
 * redirect URI authorize() accepted for return_to's request, or NULL (sign-in
 * may end in a redirect to it, an error the client must hear about, so
 * form-action must allow its origin; never one the database did not check).
 */
static void
login_page(h2o_req_t *req, int status, const char *return_to,
		   const char *username, const char *message, const char *form_target)
{
	const char *token = login_token(req);
	page_buf	pb;

	if (token == NULL)
	{
		message_page(req, 500, "Something went wrong", "Please try again.");
		return;
	}
	pb_init(&pb, req);
	pb_add(&pb, "<h1>Sign in</h1>\n<p class=\"muted\">An application is asking to "
		   "connect to your account. Sign in to review its request.</p>\n");
	if (message)
	{
		pb_add(&pb, "<p class=\"error\" role=\"alert\">");
		pb_text(&pb, message);
		pb_add(&pb, "</p>\n");
	}
	pb_form(&pb, "/login");
	pb_hidden(&pb, "csrf", token);
	pb_hidden(&pb, "return_to", return_to);
	pb_add(&pb, "\n<label for=\"username\">Username</label>"
		   "<input type=\"text\" id=\"username\" name=\"username\" "
		   "autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" "
		   "required autofocus value=\"");
	pb_text(&pb, username);
	pb_add(&pb, "\">\n<label for=\"password\">Password</label>"
		   "<input type=\"password\" id=\"password\" name=\"password\" "
		   "autocomplete=\"current-password\" required>\n"
		   "<div class=\"actions\"><button type=\"submit\" class=\"primary\">"
		   "Sign in</button></div>\n</form>");
	page_send(req, status, "Sign in", pb.data, form_target);
}

/*
 * The redirect URI an authorize() answer validated: the consent
 * descriptor's, or the Location of an error redirect; NULL otherwise.
 */
static const char *
validated_redirect(h2o_req_t *req, const db_result *res)
{
	const char *status = db_value(res, "status");
	json_doc	d;

	if (res->status != DB_OK || status == NULL)
		return NULL;
	if (strcmp(status, "302") == 0)
		return db_value(res, "location");
	if (strcmp(status, "200") == 0 && answer_parse(req, db_value(res, "body"), &d))
		return json_get_string(&d, "redirect_uri");
	return NULL;
}

/* A sign-in page to show once authorize() has checked its return_to again. */
typedef struct login_again
{
	int			status;
	const char *return_to;
	const char *username;
	const char *message;
} login_again;

/* authorize() checked return_to's request: show the sign-in page again. */
static void
on_login_again(h2o_req_t *req, const db_result *res, void *arg)
{
	login_again *la = arg;

	login_page(req, la->status, la->return_to, la->username, la->message,
			   validated_redirect(req, res));
}

/*
 * The sign-in page again (a wrong password, an expired form) for a valid
 * return_to: the request in it is checked by authorize() again (which
 * writes nothing), since its form-action may name only a redirect URI the
 * database accepted, and a form field proves nothing.
 */
static void
login_page_again(h2o_req_t *req, int status, const char *return_to,
				 const char *username, const char *message)
{
	const char *query = return_to ? strchr(return_to, '?') : NULL;
	login_again *la;
	const char *params[2];

	if (query == NULL || !text_ok(query + 1))
	{
		login_page(req, status, return_to, username, message, NULL);
		return;
	}
	la = h2o_mem_alloc_pool(&req->pool, sizeof(*la));
	la->status = status;
	la->return_to = return_to;
	la->username = username;
	la->message = message;
	params[0] = query + 1;
	params[1] = http_client_addr(req);
	docfetch_call(req, STMT_AUTHORIZE, params, 2, on_login_again, la);
}

/* The page for a person who is signed in and has nowhere to go. */
static void
signed_in_page(h2o_req_t *req, page_state *ps)
{
	page_buf	pb;

	pb_init(&pb, req);
	pb_add(&pb, "<h1>You are signed in</h1>\n<p>Signed in as <strong>");
	pb_text(&pb, ps->subject);
	pb_add(&pb, "</strong>. You can close this window.</p>\n");
	pb_form(&pb, "/logout");
	pb_hidden(&pb, "csrf", ps->csrf);
	pb_add(&pb, "<div class=\"actions\"><button type=\"submit\">Sign out</button>"
		   "</div></form>");
	page_send(req, 200, "Signed in", pb.data, NULL);
}

/*
 * login() refused to check the password: too many failed sign-ins for the
 * username or the address.  429 with Retry-After the database's sliding
 * 15-minute window: by then every counted failure has left it (the server
 * does not know when the oldest one did, so it says the longest wait).
 */
static void
login_throttled_page(h2o_req_t *req, const char *return_to, const char *username)
{
	http_add_header(req, "retry-after", "900");
	login_page_again(req, 429, return_to, username,
					 "Too many sign-in attempts. Try again in a few minutes.");
}

/* login() answered: set the session and go back, or show the form again. */
static void
on_login(h2o_req_t *req, const db_result *res, void *arg)
{
	page_state *ps = arg;
	const char *ok = db_value(res, "ok");
	const char *token = db_value(res, "session_token");
	const char *return_to = form_get(&ps->f, "return_to");
	const char *error = db_value(res, "error");

	if (res->status != DB_OK)
	{
		db_failure_page(req, res);
		return;
	}
	if (error != NULL && strcmp(error, "too_many_attempts") == 0)
	{
		login_throttled_page(req, return_to, form_get(&ps->f, "username"));
		return;
	}
	if (res->nrows == 0 || ok == NULL || strcmp(ok, "t") != 0)
	{
		/* 403, not 401: a 401 must carry a WWW-Authenticate challenge */
		login_page_again(req, 403, return_to, form_get(&ps->f, "username"),
						 "The username or password is incorrect.");
		return;
	}
	if (!cookie_value_ok(token))
	{
		LOG_ERROR(req, "login() returned a session token that cannot be a cookie value");
		message_page(req, 500, "Something went wrong", "Please try again.");
		return;
	}
	set_session_cookie(req, token);
	send_redirect(req, 303, return_to && *return_to ? return_to : page_path(req, "/login"));
}

/* GET /login once the session is known. */
static void
login_get(h2o_req_t *req, page_state *ps)
{
	form		q;
	const char *query = http_query(req);
	const char *return_to = NULL;

	if (ps->subject != NULL)
	{
		signed_in_page(req, ps);
		return;
	}
	if (http_form_parse(req, query, strlen(query), &q) == FORM_OK)
		return_to = form_get(&q, "return_to");
	login_page_again(req, 200, return_to_valid(req, return_to) ? return_to : "", NULL, NULL);
}

/* POST /login: check the double-submit token, then SQL login(). */
static void
login_post(h2o_req_t *req, page_state *ps)
{
	const char *return_to = form_get(&ps->f, "return_to");
	const char *username = form_get(&ps->f, "username");
	const char *password = form_get(&ps->f, "password");
	const char *params[4];

	if (!return_to_valid(req, return_to ? return_to : ""))
	{
		message_page(req, 400, "Bad request", "The sign-in form was altered.");
		return;
	}
	if (!secret_equal(form_get(&ps->f, "csrf"), http_cookie(req, LOGIN_COOKIE)))
	{
		login_page_again(req, 403, return_to, username,
						 "Your sign-in form expired. Please sign in again.");
		return;
	}
	if (username == NULL || *username == '\0' || password == NULL || *password == '\0')
	{
		login_page_again(req, 400, return_to, username,
						 "Enter your username and password.");
		return;
	}
	params[0] = username;
	params[1] = password;
	params[2] = http_client_addr(req);
	params[3] = http_cookie(req, SESSION_COOKIE);	/* ended if the login succeeds */
	if (!text_ok(params[3]))
		params[3] = NULL;		/* not a token we could have issued */
	db_call(req, STMT_LOGIN, params, 4, on_login, ps);
}

/* GET, POST /login */
int
pages_login(h2o_req_t *req)
{
	page_state *ps = page_state_new(req);

	if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
	{
		if (read_form(req, &ps->f))
			login_post(req, ps);
		return 0;
	}
	with_session(req, ps, login_get);
	return 0;
}

/* ---- authorize and consent ---- */

/* The error page for a 400 (or other) JSON answer from SQL. */
static void
oauth_error_page(h2o_req_t *req, int status, const char *json)
{
	json_doc	o;
	const char *description = NULL;
	const char *code = NULL;
	page_buf	pb;

	if (answer_parse(req, json, &o))
	{
		code = json_get_string(&o, "error");
		description = json_get_string(&o, "error_description");
	}
	pb_init(&pb, req);
	pb_add(&pb, "<h1>This request cannot continue</h1>\n<p class=\"error\">");
	pb_text(&pb, description ? description : "The application sent a request "
			"this server cannot accept.");
	pb_add(&pb, "</p>\n<p>Return to the application and try connecting again. "
		   "If this keeps happening, tell the application's developers.</p>");
	if (code)
	{
		pb_add(&pb, "\n<p class=\"muted\">Error code: <code>");
		pb_text(&pb, code);
		pb_add(&pb, "</code></p>");
	}
	page_send(req, status >= 400 && status < 600 ? status : 400,
			  "Request refused", pb.data, NULL);
}

/* Copy a 302 from SQL, or show its error as a page. */
static void
redirect_or_error(h2o_req_t *req, const db_result *res)
{
	const char *status = db_value(res, "status");
	const char *location = db_value(res, "location");

	if (res->status != DB_OK)
		db_failure_page(req, res);
	else if (status == NULL)
		message_page(req, 500, "Something went wrong", "Please try again.");
	else if (strcmp(status, "302") == 0 && location != NULL)
		send_redirect(req, 302, location);
	else
		oauth_error_page(req, atoi(status), db_value(res, "body"));
}

/* The list of scopes of the descriptor, each in plain words. */
static void
consent_scopes(page_buf *pb, const json_member *scopes)
{
	int			n = scopes != NULL && scopes->type == JSON_ARRAY ? scopes->nobjects : 0;
	int			i;

	pb_add(pb, "<p>It will be able to:</p>\n<ul>\n");
	for (i = 0; i < n; i++)
	{
		const char *name = json_get_string(scopes->objects[i], "name");
		const char *description = json_get_string(scopes->objects[i], "description");

		pb_add(pb, "<li>");
		pb_text(pb, description ? description : name);
		pb_add(pb, " <span class=\"muted\">(<code>");
		pb_text(pb, name);
		pb_add(pb, "</code>)</span></li>\n");
	}
	if (n == 0)
		pb_add(pb, "<li>Connect to your account, with no other permission</li>\n");
	pb_add(pb, "</ul>\n");
}

/* The "signed in as ... not you? sign out" footer. */
static void
consent_account(page_buf *pb, page_state *ps, const char *return_to)
{
	pb_add(pb, "<div class=\"account\"><span>Signed in as <strong>");
	pb_text(pb, ps->subject);
	pb_add(pb, "</strong></span>");
	pb_form(pb, "/logout");
	pb_hidden(pb, "csrf", ps->csrf);
	pb_hidden(pb, "return_to", return_to);
	pb_add(pb, "<button type=\"submit\" class=\"link\">Not you? Sign out</button>"
		   "</form></div>");
}

/* Whether host ("127.0.0.1:8000", "localhost", "[::1]:9") is a loopback host. */
static bool
is_loopback_host(const char *host)
{
	static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
	int			i;

	for (i = 0; host != NULL && i < 3; i++)
	{
		size_t		n = strlen(names[i]);

		if (strncasecmp(host, names[i], n) == 0 && (host[n] == '\0' || host[n] == ':'))
			return true;
	}
	return false;
}

/*
 * The heading: the client's name, marked as its own claim unless an
 * administrator chose it (a built-in or pre-registered client); the
 * redirect host below is what tells who it is.
 */
static void
consent_heading(page_buf *pb, const json_doc *d)
{
	const char *client_name = json_get_string(d, "client_name");
	const char *kind = json_get_string(d, "client_kind");
	bool		vouched = kind != NULL &&
		(strcmp(kind, "builtin") == 0 || strcmp(kind, "static") == 0);

	if (client_name == NULL || *client_name == '\0')
		client_name = json_get_string(d, "client_id");
	pb_add(pb, vouched ? "<h1>Allow <strong>" :
		   "<h1>Allow an application that calls itself <strong>");
	pb_text(pb, client_name);
	pb_add(pb, "</strong> to access your account?</h1>\n");
	if (!vouched)
		pb_add(pb, json_get_string(d, "metadata_host") != NULL ?
			   "<p class=\"muted\">It chose this name itself in the description "
			   "it publishes, and nobody has checked it. Who publishes it and "
			   "where your answer is sent, below, tell you who it really is.</p>\n" :
			   "<p class=\"muted\">It chose this name itself when it "
			   "registered, and nobody has checked it. Where your answer is "
			   "sent, below, tells you who it really is.</p>\n");
}

/*
 * For a client whose answer goes to a port on this computer (the built-in
 * mcp-agent, which takes any loopback redirect URI, or a client metadata
 * document naming only loopback redirect URIs): whoever started the
 * request gets the answer, so only the person who started the tool may
 * approve.  A document proves which website published it, not which
 * program uses it: anyone can publish one naming a loopback redirect, or
 * start a request with somebody else's.
 */
static void
consent_local_warning(page_buf *pb, const json_doc *d)
{
	const char *metadata_host = json_get_string(d, "metadata_host");

	if (!answer_true(d, "loopback_only") && !answer_true(d, "loopback_redirects_only"))
		return;
	pb_add(pb, "<p class=\"error\"><strong>Approve only if you started a tool "
		   "on this computer yourself just now</strong> (a command-line tool, an "
		   "editor or an agent) and it opened this page. If a website, an email "
		   "or a message brought you here, choose Deny: anyone can start this "
		   "request, and approving it hands your account to whatever program on "
		   "this computer receives the answer.");
	if (metadata_host != NULL && answer_true(d, "loopback_redirects_only"))
	{
		pb_add(pb, " Its name is not verified: ");
		pb_text(pb, metadata_host);
		pb_add(pb, " published this description, but any program on any computer "
			   "can use it, and anyone can publish one like it.");
	}
	pb_add(pb, "</p>\n");
}

/*
 * For a client identified by a metadata document (its client_id is the
 * document's URL): the website that published it, the one thing about
 * the application that was checked (over HTTPS) besides its redirect host.
 */
static void
consent_metadata_host(page_buf *pb, const json_doc *d)
{
	const char *metadata_host = json_get_string(d, "metadata_host");

	if (metadata_host == NULL)
		return;
	pb_add(pb, "<p>Its description is published by</p>\n<p class=\"host\">");
	pb_text(pb, metadata_host);
	pb_add(pb, "</p>\n");
}

/* The consent page from authorize()'s JSON descriptor. */
static void
consent_page(h2o_req_t *req, page_state *ps, const char *json)
{
	json_doc	d;
	const char *redirect_uri,
			   *host;
	page_buf	pb;

	if (!answer_parse(req, json, &d) || json_get_string(&d, "request_id") == NULL)
	{
		LOG_ERROR(req, "authorize() returned a consent descriptor that cannot be read");
		message_page(req, 500, "Something went wrong", "Please try again.");
		return;
	}
	redirect_uri = json_get_string(&d, "redirect_uri");
	host = json_get_string(&d, "redirect_host");
	pb_init(&pb, req);
	consent_heading(&pb, &d);
	consent_local_warning(&pb, &d);
	consent_metadata_host(&pb, &d);
	pb_add(&pb, "<p>After you choose, you will be sent to</p>\n<p class=\"host\">");
	pb_text(&pb, host ? host : redirect_uri);
	if (is_loopback_host(host))
		pb_add(&pb, " <span class=\"muted\">(an application on this computer)</span>");
	pb_add(&pb, "</p>\n<p class=\"muted\">");
	pb_text(&pb, redirect_uri);
	pb_add(&pb, "</p>\n<p class=\"muted\">Client ID: <code>");
	pb_text(&pb, json_get_string(&d, "client_id"));
	pb_add(&pb, "</code></p>\n");
	consent_scopes(&pb, json_get(&d, "scopes"));
	pb_add(&pb, "<p>on <strong>");
	pb_text(&pb, json_get_string(&d, "resource"));
	pb_add(&pb, "</strong></p>\n<p class=\"muted\">Only allow this if you trust "
		   "the application and started this connection yourself.</p>\n");
	pb_form(&pb, "/consent");
	pb_hidden(&pb, "request_id", json_get_string(&d, "request_id"));
	pb_hidden(&pb, "csrf", ps->csrf);
	pb_add(&pb, "\n<div class=\"actions\">"
		   "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>"
		   "<button type=\"submit\" name=\"decision\" value=\"approve\" "
		   "class=\"primary\">Approve</button></div>\n</form>\n");
	consent_account(&pb, ps, authorize_return_to(req));
	page_send(req, 200, "Allow access?", pb.data, redirect_uri);
}

/*
 * Retry-After of an authorization refused because its address asked for
 * too many client metadata documents (a 429 from authorize(): cimd_policy.c
 * counts a sliding hour, and not the refused requests, so an hour after a
 * refusal every fetch it counted has left the window).
 */
#define CIMD_FETCH_RETRY_AFTER "3600"

/*
 * authorize() answered.  Its error pages come first, signed in or not: a
 * person never types a password for a request that cannot go on.  A
 * signed-out person then signs in, also before an error redirect to the
 * client: this server sends nobody to a client's redirect URI without a
 * sign-in (RFC 9700 section 4.11.2).
 */
static void
on_authorize(h2o_req_t *req, const db_result *res, void *arg)
{
	page_state *ps = arg;
	const char *status = db_value(res, "status");
	bool		go_on = res->status == DB_OK && status != NULL &&
		(strcmp(status, "200") == 0 ||
		 (strcmp(status, "302") == 0 && db_value(res, "location") != NULL));

	if (res->status == DB_OK && status != NULL && strcmp(status, "429") == 0)
		http_add_header(req, "retry-after", CIMD_FETCH_RETRY_AFTER);
	if (!go_on)
		redirect_or_error(req, res);
	else if (ps->subject == NULL)
		login_page(req, 200, authorize_return_to(req), NULL, NULL,
				   validated_redirect(req, res));
	else if (strcmp(status, "200") == 0)
		consent_page(req, ps, db_value(res, "body"));
	else
		redirect_or_error(req, res);
}

/* GET /authorize once the session is known: check the request. */
static void
authorize_signed(h2o_req_t *req, page_state *ps)
{
	const char *query = http_query(req);
	const char *params[2];

	if (!text_ok(query))
	{
		message_page(req, 400, "Bad request", "The request could not be read.");
		return;
	}
	params[0] = query;
	params[1] = http_client_addr(req);
	docfetch_call(req, STMT_AUTHORIZE, params, 2, on_authorize, ps);
}

/* GET /authorize */
int
pages_authorize(h2o_req_t *req)
{
	with_session(req, page_state_new(req), authorize_signed);
	return 0;
}

/* authorize_decision() answered. */
static void
on_decision(h2o_req_t *req, const db_result *res, void *arg)
{
	redirect_or_error(req, res);
}

/* POST /consent once the session is known. */
static void
consent_signed(h2o_req_t *req, page_state *ps)
{
	const char *decision = form_get(&ps->f, "decision");
	const char *request_id = form_get(&ps->f, "request_id");
	const char *params[5];

	if (ps->subject == NULL)
	{
		message_page(req, 403, "You are signed out",
					 "Your session ended before you answered. Return to the "
					 "application and connect again.");
		return;
	}
	if (!secret_equal(form_get(&ps->f, "csrf"), ps->csrf))
	{
		message_page(req, 403, "Request refused",
					 "This answer did not come from the consent page we showed "
					 "you. Return to the application and connect again.");
		return;
	}
	if (request_id == NULL || decision == NULL ||
		(strcmp(decision, "approve") != 0 && strcmp(decision, "deny") != 0))
	{
		message_page(req, 400, "Bad request", "The consent form was incomplete.");
		return;
	}
	params[0] = request_id;
	params[1] = ps->subject;
	params[2] = strcmp(decision, "approve") == 0 ? "true" : "false";
	params[3] = NULL;
	params[4] = http_client_addr(req);
	db_call(req, STMT_AUTHORIZE_DECISION, params, 5, on_decision, ps);
}

/* POST /consent */
int
pages_consent(h2o_req_t *req)
{
	page_state *ps = page_state_new(req);

	if (read_form(req, &ps->f))
		with_session(req, ps, consent_signed);
	return 0;
}

/* ---- sign-out ---- */

/* logout() answered: clear the cookie and go back. */
static void
on_logout(h2o_req_t *req, const db_result *res, void *arg)
{
	page_state *ps = arg;
	const char *return_to = form_get(&ps->f, "return_to");

	if (res->status != DB_OK)
	{
		db_failure_page(req, res);
		return;
	}
	set_session_cookie(req, NULL);
	send_redirect(req, 303, return_to_valid(req, return_to) && *return_to ? return_to :
				  page_path(req, "/logout"));
}

/* GET /logout once the session is known: a sign-out button, or "signed out". */
static void
logout_get(h2o_req_t *req, page_state *ps)
{
	if (ps->subject != NULL)
		signed_in_page(req, ps);
	else
		message_page(req, 200, "You are signed out",
					 "You can close this window.");
}

/* POST /logout once the session is known. */
static void
logout_post(h2o_req_t *req, page_state *ps)
{
	const char *params[1];

	if (ps->subject == NULL)
	{
		on_logout(req, &(db_result) {.status = DB_OK}, ps);
		return;
	}
	if (!secret_equal(form_get(&ps->f, "csrf"), ps->csrf))
	{
		message_page(req, 403, "Request refused",
					 "This sign-out did not come from one of our pages.");
		return;
	}
	params[0] = ps->session;
	db_call(req, STMT_LOGOUT, params, 1, on_logout, ps);
}

/* GET, POST /logout */
int
pages_logout(h2o_req_t *req)
{
	page_state *ps = page_state_new(req);

	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		with_session(req, ps, logout_get);
	else if (read_form(req, &ps->f))
		with_session(req, ps, logout_post);
	return 0;
}
