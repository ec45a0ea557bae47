/*
 * seal.h
 *		Seal a secret under a key derived from another secret:
 *		HKDF-SHA256(ikm = the old token) -> AES-256-GCM, random 96-bit nonce.
 *		Used to keep a rotated refresh token's successor recoverable only
 *		by whoever holds the rotated token.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#ifndef MCP_OAUTH_SEAL_H
#define MCP_OAUTH_SEAL_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>

#define SEAL_OVERHEAD (12 + 16)	/* nonce + tag */

/*
 * The 32-byte AES key of a seal: HKDF-SHA256 (RFC 5869) of ikm, no salt,
 * info "mcp_oauth seal v1".
 */
extern bool seal_derive_key(const char *ikm, unsigned char *key);

/*
 * Seal plaintext (len bytes) under key material ikm; out has room for
 * len + SEAL_OVERHEAD and receives nonce || ciphertext || tag.
 */
extern bool seal_encrypt(const char *ikm, const unsigned char *plaintext,
						 size_t len, unsigned char *out);

/*
 * Open what seal_encrypt made (len bytes) into out (room for
 * len - SEAL_OVERHEAD); false if the key is wrong or it was altered.
 */
extern bool seal_decrypt(const char *ikm, const unsigned char *sealed,
						 size_t len, unsigned char *out);

#endif
