/*
 * fuzz_json.c
 *		libFuzzer harness for lib/json.c through each entry point the
 *		extension and the shim use: json_parse_object (JWT headers and claim
 *		sets, sealed requests), json_read_object under a registration
 *		request's limits (register.c), json_get and json_get_string.
 *
 * The input is read two ways.  As a document: it is read only within its
 * length; the two entry points agree; what is refused leaves the document
 * empty; the strict limits accept nothing the registration limits refuse,
 * and read it the same; an accepted document written out again reads back
 * the same (arrays of objects kept as documents, all the way down); a value
 * that is JSON but not an object is accepted as a member's value; each
 * member's text span lies in the input and reads alone as its type, a
 * number's at most JSON_NUMBER_MAX_LEN bytes and never subnormal.  As
 * choices that write a valid document (escapes, UTF-8, numbers, whitespace
 * and nesting of their choosing) while noting what a reader must keep of
 * it, the objects in arrays too: it is accepted and read as noted, or
 * refused as a duplicate exactly when two top-level names are equal.
 */
#include <float.h>
#include <stdio.h>

#include "fuzz.h"

/* register.c's reg_json_limits. */
static const json_limits reg_limits = {8192, 8192 / 2, false};

/*
 * Room enough for what write_doc writes again: kept objects nest as deep as
 * the registration limits let them, and repeat names below the top level.
 */
static const json_limits reread_limits = {1 << 20, 8192 / 2, false};

/* A growing text from fuzz_alloc. */
typedef struct text_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} text_buf;

/* Append n bytes of s. */
static void
put(text_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = 2 * (b->len + n + 1);
		char	   *data = fuzz_alloc(cap);

		if (b->len > 0)
			memcpy(data, b->data, b->len);
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Append s as a JSON string: quotes, backslashes and controls escaped. */
static void
put_string(text_buf *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;
		char		esc[8];

		if (c == '"' || c == '\\')
			put(b, esc, (size_t) snprintf(esc, sizeof(esc), "\\%c", c));
		else if (c < 0x20)
			put(b, esc, (size_t) snprintf(esc, sizeof(esc), "\\u%04x", c));
		else
			put(b, s, 1);
	}
	put(b, "\"", 1);
}

static void put_doc(text_buf *b, const json_doc *doc);

/* Append what is kept of an array: its strings, or its objects (else null). */
static void
put_array(text_buf *b, const json_member *m)
{
	put(b, "[", 1);
	for (int i = 0; i < m->nobjects; i++)
	{
		if (i > 0)
			put(b, ",", 1);
		if (m->strings != NULL)
			put_string(b, m->strings[i]);
		else if (m->objects[i] != NULL)
			put_doc(b, m->objects[i]);
		else
			put(b, "null", 4);
	}
	put(b, "]", 1);
}

/* Append a member's value: what is kept of it (an object as {}). */
static void
put_value(text_buf *b, const json_member *m)
{
	char		num[32];

	switch (m->type)
	{
		case JSON_NULL:
			put(b, "null", 4);
			break;
		case JSON_BOOL:
			put(b, m->boolean ? "true" : "false", m->boolean ? 4 : 5);
			break;
		case JSON_NUMBER:
			put(b, num, (size_t) snprintf(num, sizeof(num), "%.17g", m->number));
			break;
		case JSON_STRING:
			put_string(b, m->string);
			break;
		case JSON_ARRAY:
			if (m->objects == NULL || (m->strings != NULL && m->nstrings != m->nobjects))
				abort();		/* a kept array has its elements */
			put_array(b, m);
			break;
		case JSON_OBJECT:
			put(b, "{}", 2);
			break;
	}
}

/* Append a document as JSON text. */
static void
put_doc(text_buf *b, const json_doc *doc)
{
	put(b, "{", 1);
	for (int i = 0; i < doc->count; i++)
	{
		if (i > 0)
			put(b, ",", 1);
		put_string(b, doc->members[i].name);
		put(b, ":", 1);
		put_value(b, &doc->members[i]);
	}
	put(b, "}", 1);
}

/* The document written out again as JSON text. */
static text_buf
write_doc(const json_doc *doc)
{
	text_buf	b = {0};

	put_doc(&b, doc);
	return b;
}

/* json_read_object into a document filled with junk first. */
static json_status
read_doc(const char *text, size_t len, const json_limits *limits, json_doc *doc)
{
	static json_member junk;
	json_status st;

	doc->members = &junk;
	doc->count = -1;
	st = json_read_object(text, len, limits, fuzz_alloc, doc);
	if (st != JSON_OK && (doc->members != NULL || doc->count != 0))
		abort();				/* a refusal left something behind */
	return st;
}

