/*
 * uri.c
 *		URI checks for OAuth: redirect URI policy and matching (RFC 6749,
 *		OAuth 2.1, RFC 8252), resource indicator comparison (RFC 8707).
 *
 * Pure C: no PostgreSQL headers.
 *
 * One strict parser (RFC 3986 generic syntax, ASCII only) splits a URI into
 * parts; the policies below are decisions over those parts.
 */
#include "lib/uri.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URI_SCHEME_MAX 64

/* A URI split into parts; each part points into the original string. */
typedef struct uri_parts
{
	const char *scheme;
	size_t		scheme_len;
	bool		has_authority;
	bool		has_userinfo;
	const char *host;			/* including brackets of an IP literal */
	size_t		host_len;
	bool		host_ip6;
	const char *port;			/* digits only, NULL if absent */
	size_t		port_len;
	const char *path;
	size_t		path_len;
	const char *query;			/* after '?', NULL if absent */
	size_t		query_len;
	bool		has_fragment;
	bool		has_wildcard;	/* a '*' anywhere */
} uri_parts;

/*
 * Schemes whose handler is the browser, the operating system, or a program
 * other than the client that acts on the URI it is given (opens it as a web
 * page, connects to its host, calls, sends, joins, installs, changes
 * settings): never an app's own redirect target, since a code sent there
 * goes to whoever that program sends it to (RFC 8252 section 7.1: an app
 * uses a scheme of its own).  Exact names, any case; families below.
 * Apps that merely open themselves and could be an MCP client (slack,
 * discord, notion, ...) are not listed: a client may use its own scheme.
 */
static const char *const uri_system_schemes[] = {
	/* the browser runs or shows these itself */
	"about", "blob", "data", "filesystem", "jar", "javascript", "mhtml",
	"read", "res", "resource", "vbscript", "view-source", "ws", "wss",
	/* browsers that open the rest of the URI as a web page */
	"brave", "ddgquicklink", "duckduckgo", "edge", "opera", "samsunginternet",
	"vivaldi",
	/*
	 * clients of files, shares, feeds and remote sessions: they connect to
	 * the host in the URI (smb:// also sends the person's NTLM hash)
	 */
	"afp", "cifs", "dav", "davs", "ed2k", "feed", "file", "ftp", "ftps",
	"git", "gopher", "irc", "ircs", "ldap", "ldaps", "magnet", "mms", "news",
	"nfs", "nntp", "rdp", "rlogin", "rtsp", "sftp", "smb", "snews", "spice",
	"ssh", "svn", "telnet", "tn3270", "vnc", "webcal", "webdav",
	/* calls, messages and meetings: they call, send or join */
	"callto", "im", "imessage", "mailto", "message", "msteams", "sip", "sips",
	"sms", "smsto", "tel", "wbx", "webex", "whatsapp", "xmpp",
	/* stores and installers, launchers, repository clients */
	"appstream", "apt", "github-mac", "github-windows", "intent", "jnlp",
	"market", "snap", "sourcetree", "steam", "x-github-client",
	/* the operating system: shell, search, settings, automation, help */
	"app-prefs", "content", "ghelp", "hcp", "help", "its", "prefs", "search",
	"shell", "shortcuts", "workflow", "x-man-page", "x-web-search",
	NULL
};

/* Scheme prefixes of such families, any case. */
static const char *const uri_system_prefixes[] = {
	/* Windows: settings, Office, Store, installer, search */
	"ms-", "microsoft-", "search-ms", "windows",
	/* browsers and their internal pages */
	"chrome", "googlechrome", "edge-", "firefox", "moz-", "opera-",
	"safari-", "x-safari", "yandexbrowser",
	/*
	 * Apple: App Store, iTunes, TestFlight (itms, itmss, itms-appss, ...),
	 * Mac App Store, FaceTime, system handlers
	 */
	"itms", "macappstore", "facetime", "x-apple", "apple-",
	/* Android */
	"android-",
	/* calls, meetings, remote control (zoommtg, zoomus, skype, lync15, ...) */
	"lync", "skype", "teamviewer", "zoom",
	NULL
};

/* Scheme suffixes of such handlers (browser extensions). */
static const char *const uri_system_suffixes[] = {"-extension", NULL};

