/*
 * scope.c
 *		OAuth scopes: parsing (RFC 6749 section 3.3), lists, the scopes table.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"

/* One row of the scopes table, in the per-backend copy. */
typedef struct ScopeRow
{
	char	   *name;
	char	   *description;
	bool		is_default;
} ScopeRow;

static ScopeRow *scope_rows = NULL;	/* ordered by name (the table's collation) */
static int	nscope_rows = 0;
static MemoryContext scopes_cxt = NULL;
static MoTableCache scopes_cache = {"scopes"};

/* Whether c may appear in a scope token: %x21 / %x23-5B / %x5D-7E. */
static bool
scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

/* Whether s is in the list of strings. */
static bool
string_in_list(const char *s, List *list)
{
	ListCell   *lc;

	foreach(lc, list)
		if (strcmp(s, (const char *) lfirst(lc)) == 0)
			return true;
	return false;
}

/*
 * Split a scope string (RFC 6749 section 3.3: tokens separated by single
 * spaces) into a List without duplicates; "" and NULL give NIL.  False if
 * malformed: a bad character, or a leading, trailing or doubled space.
 */
bool
mo_scope_parse(const char *scope, List **out)
{
	const char *p = scope;

	*out = NIL;
	if (scope == NULL || *scope == '\0')
		return true;
	for (;;)
	{
		const char *start = p;
		char	   *tok;

		while (*p && *p != ' ')
		{
			if (!scope_char((unsigned char) *p))
				return false;
			p++;
		}
		if (p == start)
			return false;		/* empty token */
		tok = pnstrdup(start, p - start);
		if (!string_in_list(tok, *out))
			*out = lappend(*out, tok);
		if (*p == '\0')
			return true;
		p++;					/* the single space */
	}
}

/* Join scopes with single spaces. */
char *
mo_scope_join(List *scopes)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, scopes)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, ' ');
		appendStringInfoString(&buf, (const char *) lfirst(lc));
	}
	return buf.data;
}

/* text[] Datum to a List of char *. */
List *
mo_text_array_to_list(Datum array)
{
	ArrayType  *arr = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			result = lappend(result, TextDatumGetCString(elems[i]));
	return result;
}

/* A List of char * to a text[] Datum. */
Datum
mo_list_to_text_array(List *values)
{
	Datum	   *elems = palloc(sizeof(Datum) * (list_length(values) + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, values)
		elems[n++] = CStringGetTextDatum((const char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Whether every element of sub is in super. */
bool
mo_scope_subset(List *sub, List *super)
{
	ListCell   *lc;

	foreach(lc, sub)
		if (!string_in_list((const char *) lfirst(lc), super))
			return false;
	return true;
}

/* Register the scopes table's relcache callback (once, from _PG_init). */
void
mo_scope_init(void)
{
	mo_table_cache_register(&scopes_cache);
}

/* A text column of SPI row i, copied into cxt. */
static char *
scope_text(MemoryContext cxt, uint64 i, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/*
 * Read the scopes table into a new context, a child of the caller's until
 * it is complete (a failed load is freed with the caller's memory), then
 * swap it in for the old copy.
 */
static void
scopes_load(uint64 ticket)
{
	static SPIPlanPtr plan = NULL;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "mcp_oauth scopes",
											  ALLOCSET_SMALL_SIZES);
	ScopeRow   *rows;
	int			nrows = 0;
	bool		isnull;

	mo_spi_connect();
	mo_spi_plan(&plan, "SELECT name, description, is_default FROM mcp_oauth.scopes"
				" ORDER BY name", 0, NULL);
	mo_spi_run(plan, NULL, 0);
	rows = MemoryContextAllocZero(cxt, sizeof(ScopeRow) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		ScopeRow   *row = &rows[nrows++];

		row->name = scope_text(cxt, i, 1);
		row->description = scope_text(cxt, i, 2);
		row->is_default = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i],
													 SPI_tuptable->tupdesc, 3, &isnull));
	}
	mo_spi_finish();
	mo_table_cache_swap(&scopes_cache, ticket, &scopes_cxt, cxt);
	scope_rows = rows;
	nscope_rows = nrows;
}

/* The scopes table, reloaded when it changed. */
static void
scopes_current(void)
{
	uint64		ticket;

	if (mo_table_cache_reload(&scopes_cache, &ticket))
		scopes_load(ticket);
}

/* The names in the scopes table (the default ones, or all), ordered, in CurrentMemoryContext. */
List *
mo_known_scopes(bool defaults_only)
{
	List	   *result = NIL;

	scopes_current();
	for (int i = 0; i < nscope_rows; i++)
		if (scope_rows[i].is_default || !defaults_only)
			result = lappend(result, pstrdup(scope_rows[i].name));
	return result;
}

/*
 * [{"name" : .., "description" : ..}, ...] for the known ones of scopes, in
 * their order (the layout json_agg(json_build_object(..)) gives).
 */
char *
mo_scope_descriptions_json(List *scopes)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		first = true;

	scopes_current();
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, scopes)
	{
		for (int i = 0; i < nscope_rows; i++)
		{
			if (strcmp(scope_rows[i].name, (const char *) lfirst(lc)) != 0)
				continue;
			appendStringInfoString(&buf, first ? "{\"name\" : " : ", {\"name\" : ");
			escape_json(&buf, scope_rows[i].name);
			appendStringInfoString(&buf, ", \"description\" : ");
			escape_json(&buf, mo_display_text(scope_rows[i].description));
			appendStringInfoChar(&buf, '}');
			first = false;
		}
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* A copy of a List of char * (strings too), in the current memory context. */
List *
mo_string_list_copy(List *strings)
{
	List	   *copy = NIL;
	ListCell   *lc;

	foreach(lc, strings)
		copy = lappend(copy, pstrdup((const char *) lfirst(lc)));
	return copy;
}
