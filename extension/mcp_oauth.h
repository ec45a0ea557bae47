/*
 * mcp_oauth.h
 *		What the backend-side files of the extension share: configuration,
 *		response rows, request parsing, client authentication, hashing,
 *		scopes and resources, signing, the verified-token cache, audit.
 *
 * Conventions (see extension/DESIGN.md):
 *	- Endpoint functions return an http_response row for every OAuth
 *	  outcome, errors included; they never raise for a protocol error, so
 *	  that what they wrote (a replay revocation, an audit row) commits.
 *	- The admin SQL API raises with an errcode of class MO (below).
 *	- Codes and tokens are stored only as SHA-256 hashes (mo_sha256).
 *	- SPI plans are prepared once per backend and kept (SPI_keepplan).
 */
#ifndef MCP_OAUTH_H
#define MCP_OAUTH_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/timestamp.h"

#include "lib/form.h"

/* ---- SQLSTATE class MO: the admin API's errors, one per OAuth error code ---- */
#define ERRCODE_MO_INVALID_REQUEST			MAKE_SQLSTATE('M','O','0','0','1')
#define ERRCODE_MO_INVALID_CLIENT			MAKE_SQLSTATE('M','O','0','0','2')
#define ERRCODE_MO_INVALID_GRANT			MAKE_SQLSTATE('M','O','0','0','3')
#define ERRCODE_MO_UNAUTHORIZED_CLIENT		MAKE_SQLSTATE('M','O','0','0','4')
#define ERRCODE_MO_UNSUPPORTED_GRANT_TYPE	MAKE_SQLSTATE('M','O','0','0','5')
#define ERRCODE_MO_INVALID_SCOPE			MAKE_SQLSTATE('M','O','0','0','6')
#define ERRCODE_MO_INVALID_TARGET			MAKE_SQLSTATE('M','O','0','0','7')
#define ERRCODE_MO_ACCESS_DENIED			MAKE_SQLSTATE('M','O','0','0','8')
#define ERRCODE_MO_INVALID_REDIRECT_URI		MAKE_SQLSTATE('M','O','0','0','9')
#define ERRCODE_MO_INVALID_CLIENT_METADATA	MAKE_SQLSTATE('M','O','0','1','0')
#define ERRCODE_MO_INVALID_TOKEN			MAKE_SQLSTATE('M','O','0','1','1')
#define ERRCODE_MO_INSUFFICIENT_SCOPE		MAKE_SQLSTATE('M','O','0','1','2')
#define ERRCODE_MO_SERVER_ERROR				MAKE_SQLSTATE('M','O','0','1','3')

/* ---- configuration (guc.c): GUCs mcp_oauth.* ---- */
typedef enum MoSigningAlg
{
	MO_ALG_ES256,
	MO_ALG_EDDSA
} MoSigningAlg;

typedef enum MoRegistration
{
	MO_REGISTRATION_OPEN,		/* anyone may register (rate limited) */
	MO_REGISTRATION_CLOSED		/* only admins, by create_client() */
} MoRegistration;

