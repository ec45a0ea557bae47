/*
 * db.c
 *		A fixed pool of asynchronous libpq connections per event-loop thread.
 *
 * Each connection's socket is watched by the thread's h2o event loop
 * through a wrapper around dup(PQsocket(conn)) created with
 * H2O_SOCKET_FLAG_DONT_READ (so h2o never reads libpq's bytes); the wrapper
 * is closed before PQfinish.  Statements are prepared once per connection
 * right after it connects.  A call runs one prepared statement; every
 * result is drained until PQgetResult returns NULL (the commit has then
 * completed) before the caller's callback runs.  Calls wait in a bounded
 * queue when every connection is busy.  A lost connection is reconnected
 * asynchronously with exponential backoff.  A call whose client went away
 * is detached (a guard allocated with h2o_mem_alloc_shared on the request
 * pool clears the link when the pool is freed) and its late result dropped.
 * A call still running at --request-timeout has its statement cancelled
 * (see "cancelling a timed-out statement"); each session's
 * statement_timeout is a backstop a little above the request timeout, and
 * its client_connection_check_interval (PostgreSQL 14+, Linux) makes a
 * backend whose connection this server closed end its statement within
 * CHECK_INTERVAL_MS, even while it waits on a lock (without it, such a
 * backend would run on and commit once the lock is released).
 */
#include "shim.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKOFF_STEPS 7
#define DB_MAX_PARAMS 9			/* as many as any statement of stmts[] takes */
#define BACKSTOP_MARGIN_MS 1000 /* statement_timeout = request timeout + this */
#define CANCEL_GRACE_MS 1000	/* a cancelled statement's time to end */
#define CANCEL_REPEAT_MS 100	/* cancel again when not ended after this */
#define CHECK_INTERVAL_MS 200	/* the session's client_connection_check_interval */
static const int backoff_ms[BACKOFF_STEPS] = {100, 250, 500, 1000, 2000, 4000, 8000};

typedef enum conn_state
{
	CONN_DOWN,					/* waiting for the reconnect timer */
	CONN_CONNECTING,			/* PQconnectPoll in progress */
	CONN_PREPARING,				/* PQsendPrepare of statement prepare_next - 1 */
	CONN_IDLE,
	CONN_BUSY,
	CONN_CANCELLING				/* the call timed out: cancel, drain, settle */
} conn_state;

typedef struct db_call db_call_t;
typedef struct db_conn db_conn;

struct db_call
{
	h2o_req_t  *req;			/* NULL once detached (client gone, timed out) */
	db_call_t **guard;			/* in req->pool; points back here */
	db_pool    *pool;
	db_conn    *conn;			/* running on, or NULL when queued */
	db_stmt		stmt;
	int			nparams;
	char	  **params;			/* in the call's own block, after the struct */
	size_t		params_size;	/* bytes of the pointers and strings */
	db_done_cb	cb;
	void	   *arg;
	bool		retried;
	h2o_timeout_entry_t timeout;
	db_call_t  *next;			/* queue link */
};

struct db_conn
{
	db_pool    *pool;
	int			index;
	PGconn	   *pg;
	h2o_socket_t *sock;			/* wrapper of dup(PQsocket(pg)) */
	int			sock_fd;		/* the libpq fd the wrapper duplicates */
	conn_state	state;
	bool		want_write;		/* a write notification is meaningful */
	bool		write_pending;	/* h2o_socket_notify_write registered */
	int			prepare_next;	/* < 0: session_settings[]; then stmts[] */
	bool		prepared[STMT__COUNT];
	db_call_t  *call;			/* running call (CONN_BUSY; CONN_CANCELLING
								 * until drained) */
	unsigned	finished;		/* calls finished on this connection */
	PGresult   *first;			/* first result of the running call */
	PGresult   *error;			/* first error result of the running call */
	int			backoff;		/* index into backoff_ms */
	h2o_timeout_entry_t retry;
	h2o_socket_t *cancel_sock;	/* awaiting the cancel thread's report */
	h2o_timeout_entry_t grace;	/* CANCEL_GRACE_MS after the first cancel */
	h2o_timeout_entry_t recancel;	/* CANCEL_REPEAT_MS after a delivered cancel */
	bool		logged_down;
};

struct db_pool
{
	h2o_context_t *ctx;
	db_conn    *conns;
	int			nconns;
	db_call_t  *queue_head;
	db_call_t  *queue_tail;
	int			queued;
	int			running;
	h2o_timeout_t call_timeout;
	h2o_timeout_t cancel_grace;
	h2o_timeout_t cancel_repeat;
	h2o_timeout_t retry_timeouts[BACKOFF_STEPS];
};

typedef struct stmt_def
{
	const char *name;
	int			nparams;
	const char *sql;
} stmt_def;

