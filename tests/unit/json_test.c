/*
 * json_test.c
 *		Unit tests of lib/json.c: strict RFC 8259 objects, member lookup,
 *		arrays of strings and of objects, escapes, what must be refused, and
 *		json_read_object: its outcomes, the caller's limits, deep nesting
 *		without recursion, and memory in proportion to the input.
 */
#include "lib/json.h"

#include "unit.h"

/* Parse a NUL-terminated text; whether it is accepted. */
static int
parses(const char *text, json_doc *out)
{
	return json_parse_object(text, strlen(text), malloc, out);
}

static const char *const refused[] = {
	"", "[]", "\"x\"", "1", "null", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
	"{,\"a\":1}", "{\"a\":1}x", "{\"a\":1}{}", "{'a':1}", "{a:1}",
	"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":-}",
	"{\"a\":1e}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":1e999}",
	"{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}",
	"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u0000\"}",
	"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
	"{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}", "{\"a\":\"unterminated}",
	"{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":[1,]}", "{\"a\":[,1]}",
	"{\"a\":\"\xc3\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
	"{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xff\"}",
	"\xef\xbb\xbf{}",			/* a byte order mark is not JSON whitespace */
	"{\"a\":1}\x0b",
};

/* Everything RFC 8259 (and our stricter rules) refuses. */
static void
test_refused(void)
{
	json_doc	o;

	for (size_t i = 0; i < NELEM(refused); i++)
		CHECK(!parses(refused[i], &o), "accepted: %s", refused[i]);
}

/* Members of each type, and lookups. */
static void
test_members(void)
{
	json_doc	o;
	const json_member *m;
	const char *text = " {\"iss\":\"https://as.example.com\", \"exp\": 1700000000,"
		"\"neg\":-1.5e2,\"ok\":true,\"no\":false,\"nil\":null,"
		"\"aud\":[\"a\",\"b\"],\"mixed\":[\"a\",1],\"obj\":{\"x\":[{}]},\"empty\":[]} \n";

	CHECK(parses(text, &o), "valid object refused");
	CHECK(o.count == 10, "count %d", o.count);
	m = json_get(&o, "iss");
	CHECK(m && m->type == JSON_STRING && unit_streq(m->string, "https://as.example.com"), "iss");
	m = json_get(&o, "exp");
	CHECK(m && m->type == JSON_NUMBER && m->number == 1700000000.0, "exp");
	m = json_get(&o, "neg");
	CHECK(m && m->type == JSON_NUMBER && m->number == -150.0, "neg");
	m = json_get(&o, "ok");
	CHECK(m && m->type == JSON_BOOL && m->boolean, "true");
	m = json_get(&o, "no");
	CHECK(m && m->type == JSON_BOOL && !m->boolean, "false");
	m = json_get(&o, "nil");
	CHECK(m && m->type == JSON_NULL, "null");
	m = json_get(&o, "aud");
	CHECK(m && m->type == JSON_ARRAY && m->nstrings == 2 && m->strings &&
		  unit_streq(m->strings[1], "b"), "aud array");
	m = json_get(&o, "mixed");
	CHECK(m && m->type == JSON_ARRAY && m->strings == NULL, "mixed array keeps no strings");
	m = json_get(&o, "obj");
	CHECK(m && m->type == JSON_OBJECT, "nested object");
	m = json_get(&o, "empty");
	CHECK(m && m->type == JSON_ARRAY && m->nstrings == 0, "empty array");
	CHECK(json_get(&o, "missing") == NULL, "missing member");
	CHECK(json_get(&o, "ISS") == NULL, "names are case-sensitive");
	CHECK(parses("{}", &o) && o.count == 0, "empty object");
}

