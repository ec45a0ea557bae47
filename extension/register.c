/*
 * register.c
 *		Dynamic client registration (RFC 7591) and the admin functions
 *		create_client() and delete_client().
 *
 * Decisions (see also extension/DESIGN.md; what metadata means and how it
 * is checked: client_meta.c):
 *	- mcp_oauth.registration = closed answers 403 access_denied (RFC 7591
 *	  has no code for it).
 *	- Over mcp_oauth.registration_rate_limit (per sliding hour, per client
 *	  address unless allow-listed, and per client identity; ratelimit.c)
 *	  answers 429 temporarily_unavailable (RFC 7591 has no code for it).
 *	- A public client that registers again with metadata identical to an
 *	  existing dynamic public client gets that client_id again instead of a
 *	  new row (clients re-register on every connect); this is not counted
 *	  against the rate limit.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "client_auth.h"
#include "client_meta.h"
#include "lib/uri.h"

PG_FUNCTION_INFO_V1(mcp_oauth_register);
PG_FUNCTION_INFO_V1(create_client);
PG_FUNCTION_INFO_V1(delete_client);

#define REG_MAX_BODY		8192	/* bytes of a registration request */
#define REG_RATE_WINDOW_SECS 3600	/* registrations are counted per sliding hour */

#define ERR_METADATA		CLIENT_META_ERR_METADATA
#define ERR_REDIRECT		CLIENT_META_ERR_REDIRECT

/* ---- small helpers ---- */

