/*
 * request.c
 *		Request parts as the endpoint functions receive them: form bodies,
 *		query strings, media types, and fmgr argument helpers.
 */
#include "mcp_oauth.h"

#include "utils/builtins.h"
#include "mb/pg_wchar.h"
#include "utils/inet.h"

#define MO_MAX_BODY (64 * 1024)
#define MO_MAX_PARAMS 64

/* Whether content_type's media type is type, ignoring case and parameters. */
bool
mo_media_type_is(const char *content_type, const char *type)
{
	size_t		n = strlen(type);
	const char *rest;

	if (content_type == NULL)
		return false;
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	if (pg_strncasecmp(content_type, type, n) != 0)
		return false;
	rest = content_type + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	return *rest == '\0' || *rest == ';';
}

/* Whether s is valid UTF-8 (the database encoding) without control characters. */
bool
mo_valid_text(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return pg_verifymbstr(s, strlen(s), true);
}

/* Whether every name and value of f is valid text. */
bool
mo_form_valid_text(const form *f)
{
	int			i;

	for (i = 0; i < f->count; i++)
		if (!mo_valid_text(f->params[i].name) || !mo_valid_text(f->params[i].value))
			return false;
	return true;
}

/* Parse a form body (content_type given) or a query string (NULL). */
bool
mo_parse_form(const char *content_type, const char *body, form *out,
			  MoResponse *err)
{
	size_t		len;
	form_status st;

	if (content_type != NULL &&
		!mo_media_type_is(content_type, "application/x-www-form-urlencoded"))
	{
		mo_error_response(err, 400, "invalid_request",
						  "content type must be application/x-www-form-urlencoded");
		return false;
	}
	if (body == NULL)
		body = "";
	len = strlen(body);
	if (len > MO_MAX_BODY)
	{
		mo_error_response(err, 400, "invalid_request", "request too large");
		return false;
	}
	st = form_parse(body, len, MO_MAX_PARAMS, palloc, out);
	if (st == FORM_MALFORMED)
	{
		mo_error_response(err, 400, "invalid_request", "malformed form encoding");
		return false;
	}
	if (st == FORM_TOO_MANY)
	{
		mo_error_response(err, 400, "invalid_request", "too many parameters");
		return false;
	}
	if (out->duplicate != NULL)
	{
		mo_error_response(err, 400, "invalid_request",
						  strlen(out->duplicate) <= 64 && mo_valid_text(out->duplicate) ?
						  psprintf("parameter \"%s\" is repeated", out->duplicate) :
						  "a parameter is repeated");
		return false;
	}
	if (!mo_form_valid_text(out))
	{
		mo_error_response(err, 400, "invalid_request",
						  "parameters must be valid UTF-8 without control characters");
		return false;
	}
	return true;
}

/* The inet argument argno as text, or NULL. */
char *
mo_arg_addr(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return DatumGetCString(DirectFunctionCall1(inet_out, PG_GETARG_DATUM(argno)));
}

/* The text argument argno as a C string, or NULL. */
char *
mo_arg_cstring(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}
