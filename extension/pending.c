/*
 * pending.c
 *		A pending authorization request, between authorize() and the consent
 *		decision, kept in its handle instead of a table row.
 *
 * authorize() validates a request and seals it into the handle the consent
 * page carries: base64url of a random 16-byte salt and AES-256-GCM
 * (lib/seal.h) over a JSON object of the request, its expiry and a random
 * nonce, under a key derived from the secret in mcp_oauth.request_key, a
 * label and the salt (a key per handle: GCM's random 96-bit nonces never
 * come near their limit under one key).  So the authorization endpoint
 * writes nothing, and only this server can make a handle or read one.  The
 * decision inserts the hash of the nonce into used_requests, which makes
 * each handle single use (authorize.c).
 */
#include "postgres.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "pending.h"
#include "lib/base64url.h"
#include "lib/json.h"
#include "lib/seal.h"

/* A handle longer than this is not ours (a request is at most ~10 kB). */
#define HANDLE_MAX_LEN	65536
#define SALT_LEN		16

static char *request_secret = NULL;
static MoTableCache key_cache = {"request_key"};

/* Register the request_key relcache callback (once, from _PG_init). */
void
mo_pending_init(void)
{
	mo_table_cache_register(&key_cache);
}

/*
 * Read the secret in request_key; when there is no row yet (a new install:
 * the row is not made by the install script, so a restored dump brings its
 * own), make one first.  NULL when there is none and this transaction
 * cannot write.
 */
static char *
secret_read(void)
{
	static SPIPlanPtr read = NULL;
	static SPIPlanPtr make = NULL;

	mo_spi_plan(&read, "SELECT secret FROM mcp_oauth.request_key", 0, NULL);
	mo_spi_run(read, NULL, 1);
	if (SPI_processed == 1 || XactReadOnly)
		return SPI_processed == 1 ? mo_spi_text(1) : NULL;
	mo_spi_plan(&make, "INSERT INTO mcp_oauth.request_key DEFAULT VALUES"
				" ON CONFLICT DO NOTHING", 0, NULL);
	mo_spi_run(make, NULL, 0);
	mo_spi_run(read, NULL, 1);
	return SPI_processed == 1 ? mo_spi_text(1) : NULL;
}

/* The secret in request_key as of this transaction, reloaded when it changed. */
static const char *
secret(void)
{
	char	   *s;

	if (!mo_table_cache_stale(&key_cache) && request_secret != NULL)
		return request_secret;
	if (request_secret != NULL)
	{
		explicit_bzero(request_secret, strlen(request_secret));
		pfree(request_secret);
		request_secret = NULL;
	}
	mo_spi_connect();
	s = secret_read();
	if (s == NULL && XactReadOnly)
	{
		key_cache.valid = false;
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("the authorization request key has not been made yet"),
				 errdetail("The first authorization request in a read-write transaction on the primary makes it."),
				 errhint("Run INSERT INTO mcp_oauth.request_key DEFAULT VALUES on the primary.")));
	}
	if (s == NULL || strlen(s) < 32)
	{
		key_cache.valid = false;
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("the authorization request key is missing"),
				 errhint("Run INSERT INTO mcp_oauth.request_key DEFAULT VALUES.")));
	}
	request_secret = MemoryContextStrdup(TopMemoryContext, s);
	explicit_bzero(s, strlen(s));
	mo_spi_finish();
	return request_secret;
}

/*
 * A name for data that only this server can compute: the first
 * MO_SECRET_DIGEST_LEN hex digits of HMAC-SHA256 keyed by the request_key
 * secret over label, a newline and data.  Unlike a plain hash, it is no
 * aid to guessing data (a password typed as a username) for whoever reads
 * a table or a backup without the secret.
 */