/* An accepted document: names found by json_get, and read back the same. */
static void
check_accepted(const json_doc *doc)
{
	text_buf	again = write_doc(doc);
	json_doc	reread;

	for (int i = 0; i < doc->count; i++)
	{
		const json_member *m = &doc->members[i];

		if (json_get(doc, m->name) != m ||
			json_get_string(doc, m->name) != (m->type == JSON_STRING ? m->string : NULL))
			abort();
	}
	if (read_doc(again.data, again.len, &reread_limits, &reread) != JSON_OK ||
		!fuzz_same_doc(doc, &reread))
		abort();
}

/*
 * Every member of an accepted document points at its value's text inside
 * the input, and that text alone, as a member's value, reads as the same
 * type (a client's "jwks" object is read again from it).
 */
static void
check_spans(const char *text, size_t len, const json_doc *doc)
{
	for (int i = 0; i < doc->count; i++)
	{
		const json_member *m = &doc->members[i];
		char	   *wrapped;
		json_doc	one;

		if (m->raw < text || m->raw_len == 0 || m->raw + m->raw_len > text + len)
			abort();
		/* a number read is one jsonb holds: short, never a subnormal */
		if (m->type == JSON_NUMBER &&
			(m->raw_len > JSON_NUMBER_MAX_LEN ||
			 (m->number != 0 && m->number > -DBL_MIN && m->number < DBL_MIN)))
			abort();
		wrapped = fuzz_alloc(m->raw_len + 6);
		memcpy(wrapped, "{\"k\":", 5);
		memcpy(wrapped + 5, m->raw, m->raw_len);
		wrapped[m->raw_len + 5] = '}';
		if (read_doc(wrapped, m->raw_len + 6, &reread_limits, &one) != JSON_OK ||
			one.count != 1 || one.members[0].type != m->type)
			abort();
	}
}

/* Whether the strict outcome is possible beside the registration one. */
static int
consistent(json_status strict, json_status reg)
{
	switch (reg)
	{
		case JSON_OK:			/* strict: deeper than 16, or a nested repeat */
			return strict == JSON_OK || strict == JSON_INVALID ||
				strict == JSON_DUPLICATE;
		case JSON_DUPLICATE:
			return strict == JSON_DUPLICATE || strict == JSON_INVALID;
		case JSON_NOT_OBJECT:
			return strict == JSON_NOT_OBJECT || strict == JSON_INVALID;
		case JSON_INVALID:
			return strict == JSON_INVALID;
	}
	return 0;
}

/* A value that is not an object, as the value of a member: accepted. */
static void
check_as_member(const char *text, size_t len)
{
	char	   *wrapped = fuzz_alloc(len + 6);
	json_doc	doc;

	memcpy(wrapped, "{\"k\":", 5);
	memcpy(wrapped + 5, text, len);
	wrapped[len + 5] = '}';
	if (read_doc(wrapped, len + 6, &reg_limits, &doc) != JSON_OK ||
		doc.count != 1 || doc.members[0].type == JSON_OBJECT)
		abort();
}

/* Limits that a generated document stays within. */
static const json_limits gen_limits = {1 << 20, 8, false};

/* The input read as a stream of choices. */
typedef struct choices
{
	const uint8_t *p;
	size_t		left;
} choices;

/* A choice from 0 to n - 1 (0 once the input is used up). */
static unsigned
choose(choices *c, unsigned n)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++ % n;
}

/* A choice from 0 to 65535. */
static unsigned
choose16(choices *c)
{
	unsigned	high = choose(c, 256);

	return high << 8 | choose(c, 256);
}

/* Whitespace of a chosen kind, or none. */
static void
gen_space(choices *c, text_buf *b)
{
	static const char *const spaces[] = {"", " ", "\n\t", "\r\n  "};
	const char *s = spaces[choose(c, 4)];

	put(b, s, strlen(s));
}

/* Append code point cp as UTF-8. */
static void
put_code_point(text_buf *b, unsigned cp)
{
	static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
	int			n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	char		u[4];

	for (int i = n - 1; i > 0; i--, cp >>= 6)
		u[i] = (char) (0x80 | (cp & 0x3F));
	u[0] = (char) (n == 1 ? cp : (lead[n] | cp));
	put(b, u, (size_t) n);
}

