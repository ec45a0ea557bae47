/*
 * token.c
 *		The token endpoint (RFC 6749 section 3.2, OAuth 2.1): the
 *		authorization_code grant with PKCE (RFC 7636) and resource
 *		indicators (RFC 8707), and the refresh_token grant with rotation,
 *		a grace period for retries, and reuse detection.
 *
 * Lock order: the grant row FOR UPDATE, then the code or refresh token row.
 * A replayed code or a reused refresh token revokes the grant, and that
 * revocation commits: every outcome is a returned row, never a raise.
 */
#include "client_auth.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "lib/pkce.h"
#include "lib/seal.h"
#include "lib/token_format.h"
#include "lib/uri.h"

PG_FUNCTION_INFO_V1(mcp_oauth_token);

/* An authorization code row, read under lock. */
typedef struct CodeRow
{
	char	   *client_id;
	char	   *redirect_uri;
	bool		redirect_uri_provided;
	char	   *code_challenge;
	bool		expired;
	bool		redeemed;
} CodeRow;

/* A refresh token row, read under lock. */
typedef struct RefreshRow
{
	List	   *scopes;
	bool		expired;
	bool		revoked;
	bool		rotated;
	bool		in_grace;		/* rotated less than the grace period ago */
	bytea	   *successor_sealed;
} RefreshRow;

/* 400 with an OAuth error code. */
static void
bad_request(MoResponse *r, const char *error, const char *description)
{
	mo_error_response(r, 400, error, description);
}

/* Whether the requested resource names the grant's resource (RFC 8707). */
static bool
same_resource(const char *requested, const char *granted)
{
	const char *configured = mo_match_resource(requested);
	char		a[URI_MAX_LEN];
	char		b[URI_MAX_LEN];

	if (configured == NULL)
		return false;
	return uri_canonical_resource(configured, a, sizeof(a)) &&
		uri_canonical_resource(granted, b, sizeof(b)) &&
		strcmp(a, b) == 0;
}

/* Seconds since the Unix epoch at transaction start. */
static int64
now_unix(void)
{
	return (int64) timestamptz_to_time_t(GetCurrentTransactionStartTimestamp());
}

/* Sign a new access token for the grant and record its jti. */
static char *
mint_access_token(const MoGrant *g, List *scopes)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, INT8OID, INT8OID};
	Datum		values[3];
	StringInfoData claims;
	int64		now = now_unix();
	char	   *jti = mo_random_uuid();

	initStringInfo(&claims);
	appendStringInfoChar(&claims, '{');
	mo_json_string(&claims, "iss", mo_issuer);
	mo_json_string(&claims, "sub", g->subject);
	mo_json_string(&claims, "aud", g->resource);
	mo_json_int(&claims, "exp", now + mo_access_token_lifetime);
	mo_json_int(&claims, "iat", now);
	mo_json_int(&claims, "nbf", now);
	mo_json_string(&claims, "jti", jti);
	mo_json_string(&claims, "client_id", g->client_id);
	mo_json_string(&claims, "scope", mo_scope_join(scopes));
	appendStringInfoChar(&claims, '}');

	mo_spi_plan(&plan,
				"INSERT INTO access_tokens (jti, grant_id, expires_at)"
				" VALUES ($1::uuid, $2, to_timestamp($3))",
				3, types);
	values[0] = CStringGetTextDatum(jti);
	values[1] = Int64GetDatum(g->grant_id);
	values[2] = Int64GetDatum(now + mo_access_token_lifetime);
	mo_spi_run(plan, values, 0);
	return mo_sign_claims(claims.data);
}

