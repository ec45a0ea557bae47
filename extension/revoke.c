/*
 * revoke.c
 *		Token revocation (RFC 7009), token introspection (RFC 7662), the
 *		admin revoke_grant(), and mo_revoke_grant(), the one routine every
 *		path uses to revoke a grant and the whole family of its tokens.
 *
 * A refresh token is revoked with its whole grant; an access token alone.
 * A token of another client, an unknown token, a personal access token:
 * 200 and nothing done (RFC 7009 section 2.2), so that nothing leaks.
 */
#include "client_auth.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "lib/jwt.h"
#include "lib/token_format.h"

PG_FUNCTION_INFO_V1(mcp_oauth_revoke);
PG_FUNCTION_INFO_V1(mcp_oauth_introspect);
PG_FUNCTION_INFO_V1(revoke_grant);
PG_FUNCTION_INFO_V1(set_client_introspection);

/* What an introspection answer says of an active token (RFC 7662 2.2). */
typedef struct TokenInfo
{
	const char *scope;
	const char *client_id;
	const char *sub;
	const char *aud;
	const char *iss;
	int64		exp;
	int64		iat;
	const char *token_type;
} TokenInfo;

/* Run one UPDATE ... WHERE grant_id = $1, with $2 the reason. */
static void
run_grant_update(SPIPlanPtr *plan, const char *sql, int64 grant_id,
				 const char *reason)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	mo_spi_plan(plan, sql, 2, types);
	values[0] = Int64GetDatum(grant_id);
	values[1] = CStringGetTextDatum(reason);
	mo_spi_run(*plan, values, 0);
}

/*
 * Revoke the grant, and with it every refresh and access token it issued
 * (each is usable only while its grant is: no token row is written, so
 * the cost does not grow with the grant's rotation history), and drop the
 * verified-token caches at commit.
 */
void
mo_revoke_grant(int64 grant_id, const char *reason)
{
	static SPIPlanPtr grant_plan = NULL;

	mo_spi_connect();
	run_grant_update(&grant_plan,
					 "UPDATE grants SET revoked_at = now(), revoked_reason = $2"
					 " WHERE grant_id = $1 AND revoked_at IS NULL",
					 grant_id, reason);
	mo_spi_finish();
	mo_token_cache_invalidate();
}

/* An audit detail object with one string member. */
static char *
detail_json(const char *key, const char *value)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	mo_json_string(&detail, key, value);
	appendStringInfoChar(&detail, '}');
	return detail.data;
}

/* Audit a revocation through the revocation endpoint. */
static void
audit_revoked(const MoGrant *g, const char *client_addr, const char *token_type)
{
	mo_audit("token_revoked", g->subject, g->client_id, client_addr,
			 g->grant_id, detail_json("token_type", token_type));
}

/*
 * Whether the refresh token whose hash is hash was rotated longer than the
 * reuse window ago: unknown, as after the purge deleted its row.
 */
static bool
refresh_forgotten(bytea *hash)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {BYTEAOID, INT4OID};
	Datum		values[2] = {PointerGetDatum(hash), Int32GetDatum(MO_REUSE_WINDOW)};

	mo_spi_plan(&plan,
				"SELECT FROM mcp_oauth.refresh_tokens WHERE token_hash = $1"
				" AND rotated_at < now() - make_interval(secs => $2)",
				2, types);
	mo_spi_run(plan, values, 1);
	return SPI_processed == 1;
}

/* A refresh token of the client: revoke its grant. */
static void
revoke_refresh(const char *token, const MoClient *client, const char *client_addr)
{
	MoGrant		g;
	bytea	   *hash = mo_sha256(token);

	if (refresh_forgotten(hash) ||
		!mo_lock_grant_of(MO_GRANT_OF_REFRESH, hash, &g) ||
		strcmp(g.client_id, client->client_id) != 0 || g.revoked)
		return;
	mo_revoke_grant(g.grant_id, "client_revoked");
	audit_revoked(&g, client_addr, "refresh_token");
}

/*
 * Parse a JWT access token into *jwt and check it by verify_access_token
 * against its own audience; false unless it is an active, verified JWT.
 */
static bool
verified_jwt(const char *token, jwt_parsed *jwt)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	const json_member *aud;
	bool		isnull;
	bool		active;
	char	   *kind;

	if (strlen(token) > JWT_MAX_LEN || jwt_parse(token, palloc, jwt) != NULL)
		return false;
	aud = json_get(&jwt->claims, "aud");
	/* verify_access_token raises for a resource not configured: not ours */
	if (aud == NULL || aud->type != JSON_STRING ||
		mo_match_resource(aud->string) == NULL)
		return false;
	mo_spi_plan(&plan,
				"SELECT active, kind FROM mcp_oauth.verify_access_token($1, $2)",
				2, types);
	values[0] = CStringGetTextDatum(token);
	values[1] = CStringGetTextDatum(aud->string);
	mo_spi_run(plan, values, 1);
	if (SPI_processed != 1)
		return false;
	active = DatumGetBool(mo_spi_datum(1, &isnull));
	if (isnull || !active)
		return false;
	kind = mo_spi_text(2);
	return kind != NULL && strcmp(kind, "jwt") == 0;
}

