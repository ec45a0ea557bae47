/*
 * client_assertion.h
 *		private_key_jwt client authentication (RFC 7523 sections 2.2 and 3)
 *		at the token, revocation and introspection endpoints
 *		(client_assertion.c), for client_auth.c.
 */
#ifndef MCP_OAUTH_CLIENT_ASSERTION_H
#define MCP_OAUTH_CLIENT_ASSERTION_H

#include "mcp_oauth.h"

#include "clients.h"

/* The client_assertion_type of a JWT client assertion (RFC 7523 section 2.2). */
#define MO_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

typedef enum MoAssertionOutcome
{
	MO_ASSERTION_VALID,			/* signed by the client, claims right, jti new */
	MO_ASSERTION_INVALID,		/* *reason says why (401 invalid_client) */
	MO_ASSERTION_NEED_FETCH		/* r holds the need-fetch answer (status 0) */
} MoAssertionOutcome;

/*
 * The client an assertion names: its "sub" claim (RFC 7523 section 3:
 * sub is the client_id), before anything is checked; NULL when the
 * assertion does not parse or sub is no text.
 */
extern char *mo_client_assertion_subject(const char *assertion);

/*
 * Check assertion as the authentication of client (whose auth method is
 * private_key_jwt) at our endpoint endpoint_path ("/token", "/revoke",
 * "/introspect").  Its claims first (iss = sub = client_id, aud naming
 * us, exp near, nbf and iat, jti), then its signature with the client's
 * key: from clients.jwks, or from clients.jwks_uri through
 * fetched_documents (an unknown kid refetches the set at most once a
 * minute), then its jti, recorded until exp.  Inside SPI.
 */
extern MoAssertionOutcome mo_client_assertion_check(const MoClientRow *client,
													const char *assertion,
													const char *endpoint_path,
													MoResponse *r,
													const char **reason);

#endif							/* MCP_OAUTH_CLIENT_ASSERTION_H */
