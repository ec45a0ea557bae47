/*
 * fetch.c
 *		The outbound HTTP fetcher (fetch.h): libcurl's multi socket interface
 *		driven by an h2o evloop.
 *
 * Each socket libcurl opens is watched through an h2o socket wrapped
 * around a dup() of it, created with H2O_SOCKET_FLAG_DONT_READ (h2o never
 * reads curl's bytes; closing the wrapper closes only the dup); libcurl's
 * timer is a timerfd watched the same way.  A fetch ("flight") has one
 * easy handle and a list of waiters, the requests that asked for the same
 * URL with the same options while it ran.
 *
 * Addresses are checked in CURLOPT_OPENSOCKETFUNCTION rather than by
 * resolving first and pinning with CURLOPT_RESOLVE: libcurl's threaded
 * resolver already keeps the loop free, and the check then runs on the
 * very sockaddr the socket will connect to (the IPv4 and IPv6 attempts of
 * happy eyeballs, every address tried), so nothing can change between
 * check and connect and no second resolver is needed.  A flight that meets
 * one refused address refuses all later ones and ends refused_address.
 */
#include "shim.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/uri.h"

#define FETCH_HOST_MAX 300
#define FETCH_ETAG_MAX 256

typedef struct fetch_flight fetch_flight;

struct fetch_waiter
{
	fetch_flight *flight;
	fetch_done_cb cb;
	void	   *arg;
	fetch_waiter *next;
};

struct fetch_flight
{
	fetch_ctx  *ctx;
	CURL	   *easy;
	char	   *url;
	char		host[FETCH_HOST_MAX];	/* host[:port], lowercase */
	fetch_options opts;			/* if_none_match owned */
	struct curl_slist *headers;
	char	   *body;
	size_t		len;
	bool		checked;		/* status and type looked at (first body bytes) */
	fetch_reason stopped;		/* why the body callback stopped it (or OK) */
	const char *refused;		/* the class of a refused address */
	fetch_waiter *waiters;
	fetch_flight *next;
};

/* A socket of libcurl's, watched by the loop. */
typedef struct fetch_sock
{
	fetch_ctx  *ctx;
	curl_socket_t fd;			/* libcurl's */
	h2o_socket_t *sock;			/* wrapper of dup(fd) */
	int			what;			/* CURL_POLL_* wanted */
	bool		write_pending;	/* h2o_socket_notify_write armed */
	bool		in_action;		/* curl_multi_socket_action() on it runs */
	bool		removed;		/* CURL_POLL_REMOVE came during in_action */
} fetch_sock;

struct fetch_ctx
{
	h2o_evloop_t *loop;
	const fetch_settings *settings;
	CURLM	   *multi;
	int			timer_fd;
	h2o_socket_t *timer_sock;
	struct curl_slist *resolve;
	STACK_OF(X509) *extra_cas;
	fetch_flight *flights;
	int			nflights;
};

static void fetch_drive(fetch_ctx *ctx, curl_socket_t fd, int events);

