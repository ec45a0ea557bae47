/*
 * config.c
 *		Configuration: defaults, then "key = value" lines of --config FILE,
 *		then command-line flags (--key value or --key=value).
 *
 * A bad configuration prints a clear message on stderr and exits 2 before
 * the server listens.
 */
#include "shim.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

shim_config shim_conf;

typedef enum conf_source
{
	SRC_FILE,
	SRC_FLAG
} conf_source;

/* Keys, alphabetical. */
static const char *const usage_text =
"Usage: mcp-oauth-server [--config FILE] [--key value ...]\n"
"\n"
"The HTTP server of mcp_oauth: OAuth 2.1 endpoints backed by SQL functions of\n"
"the mcp_oauth extension, login and consent pages, and the /mcp gateway.\n"
"\n"
"Options (also as \"key = value\" lines in the config file; flags win):\n"
"  --allowed-origins LIST  comma-separated origins (scheme://host[:port]) whose\n"
"                          browser requests /mcp accepts besides the issuer's own\n"
"                          (default: none; a request with another Origin gets 403)\n"
"  --config FILE           read settings from FILE\n"
"  --database CONNINFO     libpq connection string (default: libpq defaults, PG* env)\n"
"  --db-connections N      database connections per thread (default 8; the total,\n"
"                          threads x N, must fit the database's max_connections)\n"
"  --db-queue N            waiting requests per thread before 503 (default 256)\n"
"  --issuer URL            public base URL, byte-identical to mcp_oauth.issuer\n"
"                          (default http://127.0.0.1:<port>)\n"
"  --listen HOST:PORT      address to listen on (default 127.0.0.1:8080)\n"
"  --log-level LEVEL       error, warn, info or debug (default info)\n"
"  --max-body BYTES        request body limit (default 65536; k/m suffixes)\n"
"  --mcp-path PATH         path of the MCP gateway (default /mcp; may repeat)\n"
"  --metadata-cache-ms MS  serve discovery metadata and JWKS from a per-thread copy\n"
"                          this long (default 5000; 0 = off; s suffix)\n"
"  --request-timeout MS    database time limit per request (default 10000; s suffix)\n"
"  --required-scopes LIST  scopes /mcp requires, space-separated (default mcp:tools)\n"
"  --shutdown-timeout MS   drain wait on SIGTERM (default 10000; s suffix)\n"
"  --threads N             event-loop threads (default: number of cores)\n"
"  --tls-cert FILE         certificate chain (PEM); with --tls-key enables HTTPS\n"
"  --tls-key FILE          private key (PEM)\n"
"  --trusted-proxies LIST  comma-separated CIDRs or addresses of reverse proxies\n"
"                          whose X-Forwarded-For names the client (default: none)\n"
"  --upstream URL          upstream MCP server the gateway forwards to (https://:\n"
"                          certificate checked against the system trust store,\n"
"                          or SSL_CERT_FILE)\n"
"  --fetch-allow-cidrs LIST  comma-separated CIDRs the outbound fetcher may reach\n"
"                          although they are loopback, private, link-local, ...\n"
"                          (default: none)\n"
"  --fetch-ca-file FILE    a CA (PEM) the fetcher trusts besides the system store\n"
"  --fetch-connect-timeout MS  fetch connect timeout (default 2000; s suffix)\n"
"  --fetch-max-concurrent N  fetches at once per thread (default 16)\n"
"  --fetch-max-lifetime S  longest freshness of a fetched document (default 86400)\n"
"  --fetch-max-per-host N  of those, to one host (default 2)\n"
"  --fetch-min-lifetime S  shortest freshness of a fetched document (default 300)\n"
"  --fetch-timeout MS      whole-fetch timeout (default 5000; s suffix)\n"
"  --help                  show this help\n"
"\n"
"Exit status: 0 after a clean shutdown (SIGTERM, SIGINT), 1 on a runtime\n"
"failure, 2 on a bad configuration.\n";

static bool mcp_paths_from_flags;