/* A text Datum, or a null flag for a NULL string. */
static Datum
text_or_null(const char *s, char *nulls, int i)
{
	nulls[i] = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * Raise for a write that changed no row: of the statements here only a
 * trigger or rule the operator added can do that.
 */
static void
raise_no_row(const char *action, const char *table)
{
	ereport(ERROR,
			(errcode(ERRCODE_MO_SERVER_ERROR),
			 errmsg("could not %s", action),
			 errdetail("The statement on mcp_oauth.%s changed no row.", table),
			 errhint("Check the triggers and rules on mcp_oauth.%s.", table)));
}

/* The text column col of the first result row, or NULL when there is none. */
static char *
spi_text(int col)
{
	return SPI_processed > 0 ? mo_spi_text(col) : NULL;
}

/* ---- storing and describing clients ---- */

/*
 * The registration digest of metadata (jsonb): SHA-256 of its text without
 * client_id and client_id_issued_at.  jsonb's text has its members in one
 * order, so metadata equal as jsonb (what "identical" has always meant)
 * has one digest.  The upgrade script fills old rows with the same SQL.
 */
#define REG_DIGEST(metadata) \
	"sha256(convert_to((" metadata " - 'client_id' - 'client_id_issued_at')::text, 'UTF8'))"

/*
 * Whether clients has registration_digest (0.3.0): the library also serves
 * older schemas until ALTER EXTENSION UPDATE.  A syscache lookup per call.
 */
static bool
have_registration_digest(void)
{
	Oid			relid = RelnameGetRelid("clients");

	return OidIsValid(relid) &&
		get_attnum(relid, "registration_digest") != InvalidAttrNumber;
}

#define CLIENT_INSERT_COLUMNS \
	"INSERT INTO clients (client_id, client_secret_hash," \
	" token_endpoint_auth_method, client_name, redirect_uris," \
	" grant_types, response_types, application_type, scope, metadata," \
	" kind, registered_from"
#define CLIENT_INSERT_VALUES \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12::inet"

/* Insert a client row; false if client_id is taken. */
static bool
client_insert(const ClientMeta *m, const char *client_id, const char *kind,
			  const char *secret, const char *metadata, const char *addr)
{
	static SPIPlanPtr plan_jwks = NULL;
	static SPIPlanPtr plan_digest = NULL;
	static SPIPlanPtr plan_old = NULL;
	SPIPlanPtr	plan;
	Oid			types[14] = {TEXTOID, BYTEAOID, TEXTOID, TEXTOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID};
	Datum		values[14];
	char		nulls[14];

	if (mo_clients_have_jwks())
		plan = mo_spi_plan(&plan_jwks,
						   CLIENT_INSERT_COLUMNS ", registration_digest, jwks, jwks_uri)"
						   CLIENT_INSERT_VALUES ", CASE WHEN $11 = 'dynamic'"
						   " AND $2 IS NULL AND $3 = 'none' THEN "
						   REG_DIGEST("$10::jsonb") " END, $13::jsonb, $14)"
						   " ON CONFLICT (client_id) DO NOTHING",
						   14, types);
	else if (have_registration_digest())
		plan = mo_spi_plan(&plan_digest,
						   CLIENT_INSERT_COLUMNS ", registration_digest)"
						   CLIENT_INSERT_VALUES ", CASE WHEN $11 = 'dynamic'"
						   " AND $2 IS NULL AND $3 = 'none' THEN "
						   REG_DIGEST("$10::jsonb") " END)"
						   " ON CONFLICT (client_id) DO NOTHING",
						   12, types);
	else
		plan = mo_spi_plan(&plan_old,
						   CLIENT_INSERT_COLUMNS ")" CLIENT_INSERT_VALUES ")"
						   " ON CONFLICT (client_id) DO NOTHING",
						   12, types);
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(client_id);
	nulls[1] = secret ? ' ' : 'n';
	values[1] = secret ? PointerGetDatum(mo_sha256(secret)) : (Datum) 0;
	values[2] = CStringGetTextDatum(m->auth_method);
	values[3] = text_or_null(m->info[INFO_CLIENT_NAME], nulls, 3);
	values[4] = mo_list_to_text_array(m->redirect_uris);
	values[5] = mo_list_to_text_array(m->grant_types);
	values[6] = mo_list_to_text_array(m->response_types);
	values[7] = CStringGetTextDatum(m->application_type);
	values[8] = text_or_null(m->scope, nulls, 8);
	values[9] = CStringGetTextDatum(metadata);
	values[10] = CStringGetTextDatum(kind);
	values[11] = text_or_null(addr, nulls, 11);
	values[12] = text_or_null(m->jwks, nulls, 12);
	values[13] = text_or_null(m->jwks_uri, nulls, 13);
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not insert client");
	return SPI_processed == 1;
}

/* The transaction time as Unix seconds (now()). */
static int64
now_unix(void)
{
	return (int64) timestamptz_to_time_t(GetCurrentTransactionStartTimestamp());
}

/*
 * Create a client of the given kind; returns its client_id (NULL if the
 * requested one is taken), the secret in *secret (NULL for a public
 * client) and the client information response in *json.  A generated
 * client_id is never taken: the row was suppressed.
 */
static char *
client_create(const ClientMeta *m, const char *client_id, const char *kind,
			  const char *addr, char **secret, char **json)
{
	int64		issued_at = now_unix();
	char	   *id = client_id ? pstrdup(client_id) : psprintf("mcp_%s", mo_random_uuid());

	*secret = mo_client_meta_has_secret(m) ? mo_random_token("mcp_cs_") : NULL;
	if (!client_insert(m, id, kind, *secret, mo_client_meta_json(m, id, issued_at, NULL), addr))
	{
		if (client_id == NULL)
			raise_no_row("insert a client", "clients");
		return NULL;
	}
	*json = mo_client_meta_json(m, id, issued_at, *secret);
	return id;
}

/* ---- registration policy: rate limits, re-registration ---- */

/* The string that identifies "the same client software" for limits and reuse. */
static char *
client_identity(const ClientMeta *m)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	if (m->info[INFO_SOFTWARE_ID])
	{
		appendStringInfo(&buf, "software_id\n%s", m->info[INFO_SOFTWARE_ID]);
		return buf.data;
	}
	appendStringInfo(&buf, "client\n%s", m->info[INFO_CLIENT_NAME] ? m->info[INFO_CLIENT_NAME] : "");
	foreach(lc, m->redirect_uris)
		appendStringInfo(&buf, "\n%s", (char *) lfirst(lc));
	return buf.data;
}

/* The hex SHA-256 of s. */
static char *
sha256_hex(const char *s)
{
	bytea	   *h = mo_sha256(s);
	char	   *out = palloc(VARSIZE_ANY_EXHDR(h) * 2 + 1);

	out[hex_encode(VARDATA_ANY(h), VARSIZE_ANY_EXHDR(h), out)] = '\0';
	return out;
}

/*
 * Apply the registration rate limits (per client address unless
 * allow-listed, an IPv6 one per /64, and per client identity; a sliding
 * hour); false with a 429 in r when over.  A refused registration is
 * counted in neither.
 */
static bool
rate_limit_check(const ClientMeta *m, const char *addr, MoResponse *r)
{
	const char *buckets[2] = {NULL, NULL};
	char	   *key;

	if (mo_registration_rate_limit <= 0)
		return true;
	key = addr ? mo_rate_limit_addr(addr) : NULL;
	if (addr && !mo_rate_limit_allowlisted(addr, key))
		buckets[0] = psprintf("register:addr:%s", key);
	buckets[1] = psprintf("register:client:%s", sha256_hex(client_identity(m)));
	if (mo_rate_limit_take(buckets, 2, REG_RATE_WINDOW_SECS, mo_registration_rate_limit))
		return true;
	mo_error_response(r, 429, "temporarily_unavailable",
					  "too many client registrations; retry later");
	return false;
}