/* A string claim of a verified token, or NULL. */
static const char *
claim_string(const jwt_parsed *jwt, const char *name)
{
	const json_member *m = json_get(&jwt->claims, name);

	return (m != NULL && m->type == JSON_STRING) ? m->string : NULL;
}

/* A numeric claim of a verified token, or 0. */
static int64
claim_number(const jwt_parsed *jwt, const char *name)
{
	const json_member *m = json_get(&jwt->claims, name);

	return (m != NULL && m->type == JSON_NUMBER && m->number > 0 && m->number < 9e15) ?
		(int64) m->number : 0;
}

/* Deny one access token of grant_id until it expires (at exp, Unix time). */
static void
revoke_jti(const char *jti, int64 grant_id, int64 exp)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {TEXTOID, INT8OID, INT8OID};
	Datum		values[3];

	mo_spi_plan(&plan,
				"INSERT INTO revoked_access_tokens (jti, grant_id, expires_at)"
				" VALUES ($1::uuid, $2, to_timestamp($3)) ON CONFLICT DO NOTHING",
				3, types);
	values[0] = CStringGetTextDatum(jti);
	values[1] = Int64GetDatum(grant_id);
	values[2] = Int64GetDatum(exp);
	mo_spi_run(plan, values, 0);
}

/* A verified access token of the client: revoke it alone. */
static void
revoke_access(const char *token, const MoClient *client, const char *client_addr)
{
	jwt_parsed	jwt;
	const char *jti;
	MoGrant		g;

	if (!verified_jwt(token, &jwt) || (jti = claim_string(&jwt, "jti")) == NULL)
		return;
	if (!mo_lock_grant(claim_number(&jwt, "grant_id"), &g) ||
		strcmp(g.client_id, client->client_id) != 0)
		return;
	revoke_jti(jti, g.grant_id, claim_number(&jwt, "exp"));
	mo_token_cache_invalidate();
	audit_revoked(&g, client_addr, "access_token");
}

/* Whether token has the refresh token prefix. */
static bool
is_refresh_token(const char *token)
{
	return strncmp(token, REFRESH_PREFIX, strlen(REFRESH_PREFIX)) == 0;
}

/* RFC 7009 section 2.1: revoke the token if it is the client's; 200 always. */
static void
revoke_request(const form *params, const MoClient *client,
			   const char *client_addr, MoResponse *r)
{
	const char *token = form_get(params, "token");

	/* token_type_hint is only a hint: both types are supported. */
	if (token == NULL || token[0] == '\0')
	{
		mo_error_response(r, 400, "invalid_request", "token is missing");
		return;
	}
	if (is_refresh_token(token))
		revoke_refresh(token, client, client_addr);
	else
		revoke_access(token, client, client_addr);
	r->status = 200;
	r->body = "";
}

/* The introspection answer for an active token, or {"active":false} when info is NULL. */
static void
introspection_response(const TokenInfo *info, MoResponse *r)
{
	StringInfoData body;

	initStringInfo(&body);
	appendStringInfoChar(&body, '{');
	mo_json_bool(&body, "active", info != NULL);
	if (info != NULL)
	{
		mo_json_string(&body, "scope", info->scope);
		mo_json_string(&body, "client_id", info->client_id);
		mo_json_string(&body, "sub", info->sub);
		mo_json_string(&body, "aud", info->aud);
		mo_json_string(&body, "iss", info->iss);
		mo_json_int(&body, "exp", info->exp);
		mo_json_int(&body, "iat", info->iat);
		mo_json_string(&body, "token_type", info->token_type);
	}
	appendStringInfoChar(&body, '}');
	mo_json_response(r, 200, body.data, "no-store");
}

/* Fill info from an active refresh token of the calling client; false otherwise. */
static bool
refresh_info(const char *token, const MoClient *client, TokenInfo *info)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {BYTEAOID, TEXTOID};
	Datum		values[2];
	bool		isnull;

	mo_spi_plan(&plan,
				"SELECT array_to_string(t.scopes, ' '), g.subject, g.resource,"
				" extract(epoch FROM t.expires_at)::int8,"
				" extract(epoch FROM t.created_at)::int8"
				" FROM refresh_tokens t JOIN grants g USING (grant_id)"
				" WHERE t.token_hash = $1 AND g.client_id = $2"
				" AND t.revoked_at IS NULL AND t.rotated_at IS NULL"
				" AND t.expires_at > now()"
				" AND g.revoked_at IS NULL AND g.expires_at > now()",
				2, types);
	values[0] = PointerGetDatum(mo_sha256(token));
	values[1] = CStringGetTextDatum(client->client_id);
	mo_spi_run(plan, values, 1);
	if (SPI_processed != 1)
		return false;
	info->scope = mo_spi_text(1);
	info->client_id = client->client_id;
	info->sub = mo_spi_text(2);
	info->aud = mo_spi_text(3);
	info->iss = mo_issuer;
	info->exp = DatumGetInt64(mo_spi_datum(4, &isnull));
	info->iat = DatumGetInt64(mo_spi_datum(5, &isnull));
	info->token_type = "refresh_token";
	return true;
}

