/*
 * main.c
 *		mcp-oauth-server: configuration, the startup check, listening,
 *		event-loop threads, signals and graceful shutdown.
 *
 * Every thread runs its own h2o event loop with its own database pool and
 * accepts on a duplicate of the shared listening socket.  SIGTERM/SIGINT
 * arrive through a signalfd watched by thread 0's loop, which wakes every
 * thread through its pipe: each stops accepting, lets in-flight requests
 * finish (bounded by shutdown-timeout) and leaves its loop; then the
 * process exits 0.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct thread_priv
{
	pthread_t	tid;
	int			wake_pipe[2];
	h2o_socket_t *listener;
	h2o_socket_t *wake_sock;
	h2o_socket_t *signal_sock;	/* thread 0 only */
	h2o_accept_ctx_t accept_ctx;
	uint64_t	deadline;		/* loop time at which draining gives up */
} thread_priv;

static h2o_globalconf_t globalconf;
static SSL_CTX *ssl_ctx;
static int	listen_fd = -1;
static int	signal_fd = -1;
static shim_thread *threads;
static thread_priv *privs;
static sem_t threads_done;		/* posted by each drained thread but 0 */

/* Exit 2 on a bad configuration found at startup. */
static void
startup_fail(const char *what, const char *detail)
{
	fprintf(stderr, "mcp-oauth-server: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(2);
}

/* The OpenSSL error queue as text. */
static const char *
ssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* Load the certificate and key into an SSL_CTX that offers h2 and http/1.1. */
static void
setup_tls(void)
{
	if (shim_conf.tls_cert == NULL)
		return;
	ssl_ctx = SSL_CTX_new(TLS_server_method());
	if (ssl_ctx == NULL)
		startup_fail("could not create the TLS context", ssl_error());
	if (SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION) != 1)
		startup_fail("could not set the minimum TLS version", ssl_error());
	SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ssl_ctx, shim_conf.tls_cert) != 1)
		startup_fail("could not load tls-cert", ssl_error());
	if (SSL_CTX_use_PrivateKey_file(ssl_ctx, shim_conf.tls_key, SSL_FILETYPE_PEM) != 1)
		startup_fail("could not load tls-key", ssl_error());
	if (SSL_CTX_check_private_key(ssl_ctx) != 1)
		startup_fail("tls-key does not match tls-cert", ssl_error());
	h2o_ssl_register_alpn_protocols(ssl_ctx, h2o_http2_alpn_protocols);
}

/* Bind and listen on shim_conf.listen_host:listen_port (non-blocking). */
static void
setup_listener(void)
{
	struct addrinfo hints,
			   *res;
	char		port[16];
	int			on = 1;
	int			rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", shim_conf.listen_port);
	if ((rc = getaddrinfo(shim_conf.listen_host, port, &hints, &res)) != 0)
		startup_fail("listen: cannot resolve the host", gai_strerror(rc));
	listen_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0 ||
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
		bind(listen_fd, res->ai_addr, res->ai_addrlen) != 0 ||
		listen(listen_fd, SOMAXCONN) != 0)
	{
		fprintf(stderr, "mcp-oauth-server: could not listen on %s:%d: %s\n",
				shim_conf.listen_host, shim_conf.listen_port, strerror(errno));
		exit(1);
	}
	freeaddrinfo(res);
}

/* Block the signals handled by the loop; they arrive through signal_fd. */
static void
setup_signals(void)
{
	sigset_t	set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
		(signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
	{
		perror("mcp-oauth-server: signalfd");
		exit(1);
	}
}

/* h2o configuration: one host, the MCP paths first, then "/". */
static void
setup_h2o(void)
{
	h2o_hostconf_t *host;
	int			i;

	h2o_config_init(&globalconf);
	globalconf.server_name = h2o_iovec_init(H2O_STRLIT("mcp-oauth-server"));
	globalconf.max_request_entity_size = shim_conf.max_body;
	globalconf.http1.upgrade_to_http2 = 0;
	host = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	for (i = 0; i < shim_conf.n_mcp_paths; i++)
		gateway_register(h2o_config_register_path(host, shim_conf.mcp_paths[i], 0), i);
	routes_register(host);
}

/* A connection on the listening socket. */
static void
on_accept(h2o_socket_t *listener, const char *err)
{
	thread_priv *tp = listener->data;
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(&tp->accept_ctx, sock);
}

/* Stop accepting and ask h2o to close idle connections. */
static void
thread_begin_drain(shim_thread *t)
{
	thread_priv *tp = &privs[t->index];

	if (t->draining)
		return;
	t->draining = true;
	if (tp->listener != NULL)
	{
		h2o_socket_read_stop(tp->listener);
		h2o_socket_close(tp->listener);
		tp->listener = NULL;
	}
	tp->deadline = h2o_now(t->ctx.loop) + shim_conf.shutdown_timeout_ms;
	h2o_context_request_shutdown(&t->ctx);
}

/* A byte on the wake pipe: shutdown was requested. */
static void
on_wake(h2o_socket_t *sock, const char *err)
{
	shim_thread *t = sock->data;
	char		buf[16];
	ssize_t		rc;

	rc = read(privs[t->index].wake_pipe[0], buf, sizeof(buf));
	(void) rc;
	thread_begin_drain(t);
}

/* SIGTERM or SIGINT (thread 0): wake every thread. */
static void
on_signal(h2o_socket_t *sock, const char *err)
{
	struct signalfd_siginfo si;
	int			i;

	while (read(signal_fd, &si, sizeof(si)) == sizeof(si))
	{
		LOG_INFO(NULL, "signal %d: shutting down (in-flight requests finish, at most %d ms)",
				 (int) si.ssi_signo, shim_conf.shutdown_timeout_ms);
		for (i = 0; i < shim_conf.threads; i++)
		{
			ssize_t		rc = write(privs[i].wake_pipe[1], "x", 1);

			(void) rc;
		}
	}
}

/* Has the thread finished draining (or run out of time)? */
static bool
thread_drained(shim_thread *t)
{
	if (!t->draining)
		return false;
	if (h2o_now(t->ctx.loop) >= privs[t->index].deadline)
	{
		if (request_inflight() > 0 || db_pool_busy(t->db) > 0 || fetch_pending(t->fetch) > 0)
			LOG_WARN(NULL, "thread %d: shutdown timeout with %d requests and %d fetches in flight",
					 t->index, request_inflight(), fetch_pending(t->fetch));
		return true;
	}
	return request_inflight() == 0 && db_pool_busy(t->db) == 0 &&
		fetch_pending(t->fetch) == 0;
}

/* Watch fd in loop with cb (the socket wrapper owns fd). */
static h2o_socket_t *
watch_fd(h2o_evloop_t *loop, int fd, h2o_socket_cb cb, void *data)
{
	h2o_socket_t *sock = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);

	sock->data = data;
	h2o_socket_read_start(sock, cb);
	return sock;
}