/*
 * A client never used for a token is not handed out again within an hour
 * of mcp_oauth.unused_client_ttl ($3, seconds), when the purge may delete
 * it: a new one is registered instead.
 */
#define REUSABLE_CLIENT \
	" AND (last_used_at IS NOT NULL" \
	"  OR created_at > now() - make_interval(secs => $3) + interval '1 hour')" \
	" ORDER BY created_at, client_id LIMIT 1"
#define IDENTICAL_PUBLIC_CLIENT \
	" kind = 'dynamic' AND client_secret_hash IS NULL" \
	" AND token_endpoint_auth_method = 'none' AND redirect_uris = $1" \
	" AND metadata - 'client_id' - 'client_id_issued_at'" \
	"   = $2::jsonb - 'client_id' - 'client_id_issued_at'" REUSABLE_CLIENT

/*
 * An existing dynamic public client whose metadata equals m's (apart from
 * client_id and client_id_issued_at): its stored metadata, or NULL.  Found
 * through the indexed registration digest (before 0.3.0's schema: among
 * the clients with the same redirect URIs).  The caller holds the advisory
 * lock of this identity, and the lookup takes a new snapshot (read_only
 * false), so it sees a client that an identical registration committed
 * while this one waited for the lock: two at once create one client.
 */
static char *
find_identical_public_client(const ClientMeta *m, char **client_id)
{
	static SPIPlanPtr plan_digest = NULL;
	static SPIPlanPtr plan_old = NULL;
	SPIPlanPtr	plan;
	Oid			types[3] = {TEXTARRAYOID, TEXTOID, INT4OID};
	Datum		values[3];

	if (have_registration_digest())
		plan = mo_spi_plan(&plan_digest,
						   "SELECT client_id, metadata::text FROM clients"
						   " WHERE registration_digest = " REG_DIGEST("$2::jsonb")
						   " AND $1 IS NOT NULL"	/* the same redirect URIs: in metadata */
						   " AND kind = 'dynamic' AND client_secret_hash IS NULL"
						   " AND token_endpoint_auth_method = 'none'"
						   " AND metadata - 'client_id' - 'client_id_issued_at'"
						   "   = $2::jsonb - 'client_id' - 'client_id_issued_at'"
						   REUSABLE_CLIENT,
						   3, types);
	else
		plan = mo_spi_plan(&plan_old,
						   "SELECT client_id, metadata::text FROM clients"
						   " WHERE" IDENTICAL_PUBLIC_CLIENT,
						   3, types);
	values[0] = mo_list_to_text_array(m->redirect_uris);
	values[1] = CStringGetTextDatum(mo_client_meta_json(m, "", 0, NULL));
	values[2] = Int32GetDatum(mo_unused_client_ttl);
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up clients");
	*client_id = spi_text(1);
	return spi_text(2);
}

/* Serialize registrations of the same identity until commit. */
static void
lock_identity(const ClientMeta *m)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	mo_spi_plan(&plan, "SELECT pg_advisory_xact_lock(hashtextextended($1, 7591))",
				1, types);
	values[0] = CStringGetTextDatum(client_identity(m));
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not lock a client identity");
}

