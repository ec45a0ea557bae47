/*
 * jwk_test.c
 *		Unit tests of lib/jwk.c and of RS256/PS256 verification in lib/jwt.c:
 *		JWK Sets of RSA, EC and OKP keys, tokens of each algorithm verified
 *		with the key chosen for their header, the keys a set leaves out
 *		(RFC 7517 section 5), the bounds of a set, and algorithm confusion.
 *
 * jwk.c needs jwt.c, json.c, text.c and base64url.c (the unit Makefile's
 * dependency line).
 */
#include "lib/jwk.h"
#include "lib/base64url.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "unit.h"

#define CLAIMS "{\"iss\":\"c\",\"sub\":\"c\",\"aud\":\"https://as.example\",\"exp\":2000000000}"

/* base64url of n bytes, into a new buffer. */
static char *
b64(const void *data, size_t n)
{
	char	   *out = malloc(b64url_encoded_len(n) + 1);

	b64url_encode(data, n, out);
	return out;
}

/* base64url of a BIGNUM parameter of key (big-endian, no padding bytes). */
static char *
bn_b64(EVP_PKEY *key, const char *param)
{
	BIGNUM	   *bn = NULL;
	unsigned char buf[1024];
	int			n;

	EVP_PKEY_get_bn_param(key, param, &bn);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64(buf, (size_t) n);
}

/* The public JWK of an RSA key, with extra members (",..." or ""). */
static char *
rsa_jwk(EVP_PKEY *key, const char *extra)
{
	char	   *n = bn_b64(key, OSSL_PKEY_PARAM_RSA_N);
	char	   *e = bn_b64(key, OSSL_PKEY_PARAM_RSA_E);
	char	   *out = malloc(strlen(n) + strlen(e) + strlen(extra) + 64);

	sprintf(out, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"%s}", n, e, extra);
	free(n);
	free(e);
	return out;
}

/* {"keys":[a, b]} (b may be NULL). */
static char *
set_of(const char *a, const char *b)
{
	char	   *out = malloc(strlen(a) + (b ? strlen(b) : 0) + 32);

	sprintf(out, "{\"keys\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
	return out;
}

/* An RS256 or PS256 token of CLAIMS signed with an RSA key (kid may be NULL). */
static char *
rsa_sign(EVP_PKEY *key, jwt_alg alg, const char *kid)
{
	char		header[128];
	char	   *h,
			   *c,
			   *s,
			   *out;
	unsigned char sig[1024];
	size_t		siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (kid)
		sprintf(header, "{\"alg\":\"%s\",\"kid\":\"%s\"}", jwt_alg_name(alg), kid);
	else
		sprintf(header, "{\"alg\":\"%s\"}", jwt_alg_name(alg));
	h = b64(header, strlen(header));
	c = b64(CLAIMS, strlen(CLAIMS));
	out = malloc(strlen(h) + strlen(c) + 1500);
	sprintf(out, "%s.%s", h, c);
	EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key, NULL);
	if (alg == JWT_ALG_PS256)
	{
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *) out, strlen(out)) != 1)
		return NULL;
	EVP_MD_CTX_free(ctx);
	s = b64(sig, siglen);
	strcat(out, ".");
	strcat(out, s);
	free(h);
	free(c);
	free(s);
	return out;
}

/* Whether token verifies with the key set chooses for its header. */
static int
set_verifies(const jwk_set *set, const char *token)
{
	jwt_parsed	p;
	const jwk_key *k;

	return jwt_parse(token, malloc, &p) == NULL &&
		jwk_set_find(set, p.kid, p.alg, &k) == JWK_FOUND &&
		jwt_verify_signature(&p, k->pkey, p.alg);
}

/* A token with one signature character changed. */
static char *
tampered(const char *token)
{
	char	   *t = strdup(token);
	char	   *at = strrchr(t, '.') + 5;

	*at = *at == 'A' ? 'B' : 'A';
	return t;
}

/* A token with its header replaced (signature kept). */
static char *
with_header(const char *token, const char *header)
{
	char	   *h = b64(header, strlen(header));
	const char *rest = strchr(token, '.');
	char	   *out = malloc(strlen(h) + strlen(rest) + 1);

	sprintf(out, "%s%s", h, rest);
	free(h);
	return out;
}

