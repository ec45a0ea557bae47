/*
 * p256_verify.c
 *		ECDSA P-256 verification against one public key with a
 *		precomputed table of its multiples (see p256_verify.h).
 *
 * The check is SEC 1 (v2) section 4.1.4 for a 256-bit digest: r and s in
 * [1, n-1]; w = s^-1, u1 = e*w, u2 = r*w (mod n); X = u1*G + u2*Q is not
 * the point at infinity and its x coordinate is r (mod n).
 *
 * u2*Q is a fixed-base product in a copy of the P-256 group whose
 * generator is Q: EC_GROUP_precompute_mult() builds the same kind of table
 * for it that OpenSSL keeps for G.  That call is deprecated in OpenSSL 3
 * with no replacement, hence OPENSSL_SUPPRESS_DEPRECATED in this file only.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "p256_verify.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#define P256_LEN 32				/* bytes of a scalar, coordinate or digest */

struct p256_verifier
{
	EC_GROUP   *group;			/* P-256, generator G */
	EC_GROUP   *key_group;		/* P-256 with generator Q, and its table */
	BN_CTX	   *ctx;
	EC_POINT   *sum;			/* u1*G, then X */
	EC_POINT   *key_part;		/* u2*Q */
};

/* The uncompressed public point of pub, in group; NULL on failure. */
static EC_POINT *
public_point(EVP_PKEY *pub, const EC_GROUP *group, BN_CTX *ctx)
{
	unsigned char oct[1 + 2 * P256_LEN];
	size_t		len;
	EC_POINT   *q = EC_POINT_new(group);

	if (q == NULL ||
		EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY,
										oct, sizeof(oct), &len) != 1 ||
		EC_POINT_oct2point(group, q, oct, len, ctx) != 1 ||
		EC_POINT_is_at_infinity(group, q))
	{
		EC_POINT_free(q);
		return NULL;
	}
	return q;
}

/* Whether pub is an EC key on P-256. */
static int
is_p256(EVP_PKEY *pub)
{
	char		group[32];
	size_t		len;

	return pub != NULL && EVP_PKEY_is_a(pub, "EC") &&
		EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
									   group, sizeof(group), &len) == 1 &&
		strcmp(group, SN_X9_62_prime256v1) == 0;
}

/* A verifier for the P-256 public key of pub; NULL on failure. */
p256_verifier *
p256_verifier_new(EVP_PKEY *pub)
{
	p256_verifier *v;
	EC_POINT   *q = NULL;
	int			ok;

	if (!is_p256(pub) || (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	ok = (v->ctx = BN_CTX_new()) != NULL &&
		(v->group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) != NULL &&
		(v->key_group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) != NULL &&
		(q = public_point(pub, v->group, v->ctx)) != NULL &&
		EC_GROUP_set_generator(v->key_group, q, EC_GROUP_get0_order(v->group),
							   EC_GROUP_get0_cofactor(v->group)) == 1 &&
		EC_GROUP_precompute_mult(v->key_group, v->ctx) == 1 &&
		(v->sum = EC_POINT_new(v->group)) != NULL &&
		(v->key_part = EC_POINT_new(v->group)) != NULL;
	EC_POINT_free(q);
	if (!ok)
	{
		p256_verifier_free(v);
		return NULL;
	}
	return v;
}

/* Free a verifier (NULL is fine). */
void
p256_verifier_free(p256_verifier *v)
{
	if (v == NULL)
		return;
	EC_POINT_free(v->sum);
	EC_POINT_free(v->key_part);
	EC_GROUP_free(v->key_group);
	EC_GROUP_free(v->group);
	BN_CTX_free(v->ctx);
	free(v);
}

/* Whether 1 <= x < n. */
static int
in_scalar_range(const BIGNUM *x, const BIGNUM *n)
{
	return !BN_is_zero(x) && !BN_is_negative(x) && BN_cmp(x, n) < 0;
}

/* X = u1*G + u2*Q into v->sum; 0 on a library failure. */
static int
combine(p256_verifier *v, const BIGNUM *u1, const BIGNUM *u2)
{
	if (BN_is_zero(u1))
	{
		if (EC_POINT_set_to_infinity(v->group, v->sum) != 1)
			return 0;
	}
	else if (EC_POINT_mul(v->group, v->sum, u1, NULL, NULL, v->ctx) != 1)
		return 0;
	return EC_POINT_mul(v->key_group, v->key_part, u2, NULL, NULL, v->ctx) == 1 &&
		EC_POINT_add(v->group, v->sum, v->sum, v->key_part, v->ctx) == 1;
}

/*
 * Whether sig (raw r||s) is a valid signature of the 32-byte digest:
 * 1 valid, 0 invalid, -1 on a library failure.
 */
int
p256_verify(p256_verifier *v, const unsigned char *digest,
			const unsigned char *sig)
{
	const BIGNUM *n = EC_GROUP_get0_order(v->group);
	BIGNUM	   *r,
			   *s,
			   *e,
			   *w,
			   *u1,
			   *u2,
			   *x;
	int			result = -1;

	BN_CTX_start(v->ctx);
	r = BN_CTX_get(v->ctx);
	s = BN_CTX_get(v->ctx);
	e = BN_CTX_get(v->ctx);
	w = BN_CTX_get(v->ctx);
	u1 = BN_CTX_get(v->ctx);
	u2 = BN_CTX_get(v->ctx);
	x = BN_CTX_get(v->ctx);
	if (x == NULL ||
		BN_bin2bn(sig, P256_LEN, r) == NULL ||
		BN_bin2bn(sig + P256_LEN, P256_LEN, s) == NULL ||
		BN_bin2bn(digest, P256_LEN, e) == NULL)
		goto done;
	if (!in_scalar_range(r, n) || !in_scalar_range(s, n))
	{
		result = 0;
		goto done;
	}
	if (BN_mod_inverse(w, s, n, v->ctx) == NULL ||
		BN_mod_mul(u1, e, w, n, v->ctx) != 1 ||
		BN_mod_mul(u2, r, w, n, v->ctx) != 1 ||
		!combine(v, u1, u2))
		goto done;
	if (EC_POINT_is_at_infinity(v->group, v->sum))
	{
		result = 0;
		goto done;
	}
	if (EC_POINT_get_affine_coordinates(v->group, v->sum, x, NULL, v->ctx) != 1 ||
		BN_nnmod(x, x, n, v->ctx) != 1)
		goto done;
	result = BN_cmp(x, r) == 0;
done:
	BN_CTX_end(v->ctx);
	return result;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
