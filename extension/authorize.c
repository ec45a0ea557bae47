/*
 * authorize.c
 *		The authorization endpoint (RFC 6749 section 4.1.1, OAuth 2.1) and
 *		the consent decision that follows it.
 *
 * authorize() checks the request in the order RFC 6749 section 4.1.2.1
 * asks: first the client and its redirect URI, whose errors go to the
 * person as a 400 page and are never redirected; then everything else,
 * whose errors go back to the client by redirect (with state and iss,
 * RFC 9207) when its redirect URI is trusted: the client was made by an
 * administrator, or a person approved a request of it to this redirect URI
 * before (RFC 9700 section 4.11.2); otherwise they too go to the person.  A valid request
 * is sealed into a single-use handle (pending.c), so the endpoint writes
 * nothing, and the consent page gets a JSON descriptor.
 *
 * authorize_decision() consumes that handle: deny redirects access_denied;
 * approve creates the grant and a single-use authorization code bound to
 * the client, redirect URI and PKCE challenge, and redirects with it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "approval_commit.h"
#include "cimd.h"
#include "client_auth.h"
#include "lib/pkce.h"
#include "lib/uri.h"
#include "clients.h"
#include "pending.h"

PG_FUNCTION_INFO_V1(authorize);
PG_FUNCTION_INFO_V1(authorize_decision);

#define STATE_MAX_LEN	1024
#define REQUEST_INVALID	"authorization request is not valid"
#define REQUEST_EXPIRED	"authorization request expired"
#define REQUEST_USED	"authorization request was already used"
#define REQUEST_ORPHAN	"the client of this authorization request was removed or registered again"

/* An authorization request, as validated so far. */
typedef struct AuthzRequest
{
	const form *params;
	const char *client_addr;	/* the person's address (inet text), or NULL */
	MoClientRow client;
	const char *redirect_uri;
	bool		redirect_uri_provided;
	const char *state;
	List	   *scopes;
	const char *code_challenge;
	const char *resource;
} AuthzRequest;

/* ---- small helpers ---- */

/* How many times name occurs in f. */
static int
param_count(const form *f, const char *name)
{
	int			i;
	int			n = 0;

	for (i = 0; i < f->count; i++)
	{
		if (strcmp(f->params[i].name, name) == 0)
			n++;
	}
	return n;
}

/* The first parameter name other than except that occurs twice, or NULL. */
static const char *
repeated_param(const form *f, const char *except)
{
	int			i;

	for (i = 0; i < f->count; i++)
	{
		if (strcmp(f->params[i].name, except) != 0 &&
			param_count(f, f->params[i].name) > 1)
			return f->params[i].name;
	}
	return NULL;
}

/* Whether s is short printable ASCII, safe to name in a description. */
static bool
nameable(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
	{
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	}
	return p - s <= 64;
}

/* Whether the List of char * contains s. */
static bool
list_has(List *list, const char *s)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	}
	return false;
}