extern char *mo_issuer;			/* byte-exact issuer, never normalized */
extern char *mo_resources;		/* comma-separated protected resource URIs */
extern int	mo_code_lifetime;	/* seconds */
extern int	mo_request_lifetime;	/* seconds, pending consent requests */
extern int	mo_access_token_lifetime;	/* seconds */
extern int	mo_refresh_idle_lifetime;	/* seconds */
extern int	mo_refresh_absolute_lifetime;	/* seconds */
extern int	mo_refresh_grace_period;	/* seconds */
extern int	mo_unused_client_ttl;	/* seconds */
extern int	mo_refresh_reuse_window;	/* seconds */
/* The reuse window in effect: never shorter than the grace period. */
#define MO_REUSE_WINDOW Max(mo_refresh_reuse_window, mo_refresh_grace_period)
extern int	mo_session_lifetime;	/* seconds, login sessions */
extern int	mo_clock_leeway;	/* seconds, nbf/iat (not exp) */
extern int	mo_signing_alg;		/* MoSigningAlg */
extern int	mo_registration;	/* MoRegistration */
extern int	mo_login_attempt_limit;	/* failed logins per sliding 15 min per user and address; 0 = off */
extern int	mo_registration_rate_limit;	/* per address and identity per hour; 0 = off */
extern int	mo_audit_retention;	/* seconds audit rows are kept; 0 = forever */
extern char *mo_registration_allowlist;	/* CIDRs exempt from the per-address limit */
extern bool mo_refuse_admin_consent;
extern bool mo_durable_consent;	/* approvals wait for their WAL flush */
extern int	mo_token_cache_size;	/* verified-token cache entries; 0 = off */
extern int	mo_grant_cache_size;	/* grants known unrevoked, per backend; 0 = off */
extern int	mo_fetch_failure_ttl;	/* seconds a failed fetch is remembered */
extern int	mo_fetch_max_stale;	/* seconds a copy is served stale after a transient failure */
extern bool mo_client_metadata_documents;	/* URL client_ids accepted (cimd.c) */
extern char *mo_client_metadata_denied_hosts;	/* hosts whose documents are refused */
extern int	mo_client_metadata_fetch_rate_limit;	/* per address per hour; 0 = off */

/* ---- response rows (response.c) ---- */

/* One http_response row under construction; NULL fields are SQL NULL. */
typedef struct MoResponse
{
	int			status;
	const char *content_type;
	const char *location;
	const char *www_authenticate;
	const char *cache_control;
	const char *body;
	/* not output: what the audit of a failed request records */
	const char *error;			/* the OAuth error code of body, or NULL */
	const char *error_description;
	bool		audited;		/* an audit row tells of this outcome already */
} MoResponse;

/* The http_response composite Datum for r (fcinfo of an endpoint function). */
extern Datum mo_response_datum(FunctionCallInfo fcinfo, const MoResponse *r);

/* A JSON response (application/json; cache_control may be NULL). */
extern void mo_json_response(MoResponse *r, int status, const char *json,
							 const char *cache_control);

/*
 * An OAuth JSON error: {"error":..,"error_description":..} with
 * Cache-Control: no-store (RFC 6749 section 5.2); description may be NULL.
 */
extern void mo_error_response(MoResponse *r, int status, const char *error,
							  const char *description);

/*
 * A redirect to redirect_uri with the given query parameters appended
 * (names[i]=values[i], NULL values skipped) plus iss (RFC 9207); 302.
 */
extern void mo_redirect_response(MoResponse *r, const char *redirect_uri,
								 int nparams, const char *const *names,
								 const char *const *values);

/* ---- JSON output (response.c) ---- */
/* Append "key":"value" (value NULL -> null) after a comma if needed. */
extern void mo_json_string(StringInfo buf, const char *key, const char *value);
extern void mo_json_int(StringInfo buf, const char *key, int64 value);
extern void mo_json_bool(StringInfo buf, const char *key, bool value);
/* Append "key":<raw json text>. */
extern void mo_json_raw(StringInfo buf, const char *key, const char *json);
/*
 * s (a name or words a page shows a person) without the characters that
 * may not be shown (lib/text.h: bidi controls, separators, controls,
 * invisible ones), in a new palloc'd string; NULL stays NULL.
 */
extern char *mo_display_text(const char *s);
/* Append "key":["a","b"] from a List of char *. */
extern void mo_json_string_list(StringInfo buf, const char *key, List *values);

/* ---- request parsing (request.c) ---- */

/*
 * Parse a form body (content type must be application/x-www-form-urlencoded,
 * parameters allowed) or a query string (content_type NULL).  On failure
 * fills err with 400 invalid_request (or 415-free OAuth error) and returns
 * false.  A repeated parameter is invalid_request (RFC 6749 section 3.1).
 */