static char *trim(char *s);

/* Print a configuration error and exit 2. */
static void
config_fail(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));

static void
config_fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "mcp-oauth-server: configuration error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* strdup or die. */
static char *
xstrdup(const char *s)
{
	char	   *p = strdup(s);

	if (p == NULL)
	{
		fprintf(stderr, "mcp-oauth-server: out of memory\n");
		exit(1);
	}
	return p;
}

/* Parse a positive integer in [min, max] with an optional k/m (bytes) or s/ms (time) suffix. */
static long
parse_number(const char *key, const char *value, long min, long max, bool bytes)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value)
		config_fail("%s: \"%s\" is not a number", key, value);
	if (bytes && (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0))
		v *= 1024, end = "";
	else if (bytes && (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0))
		v *= 1024 * 1024, end = "";
	else if (!bytes && strcmp(end, "s") == 0)
		v *= 1000, end = "";
	else if (!bytes && strcmp(end, "ms") == 0)
		end = "";
	if (*end != '\0')
		config_fail("%s: \"%s\" has an unknown suffix", key, value);
	if (v < min || v > max)
		config_fail("%s: %ld is out of range [%ld, %ld]", key, v, min, max);
	return v;
}

/* Parse "host:port", "[v6]:port", ":port" or "port". */
static void
parse_listen(const char *value)
{
	const char *colon;
	char	   *host;

	if (value[0] == '[')
	{
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':')
			config_fail("listen: \"%s\" is not [ADDRESS]:PORT", value);
		host = strndup(value + 1, close - value - 1);
		colon = close + 1;
	}
	else if ((colon = strrchr(value, ':')) != NULL)
		host = strndup(value, colon - value);
	else
	{
		host = strdup("127.0.0.1");
		colon = value - 1;
	}
	if (host == NULL)
		config_fail("out of memory");
	if (host[0] == '\0')
	{
		free(host);
		host = xstrdup("0.0.0.0");
	}
	free(shim_conf.listen_host);
	shim_conf.listen_host = host;
	shim_conf.listen_port = (int) parse_number("listen port", colon + 1, 1, 65535, false);
}

/* Parse a log level name. */
static int
parse_level(const char *value)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	int			i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(value, names[i]) == 0)
			return i;
	if (strcasecmp(value, "warning") == 0)
		return LOG_LEVEL_WARN;
	config_fail("log-level: \"%s\" is not error, warn, info or debug", value);
}

/* Add an MCP path (flags replace the paths of the config file). */
static void
add_mcp_path(const char *value, conf_source src)
{
	if (src == SRC_FLAG && !mcp_paths_from_flags)
	{
		shim_conf.n_mcp_paths = 0;
		mcp_paths_from_flags = true;
	}
	if (shim_conf.n_mcp_paths >= SHIM_MAX_MCP_PATHS)
		config_fail("mcp-path: more than %d paths", SHIM_MAX_MCP_PATHS);
	shim_conf.mcp_paths[shim_conf.n_mcp_paths++] = xstrdup(value);
}

/* Replace a string setting. */
static void
set_string(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

/* Parse one "ADDRESS[/PREFIX]" (IPv4 or IPv6) into out; false if invalid. */
static bool
parse_cidr(const char *text, shim_cidr *out)
{
	netaddr_cidr c;

	if (!netaddr_cidr_parse(text, &c))
		return false;
	out->family = c.net.family;
	memcpy(out->addr, c.net.bytes, sizeof(out->addr));
	out->prefix = c.prefix;
	return true;
}

/* How many items a comma-separated list has at most. */
static int
list_length(const char *value)
{
	int			n = 1;

	for (; *value; value++)
		n += (*value == ',');
	return n;
}

/* Call each() with every item of a comma-separated list, trimmed, but empty ones. */
static void
list_each(const char *value, void (*each) (char *item))
{
	char	   *copy = xstrdup(value);
	char	   *save = NULL;
	char	   *item;

	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save))
	{
		item = trim(item);
		if (*item != '\0')
			each(item);
	}
	free(copy);
}

