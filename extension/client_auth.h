/*
 * client_auth.h
 *		Private to the token, revocation and introspection endpoints:
 *		client authentication (RFC 6749 section 2.3), SPI plan caching,
 *		and the refresh token and grant lookups they share.
 */
#ifndef MCP_OAUTH_CLIENT_AUTH_H
#define MCP_OAUTH_CLIENT_AUTH_H

#include "mcp_oauth.h"

#include "executor/spi.h"

/* An authenticated client. */
typedef struct MoClient
{
	char	   *client_id;
	bool		confidential;	/* authenticated with a secret or a key */
	List	   *grant_types;	/* List of char * */
	bool		introspection_allowed;	/* other clients' access tokens too */
} MoClient;

/*
 * Authenticate the client of a request to our endpoint endpoint_path
 * ("/token", "/revoke", "/introspect") from the Authorization header and
 * the parsed form body.  On failure fills err (400 invalid_request or 401
 * invalid_client, with a Basic challenge when the client tried Basic),
 * audits client_auth_failed, returns false.  Also false, with err the
 * need-fetch answer (status 0, not audited), when a private_key_jwt
 * client's keys must be fetched first.
 */
extern bool mo_client_authenticate(const char *authorization, const form *params,
								   const char *endpoint_path,
								   const char *client_addr, MoClient *client,
								   MoResponse *err);

/* The part of an endpoint that runs once the client is authenticated. */
typedef void (*MoClientHandler) (const form *params, const MoClient *client,
								 const char *client_addr, MoResponse *r);

/*
 * Run the endpoint at endpoint_path taking (content_type, authorization,
 * body, client_addr):
 * connect SPI, parse the form body, authenticate the client, call handler,
 * and return the http_response row (always Cache-Control: no-store).  A
 * request that fails is audited as failure_event with its OAuth error and
 * client, unless it was audited already (client_auth_failed, or the
 * handler set r->audited).
 */
extern Datum mo_client_endpoint(FunctionCallInfo fcinfo, const char *endpoint_path,
								MoClientHandler handler, const char *failure_event);

/* A grant row, as the token and revocation paths read it. */
typedef struct MoGrant
{
	int64		grant_id;
	char	   *subject;
	char	   *client_id;
	List	   *scopes;
	char	   *resource;
	bool		revoked;
	bool		expired;
	TimestampTz expires_at;		/* absolute limit of the family */
} MoGrant;

/* Read the grant grant_id into *g, locking it FOR UPDATE; false if none. */
extern bool mo_lock_grant(int64 grant_id, MoGrant *g);

/* What mo_lock_grant_of finds the grant of. */
typedef enum MoGrantOf
{
	MO_GRANT_OF_CODE,			/* an authorization code, by code_hash */
	MO_GRANT_OF_REFRESH			/* a refresh token, by token_hash */
} MoGrantOf;

/*
 * Read the grant of a code or refresh token (by its hash) into *g, locking
 * it FOR UPDATE (the lock order: grant first, then the code or token row);
 * false if none.
 */
extern bool mo_lock_grant_of(MoGrantOf of, bytea *hash, MoGrant *g);

#endif							/* MCP_OAUTH_CLIENT_AUTH_H */