/* Indexed by db_stmt; parameters are text, cast by the SQL. */
static const stmt_def stmts[STMT__COUNT] = {
	[STMT_PING] = {"ping", 0, "SELECT 1 AS ok"},
	[STMT_AS_METADATA] = {"as_metadata", 0,
	"SELECT * FROM mcp_oauth.authorization_server_metadata()"},
	[STMT_OIDC_CONFIG] = {"oidc_config", 0,
	"SELECT * FROM mcp_oauth.openid_configuration()"},
	[STMT_PR_METADATA] = {"pr_metadata", 1,
	"SELECT * FROM mcp_oauth.protected_resource_metadata($1::text)"},
	[STMT_JWKS] = {"jwks", 0, "SELECT * FROM mcp_oauth.jwks()"},
	[STMT_REGISTER] = {"register", 4,
	"SELECT * FROM mcp_oauth.register($1::text, $2::text, $3::text, $4::inet)"},
	[STMT_TOKEN] = {"token", 4,
	"SELECT * FROM mcp_oauth.token($1::text, $2::text, $3::text, $4::inet)"},
	[STMT_REVOKE] = {"revoke", 4,
	"SELECT * FROM mcp_oauth.revoke($1::text, $2::text, $3::text, $4::inet)"},
	[STMT_INTROSPECT] = {"introspect", 4,
	"SELECT * FROM mcp_oauth.introspect($1::text, $2::text, $3::text, $4::inet)"},
	[STMT_AUTHORIZE] = {"authorize", 2,
	"SELECT * FROM mcp_oauth.authorize($1::text, $2::inet)"},
	[STMT_AUTHORIZE_DECISION] = {"authorize_decision", 5,
		"SELECT * FROM mcp_oauth.authorize_decision($1::text, $2::text, "
	"$3::boolean, $4::text, $5::inet)"},
	[STMT_VERIFY] = {"verify", 3,
		"SELECT * FROM mcp_oauth.verify_access_token($1::text, $2::text, "
	"coalesce(string_to_array(nullif(btrim($3::text), ''), ' '), '{}'::text[]))"},
	[STMT_LOGIN] = {"login", 4,
	"SELECT * FROM mcp_oauth.login($1::text, $2::text, $3::inet, $4::text)"},
	[STMT_SESSION_SUBJECT] = {"session_subject", 1,
	"SELECT * FROM mcp_oauth.session_subject($1::text)"},
	[STMT_LOGOUT] = {"logout", 1,
	"SELECT mcp_oauth.logout($1::text) IS NULL AS done"},
	[STMT_FETCHED] = {"fetched", 9,
		"SELECT mcp_oauth.fetched($1::text, $2::text, $3::text, $4::integer, $5::text, "
	"$6::text, $7::integer, $8::text, $9::inet) AS fetched"},
};

static void conn_start(db_conn *c);
static void conn_lost(db_conn *c, const char *why);
static void conn_reset(db_conn *c, const char *why);
static void conn_dispatch(db_conn *c);
static void conn_read(db_conn *c);
static void conn_cancel(db_conn *c);
static bool conn_cancel_start(db_conn *c, bool report);
static void conn_on_read(h2o_socket_t *sock, const char *err);

/* The value of column name in row 0, or NULL. */
const char *
db_value(const db_result *res, const char *name)
{
	int			i;

	if (res->nrows < 1)
		return NULL;
	for (i = 0; i < res->ncols; i++)
		if (res->names[i] != NULL && strcmp(res->names[i], name) == 0)
			return res->values[i];
	return NULL;
}

/* ---- calls ---- */

/* Free a call (its parameters may hold a password: wipe them). */
static void
call_free(db_call_t *call)
{
	if (h2o_timeout_is_linked(&call->timeout))
		h2o_timeout_unlink(&call->timeout);
	if (call->guard != NULL)
		*call->guard = NULL;
	explicit_bzero(call->params, call->params_size);
	free(call);
}

/* Remove a queued call from its pool's queue. */
static void
queue_remove(db_pool *pool, db_call_t *call)
{
	db_call_t **link;

	for (link = &pool->queue_head; *link != NULL; link = &(*link)->next)
		if (*link == call)
		{
			*link = call->next;
			if (pool->queue_tail == call)
			{
				db_call_t  *t = pool->queue_head;

				while (t != NULL && t->next != NULL)
					t = t->next;
				pool->queue_tail = t;
			}
			pool->queued--;
			return;
		}
}

/* Give res to the caller (unless detached) and free the call. */
static void
call_finish(db_call_t *call, const db_result *res)
{
	h2o_req_t  *req = call->req;
	db_done_cb	cb = call->cb;
	void	   *arg = call->arg;

	call->req = NULL;
	call_free(call);
	if (req != NULL)
		cb(req, res, arg);
}

/* Finish a call with a failure status. */
static void
call_fail(db_call_t *call, db_status status)
{
	db_result	res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	call_finish(call, &res);
}

/* Pool dispose callback of the guard: the client is gone, detach. */
static void
guard_dispose(void *p)
{
	db_call_t **guard = p;
	db_call_t  *call = *guard;

	if (call == NULL)
		return;
	call->guard = NULL;
	call->req = NULL;
	/* a running call keeps its timeout: its statement is cancelled then */
	if (call->conn == NULL)
	{
		queue_remove(call->pool, call);
		call_free(call);
	}
}

/*
 * The per-call time limit.  A result that has arrived wins over it;
 * otherwise the client (if still there) gets 503 and a running statement
 * is cancelled; the connection frees the detached call once drained.
 */
static void
call_on_timeout(h2o_timeout_entry_t *entry)
{
	db_call_t  *call = H2O_STRUCT_FROM_MEMBER(db_call_t, timeout, entry);
	db_conn    *c = call->conn;
	db_done_cb	cb = call->cb;
	void	   *arg = call->arg;
	h2o_req_t  *req;
	db_result	res;

	if (c != NULL)
	{
		unsigned	finished = c->finished;

		conn_read(c);
		if (c->finished != finished)
			return;				/* call is gone: answered or failed */
	}
	req = call->req;
	if (req != NULL)
		LOG_WARN(req, "database call %s timed out", stmts[call->stmt].name);
	if (c == NULL)
	{
		queue_remove(call->pool, call);
		call_fail(call, DB_UNAVAILABLE);
		return;
	}
	call->req = NULL;
	if (call->guard != NULL)
		*call->guard = NULL;
	call->guard = NULL;
	conn_cancel(c);				/* may free call */
	if (req != NULL)
	{
		memset(&res, 0, sizeof(res));
		res.status = DB_UNAVAILABLE;
		cb(req, &res, arg);
	}
}

