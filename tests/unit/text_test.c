/*
 * text_test.c
 *		Unit tests of lib/text.c: the characters a person is never shown
 *		(bidi controls, separators, controls, invisible ones), cleaning,
 *		and the UTF-8 decoder.
 */
#include "lib/text.h"

#include "unit.h"

typedef struct display_case
{
	const char *label;
	const char *text;
	const char *clean;			/* text_display_clean(); NULL: same as text */
} display_case;

/* Refused text and what cleaning leaves of it. */
static const display_case refused[] = {
	{"RLO U+202E", "Goo\xe2\x80\xae" "elg", "Gooelg"},
	{"LRO U+202D", "a\xe2\x80\xad" "b", "ab"},
	{"LRE U+202A", "a\xe2\x80\xaa" "b", "ab"},
	{"RLE U+202B", "a\xe2\x80\xab" "b", "ab"},
	{"PDF U+202C", "a\xe2\x80\xac" "b", "ab"},
	{"LRM U+200E", "a\xe2\x80\x8e", "a"},
	{"RLM U+200F", "\xe2\x80\x8f" "a", "a"},
	{"LRI U+2066", "a\xe2\x81\xa6" "b", "ab"},
	{"RLI U+2067", "a\xe2\x81\xa7" "b", "ab"},
	{"FSI U+2068", "a\xe2\x81\xa8" "b", "ab"},
	{"PDI U+2069", "a\xe2\x81\xa9" "b", "ab"},
	{"ALM U+061C", "a\xd8\x9c" "b", "ab"},
	{"LS U+2028", "Claude\xe2\x80\xa8" "Approved", "ClaudeApproved"},
	{"PS U+2029", "a\xe2\x80\xa9" "b", "ab"},
	{"C0 LF", "a\nb", "ab"},
	{"C0 TAB", "a\tb", "ab"},
	{"C0 ESC", "a\x1b[31mb", "a[31mb"},
	{"DEL", "a\x7f" "b", "ab"},
	{"C1 NEL U+0085", "a\xc2\x85" "b", "ab"},
	{"C1 CSI U+009B", "a\xc2\x9b" "b", "ab"},
	{"soft hyphen U+00AD", "Cl\xc2\xad" "aude", "Claude"},
	{"ZWSP U+200B", "Cla\xe2\x80\x8b" "ude", "Claude"},
	{"WJ U+2060", "a\xe2\x81\xa0" "b", "ab"},
	{"BOM U+FEFF", "\xef\xbb\xbf" "a", "a"},
	{"Mongolian VS U+180E", "a\xe1\xa0\x8e", "a"},
	{"Hangul filler U+3164", "\xe3\x85\xa4", ""},
	{"Hangul filler U+115F", "\xe1\x85\x9f" "a", "a"},
	{"halfwidth filler U+FFA0", "\xef\xbe\xa0", ""},
	{"annotation U+FFF9", "a\xef\xbf\xb9", "a"},
	{"private use U+E000", "a\xee\x80\x80", "a"},
	{"private use U+F8FF", "\xef\xa3\xbf", ""},
	{"noncharacter U+FDD0", "\xef\xb7\x90", ""},
	{"noncharacter U+FFFE", "\xef\xbf\xbe", ""},
	{"noncharacter U+1FFFF", "\xf0\x9f\xbf\xbf", ""},
	{"tag U+E0041", "a\xf3\xa0\x81\x81", "a"},
	{"plane 15 U+F0000", "\xf3\xb0\x80\x80", ""},
	{"plane 16 U+10FFFD", "\xf4\x8f\xbf\xbd", ""},
	{"invalid byte", "a\xff" "b", "ab"},
	{"lone continuation", "a\x80" "b", "ab"},
	{"truncated sequence", "a\xe2\x80", "a"},
	{"overlong '/'", "\xc0\xaf", ""},
	{"overlong 3-byte", "\xe0\x80\xaf", ""},
	{"surrogate U+D800", "\xed\xa0\x80", ""},
	{"above U+10FFFF", "\xf4\x90\x80\x80", ""},
};