extern bool mo_parse_form(const char *content_type, const char *body,
						  form *out, MoResponse *err);

/* Whether s is valid text of the database encoding without control characters. */
extern bool mo_valid_text(const char *s);

/* Whether every name and value of f is mo_valid_text. */
extern bool mo_form_valid_text(const form *f);

/* Whether content_type's media type equals type (case-insensitive, parameters ignored). */
extern bool mo_media_type_is(const char *content_type, const char *type);

/* The inet argument argno as text, or NULL. */
extern char *mo_arg_addr(FunctionCallInfo fcinfo, int argno);

/* The text argument argno as a C string, or NULL when SQL NULL. */
extern char *mo_arg_cstring(FunctionCallInfo fcinfo, int argno);

/* ---- SPI (spi.c) ---- */

/*
 * Every SPI query leaves CurrentMemoryContext in SPI's procedure context,
 * which SPI_finish frees.  An endpoint connects with mo_spi_connect(),
 * builds its MoResponse freely, and returns
 * mo_spi_finish_response(fcinfo, &r), which builds the row in the caller's
 * context before disconnecting.  Other results: switch to
 * mo_spi_caller_context() to allocate them, then mo_spi_finish().
 */
extern void mo_spi_connect(void);
extern void mo_spi_finish(void);
extern MemoryContext mo_spi_caller_context(void);
extern Datum mo_spi_finish_response(FunctionCallInfo fcinfo, const MoResponse *r);
extern void mo_spi_init(void);

/* The oid of mcp_oauth.<name>, or InvalidOid if there is none. */
extern Oid	mo_relid(const char *name);

/*
 * A per-backend copy of a small mcp_oauth table (signing_keys, scopes).
 * The table's statement trigger cached_table_changed() sends a relcache
 * invalidation on any change; mo_table_cache_register() makes the callback
 * mark the copy stale.  mo_table_cache_reload() says whether the caller
 * must reload it now; the caller builds the new copy aside and, once it is
 * complete, swaps it in and calls mo_table_cache_loaded(), or
 * mo_table_cache_swap() for a copy in a context of its own (a load that
 * fails leaves the copy stale, and the next use tries again).  A load in a
 * transaction-snapshot transaction serves that transaction only.
 * mo_table_cache_stale() is the two at once, for a copy whose failed load
 * leaves nothing behind.
 */
typedef struct MoTableCache
{
	const char *relname;
	Oid			relid;
	bool		valid;
	bool		any_xact;
	LocalTransactionId lxid;
	uint64		changes;		/* invalidations received */
} MoTableCache;

extern void mo_table_cache_register(MoTableCache *cache);
extern bool mo_table_cache_reload(MoTableCache *cache, uint64 *ticket);
extern void mo_table_cache_loaded(MoTableCache *cache, uint64 ticket);
extern void mo_table_cache_swap(MoTableCache *cache, uint64 ticket,
								MemoryContext *current, MemoryContext loaded);
extern bool mo_table_cache_stale(MoTableCache *cache);

/*
 * A per-backend copy of rows of a table read one at a time as used
 * (clients.c, fetched.c), in a hash table keyed by a string of fewer than
 * MO_ROW_KEY_SIZE bytes (longer keys are not kept).  A static MoRowCache
 * names its table, a name for its memory and its entry size (the key
 * first); mo_table_cache_register(&cache->table) once.
 */
#define MO_ROW_KEY_SIZE (NAMEDATALEN * 4)

typedef struct MoRowCache
{
	MoTableCache table;
	const char *name;
	Size		entrysize;
	struct HTAB *hash;
	MemoryContext cxt;
} MoRowCache;

/*
 * The hash table of cache, emptied first when the table changed or the
 * caller says it is full.  An empty table is a complete copy.
 */
extern struct HTAB *mo_row_cache_hash(MoRowCache *cache, bool full);

/* The scopes table as a JSON array [{"name","description"}] in the order of scopes (unknown ones left out). */
extern char *mo_scope_descriptions_json(List *scopes);
extern void mo_scope_init(void);

