/*
 * token_format_test.c
 *		Unit tests of lib/token_format.c: random tokens and PAT checksums.
 */
#include "lib/token_format.h"

#include "unit.h"

/* Known PATs (checksum computed independently with zlib's crc32). */
static const char *const known_pats[] = {
	"mcp_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1FnwGL",
	"mcp_pat_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG4G4zns",
};

/* Whether every character of s is in the base64url alphabet. */
static int
all_b64url(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(s);
}

/* token_random: prefix, length, alphabet, uniqueness, small buffers. */
static void
test_random(void)
{
	char		a[64];
	char		b[64];
	char		small[RANDOM_TOKEN_LEN + 7];

	CHECK(token_random("", a, sizeof(a)) && strlen(a) == RANDOM_TOKEN_LEN &&
		  all_b64url(a), "plain token");
	CHECK(token_random(NULL, b, sizeof(b)) && strlen(b) == RANDOM_TOKEN_LEN &&
		  strcmp(a, b) != 0, "NULL prefix, distinct");
	CHECK(token_random(REFRESH_PREFIX, a, sizeof(a)) &&
		  strncmp(a, REFRESH_PREFIX, 7) == 0 && strlen(a) == 7 + RANDOM_TOKEN_LEN &&
		  all_b64url(a + 7), "refresh token");
	CHECK(!token_random(REFRESH_PREFIX, small, sizeof(small)), "one byte short");
	CHECK(!token_random("", small, RANDOM_TOKEN_LEN), "no room for the NUL");
	CHECK(token_random("", small, RANDOM_TOKEN_LEN + 1), "exact size");
	CHECK(!token_random("", NULL, 100), "NULL out");
}

/* pat_generate output is valid, distinct and base62. */
static void
test_generate(void)
{
	char		a[PAT_LEN + 1];
	char		b[PAT_LEN + 1];
	char		small[PAT_LEN];
	int			i;

	for (i = 0; i < 200; i++)
	{
		CHECK(pat_generate(a, sizeof(a)) && strlen(a) == PAT_LEN &&
			  strncmp(a, PAT_PREFIX, 8) == 0 && pat_valid(a), "generated PAT %d", i);
	}
	CHECK(pat_generate(b, sizeof(b)) && strcmp(a, b) != 0, "distinct");
	CHECK(strspn(a + 8, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
		  PAT_LEN - 8, "base62");
	CHECK(!pat_generate(small, sizeof(small)), "buffer too small");
}

/* pat_valid: known values, every single-character change, shapes. */
static void
test_valid(void)
{
	char		t[PAT_LEN + 2];
	size_t		i;
	int			flips_caught = 1;

	for (i = 0; i < NELEM(known_pats); i++)
		CHECK(pat_valid(known_pats[i]), "known PAT #%zu", i);
	for (i = 0; i < PAT_LEN; i++)
	{
		strcpy(t, known_pats[1]);
		t[i] = (t[i] == 'z') ? 'y' : (t[i] == '_' ? 'x' : 'z');
		if (pat_valid(t))
		{
			flips_caught = 0;
			printf("flip at %zu not caught\n", i);
		}
	}
	CHECK(flips_caught, "every one-character flip is caught");
	strcpy(t, known_pats[1]);
	memcpy(t, "mcp_pbt_", 8);
	CHECK(!pat_valid(t), "wrong prefix");
	strcpy(t, known_pats[1]);
	memcpy(t, "MCP_PAT_", 8);
	CHECK(!pat_valid(t), "uppercase prefix");
	strcpy(t, known_pats[1]);
	t[PAT_LEN - 1] = '\0';
	CHECK(!pat_valid(t), "one character short");
	strcpy(t, known_pats[1]);
	t[PAT_LEN] = 'a';
	t[PAT_LEN + 1] = '\0';
	CHECK(!pat_valid(t), "one character long");
	strcpy(t, known_pats[1]);
	t[20] = '-';
	CHECK(!pat_valid(t), "non-base62 character");
	CHECK(!pat_valid("") && !pat_valid(NULL) && !pat_valid("mcp_pat_"), "empty");
	CHECK(!pat_valid("mcp_rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "refresh token");
}

int
main(void)
{
	test_random();
	test_generate();
	test_valid();
	return unit_done("token_format");
}
