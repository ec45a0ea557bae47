/*
 * client_auth.c
 *		Client authentication at the token, revocation and introspection
 *		endpoints (RFC 6749 section 2.3, OAuth 2.1 section 2.4):
 *		client_secret_basic, client_secret_post, private_key_jwt (RFC 7523,
 *		client_assertion.c), or none (public clients, identified by
 *		client_id).  A client authenticates only with the method it
 *		registered.  Also the grant lookups the three endpoints share.
 */
#include "client_auth.h"
#include "client_assertion.h"
#include "clients.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#define BASIC_CHALLENGE "Basic realm=\"mcp_oauth\""
#define TOUCH_INTERVAL	((TimestampTz) 3600 * USECS_PER_SEC)	/* last_used_at: hourly */

/* How the client presented itself. */
typedef struct ClientCredentials
{
	const char *method;			/* token_endpoint_auth_method used */
	char	   *client_id;
	char	   *secret;			/* NULL for "none" and "private_key_jwt" */
	const char *assertion;		/* the client_assertion of private_key_jwt */
	bool		tried_basic;
} ClientCredentials;

/* URL-decode s (application/x-www-form-urlencoded, RFC 6749 2.3.1); NULL if malformed. */
static char *
form_decode(const char *s)
{
	char	   *pair = psprintf("v=%s", s);
	form		f;

	if (form_parse(pair, strlen(pair), 2, palloc, &f) != FORM_OK ||
		f.count != 1 || strcmp(f.params[0].name, "v") != 0)
		return NULL;
	return f.params[0].value;
}

/* Decode "Basic base64(urlenc(id):urlenc(secret))" into creds; false if malformed. */
static bool
parse_basic(const char *authorization, ClientCredentials *creds)
{
	const char *p = authorization + 5;
	int			len;
	int			dlen;
	char	   *decoded;
	char	   *colon;

	while (*p == ' ')
		p++;
	len = strlen(p);
	if (len == 0 || len > 4096)
		return false;
	decoded = palloc(pg_b64_dec_len(len) + 1);
	/* (void *): the destination is char * before PostgreSQL 18, uint8 * from 18 */
	dlen = pg_b64_decode(p, len, (void *) decoded, pg_b64_dec_len(len));
	if (dlen < 0 || memchr(decoded, '\0', dlen) != NULL)
		return false;
	decoded[dlen] = '\0';
	colon = strchr(decoded, ':');
	if (colon == NULL)
		return false;
	*colon = '\0';
	creds->client_id = form_decode(decoded);
	creds->secret = form_decode(colon + 1);
	/* bytes that are not text never reach a table (the audit row) */
	if (creds->client_id == NULL || creds->secret == NULL ||
		creds->client_id[0] == '\0' || !mo_valid_text(creds->client_id) ||
		!mo_valid_text(creds->secret))
	{
		creds->client_id = NULL;
		creds->secret = NULL;
		return false;
	}
	return true;
}

/* Audit a failed authentication answered with error (never the secret). */
static void
audit_failure(const ClientCredentials *creds, const char *client_addr,
			  const char *reason, const char *error)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	mo_json_string(&detail, "reason", reason);
	mo_json_string(&detail, "method", creds->method);
	mo_json_string(&detail, "error", error);
	appendStringInfoChar(&detail, '}');
	mo_audit("client_auth_failed", NULL, creds->client_id,
			 client_addr, 0, detail.data);
}

/* 401 invalid_client, with the Basic challenge when Basic was tried (RFC 6749 5.2). */
static bool
invalid_client(const ClientCredentials *creds, const char *client_addr,
			   const char *reason, MoResponse *err)
{
	audit_failure(creds, client_addr, reason, "invalid_client");
	mo_error_response(err, 401, "invalid_client", "client authentication failed");
	if (creds->tried_basic)
		err->www_authenticate = BASIC_CHALLENGE;
	err->audited = true;
	return false;
}