/* Add one "ADDRESS[/PREFIX]" to the trusted proxies. */
static void
add_trusted_proxy(char *item)
{
	if (!parse_cidr(item, &shim_conf.trusted_proxies[shim_conf.n_trusted_proxies]))
		config_fail("trusted-proxies: \"%s\" is not an IPv4 or IPv6 address or CIDR", item);
	shim_conf.n_trusted_proxies++;
}

/* Replace the trusted proxy list with the comma-separated CIDRs of value. */
static void
parse_trusted_proxies(const char *value)
{
	free(shim_conf.trusted_proxies);
	shim_conf.trusted_proxies = calloc(list_length(value), sizeof(shim_cidr));
	shim_conf.n_trusted_proxies = 0;
	if (shim_conf.trusted_proxies == NULL)
		config_fail("out of memory");
	list_each(value, add_trusted_proxy);
}

/*
 * An origin ("https://Host:443") as browsers send it in Origin: scheme and
 * host lowercase, without the scheme's default port; malloc'd.  NULL when
 * it is not scheme://host[:port] with an http(s) scheme.
 */
static char *
normalize_origin(const char *text)
{
	size_t		len = strlen(text);
	size_t		auth;
	char	   *o;
	size_t		i;

	if (strncasecmp(text, "https://", 8) == 0)
		auth = 8;
	else if (strncasecmp(text, "http://", 7) == 0)
		auth = 7;
	else
		return NULL;
	if (len == auth || strcspn(text + auth, "/?#@\\\"' ,;") != len - auth)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char) text[i] <= 0x20 || (unsigned char) text[i] >= 0x7f)
			return NULL;
	o = xstrdup(text);
	for (i = 0; i < len; i++)
		o[i] = tolower((unsigned char) o[i]);
	if (auth == 8 && len > 12 && strcmp(o + len - 4, ":443") == 0)
		o[len - 4] = '\0';
	else if (auth == 7 && len > 10 && strcmp(o + len - 3, ":80") == 0)
		o[len - 3] = '\0';
	return o;
}

/* Add one origin to the allowed origins. */
static void
add_allowed_origin(char *item)
{
	char	   *o = normalize_origin(item);

	if (o == NULL)
		config_fail("allowed-origins: \"%s\" is not an origin like https://app.example.com[:port]", item);
	shim_conf.allowed_origins[shim_conf.n_allowed_origins++] = o;
}

/*
 * Replace the allowed origins with the comma-separated ones of value; slot
 * 0 is left for the issuer's origin (validate()).
 */
static void
parse_allowed_origins(const char *value)
{
	free(shim_conf.allowed_origins);
	shim_conf.allowed_origins = calloc(list_length(value) + 1, sizeof(char *));
	shim_conf.n_allowed_origins = 1;
	if (shim_conf.allowed_origins == NULL)
		config_fail("out of memory");
	list_each(value, add_allowed_origin);
}

/* Add one CIDR to the fetcher's allowed networks. */
static void
add_fetch_allow(char *item)
{
	fetch_settings *f = &shim_conf.fetch;

	if (!netaddr_cidr_parse(item, &f->allow[f->n_allow]))
		config_fail("fetch-allow-cidrs: \"%s\" is not an IPv4 or IPv6 address or CIDR", item);
	f->n_allow++;
}

/* Replace the fetcher's allowed networks with the comma-separated CIDRs of value. */
static void
parse_fetch_allow(const char *value)
{
	free(shim_conf.fetch.allow);
	shim_conf.fetch.allow = calloc(list_length(value), sizeof(netaddr_cidr));
	shim_conf.fetch.n_allow = 0;
	if (shim_conf.fetch.allow == NULL)
		config_fail("out of memory");
	list_each(value, add_fetch_allow);
}

