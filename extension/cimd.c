/*
 * cimd.c
 *		Client ID Metadata Documents (the OAuth draft the MCP specification
 *		pins): a client_id that is the https URL of a JSON document
 *		describing the client.  The document is fetched by the HTTP server
 *		(fetched.c: need-fetch, fetched()) and becomes a clients row of kind
 *		'metadata', which every endpoint then uses like any other client.
 *
 * Decisions (see also extension/DESIGN.md):
 *	- A client_id starting with "https://" names a document, unless an
 *	  administrator made a client of that client_id.  The URL must be one
 *	  the server may fetch, with no IP-literal host (uri_fetch_problem).
 *	- The document is validated as client metadata (client_meta.c, source
 *	  CLIENT_META_DOCUMENT) and must name its own URL, byte for byte, as
 *	  client_id.  Unknown members are ignored (later drafts add some).
 *	- Each valid fetch updates the row when the metadata changed: a
 *	  redirect URI the document dropped is refused from then on, and leaves
 *	  the approved ones too.  created_at never changes: a consent page open
 *	  across a refetch stays usable.
 *	- authorize() uses the row while the document is servable (fresh, or
 *	  stale after a transient failure); with a failure remembered, the
 *	  document gone (404, 410) included, it answers the person with a page
 *	  naming it and never redirects; otherwise it asks for a fetch.  Tokens
 *	  and grants already issued do not depend on the document.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "cimd.h"
#include "client_meta.h"
#include "fetched.h"
#include "lib/uri.h"

#define CIMD_SCHEME_PREFIX	"https://"

/* Whether client_id names a client metadata document this schema can keep. */
bool
mo_cimd_client_id(const char *client_id)
{
	return strncmp(client_id, CIMD_SCHEME_PREFIX, strlen(CIMD_SCHEME_PREFIX)) == 0 &&
		mo_fetched_available();
}

/* ---- storing a document ---- */

/*
 * Make or update the 'metadata' row of url from m: only when the metadata
 * changed (a changed row empties every backend's copy of clients), keeping
 * created_at, and only the approved redirect URIs the document still
 * lists.  False if url is some other kind of client's.
 */
static bool
upsert_client(const char *url, const ClientMeta *m)
{
	static MoKeyPlan plan;
	Oid			types[10] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[10];
	char		nulls[10];
	MoClientRow existing;

	if (mo_client_get(url, &existing) && strcmp(existing.kind, "metadata") != 0)
		return false;
	mo_spi_text_param(values, nulls, 0, url);
	mo_spi_text_param(values, nulls, 1, m->auth_method);
	mo_spi_text_param(values, nulls, 2, m->info[INFO_CLIENT_NAME]);
	values[3] = mo_list_to_text_array(m->redirect_uris);
	values[4] = mo_list_to_text_array(m->grant_types);
	values[5] = mo_list_to_text_array(m->response_types);
	nulls[3] = nulls[4] = nulls[5] = ' ';
	mo_spi_text_param(values, nulls, 6, m->application_type);
	mo_spi_text_param(values, nulls, 7, mo_client_meta_json(m, url, 0, NULL));
	mo_spi_text_param(values, nulls, 8, m->jwks);
	mo_spi_text_param(values, nulls, 9, m->jwks_uri);
	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 "INSERT INTO mcp_oauth.clients AS c (client_id,"
										 " token_endpoint_auth_method, client_name, redirect_uris,"
										 " grant_types, response_types, application_type, metadata,"
										 " kind, jwks, jwks_uri)"
										 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'metadata',"
										 "  $9::jsonb, $10)"
										 " ON CONFLICT (client_id) DO UPDATE SET"
										 " token_endpoint_auth_method = excluded.token_endpoint_auth_method,"
										 " client_name = excluded.client_name,"
										 " redirect_uris = excluded.redirect_uris,"
										 " grant_types = excluded.grant_types,"
										 " response_types = excluded.response_types,"
										 " application_type = excluded.application_type,"
										 " metadata = excluded.metadata,"
										 " jwks = excluded.jwks, jwks_uri = excluded.jwks_uri,"
										 " approved_redirect_uris = ARRAY(SELECT u"
										 "  FROM unnest(c.approved_redirect_uris) u"
										 "  WHERE u = ANY (excluded.redirect_uris))"
										 " WHERE c.kind = 'metadata'"
										 " AND c.metadata IS DISTINCT FROM excluded.metadata",
										 10, types, values, nulls, 0),
					   SPI_OK_INSERT, "clients");
	return true;
}

