/*
 * cimd.h
 *		Client ID Metadata Documents (cimd.c): clients whose client_id is
 *		the https URL of a JSON document describing them.
 */
#ifndef MCP_OAUTH_CIMD_H
#define MCP_OAUTH_CIMD_H

#include "mcp_oauth.h"

/*
 * Validate body, the document fetched from url, and make or update the
 * 'metadata' clients row it describes.  NULL when stored; else why not (a
 * phrase), with *not_json set when body is not a JSON object.  Inside SPI.
 */
extern const char *mo_cimd_store(const char *url, const char *body,
								 bool *not_json);

#endif							/* MCP_OAUTH_CIMD_H */
