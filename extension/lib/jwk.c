/*
 * jwk.c
 *		JWK Sets of client public keys (RFC 7517): RSA, EC P-256 and OKP
 *		Ed25519 keys into EVP_PKEY handles, and the key for a JWS header.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#include "jwk.h"
#include "base64url.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#define COORD_LEN 32			/* bytes of a P-256 coordinate, of an Ed25519 key */
#define RSA_E_MAX_LEN 8			/* bytes of an RSA public exponent */
#define RSA_N_MAX_LEN (JWT_RSA_MAX_BITS / 8)

/* A set: 64 KiB, nesting of a few levels (x5c, key_ops), every name unique. */
static const json_limits jwk_limits = {JWK_SET_MAX_LEN, 8, true};

/*
 * The base64url string member name of k decoded into out (room for max
 * bytes); its length, or 0 if absent, malformed, empty or longer than max.
 */
static size_t
decode_member(const json_doc *k, const char *name, unsigned char *out, size_t max)
{
	const char *s = json_get_string(k, name);
	size_t		n;
	size_t		len;

	if (s == NULL || (n = strlen(s)) == 0 || b64url_decoded_max(n) > max ||
		b64url_decode(s, n, out, &len) != 0)
		return 0;
	return len;
}

/* A public key from OSSL parameters of type ("RSA", "EC"); NULL if refused. */
static EVP_PKEY *
key_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY   *key = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* An RSA public key from n and e; NULL if malformed. */
static EVP_PKEY *
rsa_key(const json_doc *k)
{
	unsigned char n[RSA_N_MAX_LEN + 1];
	unsigned char e[RSA_E_MAX_LEN];
	size_t		nlen = decode_member(k, "n", n, sizeof(n));
	size_t		elen = decode_member(k, "e", e, sizeof(e));
	OSSL_PARAM_BLD *bld;
	BIGNUM	   *bn_n,
			   *bn_e;
	EVP_PKEY   *key = NULL;

	if (nlen == 0 || elen == 0)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	bn_n = BN_bin2bn(n, (int) nlen, NULL);
	bn_e = BN_bin2bn(e, (int) elen, NULL);
	/*
	 * n and e odd, e > 1: OpenSSL's own RSA public check (SP 800-56B) tests
	 * n with random bases, so a modulus that is no product of two primes
	 * would be refused or not at random; a set must read the same each time
	 */
	if (bld != NULL && bn_n != NULL && bn_e != NULL &&
		BN_is_odd(bn_n) && BN_is_odd(bn_e) && !BN_is_one(bn_e) &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
		key = key_from_params("RSA", bld);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/* A P-256 public key from x and y (32 bytes each); NULL if malformed. */
static EVP_PKEY *
ec_key(const json_doc *k)
{
	unsigned char point[1 + 2 * COORD_LEN];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY   *key = NULL;

	if (!json_get_string(k, "crv") || strcmp(json_get_string(k, "crv"), "P-256") != 0)
		return NULL;
	point[0] = 0x04;			/* uncompressed (SEC 1 section 2.3.3) */
	if (decode_member(k, "x", point + 1, COORD_LEN) != COORD_LEN ||
		decode_member(k, "y", point + 1 + COORD_LEN, COORD_LEN) != COORD_LEN)
		return NULL;
	bld = OSSL_PARAM_BLD_new();
	if (bld != NULL &&
		OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) == 1 &&
		OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
										 point, sizeof(point)) == 1)
		key = key_from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/* An Ed25519 public key from x (32 bytes); NULL if malformed. */
static EVP_PKEY *
okp_key(const json_doc *k)
{
	unsigned char x[COORD_LEN];

	if (!json_get_string(k, "crv") || strcmp(json_get_string(k, "crv"), "Ed25519") != 0 ||
		decode_member(k, "x", x, sizeof(x)) != COORD_LEN)
		return NULL;
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof(x));
}

/* Whether an EC public key's point is on its curve (other types: true). */
static bool
public_key_valid(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx;
	bool		ok;

	if (!EVP_PKEY_is_a(key, "EC"))
		return true;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ok = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* The algorithms a key's type allows (the first two slots of algs). */
static int
type_algs(EVP_PKEY *key, jwt_alg *algs)
{
	int			n = 0;
	const jwt_alg all[] = {JWT_ALG_RS256, JWT_ALG_PS256, JWT_ALG_ES256, JWT_ALG_EDDSA};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) && n < 2; i++)
		if (jwt_key_fits_alg(key, all[i]))
			algs[n++] = all[i];
	return n;
}

/* Whether key_ops, if present, is an array of strings that allows "verify". */
static bool
ops_allow_verify(const json_doc *k)
{
	const json_member *m = json_get(k, "key_ops");

	if (m == NULL)
		return true;
	if (m->type != JSON_ARRAY || m->strings == NULL)
		return false;
	for (int i = 0; i < m->nstrings; i++)
		if (strcmp(m->strings[i], "verify") == 0)
			return true;
	return false;
}

