/*
 * fuzz_base64url.c
 *		libFuzzer harness for lib/base64url.c: decoding never overruns, what
 *		decodes re-encodes to the same text, and every encoding decodes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64url.h"

/* One fuzz input: decode it as text, and encode it as bytes. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* room for decoding the input, and for decoding its encoding */
	unsigned char *dec = malloc(b64url_decoded_max(size) + size + 1);
	char	   *enc = malloc(b64url_encoded_len(size) + 1);
	size_t		declen = 0;

	if (b64url_decode((const char *) data, size, dec, &declen) == 0)
	{
		char	   *again = malloc(b64url_encoded_len(declen) + 1);

		if (declen > b64url_decoded_max(size) ||
			b64url_encode(dec, declen, again) != size ||
			memcmp(again, data, size) != 0)
			abort();
		free(again);
	}
	if (b64url_encode(data, size, enc) != b64url_encoded_len(size) ||
		b64url_decode(enc, b64url_encoded_len(size), dec, &declen) != 0 ||
		declen != size || (size > 0 && memcmp(dec, data, size) != 0))
		abort();
	free(dec);
	free(enc);
	return 0;
}