/* One RSA, one EC, one OKP key: each algorithm verifies with the key chosen. */
static void
test_mixed_set(EVP_PKEY *rsa, EVP_PKEY *ec, EVP_PKEY *ed)
{
	char	   *text = malloc(8192);
	jwk_set		set;
	const jwk_key *k;
	const char *reason;
	char	   *rs,
			   *ps,
			   *es,
			   *eds;

	sprintf(text, "{\"keys\":[%s,%s,%s],\"other\":{\"x\":[1]}}",
			rsa_jwk(rsa, ",\"kid\":\"r1\",\"use\":\"sig\""),
			jwt_public_jwk(ec, JWT_ALG_ES256, "e1", malloc),
			jwt_public_jwk(ed, JWT_ALG_EDDSA, "o1", malloc));
	reason = jwk_set_parse(text, strlen(text), malloc, &set);
	CHECK(reason == NULL && set.count == 3 && set.ignored == 0,
		  "mixed set: %s, %d keys", unit_show(reason), set.count);

	rs = rsa_sign(rsa, JWT_ALG_RS256, "r1");
	ps = rsa_sign(rsa, JWT_ALG_PS256, "r1");
	es = jwt_sign(ec, JWT_ALG_ES256, "e1", CLAIMS, malloc);
	eds = jwt_sign(ed, JWT_ALG_EDDSA, "o1", CLAIMS, malloc);
	CHECK(set_verifies(&set, rs), "RS256 refused");
	CHECK(set_verifies(&set, ps), "PS256 refused");
	CHECK(set_verifies(&set, es), "ES256 refused");
	CHECK(set_verifies(&set, eds), "EdDSA refused");
	CHECK(!set_verifies(&set, tampered(rs)), "tampered RS256 accepted");
	CHECK(!set_verifies(&set, tampered(ps)), "tampered PS256 accepted");
	/* the same key, the other RSA padding: never interchangeable */
	CHECK(!set_verifies(&set, with_header(rs, "{\"alg\":\"PS256\",\"kid\":\"r1\"}")),
		  "RS256 signature accepted as PS256");
	CHECK(!set_verifies(&set, with_header(ps, "{\"alg\":\"RS256\",\"kid\":\"r1\"}")),
		  "PS256 signature accepted as RS256");
	/* an RSA signature is no EC or EdDSA one */
	CHECK(!set_verifies(&set, with_header(rs, "{\"alg\":\"ES256\",\"kid\":\"e1\"}")),
		  "RS256 signature accepted as ES256");
	CHECK(jwk_set_find(&set, "r1", JWT_ALG_RS256, &k) == JWK_FOUND && k == &set.keys[0],
		  "r1 for RS256");
	CHECK(jwk_set_find(&set, "r1", JWT_ALG_ES256, &k) == JWK_NOT_FOUND && k == NULL,
		  "r1 (RSA) chosen for ES256");
	CHECK(jwk_set_find(&set, "e1", JWT_ALG_EDDSA, &k) == JWK_NOT_FOUND, "e1 chosen for EdDSA");
	CHECK(jwk_set_find(&set, "zz", JWT_ALG_RS256, &k) == JWK_NOT_FOUND, "unknown kid found");
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_PS256, &k) == JWK_FOUND && k == &set.keys[0],
		  "no kid: the only RSA key");
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_EDDSA, &k) == JWK_FOUND && k == &set.keys[2],
		  "no kid: the only Ed25519 key");
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_UNKNOWN, &k) == JWK_NOT_FOUND, "alg unknown found");
	CHECK(set_verifies(&set, rsa_sign(rsa, JWT_ALG_RS256, NULL)), "RS256 without kid refused");
	jwk_set_free(&set);
	CHECK(set.count == 0, "set not emptied");
}

