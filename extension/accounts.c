/*
 * accounts.c
 *		Local accounts (bcrypt passwords through pgcrypto's crypt()) and the
 *		login sessions of the consent pages.
 *
 * The admin API (create_account, set_password, authenticate,
 * disable_account) raises with ERRCODE_MO_*.  The endpoint functions
 * (login, session_subject, logout) never raise for bad credentials and
 * accept NULL arguments.  Only the SHA-256 of a session token is stored;
 * the CSRF token of a session is an HMAC keyed by the session token, so it
 * is bound to the session and nothing more is kept.
 *
 * login and logout are C symbols mcp_oauth_login and mcp_oauth_logout: the
 * C library has functions of those names.
 */
#include "mcp_oauth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "client_auth.h"
#include "lib/base64url.h"
#include "pending.h"

#define MIN_PASSWORD_CHARS 8
#define MAX_PASSWORD_BYTES 72	/* bcrypt ignores what follows */
#define MAX_USERNAME_LEN 64
#define LOGIN_WINDOW_SECS 900	/* sign-ins are counted per sliding 15 minutes */

/*
 * A bcrypt hash of the same cost as real ones (gen_salt('bf', 10)), checked
 * against when the username is unknown so that the answer takes as long.
 */
static const char dummy_hash[] =
"$2a$10$6Fc1gWGp9FUVYAQdKwu.B..e0ejR9mmNp0bA9BJcREE2Acy3J.5q.";

/* What login and authenticate need to know of an account. */
typedef struct Account
{
	bool		found;
	int64		account_id;
	char	   *password_hash;	/* NULL when the account has none */
	bool		disabled;
} Account;

PG_FUNCTION_INFO_V1(create_account);
PG_FUNCTION_INFO_V1(set_password);
PG_FUNCTION_INFO_V1(authenticate);
PG_FUNCTION_INFO_V1(disable_account);
PG_FUNCTION_INFO_V1(mcp_oauth_login);
PG_FUNCTION_INFO_V1(session_subject);
PG_FUNCTION_INFO_V1(mcp_oauth_logout);

/* Run a kept plan with some arguments possibly null; raise if SPI fails. */
static void
plan_run(SPIPlanPtr plan, Datum *values, const char *nulls)
{
	int			rc = SPI_execute_plan(plan, values, nulls, false, 0);

	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

/* Column col of row 0 of the last SPI result as an int8 (null is 0). */
static int64
result_int8(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* Column col of row 0 of the last SPI result as a bool (null is false). */
static bool
result_bool(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return !isnull && DatumGetBool(d);
}

/* Whether c may appear in a username (first: as its first character). */
static bool
username_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && c != '\0' && strchr("._@+-", c) != NULL;
}

/* Raise unless username is a valid account name (the accounts CHECK). */
static void
check_username(const char *username)
{
	size_t		len = username ? strlen(username) : 0;
	bool		ok = len > 0 && len <= MAX_USERNAME_LEN;

	for (size_t i = 0; ok && i < len; i++)
		ok = username_char(username[i], i == 0);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("invalid username"),
				 errdetail("A username has 1 to %d characters among letters, digits and \"._@+-\", and begins with a letter or digit.",
						   MAX_USERNAME_LEN)));
}

/* Raise unless password meets the policy (never shows the password). */
static void
check_password(const char *password)
{
	if (password == NULL ||
		pg_mbstrlen(password) < MIN_PASSWORD_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("password is too short"),
				 errdetail("A password must have at least %d characters.",
						   MIN_PASSWORD_CHARS)));
	if (strlen(password) > MAX_PASSWORD_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("password is too long"),
				 errdetail("A password may have at most %d bytes: bcrypt ignores what follows.",
						   MAX_PASSWORD_BYTES)));
}

/* Raise that no account has this username. */
static void
no_such_account(const char *username)
{
	ereport(ERROR,
			(errcode(ERRCODE_MO_INVALID_REQUEST),
			 errmsg("account \"%s\" does not exist", username)));
}

/* The account named username (inside SPI; strings in the SPI context). */
static Account
account_lookup(const char *username)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	Account		acc = {0};

	if (username == NULL)
		return acc;
	values[0] = CStringGetTextDatum(username);
	plan_run(mo_spi_plan(&plan,
					  "SELECT account_id, password_hash, disabled_at IS NOT NULL"
					  " FROM mcp_oauth.accounts WHERE username = $1",
					  1, types), values, NULL);
	if (SPI_processed == 0)
		return acc;
	acc.found = true;
	acc.account_id = result_int8(1);
	acc.password_hash = mo_spi_text(2);
	acc.disabled = result_bool(3);
	return acc;
}

