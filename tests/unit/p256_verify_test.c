/*
 * p256_verify_test.c
 *		Unit tests of lib/p256_verify.c against OpenSSL's own ECDSA verify:
 *		for thousands of signatures, altered signatures and digests, edge
 *		digests (0, n-1, n, n+1, 2^256-1), out-of-range r and s, the other
 *		s of each pair, and another key's signatures, both must answer the
 *		same, and every genuine signature must verify.  A check counts a
 *		whole series; the first few differences are printed.
 */
#include "lib/p256_verify.h"
#include "ecdsa_oracle.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "unit.h"

#define ROUNDS 2000

/* P-256's group order n, big-endian. */
static const unsigned char order_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};

static int	disagreements;		/* answers that differed from OpenSSL's */

/* Ours, counting (and showing the first few) answers OpenSSL differs on. */
static int
agree(p256_verifier *v, EVP_PKEY *key, const unsigned char *digest,
	  const unsigned char *sig, const char *what, int i)
{
	int			ours = p256_verify(v, digest, sig);
	int			theirs = oracle_verify(key, digest, sig);

	if (ours != theirs && ++disagreements <= 5)
		printf("%s %d: ours %d, OpenSSL %d\n", what, i, ours, theirs);
	return ours;
}

/* The other s of a signature: n - s (also valid for ECDSA). */
static void
negate_s(const unsigned char *sig, unsigned char *out)
{
	BIGNUM	   *n = BN_bin2bn(order_n, 32, NULL);
	BIGNUM	   *s = BN_bin2bn(sig + 32, 32, NULL);

	BN_sub(s, n, s);
	memcpy(out, sig, 32);
	BN_bn2binpad(s, out + 32, 32);
	BN_free(n);
	BN_free(s);
}

/* Genuine, altered and foreign signatures over random digests. */
static void
test_random(p256_verifier *v, EVP_PKEY *key, EVP_PKEY *other)
{
	unsigned char digest[32],
				sig[64],
				alt[64],
				altd[32];
	int			genuine = 0,
				altered = 0,
				foreign = 0,
				negated = 0;

	disagreements = 0;
	for (int i = 0; i < ROUNDS; i++)
	{
		RAND_bytes(digest, sizeof(digest));
		oracle_sign(key, digest, sig);
		genuine += agree(v, key, digest, sig, "genuine", i) == 1;
		memcpy(alt, sig, 64);
		alt[i % 64] ^= (unsigned char) (1 << (i % 8));
		altered += agree(v, key, digest, alt, "bit flipped in signature", i) == 0;
		memcpy(altd, digest, 32);
		altd[i % 32] ^= 0x01;
		altered += agree(v, key, altd, sig, "bit flipped in digest", i) == 0;
		negate_s(sig, alt);
		negated += agree(v, key, digest, alt, "n - s", i) == 1;
		oracle_sign(other, digest, alt);
		foreign += agree(v, key, digest, alt, "another key's", i) == 0;
	}
	CHECK(disagreements == 0, "%d answers differ from OpenSSL's", disagreements);
	CHECK(genuine == ROUNDS, "%d of %d genuine signatures verified", genuine, ROUNDS);
	CHECK(negated == ROUNDS, "%d of %d (r, n - s) verified", negated, ROUNDS);
	CHECK(altered == 2 * ROUNDS, "%d of %d altered signatures or digests refused",
		  altered, 2 * ROUNDS);
	CHECK(foreign == ROUNDS, "%d of %d other key's signatures refused", foreign, ROUNDS);
}

/* Digests at the edges of the scalar range. */
static void
test_edge_digests(p256_verifier *v, EVP_PKEY *key)
{
	unsigned char digests[5][32];
	unsigned char sig[64];

	memset(digests[0], 0, 32);	/* e = 0: u1 = 0 */
	memcpy(digests[1], order_n, 32);	/* e = n: u1 = 0 */
	memcpy(digests[2], order_n, 32);
	digests[2][31]--;			/* n - 1 */
	memcpy(digests[3], order_n, 32);
	digests[3][31]++;			/* n + 1 */
	memset(digests[4], 0xff, 32);	/* 2^256 - 1 */
	disagreements = 0;
	for (int i = 0; i < 5; i++)
	{
		oracle_sign(key, digests[i], sig);
		CHECK(agree(v, key, digests[i], sig, "edge digest", i) == 1,
			  "edge digest %d refused", i);
	}
	CHECK(disagreements == 0, "%d answers differ from OpenSSL's", disagreements);
}

/* r and s out of [1, n-1]: 0, n, n + 1, 2^256 - 1. */
static void
test_out_of_range(p256_verifier *v, EVP_PKEY *key)
{
	unsigned char digest[32],
				sig[64],
				bad[64];
	unsigned char values[4][32];

	memset(values[0], 0, 32);
	memcpy(values[1], order_n, 32);
	memcpy(values[2], order_n, 32);
	values[2][31]++;
	memset(values[3], 0xff, 32);
	disagreements = 0;
	RAND_bytes(digest, sizeof(digest));
	oracle_sign(key, digest, sig);
	for (int i = 0; i < 4; i++)
	{
		memcpy(bad, sig, 64);
		memcpy(bad, values[i], 32);
		CHECK(agree(v, key, digest, bad, "r out of range", i) == 0, "r %d accepted", i);
		memcpy(bad, sig, 64);
		memcpy(bad + 32, values[i], 32);
		CHECK(agree(v, key, digest, bad, "s out of range", i) == 0, "s %d accepted", i);
	}
	CHECK(disagreements == 0, "%d answers differ from OpenSSL's", disagreements);
}

int
main(void)
{
	EVP_PKEY   *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY   *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY   *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY   *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	p256_verifier *v = p256_verifier_new(key);

	CHECK(v != NULL, "no verifier for a P-256 key");
	CHECK(p256_verifier_new(ed) == NULL, "a verifier for an Ed25519 key");
	CHECK(p256_verifier_new(p384) == NULL, "a verifier for a P-384 key");
	CHECK(p256_verifier_new(NULL) == NULL, "a verifier for no key");
	if (v != NULL)
	{
		test_random(v, key, other);
		test_edge_digests(v, key);
		test_out_of_range(v, key);
	}
	p256_verifier_free(v);
	p256_verifier_free(NULL);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(p384);
	return unit_done("p256_verify_test");
}
