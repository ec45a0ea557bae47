/*
 * p256_verify.h
 *		ECDSA P-256 verification against one public key, with a table of
 *		the key's multiples made once (OpenSSL 3 EC primitives).
 *
 * OpenSSL's verification computes u1*G + u2*Q with a precomputed table for
 * the generator G only; the multiple of the public key Q is computed from
 * scratch each time, which is most of its cost.  A verifier made for one
 * key keeps a second group whose generator is Q, with the same kind of
 * table, so both products are fixed-base: about 1.8 times faster.  Making
 * one costs about 20 ms and 150 KB, so it pays for a key that verifies
 * many signatures.  Only public values are involved.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.  Not for concurrent use.
 */
#ifndef P256_VERIFY_H
#define P256_VERIFY_H

#include <openssl/evp.h>

typedef struct p256_verifier p256_verifier;

/* A verifier for the P-256 public key of pub; NULL on failure. */
extern p256_verifier *p256_verifier_new(EVP_PKEY *pub);

/* Free a verifier (NULL is fine). */
extern void p256_verifier_free(p256_verifier *v);

/*
 * Whether sig (raw r||s, 64 bytes) is a valid signature of the 32-byte
 * digest: 1 valid, 0 invalid, -1 on a library failure (no answer).
 */
extern int	p256_verify(p256_verifier *v, const unsigned char *digest,
						const unsigned char *sig);

#endif							/* P256_VERIFY_H */
