/*
 * crypto.c
 *		Hashing, constant-time comparison and random tokens.
 */
#include "mcp_oauth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#include "lib/token_format.h"

/*
 * SHA-256 of s as a bytea.  The digest is fetched and its context made once
 * per backend: SHA256() fetches the algorithm (provider locks, a property
 * query) on every call.
 */
bytea *
mo_sha256(const char *s)
{
	static EVP_MD *md = NULL;
	static EVP_MD_CTX *ctx = NULL;
	bytea	   *result = palloc(VARHDRSZ + SHA256_DIGEST_LENGTH);

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	SET_VARSIZE(result, VARHDRSZ + SHA256_DIGEST_LENGTH);
	if (md == NULL || ctx == NULL ||
		EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
		EVP_DigestUpdate(ctx, s, strlen(s)) != 1 ||
		EVP_DigestFinal_ex(ctx, (unsigned char *) VARDATA(result), NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not compute SHA-256")));
	return result;
}

/* Constant-time equality; lengths are not secret. */
bool
mo_secure_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

/* prefix + 256 random bits, base64url. */
char *
mo_random_token(const char *prefix)
{
	size_t		sz = strlen(prefix) + RANDOM_TOKEN_LEN + 1;
	char	   *out = palloc(sz);

	if (!token_random(prefix, out, sz))
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not generate random bytes")));
	return out;
}

/* n random bytes into out; raises on CSPRNG failure. */
void
mo_random_bytes(unsigned char *out, size_t n)
{
	if (RAND_bytes(out, (int) n) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not generate random bytes")));
}

/* A random version 4 UUID string. */
char *
mo_random_uuid(void)
{
	unsigned char b[16];

	mo_random_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
					b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
					b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