/* The lowercase word of a reason. */
const char *
fetch_reason_name(fetch_reason reason)
{
	static const char *const names[] = {
		"ok", "not_modified", "bad_url", "dns", "refused_address", "connect", "tls",
		"timeout", "redirect", "status", "size", "content_type", "busy", "network",
		"shutdown"
	};

	if ((int) reason < 0 || (size_t) reason >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[reason];
}

/* curl_global_init, once before any thread starts. */
bool
fetch_global_init(void)
{
	const curl_version_info_data *v;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return false;
	v = curl_version_info(CURLVERSION_NOW);
	if ((v->features & CURL_VERSION_ASYNCHDNS) == 0)
		LOG_WARN(NULL, "libcurl %s resolves names synchronously: a fetch may block its thread",
				 v->version);
	return true;
}

/* curl_global_cleanup, after every fetcher is gone. */
void
fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- the loop side: sockets and the timer ---- */

/*
 * Hand the events of fs to libcurl; false when fs was removed meanwhile
 * (and is now freed).
 */
static bool
fetch_sock_action(fetch_sock *fs, int events)
{
	fs->in_action = true;
	fetch_drive(fs->ctx, fs->fd, events);
	fs->in_action = false;
	if (!fs->removed)
		return true;
	free(fs);
	return false;
}

/* Readable (or failed) libcurl socket. */
static void
fetch_on_readable(h2o_socket_t *sock, const char *err)
{
	fetch_sock *fs = sock->data;

	if (fs == NULL)
		return;
	fetch_sock_action(fs, err != NULL ? CURL_CSELECT_ERR : CURL_CSELECT_IN);
}

static void fetch_on_writable(h2o_socket_t *sock, const char *err);

/* Ask for one write notification unless one is armed. */
static void
fetch_sock_want_write(fetch_sock *fs)
{
	if (fs->write_pending)
		return;
	fs->write_pending = true;
	h2o_socket_notify_write(fs->sock, fetch_on_writable);
}

/* Writable libcurl socket (a notification is one-shot: armed again while wanted). */
static void
fetch_on_writable(h2o_socket_t *sock, const char *err)
{
	fetch_sock *fs = sock->data;

	if (fs == NULL)
		return;
	fs->write_pending = false;
	if ((fs->what & CURL_POLL_OUT) == 0)
		return;
	if (fetch_sock_action(fs, err != NULL ? CURL_CSELECT_ERR : CURL_CSELECT_OUT) &&
		(fs->what & CURL_POLL_OUT))
		fetch_sock_want_write(fs);
}

/* Stop watching fs and close its wrapper (libcurl closes its own fd). */
static void
fetch_sock_close(fetch_sock *fs)
{
	fs->sock->data = NULL;
	h2o_socket_read_stop(fs->sock);
	h2o_socket_close(fs->sock);
	if (fs->in_action)
		fs->removed = true;
	else
		free(fs);
}

/* Start watching libcurl's socket fd; NULL on failure. */
static fetch_sock *
fetch_sock_open(fetch_ctx *ctx, curl_socket_t fd)
{
	fetch_sock *fs = calloc(1, sizeof(*fs));
	int			dupfd;

	if (fs == NULL)
		return NULL;
	if ((dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
	{
		free(fs);
		return NULL;
	}
	fs->ctx = ctx;
	fs->fd = fd;
	fs->sock = h2o_evloop_socket_create(ctx->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
	fs->sock->data = fs;
	return fs;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what libcurl wants. */
static int
fetch_on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	fetch_ctx  *ctx = userp;
	fetch_sock *fs = socketp;

	if (what == CURL_POLL_REMOVE)
	{
		if (fs != NULL)
			fetch_sock_close(fs);
		return 0;
	}
	if (fs == NULL)
	{
		if ((fs = fetch_sock_open(ctx, fd)) == NULL)
			return -1;
		curl_multi_assign(ctx->multi, fd, fs);
	}
	fs->what = what;
	if (what & CURL_POLL_IN)
		h2o_socket_read_start(fs->sock, fetch_on_readable);
	else
		h2o_socket_read_stop(fs->sock);
	if (what & CURL_POLL_OUT)
		fetch_sock_want_write(fs);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: arm the timerfd (-1: disarm; 0: at once). */
static int
fetch_on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	fetch_ctx  *ctx = userp;
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (timeout_ms >= 0)
	{
		its.it_value.tv_sec = timeout_ms / 1000;
		its.it_value.tv_nsec = (timeout_ms % 1000) * 1000000L;
		if (timeout_ms == 0)
			its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	}
	return timerfd_settime(ctx->timer_fd, 0, &its, NULL) == 0 ? 0 : -1;
}

/* The timerfd fired: tell libcurl. */
static void
fetch_on_timer(h2o_socket_t *sock, const char *err)
{
	fetch_ctx  *ctx = sock->data;
	uint64_t	expirations;

	if (ctx == NULL)
		return;
	if (read(ctx->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		LOG_WARN(NULL, "fetch timer: %s", strerror(errno));
	fetch_drive(ctx, CURL_SOCKET_TIMEOUT, 0);
}

/* ---- what libcurl calls during a transfer ---- */

/* Whether a Content-Type (parameters allowed) is JSON: application/json or application/...+json. */
static bool
fetch_json_type(const char *ct)
{
	size_t		n;

	if (ct == NULL)
		return false;
	n = strcspn(ct, "; \t");
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return true;
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
		strncasecmp(ct + n - 5, "+json", 5) == 0 && memchr(ct + 12, '/', n - 12) == NULL;
}

/* The reason a status refuses the response (FETCH_OK for 200). */
static fetch_reason
fetch_status_reason(const fetch_flight *f, long status)
{
	if (status == 200)
		return FETCH_OK;
	if (status == 304 && f->opts.if_none_match != NULL)
		return FETCH_NOT_MODIFIED;
	if (status >= 300 && status < 400)
		return FETCH_REDIRECT;
	return FETCH_STATUS;
}

/* The reason the response's status and type refuse it, or FETCH_OK. */
static fetch_reason
fetch_response_reason(fetch_flight *f)
{
	long		status = 0;
	char	   *ct = NULL;
	fetch_reason r;

	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
	r = fetch_status_reason(f, status);
	if (r != FETCH_OK)
		return r;
	curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
	return fetch_json_type(ct) ? FETCH_OK : FETCH_CONTENT_TYPE;
}

/* CURLOPT_WRITEFUNCTION: keep the body up to the cap; stop at a refused response. */
static size_t
fetch_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	fetch_flight *f = arg;
	size_t		n = size * nmemb;
	char	   *grown;

	if (f->refused != NULL)
		return 0;
	if (!f->checked)
	{
		f->checked = true;
		f->stopped = fetch_response_reason(f);
	}
	if (f->stopped != FETCH_OK)
		return 0;
	if (n > f->opts.max_body - f->len)
	{
		f->stopped = FETCH_SIZE;
		return 0;
	}
	if ((grown = realloc(f->body, f->len + n + 1)) == NULL)
		return 0;
	f->body = grown;
	memcpy(f->body + f->len, data, n);
	f->len += n;
	f->body[f->len] = '\0';
	return n;
}

/* A socket address as a netaddr; false for other families. */
static bool
fetch_sockaddr(const struct sockaddr *sa, netaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET)
		memcpy(out->bytes, &((const struct sockaddr_in *) sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(out->bytes, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
	else
		return false;
	out->family = sa->sa_family;
	return true;
}

/*
 * CURLOPT_OPENSOCKETFUNCTION: the socket for an address libcurl is about
 * to connect to, or none when the address is refused.
 */
static curl_socket_t
fetch_on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	fetch_flight *f = arg;
	const fetch_settings *s = f->ctx->settings;
	netaddr		a;
	const char *why = NULL;

	if (purpose != CURLSOCKTYPE_IPCXN || !fetch_sockaddr(&addr->addr, &a))
		why = "not an IP connection";
	else
		why = netaddr_fetch_refusal(&a, s->allow, s->n_allow);
	if (why == NULL && f->refused == NULL)
		return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
	if (f->refused == NULL)
		f->refused = why;
	return CURL_SOCKET_BAD;
}

/* CURLOPT_SSL_CTX_FUNCTION: add --fetch-ca-file's CAs to the system store. */
static CURLcode
fetch_on_ssl_ctx(CURL *easy, void *sslctx, void *arg)
{
	fetch_ctx  *ctx = arg;
	X509_STORE *store = SSL_CTX_get_cert_store((SSL_CTX *) sslctx);
	int			i;

	for (i = 0; i < sk_X509_num(ctx->extra_cas); i++)
	{
		if (X509_STORE_add_cert(store, sk_X509_value(ctx->extra_cas, i)) != 1)
			return CURLE_SSL_CACERT_BADFILE;
	}
	return CURLE_OK;
}

/* ---- the end of a flight ---- */

/* The reason of a finished transfer. */
static fetch_reason
fetch_curl_reason(fetch_flight *f, CURLcode rc)
{
	fetch_reason r;

	if (f->refused != NULL)
		return FETCH_REFUSED_ADDRESS;
	if (f->stopped != FETCH_OK)
		return f->stopped;
	switch (rc)
	{
		case CURLE_OK:
			return fetch_response_reason(f);
		case CURLE_FILESIZE_EXCEEDED:
			/* the Content-Length was too large: a refused status comes first */
			r = fetch_response_reason(f);
			return r == FETCH_OK || r == FETCH_CONTENT_TYPE ? FETCH_SIZE : r;
		case CURLE_COULDNT_RESOLVE_HOST:
			return FETCH_DNS;
		case CURLE_COULDNT_CONNECT:
			return FETCH_CONNECT;
		case CURLE_OPERATION_TIMEDOUT:
			return FETCH_TIMEOUT;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_INVALIDCERTSTATUS:
		case CURLE_SSL_SHUTDOWN_FAILED:
			return FETCH_TLS;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			return FETCH_BAD_URL;
		default:
			return FETCH_NETWORK;
	}
}

/* The value of the response header name (index i), or NULL. */
static const char *
fetch_header(CURL *easy, const char *name, size_t i)
{
	struct curl_header *h;

	if (curl_easy_header(easy, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Whether s is 1 to max bytes of visible ASCII (safe to send back in a header). */
static bool
fetch_visible(const char *s, size_t max)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++)
	{
		if (i >= max || s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	}
	return i > 0;
}

/*
 * Read the Cache-Control directives of one header value: no-store or
 * no-cache set *no_store, the first max-age sets *max_age.
 */
static void
fetch_cache_control(const char *v, bool *no_store, long *max_age)
{
	while (*v != '\0')
	{
		size_t		n;

		v += strspn(v, " \t,");
		n = strcspn(v, ",");
		if ((n >= 8 && strncasecmp(v, "no-store", 8) == 0 && strspn(v + 8, " \t") + 8 == n) ||
			(n >= 8 && strncasecmp(v, "no-cache", 8) == 0 && (n == 8 || strchr(" \t=", v[8]))))
			*no_store = true;
		else if (n > 8 && strncasecmp(v, "max-age=", 8) == 0 && *max_age < 0)
		{
			const char *d = v + 8 + (v[8] == '"');
			char	   *end;
			long		age = strtol(d, &end, 10);

			if (end > d && d[0] >= '0' && d[0] <= '9')
				*max_age = age < 0 ? 0 : age;
		}
		v += n;
	}
}

/*
 * Freshness left of the response in seconds (RFC 9111 section 4.2):
 * no-store/no-cache 0, else max-age, else Expires minus Date (or now),
 * else nothing known (0); less its Age (the time a cache in between kept
 * it); clamped to [min_lifetime_s, max_lifetime_s].
 */
static int
fetch_lifetime(fetch_flight *f, bool *no_store)
{
	const fetch_settings *s = f->ctx->settings;
	long		max_age = -1;
	long		life = 0;
	const char *v;
	size_t		i;

	*no_store = false;
	for (i = 0; (v = fetch_header(f->easy, "Cache-Control", i)) != NULL; i++)
		fetch_cache_control(v, no_store, &max_age);
	if (*no_store)
		life = 0;
	else if (max_age >= 0)
		life = max_age;
	else if ((v = fetch_header(f->easy, "Expires", 0)) != NULL)
	{
		const char *date = fetch_header(f->easy, "Date", 0);
		time_t		expires = curl_getdate(v, NULL);
		time_t		now = date != NULL ? curl_getdate(date, NULL) : -1;

		if (now == -1)
			now = time(NULL);
		life = expires == -1 ? 0 : (long) (expires - now);
	}
	if ((v = fetch_header(f->easy, "Age", 0)) != NULL && v[0] >= '0' && v[0] <= '9')
		life -= strtol(v, NULL, 10);
	if (life < s->min_lifetime_s)
		life = s->min_lifetime_s;
	if (life > s->max_lifetime_s)
		life = s->max_lifetime_s;
	return (int) life;
}

/* Unlink f from its fetcher and free it. */
static void
fetch_flight_free(fetch_flight *f)
{
	fetch_flight **p;

	for (p = &f->ctx->flights; *p != NULL; p = &(*p)->next)
	{
		if (*p == f)
		{
			*p = f->next;
			f->ctx->nflights--;
			break;
		}
	}
	if (f->easy != NULL)
	{
		curl_multi_remove_handle(f->ctx->multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	curl_slist_free_all(f->headers);
	free((char *) f->opts.if_none_match);
	free(f->body);
	free(f->url);
	free(f);
}

/* Give res to every waiter of f, then free f. */
static void
fetch_flight_finish(fetch_flight *f, fetch_result *res)
{
	fetch_waiter *w;

	if (res->reason == FETCH_REFUSED_ADDRESS)
		LOG_INFO(NULL, "fetch from %s: %s (%s)", f->host, fetch_reason_name(res->reason),
				 res->detail);
	else if (res->reason != FETCH_OK && res->reason != FETCH_NOT_MODIFIED)
		LOG_INFO(NULL, "fetch from %s: %s (status %ld)", f->host,
				 fetch_reason_name(res->reason), res->status);
	while ((w = f->waiters) != NULL)
	{
		f->waiters = w->next;
		w->cb(res, w->arg);
		free(w);
	}
	fetch_flight_free(f);
}

/* A transfer libcurl reports done. */
static void
fetch_flight_done(fetch_flight *f, CURLcode rc)
{
	fetch_result res;
	const char *etag;

	memset(&res, 0, sizeof(res));
	res.reason = fetch_curl_reason(f, rc);
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &res.status);
	res.body = "";
	res.detail = f->refused;
	if (res.reason == FETCH_OK || res.reason == FETCH_NOT_MODIFIED)
	{
		etag = fetch_header(f->easy, "ETag", 0);
		res.etag = etag != NULL && fetch_visible(etag, FETCH_ETAG_MAX) ? etag : NULL;
		res.lifetime_s = fetch_lifetime(f, &res.no_store);
	}
	if (res.reason == FETCH_OK && f->body != NULL)
	{
		res.body = f->body;
		res.body_len = f->len;
	}
	fetch_flight_finish(f, &res);
}

/* Run libcurl on a socket event (or the timer) and finish what completed. */
static void
fetch_drive(fetch_ctx *ctx, curl_socket_t fd, int events)
{
	int			running;
	int			left;
	CURLMsg    *msg;

	curl_multi_socket_action(ctx->multi, fd, events, &running);
	while ((msg = curl_multi_info_read(ctx->multi, &left)) != NULL)
	{
		fetch_flight *f = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &f);
		if (f != NULL)
			fetch_flight_done(f, msg->data.result);
	}
}

/* ---- starting a fetch ---- */

/* Refuse a request before any traffic: cb gets reason at once. */
static void
fetch_refuse(const char *host, fetch_reason reason, const char *detail,
			 fetch_done_cb cb, void *arg)
{
	fetch_result res;

	memset(&res, 0, sizeof(res));
	res.reason = reason;
	res.body = "";
	res.detail = detail;
	LOG_INFO(NULL, "fetch from %s: %s%s%s", host, fetch_reason_name(reason),
			 detail ? ": URL " : "", detail ? detail : "");
	cb(&res, arg);
}

/* Whether two possibly-NULL strings are equal. */
static bool
fetch_same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* The running flight of url with the same options, or NULL. */
static fetch_flight *
fetch_find(fetch_ctx *ctx, const char *url, const fetch_options *opts)
{
	fetch_flight *f;

	for (f = ctx->flights; f != NULL; f = f->next)
	{
		if (strcmp(f->url, url) == 0 && f->opts.max_body == opts->max_body &&
			f->opts.refuse_ip_literal == opts->refuse_ip_literal &&
			fetch_same(f->opts.if_none_match, opts->if_none_match))
			return f;
	}
	return NULL;
}

/* How many running flights go to host. */
static int
fetch_host_count(fetch_ctx *ctx, const char *host)
{
	fetch_flight *f;
	int			n = 0;

	for (f = ctx->flights; f != NULL; f = f->next)
		n += strcmp(f->host, host) == 0;
	return n;
}

/* Add a waiter for cb to f. */
static fetch_waiter *
fetch_wait(fetch_flight *f, fetch_done_cb cb, void *arg)
{
	fetch_waiter *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->flight = f;
	w->cb = cb;
	w->arg = arg;
	w->next = f->waiters;
	f->waiters = w;
	return w;
}

/* The request headers of f: Accept, and If-None-Match when given. */
static bool
fetch_set_headers(fetch_flight *f)
{
	struct curl_slist *h;
	char		line[FETCH_ETAG_MAX + 32];

	h = curl_slist_append(NULL, "Accept: application/json");
	if (h == NULL)
		return false;
	f->headers = h;
	if (f->opts.if_none_match == NULL)
		return true;
	snprintf(line, sizeof(line), "If-None-Match: %s", f->opts.if_none_match);
	if ((h = curl_slist_append(f->headers, line)) == NULL)
		return false;
	f->headers = h;
	return true;
}

/* Set the options of f's easy handle; false on failure. */
static bool
fetch_setup_easy(fetch_flight *f)
{
	fetch_ctx  *ctx = f->ctx;
	const fetch_settings *s = ctx->settings;
	CURL	   *e = f->easy;
	bool		ok = true;

	ok &= curl_easy_setopt(e, CURLOPT_URL, f->url) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PROXY, "") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	/*
	 * The system bundle file only, no CA directory: libcurl then keeps the
	 * parsed store (CURLOPT_CA_CACHE_TIMEOUT) instead of reading 140-odd
	 * certificates on the loop for every connection (21 ms each here).
	 */
	ok &= curl_easy_setopt(e, CURLOPT_CAPATH, NULL) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) s->connect_timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) s->timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) f->opts.max_body) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_USERAGENT, "mcp-oauth-server") == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_on_body) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_WRITEDATA, f) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, fetch_on_opensocket) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, f) == CURLE_OK;
	ok &= curl_easy_setopt(e, CURLOPT_PRIVATE, f) == CURLE_OK;
	if (ctx->resolve != NULL)
		ok &= curl_easy_setopt(e, CURLOPT_RESOLVE, ctx->resolve) == CURLE_OK;
	if (ctx->extra_cas != NULL)
	{
		ok &= curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, fetch_on_ssl_ctx) == CURLE_OK;
		ok &= curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, ctx) == CURLE_OK;
	}
	return ok;
}

