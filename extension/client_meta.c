/*
 * client_meta.c
 *		Client metadata (RFC 7591 section 2) read from JSON and validated:
 *		a registration request (register.c), create_client()'s arguments,
 *		and a Client ID Metadata Document (cimd.c).
 *
 * Decisions (see also extension/DESIGN.md):
 *	- A missing token_endpoint_auth_method means client_secret_basic in a
 *	  registration (RFC 7591 section 2) and none in a metadata document
 *	  (which can hold no secret: client_secret and client_secret_expires_at
 *	  are refused there).
 *	- private_key_jwt (RFC 7523) needs exactly one of jwks (a JWK Set) and
 *	  jwks_uri (an https URL the server may fetch); with another method both
 *	  are ignored, as before 0.5.0, when every unknown member was.  It needs
 *	  the 0.5.0 schema.
 *	- A missing grant_types means authorization_code and refresh_token (the
 *	  RFC's default is authorization_code alone; RFC 7591 section 3.2.1 lets
 *	  the server supplement it, and without refresh_token sessions would end
 *	  at the first access token expiry).
 *	- A missing application_type is "native" when every redirect URI is
 *	  loopback or a private-use scheme, else "web"; "web" with loopback
 *	  http is allowed too, because MCP clients do it.
 *	- A metadata document must name the client (client_name); its scope is
 *	  not a limit here (it says what the client asks for anywhere; the
 *	  person grants scopes on the consent page), and grant and response
 *	  types this server does not have are left out, not refused (it must
 *	  still name authorization_code and code when it names any).
 */
#include "mcp_oauth.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

#include "client_meta.h"
#include "lib/jwk.h"
#include "lib/text.h"
#include "lib/uri.h"

#define ERR_METADATA	CLIENT_META_ERR_METADATA
#define ERR_REDIRECT	CLIENT_META_ERR_REDIRECT

typedef enum InfoKind
{
	INFO_TEXT,
	INFO_URL,					/* http or https */
	INFO_HTTPS_URL
} InfoKind;

static const struct
{
	const char *name;
	InfoKind	kind;
}			info_fields[INFO_COUNT] =
{
	{"client_name", INFO_TEXT},
	{"client_uri", INFO_URL},
	{"logo_uri", INFO_HTTPS_URL},
	{"tos_uri", INFO_URL},
	{"policy_uri", INFO_URL},
	{"software_id", INFO_TEXT},
	{"software_version", INFO_TEXT},
};

/* ---- small helpers ---- */

/* Record an error; always returns false, for "return meta_fail(...)". */
static bool
meta_fail(ClientMetaError *e, const char *error, char *description)
{
	e->error = error;
	e->description = description;
	return false;
}

/* Why the text s of member name may not be kept, or NULL. */
char *
mo_client_meta_text_problem(const char *name, const char *s, size_t maxlen)
{
	const char *problem;

	if (strlen(s) > maxlen)
		return psprintf("%s is too long", name);
	problem = text_display_problem(s);
	return problem ? psprintf("%s %s", name, problem) : NULL;
}

