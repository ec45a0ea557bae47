/*
 * jwt.c
 *		Compact JWS signing and verification for RFC 9068 access tokens:
 *		ES256 (P-256, raw r||s signatures) and EdDSA (Ed25519), OpenSSL 3;
 *		verification of RS256 and PS256 for client assertions.
 *
 * Pure C over OpenSSL: no PostgreSQL headers.
 */
#include "jwt.h"
#include "base64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#define ES256_COORD_LEN 32		/* bytes of a P-256 coordinate, r or s */
#define SIG_RAW_LEN 64			/* ES256 r||s and Ed25519 signatures */

/* "ES256" / "EdDSA" to the enum; JWT_ALG_UNKNOWN otherwise. */
jwt_alg
jwt_alg_from_name(const char *name)
{
	if (name == NULL)
		return JWT_ALG_UNKNOWN;
	if (strcmp(name, "ES256") == 0)
		return JWT_ALG_ES256;
	if (strcmp(name, "EdDSA") == 0)
		return JWT_ALG_EDDSA;
	if (strcmp(name, "RS256") == 0)
		return JWT_ALG_RS256;
	if (strcmp(name, "PS256") == 0)
		return JWT_ALG_PS256;
	return JWT_ALG_UNKNOWN;
}

/* The JOSE name of alg, or NULL. */
const char *
jwt_alg_name(jwt_alg alg)
{
	switch (alg)
	{
		case JWT_ALG_ES256:
			return "ES256";
		case JWT_ALG_EDDSA:
			return "EdDSA";
		case JWT_ALG_RS256:
			return "RS256";
		case JWT_ALG_PS256:
			return "PS256";
		default:
			return NULL;
	}
}

/* Whether we sign with alg (ES256, EdDSA). */
bool
jwt_alg_signs(jwt_alg alg)
{
	return alg == JWT_ALG_ES256 || alg == JWT_ALG_EDDSA;
}

/* A new private key for alg (P-256 or Ed25519); NULL on failure. */
EVP_PKEY *
jwt_generate_key(jwt_alg alg)
{
	if (alg == JWT_ALG_ES256)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (alg == JWT_ALG_EDDSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return NULL;
}

/* Copy n bytes into a new NUL-terminated string from alloc. */
static char *
copy_string(const char *s, size_t n, json_alloc_fn alloc)
{
	char	   *r = alloc(n + 1);

	if (r == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

/* PEM (PKCS#8) of a private key into a new string; NULL on failure. */
char *
jwt_private_key_pem(EVP_PKEY *key, json_alloc_fn alloc)
{
	BIO		   *bio = BIO_new(BIO_s_mem());
	char	   *data;
	long		n;
	char	   *result = NULL;

	if (bio == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
		(n = BIO_get_mem_data(bio, &data)) > 0)
		result = copy_string(data, (size_t) n, alloc);
	BIO_free(bio);
	return result;
}

/* Load a PKCS#8 PEM private key; NULL on failure. */
EVP_PKEY *
jwt_load_private_key(const char *pem)
{
	BIO		   *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY   *key;

	if (bio == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return key;
}

/* Whether key is of the type alg needs (P-256, Ed25519, or RSA of a bounded size). */
bool
jwt_key_fits_alg(EVP_PKEY *key, jwt_alg alg)
{
	char		group[32];
	size_t		len;

	if (key == NULL)
		return false;
	if (alg == JWT_ALG_EDDSA)
		return EVP_PKEY_is_a(key, "ED25519");
	if (alg == JWT_ALG_RS256 || alg == JWT_ALG_PS256)
		return EVP_PKEY_is_a(key, "RSA") &&
			EVP_PKEY_get_bits(key) >= JWT_RSA_MIN_BITS &&
			EVP_PKEY_get_bits(key) <= JWT_RSA_MAX_BITS;
	if (alg != JWT_ALG_ES256 || !EVP_PKEY_is_a(key, "EC"))
		return false;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
									   group, sizeof(group), &len) != 1)
		return false;
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/* A BIGNUM parameter of key as base64url of exactly ES256_COORD_LEN bytes. */
static bool
coord_b64(EVP_PKEY *key, const char *param, char *out)
{
	BIGNUM	   *bn = NULL;
	unsigned char buf[ES256_COORD_LEN];
	bool		ok;

	if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
		return false;
	ok = BN_bn2binpad(bn, buf, sizeof(buf)) == (int) sizeof(buf);
	BN_free(bn);
	if (ok)
		b64url_encode(buf, sizeof(buf), out);
	return ok;
}

/*
 * The public key members of the JWK of key, base64url: x (and y for EC).
 * y is left empty for Ed25519.
 */
static bool
public_coords(EVP_PKEY *key, jwt_alg alg, char *x, char *y)
{
	if (!jwt_alg_signs(alg) || !jwt_key_fits_alg(key, alg))
		return false;
	if (alg == JWT_ALG_ES256)
		return coord_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, x) &&
			coord_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, y);
	else
	{
		unsigned char raw[32];
		size_t		len = sizeof(raw);

		if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof(raw))
			return false;
		b64url_encode(raw, len, x);
		y[0] = '\0';
		return true;
	}
}

