/*
 * fuzz_text.c
 *		libFuzzer harness for lib/text.c.  The input is one string (cut at
 *		its first NUL).  Checks: no overrun; cleaning leaves text that may
 *		be shown, is idempotent and never grows; text that may be shown is
 *		left as it is; the decoder reads every byte of the input once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/text.h"

/* The decoder walks s (n bytes) without reading past it. */
static void
check_decode(const unsigned char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		uint32_t	cp;
		size_t		len = text_utf8_decode(s + i, n - i, &cp);

		if (len > n - i || len > 4 || (len > 0 && cp > 0x10FFFF) ||
			(len == 1 && cp >= 0x80))
			abort();
		i += len ? len : 1;
	}
}

/* One fuzz input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *exact = malloc(size ? size : 1);
	char	   *s = malloc(size + 1);
	char	   *a = malloc(size + 1);
	char	   *b = malloc(size + 1);

	/* an exact-size copy, so that a read past the end is reported */
	memcpy(exact, data, size);
	check_decode(exact, size);
	memcpy(s, data, size);
	s[size] = '\0';
	if (!text_display_clean(s, a, size + 1) ||
		text_display_problem(a) != NULL ||
		strlen(a) > strlen(s) ||
		!text_display_clean(a, b, size + 1) || strcmp(a, b) != 0)
		abort();
	if (text_display_problem(s) == NULL && strcmp(a, s) != 0)
		abort();
	free(exact);
	free(s);
	free(a);
	free(b);
	return 0;
}
