/*
 * form_test.c
 *		Unit tests of lib/form.c: decoding, refusals, duplicates, limits.
 */
#include "lib/form.h"

#include "unit.h"

typedef struct form_case
{
	const char *body;
	size_t		len;			/* 0: strlen(body) */
	int			max_params;
	form_status status;
	int			count;
	const char *duplicate;		/* expected out->duplicate */
	const char *name;			/* a name to look up, or NULL */
	const char *value;			/* its expected value (NULL: absent) */
} form_case;

static const form_case cases[] = {
	{"a=1&b=2", 0, 10, FORM_OK, 2, NULL, "b", "2"},
	{"a=1&b=2", 0, 10, FORM_OK, 2, NULL, "c", NULL},
	{"a=hello+world", 0, 10, FORM_OK, 1, NULL, "a", "hello world"},
	{"a=%41%62%2b%2B", 0, 10, FORM_OK, 1, NULL, "a", "Ab++"},
	{"%61%5F=x", 0, 10, FORM_OK, 1, NULL, "a_", "x"},
	{"a+b=c", 0, 10, FORM_OK, 1, NULL, "a b", "c"},
	{"a=%e2%82%AC", 0, 10, FORM_OK, 1, NULL, "a", "\xe2\x82\xac"},
	{"a=%26%3D", 0, 10, FORM_OK, 1, NULL, "a", "&="},
	{"a==b", 0, 10, FORM_OK, 1, NULL, "a", "=b"},
	{"a", 0, 10, FORM_OK, 1, NULL, "a", ""},
	{"a=", 0, 10, FORM_OK, 1, NULL, "a", ""},
	{"a=1&&b=2", 0, 10, FORM_OK, 2, NULL, "b", "2"},
	{"&&&", 0, 10, FORM_OK, 0, NULL, "a", NULL},
	{"&a=1&", 0, 10, FORM_OK, 1, NULL, "a", "1"},
	{"", 0, 10, FORM_OK, 0, NULL, "a", NULL},
	{"=x&a=1", 0, 10, FORM_OK, 1, NULL, "", NULL},
	{"=", 0, 10, FORM_OK, 0, NULL, "", NULL},
	{"a=1;b=2", 0, 10, FORM_OK, 1, NULL, "a", "1;b=2"},
	{"a=1&b=2&a=3", 0, 10, FORM_OK, 3, "a", "a", "1"},
	{"a=1&b=2&b=2&a=3", 0, 10, FORM_OK, 4, "b", "b", "2"},
	{"A=1&a=2", 0, 10, FORM_OK, 2, NULL, "A", "1"},
	{"%61=1&a=2", 0, 10, FORM_OK, 2, "a", "a", "1"},
	{"a=1&b=2", 3, 10, FORM_OK, 1, NULL, "b", NULL},
	{"a=1&b=2&c=3", 0, 3, FORM_OK, 3, NULL, "c", "3"},
	{"a=1&b=2&c=3&d=4", 0, 3, FORM_TOO_MANY, 0, NULL, "a", NULL},
	{"a=1&&&&b=2&&", 0, 2, FORM_OK, 2, NULL, "b", "2"},
	{"a=1", 0, 0, FORM_TOO_MANY, 0, NULL, "a", NULL},
	{"", 0, 0, FORM_OK, 0, NULL, "a", NULL},
	{"a=%", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%4", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%zz", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%0g", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%%41", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%00", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a%00=1", 0, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"ok=1&a=x%", 0, 10, FORM_MALFORMED, 0, NULL, "ok", NULL},
	{"a=1\0b=2", 7, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
	{"a=%4", 3, 10, FORM_MALFORMED, 0, NULL, "a", NULL},
};

/* Every case of the table. */
static void
test_cases(void)
{
	size_t		i;

	for (i = 0; i < NELEM(cases); i++)
	{
		const form_case *c = &cases[i];
		size_t		len = c->len ? c->len : strlen(c->body);
		form		f;
		form_status st;

		st = form_parse(c->body, len, c->max_params, malloc, &f);
		CHECK(st == c->status, "case #%zu (%s): status %d want %d",
			  i, c->body, st, c->status);
		CHECK(f.count == c->count, "case #%zu (%s): count %d want %d",
			  i, c->body, f.count, c->count);
		CHECK(unit_streq(f.duplicate, c->duplicate),
			  "case #%zu (%s): duplicate %s", i, c->body, unit_show(f.duplicate));
		if (c->name)
			CHECK(unit_streq(form_get(&f, c->name), c->value),
				  "case #%zu (%s): %s=%s want %s", i, c->body, c->name,
				  unit_show(form_get(&f, c->name)), unit_show(c->value));
	}
}

/* An allocator that always fails. */
static void *
no_alloc(size_t size)
{
	(void) size;
	return NULL;
}

/* NULL body, NULL lookups, failing allocator, a long body. */
static void
test_edges(void)
{
	form		f;
	char	   *big;
	size_t		i;

	CHECK(form_parse(NULL, 5, 10, malloc, &f) == FORM_OK && f.count == 0,
		  "NULL body is empty");
	CHECK(form_get(NULL, "a") == NULL, "form_get on NULL form");
	CHECK(form_parse("a=1", 3, 10, malloc, &f) == FORM_OK &&
		  form_get(&f, NULL) == NULL, "form_get of NULL name");
	CHECK(form_parse("a=1", 3, 10, no_alloc, &f) == FORM_NO_MEMORY &&
		  f.count == 0, "allocation failure");

	/* 100000 pairs "x=1&" against a limit of 64 */
	big = malloc(400001);
	for (i = 0; i < 100000; i++)
		memcpy(big + i * 4, "x=1&", 4);
	big[400000] = '\0';
	CHECK(form_parse(big, 400000, 64, malloc, &f) == FORM_TOO_MANY,
		  "many params refused");
	/* one huge value is fine */
	memset(big, 'v', 400000);
	big[0] = 'k';
	big[1] = '=';
	CHECK(form_parse(big, 400000, 64, malloc, &f) == FORM_OK && f.count == 1 &&
		  strlen(form_get(&f, "k")) == 399998, "one long value");
	free(big);
}

typedef struct encode_case
{
	const char *in;
	const char *out;
} encode_case;

static const encode_case encodes[] = {
	{"", ""},
	{"abcXYZ019-._~", "abcXYZ019-._~"},
	{"a b", "a%20b"},
	{"a+b&c=d/e?f#g", "a%2Bb%26c%3Dd%2Fe%3Ff%23g"},
	{"\xc3\xa9\x01\x7f\xff", "%C3%A9%01%7F%FF"},
	{"https://c.example/cb?x=1", "https%3A%2F%2Fc.example%2Fcb%3Fx%3D1"},
};

/* form_encode output, and that parsing gives the input back. */
static void
test_encode(void)
{
	size_t		i;

	for (i = 0; i < NELEM(encodes); i++)
	{
		char	   *enc = form_encode(encodes[i].in, malloc);
		char		body[256];
		form		f;

		CHECK(unit_streq(enc, encodes[i].out), "encode #%zu: %s", i, unit_show(enc));
		snprintf(body, sizeof(body), "v=%s", enc ? enc : "");
		CHECK(form_parse(body, strlen(body), 4, malloc, &f) == FORM_OK &&
			  unit_streq(form_get(&f, "v"), encodes[i].in),
			  "encode #%zu round trip", i);
	}
	CHECK(form_encode("x", no_alloc) == NULL, "encode allocation failure");
}

int
main(void)
{
	test_cases();
	test_edges();
	test_encode();
	return unit_done("form");
}