/* String escapes decode to UTF-8. */
static void
test_escapes(void)
{
	json_doc	o;
	const json_member *m;

	CHECK(parses("{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}", &o), "escapes refused");
	m = json_get(&o, "s");
	CHECK(m && unit_streq(m->string, "a\"b\\c/d\b\f\n\r\t"), "simple escapes");
	CHECK(parses("{\"s\":\"\\u00e9\\u20AC\\ud83d\\ude00\"}", &o), "unicode escapes refused");
	m = json_get(&o, "s");
	CHECK(m && unit_streq(m->string, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), "unicode escapes");
	CHECK(parses("{\"\\u0061\":1}", &o) && json_get(&o, "a") != NULL, "escaped name");
	CHECK(!parses("{\"a\":1,\"\\u0061\":2}", &o), "duplicate after unescaping");
	CHECK(parses("{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", &o), "raw UTF-8 refused");
}

/* Depth and size limits. */
static void
test_limits(void)
{
	json_doc	o;
	char		buf[200];
	char	   *big;
	int			n = 0;

	/* depth 16 (the top-level object counts) is allowed, 17 is not */
	n += sprintf(buf + n, "{\"a\":");
	for (int i = 0; i < 15; i++)
		n += sprintf(buf + n, "[");
	for (int i = 0; i < 15; i++)
		n += sprintf(buf + n, "]");
	sprintf(buf + n, "}");
	CHECK(parses(buf, &o), "depth 16 refused");
	n = sprintf(buf, "{\"a\":");
	for (int i = 0; i < 16; i++)
		n += sprintf(buf + n, "[");
	for (int i = 0; i < 16; i++)
		n += sprintf(buf + n, "]");
	sprintf(buf + n, "}");
	CHECK(!parses(buf, &o), "depth 17 accepted");

	big = malloc(70000);
	memset(big, ' ', 70000 - 1);
	big[0] = '{';
	big[70000 - 2] = '}';
	big[70000 - 1] = '\0';
	CHECK(!parses(big, &o), "input over 64 KiB accepted");
	big[65536 - 2] = '}';
	CHECK(json_parse_object(big, 65535, malloc, &o), "input under 64 KiB refused");
	free(big);
	/* a length shorter than the text: only that much is parsed */
	CHECK(json_parse_object("{}garbage", 2, malloc, &o), "explicit length ignored");
	/* an embedded NUL byte is not whitespace */
	CHECK(!json_parse_object("{}\0", 3, malloc, &o), "embedded NUL accepted");
}

/* Limits of a registration request (register.c). */
static const json_limits loose = {8192, 4096, false};

/* json_read_object of a NUL-terminated text. */
static json_status
reads(const char *text, const json_limits *limits, json_doc *out)
{
	return json_read_object(text, strlen(text), limits, malloc, out);
}

/* text repeated n times, then tail, into a new string. */
static char *
repeat(const char *head, const char *text, int n, const char *tail)
{
	char	   *s = malloc(strlen(head) + strlen(text) * n + strlen(tail) + 1);
	char	   *p = s + sprintf(s, "%s", head);

	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s", text);
	sprintf(p, "%s", tail);
	return s;
}

