/*
 * json_test.c
 *		Unit tests of lib/json.c: strict RFC 8259 objects, member lookup,
 *		arrays of strings, escapes, and what must be refused.
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

int
main(void)
{
	test_refused();
	test_members();
	test_escapes();
	test_limits();
	return unit_done("json_test");
}
