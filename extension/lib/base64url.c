/*
 * base64url.c
 *		base64url without padding (RFC 4648 section 5).
 *
 * Pure C: no PostgreSQL headers.
 */
#include "lib/base64url.h"

#include <stdint.h>

static const char b64url_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Length of the encoding of n bytes, without the terminating NUL. */
size_t
b64url_encoded_len(size_t n)
{
	return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

/* Largest number of bytes that n characters can decode to. */
size_t
b64url_decoded_max(size_t n)
{
	return (n / 4) * 3 + ((n % 4) ? (n % 4) - 1 : 0);
}

/* Encode n bytes into out and NUL-terminate it; returns the length. */
size_t
b64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t		i = 0;
	size_t		o = 0;

	for (; i + 3 <= n; i += 3)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (n - i == 1)
	{
		uint32_t	v = (uint32_t) in[i] << 16;

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
	}
	else if (n - i == 2)
	{
		uint32_t	v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);

		out[o++] = b64url_alphabet[(v >> 18) & 63];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

/* The 6-bit value of base64url character c, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decode n canonical base64url characters into out; 0 and *outlen, or -1. */
int
b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
	size_t		o = 0;
	uint32_t	acc = 0;
	int			bits = 0;
	size_t		i;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++)
	{
		int			v = b64url_value((unsigned char) in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (unsigned char) ((acc >> bits) & 0xFF);
		}
	}
	/* leftover bits (2 or 4) must be zero for the canonical encoding */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