/* Outcomes: not JSON before anything else, then not an object, then a repeated name. */
static void
test_status(void)
{
	static const struct
	{
		const char *text;
		json_status strict;
		json_status loose;
	}			cases[] =
	{
		{"{\"a\":[\"x\"]}", JSON_OK, JSON_OK},
		{"", JSON_INVALID, JSON_INVALID},
		{"[", JSON_INVALID, JSON_INVALID},
		{"[1,]", JSON_INVALID, JSON_INVALID},
		{"[] x", JSON_INVALID, JSON_INVALID},
		{"[]", JSON_NOT_OBJECT, JSON_NOT_OBJECT},
		{" \"x\" ", JSON_NOT_OBJECT, JSON_NOT_OBJECT},
		{"-0.5e-3", JSON_NOT_OBJECT, JSON_NOT_OBJECT},
		{"null", JSON_NOT_OBJECT, JSON_NOT_OBJECT},
		{"[{\"a\":1,\"a\":1}]", JSON_NOT_OBJECT, JSON_NOT_OBJECT},
		{"{\"a\":1,\"a\":2}", JSON_DUPLICATE, JSON_DUPLICATE},
		{"{\"a\":1,\"b\":{\"a\":2}}", JSON_OK, JSON_OK},
		{"{\"a\":{\"b\":1,\"b\":2}}", JSON_DUPLICATE, JSON_OK},
		{"{\"a\":[{\"b\":1},{\"b\":2}]}", JSON_OK, JSON_OK},
		{"{\"a\":1,\"a\":2,\"b\":}", JSON_INVALID, JSON_INVALID},
		{"{\"a\":1,\"a\":2", JSON_INVALID, JSON_INVALID},
	};

	for (size_t i = 0; i < NELEM(cases); i++)
	{
		json_doc	o;
		json_status st = reads(cases[i].text, &json_strict_limits, &o);

		CHECK(st == cases[i].strict, "strict %s: %d", cases[i].text, (int) st);
		CHECK((st == JSON_OK) == parses(cases[i].text, &o),
			  "json_parse_object disagrees: %s", cases[i].text);
		st = reads(cases[i].text, &loose, &o);
		CHECK(st == cases[i].loose, "loose %s: %d", cases[i].text, (int) st);
	}
}

/* Whatever is refused leaves the document empty, even after members were read. */
static void
test_refusal_leaves_nothing(void)
{
	static const char *const texts[] = {
		"{\"a\":1}x", "{\"a\":1,\"a\":2}", "[\"a\"]", "{\"a\":[\"b\"],\"c\":tru}",
	};

	for (size_t i = 0; i < NELEM(texts); i++)
	{
		json_member junk;
		json_doc	o = {&junk, 7};

		CHECK(reads(texts[i], &loose, &o) != JSON_OK && o.members == NULL && o.count == 0,
			  "document left filled: %s", texts[i]);
	}
}

/* Arrays keep their strings only as a top-level member's value. */
static void
test_kept_arrays(void)
{
	json_doc	o;
	const json_member *m;

	CHECK(reads("{\"e\":[],\"s\":[\"a\",\"\"],\"n\":[[\"a\"]],\"x\":[\"a\",null],"
				"\"o\":{\"s\":[\"a\"]}}", &loose, &o) == JSON_OK, "arrays refused");
	m = json_get(&o, "e");
	CHECK(m && m->type == JSON_ARRAY && m->strings != NULL && m->nstrings == 0,
		  "an empty array is an array of strings");
	m = json_get(&o, "s");
	CHECK(m && m->nstrings == 2 && unit_streq(m->strings[0], "a") &&
		  unit_streq(m->strings[1], ""), "strings kept");
	m = json_get(&o, "n");
	CHECK(m && m->type == JSON_ARRAY && m->strings == NULL, "nested array kept");
	m = json_get(&o, "x");
	CHECK(m && m->type == JSON_ARRAY && m->strings == NULL && m->nstrings == 0,
		  "array with a null kept");
	m = json_get(&o, "o");
	CHECK(m && m->type == JSON_OBJECT && m->strings == NULL, "object content kept");
	CHECK(json_get(&o, "s") == &o.members[1], "json_get gives the member");
}

/* Whether member name of o has exactly the text want as its raw span. */
static int
raw_is(const json_doc *o, const char *name, const char *want)
{
	const json_member *m = json_get(o, name);

	return m != NULL && m->raw_len == strlen(want) &&
		memcmp(m->raw, want, m->raw_len) == 0;
}

/*
 * Every kept member points at its value's text, whatever its type: a JWK
 * Set inside client metadata ("jwks") is read again on its own from it.
 */