/* An audit detail {"reused":..,"application_type":..,"token_endpoint_auth_method":..}. */
static char *
registration_detail(const ClientMeta *m, bool reused)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_bool(&buf, "reused", reused);
	mo_json_string(&buf, "application_type", m->application_type);
	mo_json_string(&buf, "token_endpoint_auth_method", m->auth_method);
	if (m->info[INFO_CLIENT_NAME])
		mo_json_string(&buf, "client_name", m->info[INFO_CLIENT_NAME]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Register (or reuse) the client described by m; the response in r. */
static void
register_client(const ClientMeta *m, const char *addr, MoResponse *r)
{
	char	   *client_id = NULL;
	char	   *secret;
	char	   *json = NULL;
	bool		reused = false;

	if (mo_client_meta_is_public(m))
	{
		lock_identity(m);
		json = find_identical_public_client(m, &client_id);
		reused = json != NULL;
	}
	if (!reused)
	{
		if (!rate_limit_check(m, addr, r))
			return;
		client_id = client_create(m, NULL, "dynamic", addr, &secret, &json);
	}
	mo_audit("client_registered", NULL, client_id, addr, 0,
			 registration_detail(m, reused));
	mo_json_response(r, 201, json, "no-store");
}

/* Handle one registration request. */
static void
handle_register(const char *content_type, const char *body, const char *addr,
				MoResponse *r)
{
	json_doc	doc;
	ClientMeta	m;
	ClientMetaError e;

	if (mo_registration == MO_REGISTRATION_CLOSED)
	{
		mo_error_response(r, 403, "access_denied",
						  "client registration is closed on this server; ask an administrator to create the client");
		return;
	}
	if (!mo_media_type_is(content_type, "application/json"))
	{
		mo_error_response(r, 400, ERR_METADATA, "the content type must be application/json");
		return;
	}
	if (body == NULL || strlen(body) > REG_MAX_BODY)
	{
		mo_error_response(r, 400, ERR_METADATA,
						  psprintf("the request body must be a JSON object of at most %d bytes", REG_MAX_BODY));
		return;
	}
	if (!mo_client_meta_parse(body, REG_MAX_BODY, "the request body", &doc, NULL, &e) ||
		!mo_client_meta_read(&doc, CLIENT_META_REGISTRATION, &m, &e))
	{
		mo_error_response(r, 400, e.error, e.description);
		return;
	}
	register_client(&m, addr, r);
}

/*
 * register(content_type, authorization, body, client_addr): RFC 7591.
 * authorization (an initial access token) is not used.
 */
Datum
mcp_oauth_register(PG_FUNCTION_ARGS)
{
	MoResponse	r = {0};
	MemoryContext caller = CurrentMemoryContext;
	Datum		result;

	mo_spi_connect();
	handle_register(mo_arg_cstring(fcinfo, 0), mo_arg_cstring(fcinfo, 2),
					mo_arg_addr(fcinfo, 3), &r);
	/* each SPI query leaves SPI's own context current: build the row in ours */
	MemoryContextSwitchTo(caller);
	result = mo_response_datum(fcinfo, &r);
	mo_spi_finish();
	return result;
}

/* ---- admin API ---- */

/* Raise the error of e as the admin API does. */
static void
raise_reg_error(const ClientMetaError *e)
{
	ereport(ERROR,
			(errcode(strcmp(e->error, ERR_REDIRECT) == 0 ?
					 ERRCODE_MO_INVALID_REDIRECT_URI : ERRCODE_MO_INVALID_CLIENT_METADATA),
			 errmsg("%s", e->description)));
}

/* Check an admin-chosen client_id: 1 to 255 printable ASCII characters, no spaces. */
static void
check_client_id(const char *client_id)
{
	const char *p;

	for (p = client_id; *p; p++)
	{
		if (*p <= 0x20 || *p >= 0x7f)
			break;
	}
	if (*p != '\0' || p == client_id || p - client_id > CLIENT_META_MAX_TEXT - 1)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT_METADATA),
				 errmsg("invalid client_id"),
				 errdetail("A client_id is 1 to 255 printable ASCII characters without spaces.")));
}

/* Build and validate a ClientMeta from create_client()'s arguments; raises. */
static void
admin_meta(FunctionCallInfo fcinfo, ClientMeta *m)
{
	ClientMetaError e;
	const char *name = mo_arg_cstring(fcinfo, 0);
	char	   *problem;

	memset(m, 0, sizeof(*m));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REDIRECT_URI),
				 errmsg("at least one redirect URI is required")));
	if (name && (problem = mo_client_meta_text_problem("client_name", name, CLIENT_META_MAX_TEXT)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT_METADATA),
				 errmsg("%s", problem),
				 errdetail("A client's name is shown on the consent page: at most %d bytes, without control, bidirectional or invisible characters.",
						   CLIENT_META_MAX_TEXT)));
	m->info[INFO_CLIENT_NAME] = name;
	m->redirect_uris = mo_text_array_to_list(PG_GETARG_DATUM(1));
	m->auth_method = (!PG_ARGISNULL(2) && PG_GETARG_BOOL(2)) ?
		"client_secret_basic" : "none";
	m->grant_types = list_make2("authorization_code", "refresh_token");
	m->response_types = list_make1("code");
	m->application_type = mo_client_meta_application_type(m->redirect_uris);
	if (!mo_client_meta_scope(mo_arg_cstring(fcinfo, 3), &m->scope, &e) ||
		!mo_client_meta_check(m, &e))
		raise_reg_error(&e);
}