/* A new flight for url, started; NULL on failure. */
static fetch_flight *
fetch_flight_start(fetch_ctx *ctx, const char *url, const char *host,
				   const fetch_options *opts)
{
	fetch_flight *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->ctx = ctx;
	f->opts = *opts;
	f->opts.if_none_match = opts->if_none_match ? strdup(opts->if_none_match) : NULL;
	f->url = strdup(url);
	snprintf(f->host, sizeof(f->host), "%s", host);
	f->next = ctx->flights;
	ctx->flights = f;
	ctx->nflights++;
	if (f->url == NULL || (opts->if_none_match != NULL && f->opts.if_none_match == NULL) ||
		(f->easy = curl_easy_init()) == NULL || !fetch_set_headers(f) ||
		!fetch_setup_easy(f) || curl_multi_add_handle(ctx->multi, f->easy) != CURLM_OK)
	{
		fetch_flight_free(f);
		return NULL;
	}
	return f;
}

/* Fetch url for cb (or join the running fetch of it). */
fetch_waiter *
fetch_start(fetch_ctx *ctx, const char *url, const fetch_options *in,
			fetch_done_cb cb, void *arg)
{
	fetch_options opts = *in;
	const char *problem = uri_fetch_problem(url, opts.refuse_ip_literal);
	char		host[FETCH_HOST_MAX];
	fetch_flight *f;
	fetch_waiter *w;

	if (problem != NULL || !uri_display_host(url, host, sizeof(host)))
	{
		fetch_refuse("-", FETCH_BAD_URL, problem ? problem : "has no host", cb, arg);
		return NULL;
	}
	if (opts.if_none_match != NULL && !fetch_visible(opts.if_none_match, FETCH_ETAG_MAX))
	{
		LOG_WARN(NULL, "fetch from %s: If-None-Match is not a visible ASCII ETag; not sent", host);
		opts.if_none_match = NULL;
	}
	if ((f = fetch_find(ctx, url, &opts)) == NULL)
	{
		if (ctx->nflights >= ctx->settings->max_total ||
			fetch_host_count(ctx, host) >= ctx->settings->max_per_host)
		{
			fetch_refuse(host, FETCH_BUSY, NULL, cb, arg);
			return NULL;
		}
		if ((f = fetch_flight_start(ctx, url, host, &opts)) == NULL)
		{
			fetch_refuse(host, FETCH_NETWORK, NULL, cb, arg);
			return NULL;
		}
	}
	if ((w = fetch_wait(f, cb, arg)) == NULL)
		fetch_refuse(host, FETCH_NETWORK, NULL, cb, arg);
	return w;
}

