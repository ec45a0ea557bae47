/*
 * client_assertion.c
 *		private_key_jwt client authentication (RFC 7523 sections 2.2 and 3,
 *		OpenID Connect Core section 9): a client proves itself with a JWT it
 *		signed with its own private key, checked with the public keys it
 *		registered inline (clients.jwks) or publishes (clients.jwks_uri).
 *
 * Decisions (see also extension/DESIGN.md):
 *	- iss and sub are the client_id; aud names this server: the issuer, our
 *	  token endpoint, or the endpoint called.  exp is required, in the
 *	  future and at most MAX_AHEAD seconds ahead (plus EXP_SKEW for the
 *	  client's clock); nbf and iat, when present, not later than now plus
 *	  mcp_oauth.clock_leeway.  jti is required and used once: it is kept in
 *	  client_assertion_jtis until its assertion expires (purge_expired,
 *	  kind client_assertion_jtis), so a replay is refused as long as the
 *	  assertion would be accepted.
 *	- RS256, PS256, ES256 and EdDSA only (lib/jwt.h): never none, never an
 *	  HMAC (a public key used as an HMAC secret is the classic confusion).
 *	- The claims are checked before any key is looked for, so a malformed
 *	  or expired assertion never causes a fetch.  The jti is recorded last,
 *	  after the signature: nobody without the key can use up a client's
 *	  jti, and the call that follows a fetch finds it new.
 *	- Keys at a jwks_uri come through fetched_documents and the need-fetch
 *	  protocol (fetched.h): no servable copy and no failure remembered ->
 *	  ask the server for the set; a failure remembered -> refuse.  A kid
 *	  the copy does not have (a key rotated in) asks for the set again,
 *	  at most once per REFETCH_INTERVAL and not while a failure is
 *	  remembered, so anyone sending assertions with made-up kids makes the
 *	  server fetch a client's keys at most once a minute.
 */
#include "client_assertion.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "fetched.h"
#include "lib/jwk.h"
#include "lib/jwt.h"

#define MAX_AHEAD		300		/* exp at most 5 minutes ahead ... */
#define EXP_SKEW		30		/* ... plus this much of the client's clock */
#define REFETCH_INTERVAL 60		/* seconds between fetches for unknown kids */
#define JTI_MAX_LEN		256

/* Seconds between the Unix epoch (NumericDate's) and PostgreSQL's. */
#define UNIX_EPOCH_SECS ((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* The transaction time as a NumericDate. */
static double
now_seconds(void)
{
	return (double) GetCurrentTransactionStartTimestamp() / USECS_PER_SEC + UNIX_EPOCH_SECS;
}

/* The client an assertion names (its sub), unchecked; NULL if none. */
char *
mo_client_assertion_subject(const char *assertion)
{
	jwt_parsed	p;
	const char *sub;

	if (assertion == NULL || jwt_parse(assertion, palloc, &p) != NULL)
		return NULL;
	sub = json_get_string(&p.claims, "sub");
	/* bytes that are not text never reach a table (the audit row) */
	if (sub == NULL || sub[0] == '\0' || !mo_valid_text(sub))
		return NULL;
	return pstrdup(sub);
}

/* A NumericDate claim; false when absent or not a number. */
static bool
claim_seconds(const json_doc *claims, const char *name, double *out)
{
	const json_member *m = json_get(claims, name);

	if (m == NULL || m->type != JSON_NUMBER)
		return false;
	*out = m->number;
	return true;
}

/* Whether url names this server for an assertion sent to endpoint_path. */
static bool
names_us(const char *url, const char *endpoint_path)
{
	return strcmp(url, mo_issuer) == 0 ||
		strcmp(url, mo_issuer_url("/token")) == 0 ||
		strcmp(url, mo_issuer_url(endpoint_path)) == 0;
}

