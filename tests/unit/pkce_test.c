/*
 * pkce_test.c
 *		Unit tests of lib/pkce.c: RFC 7636 Appendix B, shapes, mismatches.
 */
#include "lib/pkce.h"

#include "unit.h"

/* RFC 7636 Appendix B */
#define RFC_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

typedef struct str_case
{
	const char *s;
	int			valid;
} str_case;

static const str_case verifiers[] = {
	{RFC_VERIFIER, 1},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1},	/* 43 */
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},	/* 42 */
	{"AZaz09-._~AZaz09-._~AZaz09-._~AZaz09-._~AZaz09", 1},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%41", 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9", 0},
	{"", 0},
};

static const str_case challenges[] = {
	{RFC_CHALLENGE, 1},
	{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=", 0},	/* padded */
	{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", 0},	/* 42 */
	{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cMA", 0},	/* 44 */
	{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", 0},	/* base64 '+' */
	{"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN", 0},	/* trailing bits */
	{"", 0},
};

/* verifier and challenge shapes */
static void
test_shapes(void)
{
	size_t		i;
	char		v[200];

	for (i = 0; i < NELEM(verifiers); i++)
		CHECK(pkce_verifier_valid(verifiers[i].s) == verifiers[i].valid,
			  "verifier #%zu", i);
	for (i = 0; i < NELEM(challenges); i++)
		CHECK(pkce_challenge_valid(challenges[i].s) == challenges[i].valid,
			  "challenge #%zu", i);
	memset(v, 'a', sizeof(v));
	v[128] = '\0';
	CHECK(pkce_verifier_valid(v), "128 characters");
	v[128] = 'a';
	v[129] = '\0';
	CHECK(!pkce_verifier_valid(v), "129 characters");
	v[199] = '\0';
	CHECK(!pkce_verifier_valid(v), "199 characters");
	CHECK(!pkce_verifier_valid(NULL) && !pkce_challenge_valid(NULL), "NULL");
}

/* S256 matching */
static void
test_matches(void)
{
	char		v[] = RFC_VERIFIER;
	char		c[] = RFC_CHALLENGE;

	CHECK(pkce_s256_matches(RFC_VERIFIER, RFC_CHALLENGE), "RFC 7636 Appendix B");
	CHECK(!pkce_s256_matches(RFC_CHALLENGE, RFC_VERIFIER), "swapped");
	CHECK(!pkce_s256_matches(RFC_VERIFIER, RFC_VERIFIER), "plain method is not S256");
	v[0] = 'e';
	CHECK(!pkce_s256_matches(v, RFC_CHALLENGE), "verifier changed");
	c[5] = 'b';
	CHECK(!pkce_s256_matches(RFC_VERIFIER, c), "challenge changed");
	CHECK(!pkce_s256_matches(RFC_VERIFIER "x", RFC_CHALLENGE), "verifier extended");
	CHECK(!pkce_s256_matches(NULL, RFC_CHALLENGE) &&
		  !pkce_s256_matches(RFC_VERIFIER, NULL), "NULL");
	CHECK(!pkce_s256_matches("short", RFC_CHALLENGE), "invalid verifier");
}

int
main(void)
{
	test_shapes();
	test_matches();
	return unit_done("pkce");
}
