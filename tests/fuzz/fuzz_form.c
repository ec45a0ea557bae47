/*
 * fuzz_form.c
 *		libFuzzer harness for lib/form.c: parsing never overruns, decoded
 *		names and values hold no NUL, and encoding then parsing a value gives
 *		it back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/form.h"

#define MAX_ALLOCS 1024

static void *allocs[MAX_ALLOCS];
static int	nallocs;

/* malloc that remembers the block so the run can free it (no leak reports). */
static void *
fuzz_alloc(size_t size)
{
	void	   *p;

	if (nallocs >= MAX_ALLOCS)
		abort();
	p = malloc(size);
	allocs[nallocs++] = p;
	return p;
}

/* Free every block of this run. */
static void
fuzz_free_all(void)
{
	while (nallocs > 0)
		free(allocs[--nallocs]);
}

/* Whether encoding v and parsing "v=<that>" yields v again. */
static int
round_trips(const char *v)
{
	char	   *enc = form_encode(v, fuzz_alloc);
	size_t		n = strlen(enc);
	char	   *body = fuzz_alloc(n + 3);
	form		f;

	memcpy(body, "v=", 2);
	memcpy(body + 2, enc, n + 1);
	return form_parse(body, n + 2, 1, fuzz_alloc, &f) == FORM_OK &&
		(v[0] == '\0' ? form_get(&f, "v") != NULL : strcmp(form_get(&f, "v"), v) == 0);
}

/* One fuzz input: a form body of size bytes (not NUL-terminated). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	form		f;
	form_status st;
	int			i;

	st = form_parse((const char *) data, size, 64, fuzz_alloc, &f);
	if (st != FORM_OK && f.count != 0)
		abort();
	for (i = 0; i < f.count; i++)
	{
		if (f.params[i].name[0] == '\0' ||
			strlen(f.params[i].name) > size || strlen(f.params[i].value) > size)
			abort();
		if (form_get(&f, f.params[i].name) == NULL)
			abort();
		if (i < 4 && !round_trips(f.params[i].value))
			abort();
	}
	if (f.duplicate != NULL && form_get(&f, f.duplicate) == NULL)
		abort();
	fuzz_free_all();
	return 0;
}
