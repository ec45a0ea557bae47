/*
 * form.c
 *		application/x-www-form-urlencoded parsing, strict as OAuth requires.
 *
 * Pure C: no PostgreSQL headers.
 */
#include "lib/form.h"

#include <stdint.h>
#include <string.h>

/* The value of hex digit c, or -1. */
static int
form_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode n bytes of s ('+' and %XX) into a new NUL-terminated string.
 * NULL in *out with FORM_MALFORMED for a bad escape or a NUL byte.
 */
static form_status
form_decode(const char *s, size_t n, form_alloc_fn alloc, char **out)
{
	char	   *d = alloc(n + 1);
	size_t		i;
	size_t		o = 0;

	*out = NULL;
	if (d == NULL)
		return FORM_NO_MEMORY;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '%')
		{
			int			hi,
						lo;

			if (n - i < 3)
				return FORM_MALFORMED;
			hi = form_hexval((unsigned char) s[i + 1]);
			lo = form_hexval((unsigned char) s[i + 2]);
			if (hi < 0 || lo < 0)
				return FORM_MALFORMED;
			c = (unsigned char) (hi * 16 + lo);
			i += 2;
		}
		else if (c == '+')
			c = ' ';
		if (c == '\0')
			return FORM_MALFORMED;
		d[o++] = (char) c;
	}
	d[o] = '\0';
	*out = d;
	return FORM_OK;
}

/* Number of non-empty '&'-separated pairs in len bytes of body. */
static size_t
form_count_pairs(const char *body, size_t len)
{
	size_t		count = 0;
	size_t		start = 0;
	size_t		i;

	for (i = 0; i <= len; i++)
	{
		if (i == len || body[i] == '&')
		{
			if (i > start)
				count++;
			start = i + 1;
		}
	}
	return count;
}

/* Decode one pair of n bytes at s into p; FORM_OK, or the failure. */
static form_status
form_parse_pair(const char *s, size_t n, form_alloc_fn alloc, form_param *p)
{
	const char *eq = memchr(s, '=', n);
	size_t		nlen = eq ? (size_t) (eq - s) : n;
	form_status st;

	st = form_decode(s, nlen, alloc, &p->name);
	if (st != FORM_OK)
		return st;
	if (eq == NULL)
		return form_decode("", 0, alloc, &p->value);
	return form_decode(eq + 1, n - nlen - 1, alloc, &p->value);
}

/* Remember in f->duplicate the name of the last param if it was seen before. */
static void
form_note_duplicate(form *f)
{
	const char *name = f->params[f->count - 1].name;
	int			i;

	if (f->duplicate != NULL)
		return;
	for (i = 0; i < f->count - 1; i++)
	{
		if (strcmp(f->params[i].name, name) == 0)
		{
			f->duplicate = f->params[i].name;
			return;
		}
	}
}

/*
 * Parse len bytes of "a=1&b=2" into out.  Empty pairs, and pairs whose
 * name is empty ("=x"), are skipped.  out is always initialised.
 */
form_status
form_parse(const char *body, size_t len, int max_params,
		   form_alloc_fn alloc, form *out)
{
	size_t		npairs;
	size_t		start = 0;
	size_t		i;

	out->params = NULL;
	out->count = 0;
	out->duplicate = NULL;
	if (body == NULL)
		len = 0;
	npairs = form_count_pairs(body, len);
	if (npairs == 0)
		return FORM_OK;
	if (max_params <= 0 || npairs > (size_t) max_params)
		return FORM_TOO_MANY;
	out->params = alloc(npairs * sizeof(form_param));
	if (out->params == NULL)
		return FORM_NO_MEMORY;
	for (i = 0; i <= len; i++)
	{
		if (i == len || body[i] == '&')
		{
			if (i > start && body[start] != '=')
			{
				form_status st;

				st = form_parse_pair(body + start, i - start, alloc,
									 &out->params[out->count]);
				if (st != FORM_OK)
				{
					out->count = 0;
					out->duplicate = NULL;
					return st;
				}
				out->count++;
				form_note_duplicate(out);
			}
			start = i + 1;
		}
	}
	return FORM_OK;
}

/* The value of name (the first occurrence), or NULL when absent. */
const char *
form_get(const form *f, const char *name)
{
	int			i;

	if (f == NULL || name == NULL)
		return NULL;
	for (i = 0; i < f->count; i++)
	{
		if (strcmp(f->params[i].name, name) == 0)
			return f->params[i].value;
	}
	return NULL;
}

/* Whether c is an RFC 3986 unreserved character. */
bool
form_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode s (all but unreserved, as %XX uppercase) into a new string; NULL if too long or out of memory. */
char *
form_encode(const char *s, form_alloc_fn alloc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		n = strlen(s);
	char	   *d;
	size_t		o = 0;
	size_t		i;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	d = alloc(n * 3 + 1);
	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (form_unreserved(c))
			d[o++] = (char) c;
		else
		{
			d[o++] = '%';
			d[o++] = hex[c >> 4];
			d[o++] = hex[c & 15];
		}
	}
	d[o] = '\0';
	return d;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
