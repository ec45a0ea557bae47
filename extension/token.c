/*
 * token.c
 *		The token endpoint (RFC 6749 section 3.2, OAuth 2.1): the
 *		authorization_code grant with PKCE (RFC 7636) and resource
 *		indicators (RFC 8707), and the refresh_token grant with rotation,
 *		a grace period for retries, and reuse detection.
 *
 * Lock order: the grant row FOR UPDATE, then the code or refresh token row
 * (lock_grant_then, without a plan: row_lock.c).
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
	ItemPointerData tid;		/* the row, locked */
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
	ItemPointerData tid;		/* the row, locked */
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

/* What a token response consumes: a code, or a refresh token it rotates. */
typedef struct Consumed
{
	bytea	   *code_hash;		/* code to mark redeemed, or NULL */
	bytea	   *rotated_hash;	/* refresh token to mark rotated, or NULL */
	const char *rotated_token;	/* ... whose successor is sealed under it */
	ItemPointerData tid;		/* the row of either, locked */
} Consumed;

/*
 * A signed access token for the grant (RFC 9068 claims, and grant_id: the
 * grant it belongs to, whose revocation ends it; no row is kept per token).
 */
static char *
sign_access_token(const MoGrant *g, List *scopes, int64 now)
{
	StringInfoData claims;

	initStringInfo(&claims);
	appendStringInfoChar(&claims, '{');
	mo_json_string(&claims, "iss", mo_issuer);
	mo_json_string(&claims, "sub", g->subject);
	mo_json_string(&claims, "aud", g->resource);
	mo_json_int(&claims, "exp", now + mo_access_token_lifetime);
	mo_json_int(&claims, "iat", now);
	mo_json_int(&claims, "nbf", now);
	mo_json_string(&claims, "jti", mo_random_uuid());
	mo_json_string(&claims, "client_id", g->client_id);
	mo_json_int(&claims, "grant_id", g->grant_id);
	mo_json_string(&claims, "scope", mo_scope_join(scopes));
	appendStringInfoChar(&claims, '}');
	return mo_sign_claims(claims.data);
}

/* successor sealed under the rotated token (lib/seal.h). */
static bytea *
seal_successor(const char *old_token, const char *successor)
{
	size_t		len = strlen(successor);
	bytea	   *sealed = palloc(VARHDRSZ + len + SEAL_OVERHEAD);

	if (!seal_encrypt(old_token, (const unsigned char *) successor, len,
					  (unsigned char *) VARDATA(sealed)))
		elog(ERROR, "could not seal the successor refresh token");
	SET_VARSIZE(sealed, VARHDRSZ + len + SEAL_OVERHEAD);
	return sealed;
}

/* The tables record_issue writes, as mo_rows_begin() takes them. */
enum
{
	T_AUDIT, T_REFRESH, T_CODES
};

/*
 * A new refresh token of g, into table T_REFRESH of w: it lives for the
 * idle lifetime, capped by the grant's.
 */
static void
record_refresh(MoRowWrite *w, const MoGrant *g, bytea *hash, List *scopes)
{
	static const MoColumn columns[] = {{"token_hash", BYTEAOID},
		{"grant_id", INT8OID}, {"scopes", TEXTARRAYOID},
	{"created_at", TIMESTAMPTZOID}, {"expires_at", TIMESTAMPTZOID}};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz idle_end = now + (TimestampTz) mo_refresh_idle_lifetime * USECS_PER_SEC;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = PointerGetDatum(hash);
	values[1] = Int64GetDatum(g->grant_id);
	values[2] = mo_list_to_text_array(scopes);
	values[3] = TimestampTzGetDatum(now);
	values[4] = TimestampTzGetDatum(Min(idle_end, g->expires_at));
	mo_row_insert(w, T_REFRESH, lengthof(columns), columns, values, nulls);
}

/*
 * Everything a token response writes (the grant and the code or old token
 * are locked already): the audit row, the new refresh token (when
 * refresh_hash), the code redeemed or the old refresh token rotated with
 * its successor sealed.  The access token needs no row.
 */
