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
 * 127.0.0.1 and [::1] (any port); private-use schemes that are an app's own
 * (RFC 8252 section 7.1): a reverse domain name ("com.example.app:/cb"),
 * or one word of 3 characters or more followed by an authority with a host
 * ("cursor://anysphere.cursor-mcp/oauth/callback", "vscode://...").
 * Refused: relative URIs, fragments, wildcards ('*'), user info, other
 * http, a query naming an authorization response parameter (code, state,
 * iss, error, error_description, error_uri; %-decoded, any case; parameters
 * separated by '&' or ';'), schemes whose handler is the browser, the system
 * or another program that acts on the URI (javascript, data, file, mailto,
 * tel, sms, ftp, smb, git, ws, intent, shortcuts, msteams, ms-*, windows*,
 * chrome*, googlechrome*, itms*, zoom*, skype*, *-extension, x-apple*, ...;
 * any case), reverse domain names in an operating system or browser
 * vendor's namespace (microsoft.*, com.microsoft.*, apple.*, com.apple.*,
 * google.*, com.google.*, android.*, com.android.*, mozilla.*,
 * org.mozilla.*), other private-use schemes (one word without a host, '+'
 * or '_' in them), control characters, spaces, non-ASCII, characters RFC
 * 3986 does not allow ('\\', '"', '<', '>', '{', '}', '|', '^', '`'),
 * bad or NUL %-escapes, ports outside 1..65535 or with leading zeros,
 * malformed IPv6 literals (zone IDs too), longer than URI_MAX_LEN.
 * Schemes and loopback host names are compared case-insensitively.  Returns
 * NULL when allowed, else a short English reason for error_description (no
 * trailing period).
 */
extern const char *uri_redirect_problem(const char *uri);

/*
 * Whether uri may be used by a client that takes any loopback redirect URI
 * (the built-in mcp-agent): allowed by uri_redirect_problem(), http on a
 * loopback host, any port and path, and no query (a local service's open
 * redirector would carry the code away: RFC 9700 section 4.11).  NULL if
 * so, else a short reason.
 */
extern const char *uri_any_loopback_problem(const char *uri);

/*
 * Why uri may not be a client's informational URL (client_uri, logo_uri,
 * tos_uri, policy_uri): not http(s) (https_only: not https), malformed as
 * uri_redirect_problem() judges syntax, with user info, or without a host.
 * NULL if it may be, else a phrase to follow the member's name ("must be an
 * https URL").
 */
extern const char *uri_info_problem(const char *uri, bool https_only);

/*
 * Why the server may not fetch url (an outbound request for a document),
 * or NULL: it must be https with a host, without user information or a
 * fragment, with a path other than "" and "/" and no "." or ".." segment
 * (%-encoded ones too), and pass the syntax checks of uri_redirect_problem().
 * With refuse_ip_literal, a host that is an IP address is refused too: an
 * IPv6 literal, or a name whose last label is numeric ("127.0.0.1",
 * "127.1", "0x7f.1": resolvers read those as IPv4 addresses).  The reason is
 * a short phrase ("must be an https URL").
 */
extern const char *uri_fetch_problem(const char *url, bool refuse_ip_literal);

/*
 * Whether the host of url is in hosts, a comma-separated list whose entries
 * may have blanks around them: an entry "name" is that host, "*.name" every
 * host below name (not name itself).  Names compare case-insensitively and
 * without one trailing dot ("Evil.Example." is "evil.example").  False when
 * url has no host or hosts is NULL; an entry uri_host_list_problem() would
 * refuse matches nothing.
 */
extern bool uri_host_listed(const char *url, const char *hosts);

/*
 * Why hosts is not a list uri_host_listed() takes, or NULL: every entry
 * must be a host name (labels of 1 to 63 letters, digits and '-', 253
 * bytes in all, one trailing dot allowed), optionally after "*.".  An empty
 * or blank list is one (it lists nothing).  The reason is a short phrase.
 */
extern const char *uri_host_list_problem(const char *hosts);

/* Whether uri is http on a loopback host (localhost, 127.0.0.1, [::1]). */
extern bool uri_is_loopback(const char *uri);

/*
 * Whether uri uses a private-use (custom) scheme that uri_redirect_problem()
 * allows: an app's own, neither http nor https.
 */
extern bool uri_is_private_scheme(const char *uri);

/*
 * Whether presented matches registered: both allowed by
 * uri_redirect_problem() (one registered before the policy refused its kind
 * matches nothing), and byte-exact, except that when both are loopback http
 * URIs the port alone may differ: absent vs present, or two ports (RFC 8252
 * section 7.3, OAuth 2.1 section 2.3.1: "an exact match is required except
 * for the port URI component"; a native app listens on whatever port the
 * system gives it, and a registered port is no promise that it listens
 * there).  Scheme, host, path and query must match byte for byte, so
 * localhost, 127.0.0.1 and [::1] never match each other: the client
 * listens on the one it named, and another program may hold the same port
 * on another (RFC 8252 section 8.3).  localhost varies its port like the IP
 * literals although RFC 8252 recommends against it: Claude Code publishes
 * http://localhost/callback.  https on a loopback host is exact (a server
 * with a certificate, not an app's ephemeral listener).
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
