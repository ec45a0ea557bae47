/*
 * clients.h
 *		The per-backend copy of client rows (clients.c).
 */
#ifndef MCP_OAUTH_CLIENTS_H
#define MCP_OAUTH_CLIENTS_H

#include "mcp_oauth.h"

/* A registered client, as the endpoints need it. */
typedef struct MoClientRow
{
	char	   *client_id;
	char	   *client_name;	/* NULL when it has none */
	bytea	   *secret_hash;	/* SHA-256 of the secret; NULL for public clients */
	char	   *auth_method;	/* token_endpoint_auth_method */
	List	   *redirect_uris;	/* List of char * */
	List	   *grant_types;	/* List of char * */
	char	   *scope;			/* NULL: every known scope */
	char	   *kind;			/* builtin, static (an admin's), dynamic or
								 * metadata (its client_id is its document's URL) */
	bool		loopback_only;
	TimestampTz created_at;
	TimestampTz last_used_at;	/* DT_NOBEGIN when never used */
	bool		introspection_allowed;	/* other clients' tokens too */
	List	   *approved_redirect_uris;	/* registered URIs a person approved */
	bool		records_consent;	/* the schema has approved_redirect_uris (0.3.0) */
	char	   *jwks;			/* JWK Set (JSON text) for private_key_jwt, or
								 * NULL (always before 0.5.0) */
	char	   *jwks_uri;		/* where it is fetched from, or NULL */
} MoClientRow;

extern void mo_clients_init(void);
extern bool mo_client_get(const char *client_id, MoClientRow *out);
extern void mo_client_touched(const char *client_id);
extern bool mo_client_redirects_errors(const MoClientRow *c,
									   const char *redirect_uri);
extern void mo_client_consented(const MoClientRow *c, const char *redirect_uri);

#endif
