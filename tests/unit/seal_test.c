/*
 * seal_test.c
 *		Unit tests of lib/seal.c: round trip, wrong key, tampering, nonces.
 */
#include "lib/seal.h"

#include "unit.h"

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

int
main(void)
{
	test_round_trip();
	test_empty();
	return unit_done("seal_test");
}