/* 400 invalid_request for a malformed authentication attempt. */
static bool
invalid_auth_request(const ClientCredentials *creds, const char *client_addr,
					 const char *reason, const char *description,
					 MoResponse *err)
{
	audit_failure(creds, client_addr, reason, "invalid_request");
	mo_error_response(err, 400, "invalid_request", description);
	err->audited = true;
	return false;
}

/*
 * A client assertion (RFC 7521 section 4.2, RFC 7523 section 2.2): the
 * client is its sub (the client_id parameter, if any, must name the same);
 * false (err filled) if the attempt is malformed.  The assertion itself is
 * checked once the client's row is read.
 */
static bool
read_assertion(const char *authorization, const form *params,
			   const char *client_addr, ClientCredentials *creds,
			   MoResponse *err)
{
	const char *type = form_get(params, "client_assertion_type");
	const char *body_id = form_get(params, "client_id");

	creds->method = "private_key_jwt";
	creds->assertion = form_get(params, "client_assertion");
	creds->client_id = mo_client_assertion_subject(creds->assertion);
	if (creds->client_id == NULL && body_id != NULL && body_id[0] != '\0')
		creds->client_id = pstrdup(body_id);
	if ((authorization != NULL && authorization[0] != '\0') ||
		form_get(params, "client_secret") != NULL)
		return invalid_auth_request(creds, client_addr, "two_methods",
									"more than one client authentication method", err);
	if (type == NULL || creds->assertion == NULL)
		return invalid_auth_request(creds, client_addr, "incomplete_assertion",
									"client_assertion and client_assertion_type go together", err);
	if (strcmp(type, MO_ASSERTION_TYPE) != 0)
		return invalid_client(creds, client_addr, "unsupported_assertion_type", err);
	if (creds->client_id == NULL)
		return invalid_client(creds, client_addr, "malformed_assertion", err);
	if (body_id != NULL && strcmp(body_id, creds->client_id) != 0)
		return invalid_client(creds, client_addr, "client_id_mismatch", err);
	return true;
}

/* Work out which method the request used; false (err filled) if it is malformed. */
static bool
read_credentials(const char *authorization, const form *params,
				 const char *client_addr, ClientCredentials *creds,
				 MoResponse *err)
{
	const char *body_id = form_get(params, "client_id");
	const char *body_secret = form_get(params, "client_secret");

	memset(creds, 0, sizeof(*creds));
	if (form_get(params, "client_assertion") != NULL ||
		form_get(params, "client_assertion_type") != NULL)
		return read_assertion(authorization, params, client_addr, creds, err);
	if (authorization != NULL && authorization[0] != '\0')
	{
		creds->method = "client_secret_basic";
		if (pg_strncasecmp(authorization, "Basic ", 6) != 0)
			return invalid_client(creds, client_addr, "unsupported_scheme", err);
		creds->tried_basic = true;
		if (!parse_basic(authorization, creds))
			return invalid_client(creds, client_addr, "malformed_basic", err);
		if (body_secret != NULL)
			return invalid_auth_request(creds, client_addr, "two_methods",
										"more than one client authentication method", err);
		if (body_id != NULL && strcmp(body_id, creds->client_id) != 0)
			return invalid_auth_request(creds, client_addr, "client_id_mismatch",
										"client_id does not match the authenticated client", err);
		return true;
	}
	creds->client_id = body_id ? pstrdup(body_id) : NULL;
	creds->method = body_secret ? "client_secret_post" : "none";
	creds->secret = body_secret ? pstrdup(body_secret) : NULL;
	if (body_id == NULL || body_id[0] == '\0')
		return invalid_client(creds, client_addr, "no_client_id", err);
	return true;
}

/* Whether secret hashes to stored (a bytea SHA-256), in constant time. */
static bool
secret_matches(const char *secret, bytea *stored)
{
	bytea	   *h = mo_sha256(secret);

	return mo_secure_equal(VARDATA_ANY(h), VARSIZE_ANY_EXHDR(h),
						   VARDATA_ANY(stored), VARSIZE_ANY_EXHDR(stored));
}

