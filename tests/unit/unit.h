/*
 * unit.h
 *		A tiny assertion helper for the unit tests of extension/lib/.
 *
 * CHECK(cond, fmt, ...) counts a pass or prints the failure with its line;
 * unit_done(name) prints "name: P passed, F failed" and gives the exit code.
 */
#ifndef MCP_OAUTH_UNIT_H
#define MCP_OAUTH_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__); \
			printf("\n"); \
		} \
	} while (0)

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Whether two possibly-NULL strings are equal. */
static inline int
unit_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A possibly-NULL string for printing. */
static inline const char *
unit_show(const char *s)
{
	return s ? s : "(null)";
}

/* Print the summary line of this test program; its exit status. */
static inline int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