/* Validate the document fetched from url and store its client; NULL when stored. */
const char *
mo_cimd_store(const char *url, const char *body, bool *not_json)
{
	json_doc	doc;
	ClientMeta	m;
	ClientMetaError e;
	const json_member *client_id;
	const char *problem;

	/* the server fetches only what authorize() asked for: never such a URL */
	if ((problem = uri_fetch_problem(url, true)) != NULL)
		return psprintf("the URL of a client metadata document %s", problem);
	if (!mo_client_meta_parse(body, MO_FETCH_MAX_CLIENT_METADATA, "the document",
							  &doc, not_json, &e))
		return e.description;
	client_id = json_get(&doc, "client_id");
	if (client_id == NULL || client_id->type != JSON_STRING)
		return "client_id is required";
	if (strcmp(client_id->string, url) != 0)
		return "client_id is not the URL of the document";
	if (!mo_client_meta_read(&doc, CLIENT_META_DOCUMENT, &m, &e))
		return e.description;
	if (!upsert_client(url, &m))
		return "another client has this client_id";
	return NULL;
}

/* ---- the authorization endpoint ---- */

/* A 400 for the person at the browser (never a redirect); false. */
static bool
person_error(MoResponse *r, const char *description)
{
	mo_error_response(r, 400, "invalid_client", description);
	return false;
}

/* The host of the URL client_id, as the person is shown it. */
static char *
document_host(const char *client_id)
{
	char		host[URI_MAX_LEN + 1];

	if (!uri_display_host(client_id, host, sizeof(host)))
		strlcpy(host, client_id, sizeof(host));
	return pstrdup(host);
}

/* The row of a document that is servable; made again from body if missing. */
static bool
servable_client(const char *client_id, const char *body, MoClientRow *out,
				MoResponse *r)
{
	const char *problem;
	bool		not_json;

	if (out->client_id != NULL)
		return true;
	/* kept while its client was deleted: it was valid, and is again */
	problem = mo_cimd_store(client_id, body, &not_json);
	if (problem == NULL && mo_client_get(client_id, out))
		return true;
	return person_error(r, psprintf("the client's metadata document (%s) is not valid: %s",
									document_host(client_id),
									problem ? problem : "its client could not be stored"));
}

/* The client of a URL client_id, or the person's page, or a need-fetch. */
bool
mo_cimd_establish(const char *client_id, const char *client_addr,
				  MoClientRow *out, MoResponse *r)
{
	MoFetchedDoc doc;
	const char *problem;

	if (mo_client_get(client_id, out) && strcmp(out->kind, "metadata") != 0)
		return true;			/* an administrator named a client so */
	if ((problem = uri_fetch_problem(client_id, true)) != NULL)
		return person_error(r, psprintf("client_id is not the URL of a client metadata document this server may fetch: it %s",
										problem));
	if ((problem = mo_cimd_refusal(client_id)) != NULL)
		return person_error(r, psprintf("%s (%s)", problem, document_host(client_id)));
	if (!mo_fetched_get(client_id, MO_FETCH_CLIENT_METADATA, &doc) ||
		(!doc.servable && doc.failure == NULL))
	{
		if (!mo_cimd_fetch_allowed(client_addr, r))
			return false;
		mo_need_fetch_response(r, client_id, MO_FETCH_CLIENT_METADATA,
							   doc.body ? doc.etag : NULL,
							   MO_FETCH_MAX_CLIENT_METADATA, true);
		return false;
	}
	if (!doc.servable)
		return person_error(r, psprintf("the client's metadata document (%s) could not be used: %s",
										document_host(client_id),
										mo_fetch_failure_text(doc.failure)));
	return servable_client(client_id, doc.body, out, r);
}

/* ---- the consent page ---- */

/* Whether every URI of uris is http on a loopback host. */
static bool
all_loopback(List *uris)
{
	ListCell   *lc;

	foreach(lc, uris)
	{
		if (!uri_is_loopback((char *) lfirst(lc)))
			return false;
	}
	return uris != NIL;
}

/* The descriptor's members of a metadata client. */
void
mo_cimd_descriptor(StringInfo buf, const MoClientRow *c)
{
	if (strcmp(c->kind, "metadata") != 0)
		return;
	mo_json_string(buf, "metadata_host", document_host(c->client_id));
	mo_json_bool(buf, "loopback_redirects_only", all_loopback(c->redirect_uris));
}
