/*
 * token_format.c
 *		Random opaque tokens and checksummed personal access tokens.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 *
 * Base62 digits are "0-9A-Za-z" in that order; the PAT checksum is the
 * CRC-32 (ISO-HDLC, as zlib computes it) of "mcp_pat_" and the 43 random
 * characters, written as 6 base62 digits, most significant first.
 */
#include "lib/token_format.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lib/base64url.h"

#define PAT_BODY_LEN 43
#define PAT_CRC_LEN 6
#define PAT_PREFIX_LEN (sizeof(PAT_PREFIX) - 1)

static const char base62_digits[] =
"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* prefix + base64url of 32 CSPRNG bytes into out; false on failure or if out is too small. */
bool
token_random(const char *prefix, char *out, size_t outsz)
{
	unsigned char raw[32];
	size_t		plen;

	if (prefix == NULL)
		prefix = "";
	plen = strlen(prefix);
	if (out == NULL || outsz < plen + RANDOM_TOKEN_LEN + 1)
		return false;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	memcpy(out, prefix, plen);
	b64url_encode(raw, sizeof(raw), out + plen);
	OPENSSL_cleanse(raw, sizeof(raw));
	return true;
}

/* CRC-32 (reflected, polynomial 0xEDB88320) of n bytes of s. */
static uint32_t
pat_crc32(const char *s, size_t n)
{
	uint32_t	crc = 0xFFFFFFFFu;
	size_t		i;
	int			k;

	for (i = 0; i < n; i++)
	{
		crc ^= (unsigned char) s[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* Write the checksum of the first PAT_PREFIX_LEN + PAT_BODY_LEN bytes of tok into out (6 chars, no NUL). */
static void
pat_checksum(const char *tok, char *out)
{
	uint32_t	crc = pat_crc32(tok, PAT_PREFIX_LEN + PAT_BODY_LEN);
	int			i;

	for (i = PAT_CRC_LEN - 1; i >= 0; i--)
	{
		out[i] = base62_digits[crc % 62];
		crc /= 62;
	}
}

/* Fill out with n uniform base62 digits from the CSPRNG; false on failure. */
static bool
base62_random(char *out, size_t n)
{
	unsigned char buf[64];
	size_t		o = 0;

	while (o < n)
	{
		size_t		i;

		if (RAND_bytes(buf, sizeof(buf)) != 1)
		{
			OPENSSL_cleanse(buf, sizeof(buf));
			return false;
		}
		/* 248 = 4 * 62: rejecting larger bytes keeps the digits uniform */
		for (i = 0; i < sizeof(buf) && o < n; i++)
		{
			if (buf[i] < 248)
				out[o++] = base62_digits[buf[i] % 62];
		}
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return true;
}

/* A new personal access token into out (outsz > PAT_LEN); false on CSPRNG failure. */
bool
pat_generate(char *out, size_t outsz)
{
	if (out == NULL || outsz < PAT_LEN + 1)
		return false;
	memcpy(out, PAT_PREFIX, PAT_PREFIX_LEN);
	if (!base62_random(out + PAT_PREFIX_LEN, PAT_BODY_LEN))
	{
		OPENSSL_cleanse(out, outsz);
		return false;
	}
	pat_checksum(out, out + PAT_PREFIX_LEN + PAT_BODY_LEN);
	out[PAT_LEN] = '\0';
	return true;
}

/* Whether c is a base62 digit. */
static bool
is_base62(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z');
}

/* Whether tok has the PAT shape and a correct checksum. */
bool
pat_valid(const char *tok)
{
	char		sum[PAT_CRC_LEN];
	size_t		i;

	if (tok == NULL || strnlen(tok, PAT_LEN + 1) != PAT_LEN)
		return false;
	if (memcmp(tok, PAT_PREFIX, PAT_PREFIX_LEN) != 0)
		return false;
	for (i = PAT_PREFIX_LEN; i < PAT_LEN; i++)
	{
		if (!is_base62((unsigned char) tok[i]))
			return false;
	}
	pat_checksum(tok, sum);
	return CRYPTO_memcmp(sum, tok + PAT_PREFIX_LEN + PAT_BODY_LEN, PAT_CRC_LEN) == 0;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
