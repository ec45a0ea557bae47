/*
 * pkce.h
 *		Proof Key for Code Exchange, S256 only (RFC 7636, OAuth 2.1).
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#ifndef MCP_OAUTH_PKCE_H
#define MCP_OAUTH_PKCE_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>

/* Whether v is a valid code_verifier: 43 to 128 of [A-Za-z0-9-._~]. */
extern bool pkce_verifier_valid(const char *v);

/*
 * Whether c is a valid S256 code_challenge: exactly 43 base64url characters
 * in canonical form (as every SHA-256 digest encodes).
 */
extern bool pkce_challenge_valid(const char *c);

/*
 * Whether BASE64URL(SHA256(verifier)) equals challenge, compared in
 * constant time.  False for an invalid verifier or challenge.
 */
extern bool pkce_s256_matches(const char *verifier, const char *challenge);

#endif
