/*
 * fuzz_uri.c
 *		libFuzzer harness for lib/uri.c.  The input is one URI, or two
 *		separated by a newline (registered, presented).  Checks: no overrun,
 *		canonical resources are idempotent, matching is symmetric, a URI that
 *		passes the policy matches itself, port variance only for loopback,
 *		the built-in client's loopback rule allows no query, a URL the
 *		server may fetch is https without a fragment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/uri.h"

/* Canonical form is a fixed point, and never longer than the input. */
static void
check_canonical(const char *u)
{
	char		a[URI_MAX_LEN + 1];
	char		b[URI_MAX_LEN + 1];

	if (!uri_canonical_resource(u, a, sizeof(a)))
		return;
	if (strlen(a) > strlen(u) || !uri_canonical_resource(a, b, sizeof(b)) ||
		strcmp(a, b) != 0)
		abort();
}

/* The other entry points, for memory safety and basic consistency. */
static void
check_one(const char *u)
{
	char		out[64];
	char		big[URI_MAX_LEN + 64];

	if (uri_redirect_problem(u) == NULL && !uri_redirect_matches(u, u))
		abort();
	if (uri_is_loopback(u) && uri_is_private_scheme(u))
		abort();
	/* the built-in client's rule: only a loopback URI the policy allows, no query */
	if (uri_any_loopback_problem(u) == NULL &&
		(!uri_is_loopback(u) || uri_redirect_problem(u) != NULL || strchr(u, '?') != NULL))
		abort();
	/* a private-use URI the policy allows has a '.' in its scheme, or a host */
	if (uri_is_private_scheme(u) && uri_redirect_problem(u) == NULL &&
		strchr(u, '.') == NULL && strstr(u, "://") == NULL)
		abort();
	/* a fetchable URL is https, without fragment; the IP-literal rule only narrows */
	if (uri_fetch_problem(u, false) == NULL &&
		(strncasecmp(u, "https://", 8) != 0 || strchr(u, '#') != NULL))
		abort();
	if (uri_fetch_problem(u, true) == NULL && uri_fetch_problem(u, false) != NULL)
		abort();
	(void) uri_info_problem(u, true);
	(void) uri_info_problem(u, false);
	(void) uri_display_host(u, out, sizeof(out));
	(void) uri_append_query(u, "code=x&state=y", big, sizeof(big));
	(void) uri_append_query(u, "code=x", out, sizeof(out));
	check_canonical(u);
}

/* One fuzz input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *buf = malloc(size + 1);
	char	   *nl;

	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = memchr(buf, '\n', size);
	if (nl != NULL)
	{
		const char *reg = buf;
		const char *pres = nl + 1;
		bool		m;

		*nl = '\0';
		m = uri_redirect_matches(reg, pres);
		if (m != uri_redirect_matches(pres, reg))
			abort();
		if (m && strcmp(reg, pres) != 0 &&
			(!uri_is_loopback(reg) || !uri_is_loopback(pres)))
			abort();
		check_one(pres);
	}
	check_one(buf);
	free(buf);
	return 0;
}
