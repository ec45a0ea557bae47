/*
 * uri.h
 *		URI checks for OAuth: redirect URI policy and matching (RFC 6749,
 *		OAuth 2.1, RFC 8252), resource indicator comparison (RFC 8707).
 *
 * Pure C: no PostgreSQL headers.
 */
#ifndef MCP_OAUTH_URI_H
#define MCP_OAUTH_URI_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>

#define URI_MAX_LEN 2048

/*
 * Whether uri may be registered as a redirect URI.  Allowed: absolute
 * https URIs with a host; http only for the loopback hosts localhost,
 * 127.0.0.1 and [::1] (any port); private-use schemes of native apps
 * ("cursor://...", "com.example.app:/cb").  Refused: relative URIs,
 * fragments, wildcards ('*'), user info, other http, dangerous schemes
 * (javascript, data, file, vbscript, blob, about, ftp, ws, wss, filesystem,
 * view-source; any case), control characters, spaces, non-ASCII, characters
 * RFC 3986 does not allow ('\\', '"', '<', '>', '{', '}', '|', '^', '`'),
 * bad or NUL %-escapes, ports outside 1..65535 or with leading zeros,
 * malformed IPv6 literals (zone IDs too), longer than URI_MAX_LEN.
 * Schemes and loopback host names are compared case-insensitively.
 * Returns NULL when allowed, else a short English reason for
 * error_description (no trailing period).
 */
extern const char *uri_redirect_problem(const char *uri);

/* Whether uri is http on a loopback host (localhost, 127.0.0.1, [::1]). */
extern bool uri_is_loopback(const char *uri);

/*
 * Whether uri uses a private-use (custom) scheme: a syntactically valid URI
 * whose scheme is neither http nor https nor one of the dangerous ones.
 */
extern bool uri_is_private_scheme(const char *uri);

/*
 * Whether presented matches registered: byte-exact, except that when both
 * are loopback http URIs (RFC 8252 section 7.3) the port alone may differ
 * (including absent vs present); scheme, host, path and query must match.
 */
extern bool uri_redirect_matches(const char *registered, const char *presented);

/*
 * Canonical form of a resource indicator into out (size outsz): scheme and
 * host lowercased, default port (:443 for https, :80 for http) dropped, a
 * trailing '/' of the path dropped unless it follows another '/'
 * ("https://x/" and "https://x" and "HTTPS://X/" are the same); path and
 * query otherwise byte-exact.  Refuses (returns false, out emptied) a URI
 * that is not absolute http(s) with a host, has a fragment or user info,
 * fails the strict syntax checks, or does not fit.
 */
extern bool uri_canonical_resource(const char *in, char *out, size_t outsz);

/*
 * The host (and port, if any) of an absolute URI into out, lowercased, for
 * showing on the consent page; for other schemes the scheme itself,
 * lowercased ("cursor:").
 * Returns false if none can be found.
 */
extern bool uri_display_host(const char *uri, char *out, size_t outsz);

/*
 * Append "?" (or "&" when uri already has a query; nothing when it ends in
 * '?' or '&') then the already-encoded query part to uri, into out
 * (NUL-terminated); false if it does not fit or uri has a fragment.
 */
extern bool uri_append_query(const char *uri, const char *query, char *out, size_t outsz);

#endif