static void
test_raw_spans(void)
{
	json_doc	o;
	json_doc	inner;
	const json_member *m;
	const char *text = "{\"s\": \"a\\\"b\" , \"n\":-1.5e2,\"t\":true,\"z\":null,"
		"\"jwks\": {\"keys\":[{\"kty\":\"EC\",\"x5c\":[\"q\"]},{}]} ,"
		"\"a\":[[1,{\"b\":[]}],\"x\"],\"e\":{}}";

	CHECK(reads(text, &loose, &o) == JSON_OK, "spans refused");
	CHECK(raw_is(&o, "s", "\"a\\\"b\""), "string span");
	CHECK(raw_is(&o, "n", "-1.5e2"), "number span");
	CHECK(raw_is(&o, "t", "true") && raw_is(&o, "z", "null"), "word spans");
	CHECK(raw_is(&o, "jwks", "{\"keys\":[{\"kty\":\"EC\",\"x5c\":[\"q\"]},{}]}"),
		  "object span");
	CHECK(raw_is(&o, "a", "[[1,{\"b\":[]}],\"x\"]"), "array span");
	CHECK(raw_is(&o, "e", "{}"), "empty object span");
	m = json_get(&o, "jwks");
	CHECK(m && json_read_object(m->raw, m->raw_len, &loose, malloc, &inner) == JSON_OK &&
		  json_get(&inner, "keys") && json_get(&inner, "keys")->nobjects == 2,
		  "a nested object read on its own");
	m = json_get(&inner, "keys");
	CHECK(m && m->objects[0] && raw_is(m->objects[0], "kty", "\"EC\""),
		  "spans inside an array's object");
}

/* A consent descriptor's scopes: an array of objects, each kept as a document. */
static void
test_object_arrays(void)
{
	json_doc	o;
	const json_member *m;
	const json_doc *e;

	CHECK(parses("{\"request_id\":\"r\",\"loopback_only\":true,\"scopes\":"
				 "[{\"name\":\"mcp:tools\",\"description\":\"Use tools\"},"
				 "{\"name\":\"b\",\"n\":1,\"l\":[\"x\"],\"o\":{\"k\":\"v\"}},{}]}", &o),
		  "descriptor refused");
	m = json_get(&o, "scopes");
	CHECK(m && m->type == JSON_ARRAY && m->strings == NULL && m->nobjects == 3 &&
		  m->objects && m->objects[0] && m->objects[1] && m->objects[2],
		  "three objects kept");
	e = m ? m->objects[0] : NULL;
	CHECK(e && e->count == 2 && unit_streq(json_get_string(e, "name"), "mcp:tools") &&
		  unit_streq(json_get_string(e, "description"), "Use tools"), "first scope");
	e = m ? m->objects[1] : NULL;
	CHECK(e && e->count == 4 && json_get_string(e, "n") == NULL &&
		  json_get(e, "n")->number == 1.0, "a number in an element");
	CHECK(e && json_get(e, "l")->nstrings == 1 &&
		  unit_streq(json_get(e, "l")->strings[0], "x"), "an element's array kept");
	CHECK(e && json_get(e, "o")->type == JSON_OBJECT &&
		  json_get(e, "o")->objects == NULL, "an element's object only typed");
	CHECK(m && m->objects[2]->count == 0, "empty object element");
	CHECK(unit_streq(json_get_string(&o, "request_id"), "r") &&
		  json_get_string(&o, "loopback_only") == NULL &&
		  json_get_string(&o, "missing") == NULL &&
		  json_get_string(NULL, "name") == NULL, "json_get_string");

	/* mixed: each element in its place, NULL where it is not an object */
	CHECK(parses("{\"s\":[{\"name\":\"a\"},{\"name\":42},\"x\",null,[{\"name\":\"n\"}]]}", &o),
		  "mixed array refused");
	m = json_get(&o, "s");
	CHECK(m && m->nobjects == 5 && m->strings == NULL && m->objects[0] &&
		  m->objects[1] && !m->objects[2] && !m->objects[3] && !m->objects[4],
		  "mixed array: objects in place");
	CHECK(m && json_get_string(m->objects[1], "name") == NULL &&
		  json_get_string(m->objects[2], "name") == NULL, "mixed array: no name");

	/* arrays of strings, and empty arrays, have their elements too */
	CHECK(parses("{\"s\":[\"a\",\"b\"],\"e\":[],\"n\":{\"s\":[{}]}}", &o), "arrays refused");
	m = json_get(&o, "s");
	CHECK(m && m->nstrings == 2 && m->nobjects == 2 && !m->objects[0] && !m->objects[1],
		  "strings are no objects");
	m = json_get(&o, "e");
	CHECK(m && m->objects != NULL && m->nobjects == 0 && m->strings != NULL,
		  "an empty array is both");
	m = json_get(&o, "n");
	CHECK(m && m->type == JSON_OBJECT && m->objects == NULL, "nested object not kept");

	/* names repeat in an element as in any nested object */
	CHECK(reads("{\"s\":[{\"a\":1,\"a\":2}]}", &json_strict_limits, &o) == JSON_DUPLICATE,
		  "repeated name in an element, strict");
	CHECK(reads("{\"s\":[{\"a\":1,\"a\":2}]}", &loose, &o) == JSON_OK &&
		  o.members[0].objects[0]->count == 2, "repeated name in an element, loose");
	CHECK(reads("{\"s\":[{\"a\":1},{\"a\":2}]}", &json_strict_limits, &o) == JSON_OK,
		  "the same name in two elements");
	/* kept all the way down, within the depth limit */
	CHECK(parses("{\"a\":[{\"b\":[{\"c\":[\"d\"]}]}]}", &o) &&
		  unit_streq(json_get(json_get(o.members[0].objects[0], "b")->objects[0], "c")->strings[0],
					 "d"), "nested arrays of objects");
	CHECK(!parses("{\"s\":[{\"name\":\"a\"},{\"name\":\"b\",}]}", &o), "trailing comma accepted");
}