char *
mo_secret_digest(const char *label, const char *data)
{
	const char *key = secret();
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char	   *msg = psprintf("%s\n%s", label, data);
	char	   *out = palloc(MO_SECRET_DIGEST_LEN + 1);

	if (HMAC(EVP_sha256(), key, (int) strlen(key), (unsigned char *) msg,
			 strlen(msg), mac, &maclen) == NULL || maclen * 2 < MO_SECRET_DIGEST_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not compute an HMAC")));
	explicit_bzero(msg, strlen(msg));
	for (int i = 0; i < MO_SECRET_DIGEST_LEN / 2; i++)
		snprintf(out + i * 2, 3, "%02x", mac[i]);
	return out;
}

/* The key material of one handle: the secret, a label and the handle's salt. */
static char *
handle_ikm(const unsigned char *salt)
{
	static const char label[] = "mcp_oauth authorization request\n";
	const char *s = secret();
	size_t		len = strlen(label) + strlen(s) + 1 + SALT_LEN * 2;
	char	   *ikm = palloc(len + 1);	/* exact: no other copy to wipe */
	char	   *p;

	p = ikm + snprintf(ikm, len + 1, "%s%s\n", label, s);
	for (int i = 0; i < SALT_LEN; i++)
		p += snprintf(p, 3, "%02x", salt[i]);
	return ikm;
}

/* Zero and free key material. */
static void
wipe(char *ikm)
{
	explicit_bzero(ikm, strlen(ikm));
	pfree(ikm);
}

/* The request as the JSON object that gets sealed. */
static char *
pending_json(const MoPending *p, const char *nonce)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	mo_json_string(&buf, "n", nonce);
	mo_json_int(&buf, "exp", p->expires_at);
	mo_json_string(&buf, "client_id", p->client_id);
	mo_json_int(&buf, "client_created", p->client_created_at);
	mo_json_string(&buf, "redirect_uri", p->redirect_uri);
	mo_json_bool(&buf, "redirect_uri_provided", p->redirect_uri_provided);
	mo_json_string_list(&buf, "scopes", p->scopes);
	if (p->state != NULL)
		mo_json_string(&buf, "state", p->state);
	mo_json_string(&buf, "code_challenge", p->code_challenge);
	mo_json_string(&buf, "resource", p->resource);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Seal p (its expiry set) into a new single-use handle. */
char *
mo_pending_seal(const MoPending *p)
{
	char	   *json = pending_json(p, mo_random_token(""));
	size_t		len = strlen(json);
	size_t		total = SALT_LEN + len + SEAL_OVERHEAD;
	unsigned char *sealed = palloc(total);
	char	   *handle = palloc(b64url_encoded_len(total) + 1);
	char	   *ikm;
	bool		ok;

	mo_random_bytes(sealed, SALT_LEN);
	ikm = handle_ikm(sealed);
	ok = seal_encrypt(ikm, (const unsigned char *) json, len, sealed + SALT_LEN);
	wipe(ikm);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_MO_SERVER_ERROR),
				 errmsg("could not seal an authorization request")));
	b64url_encode(sealed, total, handle);
	return handle;
}

/* A string member of d, or NULL. */
static char *
member_string(const json_doc *d, const char *name)
{
	const json_member *m = json_get(d, name);

	return (m != NULL && m->type == JSON_STRING) ? pstrdup(m->string) : NULL;
}

/* A whole-number member of d into out; false if absent or not a number. */
static bool
member_int(const json_doc *d, const char *name, int64 *out)
{
	const json_member *m = json_get(d, name);

	if (m == NULL || m->type != JSON_NUMBER || m->number < -9e15 || m->number > 9e15)
		return false;
	*out = (int64) m->number;
	return true;
}

/* Fill p from the opened JSON; false if anything is missing. */
static bool
pending_from_json(const json_doc *d, MoPending *p)
{
	const json_member *scopes = json_get(d, "scopes");
	const json_member *provided = json_get(d, "redirect_uri_provided");
	char	   *nonce = member_string(d, "n");

	p->client_id = member_string(d, "client_id");
	p->redirect_uri = member_string(d, "redirect_uri");
	p->state = member_string(d, "state");
	p->code_challenge = member_string(d, "code_challenge");
	p->resource = member_string(d, "resource");
	if (nonce == NULL || p->client_id == NULL || p->redirect_uri == NULL ||
		p->code_challenge == NULL || p->resource == NULL ||
		!member_int(d, "exp", &p->expires_at) ||
		!member_int(d, "client_created", &p->client_created_at) ||
		provided == NULL || provided->type != JSON_BOOL ||
		scopes == NULL || scopes->type != JSON_ARRAY || scopes->strings == NULL)
		return false;
	p->redirect_uri_provided = provided->boolean;
	p->scopes = NIL;
	for (int i = 0; i < scopes->nstrings; i++)
		p->scopes = lappend(p->scopes, pstrdup(scopes->strings[i]));
	p->nonce_hash = mo_sha256(nonce);
	return true;
}

/*
 * Open a handle into p; false if it is not one this server sealed (or it
 * was altered).  Expiry and single use are the caller's to check.
 */
bool
mo_pending_open(const char *handle, MoPending *p)
{
	size_t		n = strlen(handle);
	unsigned char *sealed;
	char	   *json;
	char	   *ikm;
	size_t		len;
	bool		ok;
	json_doc	d;

	memset(p, 0, sizeof(*p));
	if (n > HANDLE_MAX_LEN)
		return false;
	sealed = palloc(b64url_decoded_max(n) + 1);
	if (b64url_decode(handle, n, sealed, &len) != 0 || len <= SALT_LEN + SEAL_OVERHEAD)
		return false;
	len -= SALT_LEN;
	json = palloc(len - SEAL_OVERHEAD + 1);
	ikm = handle_ikm(sealed);
	ok = seal_decrypt(ikm, sealed + SALT_LEN, len, (unsigned char *) json);
	wipe(ikm);
	if (!ok)
		return false;
	json[len - SEAL_OVERHEAD] = '\0';
	return json_parse_object(json, len - SEAL_OVERHEAD, palloc, &d) &&
		pending_from_json(&d, p);
}
