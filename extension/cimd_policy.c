/*
 * cimd_policy.c
 *		What an operator decides about Client ID Metadata Documents
 *		(cimd.c): whether they are accepted at all
 *		(mcp_oauth.client_metadata_documents), the hosts whose documents are
 *		refused (mcp_oauth.client_metadata_denied_hosts), and how many
 *		fetches one client address may cause
 *		(mcp_oauth.client_metadata_fetch_rate_limit).
 *
 * Decisions (see also extension/DESIGN.md):
 *	- Turned off, or on a denied host, a URL client_id is refused at the
 *	  authorization endpoint with a page for the person, before anything is
 *	  read or fetched, even when a copy of its document is stored.  Grants
 *	  and tokens already issued do not depend on the document and keep
 *	  working at /token (revoke_grant or delete_client ends them).
 *	- Anyone can make up a URL on a host of their own, so an authorization
 *	  request that needs no sign-in could make the server fetch, store a
 *	  row, write an audit row and change clients (which empties every
 *	  backend's copy of it) for each new URL.  A need-fetch answer is
 *	  therefore counted per client address (ratelimit.c: an IPv6 address by
 *	  its /64, allow-listed ranges not counted) over a sliding hour, like
 *	  registrations; over the limit the person gets a 429 and nothing is
 *	  fetched or stored.  A document whose stored copy can be used asks for
 *	  no fetch and is never counted, nor is a request without an address
 *	  (a backend calling authorize() itself).
 */
#include "mcp_oauth.h"

#include "cimd.h"
#include "lib/uri.h"

/* Registrations' window: an hour, so that Retry-After: 3600 holds for both. */
#define CIMD_FETCH_WINDOW_SECS 3600

/* Why the operator refuses client_id (a document URL), or NULL. */
const char *
mo_cimd_refusal(const char *client_id)
{
	if (!mo_client_metadata_documents)
		return "this server does not accept a client metadata document URL as client_id; "
			"the application must register first";
	if (uri_host_listed(client_id, mo_client_metadata_denied_hosts))
		return "this server refuses client metadata documents published on this host";
	return NULL;
}

/*
 * Count a fetch of a client metadata document asked for by client_addr
 * (inet text or NULL); false with a 429 in r when over the limit.
 */
bool
mo_cimd_fetch_allowed(const char *client_addr, MoResponse *r)
{
	const char *bucket[1];
	char	   *key;

	if (mo_client_metadata_fetch_rate_limit <= 0 || client_addr == NULL)
		return true;
	key = mo_rate_limit_addr(client_addr);
	if (mo_rate_limit_allowlisted(client_addr, key))
		return true;
	bucket[0] = psprintf("cimd-fetch:addr:%s", key);
	if (mo_rate_limit_take(bucket, 1, CIMD_FETCH_WINDOW_SECS,
						   mo_client_metadata_fetch_rate_limit))
		return true;
	mo_error_response(r, 429, "temporarily_unavailable",
					  "too many client metadata documents were fetched for your network address; try again later");
	return false;
}