/* The caller's limits: length, and depth as deep as a registration body nests. */
static void
test_caller_limits(void)
{
	const json_limits tiny = {8, 2, true};
	const json_limits deep_4096 = {1 << 20, 4096, false};
	const json_limits deep_4095 = {1 << 20, 4095, false};
	json_doc	o;
	char	   *open = repeat("{\"a\":", "[", 4095, "");
	char	   *arrays = repeat(open, "]", 4095, "}");
	char	   *ones = repeat("1", "}", 1301, "");
	char	   *objects = repeat("{\"a\":", "{\"a\":", 1300, ones);

	CHECK(reads("{\"a\":[]}", &tiny, &o) == JSON_OK, "within tiny limits");
	CHECK(reads("{\"a\": []}", &tiny, &o) == JSON_INVALID, "over max_len");
	CHECK(reads("{\"a\":[[]]}", &tiny, &o) == JSON_INVALID, "over max_depth");
	CHECK(reads("[[[]]]", &tiny, &o) == JSON_INVALID, "too deep is not JSON");

	/* 4096 levels: the top-level object and 4095 arrays, no recursion */
	CHECK(reads(arrays, &deep_4096, &o) == JSON_OK, "4096 levels refused");
	CHECK(reads(arrays, &deep_4095, &o) == JSON_INVALID, "4096 levels over 4095 accepted");
	CHECK(!parses(arrays, &o), "4096 levels under the strict limits");
	CHECK(reads(objects, &loose, &o) == JSON_OK && o.count == 1 &&
		  o.members[0].type == JSON_OBJECT, "1301 nested objects refused");
	free(open);
	free(arrays);
	free(ones);
	free(objects);
}

/*
 * Numbers: within a double's range and what PostgreSQL's numeric (jsonb)
 * holds.  Refused: out of range for strtod (ERANGE, overflow and underflow
 * to a subnormal or zero), text over JSON_NUMBER_MAX_LEN bytes, and an
 * exponent beyond JSON_NUMBER_MAX_EXPONENT ('{"a":0e-20000}'::jsonb
 * fails: numeric's scale is at most 16383).
 */