/* Column col of the first result row as a bool (false when NULL). */
static bool
spi_bool(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* A 400 JSON error for the person at the browser (never a redirect); false. */
static bool
person_error(MoResponse *r, const char *error, const char *description)
{
	mo_error_response(r, 400, error, description);
	return false;
}

/* An error redirect to the client: error, error_description, state, iss. */
static void
redirect_error(MoResponse *r, const char *redirect_uri, const char *state,
			   const char *error, const char *description)
{
	const char *names[3] = {"error", "error_description", "state"};
	const char *values[3] = {error, description, state};

	mo_redirect_response(r, redirect_uri, 3, names, values);
}

/* ---- authorize: the client and its redirect URI ---- */

/*
 * Why presented is not a redirect URI the client may use, or NULL.  A URI
 * registered before the policy refused its kind matches nothing
 * (uri_redirect_matches checks both sides).
 */
static const char *
redirect_uri_problem(const MoClientRow *c, const char *presented)
{
	ListCell   *lc;
	const char *problem;

	if (c->loopback_only)
		return uri_any_loopback_problem(presented);
	foreach(lc, c->redirect_uris)
	{
		if (uri_redirect_matches((char *) lfirst(lc), presented))
			return NULL;
	}
	problem = uri_redirect_problem(presented);
	return problem ? problem : "redirect_uri is not registered for this client";
}

/*
 * Establish the client and the redirect URI (RFC 6749 section 4.1.2.1);
 * false with a 400 for the person in r when either is missing or wrong.
 */
static bool
establish_client(AuthzRequest *q, MoResponse *r)
{
	const form *f = q->params;
	const char *client_id = form_get(f, "client_id");
	const char *redirect_uri = form_get(f, "redirect_uri");
	const char *problem;

	if (param_count(f, "client_id") > 1 || param_count(f, "redirect_uri") > 1)
		return person_error(r, "invalid_request", "client_id or redirect_uri is repeated");
	if (client_id == NULL || client_id[0] == '\0')
		return person_error(r, "invalid_request", "client_id is missing");
	if (mo_cimd_client_id(client_id))
	{
		if (!mo_cimd_establish(client_id, q->client_addr, &q->client, r))
			return false;
	}
	else if (!mo_client_get(client_id, &q->client))
		return person_error(r, "invalid_client", "unknown client_id");
	q->redirect_uri_provided = redirect_uri != NULL;
	if (redirect_uri == NULL)
	{
		if (q->client.loopback_only || list_length(q->client.redirect_uris) != 1)
			return person_error(r, "invalid_request",
								"redirect_uri is required for this client");
		q->redirect_uri = linitial(q->client.redirect_uris);
		/* one stored before the policy refused its kind is never used */
		problem = uri_redirect_problem(q->redirect_uri);
		return problem ? person_error(r, "invalid_request", problem) : true;
	}
	if ((problem = redirect_uri_problem(&q->client, redirect_uri)) != NULL)
		return person_error(r, "invalid_request", problem);
	q->redirect_uri = redirect_uri;
	return true;
}

/* ---- authorize: what is answered by redirect ---- */

/*
 * Fail with an error redirect, or with a 400 for the person when the
 * client's redirect URI is not trusted yet (mo_client_redirects_errors);
 * always false.
 */
static bool
reject(AuthzRequest *q, MoResponse *r, const char *error, const char *description)
{
	if (!mo_client_redirects_errors(&q->client, q->redirect_uri))
		return person_error(r, error, description);
	redirect_error(r, q->redirect_uri, q->state, error, description);
	return false;
}

/* Check state, repeated parameters, response_type and the client's grant types. */
static bool
check_basics(AuthzRequest *q, MoResponse *r)
{
	const char *response_type = form_get(q->params, "response_type");
	const char *repeated = repeated_param(q->params, "resource");

	q->state = form_get(q->params, "state");
	if (q->state && strlen(q->state) > STATE_MAX_LEN)
	{
		q->state = NULL;
		return reject(q, r, "invalid_request",
					  psprintf("state is longer than %d characters", STATE_MAX_LEN));
	}
	if (repeated)
		return reject(q, r, "invalid_request",
					  nameable(repeated) ?
					  psprintf("parameter \"%s\" is repeated", repeated) :
					  "a parameter is repeated");
	if (response_type == NULL)
		return reject(q, r, "invalid_request", "response_type is missing");
	if (strcmp(response_type, "code") != 0)
		return reject(q, r, "unsupported_response_type",
					  "only response_type=code is supported");
	if (!list_has(q->client.grant_types, "authorization_code"))
		return reject(q, r, "unauthorized_client",
					  "this client may not use the authorization code grant");
	return true;
}

/* Check PKCE: an S256 code_challenge is required (OAuth 2.1). */
static bool
check_pkce(AuthzRequest *q, MoResponse *r)
{
	const char *challenge = form_get(q->params, "code_challenge");
	const char *method = form_get(q->params, "code_challenge_method");

	if (challenge == NULL)
		return reject(q, r, "invalid_request",
					  "PKCE S256 is required: code_challenge is missing");
	if (method == NULL || strcmp(method, "S256") != 0)
		return reject(q, r, "invalid_request",
					  "PKCE S256 is required: code_challenge_method must be S256");
	if (!pkce_challenge_valid(challenge))
		return reject(q, r, "invalid_request",
					  "code_challenge must be 43 base64url characters");
	q->code_challenge = challenge;
	return true;
}

/* The default scopes the client may have. */
static List *
default_scopes(List *allowed)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, mo_known_scopes(true))
	{
		if (allowed == NIL || list_has(allowed, lfirst(lc)))
			result = lappend(result, lfirst(lc));
	}
	return result;
}

