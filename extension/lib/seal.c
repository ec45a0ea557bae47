/*
 * seal.c
 *		Seal a secret under a key derived from another secret:
 *		HKDF-SHA256 (RFC 5869) of the given key material, then AES-256-GCM
 *		with a random 96-bit nonce.  Output: nonce || ciphertext || tag.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#include "seal.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_KEY_LEN 32

/* Domain separation: the HKDF info, also the GCM additional data. */
static const char seal_info[] = "mcp_oauth seal v1";

/*
 * HMAC-SHA256 and AES-256-GCM are fetched once per process: an implicit
 * fetch (EVP_KDF "HKDF", EVP_aes_256_gcm(), HMAC()) takes the provider
 * store's locks and parses a property query on every call.  Callers are
 * single-threaded backends.
 */
static EVP_MAC_CTX *
hmac_sha256(void)
{
	static EVP_MAC_CTX *ctx = NULL;

	if (ctx == NULL)
	{
		EVP_MAC    *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM	params[2];

		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
													 (char *) "SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
		if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, params) != 1)
		{
			EVP_MAC_CTX_free(ctx);
			ctx = NULL;
		}
		EVP_MAC_free(mac);		/* the context keeps its own reference */
	}
	return ctx;
}

/* AES-256-GCM, fetched once (as hmac_sha256). */
static const EVP_CIPHER *
aes_gcm(void)
{
	static EVP_CIPHER *cipher = NULL;

	if (cipher == NULL)
		cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	return cipher;
}

/* out = HMAC-SHA256(key, msg); false on failure. */
static bool
hmac(const unsigned char *key, size_t keylen, const void *msg, size_t len,
	 unsigned char *out)
{
	EVP_MAC_CTX *ctx = hmac_sha256();
	size_t		outlen;

	return ctx != NULL &&
		EVP_MAC_init(ctx, key, keylen, NULL) == 1 &&
		EVP_MAC_update(ctx, msg, len) == 1 &&
		EVP_MAC_final(ctx, out, &outlen, SEAL_KEY_LEN) == 1 &&
		outlen == SEAL_KEY_LEN;
}

/*
 * HKDF-SHA256 (RFC 5869) with no salt (a zero key of hash length) and the
 * seal's info, for one 32-byte block: PRK = HMAC(0^32, ikm), then
 * T(1) = HMAC(PRK, info || 0x01).
 */
bool
seal_derive_key(const char *ikm, unsigned char *key)
{
	static const unsigned char zero_salt[SEAL_KEY_LEN];
	static const unsigned char one = 1;
	unsigned char prk[SEAL_KEY_LEN];
	unsigned char info[sizeof(seal_info)];
	bool		ok;

	if (ikm == NULL)
		return false;
	memcpy(info, seal_info, sizeof(seal_info) - 1);
	info[sizeof(seal_info) - 1] = one;
	ok = hmac(zero_salt, sizeof(zero_salt), ikm, strlen(ikm), prk) &&
		hmac(prk, sizeof(prk), info, sizeof(info), key);
	OPENSSL_cleanse(prk, sizeof(prk));
	/* the reused context keeps its last key (the PRK): key it with zeros */
	if (hmac_sha256() == NULL ||
		EVP_MAC_init(hmac_sha256(), zero_salt, sizeof(zero_salt), NULL) != 1)
		ok = false;
	if (!ok)
		OPENSSL_cleanse(key, SEAL_KEY_LEN);
	return ok;
}

/* Encrypt len bytes with key and nonce into ct, tag into tag. */
static bool
gcm_encrypt(const unsigned char *key, const unsigned char *nonce,
			const unsigned char *in, size_t len, unsigned char *ct,
			unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int			n,
				fin;
	bool		ok;

	if (ctx == NULL || aes_gcm() == NULL)
	{
		EVP_CIPHER_CTX_free(ctx);
		return false;
	}
	ok = EVP_EncryptInit_ex(ctx, aes_gcm(), NULL, key, nonce) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *) seal_info,
						  (int) sizeof(seal_info) - 1) == 1 &&
		EVP_EncryptUpdate(ctx, ct, &n, in, (int) len) == 1 &&
		EVP_EncryptFinal_ex(ctx, ct + n, &fin) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Decrypt and authenticate; false if the tag does not match. */
static bool
gcm_decrypt(const unsigned char *key, const unsigned char *nonce,
			const unsigned char *ct, size_t len, const unsigned char *tag,
			unsigned char *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int			n,
				fin;
	bool		ok;

	if (ctx == NULL || aes_gcm() == NULL)
	{
		EVP_CIPHER_CTX_free(ctx);
		return false;
	}
	ok = EVP_DecryptInit_ex(ctx, aes_gcm(), NULL, key, nonce) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
							(void *) tag) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *) seal_info,
						  (int) sizeof(seal_info) - 1) == 1 &&
		EVP_DecryptUpdate(ctx, out, &n, ct, (int) len) == 1 &&
		EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Seal plaintext under ikm into out (len + SEAL_OVERHEAD bytes). */
bool
seal_encrypt(const char *ikm, const unsigned char *plaintext, size_t len,
			 unsigned char *out)
{
	unsigned char key[SEAL_KEY_LEN];
	bool		ok;

	if (len > 1024 * 1024 || !seal_derive_key(ikm, key))
		return false;
	ok = RAND_bytes(out, SEAL_NONCE_LEN) == 1 &&
		gcm_encrypt(key, out, plaintext, len, out + SEAL_NONCE_LEN,
					out + SEAL_NONCE_LEN + len);
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

/* Open what seal_encrypt made into out; false if the key is wrong or it was altered. */
bool
seal_decrypt(const char *ikm, const unsigned char *sealed, size_t len,
			 unsigned char *out)
{
	unsigned char key[SEAL_KEY_LEN];
	size_t		ctlen;
	bool		ok;

	if (len < SEAL_OVERHEAD || len > 1024 * 1024 + SEAL_OVERHEAD ||
		!seal_derive_key(ikm, key))
		return false;
	ctlen = len - SEAL_OVERHEAD;
	ok = gcm_decrypt(key, sealed, sealed + SEAL_NONCE_LEN, ctlen,
					 sealed + SEAL_NONCE_LEN + ctlen, out);
	OPENSSL_cleanse(key, sizeof(key));
	if (!ok)
	{
		OPENSSL_cleanse(out, ctlen);
		ERR_clear_error();
	}
	return ok;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