/*
 * Reverse domain names of the makers of operating systems and browsers
 * (.microsoft, .apple, .google, .android are their own top-level domains;
 * windows.* is refused above by prefix), where Windows'
 * "microsoft.windows.camera:" and Apple's and Google's system apps live.  A
 * scheme equal to one or below it ("com.apple.x") is theirs, not a
 * client's; their own clients use https or loopback.  Matched on whole
 * labels: com.googleusercontent.apps.* (Google's iOS client ids) is not
 * below com.google.
 */
static const char *const uri_vendor_namespaces[] = {
	"microsoft", "com.microsoft",
	"apple", "com.apple",
	"google", "android", "com.google", "com.android",
	"mozilla", "org.mozilla",
	NULL
};

/*
 * Authorization response parameters (RFC 6749 sections 4.1.2 and 4.1.2.1,
 * RFC 9207): a redirect URI whose query names one would make the response
 * carry it twice, and a client that reads the first would read the planted
 * one.
 */
static const char *const uri_response_params[] = {
	"code", "state", "iss", "error", "error_description", "error_uri", NULL
};

/* Shortest one-word private-use scheme ("c:" is a Windows drive). */
#define URI_APP_SCHEME_MIN 3

/* Whether c is an ASCII letter. */
static bool
uri_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Whether c is an ASCII digit. */
static bool
uri_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Whether c is a hex digit. */
static bool
uri_hex(unsigned char c)
{
	return uri_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/*
 * Whether c may appear in a URI at all: RFC 3986 unreserved, gen-delims,
 * sub-delims and '%'.  Controls, space, non-ASCII, '\\', '"', '<', '>',
 * '^', '`', '{', '|', '}' may not.
 */
static bool
uri_char_ok(unsigned char c)
{
	if (uri_alpha(c) || uri_digit(c))
		return true;
	return c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

/* Whether the n bytes of s are URI characters with valid, non-NUL %-escapes. */
static bool
uri_lexically_ok(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!uri_char_ok(c))
			return false;
		if (c == '%')
		{
			if (n - i < 3 || !uri_hex((unsigned char) s[i + 1]) ||
				!uri_hex((unsigned char) s[i + 2]))
				return false;
			if (s[i + 1] == '0' && s[i + 2] == '0')
				return false;
			i += 2;
		}
	}
	return true;
}

/* Whether the n bytes of s contain c. */
static bool
uri_has(const char *s, size_t n, char c)
{
	return n > 0 && memchr(s, c, n) != NULL;
}