/* Record use of the client, at most once an hour (TOUCH_INTERVAL). */
static void
touch_client(const char *client_id)
{
	static SPIPlanPtr plan = NULL;

	mo_spi_exec1(&plan,
				 "UPDATE clients SET last_used_at = now() WHERE client_id = $1"
				 " AND (last_used_at IS NULL"
				 " OR last_used_at < now() - interval '1 hour')",
				 TEXTOID, CStringGetTextDatum(client_id), 0);
}

/*
 * Check the client assertion of creds for the client of row at
 * endpoint_path; false with err filled when it fails (401) or the
 * client's keys must be fetched first (the need-fetch answer, status 0).
 */
static bool
check_assertion(const ClientCredentials *creds, const MoClientRow *row,
				const char *endpoint_path, const char *client_addr,
				MoResponse *err)
{
	const char *reason;

	switch (mo_client_assertion_check(row, creds->assertion, endpoint_path,
									  err, &reason))
	{
		case MO_ASSERTION_VALID:
			return true;
		case MO_ASSERTION_NEED_FETCH:
			return false;
		default:
			return invalid_client(creds, client_addr, reason, err);
	}
}

/*
 * Check creds against the client's row; fill client on success, and *touch
 * with whether its last use is due to be recorded.
 */
static bool
check_client(const ClientCredentials *creds, const char *endpoint_path,
			 const char *client_addr, MoClient *client, bool *touch,
			 MoResponse *err)
{
	MoClientRow row;

	if (!mo_client_get(creds->client_id, &row))
		return invalid_client(creds, client_addr, "unknown_client", err);
	if (strcmp(row.auth_method, creds->method) != 0)
		return invalid_client(creds, client_addr, "method_not_registered", err);
	if (creds->secret != NULL &&
		(row.secret_hash == NULL || !secret_matches(creds->secret, row.secret_hash)))
		return invalid_client(creds, client_addr, "wrong_secret", err);
	if (creds->assertion != NULL &&
		!check_assertion(creds, &row, endpoint_path, client_addr, err))
		return false;
	client->client_id = creds->client_id;
	client->confidential = (creds->secret != NULL || creds->assertion != NULL);
	client->grant_types = row.grant_types;
	client->introspection_allowed = row.introspection_allowed;
	*touch = row.last_used_at == DT_NOBEGIN ||
		row.last_used_at < GetCurrentTransactionStartTimestamp() - TOUCH_INTERVAL;
	return true;
}

/*
 * Authenticate the client of a token, revocation or introspection request
 * (see client_auth.h).
 */
bool
mo_client_authenticate(const char *authorization, const form *params,
					   const char *endpoint_path, const char *client_addr,
					   MoClient *client, MoResponse *err)
{
	ClientCredentials creds;
	bool		touch;

	if (!read_credentials(authorization, params, client_addr, &creds, err))
		return false;
	if (!check_client(&creds, endpoint_path, client_addr, client, &touch, err))
		return false;
	if (touch)
	{
		touch_client(client->client_id);
		mo_client_touched(client->client_id);
	}
	return true;
}

/* The grants columns grant_from_result reads, in its order. */
#define GRANT_COLUMNS \
	"grant_id::int8, subject::text, client_id::text, scopes::text[]," \
	" resource::text, revoked_at IS NOT NULL, expires_at::timestamptz"

/* Copy the grant a query of GRANT_COLUMNS found into *g; false if none. */
static bool
grant_from_result(MoGrant *g)
{
	bool		isnull;

	if (SPI_processed != 1)
		return false;
	g->grant_id = DatumGetInt64(mo_spi_datum(1, &isnull));
	g->subject = mo_spi_text(2);
	g->client_id = mo_spi_text(3);
	g->scopes = mo_text_array_to_list(mo_spi_datum(4, &isnull));
	g->resource = mo_spi_text(5);
	g->revoked = DatumGetBool(mo_spi_datum(6, &isnull));
	g->expires_at = DatumGetTimestampTz(mo_spi_datum(7, &isnull));
	g->expired = g->expires_at <= GetCurrentTransactionStartTimestamp();
	return true;
}

