/*
 * jwk.h
 *		JWK Sets (RFC 7517) of client public keys, for private_key_jwt client
 *		authentication (RFC 7523): RSA (RFC 7518 section 6.3), EC P-256
 *		(section 6.2) and OKP Ed25519 (RFC 8037) keys read into OpenSSL
 *		handles, and the choice of the key that checks a JWS.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.  A set is read with the one
 * JSON reader (json.h) and bounded: JWK_SET_MAX_LEN bytes, JWK_MAX_KEYS
 * keys.  A key the server cannot use for a signature is left out of the
 * set, as RFC 7517 section 5 asks: "use" other than "sig", "key_ops"
 * without "verify", an unknown "kty" or curve ("oct" included: no HMAC),
 * an "alg" that is not one of ours or does not fit the key type, a private
 * key ("d"), an RSA modulus outside JWT_RSA_MIN_BITS..JWT_RSA_MAX_BITS, an
 * EC point not on the curve, or a malformed member.
 */
#ifndef MCP_OAUTH_JWK_H
#define MCP_OAUTH_JWK_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

#include "json.h"
#include "jwt.h"

#define JWK_SET_MAX_LEN (64 * 1024)	/* the fetcher's cap for a JWK Set */
#define JWK_MAX_KEYS 20			/* elements of "keys", usable or not */
#define JWK_KID_MAX_LEN 256

/* A usable public key of a set. */
typedef struct jwk_key
{
	const char *kid;			/* "kid", or NULL */
	jwt_alg		alg;			/* its own "alg", or JWT_ALG_UNKNOWN if none */
	EVP_PKEY   *pkey;			/* owned by the set: jwk_set_free */
} jwk_key;

typedef struct jwk_set
{
	jwk_key		keys[JWK_MAX_KEYS];
	int			count;			/* usable keys */
	int			ignored;		/* elements of "keys" left out */
} jwk_set;

/*
 * Read a JWK Set: a JSON object whose "keys" is an array of at most
 * JWK_MAX_KEYS elements.  Returns NULL with the usable keys in out, or a
 * short reason (no trailing period) with out empty: not a set, too large,
 * too many keys, or no usable key.  Free with jwk_set_free either way.
 */
extern const char *jwk_set_parse(const char *text, size_t len,
								 json_alloc_fn alloc, jwk_set *out);

/* Free the OpenSSL handles of a set (and empty it). */
extern void jwk_set_free(jwk_set *set);

/* Whether key may check a signature of alg: its type fits, and its own "alg" if any. */
extern bool jwk_key_fits(const jwk_key *key, jwt_alg alg);

typedef enum jwk_find_result
{
	JWK_FOUND,
	JWK_NOT_FOUND,				/* no key fits (an unknown kid) */
	JWK_AMBIGUOUS				/* more than one key fits */
} jwk_find_result;

/*
 * The key that checks a JWS whose header has kid (NULL: none) and alg:
 * the one key with that kid that fits alg, or, without a kid, the only key
 * of the set that fits alg.
 */
extern jwk_find_result jwk_set_find(const jwk_set *set, const char *kid,
									jwt_alg alg, const jwk_key **out);

#endif