/* Text that may be shown, unchanged by cleaning. */
static const char *const allowed[] = {
	"",
	"MCP agent (local tools)",
	"Caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac",				/* Café 東京 */
	"\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",					/* Arabic, no marks */
	"\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb4\xd9\x88\xd8\xaf", /* Persian with ZWNJ */
	"\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",		/* woman technologist (ZWJ) */
	"\xe2\x98\x95\xef\xb8\x8f",							/* hot beverage + VS16 */
	"a\xc2\xa0" "b",									/* no-break space */
	"\xef\xbf\xbd",										/* replacement character */
	"\xf0\x9f\x98\x80",									/* U+1F600 */
};

/* text_display_problem and text_display_clean over both tables. */
static void
test_display(void)
{
	size_t		i;

	for (i = 0; i < NELEM(refused); i++)
	{
		const char *why = text_display_problem(refused[i].text);
		char		out[64];

		CHECK(why != NULL && why[0] != '\0' && why[strlen(why) - 1] != '.',
			  "refused #%zu %s", i, refused[i].label);
		CHECK(text_display_clean(refused[i].text, out, sizeof(out)) &&
			  strcmp(out, refused[i].clean) == 0, "clean #%zu %s: '%s'",
			  i, refused[i].label, out);
		CHECK(text_display_problem(out) == NULL, "cleaned #%zu %s shows", i, refused[i].label);
	}
	for (i = 0; i < NELEM(allowed); i++)
	{
		char		out[64];

		CHECK(text_display_problem(allowed[i]) == NULL, "allowed #%zu", i);
		CHECK(text_display_clean(allowed[i], out, sizeof(out)) &&
			  strcmp(out, allowed[i]) == 0, "allowed #%zu kept", i);
	}
}

/* text_display_clean's buffer limits. */
static void
test_clean_limits(void)
{
	char		out[4];

	CHECK(text_display_clean("abc", out, sizeof(out)) && strcmp(out, "abc") == 0,
		  "exact fit");
	CHECK(!text_display_clean("abcd", out, sizeof(out)) && out[0] == '\0',
		  "one byte too many");
	CHECK(text_display_clean("a\xe2\x80\xae" "bc", out, sizeof(out)) &&
		  strcmp(out, "abc") == 0, "removed characters need no room");
	CHECK(!text_display_clean("\xe6\x9d\xb1\xe4", out, sizeof(out)) ||
		  strcmp(out, "\xe6\x9d\xb1") == 0, "a sequence fits whole or not at all");
	CHECK(!text_display_clean("a", out, 0), "zero size");
	CHECK(!text_display_clean("a", NULL, 4), "no buffer");
}

/* text_utf8_decode and text_char_hidden at their edges. */
static void
test_decode(void)
{
	uint32_t	cp = 0;

	CHECK(text_utf8_decode((const unsigned char *) "A", 1, &cp) == 1 && cp == 'A', "ASCII");
	CHECK(text_utf8_decode((const unsigned char *) "\xc3\xa9", 2, &cp) == 2 && cp == 0xE9, "2 bytes");
	CHECK(text_utf8_decode((const unsigned char *) "\xe2\x80\xae", 3, &cp) == 3 && cp == 0x202E, "3 bytes");
	CHECK(text_utf8_decode((const unsigned char *) "\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10FFFF, "4 bytes");
	CHECK(text_utf8_decode((const unsigned char *) "\xe2\x80\xae", 2, &cp) == 0, "short input");
	CHECK(text_utf8_decode((const unsigned char *) "\xc1\x81", 2, &cp) == 0, "overlong");
	CHECK(text_char_hidden(0x202E) && text_char_hidden(0x0) && text_char_hidden(0x9F) &&
		  text_char_hidden(0x10FFFF), "hidden edges");
	CHECK(!text_char_hidden(0x20) && !text_char_hidden(0xA0) && !text_char_hidden(0x200C) &&
		  !text_char_hidden(0x200D) && !text_char_hidden(0xFE0F) && !text_char_hidden(0xFFFD) &&
		  !text_char_hidden(0xE0080), "shown edges");
}

int
main(void)
{
	test_display();
	test_clean_limits();
	test_decode();
	return unit_done("text");
}