/* Whether the List of char * contains s. */
static bool
list_has_string(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

/* Whether the client authenticates with none. */
bool
mo_client_meta_is_public(const ClientMeta *m)
{
	return strcmp(m->auth_method, "none") == 0;
}

/* Whether the client authenticates with a secret. */
bool
mo_client_meta_has_secret(const ClientMeta *m)
{
	return strcmp(m->auth_method, "client_secret_basic") == 0 ||
		strcmp(m->auth_method, "client_secret_post") == 0;
}

/* Whether clients has jwks and jwks_uri (0.5.0); a syscache lookup. */
bool
mo_clients_have_jwks(void)
{
	Oid			relid = mo_relid("clients");

	return OidIsValid(relid) &&
		get_attnum(relid, "jwks_uri") != InvalidAttrNumber;
}

/* ---- reading JSON ---- */

/* Parse text as one JSON object, without raising; false with e set if it is not one. */
bool
mo_client_meta_parse(const char *text, size_t max_len, const char *what,
					 json_doc *doc, bool *not_json, ClientMetaError *e)
{
	/* nesting is limited only by the size: unknown members are ignored */
	json_limits limits = {max_len, (int) (max_len / 2), false};
	json_status status = json_read_object(text, strlen(text), &limits, palloc, doc);

	if (not_json != NULL)
		*not_json = status == JSON_INVALID || status == JSON_NOT_OBJECT;
	switch (status)
	{
		case JSON_OK:
			return true;
		case JSON_NOT_OBJECT:
			return meta_fail(e, ERR_METADATA, psprintf("%s must be a JSON object", what));
		case JSON_DUPLICATE:
			return meta_fail(e, ERR_METADATA, "a metadata field appears twice");
		case JSON_INVALID:
			break;
	}
	return meta_fail(e, ERR_METADATA, psprintf("%s is not valid JSON", what));
}

/* The string member name (NULL when absent or null), checked for type and length. */
static bool
doc_string(const json_doc *doc, const char *name, size_t maxlen,
		   const char **out, ClientMetaError *e)
{
	const json_member *m = json_get(doc, name);
	char	   *problem;

	*out = NULL;
	if (m == NULL || m->type == JSON_NULL)
		return true;
	if (m->type != JSON_STRING)
		return meta_fail(e, ERR_METADATA, psprintf("%s must be a string", name));
	if ((problem = mo_client_meta_text_problem(name, m->string, maxlen)) != NULL)
		return meta_fail(e, ERR_METADATA, problem);
	*out = m->string;
	return true;
}

/* The string-array member name (NIL when absent or null), checked for type. */
static bool
doc_strings(const json_doc *doc, const char *name, int maxitems, List **out,
			bool *present, ClientMetaError *e)
{
	const json_member *m = json_get(doc, name);

	*out = NIL;
	*present = m != NULL && m->type != JSON_NULL;
	if (!*present)
		return true;
	if (m->type != JSON_ARRAY || m->strings == NULL)
		return meta_fail(e, ERR_METADATA,
						 psprintf("%s must be an array of strings", name));
	if (m->nstrings > maxitems)
		return meta_fail(e, ERR_METADATA,
						 psprintf("%s has more than %d elements", name, maxitems));
	for (int i = 0; i < m->nstrings; i++)
		*out = lappend(*out, m->strings[i]);
	return true;
}

/* ---- validation ---- */

/* Check every redirect URI against the policy (lib/uri.h). */
static bool
check_redirect_uris(List *uris, ClientMetaError *e)
{
	ListCell   *lc;

	if (uris == NIL)
		return meta_fail(e, ERR_REDIRECT, "at least one redirect URI is required");
	if (list_length(uris) > CLIENT_META_MAX_URIS)
		return meta_fail(e, ERR_REDIRECT,
						 psprintf("at most %d redirect URIs may be registered",
								  CLIENT_META_MAX_URIS));
	foreach(lc, uris)
	{
		const char *problem = uri_redirect_problem((char *) lfirst(lc));

		if (problem)
			return meta_fail(e, ERR_REDIRECT,
							 psprintf("redirect_uris[%d]: %s",
									  foreach_current_index(lc), problem));
	}
	return true;
}

/* "native" when every redirect URI is loopback or a private-use scheme, else "web". */
const char *
mo_client_meta_application_type(List *uris)
{
	ListCell   *lc;

	foreach(lc, uris)
	{
		const char *uri = lfirst(lc);

		if (!uri_is_loopback(uri) && !uri_is_private_scheme(uri))
			return "web";
	}
	return "native";
}

/* Check a requested client scope (every name known); normalized into *out. */
bool
mo_client_meta_scope(const char *scope, const char **out, ClientMetaError *e)
{
	List	   *names;

	*out = NULL;
	if (scope == NULL)
		return true;
	if (!mo_scope_parse(scope, &names))
		return meta_fail(e, ERR_METADATA, "scope is malformed");
	if (names == NIL)
		return true;
	if (!mo_scope_subset(names, mo_known_scopes(false)))
		return meta_fail(e, ERR_METADATA, "scope names a scope this server does not know");
	*out = mo_scope_join(names);
	return true;
}

/* Check the informational strings and URLs. */
static bool
check_info(ClientMeta *m, ClientMetaError *e)
{
	for (int i = 0; i < INFO_COUNT; i++)
	{
		const char *problem;

		if (m->info[i] == NULL || info_fields[i].kind == INFO_TEXT)
			continue;
		problem = uri_info_problem(m->info[i],
								   info_fields[i].kind == INFO_HTTPS_URL);
		if (problem)
			return meta_fail(e, ERR_METADATA,
							 psprintf("%s %s", info_fields[i].name, problem));
	}
	return true;
}

/* Check grant_types and response_types (defaults filled in). */
static bool
check_grant_types(ClientMeta *m, ClientMetaError *e)
{
	ListCell   *lc;

	foreach(lc, m->grant_types)
	{
		const char *g = lfirst(lc);

		if (strcmp(g, "authorization_code") != 0 && strcmp(g, "refresh_token") != 0)
			return meta_fail(e, ERR_METADATA,
							 "grant_types may contain only authorization_code and refresh_token");
	}
	if (!list_has_string(m->grant_types, "authorization_code"))
		return meta_fail(e, ERR_METADATA, "grant_types must include authorization_code");
	foreach(lc, m->response_types)
	{
		if (strcmp((char *) lfirst(lc), "code") != 0)
			return meta_fail(e, ERR_METADATA, "response_types may contain only code");
	}
	if (!list_has_string(m->response_types, "code"))
		return meta_fail(e, ERR_METADATA,
						 "response_types must include code for the authorization_code grant");
	return true;
}

/* Whether source may name method (private_key_jwt: with the 0.5.0 schema). */
static bool
method_allowed(const char *method, ClientMetaSource source)
{
	if (strcmp(method, "none") == 0)
		return true;
	if (strcmp(method, "private_key_jwt") == 0)
		return mo_clients_have_jwks();
	return source == CLIENT_META_REGISTRATION &&
		(strcmp(method, "client_secret_basic") == 0 ||
		 strcmp(method, "client_secret_post") == 0);
}

/* Check token_endpoint_auth_method (as source allows) and application_type. */
static bool
check_methods(ClientMeta *m, ClientMetaSource source, ClientMetaError *e)
{
	if (!method_allowed(m->auth_method, source))
		return meta_fail(e, ERR_METADATA,
						 source == CLIENT_META_DOCUMENT ?
						 "token_endpoint_auth_method must be none or private_key_jwt" :
						 mo_clients_have_jwks() ?
						 "token_endpoint_auth_method must be none, client_secret_basic, client_secret_post or private_key_jwt" :
						 "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post");
	if (strcmp(m->application_type, "web") != 0 &&
		strcmp(m->application_type, "native") != 0)
		return meta_fail(e, ERR_METADATA, "application_type must be web or native");
	return true;
}

/* Check each contact: short and fit to be shown. */
static bool
check_contacts(List *contacts, ClientMetaError *e)
{
	ListCell   *lc;

	foreach(lc, contacts)
	{
		char	   *problem = mo_client_meta_text_problem("a contact", lfirst(lc),
														  CLIENT_META_MAX_TEXT);

		if (problem)
			return meta_fail(e, ERR_METADATA, problem);
	}
	return true;
}

/* Validate a ClientMeta whose defaults are filled in, described by source. */
static bool
check_meta(ClientMeta *m, ClientMetaSource source, ClientMetaError *e)
{
	return check_redirect_uris(m->redirect_uris, e) &&
		check_methods(m, source, e) &&
		check_grant_types(m, e) &&
		check_contacts(m->contacts, e) &&
		check_info(m, e);
}

/* Validate a ClientMeta whose defaults are filled in (create_client()). */
bool
mo_client_meta_check(ClientMeta *m, ClientMetaError *e)
{
	return check_meta(m, CLIENT_META_REGISTRATION, e);
}

/* ---- keys (private_key_jwt) ---- */

/* Why jwk_set_parse() refuses json, or NULL; the set's keys freed either way. */
static const char *
jwk_set_refusal(const char *json, size_t len)
{
	jwk_set    *set = palloc0(sizeof(jwk_set));
	const char *volatile reason = NULL;

	/* the set's keys are OpenSSL's memory: freed on every path */
	PG_TRY();
	{
		reason = jwk_set_parse(json, len, palloc, set);
	}
	PG_FINALLY();
	{
		jwk_set_free(set);
	}
	PG_END_TRY();
	return reason;
}

/* Why json is no JWK Set with a key this server can use, or NULL. */
const char *
mo_jwks_problem(const char *json, size_t len, bool *not_json)
{
	/* as a client's metadata: nesting limited only by the size */
	const json_limits limits = {len, (int) (len / 2) + 1, false};
	json_doc	doc;
	json_status status = json_read_object(json, len, &limits, palloc, &doc);
	const char *reason;

	*not_json = status == JSON_INVALID || status == JSON_NOT_OBJECT;
	if (*not_json)
		return "is not a JSON object";
	reason = jwk_set_refusal(json, len);
	return reason ? psprintf("is not usable: %s", reason) : NULL;
}

/* The inline JWK Set of doc (member jwks) into m->jwks, checked. */
static bool
read_jwks(const json_doc *doc, ClientMeta *m, ClientMetaError *e)
{
	const json_member *jwks = json_get(doc, "jwks");
	const char *problem;
	bool		not_json;

	if (jwks == NULL || jwks->type == JSON_NULL)
		return true;
	if (jwks->type != JSON_OBJECT)
		return meta_fail(e, ERR_METADATA, "jwks must be a JSON object");
	problem = mo_jwks_problem(jwks->raw, jwks->raw_len, &not_json);
	if (problem)
		return meta_fail(e, ERR_METADATA, psprintf("jwks %s", problem));
	m->jwks = pnstrdup(jwks->raw, jwks->raw_len);
	return true;
}

/*
 * The client's keys for private_key_jwt: exactly one of jwks and jwks_uri
 * (an https URL the server may fetch); ignored for any other method.
 */
static bool
read_keys(const json_doc *doc, ClientMeta *m, ClientMetaError *e)
{
	const char *problem;

	if (strcmp(m->auth_method, "private_key_jwt") != 0)
		return true;
	if (!read_jwks(doc, m, e) ||
		!doc_string(doc, "jwks_uri", URI_MAX_LEN, &m->jwks_uri, e))
		return false;
	if (m->jwks != NULL && m->jwks_uri != NULL)
		return meta_fail(e, ERR_METADATA, "only one of jwks and jwks_uri may be given");
	if (m->jwks == NULL && m->jwks_uri == NULL)
		return meta_fail(e, ERR_METADATA, "private_key_jwt needs jwks or jwks_uri");
	if (m->jwks_uri && (problem = uri_fetch_problem(m->jwks_uri, false)) != NULL)
		return meta_fail(e, ERR_METADATA, psprintf("jwks_uri %s", problem));
	return true;
}

/* ---- reading a whole description ---- */

/*
 * What a metadata document may not hold, or must: no secret (it is
 * public), and the client's name (the consent page shows it).
 */
static bool
check_document(const json_doc *doc, const ClientMeta *m, ClientMetaError *e)
{
	if (json_get(doc, "client_secret") != NULL ||
		json_get(doc, "client_secret_expires_at") != NULL)
		return meta_fail(e, ERR_METADATA,
						 "a client metadata document must not hold client_secret or client_secret_expires_at");
	if (m->info[INFO_CLIENT_NAME] == NULL || m->info[INFO_CLIENT_NAME][0] == '\0')
		return meta_fail(e, ERR_METADATA, "client_name is required");
	if (m->redirect_uris == NIL)
		return meta_fail(e, ERR_REDIRECT, "redirect_uris is required");
	return true;
}

/* The informational strings and URLs of doc into m. */
static bool
read_info(const json_doc *doc, ClientMeta *m, ClientMetaError *e)
{
	for (int i = 0; i < INFO_COUNT; i++)
	{
		if (!doc_string(doc, info_fields[i].name,
						info_fields[i].kind == INFO_TEXT ? CLIENT_META_MAX_TEXT : URI_MAX_LEN,
						&m->info[i], e))
			return false;
	}
	return true;
}

/*
 * A document's members that no page shows (the informational URLs,
 * software_id and software_version, contacts): each that is not valid is
 * left out of m rather than refused, so that no client is locked out for
 * its logo's URL.  client_name, which the consent page shows, is checked.
 */
static void
read_document_extras(const json_doc *doc, ClientMeta *m)
{
	ClientMetaError ignored;
	bool		present;

	for (int i = 0; i < INFO_COUNT; i++)
	{
		ClientMeta	one = {0};

		if (i == INFO_CLIENT_NAME)
			continue;
		m->info[i] = NULL;
		if (doc_string(doc, info_fields[i].name,
					   info_fields[i].kind == INFO_TEXT ? CLIENT_META_MAX_TEXT : URI_MAX_LEN,
					   &one.info[i], &ignored) && check_info(&one, &ignored))
			m->info[i] = one.info[i];
	}
	if (!doc_strings(doc, "contacts", 8, &m->contacts, &present, &ignored) ||
		!check_contacts(m->contacts, &ignored))
		m->contacts = NIL;
}

/*
 * The array members of doc into m, with RFC 7591 defaults (and ours);
 * a document's contacts are read_document_extras()'s.
 */
static bool
read_lists(const json_doc *doc, ClientMetaSource source, ClientMeta *m,
		   ClientMetaError *e)
{
	bool		present;

	if (!doc_strings(doc, "redirect_uris", CLIENT_META_MAX_URIS, &m->redirect_uris, &present, e) ||
		(source == CLIENT_META_REGISTRATION &&
		 !doc_strings(doc, "contacts", 8, &m->contacts, &present, e)) ||
		!doc_strings(doc, "grant_types", 8, &m->grant_types, &present, e))
		return false;
	if (!present)
		m->grant_types = list_make2("authorization_code", "refresh_token");
	if (!doc_strings(doc, "response_types", 8, &m->response_types, &present, e))
		return false;
	if (!present)
		m->response_types = list_make1("code");
	return true;
}

/*
 * The elements of list that are also in known, in list's order: a
 * document may name grant and response types of other servers (VS Code's
 * lists the device code grant), which this one ignores.
 */
static List *
known_only(List *list, List *known)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, list)
	{
		if (list_has_string(known, lfirst(lc)) && !list_has_string(out, lfirst(lc)))
			out = lappend(out, lfirst(lc));
	}
	return out;
}