/* Resolve the requested scopes (RFC 6749 section 3.3). */
static bool
check_scope(AuthzRequest *q, MoResponse *r)
{
	List	   *requested;
	List	   *allowed = NIL;

	if (!mo_scope_parse(form_get(q->params, "scope"), &requested))
		return reject(q, r, "invalid_scope", "scope is malformed");
	if (q->client.scope && !mo_scope_parse(q->client.scope, &allowed))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("client \"%s\" has a malformed scope", q->client.client_id),
				 errdetail("Column \"scope\" of table \"mcp_oauth.clients\" must hold scope tokens separated by single spaces.")));
	if (requested == NIL)
	{
		q->scopes = default_scopes(allowed);
		if (q->scopes == NIL)
			return reject(q, r, "invalid_scope",
						  "no default scope applies to this client; request a scope");
		return true;
	}
	if (!mo_scope_subset(requested, mo_known_scopes(false)))
		return reject(q, r, "invalid_scope", "a requested scope is unknown");
	if (allowed != NIL && !mo_scope_subset(requested, allowed))
		return reject(q, r, "invalid_scope",
					  "a requested scope is not allowed for this client");
	q->scopes = requested;
	return true;
}

/* Resolve the resource indicator (RFC 8707): at most one, a configured one. */
static bool
check_resource(AuthzRequest *q, MoResponse *r)
{
	const char *requested = form_get(q->params, "resource");

	if (param_count(q->params, "resource") > 1)
		return reject(q, r, "invalid_target",
					  "only one resource may be requested");
	q->resource = mo_match_resource(requested);
	if (q->resource == NULL)
		return reject(q, r, "invalid_target",
					  requested ? "the resource is not served by this authorization server" :
					  "no resource is configured on this authorization server");
	return true;
}

/* Seal the validated request into a new single-use handle (pending.c). */
static char *
seal_request(const AuthzRequest *q)
{
	MoPending	p = {0};

	p.client_id = q->client.client_id;
	p.client_created_at = q->client.created_at;
	p.redirect_uri = (char *) q->redirect_uri;
	p.redirect_uri_provided = q->redirect_uri_provided;
	p.scopes = q->scopes;
	p.state = (char *) q->state;
	p.code_challenge = (char *) q->code_challenge;
	p.resource = (char *) q->resource;
	p.expires_at = GetCurrentTransactionStartTimestamp() +
		(TimestampTz) mo_request_lifetime * USECS_PER_SEC;
	return mo_pending_seal(&p);
}

/* The consent descriptor (extension/DESIGN.md) of a request and its handle. */
static char *
consent_descriptor(const AuthzRequest *q, const char *request_id)
{
	StringInfoData buf;
	char		host[URI_MAX_LEN + 1];

	if (!uri_display_host(q->redirect_uri, host, sizeof(host)))
		strlcpy(host, q->redirect_uri, sizeof(host));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "request_id", request_id);
	mo_json_string(&buf, "client_id", q->client.client_id);
	mo_json_string(&buf, "client_name", mo_display_text(q->client.client_name));
	mo_json_string(&buf, "client_kind", q->client.kind);
	mo_json_bool(&buf, "loopback_only", q->client.loopback_only);
	mo_cimd_descriptor(&buf, &q->client);
	mo_json_string(&buf, "redirect_uri", q->redirect_uri);
	mo_json_string(&buf, "redirect_host", host);
	mo_json_raw(&buf, "scopes", mo_scope_descriptions_json(q->scopes));
	mo_json_string(&buf, "resource", q->resource);
	mo_json_int(&buf, "expires_in", mo_request_lifetime);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Parse the query; false with a 400 for the person unless only a repetition is wrong. */