/* Whether crypt(password, hash) reproduces hash, compared in constant time. */
static bool
password_matches(const char *password, const char *hash)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char	   *computed;

	values[0] = CStringGetTextDatum(password);
	values[1] = CStringGetTextDatum(hash);
	plan_run(mo_spi_plan(&plan, "SELECT mcp_oauth._crypt($1, $2)", 2, types),
			 values, NULL);
	computed = mo_spi_text(1);
	return computed != NULL &&
		mo_secure_equal(computed, strlen(computed), hash, strlen(hash));
}

/*
 * The id of the enabled account whose password this is, or 0 (inside SPI).
 * Exactly one bcrypt computation whatever the outcome, so that the time
 * taken does not tell which usernames exist.
 */
static int64
check_credentials(const char *username, const char *password)
{
	Account		acc = account_lookup(username);
	bool		real = acc.found && acc.password_hash != NULL;
	bool		match;

	match = password_matches(password ? password : "",
							 real ? acc.password_hash : dummy_hash);
	if (!match || !real || acc.disabled || password == NULL ||
		strlen(password) > MAX_PASSWORD_BYTES)
		return 0;
	return acc.account_id;
}

/* Delete the login sessions of an account (inside SPI). */
static void
end_sessions(int64 account_id)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(account_id)};

	plan_run(mo_spi_plan(&plan,
					  "DELETE FROM mcp_oauth.login_sessions WHERE account_id = $1",
					  1, types), values, NULL);
}

/* {"is_admin":..} for the audit detail of a new account. */
static char *
account_detail(bool is_admin)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_bool(&buf, "is_admin", is_admin);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* create_account(username, password, is_admin, display_name) -> account_id */
Datum
create_account(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	char	   *username = mo_arg_cstring(fcinfo, 0);
	char	   *password = mo_arg_cstring(fcinfo, 1);
	bool		is_admin = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	Oid			types[4] = {TEXTOID, TEXTOID, BOOLOID, TEXTOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int64		account_id;

	check_username(username);
	check_password(password);
	values[0] = CStringGetTextDatum(username);
	values[1] = CStringGetTextDatum(password);
	values[2] = BoolGetDatum(is_admin);
	values[3] = PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3);
	nulls[3] = PG_ARGISNULL(3) ? 'n' : ' ';

	SPI_connect();
	plan_run(mo_spi_plan(&plan,
					  "INSERT INTO mcp_oauth.accounts"
					  " (username, password_hash, is_admin, display_name)"
					  " VALUES ($1, mcp_oauth._crypt($2, mcp_oauth._gen_salt('bf', 10)), $3, $4)"
					  " ON CONFLICT (username) DO NOTHING RETURNING account_id",
					  4, types), values, nulls);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_MO_INVALID_REQUEST),
				 errmsg("account \"%s\" already exists", username)));
	account_id = result_int8(1);
	mo_audit("account_created", username, NULL, NULL, 0, account_detail(is_admin));
	SPI_finish();
	PG_RETURN_INT64(account_id);
}

