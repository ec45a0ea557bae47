/*
 * token_format.h
 *		The shapes of the secrets this server hands out: random opaque
 *		tokens, and personal access tokens that secret scanners can find.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 *
 * Personal access token: "mcp_pat_" + 43 base62 characters of randomness
 * (256 bits) + 6 base62 characters of CRC32 over what precedes them.
 * Base62 digits are 0-9A-Za-z in that order; the checksum is zlib's CRC-32
 * of the first 51 characters as 6 base62 digits, most significant first.
 * Refresh token: "mcp_rt_" + 43 base64url characters (256 bits).
 * Authorization code: 43 base64url characters (256 bits).
 */
#ifndef MCP_OAUTH_TOKEN_FORMAT_H
#define MCP_OAUTH_TOKEN_FORMAT_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>

#define PAT_PREFIX "mcp_pat_"
#define PAT_LEN (8 + 43 + 6)
#define REFRESH_PREFIX "mcp_rt_"
#define RANDOM_TOKEN_LEN 43		/* base64url of 32 bytes */

/*
 * prefix (may be "") + base64url of 32 bytes from the OpenSSL CSPRNG into
 * out (outsz >= strlen(prefix) + 44).  Returns false if the CSPRNG failed.
 */
extern bool token_random(const char *prefix, char *out, size_t outsz);

/* A new personal access token into out (outsz > PAT_LEN); false on CSPRNG failure. */
extern bool pat_generate(char *out, size_t outsz);

/* Whether tok has the PAT shape and a correct checksum. */
extern bool pat_valid(const char *tok);

#endif