/* Prepare sql once per backend and keep the plan in *plan. */
extern SPIPlanPtr mo_spi_plan(SPIPlanPtr *plan, const char *sql, int nargs,
							  Oid *argtypes);

/* Run a kept plan (read_only false); raise if SPI fails. */
extern void mo_spi_run(SPIPlanPtr plan, Datum *values, long limit);
/* Raise unless rc (of a write to mcp_oauth.<table>) is expected (a rule may have replaced it). */
extern void mo_spi_check_write(int rc, int expected, const char *table);

/* Prepare (once) and run a plan of one parameter of type argtype. */
extern void mo_spi_exec1(SPIPlanPtr *plan, const char *sql, Oid argtype,
						 Datum arg, long limit);

/*
 * A kept plan whose every scan is by key (a primary-key lookup, a row
 * locked FOR UPDATE by its key, an UPDATE ... WHERE key = $1): its generic
 * plan is made with sequential and bitmap scans off, so that it stays an
 * index scan however small the table was when it was planned.  A static
 * MoKeyPlan starts zeroed.
 */
typedef struct MoKeyPlan
{
	SPIPlanPtr	plan;
	bool		planned;		/* its generic plan was made so */
} MoKeyPlan;

/*
 * Prepare (once: sql is not read once kp->plan is made) and run such a
 * plan; nulls as SPI_execute_plan takes them (NULL: none).  Returns
 * SPI_execute_plan's result (raises if it is an error).
 */
extern int	mo_spi_run_by_key(MoKeyPlan *kp, const char *sql, int nargs,
							  Oid *argtypes, Datum *values, const char *nulls,
							  long limit);

/* mo_spi_run_by_key with one parameter of type argtype. */
extern void mo_spi_run_by_key1(MoKeyPlan *kp, const char *sql, Oid argtype,
							   Datum arg, long limit);

/* Column colno of row 0 of SPI_tuptable as a palloc'd C string, or NULL. */
extern char *mo_spi_text(int colno);

/* Parameter i of a plan (values, nulls as SPI_execute_plan takes them): the text s, or NULL. */
extern void mo_spi_text_param(Datum *values, char *nulls, int i, const char *s);

/* Column colno of row 0 of SPI_tuptable as a Datum; *isnull set. */
extern Datum mo_spi_datum(int colno, bool *isnull);

/* ---- hashing and randomness (crypto.c) ---- */

/* SHA-256 of s as a bytea (what the tables store for codes and tokens). */
extern bytea *mo_sha256(const char *s);

/* Constant-time equality of two byte strings of possibly different length. */
extern bool mo_secure_equal(const void *a, size_t alen, const void *b, size_t blen);

/* prefix + 256 random bits, base64url; raises on CSPRNG failure. */
extern char *mo_random_token(const char *prefix);

/* n random bytes into out; raises on CSPRNG failure. */
extern void mo_random_bytes(unsigned char *out, size_t n);

/* A new random UUID (v4) string. */
extern char *mo_random_uuid(void);

/* ---- scopes (scope.c) ---- */

/* Split a space-delimited scope string into a List of char * (NULL -> NIL); false if malformed (RFC 6749 3.3). */
extern bool mo_scope_parse(const char *scope, List **out);

/* Join a List of char * with single spaces. */
extern char *mo_scope_join(List *scopes);

/* text[] Datum <-> List of char *. */
extern List *mo_text_array_to_list(Datum array);
extern Datum mo_list_to_text_array(List *values);

/* Whether every element of sub is in super. */
extern bool mo_scope_subset(List *sub, List *super);

/* A copy of a List of char * (strings too), in the current memory context. */
extern List *mo_string_list_copy(List *strings);

/* The names of the scopes table (all of them, or only is_default). */
extern List *mo_known_scopes(bool defaults_only);

/* ---- resources (resource.c): RFC 8707 ---- */

