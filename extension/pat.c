/*
 * pat.c
 *		Personal access tokens: a user's scoped token for scripts and client
 *		configurations.  Only the SHA-256 of a token is stored; the token
 *		itself is shown once, by create_personal_access_token.  Verifying a
 *		PAT is verify_access_token's job (verify.c).
 */
#include "mcp_oauth.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "client_auth.h"
#include "lib/token_format.h"

#define MAX_PAT_NAME_LEN 200

PG_FUNCTION_INFO_V1(create_personal_access_token);
PG_FUNCTION_INFO_V1(revoke_personal_access_token);

/* Raise unless subject and name are usable. */
static void
check_owner_and_name(const char *subject, const char *name)
{
	if (subject == NULL || subject[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("subject must not be empty")));
	if (name == NULL || name[0] == '\0' ||
		pg_mbstrlen(name) > MAX_PAT_NAME_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("invalid personal access token name"),
				 errdetail("A name has 1 to %d characters.", MAX_PAT_NAME_LEN)));
}

/* The requested scopes, each known and named once; raises otherwise (inside SPI). */
static List *
pat_scopes(FunctionCallInfo fcinfo, int argno)
{
	List	   *known = mo_known_scopes(false);
	List	   *scopes = NIL;
	ListCell   *lc;

	if (!PG_ARGISNULL(argno))
	{
		if (array_contains_nulls(PG_GETARG_ARRAYTYPE_P(argno)))
			ereport(ERROR,
					(errcode(ERRCODE_MO_INVALID_SCOPE),
					 errmsg("scopes must not contain null")));
		foreach(lc, mo_text_array_to_list(PG_GETARG_DATUM(argno)))
		{
			char	   *scope = lfirst(lc);

			if (!mo_scope_subset(list_make1(scope), known))
				ereport(ERROR,
						(errcode(ERRCODE_MO_INVALID_SCOPE),
						 errmsg("unknown scope \"%s\"", scope),
						 errhint("Known scopes are listed in table mcp_oauth.scopes.")));
			if (!mo_scope_subset(list_make1(scope), scopes))
				scopes = lappend(scopes, scope);
		}
	}
	if (scopes == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_SCOPE),
				 errmsg("a personal access token needs at least one scope")));
	return scopes;
}

/* The canonical configured resource for requested (NULL stays NULL); raises if unknown. */
static const char *
pat_resource(const char *requested)
{
	const char *resource;

	if (requested == NULL)
		return NULL;
	resource = mo_match_resource(requested);
	if (resource == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_TARGET),
				 errmsg("unknown resource \"%s\"", requested),
				 errhint("Resources are configured in mcp_oauth.resources.")));
	return resource;
}

/* Raise if the expiry time given as argument argno is not in the future. */
static void
check_expiry(FunctionCallInfo fcinfo, int argno)
{
	if (!PG_ARGISNULL(argno) &&
		PG_GETARG_TIMESTAMPTZ(argno) <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("expiration time must be in the future")));
}

/* Insert the token's row; returns its pat_id (inside SPI). */
static int64
pat_insert(const char *token, const char *subject, const char *name,
		   List *scopes, const char *resource, FunctionCallInfo fcinfo,
		   int expires_argno)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	Oid			types[6] = {BYTEAOID, TEXTOID, TEXTOID, TEXTARRAYOID,
	TEXTOID, TIMESTAMPTZOID};
	bool		isnull;

	mo_spi_plan(&plan,
				"INSERT INTO mcp_oauth.personal_access_tokens"
				" (token_hash, subject, name, scopes, resource, expires_at)"
				" VALUES ($1, $2, $3, $4, $5, $6) RETURNING pat_id",
				6, types);
	values[0] = PointerGetDatum(mo_sha256(token));
	values[1] = CStringGetTextDatum(subject);
	values[2] = CStringGetTextDatum(name);
	values[3] = mo_list_to_text_array(scopes);
	values[4] = resource ? CStringGetTextDatum(resource) : (Datum) 0;
	nulls[4] = resource ? ' ' : 'n';
	values[5] = PG_ARGISNULL(expires_argno) ? (Datum) 0 : PG_GETARG_DATUM(expires_argno);
	nulls[5] = PG_ARGISNULL(expires_argno) ? 'n' : ' ';
	mo_spi_check_write(SPI_execute_plan(plan, values, nulls, false, 0),
					   SPI_OK_INSERT_RETURNING, "personal_access_tokens");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not write to table \"mcp_oauth.personal_access_tokens\""),
				 errdetail("A trigger on the table skipped the row.")));
	return DatumGetInt64(mo_spi_datum(1, &isnull));
}

/* The audit detail of a PAT event: its id, and name and scopes when known. */
static char *
pat_detail(int64 pat_id, const char *name, List *scopes, const char *resource)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_int(&buf, "pat_id", pat_id);
	if (name != NULL)
	{
		mo_json_string(&buf, "name", name);
		mo_json_string_list(&buf, "scopes", scopes);
		mo_json_string(&buf, "resource", resource);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * create_personal_access_token(subject, name, scopes, expires_at, resource)
 * -> the token, shown this once.
 */
Datum
create_personal_access_token(PG_FUNCTION_ARGS)
{
	char	   *subject = mo_arg_cstring(fcinfo, 0);
	char	   *name = mo_arg_cstring(fcinfo, 1);
	const char *resource;
	List	   *scopes;
	char		token[PAT_LEN + 1];
	int64		pat_id;

	check_owner_and_name(subject, name);
	check_expiry(fcinfo, 3);
	resource = pat_resource(mo_arg_cstring(fcinfo, 4));
	if (!pat_generate(token, sizeof(token)))
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not generate random bytes")));

	SPI_connect();
	scopes = pat_scopes(fcinfo, 2);
	pat_id = pat_insert(token, subject, name, scopes, resource, fcinfo, 3);
	mo_audit("pat_created", subject, NULL, NULL, 0,
			 pat_detail(pat_id, name, scopes, resource));
	SPI_finish();
	PG_RETURN_TEXT_P(cstring_to_text(token));
}

/* revoke_personal_access_token(pat_id): false if unknown or already revoked. */
Datum
revoke_personal_access_token(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[1] = {PG_GETARG_DATUM(0)};
	Oid			types[1] = {INT8OID};
	bool		done;

	SPI_connect();
	mo_spi_run(mo_spi_plan(&plan,
						   "UPDATE mcp_oauth.personal_access_tokens"
						   " SET revoked_at = now()"
						   " WHERE pat_id = $1 AND revoked_at IS NULL"
						   " RETURNING subject",
						   1, types), values, 0);
	done = SPI_processed > 0;
	if (done)
	{
		mo_audit("pat_revoked", mo_spi_text(1),
				 NULL, NULL, 0, pat_detail(PG_GETARG_INT64(0), NULL, NIL, NULL));
		mo_token_cache_invalidate();
	}
	SPI_finish();
	PG_RETURN_BOOL(done);
}