/* set_password(username, password): new hash, and every session ends. */
Datum
set_password(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	char	   *username = mo_arg_cstring(fcinfo, 0);
	char	   *password = mo_arg_cstring(fcinfo, 1);
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	if (username == NULL)
		no_such_account("");
	check_password(password);
	values[0] = CStringGetTextDatum(username);
	values[1] = CStringGetTextDatum(password);

	SPI_connect();
	plan_run(mo_spi_plan(&plan,
					  "UPDATE mcp_oauth.accounts"
					  " SET password_hash = mcp_oauth._crypt($2, mcp_oauth._gen_salt('bf', 10))"
					  " WHERE username = $1 RETURNING account_id",
					  2, types), values, NULL);
	if (SPI_processed == 0)
		no_such_account(username);
	end_sessions(result_int8(1));
	mo_audit("password_changed", username, NULL, NULL, 0, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

/* authenticate(username, password): whether they name an enabled account. */
Datum
authenticate(PG_FUNCTION_ARGS)
{
	int64		account_id;

	SPI_connect();
	account_id = check_credentials(mo_arg_cstring(fcinfo, 0),
								   mo_arg_cstring(fcinfo, 1));
	SPI_finish();
	PG_RETURN_BOOL(account_id != 0);
}

/* Revoke every live grant and PAT of subject (inside SPI). */
static void
revoke_subject_access(const char *subject)
{
	static SPIPlanPtr pat_plan = NULL;
	static SPIPlanPtr grant_plan = NULL;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(subject)};
	SPITupleTable *grants;

	plan_run(mo_spi_plan(&pat_plan,
						 "UPDATE mcp_oauth.personal_access_tokens SET revoked_at = now()"
						 " WHERE subject = $1 AND revoked_at IS NULL",
						 1, types), values, NULL);
	plan_run(mo_spi_plan(&grant_plan,
						 "SELECT grant_id FROM mcp_oauth.grants"
						 " WHERE subject = $1 AND revoked_at IS NULL ORDER BY grant_id",
						 1, types), values, NULL);
	grants = SPI_tuptable;
	for (uint64 i = 0; i < grants->numvals; i++)
	{
		bool		isnull;
		Datum		grant_id = SPI_getbinval(grants->vals[i], grants->tupdesc,
											 1, &isnull);

		mo_revoke_grant(DatumGetInt64(grant_id), "account_disabled");
	}
	mo_token_cache_invalidate();
}

/* disable_account(username): false if no such enabled account. */
Datum
disable_account(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	char	   *username = mo_arg_cstring(fcinfo, 0);
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		done;

	if (username == NULL)
		PG_RETURN_BOOL(false);
	values[0] = CStringGetTextDatum(username);
	SPI_connect();
	plan_run(mo_spi_plan(&plan,
					  "UPDATE mcp_oauth.accounts SET disabled_at = now()"
					  " WHERE username = $1 AND disabled_at IS NULL RETURNING account_id",
					  1, types), values, NULL);
	done = SPI_processed > 0;
	if (done)
	{
		end_sessions(result_int8(1));
		revoke_subject_access(username);
		mo_audit("account_disabled", username, NULL, NULL, 0, NULL);
	}
	SPI_finish();
	PG_RETURN_BOOL(done);
}

/* Store a new login session with this token for account_id (inside SPI). */
static void
session_create(const char *token, int64 account_id, const char *client_addr)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {BYTEAOID, INT8OID, TEXTOID, INT4OID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	values[0] = PointerGetDatum(mo_sha256(token));
	values[1] = Int64GetDatum(account_id);
	values[2] = client_addr ? CStringGetTextDatum(client_addr) : (Datum) 0;
	nulls[2] = client_addr ? ' ' : 'n';
	values[3] = Int32GetDatum(mo_session_lifetime);
	plan_run(mo_spi_plan(&plan,
					  "INSERT INTO mcp_oauth.login_sessions"
					  " (session_hash, account_id, client_addr, expires_at)"
					  " VALUES ($1, $2, $3::inet, now() + make_interval(secs => $4))",
					  4, types), values, nulls);
}

/*
 * A login_result row (ok, session_token, subject, error): ok with the
 * session token when token is not NULL, else the error code.
 */
static Datum
login_result(FunctionCallInfo fcinfo, const char *token, const char *subject,
			 const char *error)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "login must return a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = BoolGetDatum(token != NULL);
	values[1] = token ? CStringGetTextDatum(token) : (Datum) 0;
	nulls[1] = token == NULL;
	values[2] = token ? CStringGetTextDatum(subject) : (Datum) 0;
	nulls[2] = token == NULL;
	values[3] = token ? (Datum) 0 : CStringGetTextDatum(error);
	nulls[3] = token != NULL;
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

/*
 * The rate_limits buckets of sign-ins for username and client_addr (NULL
 * when the value is NULL; an address as mo_rate_limit_addr counts it),
 * inside SPI.  An account's bucket is named after it; the bucket of a
 * username that names no account (maybe a password typed in the wrong
 * field) is named by mo_secret_digest of it, so the text is kept nowhere.
 */
static void
login_buckets(const char *username, bool known, const char *client_addr,
			  const char **buckets)
{
	buckets[0] = buckets[1] = NULL;
	if (username != NULL)
		buckets[0] = known ? psprintf("login-user:%s", username) :
			psprintf("login-unknown:%s",
					 mo_secret_digest("mcp_oauth login bucket", username));
	if (client_addr != NULL)
		buckets[1] = psprintf("login-addr:%s", mo_rate_limit_addr(client_addr));
}

/*
 * Audit a sign-in event of username from client_addr: the username is the
 * subject only when it names an account (known); other text typed there,
 * maybe a password, is not kept.
 */
static void
audit_login(const char *event, const char *username, bool known,
			const char *client_addr)
{
	mo_audit(event, known ? username : NULL, NULL, client_addr, 0,
			 known ? NULL : "{\"unknown_user\":true}");
}

/*
 * Count a sign-in in both buckets before its password is checked; false if
 * either is at mcp_oauth.login_attempt_limit, and then it is counted in
 * neither (inside SPI).
 */
static bool
login_take(const char **buckets)
{
	if (mo_login_attempt_limit <= 0)
		return true;
	return mo_rate_limit_take(buckets, 2, LOGIN_WINDOW_SECS, mo_login_attempt_limit);
}

/* A sign-in succeeded: only failures count, take it back (inside SPI). */
static void
login_give_back(const char **buckets)
{
	if (mo_login_attempt_limit > 0)
		mo_rate_limit_return(buckets, 2);
}

/*
 * Delete the session whose token is token, if any, and audit a logout of its
 * account from client_addr (either may be NULL) with detail (inside SPI).
 */
static void
end_session(const char *token, const char *client_addr, const char *detail)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {BYTEAOID};
	Datum		values[1];

	values[0] = PointerGetDatum(mo_sha256(token));
	plan_run(mo_spi_plan(&plan,
						 "DELETE FROM mcp_oauth.login_sessions s"
						 " USING mcp_oauth.accounts a"
						 " WHERE s.session_hash = $1 AND a.account_id = s.account_id"
						 " RETURNING a.username",
						 1, types), values, NULL);
	if (SPI_processed > 0)
		mo_audit("logout", mo_spi_text(1), NULL, client_addr, 0, detail);
}

