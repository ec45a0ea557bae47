/*
 * log.c
 *		Log lines on stderr and the per-request context (request id and the
 *		access log line written when the request's memory pool is freed).
 *
 * Nothing secret is ever logged: the access line names the method and the
 * path without its query string; callers never pass tokens, codes,
 * secrets, passwords, cookies or Authorization headers to shim_log().
 */
#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#define REQ_BUCKETS 256

struct shim_request
{
	h2o_req_t  *req;
	shim_request *next;			/* hash chain of this thread */
	uint64_t	number;			/* the request id, formatted on first use */
	char		id[20];			/* "" until formatted */
	bool		timed;			/* the access log is on: fields below set */
	struct timeval start;
	char		method[16];
	char		path[256];
};

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

/* Requests of this thread by h2o_req_t address (freed with their pool). */
static __thread shim_request *req_buckets[REQ_BUCKETS];

static __thread int inflight;

static uint64_t next_request_id;

/* The hash bucket of a request. */
static shim_request **
req_bucket(h2o_req_t *req)
{
	uintptr_t	h = (uintptr_t) req;

	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ULL;
	return &req_buckets[(h >> 24) % REQ_BUCKETS];
}

/* The context of req, or NULL. */
static shim_request *
req_find(h2o_req_t *req)
{
	shim_request *r;

	for (r = *req_bucket(req); r != NULL; r = r->next)
		if (r->req == req)
			return r;
	return NULL;
}

/* Format "2026-11-23T16:49:06.123Z" into buf. */
static void
format_time(char *buf, size_t size)
{
	struct timeval tv;
	struct tm	tm;
	char		tmp[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", tmp, (int) (tv.tv_usec / 1000));
}

/* Write one finished line with a single write(2), so threads don't interleave. */
static void
write_line(char *line, int len)
{
	ssize_t		rc;

	if (len < 0)
		return;
	if (len >= LOG_LINE_MAX - 1)
		len = LOG_LINE_MAX - 2;
	line[len++] = '\n';
	rc = write(STDERR_FILENO, line, len);
	(void) rc;
}

/* Replace control characters so a log line stays one line. */
static void
sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Write a log line at level (dropped when above the configured level). */
void
shim_log(int level, h2o_req_t *req, const char *fmt,...)
{
	char		line[LOG_LINE_MAX];
	char		ts[40];
	int			n;
	va_list		ap;

	if (level > shim_conf.log_level)
		return;
	format_time(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %s ", ts, level_names[level]);
	if (req != NULL && request_id(req)[0] != '\0')
		n += snprintf(line + n, sizeof(line) - n, "req=%s ", request_id(req));
	va_start(ap, fmt);
	n += vsnprintf(line + n, n < (int) sizeof(line) ? sizeof(line) - n : 0, fmt, ap);
	va_end(ap);
	line[sizeof(line) - 1] = '\0';
	sanitize(line);
	write_line(line, n < (int) sizeof(line) ? n : (int) sizeof(line) - 1);
}

/* The id of r as text ("%08llx" of its number), formatted once. */
static const char *
format_id(shim_request *r)
{
	if (r->id[0] == '\0')
		snprintf(r->id, sizeof(r->id), "%08llx", (unsigned long long) r->number);
	return r->id;
}

/* The access log line of a finished request (method, path without query). */
static void
access_log(shim_request *r)
{
	struct timeval now;
	double		ms;
	int			status = r->req->res.status;

	gettimeofday(&now, NULL);
	ms = (now.tv_sec - r->start.tv_sec) * 1000.0 +
		(now.tv_usec - r->start.tv_usec) / 1000.0;
	if (status != 0)
		shim_log(LOG_LEVEL_INFO, NULL, "req=%s %s %s %d %.1fms",
				 format_id(r), r->method, r->path, status, ms);
	else
		shim_log(LOG_LEVEL_INFO, NULL, "req=%s %s %s - %.1fms (client gone)",
				 format_id(r), r->method, r->path, ms);
}

/* Copy an h2o string into a fixed buffer, truncated. */
static void
copy_bounded(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Pool dispose callback: the access log line, then forget the request. */
static void
request_dispose(void *p)
{
	shim_request *r = p;
	shim_request **link;

	if (r->timed)
		access_log(r);
	inflight--;
	for (link = req_bucket(r->req); *link != NULL; link = &(*link)->next)
		if (*link == r)
		{
			*link = r->next;
			break;
		}
}

/*
 * Create (once) the context of req.  The clock is read only when the access
 * log is on, and the id is formatted only when a line names it.
 */
shim_request *
request_begin(h2o_req_t *req)
{
	shim_request *r = req_find(req);
	shim_request **bucket;

	if (r != NULL)
		return r;
	r = h2o_mem_alloc_shared(&req->pool, sizeof(*r), request_dispose);
	r->req = req;
	r->number = __atomic_add_fetch(&next_request_id, 1, __ATOMIC_RELAXED);
	r->id[0] = '\0';
	r->timed = shim_conf.log_level >= LOG_LEVEL_INFO;
	if (r->timed)
	{
		size_t		pathlen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;

		copy_bounded(r->method, sizeof(r->method), req->method.base, req->method.len);
		copy_bounded(r->path, sizeof(r->path), req->path.base, pathlen);
		gettimeofday(&r->start, NULL);
	}
	bucket = req_bucket(req);
	r->next = *bucket;
	*bucket = r;
	inflight++;
	return r;
}

/* The request id of req, or "" when it has no context. */
const char *
request_id(h2o_req_t *req)
{
	shim_request *r = req_find(req);

	return r != NULL ? format_id(r) : "";
}

/* Request contexts alive on this thread. */
int
request_inflight(void)
{
	return inflight;
}
