/*
 * jwt.h
 *		Compact JWS (RFC 7515) signing and verification for RFC 9068 access
 *		tokens: ES256 (raw r||s signatures, RFC 7518 section 3.4) and EdDSA
 *		(Ed25519, RFC 8037), with OpenSSL 3.  Verification only of RS256 and
 *		PS256 (RFC 7518 sections 3.3 and 3.5), for client assertions (RFC
 *		7523) signed with a client's RSA key.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.  Keys are EVP_PKEY handles the
 * caller loads once and caches.
 */
#ifndef MCP_OAUTH_JWT_H
#define MCP_OAUTH_JWT_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

#include "json.h"

#define JWT_MAX_LEN 8192

/* RSA moduli verified: at least 2048 bits (RFC 7518 section 3.3), at most 8192. */
#define JWT_RSA_MIN_BITS 2048
#define JWT_RSA_MAX_BITS 8192

typedef enum jwt_alg
{
	JWT_ALG_UNKNOWN = 0,
	JWT_ALG_ES256,
	JWT_ALG_EDDSA,
	JWT_ALG_RS256,				/* verification only */
	JWT_ALG_PS256				/* verification only */
} jwt_alg;

/*
 * "ES256" / "EdDSA" / "RS256" / "PS256" to the enum (exact, case-sensitive);
 * JWT_ALG_UNKNOWN otherwise ("none" and every HMAC algorithm included).
 */
extern jwt_alg jwt_alg_from_name(const char *name);
extern const char *jwt_alg_name(jwt_alg alg);

/* Whether we sign with alg (ES256, EdDSA); RS256 and PS256 are only verified. */
extern bool jwt_alg_signs(jwt_alg alg);

/*
 * Whether key is of the type alg needs: P-256 for ES256, Ed25519 for
 * EdDSA, RSA of JWT_RSA_MIN_BITS to JWT_RSA_MAX_BITS for RS256 and PS256.
 */
extern bool jwt_key_fits_alg(EVP_PKEY *key, jwt_alg alg);

/* A new private key for alg (P-256 or Ed25519); NULL on failure. */
extern EVP_PKEY *jwt_generate_key(jwt_alg alg);

/* PEM (PKCS#8) of a private key into a new string from alloc; NULL on failure. */
extern char *jwt_private_key_pem(EVP_PKEY *key, json_alloc_fn alloc);

/* Load a PKCS#8 PEM private key; NULL on failure. */
extern EVP_PKEY *jwt_load_private_key(const char *pem);

/*
 * The public JWK of key as a JSON object text, with "kid", "alg", "use":"sig"
 * ({"kty":"EC","crv":"P-256","x","y"} or {"kty":"OKP","crv":"Ed25519","x"}).
 */
extern char *jwt_public_jwk(EVP_PKEY *key, jwt_alg alg, const char *kid,
							json_alloc_fn alloc);

/*
 * The RFC 7638 JWK thumbprint of the public part of key: base64url of the
 * SHA-256 of its required members in canonical form (used as "kid").
 */
extern char *jwt_thumbprint(EVP_PKEY *key, jwt_alg alg, json_alloc_fn alloc);

/*
 * Sign: header {"alg","typ":"at+jwt","kid"} and the given claims JSON
 * object text; returns the compact serialization, or NULL on failure.
 */
extern char *jwt_sign(EVP_PKEY *key, jwt_alg alg, const char *kid,
					  const char *claims_json, json_alloc_fn alloc);

/*
 * A key made ready for repeated signing and verification (the digest and
 * the ES256 contexts are fetched and initialized once).  jwt_key_new takes
 * a reference to key and returns NULL if key is not of alg's type
 * (jwt_key_fits_alg); free with jwt_key_free.  Memory from malloc: not for
 * concurrent use.  An RS256 or PS256 key verifies only (jwt_key_sign gives
 * NULL).
 */
typedef struct jwt_key jwt_key;

extern jwt_key *jwt_key_new(EVP_PKEY *key, jwt_alg alg);
extern void jwt_key_free(jwt_key *key);

/* jwt_sign with a prepared key (NULL key: NULL). */
extern char *jwt_key_sign(jwt_key *key, const char *kid, const char *claims_json,
						  json_alloc_fn alloc);

/* A compact JWS taken apart, before its signature is checked. */
typedef struct jwt_parsed
{
	json_doc header;
	json_doc claims;
	jwt_alg		alg;			/* from header "alg" */
	const char *kid;			/* from header "kid", or NULL */
	const char *typ;			/* from header "typ", or NULL */
	const char *signing_input;	/* "header.payload" */
	size_t		signing_input_len;
	unsigned char *signature;
	size_t		signature_len;
} jwt_parsed;

/*
 * Split and decode a compact JWS: three base64url parts, header and claims
 * strict JSON objects.  Does not check the signature.  Returns NULL on
 * success, else a short reason (no trailing period).
 */
extern const char *jwt_parse(const char *token, json_alloc_fn alloc,
							 jwt_parsed *out);

/*
 * Check the signature of a parsed token with the public part of key; the
 * header alg must equal alg (no algorithm confusion).
 */
extern bool jwt_verify_signature(const jwt_parsed *jwt, EVP_PKEY *key,
								 jwt_alg alg);

/* jwt_verify_signature with a prepared key (NULL key: false). */
extern bool jwt_key_verify(jwt_key *key, const jwt_parsed *jwt);

#endif