/* A zeroed call with a copy of the parameters, in one malloc block (NULL: no memory). */
static db_call_t *
call_alloc(const char *const *params, int nparams)
{
	size_t		size = sizeof(char *) * (nparams + 1);
	size_t		lens[DB_MAX_PARAMS];
	db_call_t  *call;
	char	   *p;
	int			i;

	for (i = 0; i < nparams; i++)
	{
		lens[i] = params[i] != NULL ? strlen(params[i]) + 1 : 0;
		size += lens[i];
	}
	call = malloc(sizeof(*call) + size);
	if (call == NULL)
		return NULL;
	memset(call, 0, sizeof(*call));
	call->params = (char **) (call + 1);
	call->params_size = size;
	p = (char *) (call->params + nparams + 1);
	for (i = 0; i < nparams; i++)
	{
		call->params[i] = params[i] != NULL ? p : NULL;
		memcpy(p, params[i] != NULL ? params[i] : "", lens[i]);
		p += lens[i];
	}
	call->params[nparams] = NULL;
	return call;
}

/*
 * Is any connection of the pool usable, or connecting for the first time
 * (a connection that was lost fails calls at once until it is back)?
 */
static bool
pool_has_live_conn(db_pool *pool)
{
	int			i;

	for (i = 0; i < pool->nconns; i++)
		if (pool->conns[i].state >= CONN_PREPARING ||
			(pool->conns[i].state == CONN_CONNECTING && !pool->conns[i].logged_down))
			return true;
	return false;
}

/* An idle connection of the pool, or NULL. */
static db_conn *
pool_idle_conn(db_pool *pool)
{
	int			i;

	for (i = 0; i < pool->nconns; i++)
		if (pool->conns[i].state == CONN_IDLE)
			return &pool->conns[i];
	return NULL;
}

/* Run a prepared statement for req asynchronously. */
void
db_call(h2o_req_t *req, db_stmt stmt, const char *const *params,
		int nparams, db_done_cb cb, void *arg)
{
	db_pool    *pool = SHIM_THREAD(req)->db;
	db_call_t  *call;
	db_conn    *conn;
	db_result	res;

	memset(&res, 0, sizeof(res));
	if (stmt < 0 || stmt >= STMT__COUNT || nparams != stmts[stmt].nparams ||
		nparams > DB_MAX_PARAMS)
	{
		LOG_ERROR(req, "db_call: bad statement %d or parameter count %d", (int) stmt, nparams);
		res.status = DB_FAILED;
		cb(req, &res, arg);
		return;
	}
	if (!pool_has_live_conn(pool) ||
		(pool_idle_conn(pool) == NULL && pool->queued >= shim_conf.db_queue_max))
	{
		LOG_DEBUG(req, "database unavailable (no connection or queue full)");
		res.status = DB_UNAVAILABLE;
		cb(req, &res, arg);
		return;
	}
	call = call_alloc(params, nparams);
	if (call == NULL)
	{
		res.status = DB_FAILED;
		cb(req, &res, arg);
		return;
	}
	call->req = req;
	call->pool = pool;
	call->stmt = stmt;
	call->nparams = nparams;
	call->cb = cb;
	call->arg = arg;
	call->guard = h2o_mem_alloc_shared(&req->pool, sizeof(db_call_t *), guard_dispose);
	*call->guard = call;
	call->timeout.cb = call_on_timeout;
	h2o_timeout_link(pool->ctx->loop, &pool->call_timeout, &call->timeout);

	if (pool->queue_tail != NULL)
		pool->queue_tail->next = call;
	else
		pool->queue_head = call;
	pool->queue_tail = call;
	pool->queued++;
	if ((conn = pool_idle_conn(pool)) != NULL)
		conn_dispatch(conn);
}

/* ---- connections ---- */

/* Close the socket wrapper (before PQfinish/PQreset). */
static void
conn_close_sock(db_conn *c)
{
	if (c->sock != NULL)
	{
		c->sock->data = NULL;
		h2o_socket_close(c->sock);
		c->sock = NULL;
	}
	c->sock_fd = -1;
	c->want_write = false;
	c->write_pending = false;
}