/* Forget waiter w; its flight goes on. */
void
fetch_cancel(fetch_waiter *w)
{
	fetch_waiter **p;

	if (w == NULL)
		return;
	for (p = &w->flight->waiters; *p != NULL; p = &(*p)->next)
	{
		if (*p == w)
		{
			*p = w->next;
			free(w);
			return;
		}
	}
}

/* Running fetches. */
int
fetch_pending(fetch_ctx *ctx)
{
	return ctx != NULL ? ctx->nflights : 0;
}

/* ---- the fetcher ---- */

/* Read the CAs of file into a new stack; NULL (logged) on failure or none. */
static STACK_OF(X509) *
fetch_load_cas(const char *file)
{
	STACK_OF(X509) *cas = sk_X509_new_null();
	FILE	   *fp = fopen(file, "r");
	X509	   *x;

	if (fp == NULL || cas == NULL)
	{
		LOG_ERROR(NULL, "fetch-ca-file: could not open \"%s\": %s", file, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		sk_X509_free(cas);
		return NULL;
	}
	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL)
		sk_X509_push(cas, x);
	ERR_clear_error();			/* the end of the file is queued as an error */
	fclose(fp);
	if (sk_X509_num(cas) == 0)
	{
		LOG_ERROR(NULL, "fetch-ca-file: \"%s\" holds no PEM certificate", file);
		sk_X509_free(cas);
		return NULL;
	}
	return cas;
}

