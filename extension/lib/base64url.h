/*
 * base64url.h
 *		base64url without padding (RFC 4648 section 5), as JOSE and PKCE use it.
 *
 * Pure C: no PostgreSQL headers, so it can be fuzzed and unit-tested alone.
 */
#ifndef MCP_OAUTH_BASE64URL_H
#define MCP_OAUTH_BASE64URL_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stddef.h>

/* Length of the encoding of n bytes, without the terminating NUL. */
extern size_t b64url_encoded_len(size_t n);

/* Largest number of bytes that n characters can decode to. */
extern size_t b64url_decoded_max(size_t n);

/*
 * Encode n bytes into out, which has room for b64url_encoded_len(n) + 1;
 * out is NUL-terminated.  Returns the length written.
 */
extern size_t b64url_encode(const unsigned char *in, size_t n, char *out);

/*
 * Decode n characters into out, which has room for b64url_decoded_max(n).
 * Refuses padding, characters outside the alphabet, a length of 1 mod 4,
 * and non-zero unused trailing bits (only the canonical encoding decodes).
 * Returns 0 and sets *outlen, or -1.
 */
extern int	b64url_decode(const char *in, size_t n, unsigned char *out,
						  size_t *outlen);

#endif