/* Add one "host:port:address" entry to the fetcher's resolve hook. */
static void
add_fetch_resolve(char *item)
{
	fetch_settings *f = &shim_conf.fetch;

	f->resolve[f->n_resolve++] = xstrdup(item);
}

/*
 * The fetcher's resolve hook (fetch.h) from the environment variable
 * MCP_OAUTH_TEST_FETCH_RESOLVE ("host:port:address,..."), for tests, which
 * cannot change DNS; not a flag, since an operator can.  The addresses are
 * checked like any the resolver gives.
 */
static void
read_test_resolve(void)
{
	const char *value = getenv("MCP_OAUTH_TEST_FETCH_RESOLVE");

	if (value == NULL || *value == '\0')
		return;
	shim_conf.fetch.resolve = calloc(list_length(value), sizeof(char *));
	if (shim_conf.fetch.resolve == NULL)
		config_fail("out of memory");
	list_each(value, add_fetch_resolve);
	fprintf(stderr, "mcp-oauth-server: warning: MCP_OAUTH_TEST_FETCH_RESOLVE pins %d host names "
			"for the fetcher (a test hook)\n", shim_conf.fetch.n_resolve);
}

/* Every key of the command line and the config file, alphabetically. */
static const char *const setting_names[] = {
	"allowed-origins", "config", "database", "db-connections", "db-queue",
	"fetch-allow-cidrs", "fetch-ca-file", "fetch-connect-timeout", "fetch-max-concurrent",
	"fetch-max-lifetime", "fetch-max-per-host", "fetch-min-lifetime", "fetch-timeout",
	"issuer", "listen",
	"log-level", "max-body", "mcp-path", "metadata-cache-ms", "request-timeout",
	"required-scopes", "shutdown-timeout", "threads", "tls-cert", "tls-key", "trusted-proxies", "upstream", NULL
};

/* Is key a setting this server knows? */
static bool
known_setting(const char *key)
{
	int			i;

	for (i = 0; setting_names[i] != NULL; i++)
		if (strcmp(key, setting_names[i]) == 0)
			return true;
	return false;
}

/* A whole number of seconds (no suffix) in [0, 31 days]. */
static int
parse_seconds(const char *key, const char *value)
{
	if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value))
		config_fail("%s: \"%s\" is not a number of seconds", key, value);
	return (int) parse_number(key, value, 0, 31 * 86400, false);
}

/* Apply one --fetch-* setting. */
static void
apply_fetch(const char *key, const char *value)
{
	fetch_settings *f = &shim_conf.fetch;

	if (strcmp(key, "fetch-allow-cidrs") == 0)
		parse_fetch_allow(value);
	else if (strcmp(key, "fetch-ca-file") == 0)
		set_string(&f->ca_file, value);
	else if (strcmp(key, "fetch-connect-timeout") == 0)
		f->connect_timeout_ms = (int) parse_number(key, value, 100, 60000, false);
	else if (strcmp(key, "fetch-timeout") == 0)
		f->timeout_ms = (int) parse_number(key, value, 100, 120000, false);
	else if (strcmp(key, "fetch-max-concurrent") == 0)
		f->max_total = (int) parse_number(key, value, 1, 10000, false);
	else if (strcmp(key, "fetch-max-per-host") == 0)
		f->max_per_host = (int) parse_number(key, value, 1, 10000, false);
	else if (strcmp(key, "fetch-min-lifetime") == 0)
		f->min_lifetime_s = parse_seconds(key, value);
	else if (strcmp(key, "fetch-max-lifetime") == 0)
		f->max_lifetime_s = parse_seconds(key, value);
	else
		config_fail("unknown setting \"%s\" (see --help)", key);
}

