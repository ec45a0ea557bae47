/*
 * cimd.h
 *		Client ID Metadata Documents (cimd.c): clients whose client_id is
 *		the https URL of a JSON document describing them.
 */
#ifndef MCP_OAUTH_CIMD_H
#define MCP_OAUTH_CIMD_H

#include "mcp_oauth.h"

#include "clients.h"

/*
 * Whether client_id names a client metadata document (it starts with
 * "https://") and the schema can keep one (0.5.0).
 */
extern bool mo_cimd_client_id(const char *client_id);

/*
 * The client of an authorization request whose client_id passed
 * mo_cimd_client_id(), into out: true when its document (or an
 * administrator's client of that client_id) is there to be used; else
 * false with r the person's 400 page (a bad URL, documents turned off or
 * the host denied, a failure remembered, the document gone), a 429 when
 * client_addr (inet text or NULL) asked for too many fetches, or the
 * need-fetch answer.  Inside SPI.
 */
extern bool mo_cimd_establish(const char *client_id, const char *client_addr,
							  MoClientRow *out, MoResponse *r);

/*
 * Validate body, the document fetched from url, and make or update the
 * 'metadata' clients row it describes.  NULL when stored; else why not (a
 * phrase), with *not_json set when body is not a JSON object.  Inside SPI.
 */
extern const char *mo_cimd_store(const char *url, const char *body,
								 bool *not_json);

/*
 * Append the consent descriptor's members of a metadata client c:
 * "metadata_host" and "loopback_redirects_only".  Nothing for other kinds.
 */
extern void mo_cimd_descriptor(StringInfo buf, const MoClientRow *c);

/* ---- the operator's controls (cimd_policy.c) ---- */

/*
 * Why the operator refuses the document URL client_id (documents turned
 * off, its host denied): a phrase for the person; NULL if not refused.
 */
extern const char *mo_cimd_refusal(const char *client_id);

/*
 * Count one fetch of a client metadata document for client_addr (inet
 * text; NULL is not counted) under mcp_oauth.client_metadata_fetch_rate_limit;
 * false with a 429 temporarily_unavailable in r when over it.  Inside SPI.
 */
extern bool mo_cimd_fetch_allowed(const char *client_addr, MoResponse *r);

#endif							/* MCP_OAUTH_CIMD_H */
