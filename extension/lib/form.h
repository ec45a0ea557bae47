/*
 * form.h
 *		application/x-www-form-urlencoded parsing (URL query strings and
 *		form bodies), strict as OAuth requires.
 *
 * Pure C: no PostgreSQL headers.  Memory comes from the caller's allocator
 * (palloc in the backend, malloc in unit tests) and is never freed here.
 */
#ifndef MCP_OAUTH_FORM_H
#define MCP_OAUTH_FORM_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>

typedef void *(*form_alloc_fn) (size_t size);

typedef struct form_param
{
	char	   *name;			/* decoded, NUL-terminated */
	char	   *value;			/* decoded, NUL-terminated; "" if no '=' */
} form_param;

typedef struct form
{
	form_param *params;
	int			count;
	const char *duplicate;		/* first name seen twice, or NULL */
} form;

typedef enum form_status
{
	FORM_OK = 0,
	FORM_MALFORMED,				/* bad %-escape, or a decoded NUL byte */
	FORM_TOO_MANY,				/* more than max_params parameters */
	FORM_NO_MEMORY				/* alloc returned NULL */
} form_status;

/*
 * Parse len bytes of "a=1&b=2" into out.  '+' decodes to a space and %XX to
 * its byte; empty pairs ("a=1&&b=2") are skipped.  A name that occurs twice
 * is not an error here, but out->duplicate names it (RFC 6749 section 3.1:
 * parameters must not be repeated; the caller decides).  Pairs with an
 * empty name ("=x") are skipped too; a raw or %-encoded NUL byte is
 * FORM_MALFORMED.  out is always initialised (count 0 on failure);
 * form_get returns the first occurrence of a repeated name.
 */
extern form_status form_parse(const char *body, size_t len, int max_params,
							  form_alloc_fn alloc, form *out);

/* The value of name, or NULL when absent. */
extern const char *form_get(const form *f, const char *name);

/* Whether c is an RFC 3986 unreserved character: A-Z a-z 0-9 - . _ ~ */
extern bool form_unreserved(unsigned char c);

/*
 * Percent-encode s for a query component into a new string: RFC 3986
 * unreserved characters kept, every other byte as %XX (uppercase hex).
 * NULL if alloc fails.
 */
extern char *form_encode(const char *s, form_alloc_fn alloc);

#endif
