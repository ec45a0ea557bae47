/*
 * json.h
 *		A small strict JSON reader for JWT headers and claim sets, sealed
 *		authorization requests, client registration requests and the
 *		server's consent descriptor: one top-level object whose members are
 *		looked up by name.
 *
 * Pure C: no PostgreSQL headers.  Rejects anything RFC 8259 rejects, a
 * member name twice in the top-level object (RFC 7515 section 5.2, RFC 7519
 * section 4, RFC 7591 section 2: one value per metadata field), input
 * beyond the caller's json_limits, and numbers a double or jsonb cannot
 * hold (out of a double's range, over JSON_NUMBER_MAX_LEN bytes, or with
 * an exponent beyond JSON_NUMBER_MAX_EXPONENT).  Kept: the top-level object's members;
 * of a member that is an array, its strings if all its elements are
 * strings, and its objects, each read as a document the same way.  Every
 * kept member also points at its value's text in the input (raw), so a
 * nested object can be copied or read on its own.
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

/*
 * Numbers: at most this many bytes of text, and an exponent of at most
 * this magnitude, so that every number read is also one PostgreSQL's
 * numeric (jsonb) holds; a double's own range is ~1e-308 to ~1e308.
 */
#define JSON_NUMBER_MAX_LEN		64
#define JSON_NUMBER_MAX_EXPONENT	400

typedef void *(*json_alloc_fn) (size_t size);

typedef struct json_doc json_doc;

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
	json_doc  **objects;		/* for JSON_ARRAY: its elements, each an object
								 * read as a document or NULL if not one */
	int			nobjects;		/* elements, for JSON_ARRAY */
	const char *raw;			/* the value's text in the input (not
								 * NUL-terminated), any type */
	size_t		raw_len;
} json_member;

/*
 * An object: the top-level one, or an element of an array that is a member
 * of one (read the same way, the "scopes" of a consent descriptor).
 */
struct json_doc
{
	json_member *members;
	int			count;
};

/* What a document may be, beyond RFC 8259's grammar. */
typedef struct json_limits
{
	size_t		max_len;		/* bytes of input */
	int			max_depth;		/* nesting; the top-level object is 1 */
	bool		unique_nested;	/* names unique in nested objects too */
} json_limits;

/* JWT headers and claim sets: 64 KiB, depth 16, every name unique. */
extern const json_limits json_strict_limits;

typedef enum json_status
{
	JSON_OK,
	JSON_INVALID,				/* not RFC 8259 JSON, or beyond the limits */
	JSON_NOT_OBJECT,			/* JSON, but not an object */
	JSON_DUPLICATE				/* an object has a member name twice */
} json_status;

/*
 * Read a top-level object within limits into out (on any other outcome out
 * is left empty).  A document that is not JSON is JSON_INVALID whatever
 * else is wrong with it.
 */
extern json_status json_read_object(const char *text, size_t len,
									const json_limits *limits,
									json_alloc_fn alloc, json_doc *out);

/* json_read_object under json_strict_limits; whether it gave JSON_OK. */
extern bool json_parse_object(const char *text, size_t len, json_alloc_fn alloc,
							  json_doc *out);

/* The member called name, or NULL. */
extern const json_member *json_get(const json_doc *o, const char *name);

/* The value of the string member called name; NULL if none (or o is NULL). */
extern const char *json_get_string(const json_doc *o, const char *name);

#endif