static void
record_issue(const MoGrant *g, bytea *refresh_hash, List *refresh_scopes,
			 const Consumed *used, bytea *sealed, const char *client_addr,
			 const char *event, const char *detail)
{
	static const char *const tables[] = {"audit_log", "refresh_tokens", "authorization_codes"};
	static const MoColumn redeemed[] = {{"redeemed_at", TIMESTAMPTZOID}};
	static const MoColumn rotated[] = {{"rotated_at", TIMESTAMPTZOID},
	{"successor_sealed", BYTEAOID}};
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	MoRowWrite *w = mo_rows_begin(used->code_hash ? 3 : 2, tables);

	mo_audit_write(w, T_AUDIT, event, g->subject, g->client_id, client_addr,
				   g->grant_id, detail);
	if (refresh_hash != NULL)
		record_refresh(w, g, refresh_hash, refresh_scopes);
	if (used->code_hash != NULL)
	{
		bool		nulls[1] = {false};

		mo_row_update(w, T_CODES, &used->tid, 1, redeemed, &now, nulls);
	}
	if (used->rotated_hash != NULL)
	{
		Datum		values[2] = {now, PointerGetDatum(sealed)};
		bool		nulls[2] = {false, sealed == NULL};

		mo_row_update(w, T_REFRESH, &used->tid, 2, rotated, values, nulls);
	}
	mo_rows_end(w);
}

/*
 * Answer with a new access token and a refresh token: refresh_token when
 * given (a grace retry), else a new one when the client may refresh (it
 * succeeds the rotated token of used, if any).  Audits event with detail;
 * records what used consumed.
 */
static void
issue_tokens(const MoGrant *g, const MoClient *client, List *access_scopes,
			 List *refresh_scopes, char *refresh_token, const Consumed *used,
			 const char *client_addr, const char *event, const char *detail,
			 MoResponse *r)
{
	static const Consumed nothing = {NULL, NULL, NULL, {{0, 0}, 0}};
	MemoryContext cxt = CurrentMemoryContext;
	StringInfoData body;
	int64		now = now_unix();
	char	   *access = sign_access_token(g, access_scopes, now);
	bytea	   *refresh_hash = NULL;

	if (refresh_token == NULL &&
		mo_scope_subset(list_make1("refresh_token"), client->grant_types))
	{
		refresh_token = mo_random_token(REFRESH_PREFIX);
		refresh_hash = mo_sha256(refresh_token);
	}
	used = used ? used : &nothing;
	record_issue(g, refresh_hash, refresh_scopes, used,
				 used->rotated_hash && refresh_token ?
				 seal_successor(used->rotated_token, refresh_token) : NULL,
				 client_addr, event, detail);
	MemoryContextSwitchTo(cxt);

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
}

/*
 * Lock the grant of the row of table whose primary key is hash, then that
 * row: the lock order, as SELECT ... FOR UPDATE OF g, t locks (a row
 * changed meanwhile is locked in its latest version).  False if either is
 * gone; else *row is the locked row, to be released once read.
 */
static bool
lock_grant_then(const char *table, bytea *hash, MoGrant *g, MoRow *row)
{
	if (!mo_row_find(table, PointerGetDatum(hash), row))
		return false;
	if (!mo_lock_grant(mo_row_grant_id(row), g))
	{
		mo_row_release(row);
		return false;
	}
	if (!mo_row_lock(row))
		return false;
	/* as the join would recheck it: still the grant that was locked */
	if (mo_row_grant_id(row) != g->grant_id)
	{
		mo_row_release(row);
		return false;
	}
	return true;
}

/* Whether the timestamptz column c of row is at or before now (false if NULL). */
static bool
row_time_passed(MoRow *row, const MoColumn *c)
{
	bool		isnull;
	Datum		v = mo_row_get(row, c, &isnull);

	return !isnull && DatumGetTimestampTz(v) <= GetCurrentTransactionStartTimestamp();
}