/* Whether kid is printable ASCII that needs no JSON escaping. */
static bool
valid_kid(const char *kid)
{
	for (const char *p = kid; *p; p++)
		if (*p < 0x21 || *p > 0x7E || *p == '"' || *p == '\\')
			return false;
	return *kid != '\0';
}

/* The public JWK of key as a JSON object text, with kid (if given), alg and use. */
char *
jwt_public_jwk(EVP_PKEY *key, jwt_alg alg, const char *kid, json_alloc_fn alloc)
{
	char		x[64],
				y[64],
				buf[512];
	int			n;

	if (!public_coords(key, alg, x, y) || (kid != NULL && !valid_kid(kid)))
		return NULL;
	if (alg == JWT_ALG_ES256)
		n = snprintf(buf, sizeof(buf),
					 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"",
					 x, y);
	else
		n = snprintf(buf, sizeof(buf),
					 "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"", x);
	if (kid != NULL)
		n += snprintf(buf + n, sizeof(buf) - n, ",\"kid\":\"%s\"", kid);
	n += snprintf(buf + n, sizeof(buf) - n, ",\"alg\":\"%s\",\"use\":\"sig\"}",
				  jwt_alg_name(alg));
	if (n <= 0 || (size_t) n >= sizeof(buf))
		return NULL;
	return copy_string(buf, (size_t) n, alloc);
}

/* The RFC 7638 JWK thumbprint of key: base64url(SHA-256(canonical JWK)). */
char *
jwt_thumbprint(EVP_PKEY *key, jwt_alg alg, json_alloc_fn alloc)
{
	char		x[64],
				y[64],
				canon[256],
				out[64];
	unsigned char digest[32];
	unsigned int dlen = 0;
	int			n;

	if (!public_coords(key, alg, x, y))
		return NULL;
	/* required members only, in lexicographic order, no whitespace */
	if (alg == JWT_ALG_ES256)
		n = snprintf(canon, sizeof(canon),
					 "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
					 x, y);
	else
		n = snprintf(canon, sizeof(canon),
					 "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	if (n <= 0 || (size_t) n >= sizeof(canon))
		return NULL;
	if (EVP_Digest(canon, (size_t) n, digest, &dlen, EVP_sha256(), NULL) != 1 ||
		dlen != sizeof(digest))
		return NULL;
	b64url_encode(digest, sizeof(digest), out);
	return copy_string(out, strlen(out), alloc);
}

/* base64url of n bytes into a new string. */
static char *
b64_alloc(const void *data, size_t n, json_alloc_fn alloc)
{
	char	   *out = alloc(b64url_encoded_len(n) + 1);

	if (out != NULL)
		b64url_encode(data, n, out);
	return out;
}

/*
 * A key made ready for repeated use.  For ES256 the SHA-256 digest, its
 * context and the verify (and, at first use, sign) contexts are fetched and
 * initialized once: OpenSSL 3 fetches from its providers, under locks, at
 * every EVP_DigestSignInit / EVP_DigestVerifyInit.
 */
struct jwt_key
{
	jwt_alg		alg;
	EVP_PKEY   *pkey;
	EVP_MD	   *sha256;
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *verify;
	EVP_PKEY_CTX *sign;			/* NULL until the first signature */
};

/* Prepare key (a reference is taken) for alg; NULL if it does not fit alg. */
jwt_key *
jwt_key_new(EVP_PKEY *key, jwt_alg alg)
{
	jwt_key    *k;

	if (!jwt_key_fits_alg(key, alg) || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->alg = alg;
	if (EVP_PKEY_up_ref(key) != 1)
	{
		free(k);
		return NULL;
	}
	k->pkey = key;
	if (alg == JWT_ALG_ES256 &&
		((k->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
		 (k->md = EVP_MD_CTX_new()) == NULL ||
		 (k->verify = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
		 EVP_PKEY_verify_init(k->verify) != 1))
	{
		jwt_key_free(k);
		return NULL;
	}
	return k;
}

/* Free a prepared key (NULL is fine). */
void
jwt_key_free(jwt_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_CTX_free(k->sign);
	EVP_PKEY_CTX_free(k->verify);
	EVP_MD_CTX_free(k->md);
	EVP_MD_free(k->sha256);
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* SHA-256 of input with the key's fetched digest. */
static bool
es256_digest(jwt_key *k, const char *input, size_t len, unsigned char *out)
{
	return EVP_DigestInit_ex(k->md, k->sha256, NULL) == 1 &&
		EVP_DigestUpdate(k->md, input, len) == 1 &&
		EVP_DigestFinal_ex(k->md, out, NULL) == 1;
}

/* One DER INTEGER (minimal) of a 32-byte unsigned big-endian value into p; its length. */
static size_t
der_integer(const unsigned char *v, unsigned char *p)
{
	size_t		n = ES256_COORD_LEN;
	size_t		pad;

	while (n > 1 && *v == 0)
	{
		v++;
		n--;
	}
	pad = (*v & 0x80) ? 1 : 0;
	p[0] = 0x02;
	p[1] = (unsigned char) (n + pad);
	p[2] = 0;
	memcpy(p + 2 + pad, v, n);
	return 2 + pad + n;
}

/* Raw r||s (64 bytes) to a DER ECDSA signature in der (72 bytes at most); its length. */
static size_t
ecdsa_raw_to_der(const unsigned char *raw, unsigned char *der)
{
	size_t		n = der_integer(raw, der + 2);

	n += der_integer(raw + ES256_COORD_LEN, der + 2 + n);
	der[0] = 0x30;
	der[1] = (unsigned char) n;
	return n + 2;
}

/* One DER INTEGER at *p (before end) as 32 bytes big-endian into out. */
static bool
der_integer_to_raw(const unsigned char **p, const unsigned char *end,
				   unsigned char *out)
{
	const unsigned char *v;
	size_t		n;

	if (end - *p < 2 || (*p)[0] != 0x02)
		return false;
	n = (*p)[1];
	v = *p + 2;
	if (n == 0 || n > (size_t) (end - v))
		return false;
	*p = v + n;
	while (n > 0 && *v == 0)
	{
		v++;
		n--;
	}
	if (n > ES256_COORD_LEN)
		return false;
	memset(out, 0, ES256_COORD_LEN - n);
	memcpy(out + ES256_COORD_LEN - n, v, n);
	return true;
}

/* A DER ECDSA signature (short-form lengths, as P-256's always are) to raw r||s. */
static bool
ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char *raw)
{
	const unsigned char *p = der + 2;
	const unsigned char *end = der + len;

	if (len < 2 || der[0] != 0x30 || der[1] != len - 2)
		return false;
	return der_integer_to_raw(&p, end, raw) &&
		der_integer_to_raw(&p, end, raw + ES256_COORD_LEN) && p == end;
}

/* ES256: digest, then sign it with the key's sign context (made at first use). */
static bool
es256_sign(jwt_key *k, const char *input, size_t len, unsigned char *sig)
{
	unsigned char digest[ES256_COORD_LEN];
	unsigned char der[80];
	size_t		siglen = sizeof(der);

	if (k->sign == NULL)
	{
		k->sign = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
		if (k->sign == NULL || EVP_PKEY_sign_init(k->sign) != 1)
		{
			EVP_PKEY_CTX_free(k->sign);
			k->sign = NULL;
			return false;
		}
	}
	return es256_digest(k, input, len, digest) &&
		EVP_PKEY_sign(k->sign, der, &siglen, digest, sizeof(digest)) == 1 &&
		ecdsa_der_to_raw(der, siglen, sig);
}

/* Ed25519: one-shot EVP_DigestSign (no digest). */
static bool
eddsa_sign(jwt_key *k, const char *input, size_t len, unsigned char *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t		siglen = SIG_RAW_LEN;
	bool		ok;

	ok = ctx != NULL &&
		EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *) input, len) == 1 &&
		siglen == SIG_RAW_LEN;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* Sign input with the prepared key; raw 64-byte signature into sig. */
static bool
sign_raw(jwt_key *k, const char *input, size_t len, unsigned char *sig)
{
	return k->alg == JWT_ALG_ES256 ? es256_sign(k, input, len, sig) :
		eddsa_sign(k, input, len, sig);
}

/* Sign the claims as an at+jwt with a prepared key; the compact serialization, or NULL. */
char *
jwt_key_sign(jwt_key *key, const char *kid, const char *claims_json,
			 json_alloc_fn alloc)
{
	char		header[256];
	char	   *h64,
			   *c64,
			   *result;
	size_t		hlen,
				clen,
				slen = b64url_encoded_len(SIG_RAW_LEN);
	unsigned char sig[SIG_RAW_LEN];
	int			n;

	if (key == NULL || !jwt_alg_signs(key->alg) || kid == NULL || !valid_kid(kid) ||
		claims_json == NULL)
		return NULL;
	n = snprintf(header, sizeof(header),
				 "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
				 jwt_alg_name(key->alg), kid);
	if (n <= 0 || (size_t) n >= sizeof(header))
		return NULL;
	h64 = b64_alloc(header, (size_t) n, alloc);
	c64 = b64_alloc(claims_json, strlen(claims_json), alloc);
	if (h64 == NULL || c64 == NULL)
		return NULL;
	hlen = strlen(h64);
	clen = strlen(c64);
	result = alloc(hlen + 1 + clen + 1 + slen + 1);
	if (result == NULL)
		return NULL;
	memcpy(result, h64, hlen);
	result[hlen] = '.';
	memcpy(result + hlen + 1, c64, clen);
	if (!sign_raw(key, result, hlen + 1 + clen, sig))
	{
		ERR_clear_error();
		return NULL;
	}
	result[hlen + 1 + clen] = '.';
	b64url_encode(sig, SIG_RAW_LEN, result + hlen + 1 + clen + 1);
	return result;
}

/* Sign the claims as an at+jwt; the compact serialization, or NULL. */
char *
jwt_sign(EVP_PKEY *key, jwt_alg alg, const char *kid, const char *claims_json,
		 json_alloc_fn alloc)
{
	jwt_key    *k = jwt_key_new(key, alg);
	char	   *result = jwt_key_sign(k, kid, claims_json, alloc);

	jwt_key_free(k);
	return result;
}

/* Decode one base64url part of n characters into a new buffer (NUL-terminated). */
static unsigned char *
decode_part(const char *s, size_t n, json_alloc_fn alloc, size_t *outlen)
{
	unsigned char *out = alloc(b64url_decoded_max(n) + 1);

	if (out == NULL || n == 0 || b64url_decode(s, n, out, outlen) != 0)
		return NULL;
	out[*outlen] = '\0';
	return out;
}

/* Decode a part that must hold a JSON object. */
static bool
decode_object(const char *s, size_t n, json_alloc_fn alloc, json_doc *out)
{
	size_t		len;
	unsigned char *text = decode_part(s, n, alloc, &len);

	return text != NULL && json_parse_object((const char *) text, len, alloc, out);
}

/* An optional string member of the header: NULL if absent; false if not a string. */
static bool
header_string(const json_doc *h, const char *name, const char **out)
{
	const json_member *m = json_get(h, name);

	*out = NULL;
	if (m == NULL)
		return true;
	if (m->type != JSON_STRING)
		return false;
	*out = m->string;
	return true;
}

/* Check the header members we rely on; NULL or a reason. */
static const char *
check_header(jwt_parsed *out)
{
	const char *alg;

	if (!header_string(&out->header, "alg", &alg) || alg == NULL)
		return "missing alg";
	out->alg = jwt_alg_from_name(alg);
	if (out->alg == JWT_ALG_UNKNOWN)
		return "unsupported alg";
	if (!header_string(&out->header, "kid", &out->kid))
		return "malformed kid";
	if (!header_string(&out->header, "typ", &out->typ))
		return "malformed typ";
	/* RFC 7515 section 4.1.11: we understand no extension, so refuse any */
	if (json_get(&out->header, "crit") != NULL)
		return "unsupported crit header";
	return NULL;
}

/* Split and decode a compact JWS; NULL on success, else a short reason. */
const char *
jwt_parse(const char *token, json_alloc_fn alloc, jwt_parsed *out)
{
	const char *dot1,
			   *dot2;
	size_t		len;

	memset(out, 0, sizeof(*out));
	if (token == NULL || (len = strlen(token)) == 0)
		return "empty token";
	if (len > JWT_MAX_LEN)
		return "token too long";
	dot1 = strchr(token, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return "not a compact JWS";
	if (!decode_object(token, (size_t) (dot1 - token), alloc, &out->header))
		return "malformed header";
	if (!decode_object(dot1 + 1, (size_t) (dot2 - dot1 - 1), alloc, &out->claims))
		return "malformed claims";
	out->signature = decode_part(dot2 + 1, strlen(dot2 + 1), alloc,
								 &out->signature_len);
	if (out->signature == NULL)
		return "malformed signature";
	out->signing_input = token;
	out->signing_input_len = (size_t) (dot2 - token);
	return check_header(out);
}

/* ES256 verification of a raw r||s signature with OpenSSL's verify. */
static bool
es256_verify(jwt_key *k, const jwt_parsed *jwt)
{
	unsigned char digest[ES256_COORD_LEN];
	unsigned char der[72];

	if (!es256_digest(k, jwt->signing_input, jwt->signing_input_len, digest))
		return false;
	return EVP_PKEY_verify(k->verify, der, ecdsa_raw_to_der(jwt->signature, der),
						   digest, sizeof(digest)) == 1;
}

/* Ed25519: one-shot EVP_DigestVerify over the signing input. */
static bool
eddsa_verify(jwt_key *k, const jwt_parsed *jwt)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool		ok;

	ok = ctx != NULL &&
		EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		EVP_DigestVerify(ctx, jwt->signature, jwt->signature_len,
						 (const unsigned char *) jwt->signing_input,
						 jwt->signing_input_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * RS256 (RSASSA-PKCS1-v1_5) or PS256 (RSASSA-PSS, MGF1 with SHA-256, a salt
 * as long as the hash: RFC 7518 section 3.5) over the signing input.
 */
static bool
rsa_verify(jwt_key *k, const jwt_parsed *jwt)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool		ok;

	ok = ctx != NULL &&
		EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, k->pkey, NULL) == 1;
	if (ok && k->alg == JWT_ALG_PS256)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) == 1 &&
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
	else if (ok)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
	ok = ok && EVP_DigestVerify(ctx, jwt->signature, jwt->signature_len,
								(const unsigned char *) jwt->signing_input,
								jwt->signing_input_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The signature length of the key's algorithm: 64 bytes, or the RSA modulus'. */
static size_t
signature_len(jwt_key *k)
{
	if (k->alg == JWT_ALG_RS256 || k->alg == JWT_ALG_PS256)
		return (size_t) EVP_PKEY_get_size(k->pkey);
	return SIG_RAW_LEN;
}

/* Check the signature of a parsed token with a prepared key of its alg. */
bool
jwt_key_verify(jwt_key *key, const jwt_parsed *jwt)
{
	bool		ok;

	if (key == NULL || jwt->alg != key->alg || jwt->signature_len != signature_len(key))
		return false;
	if (key->alg == JWT_ALG_ES256)
		ok = es256_verify(key, jwt);
	else if (key->alg == JWT_ALG_EDDSA)
		ok = eddsa_verify(key, jwt);
	else
		ok = rsa_verify(key, jwt);
	if (!ok)
		ERR_clear_error();		/* a bad signature is no library error */
	return ok;
}

/* Check the signature of a parsed token with key; the header alg must equal alg. */
bool
jwt_verify_signature(const jwt_parsed *jwt, EVP_PKEY *key, jwt_alg alg)
{
	jwt_key    *k;
	bool		ok;

	if (alg == JWT_ALG_UNKNOWN || jwt->alg != alg)
		return false;
	k = jwt_key_new(key, alg);
	ok = jwt_key_verify(k, jwt);
	jwt_key_free(k);
	ERR_clear_error();
	return ok;
}

#ifdef POSTGRES_H
#error "lib/ parsers must not include PostgreSQL headers"
#endif