static bool
parse_query(const char *query, form *f, MoResponse *r)
{
	memset(f, 0, sizeof(*f));
	if (mo_parse_form(NULL, query, f, r))
		return true;
	/*
	 * A repetition is judged once the client and redirect URI are known;
	 * parse again to be sure nothing else was wrong (64: as mo_parse_form),
	 * bad text included: it must not be echoed to the client in state.
	 */
	if (f->duplicate == NULL ||
		form_parse(query, strlen(query), 64, palloc, f) != FORM_OK)
		return false;
	if (!mo_form_valid_text(f))
	{
		mo_error_response(r, 400, "invalid_request",
						  "parameters must be valid UTF-8 without control characters");
		return false;
	}
	return true;
}

/* Handle one authorization request from client_addr (may be NULL). */
static void
handle_authorize(const char *query, const char *client_addr, MoResponse *r)
{
	form		f;
	AuthzRequest q = {0};

	if (!parse_query(query, &f, r))
		return;
	q.params = &f;
	q.client_addr = client_addr;
	if (!establish_client(&q, r) ||
		!check_basics(&q, r) ||
		!check_pkce(&q, r) ||
		!check_scope(&q, r) ||
		!check_resource(&q, r))
		return;
	mo_json_response(r, 200,
					 consent_descriptor(&q, seal_request(&q)),
					 "no-store");
}

/* authorize(query, client_addr): the authorization endpoint. */
Datum
authorize(PG_FUNCTION_ARGS)
{
	MoResponse	r = {0};
	MemoryContext caller = CurrentMemoryContext;
	Datum		result;

	mo_spi_connect();
	handle_authorize(mo_arg_cstring(fcinfo, 0), mo_arg_addr(fcinfo, 1), &r);
	/* each SPI query leaves SPI's own context current: build the row in ours */
	MemoryContextSwitchTo(caller);
	result = mo_response_datum(fcinfo, &r);
	mo_spi_finish();
	return result;
}

/* ---- authorize_decision ---- */

/*
 * The part of a decision's statement that uses the request: u has a row
 * when it was used now, none when it was used before or its client (the
 * same registration) is gone.  Locking the client row keeps
 * delete_client() from removing it until commit.  The expiry is checked
 * again on the clock: a decision that waited past it (on a lock) must not
 * find the row of an earlier use already purged.  Parameters $1-$4 as
 * use_request_params() sets them.
 */
#define USE_REQUEST_SQL \
	"k AS (SELECT FROM clients WHERE client_id = $3 AND created_at = $4" \
	"  FOR KEY SHARE)," \
	" u AS (INSERT INTO used_requests (nonce_hash, expires_at)" \
	"  SELECT $1, $2 FROM k WHERE $2 > clock_timestamp()" \
	"  ON CONFLICT DO NOTHING RETURNING 1)"
#define USE_REQUEST_NPARAMS 4
#define USE_REQUEST_TYPES BYTEAOID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID

/* Parameters $1-$4 of USE_REQUEST_SQL. */
static void
use_request_params(const MoPending *p, Datum *values)
{
	values[0] = PointerGetDatum(p->nonce_hash);
	values[1] = TimestampTzGetDatum(p->expires_at);
	values[2] = CStringGetTextDatum(p->client_id);
	values[3] = TimestampTzGetDatum(p->client_created_at);
}

/* Mark the request used; false if it was used before or its client is gone. */
static bool
pending_consume(const MoPending *p)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[USE_REQUEST_NPARAMS] = {USE_REQUEST_TYPES};
	Datum		values[USE_REQUEST_NPARAMS];

	mo_spi_plan(&plan, "WITH " USE_REQUEST_SQL " SELECT FROM u",
				USE_REQUEST_NPARAMS, types);
	use_request_params(p, values);
	mo_spi_run(plan, values, 0);
	return SPI_processed == 1;
}

/*
 * Why a request that opened could not be used (USE_REQUEST_SQL wrote
 * nothing): used before, expired while the decision waited, or its client
 * gone (deleted, or registered again).  The person is told which.
 */
static const char *
request_gone_reason(const MoPending *p)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {BYTEAOID};
	Datum		values[1];

	mo_spi_plan(&plan,
				"SELECT EXISTS (SELECT FROM used_requests WHERE nonce_hash = $1)",
				1, types);
	values[0] = PointerGetDatum(p->nonce_hash);
	mo_spi_run(plan, values, 1);
	if (spi_bool(1))
		return REQUEST_USED;
	if (p->expires_at <= GetCurrentTimestamp())
		return REQUEST_EXPIRED;
	return REQUEST_ORPHAN;
}

