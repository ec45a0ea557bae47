/*
 * seal_test.c
 *		Unit tests of lib/seal.c: round trip, wrong key, tampering, nonces.
 */
#include "lib/seal.h"

#include "unit.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#define OLD_TOKEN "mcp_rt_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
#define SECRET "mcp_rt_successor-token-value-0123456789-abcdefghij"

/* Seal then open; tamper with every byte. */
static void
test_round_trip(void)
{
	size_t		len = strlen(SECRET);
	unsigned char sealed[128],
				sealed2[128],
				opened[128];

	CHECK(seal_encrypt(OLD_TOKEN, (const unsigned char *) SECRET, len, sealed), "seal failed");
	CHECK(memcmp(sealed + 12, SECRET, len) != 0, "plaintext visible in sealed output");
	memset(opened, 0, sizeof(opened));
	CHECK(seal_decrypt(OLD_TOKEN, sealed, len + SEAL_OVERHEAD, opened), "open failed");
	CHECK(memcmp(opened, SECRET, len) == 0, "round trip differs");
	CHECK(!seal_decrypt(OLD_TOKEN "x", sealed, len + SEAL_OVERHEAD, opened), "wrong key opened it");
	CHECK(!seal_decrypt("", sealed, len + SEAL_OVERHEAD, opened), "empty key opened it");
	for (size_t i = 0; i < len + SEAL_OVERHEAD; i++)
	{
		sealed[i] ^= 0x01;
		CHECK(!seal_decrypt(OLD_TOKEN, sealed, len + SEAL_OVERHEAD, opened),
			  "tampered byte %zu accepted", i);
		sealed[i] ^= 0x01;
	}
	CHECK(!seal_decrypt(OLD_TOKEN, sealed, len + SEAL_OVERHEAD - 1, opened), "truncated accepted");
	CHECK(!seal_decrypt(OLD_TOKEN, sealed, SEAL_OVERHEAD - 1, opened), "too short accepted");
	/* a fresh nonce every time */
	CHECK(seal_encrypt(OLD_TOKEN, (const unsigned char *) SECRET, len, sealed2), "second seal failed");
	CHECK(memcmp(sealed, sealed2, 12) != 0, "nonce reused");
	CHECK(memcmp(sealed + 12, sealed2 + 12, len) != 0, "same ciphertext twice");
}

/* An empty plaintext still authenticates. */
static void
test_empty(void)
{
	unsigned char sealed[SEAL_OVERHEAD],
				opened[1];

	CHECK(seal_encrypt(OLD_TOKEN, (const unsigned char *) "", 0, sealed), "seal empty failed");
	CHECK(seal_decrypt(OLD_TOKEN, sealed, SEAL_OVERHEAD, opened), "open empty failed");
	sealed[SEAL_OVERHEAD - 1] ^= 0x80;
	CHECK(!seal_decrypt(OLD_TOKEN, sealed, SEAL_OVERHEAD, opened), "tampered empty accepted");
}

/* HKDF-SHA256 of ikm with the seal's info, by OpenSSL's own HKDF. */
static int
openssl_hkdf(const char *ikm, unsigned char *key)
{
	EVP_KDF    *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM	params[4];
	int			ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *) ikm, strlen(ikm));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
												  (void *) "mcp_oauth seal v1", 17);
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, key, 32, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* The key derivation: a known answer (RFC 5869 computed apart), and OpenSSL's HKDF agrees. */
static void
test_derive_key(void)
{
	static const unsigned char expected[32] = {
		0x52, 0xcc, 0x0b, 0x79, 0xe0, 0x8f, 0xb3, 0x1d, 0x8c, 0x82, 0x80, 0x40,
		0x2d, 0x8c, 0x61, 0x9b, 0x68, 0x26, 0xb6, 0xa0, 0x60, 0x82, 0x6e, 0x16,
		0x9e, 0x98, 0x74, 0x71, 0x4a, 0xbf, 0xec, 0x96};
	const char *ikms[] = {OLD_TOKEN, "", "x", SECRET, OLD_TOKEN OLD_TOKEN OLD_TOKEN};
	unsigned char key[32],
				again[32],
				theirs[32];

	CHECK(seal_derive_key(OLD_TOKEN, key), "derive failed");
	CHECK(memcmp(key, expected, 32) == 0, "known answer differs");
	for (size_t i = 0; i < sizeof(ikms) / sizeof(ikms[0]); i++)
	{
		CHECK(seal_derive_key(ikms[i], key) && seal_derive_key(ikms[i], again),
			  "derive %zu failed", i);
		CHECK(memcmp(key, again, 32) == 0, "derive %zu not repeatable", i);
		CHECK(openssl_hkdf(ikms[i], theirs), "OpenSSL HKDF %zu failed", i);
		CHECK(memcmp(key, theirs, 32) == 0, "derive %zu differs from OpenSSL's HKDF", i);
	}
	CHECK(!seal_derive_key(NULL, key), "NULL key material accepted");
}

int
main(void)
{
	test_round_trip();
	test_empty();
	test_derive_key();
	return unit_done("seal_test");
}