/* A new refresh token of the grant, idle-limited and capped by the grant's expiry. */
static char *
mint_refresh_token(const MoGrant *g, List *scopes)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {BYTEAOID, INT8OID, TEXTARRAYOID, INT4OID};
	Datum		values[4];
	char	   *token = mo_random_token(REFRESH_PREFIX);

	mo_spi_plan(&plan,
				"INSERT INTO refresh_tokens (token_hash, grant_id, scopes, expires_at)"
				" SELECT $1, g.grant_id, $3,"
				" least(now() + make_interval(secs => $4), g.expires_at)"
				" FROM grants g WHERE g.grant_id = $2",
				4, types);
	values[0] = PointerGetDatum(mo_sha256(token));
	values[1] = Int64GetDatum(g->grant_id);
	values[2] = mo_list_to_text_array(scopes);
	values[3] = Int32GetDatum(mo_refresh_idle_lifetime);
	mo_spi_run(plan, values, 0);
	return token;
}

/*
 * Answer with a new access token and a refresh token: refresh_token when
 * given (a grace retry), else a new one when the client may refresh.
 * Audits event with detail.  Returns the refresh token sent, or NULL.
 */
static char *
issue_tokens(const MoGrant *g, const MoClient *client, List *access_scopes,
			 List *refresh_scopes, char *refresh_token, const char *client_addr,
			 const char *event, const char *detail, MoResponse *r)
{
	StringInfoData body;
	char	   *access = mint_access_token(g, access_scopes);

	if (refresh_token == NULL &&
		mo_scope_subset(list_make1("refresh_token"), client->grant_types))
		refresh_token = mint_refresh_token(g, refresh_scopes);

	initStringInfo(&body);
	appendStringInfoChar(&body, '{');
	mo_json_string(&body, "access_token", access);
	mo_json_string(&body, "token_type", "Bearer");
	mo_json_int(&body, "expires_in", mo_access_token_lifetime);
	if (refresh_token != NULL)
		mo_json_string(&body, "refresh_token", refresh_token);
	mo_json_string(&body, "scope", mo_scope_join(access_scopes));
	appendStringInfoChar(&body, '}');
	mo_json_response(r, 200, body.data, "no-store");
	mo_audit(event, g->subject, g->client_id, client_addr, g->grant_id, detail);
	return refresh_token;
}

/* Read and lock the code row (after its grant); false if it is gone. */
static bool
lock_code(bytea *code_hash, CodeRow *c)
{
	static SPIPlanPtr plan = NULL;
	bool		isnull;

	mo_spi_exec1(&plan,
				 "SELECT client_id, redirect_uri, redirect_uri_provided,"
				 " code_challenge, expires_at <= now(), redeemed_at IS NOT NULL"
				 " FROM authorization_codes WHERE code_hash = $1 FOR UPDATE",
				 BYTEAOID, PointerGetDatum(code_hash), 1);
	if (SPI_processed == 0)
		return false;
	c->client_id = mo_spi_text(1);
	c->redirect_uri = mo_spi_text(2);
	c->redirect_uri_provided = DatumGetBool(mo_spi_datum(3, &isnull));
	c->code_challenge = mo_spi_text(4);
	c->expired = DatumGetBool(mo_spi_datum(5, &isnull));
	c->redeemed = DatumGetBool(mo_spi_datum(6, &isnull));
	return true;
}

/* Mark the code redeemed. */
static void
redeem_code(bytea *code_hash)
{
	static SPIPlanPtr plan = NULL;

	mo_spi_exec1(&plan,
				 "UPDATE authorization_codes SET redeemed_at = now()"
				 " WHERE code_hash = $1",
				 BYTEAOID, PointerGetDatum(code_hash), 0);
}

/*
 * Whether the token request's redirect_uri is acceptable (RFC 6749 4.1.3):
 * required and byte-identical when one was sent to authorize; otherwise,
 * if sent anyway, equal to the one the code was issued for.
 */
static bool
redirect_uri_ok(const CodeRow *c, const char *redirect_uri)
{
	if (redirect_uri == NULL)
		return !c->redirect_uri_provided;
	return strcmp(redirect_uri, c->redirect_uri) == 0;
}

