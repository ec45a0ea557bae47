/*
 * fuzz_jwt.c
 *		libFuzzer harness for lib/jwt.c with a fixed ES256 and a fixed
 *		Ed25519 key.  The input is read two ways.  As a compact JWS: parsing
 *		and verifying never crash, a reason is given for every refusal, the
 *		prepared-key and one-shot verifications agree, a token verifies with
 *		its own algorithm's key only, and no single-byte change of a token
 *		that verifies still does.  As a claim set: when it is a JSON object,
 *		the token the harness signs with it parses with the same claims and
 *		the expected header, verifies, and no single-byte change of it does.
 */
#include <openssl/pem.h>

#include "fuzz.h"
#include "lib/jwt.h"

#define KID "fuzz-key-1"
#define CHANGES 8				/* single-byte changes tried per token */

static const char es256_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAOSzyd049GwuJpPG\n"
"c7oAp8EgXqTgHlLMhIJ3hDUYIlWhRANCAAQx+dqoIB/V8WHgjvmgdeyvdkvmAdai\n"
"+Ns0BzStiBtcujUPg6KuJIQjlXqmw4MnuPUxBgOobqF+VspF3Bdb5WWj\n"
"-----END PRIVATE KEY-----\n";

static const char eddsa_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MC4CAQAwBQYDK2VwBCIEIMcT6wBd2Ve7c0ycyukyTg5E1qagvdTglSovQ+3iH0bB\n"
"-----END PRIVATE KEY-----\n";

static const char b64url_alphabet[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The two keys, loaded once: as EVP_PKEY and prepared. */
typedef struct fuzz_key
{
	jwt_alg		alg;
	EVP_PKEY   *pkey;
	jwt_key    *prepared;
} fuzz_key;

static fuzz_key keys[2];

/* Load one key of the harness; abort if it does not load. */
static void
load_key(fuzz_key *k, jwt_alg alg, const char *pem)
{
	k->alg = alg;
	k->pkey = jwt_load_private_key(pem);
	k->prepared = jwt_key_new(k->pkey, alg);
	if (k->pkey == NULL || k->prepared == NULL)
		abort();
}

/* libFuzzer's start-up hook: the keys. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	load_key(&keys[0], JWT_ALG_ES256, es256_pem);
	load_key(&keys[1], JWT_ALG_EDDSA, eddsa_pem);
	return 0;
}

/* Whether token parses and verifies with key k (both ways, which must agree). */
static int
verifies(const char *token, const fuzz_key *k)
{
	jwt_parsed p;
	const char *reason = jwt_parse(token, fuzz_alloc, &p);
	int			prepared,
				one_shot;

	if (reason != NULL)
	{
		if (reason[0] == '\0')
			abort();
		return 0;
	}
	prepared = jwt_key_verify(k->prepared, &p);
	one_shot = jwt_verify_signature(&p, k->pkey, k->alg);
	if (prepared != one_shot || (prepared && p.alg != k->alg))
		abort();
	return prepared;
}

/* A base64url character other than c (or c itself changed, if not one). */
static char
other_char(char c, unsigned seed)
{
	const char *at = strchr(b64url_alphabet, c);

	if (c == '\0' || at == NULL)
		return c == 'A' ? 'B' : 'A';
	return b64url_alphabet[(at - b64url_alphabet + 1 + seed % 63) % 64];
}

/* A token that verifies with k: no change of one of its bytes does. */
static void
check_changes(const char *token, const fuzz_key *k, unsigned seed)
{
	size_t		len = strlen(token);
	char	   *changed = fuzz_alloc(len + 1);

	for (int i = 0; i < CHANGES; i++)
	{
		/* the first and last bytes, then spread over the token */
		size_t		at = i == 0 ? 0 : i == 1 ? len - 1 :
			(seed + (size_t) i * 7919) % len;

		memcpy(changed, token, len + 1);
		changed[at] = other_char(token[at], seed >> i);
		if (verifies(changed, k))
			abort();
	}
}

/* The input as a compact JWS: verified with both keys. */
static void
check_token(const char *token, unsigned seed)
{
	int			es = verifies(token, &keys[0]);
	int			ed = verifies(token, &keys[1]);

	if (es && ed)
		abort();
	if (es || ed)
		check_changes(token, &keys[es ? 0 : 1], seed);
}

/* The input as a claim set: signed with one key, then read back and verified. */
static void
check_claims(const char *claims, unsigned seed)
{
	const fuzz_key *k = &keys[seed & 1];
	const fuzz_key *other = &keys[!(seed & 1)];
	json_doc	doc;
	jwt_parsed	p;
	char	   *token;

	if (!json_parse_object(claims, strlen(claims), fuzz_alloc, &doc))
		return;
	token = jwt_key_sign(k->prepared, KID, claims, fuzz_alloc);
	if (token == NULL || jwt_parse(token, fuzz_alloc, &p) != NULL ||
		p.alg != k->alg || p.kid == NULL || strcmp(p.kid, KID) != 0 ||
		p.typ == NULL || strcmp(p.typ, "at+jwt") != 0 ||
		!fuzz_same_doc(&doc, &p.claims))
		abort();
	if (!verifies(token, k) || verifies(token, other))
		abort();
	check_changes(token, k, seed);
}

/* A seed for the changes made, from the input's bytes (FNV-1a). */
static unsigned
input_seed(const uint8_t *data, size_t size)
{
	unsigned	h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* One fuzz input: a token, or a claim set. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_cstring(data, size);
	unsigned	seed = input_seed(data, size);

	check_token(text, seed);
	check_claims(text, seed);
	fuzz_free_all();
	return 0;
}
