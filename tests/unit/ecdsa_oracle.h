/*
 * ecdsa_oracle.h
 *		OpenSSL's own ECDSA P-256 signing and verification over raw r||s
 *		signatures: the oracle lib/p256_verify.c is compared with, by its
 *		unit test and its fuzz harness.
 */
#ifndef MCP_OAUTH_ECDSA_ORACLE_H
#define MCP_OAUTH_ECDSA_ORACLE_H

#include <stdlib.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

/* OpenSSL's answer for raw r||s over a 32-byte digest: 1 valid, 0 not. */
static int
oracle_verify(EVP_PKEY *key, const unsigned char *digest, const unsigned char *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ECDSA_SIG  *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int			len,
				ok;

	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	len = i2d_ECDSA_SIG(es, &der);
	ok = EVP_PKEY_verify_init(ctx) == 1 &&
		EVP_PKEY_verify(ctx, der, len, digest, 32) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* Sign a 32-byte digest with key into raw r||s; aborts on failure. */
static void
oracle_sign(EVP_PKEY *key, const unsigned char *digest, unsigned char *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	unsigned char der[80];
	const unsigned char *p = der;
	size_t		len = sizeof(der);
	ECDSA_SIG  *es;

	if (EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_sign(ctx, der, &len, digest, 32) != 1 ||
		(es = d2i_ECDSA_SIG(NULL, &p, (long) len)) == NULL)
		abort();
	BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
}

#endif
