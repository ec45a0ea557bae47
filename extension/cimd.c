/*
 * cimd.c
 *		Client ID Metadata Documents: a client_id that is the https URL of
 *		a JSON document describing the client.
 */
#include "mcp_oauth.h"

#include "cimd.h"
#include "lib/json.h"

/* The most bytes of a client metadata document. */
#define CIMD_MAX_BODY	5120

/* Validate and store the document fetched from url (first step: its shape). */
const char *
mo_cimd_store(const char *url, const char *body, bool *not_json)
{
	const json_limits limits = {CIMD_MAX_BODY, CIMD_MAX_BODY / 2, false};
	json_doc	doc;
	const char *client_id;

	if (json_read_object(body, strlen(body), &limits, palloc, &doc) != JSON_OK)
	{
		*not_json = true;
		return "the document is not a JSON object";
	}
	client_id = json_get_string(&doc, "client_id");
	if (client_id == NULL || strcmp(client_id, url) != 0)
		return "client_id is not the URL of the document";
	return NULL;
}