/* A code point other than U+0000 and the surrogates, of a chosen range. */
static unsigned
gen_code_point(choices *c)
{
	unsigned	wide = choose16(c);

	switch (choose(c, 4))
	{
		case 0:
			return 0x20 + choose(c, 0x5F);	/* ASCII, '"' and '\\' too */
		case 1:
			return 1 + choose(c, 0x1F);	/* control: escaped */
		case 2:
			wide = 0x80 + wide % (0x10000 - 0x80 - 0x800);
			return wide >= 0xD800 ? wide + 0x800 : wide;
		default:
			return 0x10000 + ((wide << 4) | choose(c, 16));
	}
}

/* Append cp as a \u escape (a surrogate pair above U+FFFF). */
static void
put_u_escape(text_buf *b, unsigned cp, bool upper)
{
	char		esc[16];
	const char *fmt = upper ? "\\u%04X" : "\\u%04x";

	if (cp >= 0x10000)
	{
		put(b, esc, (size_t) snprintf(esc, sizeof(esc), fmt,
									   0xD800 + ((cp - 0x10000) >> 10)));
		cp = 0xDC00 + ((cp - 0x10000) & 0x3FF);
	}
	put(b, esc, (size_t) snprintf(esc, sizeof(esc), fmt, cp));
}

/* The two-character escape of cp ("\\n" for a line feed), or NULL. */
static const char *
short_escape(unsigned cp)
{
	static const char pairs[] = "\"\"\\\\//\bb\ff\nn\rr\tt";

	for (const char *p = pairs; *p; p += 2)
		if ((unsigned char) *p == cp)
			return p + 1;
	return NULL;
}

/* Append code point cp to a string's text, escaped or not as chosen. */
static void
gen_char(choices *c, text_buf *b, unsigned cp)
{
	const char *esc = short_escape(cp);
	bool		must = cp < 0x20 || cp == '"' || cp == '\\';

	switch (choose(c, 3))
	{
		case 0:
			if (esc != NULL)
			{
				put(b, "\\", 1);
				put(b, esc, 1);
				break;
			}
			/* FALLTHROUGH */
		case 1:
			put_u_escape(b, cp, choose(c, 2));
			break;
		default:
			if (must)
				put_u_escape(b, cp, false);
			else
				put_code_point(b, cp);
			break;
	}
}

/* A string of up to 8 characters: its text into b, its value into *value. */
static void
gen_string(choices *c, text_buf *b, char **value)
{
	text_buf	v = {0};
	int			n = (int) choose(c, 9);

	put(&v, "", 0);
	put(b, "\"", 1);
	for (int i = 0; i < n; i++)
	{
		unsigned	cp = gen_code_point(c);

		put_code_point(&v, cp);
		gen_char(c, b, cp);
	}
	put(b, "\"", 1);
	*value = v.data;
}

/* A number whose value is exact in a double, written in a chosen form. */
static void
gen_number(choices *c, text_buf *b, double *value)
{
	static const char *const forms[] = {"%d", "%d.0", "%de0", "%d.000E+0", "%de-00"};
	int			i = (int) choose16(c) - 32768;
	char		num[32];

	*value = i;
	put(b, num, (size_t) snprintf(num, sizeof(num), forms[choose(c, 5)], i));
}

static void gen_value(choices *c, text_buf *b, json_member *m, json_doc *keep,
					  int depth);

/*
 * An array of chosen values; m keeps its elements, each object as a
 * document, and its strings if all are strings.
 */
static void
gen_array(choices *c, text_buf *b, json_member *m, int depth)
{
	int			n = (int) choose(c, 5);

	m->type = JSON_ARRAY;
	m->strings = fuzz_alloc(sizeof(char *) * (size_t) (n + 1));
	m->objects = fuzz_alloc(sizeof(json_doc *) * (size_t) (n + 1));
	m->nobjects = n;
	put(b, "[", 1);
	for (int i = 0; i < n; i++)
	{
		json_member e = {0};
		json_doc   *d = fuzz_alloc(sizeof(json_doc));

		gen_space(c, b);
		gen_value(c, b, &e, d, depth + 1);
		gen_space(c, b);
		if (i < n - 1)
			put(b, ",", 1);
		m->objects[i] = e.type == JSON_OBJECT ? d : NULL;
		if (e.type != JSON_STRING)
			m->strings = NULL;
		if (m->strings != NULL)
			m->strings[m->nstrings++] = e.string;
	}
	if (m->strings == NULL)
		m->nstrings = 0;
	put(b, "]", 1);
}