/* Read the grant grant_id into *g, locking it FOR UPDATE; false if none. */
bool
mo_lock_grant(int64 grant_id, MoGrant *g)
{
	static MoKeyPlan plan;

	mo_spi_run_by_key1(&plan,
					   "SELECT " GRANT_COLUMNS " FROM mcp_oauth.grants"
					   " WHERE grant_id = $1 FOR UPDATE",
					   INT8OID, Int64GetDatum(grant_id), 1);
	return grant_from_result(g);
}

/*
 * Audit a failed request as event, with its OAuth error and the client
 * (NULL when none was authenticated), unless r is audited already.  The
 * description is one of ours: it holds no value the request sent (a
 * repeated parameter's name at most, 64 bytes).
 */
static void
audit_failed_request(const char *event, const char *client_id,
					 const char *client_addr, const MoResponse *r)
{
	StringInfoData detail;

	if (r->status < 400 || r->error == NULL || r->audited)
		return;
	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	mo_json_string(&detail, "error", r->error);
	if (r->error_description != NULL)
		mo_json_string(&detail, "error_description", r->error_description);
	appendStringInfoChar(&detail, '}');
	mo_audit(event, NULL, client_id, client_addr, 0, detail.data);
}

/*
 * Run an endpoint taking (content_type, authorization, body, client_addr)
 * (see client_auth.h).
 */
Datum
mo_client_endpoint(FunctionCallInfo fcinfo, const char *endpoint_path,
				   MoClientHandler handler, const char *failure_event)
{
	char	   *content_type = mo_arg_cstring(fcinfo, 0);
	char	   *authorization = mo_arg_cstring(fcinfo, 1);
	char	   *body = mo_arg_cstring(fcinfo, 2);
	char	   *client_addr = mo_arg_addr(fcinfo, 3);
	MoResponse	r;
	MoClient	client;
	form		params;

	memset(&r, 0, sizeof(r));
	mo_spi_connect();
	if (!mo_parse_form(content_type, body, &params, &r))
		audit_failed_request(failure_event, NULL, client_addr, &r);
	else if (mo_client_authenticate(authorization, &params, endpoint_path,
									client_addr, &client, &r))
	{
		handler(&params, &client, client_addr, &r);
		audit_failed_request(failure_event, client.client_id, client_addr, &r);
	}
	if (r.cache_control == NULL)
		r.cache_control = "no-store";
	return mo_spi_finish_response(fcinfo, &r);
}

/*
 * Read the grant of the code or refresh token whose hash is hash into *g,
 * locking it FOR UPDATE (the grant only: the lock order puts it before the
 * code or token row); false if none.  The grant is locked by its primary
 * key; the subquery only reads.
 */
bool
mo_lock_grant_of(MoGrantOf of, bytea *hash, MoGrant *g)
{
	static MoKeyPlan plans[2];
	static const char *const sql[2] = {
		"SELECT " GRANT_COLUMNS " FROM mcp_oauth.grants WHERE grant_id ="
		" (SELECT grant_id FROM mcp_oauth.authorization_codes WHERE code_hash = $1)"
		" FOR UPDATE",
		"SELECT " GRANT_COLUMNS " FROM mcp_oauth.grants WHERE grant_id ="
		" (SELECT grant_id FROM mcp_oauth.refresh_tokens WHERE token_hash = $1)"
		" FOR UPDATE"
	};

	mo_spi_run_by_key1(&plans[of], sql[of], BYTEAOID, PointerGetDatum(hash), 1);
	return grant_from_result(g);
}
