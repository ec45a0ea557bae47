/*
 * fuzz_p256_verify.c
 *		libFuzzer harness for lib/p256_verify.c: for a digest and a raw r||s
 *		signature (the first 96 bytes of the input; the rest, if any, is
 *		signed for a genuine signature instead), the table verifier answers
 *		exactly as OpenSSL's ECDSA verify does, for one fixed key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "lib/p256_verify.h"
#include "../unit/ecdsa_oracle.h"

static EVP_PKEY *key;
static p256_verifier *verifier;

/* One fuzz input: digest || r || s, or a message to sign. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char digest[32],
				sig[64];

	if (key == NULL)
	{
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (key == NULL || (verifier = p256_verifier_new(key)) == NULL)
			abort();
	}
	if (size < 96)
	{
		SHA256(data, size, digest);
		oracle_sign(key, digest, sig);
		if (p256_verify(verifier, digest, sig) != 1)
			abort();
		return 0;
	}
	memcpy(digest, data, 32);
	memcpy(sig, data + 32, 64);
	if (p256_verify(verifier, digest, sig) != oracle_verify(key, digest, sig))
		abort();
	return 0;
}
