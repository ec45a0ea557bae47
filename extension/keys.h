/*
 * keys.h
 *		Private to keys.c, metadata.c and verify.c: the published signing
 *		keys, for the JWKS and for checking JWT signatures.
 */
#ifndef MCP_OAUTH_KEYS_H
#define MCP_OAUTH_KEYS_H

#include "mcp_oauth.h"

#include "lib/jwt.h"

/*
 * Whether the signature of jwt checks out with the published key its
 * header names ("kid"), whose alg must equal the header's.  On failure
 * *reason says why (no secret in it).
 */
extern bool mo_check_jwt_signature(const jwt_parsed *jwt, const char **reason);

/* The JWKS document {"keys":[...]} of every published key (makes the first key if none). */
extern char *mo_jwks_json(void);

#endif							/* MCP_OAUTH_KEYS_H */