/* Apply one setting. */
static void
apply(const char *key, const char *value, conf_source src)
{
	if (strcmp(key, "listen") == 0)
		parse_listen(value);
	else if (strcmp(key, "database") == 0)
		set_string(&shim_conf.database, value);
	else if (strcmp(key, "issuer") == 0)
		set_string(&shim_conf.issuer, value);
	else if (strcmp(key, "mcp-path") == 0)
		add_mcp_path(value, src);
	else if (strcmp(key, "upstream") == 0)
		set_string(&shim_conf.upstream, value);
	else if (strcmp(key, "required-scopes") == 0)
		set_string(&shim_conf.required_scopes, value);
	else if (strcmp(key, "tls-cert") == 0)
		set_string(&shim_conf.tls_cert, value);
	else if (strcmp(key, "tls-key") == 0)
		set_string(&shim_conf.tls_key, value);
	else if (strcmp(key, "threads") == 0)
		shim_conf.threads = (int) parse_number(key, value, 1, 256, false);
	else if (strcmp(key, "db-connections") == 0)
		shim_conf.db_connections = (int) parse_number(key, value, 1, 64, false);
	else if (strcmp(key, "db-queue") == 0)
		shim_conf.db_queue_max = (int) parse_number(key, value, 0, 100000, false);
	else if (strcmp(key, "max-body") == 0)
		shim_conf.max_body = (size_t) parse_number(key, value, 1024, 16 * 1024 * 1024, true);
	else if (strcmp(key, "request-timeout") == 0)
		shim_conf.request_timeout_ms = (int) parse_number(key, value, 100, 600000, false);
	else if (strcmp(key, "metadata-cache-ms") == 0)
		shim_conf.metadata_cache_ms = (int) parse_number(key, value, 0, 60000, false);
	else if (strcmp(key, "shutdown-timeout") == 0)
		shim_conf.shutdown_timeout_ms = (int) parse_number(key, value, 0, 600000, false);
	else if (strcmp(key, "log-level") == 0)
		shim_conf.log_level = parse_level(value);
	else if (strcmp(key, "trusted-proxies") == 0)
		parse_trusted_proxies(value);
	else if (strcmp(key, "allowed-origins") == 0)
		parse_allowed_origins(value);
	else if (strncmp(key, "fetch-", 6) == 0)
		apply_fetch(key, value);
	else
		config_fail("unknown setting \"%s\" (see --help)", key);
}

/* Trim spaces at both ends, in place. */
static char *
trim(char *s)
{
	char	   *end;

	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

/* Read "key = value" lines ('#' comments, blank lines allowed). */
static void
read_file(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;

	if (f == NULL)
		config_fail("could not open config file \"%s\": %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *eq,
				   *key,
				   *value;

		lineno++;
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL)
			config_fail("%s:%d: expected \"key = value\"", path, lineno);
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"')
		{
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if (strcmp(key, "config") == 0)
			config_fail("%s:%d: config files do not nest", path, lineno);
		apply(key, value, SRC_FILE);
	}
	fclose(f);
}

/* Set the defaults. */
static void
set_defaults(void)
{
	long		cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&shim_conf, 0, sizeof(shim_conf));
	shim_conf.listen_host = xstrdup("127.0.0.1");
	shim_conf.listen_port = 8080;
	shim_conf.database = xstrdup("");
	shim_conf.required_scopes = xstrdup("mcp:tools");
	shim_conf.threads = cores > 0 ? (int) (cores < 64 ? cores : 64) : 1;
	shim_conf.db_connections = 8;
	shim_conf.db_queue_max = 256;
	shim_conf.max_body = 64 * 1024;
	shim_conf.request_timeout_ms = 10000;
	shim_conf.metadata_cache_ms = 5000;
	shim_conf.shutdown_timeout_ms = 10000;
	shim_conf.log_level = LOG_LEVEL_INFO;
	shim_conf.fetch.connect_timeout_ms = 2000;
	shim_conf.fetch.timeout_ms = 5000;
	shim_conf.fetch.max_total = 16;
	shim_conf.fetch.max_per_host = 2;
	shim_conf.fetch.min_lifetime_s = 300;
	shim_conf.fetch.max_lifetime_s = 86400;
}