/* Two RSA keys: without kid nothing is chosen; a key's own alg binds it. */
static void
test_choice(EVP_PKEY *rsa, EVP_PKEY *rsa2)
{
	jwk_set		set;
	const jwk_key *k;
	char	   *text = set_of(rsa_jwk(rsa, ",\"kid\":\"a\",\"alg\":\"RS256\""),
							  rsa_jwk(rsa2, ",\"kid\":\"b\""));

	CHECK(jwk_set_parse(text, strlen(text), malloc, &set) == NULL && set.count == 2, "two RSA");
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_RS256, &k) == JWK_AMBIGUOUS && k == NULL,
		  "no kid, two keys fit: one chosen");
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_PS256, &k) == JWK_FOUND && k == &set.keys[1],
		  "no kid, only b fits PS256 (a says RS256)");
	CHECK(jwk_set_find(&set, "a", JWT_ALG_PS256, &k) == JWK_NOT_FOUND,
		  "a key whose alg is RS256 chosen for PS256");
	CHECK(set_verifies(&set, rsa_sign(rsa2, JWT_ALG_PS256, "b")), "b PS256 refused");
	CHECK(!set_verifies(&set, rsa_sign(rsa2, JWT_ALG_RS256, "a")), "b's signature accepted for a");
	jwk_set_free(&set);

	/* one kid on two keys of one type: ambiguous */
	text = set_of(rsa_jwk(rsa, ",\"kid\":\"a\""), rsa_jwk(rsa2, ",\"kid\":\"a\""));
	CHECK(jwk_set_parse(text, strlen(text), malloc, &set) == NULL, "same kid twice");
	CHECK(jwk_set_find(&set, "a", JWT_ALG_RS256, &k) == JWK_AMBIGUOUS, "same kid twice chosen");
	jwk_set_free(&set);
}

/* A JWK text with one member's value replaced (the member must be there as "name":"...") */
static char *
replace_member(const char *jwk, const char *name, const char *value)
{
	char		pat[64];
	const char *at,
			   *end;
	char	   *out = malloc(strlen(jwk) + strlen(value) + 1);

	sprintf(pat, "\"%s\":\"", name);
	at = strstr(jwk, pat);
	end = strchr(at + strlen(pat), '"');
	sprintf(out, "%.*s%s%s", (int) (at + strlen(pat) - jwk), jwk, value, end);
	return out;
}

/* The JWK of an RSA key with the last bit of n cleared (an even modulus). */
static char *
even_modulus(EVP_PKEY *key)
{
	BIGNUM	   *bn = NULL;
	unsigned char buf[1024];
	int			n;
	char	   *jwk = rsa_jwk(key, "");
	char	   *nb;

	EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	buf[n - 1] &= 0xFE;
	nb = b64(buf, (size_t) n);
	return replace_member(jwk, "n", nb);
}