/* The (client_id, client_secret) row create_client returns. */
static Datum
client_credentials(FunctionCallInfo fcinfo, const char *client_id,
				   const char *secret)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, secret == NULL};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = CStringGetTextDatum(client_id);
	values[1] = secret ? CStringGetTextDatum(secret) : (Datum) 0;
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls));
}

/*
 * create_client(client_name, redirect_uris, confidential, scope, client_id):
 * a pre-registered ('static') client; the secret is shown only here.
 */
Datum
create_client(PG_FUNCTION_ARGS)
{
	const char *requested_id = mo_arg_cstring(fcinfo, 4);
	MemoryContext caller = CurrentMemoryContext;
	ClientMeta	m;
	char	   *client_id;
	char	   *secret;
	char	   *json;
	Datum		result;

	if (requested_id)
		check_client_id(requested_id);
	mo_spi_connect();
	admin_meta(fcinfo, &m);
	client_id = client_create(&m, requested_id, "static", NULL, &secret, &json);
	if (client_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT_METADATA),
				 errmsg("client \"%s\" already exists", requested_id)));
	mo_audit("client_created", NULL, client_id, NULL, 0,
			 registration_detail(&m, false));
	/* each SPI query leaves SPI's own context current: build the row in ours */
	MemoryContextSwitchTo(caller);
	result = client_credentials(fcinfo, client_id, secret);
	mo_spi_finish();
	return result;
}

/* The kind of client_id, locked, or NULL if there is no such client. */
static char *
client_kind_for_update(const char *client_id)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	mo_spi_plan(&plan, "SELECT kind FROM clients WHERE client_id = $1 FOR UPDATE",
				1, types);
	values[0] = CStringGetTextDatum(client_id);
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up a client");
	return spi_text(1);
}

/*
 * Lock the grants of client_id, in grant order, as every token path does
 * before it touches a code or token: so that the deletion below neither
 * deadlocks with a token request nor misses the tokens one commits.
 */
static void
client_grants_lock(const char *client_id)
{
	static SPIPlanPtr plan = NULL;

	mo_spi_exec1(&plan,
				 "SELECT FROM grants WHERE client_id = $1 ORDER BY grant_id FOR UPDATE",
				 TEXTOID, CStringGetTextDatum(client_id), 0);
}

/*
 * Delete client_id, its codes and tokens, and (by cascade) its grants, the
 * grants locked first; the number of grants.
 */
static int64
client_delete(const char *client_id)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;

	client_grants_lock(client_id);
	mo_spi_plan(&plan,
				"WITH g AS (SELECT grant_id FROM grants WHERE client_id = $1),"
				" c AS (DELETE FROM authorization_codes"
				"  WHERE grant_id IN (SELECT grant_id FROM g)),"
				" r AS (DELETE FROM refresh_tokens"
				"  WHERE grant_id IN (SELECT grant_id FROM g)),"
				" a AS (DELETE FROM revoked_access_tokens"
				"  WHERE grant_id IN (SELECT grant_id FROM g)),"
				" d AS (DELETE FROM clients WHERE client_id = $1 RETURNING 1)"
				" SELECT (SELECT count(*) FROM g) FROM d",
				1, types);
	values[0] = CStringGetTextDatum(client_id);
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not delete a client");
	/* the caller locked the row: only a trigger or rule keeps it */
	if (SPI_processed != 1)
		raise_no_row("delete a client", "clients");
	return DatumGetInt64(mo_spi_datum(1, &isnull));
}

/* delete_client(client_id): remove a client and everything it was granted. */
Datum
delete_client(PG_FUNCTION_ARGS)
{
	const char *client_id = mo_arg_cstring(fcinfo, 0);
	MemoryContext caller = CurrentMemoryContext;
	char	   *kind;
	bool		found = false;

	if (client_id == NULL)
		PG_RETURN_BOOL(false);
	mo_spi_connect();
	kind = client_kind_for_update(client_id);
	if (kind && strcmp(kind, "builtin") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_CLIENT),
				 errmsg("cannot delete the built-in client \"%s\"", client_id)));
	if (kind)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		appendStringInfoChar(&detail, '{');
		mo_json_int(&detail, "grants_revoked", client_delete(client_id));
		appendStringInfoChar(&detail, '}');
		mo_token_cache_invalidate();
		mo_audit("client_deleted", NULL, client_id, NULL, 0, detail.data);
		found = true;
	}
	MemoryContextSwitchTo(caller);
	mo_spi_finish();
	PG_RETURN_BOOL(found);
}