/* Walk argv: --config FILE first (when pass 0), then every other flag. */
static void
parse_args(int argc, char **argv, int pass)
{
	int			i;

	for (i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		char		key[64];
		const char *value;
		const char *eq;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		{
			fputs(usage_text, stdout);
			exit(0);
		}
		if (strncmp(arg, "--", 2) != 0)
			config_fail("unexpected argument \"%s\" (see --help)", arg);
		arg += 2;
		eq = strchr(arg, '=');
		if (eq != NULL)
		{
			snprintf(key, sizeof(key), "%.*s", (int) (eq - arg), arg);
			value = eq + 1;
		}
		else
		{
			snprintf(key, sizeof(key), "%s", arg);
			if (!known_setting(key))
				config_fail("unknown setting \"%s\" (see --help)", key);
			if (i + 1 >= argc)
				config_fail("--%s needs a value", key);
			value = argv[++i];
		}
		if (strcmp(key, "config") == 0)
		{
			if (pass == 0)
				read_file(value);
		}
		else if (pass == 1)
			apply(key, value, SRC_FLAG);
	}
}

/* Is host a loopback name or address? */
static bool
is_loopback(const char *host, size_t len)
{
	return (len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
		(len >= 4 && strncmp(host, "127.", 4) == 0) ||
		(len == 5 && strncmp(host, "[::1]", 5) == 0);
}

/* Length of the host in an authority ("[::1]:8080/x" -> 5, "a.b:80" -> 3). */
static size_t
host_length(const char *auth)
{
	if (auth[0] == '[')
	{
		const char *close = strchr(auth, ']');

		return close != NULL ? (size_t) (close - auth + 1) : strcspn(auth, "/");
	}
	return strcspn(auth, ":/");
}

/* Check the issuer and split it into origin and path. */
static void
check_issuer(void)
{
	const char *iss = shim_conf.issuer;
	const char *auth,
			   *path;
	size_t		len = strlen(iss);
	size_t		i;

	if (strncmp(iss, "https://", 8) == 0)
		auth = iss + 8;
	else if (strncmp(iss, "http://", 7) == 0)
		auth = iss + 7;
	else
		config_fail("issuer: \"%s\" must start with https:// (or http:// for loopback)", iss);
	for (i = 0; i < len; i++)
		if ((unsigned char) iss[i] <= 0x20 || (unsigned char) iss[i] >= 0x7f ||
			iss[i] == '"' || iss[i] == '\\')
			config_fail("issuer: must not contain spaces, quotes, backslashes or non-ASCII characters");
	if (strpbrk(iss, "?#") != NULL)
		config_fail("issuer: \"%s\" must not have a query or fragment (RFC 8414)", iss);
	if (iss[len - 1] == '/')
		config_fail("issuer: \"%s\" must not end with a slash", iss);
	path = strchr(auth, '/');
	if (path == auth || strchr(auth, '@') != NULL)
		config_fail("issuer: \"%s\" has no valid host", iss);
	if (path == NULL)
		path = iss + len;
	if (iss[4] == ':' && !is_loopback(auth, host_length(auth)))
		fprintf(stderr, "mcp-oauth-server: warning: issuer \"%s\" is plain http on a non-loopback host; OAuth 2.1 requires https\n", iss);
	shim_conf.issuer_origin = strndup(iss, path - iss);
	shim_conf.issuer_path = xstrdup(path);
}

/*
 * Whether an MCP path has only characters that can stand in a URL, a quoted
 * WWW-Authenticate parameter and a log line: visible ASCII without
 * ? # % " \ (the path is matched byte for byte, never decoded).
 */
static bool
path_chars_ok(const char *p)
{
	for (; *p; p++)
		if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f ||
			strchr("?#%\"\\", *p) != NULL)
			return false;
	return true;
}

