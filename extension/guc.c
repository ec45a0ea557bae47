/*
 * guc.c
 *		Module entry point and the mcp_oauth.* configuration parameters.
 *
 * Every parameter is PGC_SUSET: only a superuser (ALTER SYSTEM, ALTER
 * DATABASE ... SET, or SET in a superuser session) may change how tokens
 * are issued.
 */
#include "mcp_oauth.h"

#include "utils/guc.h"

#include "lib/uri.h"
#include "clients.h"
#include "fetched.h"
#include "pending.h"

PG_MODULE_MAGIC;

char	   *mo_issuer = NULL;
char	   *mo_resources = NULL;
int			mo_code_lifetime = 300;
int			mo_request_lifetime = 300;
int			mo_access_token_lifetime = 900;
int			mo_refresh_idle_lifetime = 30 * 86400;
int			mo_refresh_absolute_lifetime = 90 * 86400;
int			mo_refresh_grace_period = 30;
int			mo_refresh_reuse_window = 3 * 86400;
int			mo_session_lifetime = 12 * 3600;
int			mo_clock_leeway = 60;
int			mo_signing_alg = MO_ALG_ES256;
int			mo_registration = MO_REGISTRATION_OPEN;
int			mo_registration_rate_limit = 20;
int			mo_audit_retention = 90 * 86400;
int			mo_unused_client_ttl = 86400;
char	   *mo_registration_allowlist = NULL;
bool		mo_refuse_admin_consent = false;
bool		mo_durable_consent = false;
int			mo_token_cache_size = 10000;
int			mo_grant_cache_size = 10000;
int			mo_login_attempt_limit = 10;
int			mo_fetch_failure_ttl = 60;
int			mo_fetch_max_stale = 3600;
bool		mo_client_metadata_documents = true;
char	   *mo_client_metadata_denied_hosts = NULL;
int			mo_client_metadata_fetch_rate_limit = 30;

static const struct config_enum_entry signing_alg_options[] = {
	{"ES256", MO_ALG_ES256, false},
	{"EdDSA", MO_ALG_EDDSA, false},
	{NULL, 0, false}
};

