/*
 * fuzz_uri.c
 *		libFuzzer harness for lib/uri.c.  The input is one URI, or two
 *		separated by a newline (registered, presented).  Checks: no overrun,
 *		canonical resources are idempotent, matching is symmetric, a URI that
 *		passes the policy matches itself, port variance only for loopback
 *		and in nothing but the port, the built-in client's loopback rule
 *		allows no query, a URL the server may fetch is https without a
 *		fragment, a host list matches what it lists (the input is also
 *		read as a list of denied hosts).
 */
#include <stdint.h>
#include <stdio.h>
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

/*
 * u without the port of its authority (":digits" at the end of the part
 * after "://"), into out; u itself if it has none.
 */
static void
strip_port(const char *u, char *out, size_t outsz)
{
	const char *auth = strstr(u, "://");
	size_t		end;
	size_t		colon;

	snprintf(out, outsz, "%s", u);
	if (auth == NULL)
		return;
	auth += 3;
	end = strcspn(auth, "/?#");
	colon = end;
	while (colon > 0 && auth[colon - 1] >= '0' && auth[colon - 1] <= '9')
		colon--;
	if (colon == 0 || colon == end || auth[colon - 1] != ':')
		return;
	snprintf(out, outsz, "%.*s%s", (int) (auth - u + colon - 1), u, auth + end);
}

/* Two URIs that match but differ must differ in the port alone. */
static void
check_port_only(const char *reg, const char *pres)
{
	char		a[URI_MAX_LEN + 1];
	char		b[URI_MAX_LEN + 1];

	strip_port(reg, a, sizeof(a));
	strip_port(pres, b, sizeof(b));
	if (strcmp(a, b) != 0)
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
	/* a "*.name" entry lists what the entry "name" alone does not */
	if (uri_host_listed(u, "*.evil.example") && uri_host_listed(u, "evil.example"))
		abort();
	(void) uri_info_problem(u, true);
	(void) uri_info_problem(u, false);
	(void) uri_display_host(u, out, sizeof(out));
	(void) uri_append_query(u, "code=x&state=y", big, sizeof(big));
	(void) uri_append_query(u, "code=x", out, sizeof(out));
	check_canonical(u);
}

/*
 * The input as a list of denied hosts: refused or not, it is read safely;
 * an accepted list of one entry without "*." lists the URL of that host.
 */
static void
check_host_list(const char *hosts)
{
	char		url[URI_MAX_LEN + 64];
	const char *problem = uri_host_list_problem(hosts);
	const char *entry;

	(void) uri_host_listed("https://a.evil.example/c.json", hosts);
	if (problem != NULL || strchr(hosts, ',') != NULL || strchr(hosts, '*') != NULL ||
		hosts[strspn(hosts, " \t\n\r")] == '\0')
		return;
	entry = hosts + strspn(hosts, " \t\n\r");
	snprintf(url, sizeof(url), "https://%.*s/c.json", (int) strcspn(entry, " \t\n\r"), entry);
	if (!uri_host_listed(url, hosts))
		abort();
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
		if (m && strcmp(reg, pres) != 0)
			check_port_only(reg, pres);
		check_one(pres);
	}
	check_one(buf);
	check_host_list(buf);
	free(buf);
	return 0;
}