/* Whether settings can make a fetcher: its CA file holds certificates (logged if not). */
bool
fetch_settings_ok(const fetch_settings *settings)
{
	STACK_OF(X509) *cas;

	if (settings->ca_file == NULL)
		return true;
	if ((cas = fetch_load_cas(settings->ca_file)) == NULL)
		return false;
	sk_X509_pop_free(cas, X509_free);
	return true;
}

/* The libcurl resolve list of the test hook; false on failure. */
static bool
fetch_make_resolve(fetch_ctx *ctx)
{
	int			i;

	for (i = 0; i < ctx->settings->n_resolve; i++)
	{
		struct curl_slist *l = curl_slist_append(ctx->resolve, ctx->settings->resolve[i]);

		if (l == NULL)
			return false;
		ctx->resolve = l;
	}
	return true;
}

/* The multi handle, its callbacks and the timer; false on failure. */
static bool
fetch_setup_multi(fetch_ctx *ctx)
{
	if ((ctx->multi = curl_multi_init()) == NULL)
		return false;
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, fetch_on_curl_socket);
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, fetch_on_curl_timer);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx);
	ctx->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (ctx->timer_fd < 0)
		return false;
	ctx->timer_sock = h2o_evloop_socket_create(ctx->loop, ctx->timer_fd,
											   H2O_SOCKET_FLAG_DONT_READ);
	ctx->timer_sock->data = ctx;
	h2o_socket_read_start(ctx->timer_sock, fetch_on_timer);
	return true;
}

