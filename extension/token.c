/*
 * token.c
 *		The token endpoint (RFC 6749 section 3.2, OAuth 2.1): the
 *		authorization_code grant with PKCE (RFC 7636) and resource
 *		indicators (RFC 8707), and the refresh_token grant with rotation,
 *		a grace period for retries, and reuse detection.
 *
 * Lock order: the grant row FOR UPDATE, then the code or refresh token row,
 * each by its primary key in a statement of its own (lock_grant_then).
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
	TimestampTz rotated_at;
	bool		in_grace;		/* rotated less than the grace period ago */
	bool		forgotten;		/* rotated longer than the reuse window ago */
	bytea	   *successor_sealed;	/* as 0.3.0 and earlier kept it, or NULL */
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

/* A bytea parameter, or SQL NULL. */
static void
set_bytea(Datum *values, char *nulls, int i, bytea *b)
{
	values[i] = PointerGetDatum(b);
	nulls[i] = b ? ' ' : 'n';
}

/*
 * Whether the schema logs rotations (refresh_rotations, refresh_grace: from
 * 0.4.0 on).  The library serves older schemas until ALTER EXTENSION
 * UPDATE.  A syscache lookup per call.
 */
static bool
have_rotation_log(void)
{
	return OidIsValid(mo_relid("refresh_rotations"));
}

/* The parts of the statement record_issue runs; a plan per combination. */
#define RECORD_REFRESH	0x1		/* a new refresh token */
#define RECORD_CODE		0x2		/* a code redeemed */
#define RECORD_ROTATED	0x4		/* an old refresh token rotated */
#define RECORD_SEALED	0x8		/* ... with its successor sealed under it */
#define RECORD_LOG		0x10	/* the schema logs rotations (0.4.0 on) */
#define RECORD_NPLANS	32

/*
 * One part: the flags it needs (0: always) and those it must not have, its
 * SQL, table and SPI result.
 */
typedef struct RecordPart
{
	int			flags;
	int			unless;
	const char *sql;
	const char *table;
	int			rc;
} RecordPart;

/*
 * The parts, in order; parameters as record_issue sets them.  Rotation
 * sets rotated_at alone (a HOT update), logs the rotation for the purge,
 * and keeps the sealed successor apart until the grace period is over; an
 * older schema keeps the successor in the rotated row.
 */
static const RecordPart record_parts[] = {
	{0, 0, MO_AUDIT_INSERT("$5", "$6", "$7", "$8", "$1", "$9"), "audit_log", SPI_OK_INSERT},
	{RECORD_REFRESH, 0, "INSERT INTO mcp_oauth.refresh_tokens"
		" (token_hash, grant_id, scopes, expires_at) VALUES ($2, $1, $3, $4)",
	"refresh_tokens", SPI_OK_INSERT},
	{RECORD_CODE, 0, "UPDATE mcp_oauth.authorization_codes"
		" SET redeemed_at = now() WHERE code_hash = $10",
	"authorization_codes", SPI_OK_UPDATE},
	{RECORD_ROTATED | RECORD_LOG | RECORD_SEALED, 0,
		"INSERT INTO mcp_oauth.refresh_grace (rotated_at, token_hash, successor_sealed)"
		" VALUES (now(), $11, $12)",
	"refresh_grace", SPI_OK_INSERT},
	{RECORD_ROTATED | RECORD_LOG, 0, "INSERT INTO mcp_oauth.refresh_rotations"
		" (rotated_at, token_hash) VALUES (now(), $11)",
	"refresh_rotations", SPI_OK_INSERT},
	{RECORD_ROTATED | RECORD_LOG, 0, "UPDATE mcp_oauth.refresh_tokens"
		" SET rotated_at = now() WHERE token_hash = $11",
	"refresh_tokens", SPI_OK_UPDATE},
	{RECORD_ROTATED, RECORD_LOG, "UPDATE mcp_oauth.refresh_tokens"
		" SET rotated_at = now(), successor_sealed = $12 WHERE token_hash = $11",
	"refresh_tokens", SPI_OK_UPDATE}
};

/* Whether part p belongs to the statement for which. */
static bool
record_has(const RecordPart *p, int which)
{
	return (which & p->flags) == p->flags && (which & p->unless) == 0;
}

/* The last of the parts in which: the statement itself. */
static const RecordPart *
record_last(int which)
{
	const RecordPart *last = NULL;

	for (int i = 0; i < lengthof(record_parts); i++)
		if (record_has(&record_parts[i], which))
			last = &record_parts[i];
	return last;
}

/*
 * The statement for the parts in which: the last part is the statement,
 * the others data-modifying WITHs before it (a trailing SELECT would be
 * one more plan node to start).
 */
static char *
record_sql(int which)
{
	const RecordPart *last = record_last(which);
	StringInfoData sql;
	int			n = 0;

	initStringInfo(&sql);
	for (const RecordPart *p = record_parts; p < last; p++)
	{
		if (!record_has(p, which))
			continue;
		appendStringInfo(&sql, "%s w%d AS (%s) ", n == 0 ? "WITH" : ",", n, p->sql);
		n++;
	}
	appendStringInfoString(&sql, last->sql);
	return sql.data;
}