/* A replayed code: revoke everything the grant issued (RFC 6749 4.1.2), answer invalid_grant. */
static void
code_replayed(const MoGrant *g, const char *client_addr, MoResponse *r)
{
	mo_revoke_grant(g->grant_id, "code_replay");
	mo_audit("code_replay_detected", g->subject, g->client_id, client_addr,
			 g->grant_id, NULL);
	bad_request(r, "invalid_grant", "authorization code was already used");
}

/* The checks of a code against its grant, in order; NULL if it may be redeemed. */
static const char *
code_problem(const CodeRow *c, const MoGrant *g, const form *params)
{
	if (c->expired)
		return "authorization code expired";
	if (g->revoked || g->expired)
		return "authorization grant was revoked";
	if (!redirect_uri_ok(c, form_get(params, "redirect_uri")))
		return "redirect_uri does not match the authorization request";
	if (!pkce_s256_matches(form_get(params, "code_verifier"), c->code_challenge))
		return "code_verifier does not match the code_challenge";
	return NULL;
}

/* What is missing or malformed in a code request (invalid_request), or NULL. */
static const char *
code_request_problem(const char *code, const char *verifier)
{
	if (code == NULL || code[0] == '\0')
		return "code is missing";
	if (verifier == NULL)
		return "code_verifier is missing";
	/* RFC 7636 4.6: malformed is invalid_request; only a wrong one is invalid_grant */
	if (!pkce_verifier_valid(verifier))
		return "code_verifier is malformed";
	return NULL;
}

/* grant_type=authorization_code (RFC 6749 4.1.3, RFC 7636 4.5). */
static void
code_grant(const form *params, const MoClient *client, const char *client_addr,
		   MoResponse *r)
{
	const char *resource = form_get(params, "resource");
	const char *problem;
	bytea	   *hash;
	MoGrant		g;
	CodeRow		c;

	problem = code_request_problem(form_get(params, "code"),
								   form_get(params, "code_verifier"));
	if (problem != NULL)
	{
		bad_request(r, "invalid_request", problem);
		return;
	}
	hash = mo_sha256(form_get(params, "code"));
	if (!mo_lock_grant_of(MO_CODE, PointerGetDatum(hash), &g) ||
		!lock_code(hash, &c))
	{
		bad_request(r, "invalid_grant", "unknown authorization code");
		return;
	}
	if (strcmp(c.client_id, client->client_id) != 0)
	{
		bad_request(r, "invalid_grant", "authorization code was issued to another client");
		return;
	}
	if (c.redeemed)
	{
		code_replayed(&g, client_addr, r);
		return;
	}
	problem = code_problem(&c, &g, params);
	if (problem != NULL)
	{
		bad_request(r, "invalid_grant", problem);
		return;
	}
	if (resource != NULL && !same_resource(resource, g.resource))
	{
		bad_request(r, "invalid_target", "resource does not match the authorization request");
		return;
	}
	redeem_code(hash);
	issue_tokens(&g, client, g.scopes, g.scopes, NULL, client_addr,
				 "token_issued", "{\"grant_type\":\"authorization_code\"}", r);
}

/* Read and lock the refresh token row (after its grant); false if it is gone. */
static bool
lock_refresh(bytea *token_hash, RefreshRow *t)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {BYTEAOID, INT4OID};
	Datum		values[2];
	bool		isnull;
	Datum		sealed;

	mo_spi_plan(&plan,
				"SELECT scopes, expires_at <= now(), revoked_at IS NOT NULL,"
				" rotated_at IS NOT NULL,"
				" coalesce(rotated_at + make_interval(secs => $2) > now(), false),"
				" successor_sealed"
				" FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
				2, types);
	values[0] = PointerGetDatum(token_hash);
	values[1] = Int32GetDatum(mo_refresh_grace_period);
	mo_spi_run(plan, values, 1);
	if (SPI_processed == 0)
		return false;
	t->scopes = mo_text_array_to_list(mo_spi_datum(1, &isnull));
	t->expired = DatumGetBool(mo_spi_datum(2, &isnull));
	t->revoked = DatumGetBool(mo_spi_datum(3, &isnull));
	t->rotated = DatumGetBool(mo_spi_datum(4, &isnull));
	t->in_grace = DatumGetBool(mo_spi_datum(5, &isnull));
	sealed = mo_spi_datum(6, &isnull);
	t->successor_sealed = isnull ? NULL : DatumGetByteaPCopy(sealed);
	return true;
}