/* Keys a set leaves out: alone, the set has no usable key; beside a good one, they are ignored. */
static void
test_ignored(EVP_PKEY *rsa, EVP_PKEY *ec, EVP_PKEY *ed, EVP_PKEY *rsa1024)
{
	const char *good = jwt_public_jwk(ed, JWT_ALG_EDDSA, "good", malloc);
	char	   *ecj = jwt_public_jwk(ec, JWT_ALG_ES256, "e", malloc);
	const char *y = strstr(ecj, "\"y\":\"") + 5;
	char		bad_y[64];
	const char *bad[] = {
		rsa_jwk(rsa, ",\"use\":\"enc\""),
		rsa_jwk(rsa, ",\"use\":7"),
		rsa_jwk(rsa, ",\"key_ops\":[\"sign\"]"),
		rsa_jwk(rsa, ",\"key_ops\":\"verify\""),
		rsa_jwk(rsa, ",\"d\":\"AQAB\""),
		rsa_jwk(rsa, ",\"alg\":\"HS256\""),
		rsa_jwk(rsa, ",\"alg\":\"RS384\""),
		rsa_jwk(rsa, ",\"alg\":\"ES256\""),
		rsa_jwk(rsa, ",\"alg\":\"none\""),
		rsa_jwk(rsa, ",\"kid\":5"),
		rsa_jwk(rsa, ",\"kid\":\"\""),
		rsa_jwk(rsa1024, ""),	/* under 2048 bits */
		replace_member(rsa_jwk(rsa, ""), "e", "AAAA"),
		replace_member(rsa_jwk(rsa, ""), "e", "AQA="),
		replace_member(rsa_jwk(rsa, ""), "e", "AQAA"),	/* even */
		replace_member(rsa_jwk(rsa, ""), "e", "AQ"),	/* 1 */
		replace_member(rsa_jwk(rsa, ""), "n", "AQAB"),
		replace_member(ecj, "crv", "P-384"),
		replace_member(ecj, "x", "AQAB"),
		NULL,					/* off the curve: below */
		NULL,					/* an even modulus: below */
		replace_member(ecj, "alg", "EdDSA"),
		replace_member(good, "crv", "X25519"),
		replace_member(good, "x", "AQAB"),
		replace_member(good, "kty", "oct"),
		"{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"alg\":\"HS256\"}",
		"{\"kty\":\"RSA\"}",
		"{\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		"[]",
		"\"key\"",
	};
	char		kid[300];

	/* y + 1 mod p would be the same length but (almost surely) off the curve */
	memcpy(bad_y, y, 43);
	bad_y[43] = '\0';
	bad_y[42] = bad_y[42] == 'A' ? 'E' : 'A';
	bad[19] = replace_member(ecj, "y", bad_y);
	bad[20] = even_modulus(rsa);
	for (size_t i = 0; i < NELEM(bad); i++)
	{
		char	   *alone = set_of(bad[i], NULL);
		char	   *beside = set_of(bad[i], good);
		jwk_set		set;
		const char *reason = jwk_set_parse(alone, strlen(alone), malloc, &set);

		CHECK(unit_streq(reason, "no usable key") && set.count == 0,
			  "bad key %zu used: %s", i, unit_show(reason));
		jwk_set_free(&set);
		reason = jwk_set_parse(beside, strlen(beside), malloc, &set);
		CHECK(reason == NULL && set.count == 1 && set.ignored == 1 &&
			  unit_streq(set.keys[0].kid, "good"), "bad key %zu beside a good one", i);
		jwk_set_free(&set);
	}
	/* a kid of JWK_KID_MAX_LEN bytes is fine, one more is not */
	memset(kid, 'k', sizeof(kid));
	sprintf(kid + JWK_KID_MAX_LEN, "\"");
	{
		char		extra[400];
		char	   *text;
		jwk_set		set;

		sprintf(extra, ",\"kid\":\"%s", kid);
		text = set_of(rsa_jwk(rsa, extra), NULL);
		CHECK(jwk_set_parse(text, strlen(text), malloc, &set) == NULL, "long kid refused");
		jwk_set_free(&set);
		sprintf(kid + JWK_KID_MAX_LEN, "k\"");
		sprintf(extra, ",\"kid\":\"%s", kid);
		text = set_of(rsa_jwk(rsa, extra), NULL);
		CHECK(jwk_set_parse(text, strlen(text), malloc, &set) != NULL, "over-long kid used");
		jwk_set_free(&set);
	}
	/* the 1024-bit key is refused by the verifier too, whatever its set says */
	{
		jwt_parsed	p;
		char	   *t = rsa_sign(rsa1024, JWT_ALG_RS256, NULL);

		CHECK(jwt_parse(t, malloc, &p) == NULL, "RS256 token does not parse");
		CHECK(!jwt_verify_signature(&p, rsa1024, JWT_ALG_RS256), "1024-bit RSA verified");
		CHECK(!jwt_key_fits_alg(rsa1024, JWT_ALG_RS256), "1024-bit RSA fits RS256");
	}
}