/* Whether aud (a string or an array of strings) names this server. */
static bool
aud_names_us(const json_member *aud, const char *endpoint_path)
{
	if (aud == NULL)
		return false;
	if (aud->type == JSON_STRING)
		return names_us(aud->string, endpoint_path);
	if (aud->type != JSON_ARRAY || aud->strings == NULL)
		return false;
	for (int i = 0; i < aud->nstrings; i++)
		if (names_us(aud->strings[i], endpoint_path))
			return true;
	return false;
}

/* Check exp (required, near), nbf and iat (if present); NULL or a reason. */
static const char *
check_times(const json_doc *claims, double *exp)
{
	double		now = now_seconds();
	double		t;

	if (!claim_seconds(claims, "exp", exp))
		return "no_exp";
	if (*exp <= now)
		return "expired";
	if (*exp > now + MAX_AHEAD + EXP_SKEW)
		return "exp_too_far_ahead";
	if (json_get(claims, "nbf") != NULL &&
		(!claim_seconds(claims, "nbf", &t) || t > now + mo_clock_leeway))
		return "not_yet_valid";
	if (json_get(claims, "iat") != NULL &&
		(!claim_seconds(claims, "iat", &t) || t > now + mo_clock_leeway))
		return "issued_in_the_future";
	return NULL;
}

/* Check every claim of RFC 7523 section 3; NULL (*jti, *exp set) or a reason. */
static const char *
check_claims(const json_doc *claims, const char *client_id,
			 const char *endpoint_path, const char **jti, double *exp)
{
	const char *iss = json_get_string(claims, "iss");
	const char *sub = json_get_string(claims, "sub");
	const char *reason;

	if (iss == NULL || strcmp(iss, client_id) != 0)
		return "wrong_iss";
	if (sub == NULL || strcmp(sub, client_id) != 0)
		return "wrong_sub";
	if (!aud_names_us(json_get(claims, "aud"), endpoint_path))
		return "wrong_aud";
	if ((reason = check_times(claims, exp)) != NULL)
		return reason;
	*jti = json_get_string(claims, "jti");
	if (*jti == NULL || (*jti)[0] == '\0' || strlen(*jti) > JTI_MAX_LEN ||
		!mo_valid_text(*jti))
		return "no_jti";
	return NULL;
}

/*
 * Check the signature of p with the key a JWK Set text chooses for its
 * header; NULL or a reason.  *unknown_key: the set has no key for it (one
 * rotated in since the copy was made would be).
 */
static const char *
verify_with_set(const char *set_text, const jwt_parsed *p, bool *unknown_key)
{
	jwk_set    *set = palloc0(sizeof(jwk_set));
	const char *volatile reason = NULL;

	*unknown_key = false;
	/* the set's keys are OpenSSL's memory: freed on every path */
	PG_TRY();
	{
		const jwk_key *key;

		if (jwk_set_parse(set_text, strlen(set_text), palloc, set) != NULL)
		{
			reason = "no_usable_key";
			*unknown_key = true;
		}
		else
			switch (jwk_set_find(set, p->kid, p->alg, &key))
			{
				case JWK_FOUND:
					if (!jwt_verify_signature(p, key->pkey, p->alg))
						reason = "bad_signature";
					break;
				case JWK_NOT_FOUND:
					reason = "unknown_key";
					*unknown_key = true;
					break;
				case JWK_AMBIGUOUS:
					reason = "ambiguous_key";
					break;
			}
	}
	PG_FINALLY();
	{
		jwk_set_free(set);
	}
	PG_END_TRY();
	return reason;
}

/* Ask the server for the client's JWK Set at uri (revalidating etag if any). */
static MoAssertionOutcome
need_jwks(const char *uri, const char *etag, MoResponse *r)
{
	mo_need_fetch_response(r, uri, MO_FETCH_JWKS, etag, MO_FETCH_MAX_JWKS, false);
	return MO_ASSERTION_NEED_FETCH;
}

/* Whether a copy fetched at fetched_at may be fetched again for an unknown kid. */
static bool
refetch_allowed(TimestampTz fetched_at)
{
	return fetched_at < GetCurrentTransactionStartTimestamp() -
		(TimestampTz) REFETCH_INTERVAL * USECS_PER_SEC;
}