/* Read the metadata of doc into m, with the defaults of source, and validate it. */
bool
mo_client_meta_read(const json_doc *doc, ClientMetaSource source,
					ClientMeta *m, ClientMetaError *e)
{
	const char *scope;

	memset(m, 0, sizeof(*m));
	if (source == CLIENT_META_DOCUMENT)
	{
		read_document_extras(doc, m);
		if (!doc_string(doc, "client_name", CLIENT_META_MAX_TEXT, &m->info[INFO_CLIENT_NAME], e))
			return false;
	}
	else if (!read_info(doc, m, e))
		return false;
	if (!read_lists(doc, source, m, e) ||
		!doc_string(doc, "token_endpoint_auth_method", CLIENT_META_MAX_TEXT, &m->auth_method, e) ||
		!doc_string(doc, "application_type", CLIENT_META_MAX_TEXT, &m->application_type, e) ||
		!doc_string(doc, "scope", 4096, &scope, e))
		return false;
	if (m->auth_method == NULL)
		m->auth_method = source == CLIENT_META_DOCUMENT ? "none" : "client_secret_basic";
	if (m->application_type == NULL)
		m->application_type = mo_client_meta_application_type(m->redirect_uris);
	if (source == CLIENT_META_DOCUMENT)
	{
		if (!check_document(doc, m, e))
			return false;
		m->grant_types = known_only(m->grant_types,
									list_make2("authorization_code", "refresh_token"));
		m->response_types = known_only(m->response_types, list_make1("code"));
		scope = NULL;
	}
	return mo_client_meta_scope(scope, &m->scope, e) &&
		check_meta(m, source, e) &&
		read_keys(doc, m, e);
}

