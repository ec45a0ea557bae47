/*
 * json.c
 *		A small strict JSON reader (RFC 8259) for JWT headers and claim sets,
 *		sealed authorization requests, client registration requests and the
 *		consent descriptor the shim shows.
 *
 * Kept objects are the top-level one and the elements of kept arrays; kept
 * arrays are the member values of kept objects, and keep their strings if
 * all their elements are strings (the "aud" claim, "redirect_uris") and
 * their elements as documents, NULL where not an object (the "scopes" of a
 * consent descriptor).  Other nested values are checked and skipped.  A
 * kept member points at its value's text (raw, raw_len): the span is set
 * when a scalar is read or its container's frame is closed.
 * Refused: anything RFC 8259 refuses, invalid UTF-8, lone surrogates,
 * "\u0000" (strings are C strings), a member name twice in the top-level
 * object (in any object under limits that say so), nesting and input
 * beyond the caller's limits, and numbers that a double or PostgreSQL's
 * numeric cannot hold (parse_number).
 *
 * The reader does not recurse: the open arrays and objects are a stack of
 * frames from alloc, so nesting costs memory bounded by the limits, not C
 * stack.  Nothing is freed here (alloc is an arena, palloc in the backend);
 * a string takes its raw length, so what one document allocates is a small
 * multiple of its size.
 */
#include "json.h"
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* JWT headers and claim sets, sealed requests: json_parse_object(). */
const json_limits json_strict_limits = {64 * 1024, 16, true};

/* An open array or object. */
typedef struct json_frame
{
	bool		is_object;
	bool		all_strings;	/* every element so far is a string */
	int			count;			/* elements (members) read or begun */
	int			cap;			/* room in items, or in doc's members */
	char	  **items;			/* an object's member names (if checked and
								 * not kept), or a kept array's strings */
	json_doc   *doc;			/* a kept object's members */
	json_member *owner;			/* the kept member whose array this is */
	json_doc  **objects;		/* a kept array's elements as documents */
	int			objects_cap;
	json_member *spanned;		/* the kept member this container is the
								 * value of: its raw_len set at the end */
} json_frame;

typedef struct json_parser
{
	const char *p;
	const char *end;
	json_alloc_fn alloc;
	const json_limits *limits;
	json_frame *stack;			/* open containers, outermost first */
	int			depth;
	int			stack_cap;
	json_doc	doc;			/* the top-level object's members */
	bool		is_object;		/* the top-level value is an object */
	bool		duplicate;		/* an object has a member name twice */
} json_parser;

