/*
 * metadata.c
 *		Discovery documents: RFC 8414 authorization server metadata, its
 *		OpenID Connect discovery twin, RFC 9728 protected resource metadata,
 *		and the JWKS.
 *
 * The issuer is used byte for byte as configured; endpoint URLs are the
 * issuer with a path appended (one '/' between, never two).
 */
#include "mcp_oauth.h"

#include "client_meta.h"
#include "fetched.h"
#include "keys.h"

/* Metadata changes only with configuration: an hour of caching is fine. */
#define METADATA_CACHE_CONTROL "public, max-age=3600"

/*
 * Shorter than the default publish_ahead of a new key (10 minutes), so a
 * verifier that caches the JWKS sees a new key before it signs anything.
 */
#define JWKS_CACHE_CONTROL "public, max-age=300"

PG_FUNCTION_INFO_V1(authorization_server_metadata);
PG_FUNCTION_INFO_V1(openid_configuration);
PG_FUNCTION_INFO_V1(protected_resource_metadata);
PG_FUNCTION_INFO_V1(jwks);

/* issuer + path, with exactly one '/' between them. */
char *
mo_issuer_url(const char *path)
{
	size_t		n = strlen(mo_issuer);

	if (n > 0 && mo_issuer[n - 1] == '/')
		n--;
	return psprintf("%.*s%s", (int) n, mo_issuer, path);
}

/*
 * The names of every known scope (SPI-connects for the query), copied to
 * the caller's context: what SPI returned is freed by mo_spi_finish().
 */
static List *
known_scopes(void)
{
	List	   *scopes;
	List	   *result = NIL;
	ListCell   *lc;
	MemoryContext old;

	mo_spi_connect();
	scopes = mo_known_scopes(false);
	old = MemoryContextSwitchTo(mo_spi_caller_context());
	foreach(lc, scopes)
		result = lappend(result, pstrdup((const char *) lfirst(lc)));
	MemoryContextSwitchTo(old);
	mo_spi_finish();
	return result;
}

/* A List of C strings from a NULL-terminated array. */
static List *
string_list(const char *const *items)
{
	List	   *result = NIL;

	for (int i = 0; items[i] != NULL; i++)
		result = lappend(result, (void *) items[i]);
	return result;
}

/* Append "key":[...] from a NULL-terminated array of strings. */
static void
json_strings(StringInfo buf, const char *key, const char *const *items)
{
	mo_json_string_list(buf, key, string_list(items));
}

/*
 * The client authentication members of the RFC 8414 document: the methods
 * of each endpoint, and the algorithms of private_key_jwt's assertions
 * (RFC 7523: never none, never HMAC), named only once the schema is
 * 0.5.0's (clients.jwks): the library serves older schemas until ALTER
 * EXTENSION UPDATE, and there no client can use that method.
 */
static void
append_auth_members(StringInfo buf)
{
	/* private_key_jwt last: left out before the 0.5.0 schema */
	static const char *const client_auth[] = {"none", "client_secret_basic",
	"client_secret_post", "private_key_jwt", NULL};
	static const char *const confidential_auth[] = {"client_secret_basic",
	"client_secret_post", "private_key_jwt", NULL};
	static const char *const assertion_algs[] = {"RS256", "PS256", "ES256",
	"EdDSA", NULL};
	static const char *const endpoints[] = {"token_endpoint",
	"revocation_endpoint", "introspection_endpoint"};
	bool		jwt = mo_clients_have_jwks();

	for (int i = 0; i < lengthof(endpoints); i++)
	{
		/* introspection is for confidential clients (resource servers) only */
		List	   *methods = string_list(i == 2 ? confidential_auth : client_auth);

		if (!jwt)
			methods = list_delete_last(methods);
		mo_json_string_list(buf, psprintf("%s_auth_methods_supported", endpoints[i]),
							methods);
		if (jwt)
			json_strings(buf, psprintf("%s_auth_signing_alg_values_supported",
									   endpoints[i]), assertion_algs);
	}
}

