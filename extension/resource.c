/*
 * resource.c
 *		Resource indicators (RFC 8707): the configured protected resources,
 *		and matching what a client names against them.
 */
#include "mcp_oauth.h"

#include "lib/uri.h"

/* The configured resource URIs, as written in mcp_oauth.resources. */
List *
mo_configured_resources(void)
{
	char	   *copy = pstrdup(mo_resources ? mo_resources : "");
	char	   *save = NULL;
	char	   *tok;
	List	   *result = NIL;

	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
		result = lappend(result, tok);
	return result;
}

/* The configured resource that requested names canonically, or NULL. */
const char *
mo_match_resource(const char *requested)
{
	List	   *configured = mo_configured_resources();
	char		want[URI_MAX_LEN];
	char		have[URI_MAX_LEN];
	ListCell   *lc;

	if (configured == NIL)
		return NULL;
	if (requested == NULL)
		return (const char *) linitial(configured);
	if (!uri_canonical_resource(requested, want, sizeof(want)))
		return NULL;
	foreach(lc, configured)
	{
		const char *r = (const char *) lfirst(lc);

		if (uri_canonical_resource(r, have, sizeof(have)) && strcmp(want, have) == 0)
			return r;
	}
	return NULL;
}