/*
 * login(username, password, client_addr, previous_session) -> login_result.
 * The same answer for an unknown user, a wrong password and a disabled
 * account.  A success ends previous_session (the browser's earlier session,
 * if any) in the same transaction.  The attempt is counted per username and
 * per address first; past mcp_oauth.login_attempt_limit failures in the
 * sliding 15 minutes of either, too_many_attempts without looking at the
 * password (the right one too).  A success is taken back from the counts.
 * Text typed as username that names no account is kept neither in the
 * audit nor in rate_limits (login_buckets, audit_login).
 */
Datum
mcp_oauth_login(PG_FUNCTION_ARGS)
{
	char	   *username = mo_arg_cstring(fcinfo, 0);
	char	   *client_addr = mo_arg_addr(fcinfo, 2);
	char	   *previous = PG_NARGS() > 3 ? mo_arg_cstring(fcinfo, 3) : NULL;
	char	   *token = mo_random_token("");
	const char *buckets[2];
	int64		account_id = 0;
	const char *error = "invalid_credentials";
	bool		known;

	SPI_connect();
	known = account_lookup(username).found;
	login_buckets(username, known, client_addr, buckets);
	if (!login_take(buckets))
	{
		error = "too_many_attempts";
		audit_login("login_throttled", username, known, client_addr);
	}
	else if ((account_id = check_credentials(username, mo_arg_cstring(fcinfo, 1))) != 0)
	{
		login_give_back(buckets);
		if (previous != NULL)
			end_session(previous, client_addr, "{\"reason\":\"signed_in_again\"}");
		session_create(token, account_id, client_addr);
		audit_login("login_succeeded", username, true, client_addr);
	}
	else
		audit_login("login_failed", username, known, client_addr);
	SPI_finish();
	return login_result(fcinfo, account_id != 0 ? token : NULL, username, error);
}

/* base64url(HMAC-SHA256(key = session token, "csrf")). */
static char *
csrf_token(const char *session_token)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char	   *out;

	if (HMAC(EVP_sha256(), session_token, (int) strlen(session_token),
			 (const unsigned char *) "csrf", 4, mac, &maclen) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not compute the CSRF token")));
	out = palloc(b64url_encoded_len(maclen) + 1);
	b64url_encode(mac, maclen, out);
	return out;
}

/*
 * session_subject(session_token) -> (subject, csrf_token, is_admin); no row
 * for an unknown or expired session or a disabled account.
 */
Datum
session_subject(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *token = mo_arg_cstring(fcinfo, 0);
	Oid			types[1] = {BYTEAOID};
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	if (token == NULL)
		return (Datum) 0;
	values[0] = PointerGetDatum(mo_sha256(token));
	SPI_connect();
	plan_run(mo_spi_plan(&plan,
					  "SELECT a.username, a.is_admin"
					  " FROM mcp_oauth.login_sessions s"
					  " JOIN mcp_oauth.accounts a USING (account_id)"
					  " WHERE s.session_hash = $1 AND s.expires_at > now()"
					  " AND a.disabled_at IS NULL",
					  1, types), values, NULL);
	if (SPI_processed > 0)
	{
		values[0] = CStringGetTextDatum(mo_spi_text(1));
		values[1] = CStringGetTextDatum(csrf_token(token));
		values[2] = BoolGetDatum(result_bool(2));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}

/* logout(session_token): end that session, if it exists. */
Datum
mcp_oauth_logout(PG_FUNCTION_ARGS)
{
	char	   *token = mo_arg_cstring(fcinfo, 0);

	if (token == NULL)
		PG_RETURN_VOID();
	SPI_connect();
	end_session(token, NULL, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}