/*
 * Whether the members other than the key material let the server use k
 * for signatures; *alg is its own "alg" (JWT_ALG_UNKNOWN when absent).
 */
static bool
usable_members(const json_doc *k, const char **kid, jwt_alg *alg)
{
	const json_member *use = json_get(k, "use");
	const json_member *kidm = json_get(k, "kid");
	const json_member *algm = json_get(k, "alg");

	if (use != NULL && (use->type != JSON_STRING || strcmp(use->string, "sig") != 0))
		return false;
	if (!ops_allow_verify(k) || json_get(k, "d") != NULL)
		return false;
	*kid = NULL;
	if (kidm != NULL)
	{
		if (kidm->type != JSON_STRING || kidm->string[0] == '\0' ||
			strlen(kidm->string) > JWK_KID_MAX_LEN)
			return false;
		*kid = kidm->string;
	}
	*alg = JWT_ALG_UNKNOWN;
	if (algm != NULL &&
		(algm->type != JSON_STRING || (*alg = jwt_alg_from_name(algm->string)) == JWT_ALG_UNKNOWN))
		return false;
	return true;
}

/* The public key of k by its "kty", or NULL (an unknown kty: "oct" too). */
static EVP_PKEY *
key_material(const json_doc *k)
{
	const char *kty = json_get_string(k, "kty");

	if (kty == NULL)
		return NULL;
	if (strcmp(kty, "RSA") == 0)
		return rsa_key(k);
	if (strcmp(kty, "EC") == 0)
		return ec_key(k);
	if (strcmp(kty, "OKP") == 0)
		return okp_key(k);
	return NULL;
}

/* Read one element of "keys" into out; false if the server cannot use it. */
static bool
read_key(const json_doc *k, jwk_key *out)
{
	jwt_alg		algs[2];
	int			nalgs;
	EVP_PKEY   *key;

	if (k == NULL || !usable_members(k, &out->kid, &out->alg) ||
		(key = key_material(k)) == NULL)
		return false;
	nalgs = public_key_valid(key) ? type_algs(key, algs) : 0;
	/* its own alg, if any, must be one its type allows */
	if (nalgs == 0 ||
		(out->alg != JWT_ALG_UNKNOWN && algs[0] != out->alg &&
		 (nalgs < 2 || algs[1] != out->alg)))
	{
		EVP_PKEY_free(key);
		return false;
	}
	out->pkey = key;
	return true;
}

/* Read a JWK Set; NULL with the usable keys in out, or a reason. */
const char *
jwk_set_parse(const char *text, size_t len, json_alloc_fn alloc, jwk_set *out)
{
	json_doc	doc;
	const json_member *keys;

	memset(out, 0, sizeof(*out));
	if (text == NULL || len > JWK_SET_MAX_LEN)
		return "JWK Set too large";
	switch (json_read_object(text, len, &jwk_limits, alloc, &doc))
	{
		case JSON_OK:
			break;
		case JSON_DUPLICATE:
			return "an object has a member name twice";
		default:
			return "not a JSON object nested at most 8 deep";
	}
	keys = json_get(&doc, "keys");
	if (keys == NULL || keys->type != JSON_ARRAY)
		return "no \"keys\" array";
	if (keys->nobjects > JWK_MAX_KEYS)
		return "too many keys";
	for (int i = 0; i < keys->nobjects; i++)
	{
		if (read_key(keys->objects[i], &out->keys[out->count]))
			out->count++;
		else
			out->ignored++;
	}
	ERR_clear_error();			/* a refused key is no library error */
	if (out->count == 0)
	{
		out->ignored = 0;
		return "no usable key";
	}
	return NULL;
}

/* Free the OpenSSL handles of a set. */
void
jwk_set_free(jwk_set *set)
{
	for (int i = 0; i < set->count; i++)
		EVP_PKEY_free(set->keys[i].pkey);
	memset(set, 0, sizeof(*set));
}

/* Whether key may check a signature of alg. */
bool
jwk_key_fits(const jwk_key *key, jwt_alg alg)
{
	return (key->alg == JWT_ALG_UNKNOWN || key->alg == alg) &&
		jwt_key_fits_alg(key->pkey, alg);
}

/* The one key for a header's kid (or none) and alg. */
jwk_find_result
jwk_set_find(const jwk_set *set, const char *kid, jwt_alg alg,
			 const jwk_key **out)
{
	int			found = 0;

	*out = NULL;
	for (int i = 0; i < set->count; i++)
	{
		const jwk_key *k = &set->keys[i];

		if (kid != NULL && (k->kid == NULL || strcmp(k->kid, kid) != 0))
			continue;
		if (!jwk_key_fits(k, alg))
			continue;
		if (found++ == 0)
			*out = k;
	}
	if (found > 1)
	{
		*out = NULL;
		return JWK_AMBIGUOUS;
	}
	return found == 1 ? JWK_FOUND : JWK_NOT_FOUND;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
