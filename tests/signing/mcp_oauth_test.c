/*
 * mcp_oauth_test.c
 *		mcp_oauth_test.so, a library for the tests only: signs chosen claims
 *		with the active signing key, to make tokens the token endpoint never
 *		would (expired, future, wrong issuer or audience).
 *
 * scripts/test.sh builds and installs it; make install does not, so no
 * deployment ships it.  A superuser's test declares the function (only
 * superusers may declare C functions, and they can read the private keys
 * anyway).  The key is read here, with the same choice as keys.c, and the
 * token is made by lib/jwt.c compiled into this library.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "lib/jwt.h"

PG_MODULE_MAGIC;

/* The key that signs now: the newest activation, then creation, then the smallest kid. */
#define ACTIVE_KEY_SQL \
	"SELECT kid, alg, private_key_pem FROM mcp_oauth.signing_keys" \
	" WHERE alg IN ('ES256', 'EdDSA') AND activates_at <= now()" \
	" AND (retired_at IS NULL OR retired_at > now())" \
	" ORDER BY activates_at DESC, created_at DESC, kid COLLATE \"C\" LIMIT 1"

/* The active key's kid, alg and PEM, copied into cxt. */
static void
active_key(MemoryContext cxt, char **kid, jwt_alg *alg, char **pem)
{
	HeapTuple	row;
	TupleDesc	desc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "could not connect to SPI");
	if (SPI_execute(ACTIVE_KEY_SQL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read mcp_oauth.signing_keys");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no active signing key"),
				 errhint("Call mcp_oauth.rotate_signing_key().")));
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	*kid = MemoryContextStrdup(cxt, SPI_getvalue(row, desc, 1));
	*alg = jwt_alg_from_name(SPI_getvalue(row, desc, 2));
	*pem = MemoryContextStrdup(cxt, SPI_getvalue(row, desc, 3));
	SPI_finish();
}

PG_FUNCTION_INFO_V1(mcp_oauth_sign_claims_for_test);

/* mcp_oauth_sign_claims_for_test(claims text) -> an at+jwt of those claims. */
Datum
mcp_oauth_sign_claims_for_test(PG_FUNCTION_ARGS)
{
	char	   *claims = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *kid;
	char	   *pem;
	jwt_alg		alg;
	EVP_PKEY   *key;
	char	   *jwt;

	active_key(CurrentMemoryContext, &kid, &alg, &pem);
	key = jwt_load_private_key(pem);
	jwt = key ? jwt_sign(key, alg, kid, claims, palloc) : NULL;
	EVP_PKEY_free(key);
	if (jwt == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("could not sign with signing key \"%s\"", kid)));
	PG_RETURN_TEXT_P(cstring_to_text(jwt));
}