static const struct config_enum_entry registration_options[] = {
	{"open", MO_REGISTRATION_OPEN, false},
	{"closed", MO_REGISTRATION_CLOSED, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/* Whether s is an absolute http(s) URL with no query or fragment. */
static bool
is_plain_http_url(const char *s)
{
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return false;
	if (strchr(s, '?') != NULL || strchr(s, '#') != NULL)
		return false;
	return strlen(s) < URI_MAX_LEN;
}

/* The issuer must be an http(s) URL without query or fragment (RFC 8414 section 2). */
static bool
check_issuer(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !is_plain_http_url(*newval))
	{
		GUC_check_errdetail("The issuer must be an absolute http or https URL without query or fragment.");
		return false;
	}
	return true;
}

/* Every listed resource must be an http(s) URL without fragment. */
static bool
check_resources(char **newval, void **extra, GucSource source)
{
	char		canonical[URI_MAX_LEN];
	char	   *copy;
	char	   *tok;
	char	   *save = NULL;
	bool		ok = true;
	int			n = 0;

	if (*newval == NULL)
		return false;
	copy = strdup(*newval);
	if (copy == NULL)
		return false;
	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
	{
		n++;
		if (!uri_canonical_resource(tok, canonical, sizeof(canonical)))
			ok = false;
	}
	free(copy);
	if (!ok || n == 0)
	{
		GUC_check_errdetail("mcp_oauth.resources must list absolute http or https URLs, separated by commas.");
		return false;
	}
	return true;
}

/* The denied hosts must be host names or *.name, comma-separated. */
static bool
check_denied_hosts(char **newval, void **extra, GucSource source)
{
	const char *problem = uri_host_list_problem(*newval);

	if (problem != NULL)
	{
		GUC_check_errdetail("mcp_oauth.client_metadata_denied_hosts %s: list host names or *.name, separated by commas.",
							problem);
		return false;
	}
	return true;
}

/*
 * The parameters of client metadata documents (cimd.c, cimd_policy.c):
 * like every other, a superuser's; ALTER SYSTEM and pg_reload_conf() reach
 * running sessions.
 */
static void
define_client_metadata(void)
{
	DefineCustomBoolVariable("mcp_oauth.client_metadata_documents",
							 "Accept clients whose client_id is the https URL of a client metadata document.",
							 "Off: such a client_id is refused at the authorization endpoint and the metadata says client_id_metadata_document_supported false; grants already issued to such clients keep working.",
							 &mo_client_metadata_documents, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("mcp_oauth.client_metadata_denied_hosts",
							   "Hosts whose client metadata documents are refused, comma-separated; \"*.example.com\" is every host below example.com.",
							   "A client_id on such a host is refused at the authorization endpoint, without a fetch.",
							   &mo_client_metadata_denied_hosts, "",
							   PGC_SUSET, 0, check_denied_hosts, NULL, NULL);
	DefineCustomIntVariable("mcp_oauth.client_metadata_fetch_rate_limit",
							"Fetches of client metadata documents per sliding hour per client address; 0 turns it off.",
							"Counted when the authorization endpoint asks for a fetch; a document whose stored copy can be used is never counted.  An IPv6 address counts by its /64, an IPv4-mapped one as its IPv4 address.  Addresses in mcp_oauth.registration_allowlist are exempt.",
							&mo_client_metadata_fetch_rate_limit, 30, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
}

/* Define one integer GUC counted in seconds. */
static void
define_seconds(const char *name, const char *desc, int *var, int boot, int min, int max)
{
	DefineCustomIntVariable(name, desc, NULL, var, boot, min, max,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
}

/* Module load: define the parameters and register cache callbacks. */
void
_PG_init(void)
{
	DefineCustomStringVariable("mcp_oauth.issuer",
							   "Issuer identifier of this authorization server, byte-exact.",
							   "Used as given in metadata, tokens and responses; never normalized.",
							   &mo_issuer, "http://127.0.0.1:8080",
							   PGC_SUSET, 0, check_issuer, NULL, NULL);
	DefineCustomStringVariable("mcp_oauth.resources",
							   "Protected resource URIs (RFC 8707) tokens may be issued for, comma-separated.",
							   "The first one is used when a client names none.",
							   &mo_resources, "http://127.0.0.1:8080/mcp",
							   PGC_SUSET, 0, check_resources, NULL, NULL);
	define_seconds("mcp_oauth.code_lifetime", "Lifetime of authorization codes.",
				   &mo_code_lifetime, 300, 10, 600);
	define_seconds("mcp_oauth.request_lifetime", "Lifetime of pending authorization requests awaiting consent.",
				   &mo_request_lifetime, 300, 1, 3600);
	define_seconds("mcp_oauth.access_token_lifetime", "Lifetime of access tokens.",
				   &mo_access_token_lifetime, 900, 30, 86400);
	define_seconds("mcp_oauth.refresh_idle_lifetime", "Refresh tokens expire after this long unused.",
				   &mo_refresh_idle_lifetime, 30 * 86400, 60, 365 * 86400);
	define_seconds("mcp_oauth.refresh_absolute_lifetime", "A grant's refresh tokens stop after this long in all.",
				   &mo_refresh_absolute_lifetime, 90 * 86400, 60, 3650 * 86400);
	define_seconds("mcp_oauth.refresh_grace_period", "A just-rotated refresh token may be retried for this long.",
				   &mo_refresh_grace_period, 30, 0, 300);
	define_seconds("mcp_oauth.refresh_reuse_window", "A rotated refresh token is remembered this long: its reuse revokes the grant.",
				   &mo_refresh_reuse_window, 3 * 86400, 60, 365 * 86400);
	define_seconds("mcp_oauth.session_lifetime", "Lifetime of login sessions of the consent pages.",
				   &mo_session_lifetime, 12 * 3600, 60, 30 * 86400);
	define_seconds("mcp_oauth.clock_leeway", "Clock skew tolerated on nbf and iat of access tokens.",
				   &mo_clock_leeway, 60, 0, 300);
	DefineCustomEnumVariable("mcp_oauth.signing_alg", "Signing algorithm of new keys.",
							 NULL, &mo_signing_alg, MO_ALG_ES256, signing_alg_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("mcp_oauth.registration", "Dynamic client registration policy.",
							 NULL, &mo_registration, MO_REGISTRATION_OPEN, registration_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mcp_oauth.registration_rate_limit",
							"Registrations per sliding hour per client address and per client identity; 0 turns it off.",
							"An IPv6 address counts by its /64, an IPv4-mapped one as its IPv4 address.  Addresses in mcp_oauth.registration_allowlist are exempt from the per-address count.",
							&mo_registration_rate_limit, 20, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("mcp_oauth.registration_allowlist",
							   "Client address ranges (CIDR, comma-separated) exempt from the per-address limits of registrations and of client metadata document fetches.",
							   NULL, &mo_registration_allowlist, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("mcp_oauth.refuse_admin_consent",
							 "Refuse consent given by admin accounts.",
							 NULL, &mo_refuse_admin_consent, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("mcp_oauth.durable_consent",
							 "Make every approval wait for its WAL flush.",
							 "Off: an approval that is the only write of its transaction commits as with synchronous_commit off; its code is of use only through a token exchange, whose durable commit flushes the approval first.",
							 &mo_durable_consent, false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mcp_oauth.token_cache_size",
							"Entries of the per-backend verified-token cache; 0 turns it off.",
							NULL, &mo_token_cache_size, 10000, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mcp_oauth.grant_cache_size",
							"Entries of the per-backend cache of grants known unrevoked (a first-seen JWT of a known grant needs no query); 0 turns it off.",
							NULL, &mo_grant_cache_size, 10000, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("mcp_oauth.login_attempt_limit",
							"Failed sign-ins allowed per sliding 15 minutes per username and per client address; 0 turns it off.",
							"An IPv6 address counts by its /64, an IPv4-mapped one as its IPv4 address.", &mo_login_attempt_limit, 10, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	define_seconds("mcp_oauth.audit_retention",
				   "Audit rows older than this are deleted by purge_expired(); 0 keeps them forever.",
				   &mo_audit_retention, 90 * 86400, 0, 3650 * 86400);
	define_seconds("mcp_oauth.unused_client_ttl",
				   "purge_expired() deletes a dynamically registered client never used for a token after this long.",
				   &mo_unused_client_ttl, 86400, 3600, 30 * 86400);
	define_seconds("mcp_oauth.fetch_failure_ttl",
				   "A failed fetch of a document (a client's metadata or keys) is remembered this long: no fetch of it meanwhile.",
				   &mo_fetch_failure_ttl, 60, 1, 86400);
	define_seconds("mcp_oauth.fetch_max_stale",
				   "After a transient fetch failure, the last valid copy of a document is served this long past its freshness.",
				   &mo_fetch_max_stale, 3600, 0, 7 * 86400);
	define_client_metadata();
	MarkGUCPrefixReserved("mcp_oauth");

	mo_spi_init();
	mo_verify_init();
	mo_keys_init();
	mo_scope_init();
	mo_pending_init();
	mo_clients_init();
	mo_fetched_init();
}
