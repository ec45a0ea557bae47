/*
 * pkce.c
 *		Proof Key for Code Exchange, S256 only (RFC 7636, OAuth 2.1).
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#include "lib/pkce.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/base64url.h"
#include "lib/form.h"

#define PKCE_VERIFIER_MIN 43
#define PKCE_VERIFIER_MAX 128
#define PKCE_CHALLENGE_LEN 43	/* base64url of a SHA-256 digest */

/* Whether v is a valid code_verifier: 43 to 128 unreserved characters (RFC 7636 section 4.1). */
bool
pkce_verifier_valid(const char *v)
{
	size_t		n;
	size_t		i;

	if (v == NULL)
		return false;
	n = strnlen(v, PKCE_VERIFIER_MAX + 1);
	if (n < PKCE_VERIFIER_MIN || n > PKCE_VERIFIER_MAX)
		return false;
	for (i = 0; i < n; i++)
	{
		if (!form_unreserved((unsigned char) v[i]))
			return false;
	}
	return true;
}

/*
 * Whether c is a valid S256 code_challenge: exactly 43 base64url characters
 * in canonical form (what a SHA-256 digest encodes to).
 */
bool
pkce_challenge_valid(const char *c)
{
	unsigned char buf[32];
	size_t		len;

	if (c == NULL || strnlen(c, PKCE_CHALLENGE_LEN + 1) != PKCE_CHALLENGE_LEN)
		return false;
	if (b64url_decode(c, PKCE_CHALLENGE_LEN, buf, &len) != 0)
		return false;
	return len == sizeof(buf);
}

/* Whether BASE64URL(SHA256(verifier)) equals challenge, in constant time. */
bool
pkce_s256_matches(const char *verifier, const char *challenge)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char		enc[PKCE_CHALLENGE_LEN + 1];

	if (!pkce_verifier_valid(verifier) || !pkce_challenge_valid(challenge))
		return false;
	if (EVP_Digest(verifier, strlen(verifier), digest, &dlen,
				   EVP_sha256(), NULL) != 1 || dlen != 32)
		return false;
	if (b64url_encode(digest, dlen, enc) != PKCE_CHALLENGE_LEN)
		return false;
	return CRYPTO_memcmp(enc, challenge, PKCE_CHALLENGE_LEN) == 0;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
