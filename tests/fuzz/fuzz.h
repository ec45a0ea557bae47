/*
 * fuzz.h
 *		What the libFuzzer harnesses share: an arena for the lib/ functions'
 *		alloc argument, emptied after each input (so that leak checking sees
 *		nothing), copies of the input, and whether two JSON documents read
 *		the same.
 */
#ifndef MCP_OAUTH_FUZZ_H
#define MCP_OAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

/* One block of the arena, its memory after the header. */
typedef union fuzz_block
{
	union fuzz_block *next;
	max_align_t align;
} fuzz_block;

static fuzz_block *fuzz_blocks;

/* malloc that remembers the block, for fuzz_free_all (never NULL). */
static inline void *
fuzz_alloc(size_t size)
{
	fuzz_block *b = malloc(sizeof(fuzz_block) + size);

	if (b == NULL)
		abort();
	b->next = fuzz_blocks;
	fuzz_blocks = b;
	return b + 1;
}

/* Free every block of this input. */
static inline void
fuzz_free_all(void)
{
	while (fuzz_blocks != NULL)
	{
		fuzz_block *b = fuzz_blocks;

		fuzz_blocks = b->next;
		free(b);
	}
}

/*
 * A copy of data in a block of exactly size bytes (no terminator), so that
 * AddressSanitizer reports a read past the input's end; from fuzz_alloc.
 */
static inline char *
fuzz_exact_copy(const uint8_t *data, size_t size)
{
	char	   *copy = fuzz_alloc(size);

	memcpy(copy, data, size);
	return copy;
}

/* A NUL-terminated copy of data, from fuzz_alloc. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char	   *s = fuzz_alloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Whether two possibly-NULL string lists are equal. */
static inline int
fuzz_same_strings(char **a, int na, char **b, int nb)
{
	if ((a == NULL) != (b == NULL) || na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static inline int fuzz_same_doc(const json_doc *a, const json_doc *b);

/* Whether two possibly-NULL lists of possibly-NULL documents are equal. */
static inline int
fuzz_same_objects(json_doc **a, int na, json_doc **b, int nb)
{
	if ((a == NULL) != (b == NULL) || na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if ((a[i] == NULL) != (b[i] == NULL) ||
			(a[i] != NULL && !fuzz_same_doc(a[i], b[i])))
			return 0;
	return 1;
}

/* Whether two members have the same name, type and kept value. */
static inline int
fuzz_same_member(const json_member *a, const json_member *b)
{
	if (strcmp(a->name, b->name) != 0 || a->type != b->type)
		return 0;
	switch (a->type)
	{
		case JSON_STRING:
			return strcmp(a->string, b->string) == 0;
		case JSON_NUMBER:
			return a->number == b->number;
		case JSON_BOOL:
			return a->boolean == b->boolean;
		case JSON_ARRAY:
			return fuzz_same_strings(a->strings, a->nstrings, b->strings, b->nstrings) &&
				fuzz_same_objects(a->objects, a->nobjects, b->objects, b->nobjects);
		default:
			return 1;
	}
}

/* Whether two documents have the same members in the same order. */
static inline int
fuzz_same_doc(const json_doc *a, const json_doc *b)
{
	if (a->count != b->count)
		return 0;
	for (int i = 0; i < a->count; i++)
		if (!fuzz_same_member(&a->members[i], &b->members[i]))
			return 0;
	return 1;
}

#endif
