/*
 * scope.c
 *		OAuth scopes: parsing (RFC 6749 section 3.3), lists, the scopes table.
 */
#include "mcp_oauth.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

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

/* The names in the scopes table, ordered, in CurrentMemoryContext; caller is SPI-connected. */
List *
mo_known_scopes(bool defaults_only)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[1];
	List	   *result = NIL;
	uint64		i;

	if (plan == NULL)
	{
		Oid			types[1] = {BOOLOID};

		plan = SPI_prepare("SELECT name FROM mcp_oauth.scopes"
						   " WHERE is_default OR NOT $1 ORDER BY name",
						   1, types);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare scopes query");
	}
	args[0] = BoolGetDatum(defaults_only);
	if (SPI_execute_plan(plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read scopes");
	for (i = 0; i < SPI_processed; i++)
		result = lappend(result, SPI_getvalue(SPI_tuptable->vals[i],
											  SPI_tuptable->tupdesc, 1));
	return result;
}