/*
 * Fill info from an active, verified JWT access token of the calling
 * client, or of any client when the caller may introspect those (a
 * resource server, set_client_introspection); false otherwise.
 */
static bool
access_info(const char *token, const MoClient *client, TokenInfo *info)
{
	jwt_parsed	jwt;

	if (!verified_jwt(token, &jwt))
		return false;
	info->client_id = claim_string(&jwt, "client_id");
	if (!client->introspection_allowed &&
		(info->client_id == NULL || strcmp(info->client_id, client->client_id) != 0))
		return false;
	info->scope = claim_string(&jwt, "scope");
	info->sub = claim_string(&jwt, "sub");
	info->aud = claim_string(&jwt, "aud");
	info->iss = claim_string(&jwt, "iss");
	info->exp = claim_number(&jwt, "exp");
	info->iat = claim_number(&jwt, "iat");
	info->token_type = "Bearer";
	return true;
}

/*
 * RFC 7662 section 2: confidential clients only.  Access tokens of the
 * caller, or of any client for a caller an administrator allowed (a
 * resource server; RFC 7662 section 4); refresh tokens only the caller's
 * own.  What the caller may not see is {"active":false}.
 */
static void
introspect_request(const form *params, const MoClient *client,
				   const char *client_addr, MoResponse *r)
{
	const char *token = form_get(params, "token");
	TokenInfo	info;
	bool		active;

	if (!client->confidential)
	{
		mo_error_response(r, 401, "invalid_client",
						  "introspection requires client authentication with a secret");
		return;
	}
	if (token == NULL || token[0] == '\0')
	{
		mo_error_response(r, 400, "invalid_request", "token is missing");
		return;
	}
	if (is_refresh_token(token))
		active = refresh_info(token, client, &info);
	else
		active = access_info(token, client, &info);
	introspection_response(active ? &info : NULL, r);
}

/*
 * revoke(content_type text, authorization text, body text, client_addr inet)
 * RETURNS http_response: RFC 7009 token revocation.
 */
Datum
mcp_oauth_revoke(PG_FUNCTION_ARGS)
{
	return mo_client_endpoint(fcinfo, "/revoke", revoke_request, "revocation_failed");
}

/*
 * introspect(content_type text, authorization text, body text, client_addr inet)
 * RETURNS http_response: RFC 7662 token introspection.
 */
Datum
mcp_oauth_introspect(PG_FUNCTION_ARGS)
{
	return mo_client_endpoint(fcinfo, "/introspect", introspect_request, "introspection_failed");
}

/*
 * set_client_introspection(client_id text, allowed boolean): whether a
 * confidential client (one with a secret, or private_key_jwt) may
 * introspect other clients' access tokens.  Raises for an unknown or a
 * public client.
 */
Datum
set_client_introspection(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	char	   *client_id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		allowed = PG_GETARG_BOOL(1);
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2];
	bool		isnull;

	mo_spi_connect();
	mo_spi_plan(&plan,
				"UPDATE clients SET introspection_allowed = $2"
				" WHERE client_id = $1 RETURNING client_secret_hash IS NOT NULL"
				" OR token_endpoint_auth_method = 'private_key_jwt'",
				2, types);
	values[0] = CStringGetTextDatum(client_id);
	values[1] = BoolGetDatum(allowed);
	mo_spi_run(plan, values, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT),
				 errmsg("client \"%s\" does not exist", client_id)));
	if (!DatumGetBool(mo_spi_datum(1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT),
				 errmsg("client \"%s\" is a public client", client_id),
				 errdetail("Only a confidential client may call the introspection endpoint.")));
	mo_audit("client_introspection_set", NULL, client_id, NULL, 0,
			 allowed ? "{\"allowed\":true}" : "{\"allowed\":false}");
	mo_spi_finish();
	PG_RETURN_VOID();
}

/*
 * revoke_grant(grant_id bigint, reason text DEFAULT 'admin') RETURNS boolean:
 * false if it was already revoked; raises for an unknown grant.
 */
Datum
revoke_grant(PG_FUNCTION_ARGS)
{
	int64		grant_id = PG_GETARG_INT64(0);
	char	   *reason = mo_arg_cstring(fcinfo, 1);
	MoGrant		g;
	bool		found;

	mo_spi_connect();
	found = mo_lock_grant(grant_id, &g);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_GRANT),
				 errmsg("grant %lld does not exist", (long long) grant_id)));
	if (!g.revoked)
	{
		mo_revoke_grant(grant_id, reason);
		mo_audit("grant_revoked", g.subject, g.client_id, NULL, grant_id,
				 detail_json("reason", reason));
	}
	mo_spi_finish();
	PG_RETURN_BOOL(!g.revoked);
}
