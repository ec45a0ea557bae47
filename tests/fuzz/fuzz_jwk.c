/*
 * fuzz_jwk.c
 *		libFuzzer harness for lib/jwk.c: the input is a JWK Set.  Reading it
 *		never crashes; a refusal has a reason and leaves the set empty; an
 *		accepted set holds 1 to JWK_MAX_KEYS keys, each of a type that fits
 *		one of our algorithms and its own "alg"; the key chosen for a kid
 *		and an algorithm has that kid and fits; without a kid a key is
 *		chosen exactly when one key of the set fits; and reading the same
 *		text again gives the same keys.
 */
#include "fuzz.h"
#include "lib/jwk.h"

static const jwt_alg algs[] = {JWT_ALG_RS256, JWT_ALG_PS256, JWT_ALG_ES256, JWT_ALG_EDDSA};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

/* How many keys of set fit alg. */
static int
fitting(const jwk_set *set, jwt_alg alg)
{
	int			n = 0;

	for (int i = 0; i < set->count; i++)
		n += jwk_key_fits(&set->keys[i], alg);
	return n;
}

/* One usable key: its type and own alg fit, its kid is bounded, it is chosen for its kid. */
static void
check_key(const jwk_set *set, const jwk_key *k)
{
	int			fits = 0;

	if (k->pkey == NULL || (k->kid != NULL && (k->kid[0] == '\0' ||
											   strlen(k->kid) > JWK_KID_MAX_LEN)))
		abort();
	for (size_t a = 0; a < NALGS; a++)
	{
		const jwk_key *found;
		jwk_find_result r;

		if (!jwk_key_fits(k, algs[a]))
			continue;
		fits++;
		if (k->alg != JWT_ALG_UNKNOWN && k->alg != algs[a])
			abort();
		if (k->kid == NULL)
			continue;
		r = jwk_set_find(set, k->kid, algs[a], &found);
		if (r == JWK_NOT_FOUND || (r == JWK_FOUND) != (found != NULL) ||
			(found != NULL && (strcmp(found->kid, k->kid) != 0 ||
							   !jwk_key_fits(found, algs[a]))))
			abort();
	}
	if (fits == 0)
		abort();
}

/* An accepted set: bounds, every key, the choice without kid. */
static void
check_set(const jwk_set *set)
{
	if (set->count < 1 || set->count + set->ignored > JWK_MAX_KEYS || set->ignored < 0)
		abort();
	for (int i = 0; i < set->count; i++)
		check_key(set, &set->keys[i]);
	for (size_t a = 0; a < NALGS; a++)
	{
		const jwk_key *found;
		jwk_find_result r = jwk_set_find(set, NULL, algs[a], &found);
		int			n = fitting(set, algs[a]);

		if ((r == JWK_FOUND) != (n == 1) || (r == JWK_AMBIGUOUS) != (n > 1) ||
			(r == JWK_FOUND && !jwk_key_fits(found, algs[a])))
			abort();
	}
}

/* Whether two sets read from one text hold the same keys. */
static int
same_sets(const jwk_set *a, const jwk_set *b)
{
	if (a->count != b->count || a->ignored != b->ignored)
		return 0;
	for (int i = 0; i < a->count; i++)
		if ((a->keys[i].kid == NULL) != (b->keys[i].kid == NULL) ||
			(a->keys[i].kid && strcmp(a->keys[i].kid, b->keys[i].kid) != 0) ||
			a->keys[i].alg != b->keys[i].alg ||
			EVP_PKEY_eq(a->keys[i].pkey, b->keys[i].pkey) != 1)
			return 0;
	return 1;
}

/* One fuzz input: a JWK Set, read twice from an exact-size copy. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_exact_copy(data, size);
	jwk_set		set,
				again;
	const char *reason = jwk_set_parse(text, size, fuzz_alloc, &set);
	const char *reason2 = jwk_set_parse(text, size, fuzz_alloc, &again);

	if ((reason == NULL) != (reason2 == NULL))
		abort();
	if (reason != NULL && (reason[0] == '\0' || set.count != 0 || set.ignored != 0))
		abort();
	if (reason == NULL)
	{
		check_set(&set);
		if (!same_sets(&set, &again))
			abort();
	}
	jwk_set_free(&set);
	jwk_set_free(&again);
	fuzz_free_all();
	return 0;
}