static void
test_numbers(void)
{
	json_doc	o;
	char	   *longest = repeat("{\"n\":1.", "0", JSON_NUMBER_MAX_LEN - 5, "1e2}");
	char	   *longer = repeat("{\"n\":1.", "0", JSON_NUMBER_MAX_LEN - 4, "1e2}");
	char	   *longnum = repeat("{\"n\":1.", "0", 200, "1e2}");
	static const char *const out_of_range[] = {
		"{\"n\":1e-20000}", "{\"n\":-1e-20000}", "{\"n\":1e-400}",
		"{\"n\":1e-310}", "{\"n\":4.9e-324}", "{\"n\":2.2250738585072011e-308}",
		"{\"n\":-1e309}", "{\"n\":1e400}", "{\"n\":0e-20000}", "{\"n\":0e-401}",
		"{\"n\":-0.0E+401}", "{\"n\":0e99999999999999999999}",
		"{\"n\":1e" "0000000000000000000000000000000000000000000000000000000000000000}",
	};

	CHECK(parses(longest, &o) && o.members[0].number == 100.0,
		  "a number of %d bytes refused", JSON_NUMBER_MAX_LEN);
	CHECK(!parses(longer, &o), "a number of %d bytes accepted", JSON_NUMBER_MAX_LEN + 1);
	CHECK(!parses(longnum, &o), "a 200-digit number accepted");
	free(longest);
	free(longer);
	free(longnum);
	CHECK(parses("{\"n\":-0,\"m\":2.2250738585072014e-308,\"k\":1.7976931348623157e308}", &o) &&
		  o.count == 3 && o.members[1].number > 0 && o.members[2].number > 1e308,
		  "edges of a double");
	CHECK(parses("{\"n\":0e-400,\"m\":0E+400,\"k\":1e-0000000000000000000000000000000000000000000000000000000000300}", &o) &&
		  o.count == 3 && o.members[0].number == 0 && o.members[2].number == 1e-300,
		  "exponents of %d refused", JSON_NUMBER_MAX_EXPONENT);
	for (size_t i = 0; i < NELEM(out_of_range); i++)
		CHECK(!parses(out_of_range[i], &o), "accepted %s", out_of_range[i]);
	/* a refused number refuses the document wherever it is */
	CHECK(!parses("{\"a\":[{\"b\":{\"c\":[1e-20000]}}]}", &o), "a nested 1e-20000 accepted");
}

static size_t allocated;

/* malloc that counts what it gives. */
static void *
counting_alloc(size_t size)
{
	allocated += size;
	return malloc(size);
}

/* A document's allocations are in proportion to its size. */
static void
test_memory(void)
{
	json_doc	o;
	char	   *strings = repeat("{\"a\":[\"x\"", ",\"x\"", 1500, "]}");
	size_t		len = strlen(strings);

	allocated = 0;
	CHECK(json_read_object(strings, len, &loose, counting_alloc, &o) == JSON_OK &&
		  o.members[0].nstrings == 1501, "many strings refused");
	CHECK(allocated < 16 * len, "%zu bytes allocated for %zu of input", allocated, len);
	free(strings);

	strings = repeat("{\"a\":[{\"name\":\"x\"}", ",{\"name\":\"x\"}", 500, "]}");
	len = strlen(strings);
	allocated = 0;
	CHECK(json_read_object(strings, len, &loose, counting_alloc, &o) == JSON_OK &&
		  o.members[0].nobjects == 501, "many objects refused");
	CHECK(allocated < 16 * len, "%zu bytes allocated for %zu of objects", allocated, len);
	free(strings);
}

int
main(void)
{
	test_refused();
	test_members();
	test_escapes();
	test_limits();
	test_status();
	test_refusal_leaves_nothing();
	test_kept_arrays();
	test_object_arrays();
	test_raw_spans();
	test_caller_limits();
	test_numbers();
	test_memory();
	return unit_done("json_test");
}