/* Whether subject is an administrator account. */
static bool
subject_is_admin(const char *subject)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	mo_spi_plan(&plan,
				"SELECT EXISTS (SELECT FROM accounts"
				" WHERE username = $1 AND is_admin)",
				1, types);
	values[0] = CStringGetTextDatum(subject);
	mo_spi_run(plan, values, 1);
	return spi_bool(1);
}

/* A {"reason":..} or {"scope":..,"resource":..} audit detail. */
static char *
decision_detail(const char *reason, const char *scope, const char *resource)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	if (reason)
		mo_json_string(&buf, "reason", reason);
	if (scope)
		mo_json_string(&buf, "scope", scope);
	if (resource)
		mo_json_string(&buf, "resource", resource);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Deny: redirect access_denied and audit consent_denied. */
static void
deny(const MoPending *p, const char *subject, const char *client_addr,
	 const char *reason, const char *description, MoResponse *r)
{
	redirect_error(r, p->redirect_uri, p->state, "access_denied", description);
	mo_audit("consent_denied", subject, p->client_id, client_addr, 0,
			 decision_detail(reason, NULL, NULL));
}

/*
 * Record an approval in one statement: the request used (USE_REQUEST_SQL),
 * the grant subject gave for scopes, a code for it bound to the request
 * (its hash code_hash), and the audit rows consent_granted (detail) and
 * code_issued, in that order.  False, with nothing written,
 * if the request was used before or its client is gone.
 */
