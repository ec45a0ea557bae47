/*
 * text.c
 *		UTF-8 text a person is shown: the characters that may not be shown
 *		(they reorder, hide or break lines of what the consent page says:
 *		"Goo\u202Eelg" shows as "Google"), and a UTF-8 decoder.
 *
 * Pure C: no PostgreSQL headers.
 */
#include "lib/text.h"

#include <string.h>

/* An inclusive range of code points. */
typedef struct text_range
{
	uint32_t	lo;
	uint32_t	hi;
} text_range;

/* Code points never shown (sorted; see text.h). */
static const text_range text_hidden_ranges[] = {
	{0x0000, 0x001F},			/* C0 controls */
	{0x007F, 0x009F},			/* DEL, C1 controls */
	{0x00AD, 0x00AD},			/* soft hyphen */
	{0x061C, 0x061C},			/* Arabic letter mark */
	{0x115F, 0x1160},			/* Hangul fillers */
	{0x180E, 0x180E},			/* Mongolian vowel separator */
	{0x200B, 0x200B},			/* zero width space */
	{0x200E, 0x200F},			/* LRM, RLM */
	{0x2028, 0x202E},			/* LS, PS, LRE, RLE, PDF, LRO, RLO */
	{0x2060, 0x2064},			/* word joiner, invisible operators */
	{0x2066, 0x206F},			/* LRI, RLI, FSI, PDI, deprecated formats */
	{0x3164, 0x3164},			/* Hangul filler */
	{0xE000, 0xF8FF},			/* private use */
	{0xFDD0, 0xFDEF},			/* noncharacters */
	{0xFEFF, 0xFEFF},			/* zero width no-break space (BOM) */
	{0xFFA0, 0xFFA0},			/* halfwidth Hangul filler */
	{0xFFF9, 0xFFFB},			/* interlinear annotation */
	{0xE0000, 0xE007F},			/* tags */
	{0xF0000, 0x10FFFF},		/* supplementary private use */
};

/* Length of the well-formed UTF-8 sequence at s and its code point, or 0. */
size_t
text_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	uint32_t	c;
	size_t		n;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	else if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
		(c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Whether cp may not be shown to a person (text.h has the list). */
bool
text_char_hidden(uint32_t cp)
{
	size_t		i;

	/* U+FFFE and U+FFFF of every plane are noncharacters */
	if ((cp & 0xFFFE) == 0xFFFE)
		return true;
	for (i = 0; i < sizeof(text_hidden_ranges) / sizeof(text_hidden_ranges[0]); i++)
	{
		if (cp < text_hidden_ranges[i].lo)
			return false;
		if (cp <= text_hidden_ranges[i].hi)
			return true;
	}
	return false;
}

/* Why s may not be shown to a person, or NULL. */
const char *
text_display_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		left = strlen(s);

	while (left > 0)
	{
		uint32_t	cp;
		size_t		n = text_utf8_decode(p, left, &cp);

		if (n == 0)
			return "is not valid UTF-8";
		if (text_char_hidden(cp))
			return "contains control, bidirectional or invisible characters";
		p += n;
		left -= n;
	}
	return NULL;
}

/* s without hidden characters and malformed bytes, into out. */
bool
text_display_clean(const char *s, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		left = strlen(s);
	size_t		len = 0;

	if (out == NULL || outsz == 0)
		return false;
	while (left > 0)
	{
		uint32_t	cp;
		size_t		n = text_utf8_decode(p, left, &cp);

		if (n == 0)
			n = 1;				/* drop a malformed byte */
		else if (!text_char_hidden(cp))
		{
			if (outsz - len <= n)
			{
				out[0] = '\0';
				return false;
			}
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
		left -= n;
	}
	out[len] = '\0';
	return true;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