/*
 * Everything a token response writes, in one statement (the grant and the
 * code or old token are locked already): the audit row, the new refresh
 * token (when refresh_hash; it lives for the idle lifetime, capped by the
 * grant's), the code redeemed or the old refresh token rotated with its
 * successor sealed.  The access token needs no row.
 */
static void
record_issue(const MoGrant *g, bytea *refresh_hash, List *refresh_scopes,
			 const Consumed *used, bytea *sealed, const char *client_addr,
			 const char *event, const char *detail)
{
	static MoKeyPlan plans[RECORD_NPLANS];
	Oid			types[12] = {INT8OID, BYTEAOID, TEXTARRAYOID, TIMESTAMPTZOID,
		TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BYTEAOID, BYTEAOID, BYTEAOID};
	Datum		values[12];
	char		nulls[12];
	int			which = (refresh_hash ? RECORD_REFRESH : 0) |
		(used->code_hash ? RECORD_CODE : 0) |
		(used->rotated_hash ? RECORD_ROTATED : 0) |
		(sealed ? RECORD_SEALED : 0) |
		(have_rotation_log() ? RECORD_LOG : 0);
	TimestampTz idle_end = GetCurrentTransactionStartTimestamp() +
		(TimestampTz) mo_refresh_idle_lifetime * USECS_PER_SEC;
	const RecordPart *last;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(g->grant_id);
	set_bytea(values, nulls, 1, refresh_hash);
	values[2] = mo_list_to_text_array(refresh_scopes);
	values[3] = TimestampTzGetDatum(Min(idle_end, g->expires_at));
	mo_spi_text_param(values, nulls, 4, event);
	mo_spi_text_param(values, nulls, 5, g->subject);
	mo_spi_text_param(values, nulls, 6, g->client_id);
	mo_spi_text_param(values, nulls, 7, client_addr);
	mo_spi_text_param(values, nulls, 8, detail);
	set_bytea(values, nulls, 9, used->code_hash);
	set_bytea(values, nulls, 10, used->rotated_hash);
	set_bytea(values, nulls, 11, sealed);
	last = record_last(which);
	mo_spi_check_write(mo_spi_run_by_key(&plans[which],
										 plans[which].plan ? NULL : record_sql(which),
										 12, types, values, nulls, 0),
					   last->rc, last->table);
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
	static const Consumed nothing = {NULL, NULL, NULL};
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
				 used->rotated_hash && refresh_token && mo_refresh_grace_period > 0 ?
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
 * Lock the grant of the code or refresh token whose hash is hash, then its
 * row by sql (SELECT grant_id, ... FOR UPDATE by the hash), each by its
 * primary key in a statement of its own (a row changed meanwhile is locked
 * and read in its latest version).  False if either is gone or the row no
 * longer names the grant; else the row is row 0 of SPI_tuptable.
 */
static bool
lock_grant_then(MoGrantOf of, MoKeyPlan *plan, const char *sql, bytea *hash,
				MoGrant *g)
{
	bool		isnull;

	if (!mo_lock_grant_of(of, hash, g))
		return false;
	mo_spi_run_by_key1(plan, sql, BYTEAOID, PointerGetDatum(hash), 1);
	return SPI_processed == 1 &&
		DatumGetInt64(mo_spi_datum(1, &isnull)) == g->grant_id;
}

/* Lock the code's grant, then the code row (lock_grant_then); false if either is gone. */
static bool
lock_code(bytea *code_hash, MoGrant *g, CodeRow *c)
{
	static MoKeyPlan plan;
	bool		isnull;

	if (!lock_grant_then(MO_GRANT_OF_CODE, &plan,
						 "SELECT grant_id::int8, client_id::text, redirect_uri::text,"
						 " redirect_uri_provided::boolean, code_challenge::text,"
						 " expires_at::timestamptz <= now(), redeemed_at IS NOT NULL"
						 " FROM mcp_oauth.authorization_codes WHERE code_hash = $1"
						 " FOR UPDATE",
						 code_hash, g))
		return false;
	c->client_id = mo_spi_text(2);
	c->redirect_uri = mo_spi_text(3);
	c->redirect_uri_provided = DatumGetBool(mo_spi_datum(4, &isnull));
	c->code_challenge = mo_spi_text(5);
	c->expired = DatumGetBool(mo_spi_datum(6, &isnull));
	c->redeemed = DatumGetBool(mo_spi_datum(7, &isnull));
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
	r->audited = true;
}

/*
 * Whether the request proves it comes from whoever started the
 * authorization: the redirect URI and the PKCE verifier; NULL or a reason.
 */
static const char *
proof_problem(const CodeRow *c, const form *params)
{
	if (!redirect_uri_ok(c, form_get(params, "redirect_uri")))
		return "redirect_uri does not match the authorization request";
	if (!pkce_s256_matches(form_get(params, "code_verifier"), c->code_challenge))
		return "code_verifier does not match the code_challenge";
	return NULL;
}

/* The checks of a code against its grant, in order; NULL if it may be redeemed. */
static const char *
code_problem(const CodeRow *c, const MoGrant *g, const form *params)
{
	if (c->expired)
		return "authorization code expired";
	if (g->revoked || g->expired)
		return "authorization grant was revoked";
	return proof_problem(c, params);
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
	/*
	 * A replay revokes the grant only when it carries the proof (RFC 9700
	 * section 4.5): whoever merely saw a used code (browser history, a
	 * listener's log) cannot end the person's grant with it.
	 */
	problem = c.redeemed ? proof_problem(&c, params) : code_problem(&c, &g, params);
	if (problem == NULL && c.redeemed)
	{
		code_replayed(&g, client_addr, r);
		return;
	}
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
	issue_tokens(&g, client, g.scopes, g.scopes, NULL, &used, client_addr,
				 "token_issued", "{\"grant_type\":\"authorization_code\"}", r);
}

/* Whether at is less than secs seconds before the transaction's start. */
static bool
since(TimestampTz at, int secs)
{
	return at + (TimestampTz) secs * USECS_PER_SEC > GetCurrentTransactionStartTimestamp();
}

/* Lock the token's grant, then the token row (lock_grant_then); false if either is gone. */
static bool
lock_refresh(bytea *token_hash, MoGrant *g, RefreshRow *t)
{
	static MoKeyPlan plan;
	bool		isnull;
	Datum		v;

	if (!lock_grant_then(MO_GRANT_OF_REFRESH, &plan,
						 "SELECT grant_id::int8, scopes::text[],"
						 " expires_at::timestamptz <= now(), revoked_at IS NOT NULL,"
						 " rotated_at::timestamptz, successor_sealed::bytea"
						 " FROM mcp_oauth.refresh_tokens WHERE token_hash = $1"
						 " FOR UPDATE",
						 token_hash, g))
		return false;
	t->scopes = mo_text_array_to_list(mo_spi_datum(2, &isnull));
	t->expired = DatumGetBool(mo_spi_datum(3, &isnull));
	t->revoked = DatumGetBool(mo_spi_datum(4, &isnull));
	v = mo_spi_datum(5, &isnull);
	t->rotated = !isnull;
	t->rotated_at = isnull ? 0 : DatumGetTimestampTz(v);
	t->in_grace = t->rotated &&
		since(t->rotated_at, mo_refresh_grace_period);
	t->forgotten = t->rotated &&
		!since(t->rotated_at, MO_REUSE_WINDOW);
	v = mo_spi_datum(6, &isnull);
	t->successor_sealed = isnull ? NULL : DatumGetByteaPCopy(v);
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
	static MoKeyPlan plan;

	mo_spi_run_by_key1(&plan,
					   "SELECT FROM mcp_oauth.refresh_tokens WHERE token_hash = $1"
					   " AND revoked_at IS NULL AND rotated_at IS NULL"
					   " AND expires_at > now()",
					   BYTEAOID, PointerGetDatum(token_hash), 1);
	return SPI_processed == 1;
}

/*
 * The successor sealed under the token whose hash is token_hash, rotated
 * at rotated_at: in its row (0.3.0 and earlier) or in refresh_grace (NULL
 * once the purge deleted it).
 */
static bytea *
sealed_successor(bytea *token_hash, const RefreshRow *t)
{
	static MoKeyPlan plan;
	Oid			types[2] = {TIMESTAMPTZOID, BYTEAOID};
	Datum		values[2] = {TimestampTzGetDatum(t->rotated_at), PointerGetDatum(token_hash)};
	bool		isnull;

	if (t->successor_sealed != NULL || !have_rotation_log())
		return t->successor_sealed;
	mo_spi_run_by_key(&plan,
					  "SELECT successor_sealed FROM mcp_oauth.refresh_grace"
					  " WHERE rotated_at = $1 AND token_hash = $2",
					  2, types, values, NULL, 1);
	if (SPI_processed != 1)
		return NULL;
	return DatumGetByteaPCopy(mo_spi_datum(1, &isnull));
}

/* A retry with the just-rotated token: the same successor, a fresh access token. */
static void
grace_retry(const MoGrant *g, const MoClient *client, const char *token,
			const RefreshRow *t, List *access_scopes, const char *client_addr,
			MoResponse *r)
{
	char	   *successor = open_successor(token, sealed_successor(mo_sha256(token), t));

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
	r->audited = true;
}

/* Why the refresh token cannot be used, or NULL (reuse is handled apart). */
static const char *
refresh_problem(const MoGrant *g, const RefreshRow *t, const MoClient *client)
{
	if (t->forgotten)
		return "unknown refresh token";
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
	return mo_client_endpoint(fcinfo, "/token", token_request, "token_request_failed");
}