/* Check the signature of p with the JWK Set at uri, through fetched_documents. */
static MoAssertionOutcome
check_with_uri(const char *uri, const jwt_parsed *p, MoResponse *r,
			   const char **reason)
{
	MoFetchedDoc doc;
	bool		unknown_key;

	if (!mo_fetched_get(uri, MO_FETCH_JWKS, &doc) ||
		(!doc.servable && doc.failure == NULL))
		return need_jwks(uri, doc.body != NULL ? doc.etag : NULL, r);
	if (!doc.servable)
	{
		*reason = psprintf("jwks_uri_%s", doc.failure);
		return MO_ASSERTION_INVALID;
	}
	*reason = verify_with_set(doc.body, p, &unknown_key);
	if (*reason == NULL)
		return MO_ASSERTION_VALID;
	if (unknown_key && doc.failure == NULL && refetch_allowed(doc.fetched_at))
		return need_jwks(uri, doc.etag, r);
	return MO_ASSERTION_INVALID;
}

/* Check the signature of p with the client's keys (clients.jwks or jwks_uri). */
static MoAssertionOutcome
check_signature(const MoClientRow *client, const jwt_parsed *p, MoResponse *r,
				const char **reason)
{
	bool		unknown_key;

	if (client->jwks != NULL)
	{
		*reason = verify_with_set(client->jwks, p, &unknown_key);
		return *reason == NULL ? MO_ASSERTION_VALID : MO_ASSERTION_INVALID;
	}
	if (client->jwks_uri != NULL)
		return check_with_uri(client->jwks_uri, p, r, reason);
	*reason = "no_keys_registered";
	return MO_ASSERTION_INVALID;
}

/*
 * Record jti of client_id until exp; false when it is known (and its
 * assertion unexpired): a replay.  A concurrent use of the same jti waits
 * for this transaction and then finds it.
 */
static bool
jti_is_new(const char *client_id, const char *jti, double exp)
{
	static MoKeyPlan plan;
	Oid			types[3] = {TEXTOID, TEXTOID, FLOAT8OID};
	Datum		values[3] = {CStringGetTextDatum(client_id),
		CStringGetTextDatum(jti), Float8GetDatum(exp)};

	mo_spi_check_write(mo_spi_run_by_key(&plan,
										 "INSERT INTO mcp_oauth.client_assertion_jtis AS j"
										 " (client_id, jti, expires_at)"
										 " VALUES ($1, $2, pg_catalog.to_timestamp($3))"
										 " ON CONFLICT (client_id, jti) DO UPDATE"
										 " SET expires_at = excluded.expires_at"
										 " WHERE j.expires_at < pg_catalog.now()",
										 3, types, values, NULL, 0),
					   SPI_OK_INSERT, "client_assertion_jtis");
	return SPI_processed == 1;
}

/* The audit reason of a JWS that does not parse. */
static const char *
parse_reason(const char *jwt_reason)
{
	return strcmp(jwt_reason, "unsupported alg") == 0 ?
		"unsupported_alg" : "malformed_assertion";
}

/* Check a client assertion (see client_assertion.h). */
MoAssertionOutcome
mo_client_assertion_check(const MoClientRow *client, const char *assertion,
						  const char *endpoint_path, MoResponse *r,
						  const char **reason)
{
	jwt_parsed	p;
	const char *jti;
	double		exp;
	MoAssertionOutcome outcome;

	if ((*reason = jwt_parse(assertion, palloc, &p)) != NULL)
	{
		*reason = parse_reason(*reason);
		return MO_ASSERTION_INVALID;
	}
	if ((*reason = check_claims(&p.claims, client->client_id, endpoint_path,
								&jti, &exp)) != NULL)
		return MO_ASSERTION_INVALID;
	outcome = check_signature(client, &p, r, reason);
	if (outcome != MO_ASSERTION_VALID)
		return outcome;
	if (!jti_is_new(client->client_id, jti, exp))
	{
		*reason = "replayed_jti";
		return MO_ASSERTION_INVALID;
	}
	return MO_ASSERTION_VALID;
}