/* Keep the successor of the rotated token sealed under the rotated token. */
static void
seal_successor(bytea *old_hash, const char *old_token, const char *successor)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {BYTEAOID, BYTEAOID};
	Datum		values[2];
	size_t		len = strlen(successor);
	bytea	   *sealed = palloc(VARHDRSZ + len + SEAL_OVERHEAD);

	if (!seal_encrypt(old_token, (const unsigned char *) successor, len,
					  (unsigned char *) VARDATA(sealed)))
		elog(ERROR, "could not seal the successor refresh token");
	SET_VARSIZE(sealed, VARHDRSZ + len + SEAL_OVERHEAD);
	mo_spi_plan(&plan,
				"UPDATE refresh_tokens SET rotated_at = now(), successor_sealed = $2"
				" WHERE token_hash = $1",
				2, types);
	values[0] = PointerGetDatum(old_hash);
	values[1] = PointerGetDatum(sealed);
	mo_spi_run(plan, values, 0);
}

/* Open the successor sealed under token; NULL if it cannot be opened. */
static char *
open_successor(const char *token, bytea *sealed)
{
	size_t		len = sealed ? VARSIZE_ANY_EXHDR(sealed) : 0;
	char	   *out;

	if (len <= SEAL_OVERHEAD)
		return NULL;
	out = palloc(len - SEAL_OVERHEAD + 1);
	if (!seal_decrypt(token, (const unsigned char *) VARDATA_ANY(sealed), len,
					  (unsigned char *) out))
		return NULL;
	out[len - SEAL_OVERHEAD] = '\0';
	return out;
}

/*
 * Whether the refresh token whose hash is token_hash may still be used
 * (and has not been rotated in turn: a retry after the client moved on is
 * refused).
 */
static bool
refresh_usable(bytea *token_hash)
{
	static SPIPlanPtr plan = NULL;

	mo_spi_exec1(&plan,
				 "SELECT FROM refresh_tokens WHERE token_hash = $1"
				 " AND revoked_at IS NULL AND rotated_at IS NULL"
				 " AND expires_at > now()",
				 BYTEAOID, PointerGetDatum(token_hash), 1);
	return SPI_processed == 1;
}

/* A retry with the just-rotated token: the same successor, a fresh access token. */
static void
grace_retry(const MoGrant *g, const MoClient *client, const char *token,
			const RefreshRow *t, List *access_scopes, const char *client_addr,
			MoResponse *r)
{
	char	   *successor = open_successor(token, t->successor_sealed);

	if (successor == NULL || !refresh_usable(mo_sha256(successor)))
	{
		bad_request(r, "invalid_grant", "refresh token was already used");
		return;
	}
	issue_tokens(g, client, access_scopes, NULL, successor, client_addr,
				 "token_refreshed", "{\"grace_retry\":true}", r);
}

/* A rotated token used after the grace period: revoke the family. */
static void
refresh_reused(const MoGrant *g, const char *client_addr, MoResponse *r)
{
	mo_revoke_grant(g->grant_id, "refresh_reuse");
	mo_audit("refresh_reuse_detected", g->subject, g->client_id, client_addr,
			 g->grant_id, NULL);
	bad_request(r, "invalid_grant", "refresh token was already used");
}

/* Why the refresh token cannot be used, or NULL (reuse is handled apart). */
static const char *
refresh_problem(const MoGrant *g, const RefreshRow *t, const MoClient *client)
{
	if (strcmp(g->client_id, client->client_id) != 0)
		return "refresh token was issued to another client";
	if (g->revoked || t->revoked)
		return "refresh token was revoked";
	if (g->expired || t->expired)
		return "refresh token expired";
	return NULL;
}