/* Read and lock the code's grant, then the code row; false if either is gone. */
static bool
lock_code(bytea *code_hash, MoGrant *g, CodeRow *c)
{
	static const MoColumn cols[] = {{"client_id", TEXTOID},
		{"redirect_uri", TEXTOID}, {"redirect_uri_provided", BOOLOID},
		{"code_challenge", TEXTOID}, {"expires_at", TIMESTAMPTZOID},
	{"redeemed_at", TIMESTAMPTZOID}};
	MoRow		row;
	bool		isnull;

	if (!lock_grant_then("authorization_codes", code_hash, g, &row))
		return false;
	c->client_id = TextDatumGetCString(mo_row_get(&row, &cols[0], &isnull));
	c->redirect_uri = TextDatumGetCString(mo_row_get(&row, &cols[1], &isnull));
	c->redirect_uri_provided = DatumGetBool(mo_row_get(&row, &cols[2], &isnull));
	c->code_challenge = TextDatumGetCString(mo_row_get(&row, &cols[3], &isnull));
	c->expired = row_time_passed(&row, &cols[4]);
	(void) mo_row_get(&row, &cols[5], &isnull);
	c->redeemed = !isnull;
	c->tid = row.slot->tts_tid;
	mo_row_release(&row);
	return true;
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
	Consumed	used = {0};

	problem = code_request_problem(form_get(params, "code"),
								   form_get(params, "code_verifier"));
	if (problem != NULL)
	{
		bad_request(r, "invalid_request", problem);
		return;
	}
	hash = mo_sha256(form_get(params, "code"));
	if (!lock_code(hash, &g, &c))
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
	used.code_hash = hash;
	used.tid = c.tid;
	issue_tokens(&g, client, g.scopes, g.scopes, NULL, &used, client_addr,
				 "token_issued", "{\"grant_type\":\"authorization_code\"}", r);
}

/* Read and lock the refresh token's grant, then the token row; false if either is gone. */
static bool
lock_refresh(bytea *token_hash, MoGrant *g, RefreshRow *t)
{
	static const MoColumn cols[] = {{"scopes", TEXTARRAYOID},
		{"expires_at", TIMESTAMPTZOID}, {"revoked_at", TIMESTAMPTZOID},
	{"rotated_at", TIMESTAMPTZOID}, {"successor_sealed", BYTEAOID}};
	MoRow		row;
	bool		isnull;
	Datum		v;

	if (!lock_grant_then("refresh_tokens", token_hash, g, &row))
		return false;
	t->scopes = mo_text_array_to_list(mo_row_get(&row, &cols[0], &isnull));
	t->expired = row_time_passed(&row, &cols[1]);
	(void) mo_row_get(&row, &cols[2], &isnull);
	t->revoked = !isnull;
	v = mo_row_get(&row, &cols[3], &isnull);
	t->rotated = !isnull;
	t->in_grace = !isnull &&
		DatumGetTimestampTz(v) + (TimestampTz) mo_refresh_grace_period * USECS_PER_SEC >
		GetCurrentTransactionStartTimestamp();
	v = mo_row_get(&row, &cols[4], &isnull);
	t->successor_sealed = isnull ? NULL : DatumGetByteaPCopy(v);
	t->tid = row.slot->tts_tid;
	mo_row_release(&row);
	return true;
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
	issue_tokens(g, client, access_scopes, NULL, successor, NULL, client_addr,
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
	Consumed	used = {0};

	if (token == NULL || token[0] == '\0')
	{
		bad_request(r, "invalid_request", "refresh_token is missing");
		return;
	}
	hash = mo_sha256(token);
	if (!lock_refresh(hash, &g, &t))
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
	used.rotated_hash = hash;
	used.tid = t.tid;
	used.rotated_token = token;
	issue_tokens(&g, client, scopes, t.scopes, NULL, &used, client_addr,
				 "token_refreshed", NULL, r);
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