/* ---- writing ---- */

/* The client information (RFC 7591 section 3.2.1) as JSON. */
char *
mo_client_meta_json(const ClientMeta *m, const char *client_id, int64 issued_at,
					const char *secret)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "client_id", client_id);
	if (secret)
		mo_json_string(&buf, "client_secret", secret);
	if (issued_at != 0)
		mo_json_int(&buf, "client_id_issued_at", issued_at);
	if (mo_client_meta_has_secret(m))
		mo_json_int(&buf, "client_secret_expires_at", 0);
	mo_json_string_list(&buf, "redirect_uris", m->redirect_uris);
	mo_json_string(&buf, "token_endpoint_auth_method", m->auth_method);
	mo_json_string_list(&buf, "grant_types", m->grant_types);
	mo_json_string_list(&buf, "response_types", m->response_types);
	mo_json_string(&buf, "application_type", m->application_type);
	if (m->scope)
		mo_json_string(&buf, "scope", m->scope);
	if (m->contacts)
		mo_json_string_list(&buf, "contacts", m->contacts);
	for (int i = 0; i < INFO_COUNT; i++)
	{
		if (m->info[i])
			mo_json_string(&buf, info_fields[i].name, m->info[i]);
	}
	if (m->jwks)
		mo_json_raw(&buf, "jwks", m->jwks);
	if (m->jwks_uri)
		mo_json_string(&buf, "jwks_uri", m->jwks_uri);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