/* Parse the scheme of s into p; the offset just past ':' or 0 if none. */
static size_t
uri_parse_scheme(const char *s, size_t n, uri_parts *p)
{
	size_t		i;

	if (n == 0 || !uri_alpha((unsigned char) s[0]))
		return 0;
	for (i = 1; i < n && i <= URI_SCHEME_MAX; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == ':')
		{
			p->scheme = s;
			p->scheme_len = i;
			return i + 1;
		}
		if (!uri_alpha(c) && !uri_digit(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* Whether the n bytes of port are 1 to 5 digits of a value 1..65535, no leading zero. */
static bool
uri_port_ok(const char *port, size_t n)
{
	unsigned long v = 0;
	size_t		i;

	if (n == 0 || n > 5 || port[0] == '0')
		return false;
	for (i = 0; i < n; i++)
	{
		if (!uri_digit((unsigned char) port[i]))
			return false;
		v = v * 10 + (unsigned long) (port[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Whether the n bytes of s between brackets are an IPv6 address (no zone, no IPvFuture). */
static bool
uri_ip6_ok(const char *s, size_t n)
{
	char		buf[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	size_t		i;

	if (n == 0 || n >= sizeof(buf))
		return false;
	for (i = 0; i < n; i++)
	{
		if (!uri_hex((unsigned char) s[i]) && s[i] != ':' && s[i] != '.')
			return false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* Parse the authority a (n bytes) into p; false if malformed. */
static bool
uri_parse_authority(const char *a, size_t n, uri_parts *p)
{
	const char *at = NULL;
	const char *hp;
	size_t		hn;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (a[i] == '@')
			at = a + i;
	}
	p->has_userinfo = (at != NULL);
	hp = at ? at + 1 : a;
	hn = n - (size_t) (hp - a);
	if (hn > 0 && hp[0] == '[')
	{
		const char *close = memchr(hp, ']', hn);

		if (close == NULL || !uri_ip6_ok(hp + 1, (size_t) (close - hp - 1)))
			return false;
		p->host = hp;
		p->host_len = (size_t) (close - hp) + 1;
		p->host_ip6 = true;
	}
	else
	{
		const char *colon = memchr(hp, ':', hn);

		p->host = hp;
		p->host_len = colon ? (size_t) (colon - hp) : hn;
		if (uri_has(hp, p->host_len, '[') || uri_has(hp, p->host_len, ']'))
			return false;
	}
	if (p->host_len < hn)
	{
		if (hp[p->host_len] != ':')
			return false;
		p->port = hp + p->host_len + 1;
		p->port_len = hn - p->host_len - 1;
		if (!uri_port_ok(p->port, p->port_len))
			return false;
	}
	return true;
}

/*
 * Split the NUL-terminated s into p.  False if it is longer than
 * URI_MAX_LEN, has no scheme (relative), or is malformed.
 */
static bool
uri_parse(const char *s, uri_parts *p)
{
	size_t		n;
	size_t		i;
	size_t		end;

	memset(p, 0, sizeof(*p));
	if (s == NULL)
		return false;
	n = strnlen(s, URI_MAX_LEN + 1);
	if (n > URI_MAX_LEN || !uri_lexically_ok(s, n))
		return false;
	p->has_wildcard = uri_has(s, n, '*');
	i = uri_parse_scheme(s, n, p);
	if (i == 0)
		return false;
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/')
	{
		i += 2;
		end = i + strcspn(s + i, "/?#");
		p->has_authority = true;
		if (!uri_parse_authority(s + i, end - i, p))
			return false;
		i = end;
	}
	p->path = s + i;
	p->path_len = strcspn(s + i, "?#");
	i += p->path_len;
	if (s[i] == '?')
	{
		p->query = s + i + 1;
		p->query_len = strcspn(s + i + 1, "#");
		i += 1 + p->query_len;
	}
	p->has_fragment = (s[i] == '#');
	/* brackets are only allowed around an IP literal host */
	if (uri_has(p->path, p->path_len, '[') || uri_has(p->path, p->path_len, ']') ||
		(p->query && (uri_has(p->query, p->query_len, '[') ||
					  uri_has(p->query, p->query_len, ']'))))
		return false;
	return true;
}

/* Whether p's scheme equals lowercase name, case-insensitively. */
static bool
uri_scheme_is(const uri_parts *p, const char *name)
{
	return p->scheme_len == strlen(name) &&
		strncasecmp(p->scheme, name, p->scheme_len) == 0;
}

/* Whether p's scheme is http or https. */
static bool
uri_is_web(const uri_parts *p)
{
	return uri_scheme_is(p, "http") || uri_scheme_is(p, "https");
}

/* Whether p's host is a DNS name or IPv4 address: non-empty [A-Za-z0-9.-], no '%'. */
static bool
uri_host_is_name(const uri_parts *p)
{
	size_t		i;

	if (p->host_ip6)
		return true;
	if (p->host_len == 0)
		return false;
	for (i = 0; i < p->host_len; i++)
	{
		unsigned char c = (unsigned char) p->host[i];

		if (!uri_alpha(c) && !uri_digit(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* Whether p's host is localhost, 127.0.0.1 or [::1] (case-insensitive). */
static bool
uri_host_is_loopback(const uri_parts *p)
{
	static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]", NULL};
	int			i;

	for (i = 0; hosts[i] != NULL; i++)
	{
		if (p->host_len == strlen(hosts[i]) &&
			strncasecmp(p->host, hosts[i], p->host_len) == 0)
			return true;
	}
	return false;
}

/* Whether p is http on a loopback host with no user info. */
static bool
uri_parts_loopback(const uri_parts *p)
{
	return uri_scheme_is(p, "http") && p->has_authority && !p->has_userinfo &&
		uri_host_is_loopback(p);
}

/* Whether p's scheme begins (at_end: ends) with lowercase s, in any case. */
static bool
uri_scheme_affix(const uri_parts *p, const char *s, bool at_end)
{
	size_t		n = strlen(s);

	return p->scheme_len >= n &&
		strncasecmp(p->scheme + (at_end ? p->scheme_len - n : 0), s, n) == 0;
}

/* Whether p's scheme is handled by the browser or the system (lists above). */
static bool
uri_is_system_scheme(const uri_parts *p)
{
	int			i;

	for (i = 0; uri_system_schemes[i] != NULL; i++)
	{
		if (uri_scheme_is(p, uri_system_schemes[i]))
			return true;
	}
	for (i = 0; uri_system_prefixes[i] != NULL; i++)
	{
		if (uri_scheme_affix(p, uri_system_prefixes[i], false))
			return true;
	}
	for (i = 0; uri_system_suffixes[i] != NULL; i++)
	{
		if (uri_scheme_affix(p, uri_system_suffixes[i], true))
			return true;
	}
	return false;
}

/* Whether p's scheme is a vendor's namespace or below it (list above). */
static bool
uri_is_vendor_scheme(const uri_parts *p)
{
	int			i;

	for (i = 0; uri_vendor_namespaces[i] != NULL; i++)
	{
		size_t		n = strlen(uri_vendor_namespaces[i]);

		if (uri_scheme_affix(p, uri_vendor_namespaces[i], false) &&
			(p->scheme_len == n || p->scheme[n] == '.'))
			return true;
	}
	return false;
}

/*
 * Whether the n bytes at s are a label of a domain name: 1 to 63 letters,
 * digits and '-', not beginning or ending with '-'.
 */
static bool
uri_label_ok(const char *s, size_t n)
{
	size_t		i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
	{
		if (!uri_alpha((unsigned char) s[i]) && !uri_digit((unsigned char) s[i]) &&
			s[i] != '-')
			return false;
	}
	return true;
}

/*
 * Whether p's scheme has the shape of an app's own (RFC 8252 section 7.1):
 * a reverse domain name of two labels or more ("com.example.app"), or one
 * label of URI_APP_SCHEME_MIN characters or more followed by an authority
 * with a host ("cursor://anysphere.cursor-mcp/...").
 */
static bool
uri_app_scheme_ok(const uri_parts *p)
{
	const char *s = p->scheme;
	const char *end = s + p->scheme_len;
	int			labels = 0;

	while (s <= end)
	{
		const char *dot = memchr(s, '.', (size_t) (end - s));
		size_t		n = dot ? (size_t) (dot - s) : (size_t) (end - s);

		if (!uri_label_ok(s, n))
			return false;
		labels++;
		s += n + 1;
	}
	if (labels > 1)
		return true;
	return p->scheme_len >= URI_APP_SCHEME_MIN && p->has_authority &&
		p->host_len > 0 && uri_host_is_name(p);
}

/* Whether the n bytes at s, %-decoded, are name (lowercase) in any case. */
static bool
uri_decoded_is(const char *s, size_t n, const char *name)
{
	size_t		i;

	for (i = 0; i < n; name++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '%' && n - i >= 3)
		{
			char		hex[3] = {s[i + 1], s[i + 2], '\0'};

			c = (unsigned char) strtoul(hex, NULL, 16);
			i += 3;
		}
		else
			i++;
		if (*name == '\0' || (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != *name)
			return false;
	}
	return *name == '\0';
}

/* The length of the query parameter at s, up to end or a separator. */
static size_t
uri_param_len(const char *s, const char *end)
{
	const char *c;

	for (c = s; c < end; c++)
	{
		if (*c == '&' || *c == ';')
			break;
	}
	return (size_t) (c - s);
}

/*
 * Whether p's query names an authorization response parameter.  Parameters
 * are separated by '&' and also by ';', as older parsers read them (HTML
 * 4, Python's parse_qs before 3.9.2, Go's before 1.17), so "?x=1;code=a"
 * names code for such a client.
 */
static bool
uri_query_names_response_param(const uri_parts *p)
{
	const char *s = p->query;
	const char *end;

	if (s == NULL)
		return false;
	end = s + p->query_len;
	while (s <= end)
	{
		size_t		n = uri_param_len(s, end);
		const char *eq = memchr(s, '=', n);
		size_t		name_len = eq ? (size_t) (eq - s) : n;
		int			i;

		for (i = 0; uri_response_params[i] != NULL; i++)
		{
			if (uri_decoded_is(s, name_len, uri_response_params[i]))
				return true;
		}
		s += n + 1;
	}
	return false;
}

/* The policy problem of a web (http/https) redirect URI, or NULL. */
static const char *
uri_web_problem(const uri_parts *p)
{
	if (!p->has_authority || p->host_len == 0)
		return "redirect URI has no host";
	if (!uri_host_is_name(p))
		return "redirect URI host is malformed";
	if (uri_scheme_is(p, "http") && !uri_host_is_loopback(p))
		return "http redirect URIs are only allowed for loopback hosts";
	return NULL;
}

/* The policy problem of a private-use (neither http nor https) redirect URI, or NULL. */
static const char *
uri_private_problem(const uri_parts *p)
{
	if (uri_is_system_scheme(p))
		return "redirect URI scheme is not allowed";
	if (uri_is_vendor_scheme(p))
		return "redirect URI scheme is in the namespace of an operating system or browser vendor";
	if (!uri_app_scheme_ok(p))
		return "a private-use redirect URI scheme must be a reverse domain name "
			"(com.example.app:/callback) or one word followed by a host (app://host/callback)";
	if (p->host_len == 0 && p->path_len == 0)
		return "redirect URI has nothing after the scheme";
	return NULL;
}

/* Whether uri may be registered as a redirect URI: NULL if so, else a short reason. */
const char *
uri_redirect_problem(const char *uri)
{
	uri_parts	p;

	if (uri == NULL || uri[0] == '\0')
		return "redirect URI is empty";
	if (strnlen(uri, URI_MAX_LEN + 1) > URI_MAX_LEN)
		return "redirect URI is too long";
	if (!uri_parse(uri, &p))
	{
		if (p.scheme == NULL && uri_lexically_ok(uri, strlen(uri)))
			return "redirect URI must be absolute";
		return "redirect URI is malformed";
	}
	if (p.has_fragment)
		return "redirect URI must not contain a fragment";
	if (p.has_wildcard)
		return "redirect URI must not contain wildcards";
	if (p.has_userinfo)
		return "redirect URI must not contain user information";
	if (uri_query_names_response_param(&p))
		return "redirect URI query must not name code, state, iss, error, error_description or error_uri";
	if (uri_is_web(&p))
		return uri_web_problem(&p);
	return uri_private_problem(&p);
}

/*
 * Whether uri may be used by a client that takes any loopback redirect URI
 * (RFC 8252 section 7.3 without a registered path): NULL if so, else why.
 */
const char *
uri_any_loopback_problem(const char *uri)
{
	const char *problem = uri_redirect_problem(uri);
	uri_parts	p;

	if (problem != NULL)
		return problem;
	if (!uri_parse(uri, &p) || !uri_parts_loopback(&p))
		return "this client's redirect URI must be http on localhost, 127.0.0.1 or [::1]";
	if (p.query != NULL)
		return "this client's redirect URI must not have a query";
	return NULL;
}

/*
 * Why uri may not be an informational URL of a client (client_uri,
 * logo_uri, tos_uri, policy_uri), or NULL: a phrase that follows its name.
 */
const char *
uri_info_problem(const char *uri, bool https_only)
{
	uri_parts	p;

	if (uri == NULL || strnlen(uri, URI_MAX_LEN + 1) > URI_MAX_LEN)
		return "is too long";
	if (strncasecmp(uri, "https://", 8) != 0 &&
		(https_only || strncasecmp(uri, "http://", 7) != 0))
		return https_only ? "must be an https URL" : "must be an http or https URL";
	if (!uri_lexically_ok(uri, strlen(uri)))
		return "contains characters not allowed in a URL";
	if (!uri_parse(uri, &p))
		return "is malformed";
	if (p.has_userinfo)
		return "must not contain user information";
	if (p.host_len == 0 || !uri_host_is_name(&p))
		return "has no host";
	return NULL;
}

/* Whether the n bytes at s are a number as resolvers read one: digits, or 0x and hex digits. */
static bool
uri_numeric_label(const char *s, size_t n)
{
	size_t		i = 0;
	bool		hex = n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

	if (n == 0)
		return false;
	if (hex)
		i = 2;
	for (; i < n; i++)
	{
		if (hex ? !uri_hex((unsigned char) s[i]) : !uri_digit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/*
 * Whether p's host is an IP address: an IPv6 literal, or a name whose last
 * label (before one trailing dot) is numeric, which resolvers read as an
 * IPv4 address in one of its many forms.
 */
static bool
uri_host_is_ip(const uri_parts *p)
{
	size_t		n = p->host_len;
	const char *label;

	if (p->host_ip6)
		return true;
	if (n > 0 && p->host[n - 1] == '.')
		n--;
	label = p->host + n;
	while (label > p->host && label[-1] != '.')
		label--;
	return uri_numeric_label(label, (size_t) (p->host + n - label));
}

/* Whether p's path has a "." or ".." segment, %-encoded or not. */
static bool
uri_has_dot_segment(const uri_parts *p)
{
	const char *s = p->path;
	const char *end = p->path + p->path_len;

	while (s < end)
	{
		const char *slash = memchr(s, '/', (size_t) (end - s));
		size_t		n = slash ? (size_t) (slash - s) : (size_t) (end - s);

		if (uri_decoded_is(s, n, ".") || uri_decoded_is(s, n, ".."))
			return true;
		s += n + 1;
	}
	return false;
}

/* Why the server may not fetch url, or NULL. */
const char *
uri_fetch_problem(const char *url, bool refuse_ip_literal)
{
	uri_parts	p;

	if (url == NULL || strnlen(url, URI_MAX_LEN + 1) > URI_MAX_LEN)
		return "is too long";
	if (!uri_parse(url, &p))
		return "is malformed";
	if (!uri_scheme_is(&p, "https"))
		return "must be an https URL";
	if (!p.has_authority || p.host_len == 0 || !uri_host_is_name(&p))
		return "has no host";
	if (p.has_userinfo)
		return "must not contain user information";
	if (p.has_fragment)
		return "must not contain a fragment";
	if (p.path_len <= 1)
		return "must have a path";
	if (uri_has_dot_segment(&p))
		return "must not have . or .. path segments";
	if (refuse_ip_literal && uri_host_is_ip(&p))
		return "must name its host, not an IP address";
	return NULL;
}

/* ---- host lists (an operator's denied hosts) ---- */

#define URI_DNS_NAME_MAX 253
#define URI_DNS_LABEL_MAX 63

/* Whether c is a blank around a list entry. */
static bool
uri_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* n without one trailing dot of the name at s. */
static size_t
uri_without_root_dot(const char *s, size_t n)
{
	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/*
 * The next entry of a comma-separated list at *list (NULL once past the
 * last), without its blanks, into *entry and *n; false at the end.
 */
static bool
uri_list_next(const char **list, const char **entry, size_t *n)
{
	const char *s = *list;
	const char *end;

	if (s == NULL)
		return false;
	end = s + strcspn(s, ",");
	*list = *end == ',' ? end + 1 : NULL;
	while (s < end && uri_blank(*s))
		s++;
	while (end > s && uri_blank(end[-1]))
		end--;
	*entry = s;
	*n = (size_t) (end - s);
	return true;
}

/* Whether the n bytes at s are a host name (no trailing dot): labels of letters, digits, '-'. */
static bool
uri_dns_name_ok(const char *s, size_t n)
{
	size_t		label = 0;
	size_t		i;

	if (n == 0 || n > URI_DNS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '.')
		{
			if (label == 0)
				return false;
			label = 0;
		}
		else if ((!uri_alpha(c) && !uri_digit(c) && c != '-') ||
				 ++label > URI_DNS_LABEL_MAX)
			return false;
	}
	return label > 0;
}

/* Whether the entry (en bytes, blanks gone) is "name" or "*.name", name a host name. */
static bool
uri_host_entry_ok(const char *entry, size_t en)
{
	if (en >= 2 && entry[0] == '*' && entry[1] == '.')
	{
		entry += 2;
		en -= 2;
	}
	return uri_dns_name_ok(entry, uri_without_root_dot(entry, en));
}

/* Whether host (hn bytes, no trailing dot) is the entry's host, or below a "*." entry's. */
static bool
uri_host_entry_matches(const char *host, size_t hn, const char *entry, size_t en)
{
	if (!uri_host_entry_ok(entry, en))
		return false;
	en = uri_without_root_dot(entry, en);
	if (entry[0] == '*')
	{
		/* ".name": a suffix after at least one label */
		entry++;
		en--;
		return hn > en && strncasecmp(host + hn - en, entry, en) == 0;
	}
	return hn == en && strncasecmp(host, entry, en) == 0;
}

/* Whether the host of url is in the list hosts. */
bool
uri_host_listed(const char *url, const char *hosts)
{
	uri_parts	p;
	const char *entry;
	size_t		en;
	size_t		hn;

	if (hosts == NULL || !uri_parse(url, &p) || !p.has_authority || p.host_len == 0)
		return false;
	hn = uri_without_root_dot(p.host, p.host_len);
	while (uri_list_next(&hosts, &entry, &en))
	{
		if (uri_host_entry_matches(p.host, hn, entry, en))
			return true;
	}
	return false;
}

/* Why hosts is not a list of host names, or NULL. */
const char *
uri_host_list_problem(const char *hosts)
{
	const char *entry;
	size_t		en;

	if (hosts == NULL || hosts[strspn(hosts, " \t\n\r")] == '\0')
		return NULL;
	while (uri_list_next(&hosts, &entry, &en))
	{
		if (en == 0)
			return "has an empty entry";
		if (!uri_host_entry_ok(entry, en))
			return "has an entry that is not a host name or *.name";
	}
	return NULL;
}

/* Whether uri is http on a loopback host (localhost, 127.0.0.1, [::1]). */
bool
uri_is_loopback(const char *uri)
{
	uri_parts	p;

	return uri_parse(uri, &p) && uri_parts_loopback(&p);
}

/* Whether uri has a private-use scheme the policy allows. */
bool
uri_is_private_scheme(const char *uri)
{
	uri_parts	p;

	return uri_parse(uri, &p) && !uri_is_web(&p) && uri_private_problem(&p) == NULL;
}

/* Whether the n bytes at a equal the m bytes at b. */
static bool
uri_part_eq(const char *a, size_t n, const char *b, size_t m)
{
	return n == m && (n == 0 || memcmp(a, b, n) == 0);
}

/*
 * Whether presented matches registered: both allowed by the policy, and
 * byte-exact or loopback http URIs differing only in port (RFC 8252
 * section 7.3).
 */
bool
uri_redirect_matches(const char *registered, const char *presented)
{
	uri_parts	r,
				q;

	if (registered == NULL || presented == NULL)
		return false;
	/* one registered before the policy refused its kind matches nothing */
	if (uri_redirect_problem(registered) != NULL ||
		uri_redirect_problem(presented) != NULL)
		return false;
	if (strcmp(registered, presented) == 0)
		return true;
	if (!uri_parse(registered, &r) || !uri_parse(presented, &q) ||
		!uri_parts_loopback(&r) || !uri_parts_loopback(&q))
		return false;
	if (!uri_part_eq(r.scheme, r.scheme_len, q.scheme, q.scheme_len) ||
		!uri_part_eq(r.host, r.host_len, q.host, q.host_len) ||
		!uri_part_eq(r.path, r.path_len, q.path, q.path_len))
		return false;
	if ((r.query == NULL) != (q.query == NULL))
		return false;
	return r.query == NULL ||
		uri_part_eq(r.query, r.query_len, q.query, q.query_len);
}

/* A bounded string builder over a caller buffer. */
typedef struct uri_buf
{
	char	   *out;
	size_t		size;
	size_t		len;
	bool		overflow;
} uri_buf;

/* Append n bytes of s to b, lowercased if lower. */
static void
uri_buf_put(uri_buf *b, const char *s, size_t n, bool lower)
{
	size_t		i;

	if (b->overflow || b->size - b->len <= n)
	{
		b->overflow = true;
		return;
	}
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (lower && c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		b->out[b->len++] = c;
	}
	b->out[b->len] = '\0';
}

/* Start a builder on out (outsz bytes); false if out is unusable. */
static bool
uri_buf_init(uri_buf *b, char *out, size_t outsz)
{
	b->out = out;
	b->size = outsz;
	b->len = 0;
	b->overflow = (out == NULL || outsz == 0);
	if (!b->overflow)
		out[0] = '\0';
	return !b->overflow;
}

/* Finish b: true if everything fit; else out is emptied. */
static bool
uri_buf_done(uri_buf *b)
{
	if (b->overflow && b->out != NULL && b->size > 0)
		b->out[0] = '\0';
	return !b->overflow;
}

/* Whether p's port is the default port of its (web) scheme. */
static bool
uri_port_is_default(const uri_parts *p)
{
	if (p->port == NULL)
		return true;
	if (uri_scheme_is(p, "https"))
		return uri_part_eq(p->port, p->port_len, "443", 3);
	return uri_part_eq(p->port, p->port_len, "80", 2);
}

/*
 * Canonical form of a resource indicator: lowercase scheme and host,
 * default port and one trailing '/' of the path dropped (not one that
 * follows another '/', so that the canonical form is canonical).  Refuses a URI
 * that is not absolute http(s) with a host, or has a fragment or user info.
 */
bool
uri_canonical_resource(const char *in, char *out, size_t outsz)
{
	uri_parts	p;
	uri_buf		b;
	size_t		plen;

	if (!uri_buf_init(&b, out, outsz))
		return false;
	if (!uri_parse(in, &p) || !uri_is_web(&p) || !p.has_authority ||
		p.has_fragment || p.has_userinfo || !uri_host_is_name(&p))
		return false;
	uri_buf_put(&b, p.scheme, p.scheme_len, true);
	uri_buf_put(&b, "://", 3, false);
	uri_buf_put(&b, p.host, p.host_len, true);
	if (!uri_port_is_default(&p))
	{
		uri_buf_put(&b, ":", 1, false);
		uri_buf_put(&b, p.port, p.port_len, false);
	}
	/* drop one trailing '/', but not from "//" (keeps this idempotent) */
	plen = p.path_len;
	if (plen > 0 && p.path[plen - 1] == '/' &&
		(plen == 1 || p.path[plen - 2] != '/'))
		plen--;
	uri_buf_put(&b, p.path, plen, false);
	if (p.query != NULL)
	{
		uri_buf_put(&b, "?", 1, false);
		uri_buf_put(&b, p.query, p.query_len, false);
	}
	return uri_buf_done(&b);
}

/*
 * The host (and port, if any) of an absolute URI into out, lowercased, for
 * the consent page; for private-use schemes the scheme and ':' ("cursor:").
 */
bool
uri_display_host(const char *uri, char *out, size_t outsz)
{
	uri_parts	p;
	uri_buf		b;

	if (!uri_buf_init(&b, out, outsz))
		return false;
	if (!uri_parse(uri, &p))
		return false;
	if (!uri_is_web(&p))
	{
		uri_buf_put(&b, p.scheme, p.scheme_len, true);
		uri_buf_put(&b, ":", 1, false);
		return uri_buf_done(&b);
	}
	if (!p.has_authority || !uri_host_is_name(&p))
		return false;
	uri_buf_put(&b, p.host, p.host_len, true);
	if (p.port != NULL)
	{
		uri_buf_put(&b, ":", 1, false);
		uri_buf_put(&b, p.port, p.port_len, false);
	}
	return uri_buf_done(&b);
}

/*
 * Append "?" (or "&" if uri has a query already; nothing if it ends in '?'
 * or '&') then query to uri, into out.  False if it does not fit or uri has
 * a fragment.
 */
bool
uri_append_query(const char *uri, const char *query, char *out, size_t outsz)
{
	uri_buf		b;
	size_t		n;
	const char *sep = "?";

	if (!uri_buf_init(&b, out, outsz) || uri == NULL || query == NULL)
		return false;
	if (strchr(uri, '#') != NULL)
		return false;
	n = strlen(uri);
	if (strchr(uri, '?') != NULL)
		sep = (uri[n - 1] == '?' || uri[n - 1] == '&') ? "" : "&";
	uri_buf_put(&b, uri, n, false);
	uri_buf_put(&b, sep, strlen(sep), false);
	uri_buf_put(&b, query, strlen(query), false);
	return uri_buf_done(&b);
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
