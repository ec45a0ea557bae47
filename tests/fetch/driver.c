/*
 * driver.c
 *		Runs shim/fetch.c on an h2o evloop for tests/fetch/run.sh.
 *
 *	driver [--resolve HOST:PORT:ADDR]... [--max-body N] [--refuse-ip-literal]
 *		   [--if-none-match ETAG] [--repeat N] [--cancel N] URL...
 *		   [-- SERVER-OPTIONS...]
 *
 * Starts every URL (each --repeat times) at once, waits for all of them,
 * and prints one line per fetch in start order:
 *
 *	N reason=R status=S len=L etag=E lifetime=T no_store=0|1 detail=D body=B
 *
 * (E, D "-" when absent; B the body's first 120 bytes, newlines as spaces).
 * --cancel N cancels that many waiters of the last URL right after they
 * are started (their lines say reason=cancelled).  --resolve pins a name
 * to an address (the test cannot change DNS); the fetcher checks it like
 * any resolved address.  SERVER-OPTIONS are the server's own flags
 * (--fetch-allow-cidrs, --fetch-ca-file, ...), read by its config.c.
 * Last line: "pending_after_destroy=0" when the fetcher was left idle.
 */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIVER_MAX 256

typedef struct driver_fetch
{
	int			index;
	bool		done;
	bool		cancelled;
	char		line[512];
	fetch_waiter *waiter;
} driver_fetch;

static driver_fetch fetches[DRIVER_MAX];
static int	nfetches;
static int	ndone;
static h2o_evloop_t *loop;		/* static: libh2o 2.2.5 cannot destroy a loop */

/* The first bytes of body on one line. */
static void
driver_snippet(const char *body, size_t len, char *out, size_t outsz)
{
	size_t		i;
	size_t		n = len < outsz - 1 ? len : outsz - 1;

	for (i = 0; i < n; i++)
		out[i] = (body[i] == '\n' || body[i] == '\r') ? ' ' : body[i];
	out[n] = '\0';
}

/* A fetch finished: keep its line. */
static void
driver_done(const fetch_result *res, void *arg)
{
	driver_fetch *d = arg;
	char		body[121];

	driver_snippet(res->body, res->body_len, body, sizeof(body));
	snprintf(d->line, sizeof(d->line),
			 "%d reason=%s status=%ld len=%zu etag=%s lifetime=%d no_store=%d detail=%s body=%s",
			 d->index, fetch_reason_name(res->reason), res->status, res->body_len,
			 res->etag ? res->etag : "-", res->lifetime_s, res->no_store ? 1 : 0,
			 res->detail ? res->detail : "-", body);
	d->done = true;
	ndone++;
}

/* Print usage and exit 2. */
static void
driver_usage(void)
{
	fprintf(stderr, "usage: driver [--resolve H:P:A]... [--max-body N] [--refuse-ip-literal] "
			"[--if-none-match E] [--repeat N] [--cancel N] URL... [-- SERVER-OPTIONS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static char *resolve[DRIVER_MAX];
	char	   *urls[DRIVER_MAX];
	char	   *conf_argv[DRIVER_MAX];
	int			nurls = 0,
				nresolve = 0,
				conf_argc = 1,
				repeat = 1,
				cancel = 0,
				i,
				r;
	fetch_options opts = {.max_body = 5120};
	fetch_ctx  *ctx;

	conf_argv[0] = argv[0];
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--") == 0)
		{
			for (i++; i < argc && conf_argc < DRIVER_MAX; i++)
				conf_argv[conf_argc++] = argv[i];
			break;
		}
		if (strcmp(argv[i], "--refuse-ip-literal") == 0)
			opts.refuse_ip_literal = true;
		else if (i + 1 >= argc)
			driver_usage();
		else if (strcmp(argv[i], "--resolve") == 0 && nresolve < DRIVER_MAX)
			resolve[nresolve++] = argv[++i];
		else if (strcmp(argv[i], "--max-body") == 0)
			opts.max_body = (size_t) atol(argv[++i]);
		else if (strcmp(argv[i], "--if-none-match") == 0)
			opts.if_none_match = argv[++i];
		else if (strcmp(argv[i], "--repeat") == 0)
			repeat = atoi(argv[++i]);
		else if (strcmp(argv[i], "--cancel") == 0)
			cancel = atoi(argv[++i]);
		else if (strncmp(argv[i], "--", 2) == 0)
			driver_usage();
		else if (nurls < DRIVER_MAX)
			urls[nurls++] = argv[i];
	}
	if (nurls == 0 || repeat < 1 || nurls * repeat > DRIVER_MAX)
		driver_usage();
	config_load(conf_argc, conf_argv);
	shim_conf.fetch.resolve = resolve;
	shim_conf.fetch.n_resolve = nresolve;
	if (!fetch_global_init())
		return 1;
	loop = h2o_evloop_create();
	if ((ctx = fetch_ctx_create(loop, &shim_conf.fetch)) == NULL)
		return 1;
	for (i = 0; i < nurls; i++)
		for (r = 0; r < repeat; r++)
		{
			driver_fetch *d = &fetches[nfetches];

			d->index = nfetches++;
			d->waiter = fetch_start(ctx, urls[i], &opts, driver_done, d);
		}
	/* cancel the last waiters: they must never be called */
	for (i = nfetches - 1; i >= 0 && cancel > 0; i--, cancel--)
	{
		if (fetches[i].done)
			continue;
		fetch_cancel(fetches[i].waiter);
		fetches[i].cancelled = true;
		snprintf(fetches[i].line, sizeof(fetches[i].line), "%d reason=cancelled", i);
		ndone++;
	}
	while (ndone < nfetches || fetch_pending(ctx) > 0)
		h2o_evloop_run(loop, 1000);
	for (i = 0; i < nfetches; i++)
		printf("%s\n", fetches[i].line);
	fetch_ctx_destroy(ctx);
	h2o_evloop_run(loop, 0);	/* the closed sockets are freed by the loop */
	fetch_global_cleanup();
	printf("pending_after_destroy=0\n");
	return 0;
}