/* The configured resource URIs, as written in mcp_oauth.resources. */
extern List *mo_configured_resources(void);

/*
 * The configured resource that requested names (compared in canonical
 * form: case of scheme and host, default port, trailing slash), or NULL.
 * NULL requested -> the first configured resource.
 */
extern const char *mo_match_resource(const char *requested);

/* ---- discovery (metadata.c) ---- */

/* The URL of one of our endpoints: the issuer + path, one '/' between them. */
extern char *mo_issuer_url(const char *path);

/* ---- signing keys (keys.c) ---- */

/* Sign claims (a JSON object text) as an at+jwt with the active key; raises if none can be made. */
extern char *mo_sign_claims(const char *claims_json);

/* ---- verified-token cache (verify.c) ---- */

/* Register verify.c's and keys.c's cache callbacks; called once from _PG_init. */
extern void mo_verify_init(void);
extern void mo_keys_init(void);

/*
 * Make every backend drop its verified-token cache when the current
 * transaction commits.  Call after any revocation (grant, token, PAT, key).
 */
extern void mo_token_cache_invalidate(void);

/* ---- audit (audit.c) ---- */

/*
 * Insert an audit_log row in the current transaction; detail_json may be
 * NULL.  subject and client_id are clipped to MO_AUDIT_MAX_TEXT bytes, and
 * a detail longer than MO_AUDIT_MAX_DETAIL is replaced by its clipped head:
 * an attacker who fails to sign in or to authenticate a client cannot make
 * a row larger than that.
 */
#define MO_AUDIT_MAX_TEXT	256
#define MO_AUDIT_MAX_DETAIL	2048
extern void mo_audit(const char *event, const char *subject,
					 const char *client_id, const char *client_addr,
					 int64 grant_id, const char *detail_json);

/*
 * mo_audit's INSERT, for a statement that writes more (a data-modifying
 * WITH): the arguments are the parameters ("$n") of event, subject,
 * client_id, client_addr and detail_json (all text) and grant_id (int8).
 */
#define MO_AUDIT_INSERT(event, subject, client_id, client_addr, grant_id, detail) \
	"INSERT INTO mcp_oauth.audit_log" \
	" (event, subject, client_id, client_addr, grant_id, detail)" \
	" VALUES (" event ", " subject ", " client_id ", " client_addr "::inet, " \
	grant_id ", " detail "::jsonb)"

/* ---- rate limits (ratelimit.c): sliding-window counters in rate_limits ---- */

/*
 * Count one attempt in each bucket (NULL entries skipped), in order, before
 * the attempt is made: true if none then holds more than limit attempts
 * within the last window_secs.  Concurrent attempts on a bucket are counted
 * one after the other (an advisory lock until the transaction ends).  A refused
 * attempt is counted in none of the buckets.  Inside SPI.
 */
extern bool mo_rate_limit_take(const char *const *buckets, int nbuckets,
							   int window_secs, int limit);

/* Take back the attempt mo_rate_limit_take counted in these buckets. */
extern void mo_rate_limit_return(const char *const *buckets, int nbuckets);

/*
 * The client a rate limit counts for an address (inet text): an IPv4
 * address, the IPv4 address of an IPv4-mapped IPv6 one, the /64 of
 * another IPv6 address ("2001:db8::/64").
 */
extern char *mo_rate_limit_addr(const char *addr);

/*
 * Whether addr (inet text) or key (mo_rate_limit_addr of it) is inside a
 * CIDR of mcp_oauth.registration_allowlist: not counted by address.
 */
extern bool mo_rate_limit_allowlisted(const char *addr, const char *key);

/* ---- grants (revoke.c) ---- */

/*
 * Revoke a grant and all its refresh and access tokens (revoked_reason =
 * reason; an already revoked grant keeps its first reason), and invalidate
 * the verified-token caches at commit.  Locks the grant row.
 */
extern void mo_revoke_grant(int64 grant_id, const char *reason);

#endif							/* MCP_OAUTH_H */