/* Skip JSON whitespace (space, tab, line feed, carriage return). */
static void
skip_ws(json_parser *ps)
{
	while (ps->p < ps->end &&
		   (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Consume the literal word (true, false, null) if it comes next. */
static bool
take_word(json_parser *ps, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

/* Four hex digits at s into *cp; false if not hex. */
static bool
hex4(const char *s, unsigned *cp)
{
	unsigned	v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned) (c - 'A' + 10);
		else
			return false;
	}
	*cp = v;
	return true;
}

/* Append code point cp as UTF-8 at *out. */
static void
put_utf8(char **out, unsigned cp)
{
	unsigned char *o = (unsigned char *) *out;

	if (cp < 0x80)
		*o++ = (unsigned char) cp;
	else if (cp < 0x800)
	{
		*o++ = (unsigned char) (0xC0 | (cp >> 6));
		*o++ = (unsigned char) (0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		*o++ = (unsigned char) (0xE0 | (cp >> 12));
		*o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		*o++ = (unsigned char) (0x80 | (cp & 0x3F));
	}
	else
	{
		*o++ = (unsigned char) (0xF0 | (cp >> 18));
		*o++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
		*o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		*o++ = (unsigned char) (0x80 | (cp & 0x3F));
	}
	*out = (char *) o;
}

/* Decode the \uXXXX escape (with its pair, if a high surrogate) after "\u". */
static bool
parse_u_escape(json_parser *ps, char **out)
{
	unsigned	cp,
				lo;

	if (ps->end - ps->p < 4 || !hex4(ps->p, &cp))
		return false;
	ps->p += 4;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return false;
	if (cp >= 0xD800 && cp <= 0xDBFF)
	{
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
			!hex4(ps->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
			return false;
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	if (cp == 0)
		return false;
	put_utf8(out, cp);
	return true;
}

/* One escape after the backslash. */
static bool
parse_escape(json_parser *ps, char **out)
{
	char		c;

	if (ps->p >= ps->end)
		return false;
	c = *ps->p++;
	switch (c)
	{
		case '"':
		case '\\':
		case '/':
			*(*out)++ = c;
			return true;
		case 'b':
			*(*out)++ = '\b';
			return true;
		case 'f':
			*(*out)++ = '\f';
			return true;
		case 'n':
			*(*out)++ = '\n';
			return true;
		case 'r':
			*(*out)++ = '\r';
			return true;
		case 't':
			*(*out)++ = '\t';
			return true;
		case 'u':
			return parse_u_escape(ps, out);
		default:
			return false;
	}
}

/*
 * Bytes from ps->p (after an opening quote) to the closing quote, escapes
 * skipped whole; false if the string is not closed.
 */
static bool
string_extent(const json_parser *ps, size_t *len)
{
	const char *q = ps->p;

	while (q < ps->end && *q != '"')
	{
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		q++;
	}
	if (q >= ps->end)
		return false;
	*len = (size_t) (q - ps->p);
	return true;
}

/*
 * A string starting at the opening quote, decoded into a new NUL-terminated
 * buffer (decoding never grows the text, so its raw length is enough).
 */
static bool
parse_string(json_parser *ps, char **result)
{
	char	   *buf,
			   *out;
	size_t		raw;

	if (ps->p >= ps->end || *ps->p != '"')
		return false;
	ps->p++;
	if (!string_extent(ps, &raw) || (buf = ps->alloc(raw + 1)) == NULL)
		return false;
	out = buf;
	while (ps->p < ps->end)
	{
		unsigned char c = (unsigned char) *ps->p;
		size_t		n;
		uint32_t	cp;

		if (c == '"')
		{
			ps->p++;
			*out = '\0';
			*result = buf;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\')
		{
			ps->p++;
			if (!parse_escape(ps, &out))
				return false;
			continue;
		}
		n = text_utf8_decode((const unsigned char *) ps->p,
							 (size_t) (ps->end - ps->p), &cp);
		if (n == 0)
			return false;
		memcpy(out, ps->p, n);
		out += n;
		ps->p += n;
	}
	return false;
}

/* Skip a run of one or more digits; false if there is none. */
static bool
skip_digits(json_parser *ps)
{
	const char *start = ps->p;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	return ps->p > start;
}

/*
 * Skip an exponent's digits; false if there is none or its value is beyond
 * JSON_NUMBER_MAX_EXPONENT (leading zeros allowed).
 */
static bool
skip_exponent(json_parser *ps)
{
	long		value = 0;

	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return false;
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
	{
		value = value * 10 + (*ps->p++ - '0');
		if (value > JSON_NUMBER_MAX_EXPONENT)
			return false;
	}
	return true;
}

/*
 * A number in RFC 8259 grammar, converted to a double.  Refused beyond
 * what a double and PostgreSQL's numeric (what jsonb keeps) both hold:
 * text over JSON_NUMBER_MAX_LEN bytes, an exponent beyond
 * JSON_NUMBER_MAX_EXPONENT (0e-20000 is zero to strtod, but over
 * numeric's scale), and a value strtod finds out of range (ERANGE: an
 * overflow, or an underflow to a subnormal or zero).
 */
static bool
parse_number(json_parser *ps, double *result)
{
	const char *start = ps->p;
	char		tmp[JSON_NUMBER_MAX_LEN + 1];
	char	   *endp;
	size_t		n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (ps->p >= ps->end || *ps->p < '1' || *ps->p > '9' || !skip_digits(ps))
		return false;
	if (ps->p < ps->end && *ps->p == '.')
	{
		ps->p++;
		if (!skip_digits(ps))
			return false;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
	{
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!skip_exponent(ps))
			return false;
	}
	n = (size_t) (ps->p - start);
	if (n > JSON_NUMBER_MAX_LEN)
		return false;
	/* strtod needs a terminated copy: the text may end right after */
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	errno = 0;
	*result = strtod(tmp, &endp);
	return *endp == '\0' && errno != ERANGE && *result - *result == 0;	/* finite */
}

/*
 * arr (count used of *cap elements of size bytes) with room for one more:
 * arr itself, or a copy twice as large (room for one at first: most kept
 * objects are small).  NULL if out of memory.
 */
static void *
grow(json_parser *ps, void *arr, int *cap, int count, size_t size)
{
	void	   *bigger;
	int			new_cap = *cap > 0 ? *cap * 2 : 1;

	if (count < *cap)
		return arr;
	if ((bigger = ps->alloc(size * (size_t) new_cap)) == NULL)
		return NULL;
	if (count > 0)
		memcpy(bigger, arr, size * (size_t) count);
	*cap = new_cap;
	return bigger;
}

/* Whether name occurs among the first n names. */
static bool
name_seen(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * Open an array or object (its bracket consumed) as the innermost frame:
 * an object kept into doc, an array kept for its member owner (either
 * NULL if not kept).  False if that is too deep.
 */
static bool
push_frame(json_parser *ps, bool is_object, json_doc *doc, json_member *owner)
{
	json_frame *f;

	if (ps->depth >= ps->limits->max_depth)
		return false;
	ps->stack = grow(ps, ps->stack, &ps->stack_cap, ps->depth, sizeof(json_frame));
	if (ps->stack == NULL)
		return false;
	f = &ps->stack[ps->depth++];
	memset(f, 0, sizeof(*f));
	f->is_object = is_object;
	f->all_strings = true;
	f->doc = doc;
	f->owner = owner;
	return true;
}

/*
 * Close the innermost frame (its bracket consumed).  A kept array gives
 * its member its elements, and its strings if all are strings (an empty
 * array has no element and all its elements are strings).
 */
static bool
pop_frame(json_parser *ps)
{
	json_frame *f = &ps->stack[--ps->depth];

	if (f->spanned != NULL)
		f->spanned->raw_len = (size_t) (ps->p - f->spanned->raw);
	if (f->owner == NULL)
		return true;
	if (f->objects == NULL && (f->objects = ps->alloc(sizeof(json_doc *))) == NULL)
		return false;
	f->owner->objects = f->objects;
	f->owner->nobjects = f->count;
	if (!f->all_strings)
		return true;
	if (f->items == NULL && (f->items = ps->alloc(sizeof(char *))) == NULL)
		return false;
	f->owner->strings = f->items;
	f->owner->nstrings = f->count;
	return true;
}

/*
 * Begin the value at ps->p, into m: a scalar is read whole, an array or
 * object opens a frame.  An object is kept into doc (unless NULL), an
 * array for m if keep.
 */
static bool
begin_value(json_parser *ps, json_member *m, json_doc *doc, bool keep)
{
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p)
	{
		case '{':
			ps->p++;
			m->type = JSON_OBJECT;
			return push_frame(ps, true, doc, NULL);
		case '[':
			ps->p++;
			m->type = JSON_ARRAY;
			return push_frame(ps, false, NULL, keep ? m : NULL);
		case '"':
			m->type = JSON_STRING;
			return parse_string(ps, &m->string);
		case 't':
			m->type = JSON_BOOL;
			m->boolean = true;
			return take_word(ps, "true");
		case 'f':
			m->type = JSON_BOOL;
			m->boolean = false;
			return take_word(ps, "false");
		case 'n':
			m->type = JSON_NULL;
			return take_word(ps, "null");
		default:
			m->type = JSON_NUMBER;
			return parse_number(ps, &m->number);
	}
}

/*
 * A member name of the innermost object, and the colon after it.  A name
 * seen before in the top-level object (or, under unique_nested, in this
 * one) is noted; the document is still read to its end, so that a
 * document that is not JSON is always JSON_INVALID.
 */
static bool
read_name(json_parser *ps, json_frame *f, char **name)
{
	if (!parse_string(ps, name))
		return false;
	if (f->doc != NULL)
	{
		if (ps->depth == 1 || ps->limits->unique_nested)
			ps->duplicate |= json_get(f->doc, *name) != NULL;
	}
	else if (ps->limits->unique_nested)
	{
		ps->duplicate |= name_seen(f->items, f->count, *name);
		if ((f->items = grow(ps, f->items, &f->cap, f->count, sizeof(char *))) == NULL)
			return false;
		f->items[f->count] = *name;
	}
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return false;
	ps->p++;
	skip_ws(ps);
	return true;
}

/* A new member called name of kept object f; NULL if out of memory. */
static json_member *
new_member(json_parser *ps, json_frame *f, char *name)
{
	json_doc   *doc = f->doc;
	json_member *m;

	/* f is innermost: no owner points into the old array */
	doc->members = grow(ps, doc->members, &f->cap, doc->count, sizeof(json_member));
	if (doc->members == NULL)
		return NULL;
	m = &doc->members[doc->count++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	return m;
}

/*
 * Room for the next element of kept array f, and the document it is kept
 * into if the value at ps->p is an object (*doc NULL if it is not).
 */
static bool
new_element(json_parser *ps, json_frame *f, json_doc **doc)
{
	*doc = NULL;
	f->objects = grow(ps, f->objects, &f->objects_cap, f->count, sizeof(json_doc *));
	if (f->objects == NULL)
		return false;
	if (ps->p < ps->end && *ps->p == '{' &&
		(*doc = ps->alloc(sizeof(json_doc))) == NULL)
		return false;
	if (*doc != NULL)
		memset(*doc, 0, sizeof(json_doc));
	f->objects[f->count] = *doc;
	return true;
}

/* An element of a kept array was begun: keep its string while all are. */
static bool
keep_string(json_parser *ps, json_frame *f, const json_member *m)
{
	if (m->type != JSON_STRING)
		f->all_strings = false;
	if (!f->all_strings)
		return true;
	if ((f->items = grow(ps, f->items, &f->cap, f->count, sizeof(char *))) == NULL)
		return false;
	f->items[f->count] = m->string;
	return true;
}

/* Begin the next element (or member) of the innermost container. */
static bool
begin_element(json_parser *ps)
{
	int			level = ps->depth - 1;
	json_frame *f = &ps->stack[level];
	json_member scratch;
	json_member *m = &scratch;
	json_doc   *doc = NULL;
	char	   *name = NULL;

	memset(&scratch, 0, sizeof(scratch));
	if (f->is_object && !read_name(ps, f, &name))
		return false;
	if (f->doc != NULL && (m = new_member(ps, f, name)) == NULL)
		return false;
	if (f->owner != NULL && !new_element(ps, f, &doc))
		return false;
	m->raw = ps->p;
	if (!begin_value(ps, m, doc, m != &scratch))
		return false;
	/* a scalar was read whole; a container's frame ends its span */
	if (ps->depth == level + 1)
		m->raw_len = (size_t) (ps->p - m->raw);
	else if (m != &scratch)
		ps->stack[level + 1].spanned = m;
	f = &ps->stack[level];		/* a frame pushed may have moved the stack */
	if (f->owner != NULL && !keep_string(ps, f, m))
		return false;
	f->count++;
	return true;
}

/* One step in the innermost container: its end, or the next element. */
static bool
step(json_parser *ps)
{
	json_frame *f = &ps->stack[ps->depth - 1];

	skip_ws(ps);
	if (ps->p >= ps->end)
		return false;
	if (*ps->p == (f->is_object ? '}' : ']'))
	{
		ps->p++;
		return pop_frame(ps);
	}
	if (f->count > 0)
	{
		if (*ps->p != ',')
			return false;
		ps->p++;
		skip_ws(ps);
	}
	return begin_element(ps);
}

/* The whole text: one value, with only whitespace around it. */
static bool
parse_text(json_parser *ps)
{
	json_member top;

	memset(&top, 0, sizeof(top));
	skip_ws(ps);
	ps->is_object = ps->p < ps->end && *ps->p == '{';
	if (!begin_value(ps, &top, &ps->doc, false))
		return false;
	while (ps->depth > 0)
	{
		if (!step(ps))
			return false;
	}
	skip_ws(ps);
	return ps->p == ps->end;
}

/* Read a top-level object within limits; out is left empty unless JSON_OK. */
json_status
json_read_object(const char *text, size_t len, const json_limits *limits,
				 json_alloc_fn alloc, json_doc *out)
{
	json_parser ps;
	json_status status = JSON_INVALID;

	out->members = NULL;
	out->count = 0;
	if (text == NULL || len > limits->max_len)
		return JSON_INVALID;
	memset(&ps, 0, sizeof(ps));
	ps.p = text;
	ps.end = text + len;
	ps.alloc = alloc;
	ps.limits = limits;
	if (parse_text(&ps))
		status = !ps.is_object ? JSON_NOT_OBJECT :
			ps.duplicate ? JSON_DUPLICATE : JSON_OK;
	if (status == JSON_OK)
		*out = ps.doc;
	return status;
}

/* json_read_object under json_strict_limits; whether it gave JSON_OK. */
bool
json_parse_object(const char *text, size_t len, json_alloc_fn alloc,
				  json_doc *out)
{
	return json_read_object(text, len, &json_strict_limits, alloc, out) == JSON_OK;
}

/* The member called name, or NULL. */
const json_member *
json_get(const json_doc *o, const char *name)
{
	for (int i = 0; i < o->count; i++)
		if (strcmp(o->members[i].name, name) == 0)
			return &o->members[i];
	return NULL;
}

/* The value of the string member called name; NULL if none (or o is NULL). */
const char *
json_get_string(const json_doc *o, const char *name)
{
	const json_member *m = o != NULL ? json_get(o, name) : NULL;

	return m != NULL && m->type == JSON_STRING ? m->string : NULL;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