/* A fetcher on loop; NULL (logged) on failure. */
fetch_ctx *
fetch_ctx_create(h2o_evloop_t *loop, const fetch_settings *settings)
{
	fetch_ctx  *ctx = calloc(1, sizeof(*ctx));

	if (ctx == NULL)
		return NULL;
	ctx->loop = loop;
	ctx->settings = settings;
	ctx->timer_fd = -1;
	if ((settings->ca_file != NULL &&
		 (ctx->extra_cas = fetch_load_cas(settings->ca_file)) == NULL) ||
		!fetch_make_resolve(ctx) || !fetch_setup_multi(ctx))
	{
		LOG_ERROR(NULL, "could not set up the outbound fetcher");
		fetch_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

/* Stop every fetch (waiters get FETCH_SHUTDOWN) and free ctx. */
void
fetch_ctx_destroy(fetch_ctx *ctx)
{
	fetch_result res;

	if (ctx == NULL)
		return;
	memset(&res, 0, sizeof(res));
	res.reason = FETCH_SHUTDOWN;
	res.body = "";
	while (ctx->flights != NULL)
		fetch_flight_finish(ctx->flights, &res);
	if (ctx->multi != NULL)
		curl_multi_cleanup(ctx->multi);
	if (ctx->timer_sock != NULL)
	{
		ctx->timer_sock->data = NULL;
		h2o_socket_read_stop(ctx->timer_sock);
		h2o_socket_close(ctx->timer_sock);
	}
	else if (ctx->timer_fd >= 0)
		close(ctx->timer_fd);
	curl_slist_free_all(ctx->resolve);
	if (ctx->extra_cas != NULL)
		sk_X509_pop_free(ctx->extra_cas, X509_free);
	free(ctx);
}