static bool
approval_insert(const MoPending *p, const char *subject, List *scopes,
				bytea *code_hash, const char *client_addr, const char *detail)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[15] = {
		USE_REQUEST_TYPES, TEXTOID, TEXTARRAYOID, TEXTOID, INT4OID, BYTEAOID,
		TEXTOID, BOOLOID, TEXTOID, INT4OID, TEXTOID, TEXTOID
	};
	Datum		values[15];
	char		nulls[15];

	mo_spi_plan(&plan,
				"WITH " USE_REQUEST_SQL ","
				" g AS (INSERT INTO grants (subject, client_id, scopes, resource, expires_at)"
				"  SELECT $5, $3, $6, $7, now() + $8 * interval '1 second' FROM u"
				"  RETURNING grant_id),"
				" c AS (INSERT INTO authorization_codes (code_hash, grant_id, client_id,"
				"  redirect_uri, redirect_uri_provided, code_challenge, expires_at)"
				"  SELECT $9, g.grant_id, $3, $10, $11, $12, now() + $13 * interval '1 second'"
				"  FROM g),"
				" l AS (INSERT INTO audit_log"
				"  (event, subject, client_id, client_addr, grant_id, detail)"
				"  SELECT e.event, $5, $3, $14::inet, g.grant_id, e.detail"
				"  FROM g, (VALUES (1, 'consent_granted', $15::jsonb),"
				"  (2, 'code_issued', NULL)) AS e(n, event, detail) ORDER BY e.n)"
				" SELECT grant_id FROM g",
				15, types);
	memset(nulls, ' ', sizeof(nulls));
	use_request_params(p, values);
	values[4] = CStringGetTextDatum(subject);
	values[5] = mo_list_to_text_array(scopes);
	values[6] = CStringGetTextDatum(p->resource);
	values[7] = Int32GetDatum(mo_refresh_absolute_lifetime);
	values[8] = PointerGetDatum(code_hash);
	values[9] = CStringGetTextDatum(p->redirect_uri);
	values[10] = BoolGetDatum(p->redirect_uri_provided);
	values[11] = CStringGetTextDatum(p->code_challenge);
	values[12] = Int32GetDatum(mo_code_lifetime);
	values[13] = client_addr ? CStringGetTextDatum(client_addr) : (Datum) 0;
	nulls[13] = client_addr ? ' ' : 'n';
	values[14] = CStringGetTextDatum(detail);
	if (SPI_execute_plan(plan, values, nulls, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not record the approval");
	return SPI_processed == 1;
}

/*
 * Record the first approval of a request of the client to this redirect
 * URI, which lets its errors be redirected there
 * (mo_client_redirects_errors); nothing to write once it is known.
 */
static void
mark_consented(const char *client_id, const char *redirect_uri)
{
	MoClientRow c;

	if (mo_client_get(client_id, &c))
		mo_client_consented(&c, redirect_uri);
}

/* Approve: grant, code, redirect with code, state and iss; audit. */
static void
approve(const MoPending *p, const char *subject, List *scopes,
		const char *client_addr, MoResponse *r)
{
	const char *names[2] = {"code", "state"};
	const char *values[2];
	MemoryContext cxt = CurrentMemoryContext;
	char	   *code = mo_random_token("");
	bool		alone = mo_approval_alone();

	if (!approval_insert(p, subject, scopes, mo_sha256(code), client_addr,
						 decision_detail(NULL, mo_scope_join(scopes), p->resource)))
	{
		const char *reason = request_gone_reason(p);

		MemoryContextSwitchTo(cxt);
		person_error(r, "invalid_request", reason);
		return;
	}
	mark_consented(p->client_id, p->redirect_uri);
	MemoryContextSwitchTo(cxt);
	if (alone)
		mo_approval_commit_async();
	values[0] = code;
	values[1] = p->state;
	mo_redirect_response(r, p->redirect_uri, 2, names, values);
}

/*
 * The scopes the person granted: the requested ones when granted_scope is
 * NULL, else a non-empty subset of them; false with a 400 in r otherwise.
 */
static bool
granted_scopes(const MoPending *p, const char *granted_scope,
			   List **out, MoResponse *r)
{
	if (granted_scope == NULL)
	{
		*out = p->scopes;
		return true;
	}
	if (!mo_scope_parse(granted_scope, out) || *out == NIL ||
		!mo_scope_subset(*out, p->scopes))
		return person_error(r, "invalid_scope",
							"the granted scope must be a non-empty subset of the requested scope");
	return true;
}

/* Check the decision's arguments and the pending request; false with a 400 in r. */
static bool
check_decision(const char *request_id, const char *subject, bool approved,
			   const char *granted_scope, MoPending *p, List **scopes,
			   MoResponse *r)
{
	if (request_id == NULL || !mo_pending_open(request_id, p))
		return person_error(r, "invalid_request", REQUEST_INVALID);
	if (p->expires_at <= GetCurrentTransactionStartTimestamp())
		return person_error(r, "invalid_request", REQUEST_EXPIRED);
	if (!approved)
		return true;
	if (subject == NULL || subject[0] == '\0')
		return person_error(r, "invalid_request", "subject is required to approve");
	return granted_scopes(p, granted_scope, scopes, r);
}

/* Handle one consent decision. */
static void
handle_decision(const char *request_id, const char *subject, bool approved,
				const char *granted_scope, const char *client_addr, MoResponse *r)
{
	MoPending	p;
	List	   *scopes = NIL;

	if (!check_decision(request_id, subject, approved, granted_scope,
						&p, &scopes, r))
		return;
	if (approved && !(mo_refuse_admin_consent && subject_is_admin(subject)))
	{
		approve(&p, subject, scopes, client_addr, r);	/* consumes the request */
		return;
	}
	if (!pending_consume(&p))
	{
		person_error(r, "invalid_request", request_gone_reason(&p));
		return;
	}
	if (!approved)
		deny(&p, subject, client_addr, "user",
			 "the user denied the request", r);
	else
		deny(&p, subject, client_addr, "admin_account",
			 "administrator accounts may not grant access to clients", r);
}

/*
 * authorize_decision(request_id, subject, approve, granted_scope, client_addr):
 * the person's answer on the consent page.  approve NULL counts as deny.
 */
Datum
authorize_decision(PG_FUNCTION_ARGS)
{
	MoResponse	r = {0};
	bool		approved = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	MemoryContext caller = CurrentMemoryContext;
	Datum		result;

	mo_spi_connect();
	handle_decision(mo_arg_cstring(fcinfo, 0), mo_arg_cstring(fcinfo, 1),
					approved, mo_arg_cstring(fcinfo, 3),
					mo_arg_addr(fcinfo, 4), &r);
	/* each SPI query leaves SPI's own context current: build the row in ours */
	MemoryContextSwitchTo(caller);
	result = mo_response_datum(fcinfo, &r);
	mo_spi_finish();
	return result;
}
