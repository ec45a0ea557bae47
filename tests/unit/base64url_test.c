/*
 * base64url_test.c
 *		Unit tests of lib/base64url.c: RFC 4648 vectors, refusals, round trips.
 */
#include "lib/base64url.h"

#include "unit.h"

typedef struct b64_vector
{
	const char *raw;
	size_t		rawlen;
	const char *enc;
} b64_vector;

/* RFC 4648 section 10 (padding dropped), plus the two URL-safe characters. */
static const b64_vector vectors[] = {
	{"", 0, ""},
	{"f", 1, "Zg"},
	{"fo", 2, "Zm8"},
	{"foo", 3, "Zm9v"},
	{"foob", 4, "Zm9vYg"},
	{"fooba", 5, "Zm9vYmE"},
	{"foobar", 6, "Zm9vYmFy"},
	{"\xfb\xff", 2, "-_8"},
	{"\xfb\xef\xbe", 3, "----"},
	{"\xff\xff\xff", 3, "____"},
	{"\x00", 1, "AA"},
	{"\x00\x00\x00", 3, "AAAA"},
};

typedef struct b64_bad
{
	const char *enc;
	size_t		n;
	const char *why;
} b64_bad;

static const b64_bad bad[] = {
	{"Zg==", 4, "padding"},
	{"Zm8=", 4, "padding"},
	{"Z", 1, "length 1 mod 4"},
	{"Zm9vY", 5, "length 1 mod 4"},
	{"Zh", 2, "non-zero trailing bits (4)"},
	{"Zm9", 3, "non-zero trailing bits (2)"},
	{"Zm+v", 4, "standard base64 '+'"},
	{"Zm/v", 4, "standard base64 '/'"},
	{"Zm9v!", 5, "punctuation"},
	{" Zg", 3, "leading space"},
	{"Zg\n", 3, "newline"},
	{"Zm9\0", 4, "embedded NUL"},
	{"Zm\xc3\xa9", 4, "non-ASCII"},
	{"====", 4, "only padding"},
};

/* Encoding matches every vector, and decoding gives the bytes back. */
static void
test_vectors(void)
{
	size_t		i;

	for (i = 0; i < NELEM(vectors); i++)
	{
		const b64_vector *v = &vectors[i];
		char		enc[64];
		unsigned char dec[64];
		size_t		declen = 999;
		size_t		n;

		n = b64url_encode((const unsigned char *) v->raw, v->rawlen, enc);
		CHECK(n == strlen(v->enc) && strcmp(enc, v->enc) == 0,
			  "encode #%zu: got %s want %s", i, enc, v->enc);
		CHECK(b64url_encoded_len(v->rawlen) == strlen(v->enc),
			  "encoded_len #%zu", i);
		CHECK(b64url_decode(v->enc, strlen(v->enc), dec, &declen) == 0 &&
			  declen == v->rawlen && memcmp(dec, v->raw, v->rawlen) == 0,
			  "decode #%zu (%s)", i, v->enc);
		CHECK(b64url_decoded_max(strlen(v->enc)) >= v->rawlen,
			  "decoded_max #%zu", i);
	}
}

/* Non-canonical or foreign input is refused. */
static void
test_refusals(void)
{
	size_t		i;

	for (i = 0; i < NELEM(bad); i++)
	{
		unsigned char dec[64];
		size_t		declen = 0;

		CHECK(b64url_decode(bad[i].enc, bad[i].n, dec, &declen) == -1,
			  "decode accepted bad #%zu (%s)", i, bad[i].why);
	}
}

/* Every length 0..100 of arbitrary bytes round-trips within the advertised sizes. */
static void
test_round_trip(void)
{
	unsigned char raw[100];
	size_t		n;

	for (n = 0; n < sizeof(raw); n++)
		raw[n] = (unsigned char) (n * 37 + 11);
	for (n = 0; n <= sizeof(raw); n++)
	{
		char		enc[200];
		unsigned char dec[200];
		size_t		len = b64url_encode(raw, n, enc);
		size_t		declen = 0;

		CHECK(len == b64url_encoded_len(n) && strlen(enc) == len,
			  "length %zu: encoded %zu", n, len);
		CHECK(b64url_decoded_max(len) == n, "decoded_max of %zu chars", len);
		CHECK(b64url_decode(enc, len, dec, &declen) == 0 && declen == n &&
			  memcmp(dec, raw, n) == 0, "round trip of %zu bytes", n);
	}
}

/* Length arithmetic for the JOSE-relevant sizes. */
static void
test_lengths(void)
{
	CHECK(b64url_encoded_len(32) == 43, "32 bytes -> 43 chars");
	CHECK(b64url_encoded_len(64) == 86, "64 bytes -> 86 chars");
	CHECK(b64url_decoded_max(43) == 32, "43 chars -> 32 bytes");
	CHECK(b64url_decoded_max(0) == 0, "0 chars");
	CHECK(b64url_decoded_max(1) == 0, "1 char (invalid anyway)");
}

int
main(void)
{
	test_vectors();
	test_refusals();
	test_round_trip();
	test_lengths();
	return unit_done("base64url");
}
