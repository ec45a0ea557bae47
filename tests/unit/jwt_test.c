/*
 * jwt_test.c
 *		Unit tests of lib/jwt.c: signing and verifying ES256 and EdDSA
 *		tokens, RFC 7638 thumbprints (RFC 8037 vector), an RFC 7515 ES256
 *		vector, tampering, algorithm confusion, malformed tokens, and a
 *		prepared ES256 key used again and again.
 *
 * jwt.c needs json.c and base64url.c (the unit Makefile's dependency line).
 */
#include "lib/jwt.h"
#include "lib/base64url.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "unit.h"

#define CLAIMS "{\"iss\":\"https://as.example.com\",\"sub\":\"alice\",\"exp\":2000000000}"

/* base64url of a NUL-terminated string, into a new buffer. */
static char *
b64(const char *s)
{
	char	   *out = malloc(b64url_encoded_len(strlen(s)) + 1);

	b64url_encode((const unsigned char *) s, strlen(s), out);
	return out;
}

/* A token with its header replaced by the given JSON (signature kept). */
static char *
with_header(const char *token, const char *header)
{
	char	   *h = b64(header);
	const char *rest = strchr(token, '.');
	char	   *out = malloc(strlen(h) + strlen(rest) + 1);

	sprintf(out, "%s%s", h, rest);
	free(h);
	return out;
}

/* Parse and verify token with key/alg; whether it verifies. */
static int
verifies(const char *token, EVP_PKEY *key, jwt_alg alg)
{
	jwt_parsed p;

	return jwt_parse(token, malloc, &p) == NULL && jwt_verify_signature(&p, key, alg);
}