/* Sets that are refused whole. */
static void
test_refused_sets(EVP_PKEY *ed)
{
	const char *good = jwt_public_jwk(ed, JWT_ALG_EDDSA, NULL, malloc);
	char	   *many = malloc(32 + (JWK_MAX_KEYS + 1) * (strlen(good) + 1));
	char	   *huge = malloc(JWK_SET_MAX_LEN + 64);
	const char *sets[] = {
		"", "{", "[]", "{}", "{\"keys\":{}}", "{\"keys\":\"a\"}", "{\"keys\":[]}",
		"{\"keys\":[],\"keys\":[]}", "{\"keys\":[{\"kty\":\"OKP\",\"kty\":\"OKP\"}]}",
		"{\"keys\":[1,2]}",
	};
	jwk_set		set;

	for (size_t i = 0; i < NELEM(sets); i++)
	{
		CHECK(jwk_set_parse(sets[i], strlen(sets[i]), malloc, &set) != NULL && set.count == 0,
			  "set %zu accepted", i);
		jwk_set_free(&set);
	}
	CHECK(jwk_set_parse(NULL, 0, malloc, &set) != NULL, "NULL accepted");
	/* the reasons a document that is not a set's JSON gets */
	CHECK(unit_streq(jwk_set_parse(sets[8], strlen(sets[8]), malloc, &set),
					 "an object has a member name twice"), "a name twice in a key");
	CHECK(unit_streq(jwk_set_parse(sets[1], strlen(sets[1]), malloc, &set),
					 "not a JSON object nested at most 8 deep"), "not JSON");
	sprintf(many, "{\"keys\":[%s],\"x\":[[[[[[[[1]]]]]]]]}", good);
	CHECK(unit_streq(jwk_set_parse(many, strlen(many), malloc, &set), "not a JSON object nested at most 8 deep"),
		  "nested 9 deep accepted");
	sprintf(many, "{\"keys\":[%s],\"x\":[[[[[[[1]]]]]]]}", good);
	CHECK(jwk_set_parse(many, strlen(many), malloc, &set) == NULL, "nested 8 deep refused");
	jwk_set_free(&set);
	/* a number jsonb could not hold (lib/json.c) refuses the set */
	sprintf(many, "{\"keys\":[%s],\"x\":1e-20000}", good);
	CHECK(jwk_set_parse(many, strlen(many), malloc, &set) != NULL, "1e-20000 accepted");
	/* JWK_MAX_KEYS keys are fine, one more is too many */
	strcpy(many, "{\"keys\":[");
	for (int i = 0; i < JWK_MAX_KEYS; i++)
		sprintf(many + strlen(many), "%s%s", i ? "," : "", good);
	strcat(many, "]}");
	CHECK(jwk_set_parse(many, strlen(many), malloc, &set) == NULL && set.count == JWK_MAX_KEYS,
		  "%d keys refused", JWK_MAX_KEYS);
	CHECK(jwk_set_find(&set, NULL, JWT_ALG_EDDSA, &(const jwk_key *) {NULL}) == JWK_AMBIGUOUS,
		  "twenty equal keys without kid");
	jwk_set_free(&set);
	sprintf(many + strlen(many) - 2, ",%s]}", good);
	CHECK(unit_streq(jwk_set_parse(many, strlen(many), malloc, &set), "too many keys"),
		  "%d keys accepted", JWK_MAX_KEYS + 1);
	/* a document over 64 KiB, however valid */
	sprintf(huge, "{\"keys\":[%s],\"pad\":\"", good);
	memset(huge + strlen(huge), 'a', JWK_SET_MAX_LEN);
	strcpy(huge + JWK_SET_MAX_LEN, "\"}");
	CHECK(jwk_set_parse(huge, strlen(huge), malloc, &set) != NULL, "over-long set accepted");
}

/* Names of the new algorithms; RSA keys verify only. */
static void
test_names(EVP_PKEY *rsa)
{
	CHECK(jwt_alg_from_name("RS256") == JWT_ALG_RS256, "RS256");
	CHECK(jwt_alg_from_name("PS256") == JWT_ALG_PS256, "PS256");
	CHECK(jwt_alg_from_name("rs256") == JWT_ALG_UNKNOWN, "rs256");
	CHECK(jwt_alg_from_name("HS256") == JWT_ALG_UNKNOWN, "HS256");
	CHECK(jwt_alg_from_name("RS384") == JWT_ALG_UNKNOWN, "RS384");
	CHECK(unit_streq(jwt_alg_name(JWT_ALG_PS256), "PS256"), "PS256 name");
	CHECK(!jwt_alg_signs(JWT_ALG_RS256) && jwt_alg_signs(JWT_ALG_ES256), "signing algs");
	CHECK(jwt_sign(rsa, JWT_ALG_RS256, "k", CLAIMS, malloc) == NULL, "signed with RS256");
	CHECK(jwt_thumbprint(rsa, JWT_ALG_RS256, malloc) == NULL, "RSA thumbprint");
	CHECK(jwt_key_fits_alg(rsa, JWT_ALG_PS256) && !jwt_key_fits_alg(rsa, JWT_ALG_ES256),
		  "RSA fits");
}

int
main(void)
{
	EVP_PKEY   *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	EVP_PKEY   *rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 3072);
	EVP_PKEY   *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
	EVP_PKEY   *ec = jwt_generate_key(JWT_ALG_ES256);
	EVP_PKEY   *ed = jwt_generate_key(JWT_ALG_EDDSA);

	CHECK(rsa && rsa2 && rsa1024 && ec && ed, "keys");
	test_names(rsa);
	test_mixed_set(rsa, ec, ed);
	test_choice(rsa, rsa2);
	test_ignored(rsa, ec, ed, rsa1024);
	test_refused_sets(ed);
	return unit_done("jwk_test");
}