/* One event-loop thread. */
static void *
thread_main(void *arg)
{
	shim_thread *t = arg;
	thread_priv *tp = &privs[t->index];
	h2o_evloop_t *loop = h2o_evloop_create();
	int			fd;

	h2o_context_init(&t->ctx, loop, &globalconf);
	t->db = db_pool_create(&t->ctx, shim_conf.db_connections);
	if ((t->fetch = fetch_ctx_create(loop, &shim_conf.fetch)) == NULL)
		exit(1);
	tp->accept_ctx.ctx = &t->ctx;
	tp->accept_ctx.hosts = globalconf.hosts;
	tp->accept_ctx.ssl_ctx = ssl_ctx;
	if ((fd = dup(listen_fd)) < 0)
	{
		perror("mcp-oauth-server: dup");
		exit(1);
	}
	tp->listener = watch_fd(loop, fd, on_accept, tp);
	tp->wake_sock = watch_fd(loop, tp->wake_pipe[0], on_wake, t);
	if (t->index == 0)
		tp->signal_sock = watch_fd(loop, signal_fd, on_signal, t);
	while (!thread_drained(t))
		h2o_evloop_run(loop, 100);
	db_pool_destroy(t->db);
	t->db = NULL;
	fetch_ctx_destroy(t->fetch);
	t->fetch = NULL;
	routes_thread_done();
	if (t->index != 0)
	{
		/*
		 * Stay alive until the process exits: h2o keeps per-thread caches
		 * of free buffers that would become unreachable (and reported by
		 * LeakSanitizer) when the thread ended.
		 */
		sem_post(&threads_done);
		for (;;)
			pause();
	}
	return NULL;
}

/* Create the threads' state and wake pipes. */
static void
setup_threads(void)
{
	int			i;

	threads = calloc(shim_conf.threads, sizeof(shim_thread));
	privs = calloc(shim_conf.threads, sizeof(thread_priv));
	if (threads == NULL || privs == NULL)
	{
		fprintf(stderr, "mcp-oauth-server: out of memory\n");
		exit(1);
	}
	for (i = 0; i < shim_conf.threads; i++)
	{
		threads[i].index = i;
		if (pipe2(privs[i].wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		{
			perror("mcp-oauth-server: pipe");
			exit(1);
		}
	}
}

/* Start the server; exits 0 after a clean shutdown. */
int
main(int argc, char **argv)
{
	int			i;

	config_load(argc, argv);
	if (!fetch_global_init())
		startup_fail("could not initialise libcurl", NULL);
	if (!fetch_settings_ok(&shim_conf.fetch))
		startup_fail("fetch-ca-file: no usable CA certificate", NULL);
	db_startup_check();
	setup_tls();
	setup_signals();
	setup_h2o();
	setup_threads();
	setup_listener();
	sem_init(&threads_done, 0, 0);
	LOG_INFO(NULL, "listening on %s://%s:%d, issuer %s, %d threads x %d database connections",
			 ssl_ctx ? "https" : "http", shim_conf.listen_host, shim_conf.listen_port,
			 shim_conf.issuer, shim_conf.threads, shim_conf.db_connections);
	for (i = 1; i < shim_conf.threads; i++)
		if (pthread_create(&privs[i].tid, NULL, thread_main, &threads[i]) != 0)
		{
			perror("mcp-oauth-server: pthread_create");
			exit(1);
		}
	thread_main(&threads[0]);
	for (i = 1; i < shim_conf.threads; i++)
		while (sem_wait(&threads_done) != 0)
			;
	fetch_global_cleanup();
	LOG_INFO(NULL, "stopped");
	return 0;
}