/*
 * The scopes of the new access token (RFC 6749 section 6): the requested
 * ones if they are a subset of the token's, else the token's.  Fills r and
 * returns false on a bad scope or resource parameter.
 */
static bool
refresh_scopes(const form *params, const MoGrant *g, const RefreshRow *t,
			   List **scopes, MoResponse *r)
{
	const char *scope = form_get(params, "scope");
	const char *resource = form_get(params, "resource");
	List	   *requested = NIL;

	if (scope != NULL && (!mo_scope_parse(scope, &requested) || requested == NIL))
	{
		bad_request(r, "invalid_scope", "scope is malformed");
		return false;
	}
	if (requested != NIL && !mo_scope_subset(requested, t->scopes))
	{
		bad_request(r, "invalid_scope", "scope exceeds what was granted");
		return false;
	}
	if (resource != NULL && !same_resource(resource, g->resource))
	{
		bad_request(r, "invalid_target", "resource does not match the grant");
		return false;
	}
	*scopes = requested != NIL ? requested : t->scopes;
	return true;
}

/* grant_type=refresh_token (RFC 6749 section 6, OAuth 2.1 section 4.3). */
static void
refresh_grant(const form *params, const MoClient *client, const char *client_addr,
			  MoResponse *r)
{
	const char *token = form_get(params, "refresh_token");
	const char *problem;
	bytea	   *hash;
	MoGrant		g;
	RefreshRow	t;
	List	   *scopes;
	char	   *successor;

	if (token == NULL || token[0] == '\0')
	{
		bad_request(r, "invalid_request", "refresh_token is missing");
		return;
	}
	hash = mo_sha256(token);
	if (!mo_lock_grant_of(MO_REFRESH_TOKEN, PointerGetDatum(hash), &g) ||
		!lock_refresh(hash, &t))
	{
		bad_request(r, "invalid_grant", "unknown refresh token");
		return;
	}
	problem = refresh_problem(&g, &t, client);
	if (problem != NULL)
	{
		bad_request(r, "invalid_grant", problem);
		return;
	}
	if (t.rotated && !t.in_grace)
	{
		refresh_reused(&g, client_addr, r);
		return;
	}
	if (!refresh_scopes(params, &g, &t, &scopes, r))
		return;
	if (t.rotated)
	{
		grace_retry(&g, client, token, &t, scopes, client_addr, r);
		return;
	}
	successor = issue_tokens(&g, client, scopes, t.scopes, NULL, client_addr,
							 "token_refreshed", NULL, r);
	seal_successor(hash, token, successor);
}

/* Dispatch on grant_type (RFC 6749 sections 4.1.3, 5.2, 6). */
static void
token_request(const form *params, const MoClient *client, const char *client_addr,
			  MoResponse *r)
{
	const char *grant_type = form_get(params, "grant_type");

	if (grant_type == NULL || grant_type[0] == '\0')
	{
		bad_request(r, "invalid_request", "grant_type is missing");
		return;
	}
	if (strcmp(grant_type, "authorization_code") != 0 &&
		strcmp(grant_type, "refresh_token") != 0)
	{
		bad_request(r, "unsupported_grant_type", NULL);
		return;
	}
	if (!mo_scope_subset(list_make1(unconstify(char *, grant_type)), client->grant_types))
	{
		bad_request(r, "unauthorized_client",
					"the client may not use this grant type");
		return;
	}
	if (strcmp(grant_type, "authorization_code") == 0)
		code_grant(params, client, client_addr, r);
	else
		refresh_grant(params, client, client_addr, r);
}

/*
 * token(content_type text, authorization text, body text, client_addr inet)
 * RETURNS http_response: the token endpoint.
 */
Datum
mcp_oauth_token(PG_FUNCTION_ARGS)
{
	return mo_client_endpoint(fcinfo, token_request);
}