/* Wrap dup(PQsocket) in an h2o socket when libpq's fd changed. */
static bool
conn_watch(db_conn *c)
{
	int			fd = PQsocket(c->pg);
	int			dupfd;

	if (fd < 0)
		return false;
	if (c->sock != NULL && c->sock_fd == fd)
		return true;
	conn_close_sock(c);
	dupfd = dup(fd);
	if (dupfd < 0)
		return false;
	c->sock = h2o_evloop_socket_create(c->pool->ctx->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
	c->sock->data = c;
	c->sock_fd = fd;
	return true;
}

/* Clear the running call's collected results. */
static void
conn_clear_results(db_conn *c)
{
	if (c->first != NULL)
		PQclear(c->first);
	if (c->error != NULL)
		PQclear(c->error);
	c->first = c->error = NULL;
}

/* Reconnect timer. */
static void
conn_on_retry(h2o_timeout_entry_t *entry)
{
	db_conn    *c = H2O_STRUCT_FROM_MEMBER(db_conn, retry, entry);

	conn_start(c);
}

/* The thread number of a pool (for log lines). */
static int
pool_thread(db_pool *pool)
{
	return ((shim_thread *) pool->ctx)->index;
}

/* A libpq message on one line, in buf. */
static const char *
one_line(const char *msg, char *buf, size_t size)
{
	size_t		i;

	snprintf(buf, size, "%s", msg ? msg : "");
	for (i = 0; buf[i]; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			buf[i] = ' ';
	while (i > 0 && buf[i - 1] == ' ')
		buf[--i] = '\0';
	return buf;
}

/* libpq notices (e.g. the server's shutdown message): to the log, at debug level. */
static void
notice_receiver(void *arg, const PGresult *r)
{
	db_conn    *c = arg;
	char		buf[512];
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	LOG_DEBUG(NULL, "database connection %d.%d: %s: %s", pool_thread(c->pool), c->index,
			  sev ? sev : "NOTICE", one_line(msg, buf, sizeof(buf)));
}

/* Take the running call off c; the caller finishes or frees it. */
static db_call_t *
conn_release_call(db_conn *c)
{
	db_call_t  *call = c->call;

	c->call = NULL;
	c->pool->running--;
	c->finished++;
	return call;
}

/* Stop waiting for the cancel thread's report (the thread ends by itself). */
static void
conn_close_cancel(db_conn *c)
{
	if (c->cancel_sock != NULL)
	{
		c->cancel_sock->data = NULL;
		h2o_socket_close(c->cancel_sock);
		c->cancel_sock = NULL;
	}
	if (h2o_timeout_is_linked(&c->grace))
		h2o_timeout_unlink(&c->grace);
	if (h2o_timeout_is_linked(&c->recancel))
		h2o_timeout_unlink(&c->recancel);
}

/* Close the connection and fail its running call. */
static void
conn_teardown(db_conn *c)
{
	/*
	 * A statement still running gets one more cancel (unless one is under
	 * way): its backend would not notice the closed connection before
	 * client_connection_check_interval (never on PostgreSQL 13 or lower).
	 */
	if (c->pg != NULL && c->call != NULL && c->cancel_sock == NULL)
		(void) conn_cancel_start(c, false);
	conn_close_cancel(c);
	conn_close_sock(c);
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	conn_clear_results(c);
	/* the statement may or may not have committed: never retried */
	if (c->call != NULL)
		call_fail(conn_release_call(c), DB_UNAVAILABLE);
	c->state = CONN_DOWN;
}

/* Drop the connection and schedule a reconnect with backoff. */
static void
conn_lost(db_conn *c, const char *why)
{
	db_pool    *pool = c->pool;
	char		buf[512];

	if (!c->logged_down)
		LOG_ERROR(NULL, "database connection %d.%d: %s", pool_thread(pool), c->index,
				  one_line(why, buf, sizeof(buf)));
	c->logged_down = true;
	conn_teardown(c);
	if (!h2o_timeout_is_linked(&c->retry))
		h2o_timeout_link(pool->ctx->loop, &pool->retry_timeouts[c->backoff], &c->retry);
	if (c->backoff < BACKOFF_STEPS - 1)
		c->backoff++;
	/* fail the queue at once when no connection is left */
	if (!pool_has_live_conn(pool))
		while (pool->queue_head != NULL)
		{
			db_call_t  *call = pool->queue_head;

			queue_remove(pool, call);
			call_fail(call, DB_UNAVAILABLE);
		}
}

/* Close a connection that must not be reused and open it again at once. */
static void
conn_reset(db_conn *c, const char *why)
{
	char		buf[512];

	LOG_WARN(NULL, "database connection %d.%d: %s; reconnecting", pool_thread(c->pool),
			 c->index, one_line(why, buf, sizeof(buf)));
	conn_teardown(c);
	conn_start(c);
}

/* A write notification (connect/prepare/query flush). */
static void
conn_on_write(h2o_socket_t *sock, const char *err);

/* Ask for a write notification. */
static void
conn_want_write(db_conn *c)
{
	c->want_write = true;
	if (!c->write_pending)
	{
		c->write_pending = true;
		h2o_socket_notify_write(c->sock, conn_on_write);
	}
}

/* Flush the output; false when the connection is broken. */
static bool
conn_flush(db_conn *c)
{
	int			rc = PQflush(c->pg);

	if (rc < 0)
		return false;
	if (rc == 1)
		conn_want_write(c);
	return true;
}

/*
 * The session settings, sent before the statements are prepared (index
 * prepare_next + SESSION_SETTINGS), each in milliseconds; a lower
 * (non-zero) value set for the role or the database is kept, and a
 * setting the server does not have (client_connection_check_interval
 * before PostgreSQL 14) is skipped.
 *
 * statement_timeout: a backstop of the request timeout plus
 * BACKSTOP_MARGIN_MS, so that a statement this server fails to cancel (the
 * server hung, the cancel lost) still ends.
 *
 * client_connection_check_interval: a backend notices within this time
 * that its connection was closed (this server reset the connection, or
 * died) and ends its statement, even one waiting on a lock.  Without it,
 * a statement this server gave up on would run on, and commit, once it
 * got its lock.  Platforms without POLLRDHUP refuse it (logged, ignored).
 */
#define SESSION_SETTINGS 2
static const char *const session_settings[SESSION_SETTINGS] = {
	"statement_timeout", "client_connection_check_interval"};

static bool
conn_send_setting(db_conn *c, int i)
{
	char		ms[16];
	const char *params[2] = {session_settings[i], ms};

	snprintf(ms, sizeof(ms), "%d", i == 0 ? shim_conf.request_timeout_ms + BACKSTOP_MARGIN_MS :
			 CHECK_INTERVAL_MS);
	return PQsendQueryParams(c->pg,
							 "SELECT set_config($1, $2, false) FROM pg_settings "
							 "WHERE name = $1 "
							 "AND (setting::bigint = 0 OR setting::bigint > $2::bigint)",
							 2, NULL, params, NULL, NULL, 0);
}

/* Send the session settings, then each PQsendPrepare; idle when all are done. */
static void
conn_prepare_next(db_conn *c)
{
	if (c->prepare_next >= STMT__COUNT)
	{
		c->state = CONN_IDLE;
		c->backoff = 0;
		if (c->logged_down)
			LOG_INFO(NULL, "database connection %d.%d: ready", pool_thread(c->pool), c->index);
		c->logged_down = false;
		conn_dispatch(c);
		return;
	}
	c->state = CONN_PREPARING;
	if (c->prepare_next < 0 ? !conn_send_setting(c, c->prepare_next + SESSION_SETTINGS) :
		!PQsendPrepare(c->pg, stmts[c->prepare_next].name, stmts[c->prepare_next].sql,
					   stmts[c->prepare_next].nparams, NULL))
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	c->prepare_next++;
	if (!conn_flush(c))
		conn_lost(c, PQerrorMessage(c->pg));
}

/* Log an error result: SQLSTATE and primary message, never parameters. */
static void
log_pg_error(h2o_req_t *req, const char *what, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	LOG_ERROR(req, "%s failed: SQLSTATE %s: %s", what,
			  state ? state : "?????", msg ? msg : PQresStatus(PQresultStatus(r)));
}

/* One result of a session setting or of a PQsendPrepare. */
static void
conn_prepare_result(db_conn *c, PGresult *r)
{
	int			stmt = c->prepare_next - 1;

	if (stmt < 0)
	{
		/* without them the server still cancels its statements */
		if (PQresultStatus(r) != PGRES_TUPLES_OK && c->index == 0)
		{
			char		what[64];

			snprintf(what, sizeof(what), "setting %s",
					 session_settings[stmt + SESSION_SETTINGS]);
			log_pg_error(NULL, what, r);
		}
	}
	else if (PQresultStatus(r) == PGRES_COMMAND_OK)
		c->prepared[stmt] = true;
	else
	{
		/* typically a function the installed extension does not have */
		if (c->index == 0)
			log_pg_error(NULL, stmts[stmt].name, r);
		c->prepared[stmt] = false;
	}
	PQclear(r);
}

/* Copy row 0 of r into res, strings in req->pool. */
static void
result_copy(h2o_req_t *req, const PGresult *r, db_result *res)
{
	int			i;

	res->status = DB_OK;
	res->nrows = PQntuples(r);
	res->ncols = PQnfields(r) < DB_MAX_COLS ? PQnfields(r) : DB_MAX_COLS;
	for (i = 0; i < res->ncols; i++)
	{
		const char *name = PQfname(r, i);

		res->names[i] = http_strdup(req, name, strlen(name));
		if (res->nrows > 0 && !PQgetisnull(r, 0, i))
			res->values[i] = http_strdup(req, PQgetvalue(r, 0, i), PQgetlength(r, 0, i));
	}
}

/* Is r an error of SQLSTATE state? */
static bool
is_sqlstate(const PGresult *r, const char *state)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return s != NULL && strcmp(s, state) == 0;
}

/* Is the error worth one retry (serialization failure, deadlock)? */
static bool
is_retryable(const PGresult *r)
{
	return is_sqlstate(r, "40001") || is_sqlstate(r, "40P01");
}

/* Send the call's statement on c. */
static bool
conn_send(db_conn *c, db_call_t *call)
{
	if (!PQsendQueryPrepared(c->pg, stmts[call->stmt].name, call->nparams,
							 (const char *const *) call->params, NULL, NULL, 0))
		return false;
	return conn_flush(c);
}

/* The running call's results are drained: reply, retry or fail. */
static void
conn_call_done(db_conn *c)
{
	db_call_t  *call = c->call;
	db_result	res;

	memset(&res, 0, sizeof(res));
	if (c->error != NULL && is_retryable(c->error) && !call->retried && call->req != NULL)
	{
		LOG_INFO(call->req, "%s: serialization failure or deadlock, retrying once",
				 stmts[call->stmt].name);
		call->retried = true;
		conn_clear_results(c);
		if (!conn_send(c, call))
			conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	conn_release_call(c);
	c->state = CONN_IDLE;
	if (c->error != NULL && is_sqlstate(c->error, "57014"))
	{
		/* statement_timeout (or a cancel from elsewhere): retry later */
		const char *msg = PQresultErrorField(c->error, PG_DIAG_MESSAGE_PRIMARY);

		LOG_WARN(call->req, "%s: %s", stmts[call->stmt].name, msg ? msg : "cancelled");
		res.status = DB_UNAVAILABLE;
	}
	else if (c->error != NULL)
	{
		log_pg_error(call->req, stmts[call->stmt].name, c->error);
		res.status = DB_FAILED;
	}
	else if (c->first != NULL && PQresultStatus(c->first) == PGRES_TUPLES_OK)
	{
		if (call->req != NULL)
			result_copy(call->req, c->first, &res);
	}
	else
	{
		LOG_ERROR(call->req, "%s: unexpected result status %s", stmts[call->stmt].name,
				  c->first ? PQresStatus(PQresultStatus(c->first)) : "(none)");
		res.status = DB_FAILED;
	}
	conn_clear_results(c);
	call_finish(call, &res);
	conn_dispatch(c);
}

/* Keep one result of the running call. */
static void
conn_query_result(db_conn *c, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	if ((st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) && c->error == NULL)
		c->error = r;
	else if (c->first == NULL && c->error == NULL)
		c->first = r;
	else
		PQclear(r);
}

/* ---- cancelling a timed-out statement ----
 *
 * libpq 15's PQcancel blocks: it connects to the server, sends the cancel
 * request and waits until the server closes that connection.  That is
 * quick over a local socket but unbounded otherwise (a TCP connect to a
 * host that does not answer waits for the kernel's SYN retries; a hung
 * postmaster never closes), and the non-blocking PQcancelStart is libpq
 * 17.  So PQcancel runs on a detached thread of its own, which reports
 * over a socket pair the event loop watches: the loop never waits for it.
 *
 * The backend drops a cancel that it receives while waiting for (or
 * still reading) a command.  So a delivered cancel may miss its statement
 * both ways: too late (the statement has ended) and too early (the
 * statement was sent just before its timeout, and the backend, not yet
 * scheduled, had not read it: it then runs on, e.g. waits on a lock and
 * commits once it gets it).  Hence a statement not drained CANCEL_REPEAT_MS
 * after a delivered cancel is cancelled again, until it ends or
 * CANCEL_GRACE_MS after the first cancel; and a call whose time is up
 * before it is sent is failed, not sent.
 *
 * The connection is reused only when both its results are drained (the
 * statement's transaction has ended: committed, or rolled back by the
 * cancel) and no cancel thread of it is running (the last one reported
 * success: the server signals the backend before it closes the cancel
 * connection).  A cancel that came too late for the statement is then
 * already pending in the backend when the next statement arrives, and is
 * dropped: it cannot hit the next call.  If a cancel fails, the thread
 * limit is reached, the connection is not idle afterwards, or all this
 * takes longer than CANCEL_GRACE_MS, the connection is closed and opened
 * again.  Closing a connection whose statement still runs first sends one
 * more cancel (on a thread that does not report), and the backend's
 * client_connection_check_interval ends the statement when the cancel
 * cannot (statement_timeout where that setting is missing).
 */

typedef struct cancel_job
{
	PGcancel   *cancel;
	int			fd;				/* the thread's end of the socket pair; -1:
								 * no report */
} cancel_job;

static atomic_int cancel_threads;	/* running, in the whole process */

/* Thread: send the cancel, report "1" or "0" and libpq's message, end. */
static void *
cancel_thread(void *arg)
{
	cancel_job *job = arg;
	char		msg[256] = "";
	ssize_t		rc;

	msg[0] = PQcancel(job->cancel, msg + 1, sizeof(msg) - 1) ? '1' : '0';
	PQfreeCancel(job->cancel);
	/*
	 * Uncounted before the report: the loop may start the connection's
	 * next cancel as soon as it reads it, and must not find the limit
	 * taken by a thread that has done its work.
	 */
	atomic_fetch_sub(&cancel_threads, 1);
	if (job->fd >= 0)
	{
		/* MSG_NOSIGNAL: the loop may have closed its end (connection reset) */
		rc = send(job->fd, msg, 1 + strnlen(msg + 1, sizeof(msg) - 1), MSG_NOSIGNAL);
		(void) rc;
		close(job->fd);
	}
	free(job);
	return NULL;
}

/* Drained and cancel delivered: back to the pool if idle, else reset. */
static void
conn_cancel_settle(db_conn *c)
{
	if (c->call != NULL || c->cancel_sock != NULL)
		return;
	conn_close_cancel(c);
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
	{
		conn_reset(c, "not idle after a cancelled statement");
		return;
	}
	c->state = CONN_IDLE;
	conn_dispatch(c);
}

/* The cancel thread's report: settle on success, reset on failure. */
static void
conn_on_cancel_report(h2o_socket_t *sock, const char *err)
{
	db_conn    *c = sock->data;
	char		msg[256];
	size_t		n = sock->input->size < sizeof(msg) - 1 ? sock->input->size : sizeof(msg) - 1;

	if (c == NULL)
		return;
	memcpy(msg, sock->input->bytes, n);
	msg[n] = '\0';
	h2o_socket_close(sock);
	c->cancel_sock = NULL;
	if (n == 0 || msg[0] != '1')
	{
		char		why[300];

		snprintf(why, sizeof(why), "could not cancel a timed-out statement: %s",
				 n > 1 ? msg + 1 : "no report");
		conn_reset(c, why);
		return;
	}
	if (c->call != NULL)
	{
		/* not ended yet: the cancel may have come before the statement */
		h2o_timeout_link(c->pool->ctx->loop, &c->pool->cancel_repeat, &c->recancel);
		return;
	}
	conn_cancel_settle(c);
}

/*
 * Start a thread cancelling c's statement, which reports to the loop when
 * report is set; false when none could be started.
 */
static bool
conn_cancel_start(db_conn *c, bool report)
{
	cancel_job *job = NULL;
	pthread_attr_t attr;
	pthread_t	tid;
	int			sv[2] = {-1, -1};
	int			rc = -1;

	if (atomic_fetch_add(&cancel_threads, 1) < shim_conf.threads * shim_conf.db_connections &&
		(job = calloc(1, sizeof(*job))) != NULL &&
		(job->cancel = PQgetCancel(c->pg)) != NULL &&
		(!report || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0))
	{
		job->fd = sv[1];
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &attr, cancel_thread, job);
		pthread_attr_destroy(&attr);
	}
	if (rc != 0)
	{
		if (sv[0] >= 0)
		{
			close(sv[0]);
			close(sv[1]);
		}
		if (job != NULL && job->cancel != NULL)
			PQfreeCancel(job->cancel);
		free(job);
		atomic_fetch_sub(&cancel_threads, 1);
		return false;
	}
	if (!report)
		return true;
	c->cancel_sock = h2o_evloop_socket_create(c->pool->ctx->loop, sv[0], 0);
	c->cancel_sock->data = c;
	h2o_socket_read_start(c->cancel_sock, conn_on_cancel_report);
	return true;
}

/* Cancel the statement of c's timed-out call (detached by the caller). */
static void
conn_cancel(db_conn *c)
{
	c->state = CONN_CANCELLING;
	if (!conn_cancel_start(c, true))
	{
		conn_reset(c, "could not start cancelling a timed-out statement");
		return;
	}
	h2o_timeout_link(c->pool->ctx->loop, &c->pool->cancel_grace, &c->grace);
}

/* Took too long: the statement did not end or the cancel did not report. */
static void
conn_on_cancel_grace(h2o_timeout_entry_t *entry)
{
	db_conn    *c = H2O_STRUCT_FROM_MEMBER(db_conn, grace, entry);

	conn_reset(c, "a cancelled statement did not end in time");
}

/* A delivered cancel did not end the statement: cancel again. */
static void
conn_on_recancel(h2o_timeout_entry_t *entry)
{
	db_conn    *c = H2O_STRUCT_FROM_MEMBER(db_conn, recancel, entry);

	if (c->state != CONN_CANCELLING || c->call == NULL || c->cancel_sock != NULL)
		return;
	LOG_DEBUG(NULL, "database connection %d.%d: the cancelled statement still runs, cancelling again",
			  pool_thread(c->pool), c->index);
	if (!conn_cancel_start(c, true))
		conn_reset(c, "could not start cancelling a timed-out statement");
}

/* Every result of the timed-out call is in: log its end, free it. */
static void
conn_cancel_drained(db_conn *c)
{
	db_call_t  *call = conn_release_call(c);
	const char *name = stmts[call->stmt].name;

	if (c->error == NULL)
		LOG_WARN(NULL, "database connection %d.%d: %s completed after its timeout "
				 "(its client had 503)", pool_thread(c->pool), c->index, name);
	else if (is_sqlstate(c->error, "57014"))
		LOG_INFO(NULL, "database connection %d.%d: %s cancelled after its timeout",
				 pool_thread(c->pool), c->index, name);
	else
		log_pg_error(NULL, name, c->error);
	conn_clear_results(c);
	call_free(call);
	conn_cancel_settle(c);
}

/* Read what the server sent and process every complete result. */
static void
conn_read(db_conn *c)
{
	if (!PQconsumeInput(c->pg))
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	while (c->pg != NULL && !PQisBusy(c->pg))
	{
		PGresult   *r = PQgetResult(c->pg);

		if (c->state == CONN_PREPARING)
		{
			if (r != NULL)
				conn_prepare_result(c, r);
			else
				conn_prepare_next(c);
			if (c->state != CONN_PREPARING)
				break;
		}
		else if (c->call != NULL)
		{
			/* CONN_BUSY, or CONN_CANCELLING not yet drained */
			if (r != NULL)
				conn_query_result(c, r);
			else
			{
				if (c->state == CONN_BUSY)
					conn_call_done(c);
				else
					conn_cancel_drained(c);
				/* dispatch may have sent the next query (still busy) */
				if (c->state != CONN_BUSY)
					break;
				continue;
			}
		}
		else
		{
			/* idle: a notice or the server's farewell */
			if (r != NULL)
				PQclear(r);
			break;
		}
	}
	if (c->pg != NULL && PQstatus(c->pg) == CONNECTION_BAD)
		conn_lost(c, PQerrorMessage(c->pg));
}

/* Start the first queued call on an idle connection. */
static void
conn_dispatch(db_conn *c)
{
	db_pool    *pool = c->pool;
	db_call_t  *call;

	while (c->state == CONN_IDLE && (call = pool->queue_head) != NULL)
	{
		queue_remove(pool, call);
		if (call->req == NULL)
		{
			call_free(call);
			continue;
		}
		if (h2o_now(pool->ctx->loop) >= call->timeout.registered_at + pool->call_timeout.timeout)
		{
			/* its timeout is due: sent now, it would only be cancelled */
			LOG_WARN(call->req, "database call %s timed out", stmts[call->stmt].name);
			call_fail(call, DB_UNAVAILABLE);
			continue;
		}
		if (!c->prepared[call->stmt])
		{
			LOG_ERROR(call->req, "statement %s is not prepared (is the mcp_oauth extension installed and current?)",
					  stmts[call->stmt].name);
			call_fail(call, DB_FAILED);
			continue;
		}
		call->conn = c;
		c->call = call;
		c->state = CONN_BUSY;
		pool->running++;
		if (!conn_send(c, call))
			conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
}

/* Advance PQconnectPoll and watch the socket in the direction it wants. */
static void
conn_poll(db_conn *c)
{
	PostgresPollingStatusType st = PQconnectPoll(c->pg);

	if (st == PGRES_POLLING_FAILED)
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	if (!conn_watch(c))
	{
		conn_lost(c, "could not watch the database socket");
		return;
	}
	if (st == PGRES_POLLING_OK)
	{
		if (PQsetnonblocking(c->pg, 1) != 0)
		{
			conn_lost(c, PQerrorMessage(c->pg));
			return;
		}
		memset(c->prepared, 0, sizeof(c->prepared));
		c->prepare_next = -SESSION_SETTINGS;
		h2o_socket_read_start(c->sock, conn_on_read);
		conn_prepare_next(c);
	}
	else if (st == PGRES_POLLING_READING)
	{
		c->want_write = false;
		h2o_socket_read_start(c->sock, conn_on_read);
	}
	else
	{
		h2o_socket_read_stop(c->sock);
		conn_want_write(c);
	}
}

/* Readable database socket. */
static void
conn_on_read(h2o_socket_t *sock, const char *err)
{
	db_conn    *c = sock->data;

	if (c == NULL)
		return;
	if (c->state == CONN_CONNECTING)
		conn_poll(c);
	else
		conn_read(c);
}

/* Writable database socket. */
static void
conn_on_write(h2o_socket_t *sock, const char *err)
{
	db_conn    *c = sock->data;

	if (c == NULL)
		return;
	c->write_pending = false;
	if (!c->want_write)
		return;
	c->want_write = false;
	if (c->state == CONN_CONNECTING)
		conn_poll(c);
	else if (!conn_flush(c))
		conn_lost(c, PQerrorMessage(c->pg));
}

/* Begin an asynchronous connection attempt. */
static void
conn_start(db_conn *c)
{
	c->pg = PQconnectStart(shim_conf.database);
	if (c->pg == NULL)
	{
		conn_lost(c, "out of memory");
		return;
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
	{
		conn_lost(c, PQerrorMessage(c->pg));
		return;
	}
	c->state = CONN_CONNECTING;
	PQsetNoticeReceiver(c->pg, notice_receiver, c);
	if (!conn_watch(c))
	{
		conn_lost(c, "could not watch the database socket");
		return;
	}
	/* libpq: after PQconnectStart, behave as if PGRES_POLLING_WRITING */
	conn_want_write(c);
}

/* Create the pool of a thread and start connecting. */
db_pool *
db_pool_create(h2o_context_t *ctx, int nconns)
{
	db_pool    *pool = calloc(1, sizeof(*pool));
	int			i;

	if (pool == NULL || (pool->conns = calloc(nconns, sizeof(db_conn))) == NULL)
	{
		fprintf(stderr, "mcp-oauth-server: out of memory\n");
		exit(1);
	}
	pool->ctx = ctx;
	pool->nconns = nconns;
	h2o_timeout_init(ctx->loop, &pool->call_timeout, shim_conf.request_timeout_ms);
	h2o_timeout_init(ctx->loop, &pool->cancel_grace, CANCEL_GRACE_MS);
	h2o_timeout_init(ctx->loop, &pool->cancel_repeat, CANCEL_REPEAT_MS);
	for (i = 0; i < BACKOFF_STEPS; i++)
		h2o_timeout_init(ctx->loop, &pool->retry_timeouts[i], backoff_ms[i]);
	for (i = 0; i < nconns; i++)
	{
		db_conn    *c = &pool->conns[i];

		c->pool = pool;
		c->index = i;
		c->sock_fd = -1;
		c->retry.cb = conn_on_retry;
		c->grace.cb = conn_on_cancel_grace;
		c->recancel.cb = conn_on_recancel;
		conn_start(c);
	}
	return pool;
}

/* Close every connection (at exit; pending calls are failed). */
void
db_pool_destroy(db_pool *pool)
{
	int			i;

	while (pool->queue_head != NULL)
	{
		db_call_t  *call = pool->queue_head;

		queue_remove(pool, call);
		call_fail(call, DB_UNAVAILABLE);
	}
	for (i = 0; i < pool->nconns; i++)
	{
		db_conn    *c = &pool->conns[i];

		if (h2o_timeout_is_linked(&c->retry))
			h2o_timeout_unlink(&c->retry);
		conn_close_cancel(c);
		conn_close_sock(c);
		if (c->call != NULL)
		{
			c->call->req = NULL;
			call_free(c->call);
			c->call = NULL;
		}
		conn_clear_results(c);
		if (c->pg != NULL)
			PQfinish(c->pg);
		c->pg = NULL;
	}
	free(pool->conns);
	free(pool);
}

/* Calls running or queued. */
int
db_pool_busy(db_pool *pool)
{
	return pool->running + pool->queued;
}

/* ---- startup check (synchronous, before listening) ---- */

/* Exit (2: configuration mismatch, 1: database unreachable) with a message. */
static void
startup_fail(PGconn *pg, int code, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "mcp-oauth-server: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	if (pg != NULL)
		PQfinish(pg);
	exit(code);
}

/* Is resource one of the comma-separated list? */
static bool
list_contains(const char *list, const char *resource)
{
	size_t		rlen = strlen(resource);
	const char *p = list;

	while (*p)
	{
		const char *end;
		size_t		len;

		while (*p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		len = end - p;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == rlen && memcmp(p, resource, len) == 0)
			return true;
		p = end;
	}
	return false;
}

/* Check that the database's issuer and resources match this server's. */
void
db_startup_check(void)
{
	PGconn	   *pg = PQconnectdb(shim_conf.database);
	PGresult   *r;
	const char *issuer,
			   *resources;
	int			i;

	if (PQstatus(pg) != CONNECTION_OK)
	{
		char		buf[512];

		startup_fail(pg, 1, "could not connect to the database: %s%s",
					 one_line(PQerrorMessage(pg), buf, sizeof(buf)), "");
	}
	/* calling a function loads the module, so the GUC defaults are visible */
	r = PQexec(pg, "SELECT (SELECT body::json->>'issuer' "
			   "FROM mcp_oauth.authorization_server_metadata()) AS metadata_issuer, "
			   "current_setting('mcp_oauth.issuer', true) AS issuer, "
			   "current_setting('mcp_oauth.resources', true) AS resources");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

		startup_fail(pg, 2, "the startup check query failed (is the mcp_oauth extension installed, "
					 "and may this role call it?): %s%s", msg ? msg : "", "");
	}
	issuer = PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1);
	resources = PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2);
	if (strcmp(issuer, shim_conf.issuer) != 0)
		startup_fail(pg, 2, "the database's mcp_oauth.issuer is \"%s\" but this server's issuer is \"%s\"; "
					 "make them byte-identical (ALTER DATABASE ... SET mcp_oauth.issuer, or --issuer)",
					 issuer, shim_conf.issuer);
	for (i = 0; i < shim_conf.n_mcp_paths; i++)
		if (!list_contains(resources, shim_conf.mcp_resources[i]))
			startup_fail(pg, 2, "the MCP resource \"%s\" is not listed in the database's mcp_oauth.resources (\"%s\"); "
						 "add it (ALTER DATABASE ... SET mcp_oauth.resources) or change --issuer/--mcp-path",
						 shim_conf.mcp_resources[i], resources);
	PQclear(r);
	PQfinish(pg);
}