/*
 * An object of chosen members, noted into keep unless NULL (names may
 * repeat: the generated limits check them only at the top level).
 */
static void
gen_object(choices *c, text_buf *b, json_doc *keep, int depth)
{
	int			n = (int) choose(c, 4);
	json_member scratch;

	if (keep != NULL)
	{
		keep->members = fuzz_alloc(sizeof(json_member) * (size_t) (n + 1));
		keep->count = 0;
	}
	put(b, "{", 1);
	for (int i = 0; i < n; i++)
	{
		json_member *e = keep != NULL ? &keep->members[keep->count++] : &scratch;

		memset(e, 0, sizeof(*e));
		gen_space(c, b);
		gen_string(c, b, &e->name);
		gen_space(c, b);
		put(b, ":", 1);
		gen_space(c, b);
		gen_value(c, b, e, NULL, depth + 1);
		gen_space(c, b);
		if (i < n - 1)
			put(b, ",", 1);
	}
	put(b, "}", 1);
}

/*
 * A chosen value: its text into b, what a reader keeps of it into m (an
 * object's members into keep, if it is kept).
 */
static void
gen_value(choices *c, text_buf *b, json_member *m, json_doc *keep, int depth)
{
	switch (choose(c, depth < gen_limits.max_depth ? 7 : 5))
	{
		case 0:
			m->type = JSON_NULL;
			put(b, "null", 4);
			break;
		case 1:
			m->type = JSON_BOOL;
			m->boolean = choose(c, 2);
			put(b, m->boolean ? "true" : "false", m->boolean ? 4 : 5);
			break;
		case 2:
			m->type = JSON_NUMBER;
			gen_number(c, b, &m->number);
			break;
		case 3:
		case 4:
			m->type = JSON_STRING;
			gen_string(c, b, &m->string);
			break;
		case 5:
			gen_array(c, b, m, depth);
			break;
		default:
			m->type = JSON_OBJECT;
			gen_object(c, b, keep, depth);
			break;
	}
}

/*
 * A document written from the choices must be read as noted, or refused
 * as a duplicate exactly when two top-level names are equal.
 */
static void
check_generated(const uint8_t *data, size_t size)
{
	choices		c = {data, size};
	text_buf	b = {0};
	json_doc	noted = {0},
				doc;
	bool		repeated = false;
	json_status expected;

	noted.members = fuzz_alloc(sizeof(json_member) * 8);
	gen_space(&c, &b);
	put(&b, "{", 1);
	for (int n = (int) choose(&c, 8); noted.count < n; noted.count++)
	{
		json_member *m = &noted.members[noted.count];

		memset(m, 0, sizeof(*m));
		gen_space(&c, &b);
		gen_string(&c, &b, &m->name);
		repeated |= json_get(&noted, m->name) != NULL;
		put(&b, ":", 1);
		gen_space(&c, &b);
		gen_value(&c, &b, m, NULL, 2);
		if (noted.count < n - 1)
			put(&b, ",", 1);
	}
	put(&b, "}", 1);
	gen_space(&c, &b);
	expected = repeated ? JSON_DUPLICATE : JSON_OK;
	if (read_doc(b.data, b.len, &gen_limits, &doc) != expected ||
		(expected == JSON_OK && !fuzz_same_doc(&noted, &doc)))
		abort();
}

/* One fuzz input: a document of size bytes (not NUL-terminated), and choices. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_exact_copy(data, size);
	json_doc	strict_doc,
				reg_doc,
				plain;
	json_status strict = read_doc(text, size, &json_strict_limits, &strict_doc);
	json_status reg = read_doc(text, size, &reg_limits, &reg_doc);

	if (json_parse_object(text, size, fuzz_alloc, &plain) != (strict == JSON_OK) ||
		!consistent(strict, reg))
		abort();
	if (strict == JSON_OK && (!fuzz_same_doc(&strict_doc, &plain) ||
							  !fuzz_same_doc(&strict_doc, &reg_doc)))
		abort();
	if (reg == JSON_OK)
	{
		check_accepted(&reg_doc);
		check_spans(text, size, &reg_doc);
	}
	if (reg == JSON_NOT_OBJECT && size + 6 <= reg_limits.max_len)
		check_as_member(text, size);
	if (size > 0)
	{
		json_limits shorter = reg_limits;

		shorter.max_len = size - 1;
		if (read_doc(text, size, &shorter, &plain) != JSON_INVALID)
			abort();
	}
	check_generated(data, size);
	fuzz_free_all();
	return 0;
}