/* Sign, parse, verify, and refuse every tampering, for one algorithm. */
static void
test_alg(jwt_alg alg, EVP_PKEY *other)
{
	EVP_PKEY   *key = jwt_generate_key(alg);
	EVP_PKEY   *reloaded;
	char	   *pem,
			   *kid,
			   *jwk,
			   *tok,
			   *bad;
	jwt_parsed	p;
	const json_member *m;
	size_t		n;

	CHECK(key != NULL, "%s: no key", jwt_alg_name(alg));
	kid = jwt_thumbprint(key, alg, malloc);
	CHECK(kid && strlen(kid) == 43, "%s: kid %s", jwt_alg_name(alg), unit_show(kid));
	jwk = jwt_public_jwk(key, alg, kid, malloc);
	CHECK(jwk && strstr(jwk, kid) && strstr(jwk, "\"use\":\"sig\""), "jwk %s", unit_show(jwk));
	CHECK(jwk && strstr(jwk, "\"d\"") == NULL, "private part in jwk");
	pem = jwt_private_key_pem(key, malloc);
	CHECK(pem && strncmp(pem, "-----BEGIN PRIVATE KEY-----", 27) == 0, "pem is not PKCS#8");
	reloaded = jwt_load_private_key(pem);
	CHECK(reloaded != NULL, "pem does not reload");
	CHECK(unit_streq(jwt_thumbprint(reloaded, alg, malloc), kid), "reloaded key has another kid");

	tok = jwt_sign(key, alg, kid, CLAIMS, malloc);
	CHECK(tok != NULL, "sign failed");
	CHECK(jwt_parse(tok, malloc, &p) == NULL, "own token does not parse");
	CHECK(p.alg == alg && unit_streq(p.kid, kid) && unit_streq(p.typ, "at+jwt"), "header");
	m = json_get(&p.claims, "sub");
	CHECK(m && unit_streq(m->string, "alice"), "claims");
	CHECK(p.signature_len == 64, "signature length %zu", p.signature_len);
	CHECK(jwt_verify_signature(&p, key, alg), "own signature refused");
	CHECK(verifies(tok, reloaded, alg), "reloaded key refuses the signature");
	CHECK(!jwt_verify_signature(&p, jwt_generate_key(alg), alg), "another key accepted");
	CHECK(!jwt_verify_signature(&p, other, alg), "key of another type accepted");
	CHECK(!jwt_verify_signature(&p, key, alg == JWT_ALG_ES256 ? JWT_ALG_EDDSA : JWT_ALG_ES256),
		  "algorithm confusion accepted");
	CHECK(!jwt_verify_signature(&p, key, JWT_ALG_UNKNOWN), "unknown alg accepted");
	CHECK(jwt_sign(key, alg == JWT_ALG_ES256 ? JWT_ALG_EDDSA : JWT_ALG_ES256, kid, CLAIMS, malloc) == NULL,
		  "signed with a key of the wrong type");

	/* flip one character of each part */
	n = strlen(tok);
	for (size_t i = 0; i < n; i += 7)
	{
		if (tok[i] == '.')
			continue;
		bad = strdup(tok);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CHECK(!verifies(bad, key, alg), "tampered at %zu accepted", i);
		free(bad);
	}
	/* a changed header, even one that means the same */
	bad = with_header(tok, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"x\"}");
	CHECK(!verifies(bad, key, alg), "header swap accepted");
	bad = with_header(tok, "{\"alg\":\"none\",\"typ\":\"at+jwt\"}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "alg none parsed");
	bad = with_header(tok, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "alg HS256 parsed");
	bad = with_header(tok, "{\"alg\":\"es256\",\"typ\":\"at+jwt\"}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "alg names are case-sensitive");
	bad = with_header(tok, "{\"alg\":\"EdDSA\",\"crit\":[\"x\"],\"x\":1}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "crit parsed");
	bad = with_header(tok, "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "duplicate header member parsed");
	bad = with_header(tok, "{\"alg\":\"EdDSA\",\"kid\":5}");
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "numeric kid parsed");
	/* signature stripped, or too short */
	bad = strdup(tok);
	strrchr(bad, '.')[1] = '\0';
	CHECK(jwt_parse(bad, malloc, &p) != NULL, "empty signature parsed");
	strcpy(strrchr(bad, '.') + 1, "AAAA");
	CHECK(!verifies(bad, key, alg), "short signature accepted");
	EVP_PKEY_free(key);
	EVP_PKEY_free(reloaded);
}

static const char *const malformed[] = {
	"", "a", "a.b", "a.b.c.d", "..", "eyJhbGciOiJFUzI1NiJ9..AAAA",
	"eyJhbGciOiJFUzI1NiJ9.e30.AA=A", "eyJhbGciOiJFUzI1NiJ9.e30=.AAAA",
	"e30.e30.AAAA",				/* header {} : no alg */
	"bnVsbA.e30.AAAA",			/* header null */
	"eyJhbGciOiJFUzI1NiJ9.WzFd.AAAA",	/* claims [1] */
	"eyJhbGciOiJFUzI1NiJ9.e30.AA+A",
};

/* Shapes jwt_parse must refuse. */
static void
test_malformed(void)
{
	jwt_parsed	p;
	char	   *huge = malloc(JWT_MAX_LEN + 2);

	for (size_t i = 0; i < NELEM(malformed); i++)
		CHECK(jwt_parse(malformed[i], malloc, &p) != NULL, "parsed: %s", malformed[i]);
	CHECK(jwt_parse(NULL, malloc, &p) != NULL, "NULL parsed");
	memset(huge, 'A', JWT_MAX_LEN + 1);
	huge[JWT_MAX_LEN + 1] = '\0';
	huge[10] = '.';
	huge[20] = '.';
	CHECK(jwt_parse(huge, malloc, &p) != NULL, "over-long token parsed");
	CHECK(jwt_alg_from_name("none") == JWT_ALG_UNKNOWN, "none is an alg");
	CHECK(jwt_alg_from_name(NULL) == JWT_ALG_UNKNOWN, "NULL is an alg");
	free(huge);
}

/* RFC 8037 appendix A.3: the thumbprint of its Ed25519 key. */
static void
test_rfc8037_thumbprint(void)
{
	unsigned char d[32];
	size_t		n;
	EVP_PKEY   *key;
	char	   *jwk;

	b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", 43, d, &n);
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, n);
	CHECK(key != NULL, "RFC 8037 key");
	CHECK(unit_streq(jwt_thumbprint(key, JWT_ALG_EDDSA, malloc),
					 "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"), "RFC 8037 thumbprint");
	jwk = jwt_public_jwk(key, JWT_ALG_EDDSA, NULL, malloc);
	CHECK(unit_streq(jwk, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
					 "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
					 "\"alg\":\"EdDSA\",\"use\":\"sig\"}"), "RFC 8037 jwk %s", unit_show(jwk));
	EVP_PKEY_free(key);
}

/* An EC public key from JWK coordinates. */
static EVP_PKEY *
ec_public_key(const char *x, const char *y)
{
	unsigned char pub[65];
	size_t		n;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY   *key = NULL;

	pub[0] = 0x04;
	b64url_decode(x, strlen(x), pub + 1, &n);
	b64url_decode(y, strlen(y), pub + 33, &n);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	params = OSSL_PARAM_BLD_to_param(bld);
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* RFC 7515 appendix A.3: an ES256 JWS made elsewhere verifies (raw r||s). */
static void
test_rfc7515_es256(void)
{
	const char *jws = "eyJhbGciOiJFUzI1NiJ9"
		".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
		".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
	EVP_PKEY   *key = ec_public_key("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
									"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");

	CHECK(key != NULL, "RFC 7515 key");
	CHECK(verifies(jws, key, JWT_ALG_ES256), "RFC 7515 A.3 signature refused");
	EVP_PKEY_free(key);
}

/* Parse token and verify it with a prepared key; whether it verifies. */
static int
key_verifies(jwt_key *k, const char *token)
{
	jwt_parsed	p;

	return jwt_parse(token, malloc, &p) == NULL && jwt_key_verify(k, &p);
}

/*
 * A prepared ES256 key keeps its contexts from one signature to the next:
 * the same answers every time, for its own tokens, altered ones, and
 * (public key only) the RFC 7515 A.3 vector.
 */
#define KEY_ROUNDS 256

static void
test_key_reuse(void)
{
	EVP_PKEY   *key = jwt_generate_key(JWT_ALG_ES256);
	jwt_key    *k = jwt_key_new(key, JWT_ALG_ES256);
	EVP_PKEY   *rfc = ec_public_key("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
									"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
	jwt_key    *rk = jwt_key_new(rfc, JWT_ALG_ES256);
	const char *jws = "eyJhbGciOiJFUzI1NiJ9"
		".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
		".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
	char	   *bad_jws = strdup(jws);
	int			good = 0,
				refused = 0;

	bad_jws[strlen(bad_jws) - 3] ^= 0x01;	/* a changed signature character */
	for (int i = 0; i < KEY_ROUNDS; i++)
	{
		char	   *token = jwt_key_sign(k, "k1", CLAIMS, malloc);
		char	   *altered = strdup(token);

		altered[strlen(altered) - 5] = altered[strlen(altered) - 5] == 'A' ? 'B' : 'A';
		good += key_verifies(k, token);
		refused += !key_verifies(k, altered);
		free(token);
		free(altered);
	}
	CHECK(good == KEY_ROUNDS, "%d genuine tokens verified", good);
	CHECK(refused == KEY_ROUNDS, "%d altered tokens refused", refused);
	good = refused = 0;
	for (int i = 0; i < KEY_ROUNDS; i++)
	{
		good += key_verifies(rk, jws);
		refused += !key_verifies(rk, bad_jws);
	}
	CHECK(good == KEY_ROUNDS && refused == KEY_ROUNDS,
		  "RFC 7515 A.3: %d verified, %d refused", good, refused);
	free(bad_jws);
	jwt_key_free(k);
	jwt_key_free(rk);
	EVP_PKEY_free(key);
	EVP_PKEY_free(rfc);
}

int
main(void)
{
	EVP_PKEY   *ec = jwt_generate_key(JWT_ALG_ES256);
	EVP_PKEY   *ed = jwt_generate_key(JWT_ALG_EDDSA);

	test_alg(JWT_ALG_ES256, ed);
	test_alg(JWT_ALG_EDDSA, ec);
	test_malformed();
	test_rfc8037_thumbprint();
	test_rfc7515_es256();
	test_key_reuse();
	return unit_done("jwt_test");
}