/* Check the MCP paths and derive their resource URIs. */
static void
check_mcp_paths(void)
{
	int			i,
				j;

	if (shim_conf.n_mcp_paths == 0)
		shim_conf.mcp_paths[shim_conf.n_mcp_paths++] = xstrdup("/mcp");
	for (i = 0; i < shim_conf.n_mcp_paths; i++)
	{
		const char *p = shim_conf.mcp_paths[i];
		size_t		len = strlen(p);
		char	   *res;

		if (p[0] != '/' || len < 2 || p[len - 1] == '/' || !path_chars_ok(p) ||
			strstr(p, "/.") != NULL || strstr(p, "//") != NULL)
			config_fail("mcp-path: \"%s\" must be a path like /mcp (no trailing slash, query or dot segment)", p);
		if (strncmp(p, "/.well-known", 12) == 0)
			config_fail("mcp-path: \"%s\" must not be under /.well-known", p);
		for (j = 0; j < i; j++)
			if (strcmp(p, shim_conf.mcp_paths[j]) == 0)
				config_fail("mcp-path: \"%s\" given twice", p);
		res = malloc(strlen(shim_conf.issuer_origin) + len + 1);
		if (res == NULL)
			config_fail("out of memory");
		strcpy(res, shim_conf.issuer_origin);
		strcat(res, p);
		shim_conf.mcp_resources[i] = res;
	}
}

/* Check a PEM file is readable. */
static void
check_readable(const char *key, const char *path)
{
	if (access(path, R_OK) != 0)
		config_fail("%s: cannot read \"%s\": %s", key, path, strerror(errno));
}

/* Cross-field checks and derived values. */
static void
validate(void)
{
	if (shim_conf.issuer == NULL)
	{
		char		buf[64];

		snprintf(buf, sizeof(buf), "http://127.0.0.1:%d", shim_conf.listen_port);
		shim_conf.issuer = xstrdup(buf);
	}
	check_issuer();
	check_mcp_paths();
	if (shim_conf.allowed_origins == NULL)
		parse_allowed_origins("");
	shim_conf.allowed_origins[0] = normalize_origin(shim_conf.issuer_origin);
	if (shim_conf.allowed_origins[0] == NULL)
		config_fail("issuer: \"%s\" has no origin a browser could send", shim_conf.issuer);
	if ((shim_conf.tls_cert == NULL) != (shim_conf.tls_key == NULL))
		config_fail("tls-cert and tls-key must be given together");
	if (shim_conf.tls_cert != NULL)
	{
		check_readable("tls-cert", shim_conf.tls_cert);
		check_readable("tls-key", shim_conf.tls_key);
	}
	if (shim_conf.upstream != NULL && shim_conf.upstream[0] != '\0')
	{
		h2o_url_t	url;

		if (h2o_url_parse(shim_conf.upstream, SIZE_MAX, &url) != 0 ||
			(url.scheme != &H2O_URL_SCHEME_HTTP && url.scheme != &H2O_URL_SCHEME_HTTPS))
			config_fail("upstream: \"%s\" is not an http:// or https:// URL", shim_conf.upstream);
	}
	else
	{
		free(shim_conf.upstream);
		shim_conf.upstream = NULL;
	}
	if (shim_conf.fetch.ca_file != NULL)
		check_readable("fetch-ca-file", shim_conf.fetch.ca_file);
	if (shim_conf.fetch.min_lifetime_s > shim_conf.fetch.max_lifetime_s)
		config_fail("fetch-min-lifetime (%d) is above fetch-max-lifetime (%d)",
					shim_conf.fetch.min_lifetime_s, shim_conf.fetch.max_lifetime_s);
	if (shim_conf.fetch.max_per_host > shim_conf.fetch.max_total)
		shim_conf.fetch.max_per_host = shim_conf.fetch.max_total;
	if (strpbrk(shim_conf.required_scopes, "\"\\") != NULL)
		config_fail("required-scopes: must not contain quotes or backslashes");
}

/* Fill shim_conf from defaults, the config file and the flags. */
void
config_load(int argc, char **argv)
{
	set_defaults();
	parse_args(argc, argv, 0);
	parse_args(argc, argv, 1);
	read_test_resolve();
	validate();
}