/* The members the RFC 8414 document and the OIDC twin share. */
static void
append_server_members(StringInfo buf)
{
	static const char *const response_types[] = {"code", NULL};
	static const char *const response_modes[] = {"query", NULL};
	static const char *const grant_types[] = {"authorization_code", "refresh_token", NULL};
	static const char *const pkce_methods[] = {"S256", NULL};

	mo_json_string(buf, "issuer", mo_issuer);
	mo_json_string(buf, "authorization_endpoint", mo_issuer_url("/authorize"));
	mo_json_string(buf, "token_endpoint", mo_issuer_url("/token"));
	if (mo_registration == MO_REGISTRATION_OPEN)
		mo_json_string(buf, "registration_endpoint", mo_issuer_url("/register"));
	mo_json_string(buf, "revocation_endpoint", mo_issuer_url("/revoke"));
	mo_json_string(buf, "introspection_endpoint", mo_issuer_url("/introspect"));
	mo_json_string(buf, "jwks_uri", mo_issuer_url("/.well-known/jwks.json"));
	mo_json_string_list(buf, "scopes_supported", known_scopes());
	json_strings(buf, "response_types_supported", response_types);
	json_strings(buf, "response_modes_supported", response_modes);
	json_strings(buf, "grant_types_supported", grant_types);
	json_strings(buf, "code_challenge_methods_supported", pkce_methods);
	append_auth_members(buf);
	mo_json_bool(buf, "authorization_response_iss_parameter_supported", true);
	/* Client ID Metadata Documents (cimd.c), once the schema is 0.5.0's, unless turned off */
	mo_json_bool(buf, "client_id_metadata_document_supported",
				 mo_client_metadata_documents && mo_fetched_available());
}

/* Return a cacheable JSON document. */
static Datum
json_document(FunctionCallInfo fcinfo, StringInfo buf, const char *cache_control)
{
	MoResponse	r;

	mo_json_response(&r, 200, buf->data, cache_control);
	return mo_response_datum(fcinfo, &r);
}

/* authorization_server_metadata() -> http_response: RFC 8414. */
Datum
authorization_server_metadata(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	append_server_members(&buf);
	appendStringInfoChar(&buf, '}');
	return json_document(fcinfo, &buf, METADATA_CACHE_CONTROL);
}

/*
 * openid_configuration() -> http_response: OpenID Connect Discovery 1.0.
 *
 * MCP clients fall back to this document when RFC 8414 metadata is not
 * found, and read only its OAuth members.  We add only what is true of us:
 * subject_types_supported "public" (every client sees the same sub).  We
 * issue no ID tokens and do not support the "openid" scope, so we do not
 * claim id_token_signing_alg_values_supported: listing our access token
 * algorithm there would tell an OpenID client we can do what we cannot.
 */
Datum
openid_configuration(PG_FUNCTION_ARGS)
{
	static const char *const subject_types[] = {"public", NULL};
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	append_server_members(&buf);
	json_strings(&buf, "subject_types_supported", subject_types);
	appendStringInfoChar(&buf, '}');
	return json_document(fcinfo, &buf, METADATA_CACHE_CONTROL);
}

/*
 * protected_resource_metadata(resource text) -> http_response: RFC 9728
 * for a configured resource (NULL: the first one); 404 when unknown.
 */
Datum
protected_resource_metadata(PG_FUNCTION_ARGS)
{
	static const char *const bearer_methods[] = {"header", NULL};
	const char *resource = mo_match_resource(mo_arg_cstring(fcinfo, 0));
	StringInfoData buf;
	MoResponse	r;

	if (resource == NULL)
	{
		mo_error_response(&r, 404, "invalid_target", "unknown protected resource");
		return mo_response_datum(fcinfo, &r);
	}
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "resource", resource);
	json_strings(&buf, "authorization_servers",
				 (const char *const[]) {mo_issuer, NULL});
	mo_json_string_list(&buf, "scopes_supported", known_scopes());
	json_strings(&buf, "bearer_methods_supported", bearer_methods);
	appendStringInfoChar(&buf, '}');
	return json_document(fcinfo, &buf, METADATA_CACHE_CONTROL);
}

/* jwks() -> http_response: {"keys":[...]} of every published key. */
Datum
jwks(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, mo_jwks_json());
	return json_document(fcinfo, &buf, JWKS_CACHE_CONTROL);
}
