/*
 * json.c
 *		A small strict JSON reader (RFC 8259) for JWT headers and claim sets.
 *
 * Only the members of the top-level object are kept; nested values are
 * checked and skipped, except arrays of strings, which are kept (the "aud"
 * claim).  Refused: anything RFC 8259 refuses, invalid UTF-8, lone
 * surrogates, "\u0000" (strings are C strings), duplicate member names at
 * any level, nesting deeper than JSON_MAX_DEPTH, numbers that overflow a
 * double, and inputs longer than JSON_MAX_LEN.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_LEN (64 * 1024)
#define JSON_MAX_DEPTH 16

typedef struct json_parser
{
	const char *p;
	const char *end;
	json_alloc_fn alloc;
} json_parser;

static bool parse_value(json_parser *ps, int depth, json_member *m);

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

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes), or
 * 0 if it is not one (overlong forms, surrogates and values above U+10FFFF
 * are refused).
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned	cp;
	size_t		n;

	if (s[0] < 0x80)
		return 1;
	else if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		(cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
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
 * A string starting at the opening quote, decoded into a new NUL-terminated
 * buffer (decoding never grows the text, so its raw length is enough).
 */
static bool
parse_string(json_parser *ps, char **result)
{
	char	   *buf,
			   *out;

	if (ps->p >= ps->end || *ps->p != '"')
		return false;
	ps->p++;
	buf = ps->alloc((size_t) (ps->end - ps->p) + 1);
	if (buf == NULL)
		return false;
	out = buf;
	while (ps->p < ps->end)
	{
		unsigned char c = (unsigned char) *ps->p;
		size_t		n;

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
		n = utf8_seq_len((const unsigned char *) ps->p, (size_t) (ps->end - ps->p));
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

/* A number in RFC 8259 grammar, converted to a finite double. */
static bool
parse_number(json_parser *ps, double *result)
{
	const char *start = ps->p;
	char		tmp[64];
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
		if (!skip_digits(ps))
			return false;
	}
	n = (size_t) (ps->p - start);
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	*result = strtod(tmp, &endp);
	return *endp == '\0' && *result - *result == 0;	/* finite */
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
 * An object starting at '{'.  When out is given (the top level), members
 * are kept there; otherwise they are checked and dropped.
 */
static bool
parse_object(json_parser *ps, int depth, json_doc *out)
{
	int			cap = 8,
				count = 0;
	json_member *members;
	char	  **names;

	if (depth > JSON_MAX_DEPTH)
		return false;
	ps->p++;					/* '{' */
	members = ps->alloc(sizeof(json_member) * cap);
	names = ps->alloc(sizeof(char *) * cap);
	if (members == NULL || names == NULL)
		return false;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}')
	{
		ps->p++;
		goto done;
	}
	for (;;)
	{
		json_member *m;

		if (count == cap)
		{
			json_member *nm = ps->alloc(sizeof(json_member) * cap * 2);
			char	  **nn = ps->alloc(sizeof(char *) * cap * 2);

			if (nm == NULL || nn == NULL)
				return false;
			memcpy(nm, members, sizeof(json_member) * cap);
			memcpy(nn, names, sizeof(char *) * cap);
			members = nm;
			names = nn;
			cap *= 2;
		}
		m = &members[count];
		memset(m, 0, sizeof(*m));
		skip_ws(ps);
		if (!parse_string(ps, &m->name) || name_seen(names, count, m->name))
			return false;
		names[count] = m->name;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return false;
		ps->p++;
		skip_ws(ps);
		if (!parse_value(ps, depth + 1, out ? m : NULL))
			return false;
		count++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',')
		{
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}')
		{
			ps->p++;
			break;
		}
		return false;
	}
done:
	if (out)
	{
		out->members = members;
		out->count = count;
	}
	return true;
}

/*
 * An array starting at '['.  When m is given and every element is a
 * string, the strings are kept in m.
 */
static bool
parse_array(json_parser *ps, int depth, json_member *m)
{
	int			cap = 4,
				count = 0;
	bool		all_strings = true;
	char	  **strings;

	if (depth > JSON_MAX_DEPTH)
		return false;
	ps->p++;					/* '[' */
	strings = ps->alloc(sizeof(char *) * cap);
	if (strings == NULL)
		return false;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']')
	{
		ps->p++;
		goto done;
	}
	for (;;)
	{
		json_member elem;

		memset(&elem, 0, sizeof(elem));
		skip_ws(ps);
		if (!parse_value(ps, depth + 1, &elem))
			return false;
		if (elem.type != JSON_STRING)
			all_strings = false;
		else if (all_strings)
		{
			if (count == cap)
			{
				char	  **ns = ps->alloc(sizeof(char *) * cap * 2);

				if (ns == NULL)
					return false;
				memcpy(ns, strings, sizeof(char *) * cap);
				strings = ns;
				cap *= 2;
			}
			strings[count++] = elem.string;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',')
		{
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']')
		{
			ps->p++;
			break;
		}
		return false;
	}
done:
	if (m && all_strings)
	{
		m->strings = strings;
		m->nstrings = count;
	}
	return true;
}

/* Any value; its type and scalar content go to m when given. */
static bool
parse_value(json_parser *ps, int depth, json_member *m)
{
	json_member scratch;

	if (m == NULL)
		m = &scratch;
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p)
	{
		case '{':
			m->type = JSON_OBJECT;
			return parse_object(ps, depth, NULL);
		case '[':
			m->type = JSON_ARRAY;
			return parse_array(ps, depth, m == &scratch ? NULL : m);
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

/* Parse a top-level object; false if the input is not one, strictly. */
bool
json_parse_object(const char *text, size_t len, json_alloc_fn alloc,
				  json_doc *out)
{
	json_parser ps;

	if (text == NULL || len > JSON_MAX_LEN)
		return false;
	ps.p = text;
	ps.end = text + len;
	ps.alloc = alloc;
	out->members = NULL;
	out->count = 0;
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{' || !parse_object(&ps, 1, out))
		return false;
	skip_ws(&ps);
	return ps.p == ps.end;
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

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
