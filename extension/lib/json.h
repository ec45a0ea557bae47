/*
 * json.h
 *		A small strict JSON reader for JWT headers and claim sets: one
 *		top-level object whose members are looked up by name.
 *
 * Pure C: no PostgreSQL headers.  Rejects anything RFC 8259 rejects,
 * duplicate member names (RFC 7515 section 5.2 / RFC 7519 section 4),
 * nesting deeper than 16, and inputs over 64 KiB.
 */
#ifndef MCP_OAUTH_JSON_H
#define MCP_OAUTH_JSON_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void *(*json_alloc_fn) (size_t size);

typedef enum json_type
{
	JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json_member
{
	char	   *name;			/* decoded */
	json_type	type;
	char	   *string;			/* decoded, for JSON_STRING */
	double		number;			/* for JSON_NUMBER */
	bool		boolean;		/* for JSON_BOOL */
	char	  **strings;		/* for JSON_ARRAY of strings only; else NULL */
	int			nstrings;
} json_member;

typedef struct json_doc
{
	json_member *members;
	int			count;
} json_doc;

/* Parse a top-level object; false if the input is not one, strictly. */
extern bool json_parse_object(const char *text, size_t len, json_alloc_fn alloc,
							  json_doc *out);

/* The member called name, or NULL. */
extern const json_member *json_get(const json_doc *o, const char *name);

#endif
