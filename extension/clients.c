/*
 * clients.c
 *		A per-backend copy of the client rows the endpoints read: every
 *		authorization request and token request looks its client up, and a
 *		client row rarely changes.
 *
 * Entries are loaded on first use and kept in a hash table keyed by
 * client_id.  The clients table's triggers (cached_table_changed()) send a
 * relcache invalidation when a row is deleted or changed, which marks the
 * whole copy stale; it is emptied at the next lookup, never under a
 * caller, since callers get their own copy.  A new client needs none (no
 * absence is remembered), nor does the hourly last_used_at touch: the
 * backend that touches remembers it (mo_client_touched), and another one
 * tries once more at most, finding the row already touched.  A person's
 * first approval of a request to one of a client's redirect URIs
 * (approved_redirect_uris) changes its row once, so it empties the copies
 * once per client and redirect URI.  The table holds only registered clients
 * and is emptied when it reaches CLIENT_CACHE_MAX entries.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "clients.h"
#include "lib/uri.h"

#define CLIENT_CACHE_MAX	4096

/* A cache entry: a MoClientRow whose memory belongs to the cache. */
typedef struct ClientEntry
{
	char		key[NAMEDATALEN * 4];	/* client_id, or its first bytes */
	MoClientRow row;
} ClientEntry;

static MoTableCache clients_cache = {"clients"};
static HTAB *client_table = NULL;
static MemoryContext client_cxt = NULL;

/* Register the clients relcache callback (once, from _PG_init). */
void
mo_clients_init(void)
{
	mo_table_cache_register(&clients_cache);
}

/*
 * The hash table, emptied first when the table changed or it is full.  An
 * empty table is a complete copy: rows are read one at a time, as used.
 */
static HTAB *
table(void)
{
	uint64		ticket;
	bool		stale = mo_table_cache_reload(&clients_cache, &ticket);
	HASHCTL		ctl;

	if (!stale && client_table != NULL &&
		hash_get_num_entries(client_table) < CLIENT_CACHE_MAX)
		return client_table;
	if (client_cxt == NULL)
		client_cxt = AllocSetContextCreate(TopMemoryContext, "mcp_oauth clients",
										   ALLOCSET_DEFAULT_SIZES);
	client_table = NULL;		/* no pointer into the context while it is reset */
	MemoryContextReset(client_cxt);
	ctl.keysize = sizeof(((ClientEntry *) 0)->key);
	ctl.entrysize = sizeof(ClientEntry);
	ctl.hcxt = client_cxt;
	client_table = hash_create("mcp_oauth clients", 64, &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	if (stale)
		mo_table_cache_loaded(&clients_cache, ticket);
	return client_table;
}

/* A text[] column of the fetched row as a List of char *. */
static List *
text_list(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return isnull ? NIL : mo_text_array_to_list(d);
}

/* A timestamptz column of the fetched row; DT_NOBEGIN when NULL. */
static TimestampTz
row_time(int col)
{
	bool		isnull;
	Datum		d = mo_spi_datum(col, &isnull);

	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * A column added in 0.3.0, as JSON text: SQL NULL while the schema is an
 * earlier version's (the library is installed before ALTER EXTENSION
 * UPDATE runs), else its value ("null" for SQL NULL).
 */
#define OPTIONAL_COLUMN(name) \
	" CAST(pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.->) '" name "' AS pg_catalog.text)"

/*
 * A text[] column added in 0.3.0, as two columns: whether the schema has
 * it, and its elements (empty for SQL NULL and while the schema has not).
 */
#define OPTIONAL_TEXT_ARRAY(name) \
	" pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.?) '" name "'," \
	" ARRAY(SELECT pg_catalog.jsonb_array_elements_text(" \
	"  pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.->) '" name "')" \
	"  WHERE pg_catalog.jsonb_typeof(pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.->) '" name "')" \
	"  OPERATOR(pg_catalog.=) 'array')"

/*
 * A text (or jsonb, as its JSON text) column added in 0.5.0: SQL NULL for
 * SQL NULL and while the schema is an earlier version's.
 */
#define OPTIONAL_TEXT(name) \
	" pg_catalog.to_jsonb(c) OPERATOR(pg_catalog.->>) '" name "'"

/* Read client_id's row into out (in the current context); false if none. */
static bool
fetch(const char *client_id, MoClientRow *out)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[1];
	bool		isnull;
	Datum		d;
	bool		found;
	char	   *optional;

	mo_spi_connect();
	mo_spi_plan(&plan,
				"SELECT client_name, client_secret_hash, token_endpoint_auth_method,"
				" redirect_uris, grant_types, scope, loopback_only, created_at,"
				" last_used_at, kind," OPTIONAL_COLUMN("introspection_allowed") ","
				OPTIONAL_TEXT_ARRAY("approved_redirect_uris") ","
				OPTIONAL_TEXT("jwks") "," OPTIONAL_TEXT("jwks_uri")
				" FROM mcp_oauth.clients c"
				" WHERE client_id OPERATOR(pg_catalog.=) $1",
				1, (Oid[]) {TEXTOID});
	values[0] = CStringGetTextDatum(client_id);
	mo_spi_run(plan, values, 1);
	found = SPI_processed == 1;
	if (found)
	{
		MemoryContext old = MemoryContextSwitchTo(mo_spi_caller_context());

		out->client_id = pstrdup(client_id);
		out->client_name = mo_spi_text(1);
		d = mo_spi_datum(2, &isnull);
		out->secret_hash = isnull ? NULL : DatumGetByteaPCopy(d);
		out->auth_method = mo_spi_text(3);
		out->redirect_uris = text_list(4);
		out->grant_types = text_list(5);
		out->scope = mo_spi_text(6);
		out->loopback_only = DatumGetBool(mo_spi_datum(7, &isnull));
		out->created_at = row_time(8);
		out->last_used_at = row_time(9);
		out->kind = mo_spi_text(10);
		optional = mo_spi_text(11);
		out->introspection_allowed = optional && strcmp(optional, "true") == 0;
		out->records_consent = DatumGetBool(mo_spi_datum(12, &isnull));
		out->approved_redirect_uris = text_list(13);
		out->jwks = mo_spi_text(14);
		out->jwks_uri = mo_spi_text(15);
		MemoryContextSwitchTo(old);
	}
	mo_spi_finish();
	return found;
}

/* A copy of src in the current context. */
static void
copy_row(const MoClientRow *src, MoClientRow *dst)
{
	dst->client_id = pstrdup(src->client_id);
	dst->client_name = src->client_name ? pstrdup(src->client_name) : NULL;
	dst->secret_hash = NULL;
	if (src->secret_hash != NULL)
	{
		dst->secret_hash = palloc(VARSIZE(src->secret_hash));
		memcpy(dst->secret_hash, src->secret_hash, VARSIZE(src->secret_hash));
	}
	dst->auth_method = pstrdup(src->auth_method);
	dst->redirect_uris = mo_string_list_copy(src->redirect_uris);
	dst->grant_types = mo_string_list_copy(src->grant_types);
	dst->scope = src->scope ? pstrdup(src->scope) : NULL;
	dst->kind = pstrdup(src->kind);
	dst->loopback_only = src->loopback_only;
	dst->created_at = src->created_at;
	dst->last_used_at = src->last_used_at;
	dst->introspection_allowed = src->introspection_allowed;
	dst->approved_redirect_uris = mo_string_list_copy(src->approved_redirect_uris);
	dst->records_consent = src->records_consent;
	dst->jwks = src->jwks ? pstrdup(src->jwks) : NULL;
	dst->jwks_uri = src->jwks_uri ? pstrdup(src->jwks_uri) : NULL;
}

/* Remember that this backend recorded a use of client_id just now. */
void
mo_client_touched(const char *client_id)
{
	ClientEntry *e;

	if (client_table != NULL && strlen(client_id) < sizeof(e->key) &&
		(e = hash_search(client_table, client_id, HASH_FIND, NULL)) != NULL)
		e->row.last_used_at = GetCurrentTransactionStartTimestamp();
}

/*
 * client_id's row as of this transaction, copied into the current memory
 * context; false if there is no such client.
 */
bool
mo_client_get(const char *client_id, MoClientRow *out)
{
	HTAB	   *t = table();
	ClientEntry *e;
	MoClientRow copy;
	MemoryContext old;

	memset(out, 0, sizeof(*out));
	if (strlen(client_id) >= sizeof(e->key))
		return fetch(client_id, out);	/* too long to key: not cached */
	e = hash_search(t, client_id, HASH_FIND, NULL);
	if (e != NULL)
	{
		copy_row(&e->row, out);
		return true;
	}
	if (!fetch(client_id, out))
		return false;
	/* a change seen while fetching: the table is emptied at the next lookup */
	if (!clients_cache.valid)
		return true;
	/* copy first: an error while copying must not leave a half-made entry */
	old = MemoryContextSwitchTo(client_cxt);
	copy_row(out, &copy);
	MemoryContextSwitchTo(old);
	e = hash_search(t, client_id, HASH_ENTER, NULL);
	e->row = copy;
	return true;
}

/* The entry of uris that redirect_uri matches (uri_redirect_matches), or NULL. */
static const char *
matching_uri(List *uris, const char *redirect_uri)
{
	ListCell   *lc;

	foreach(lc, uris)
	{
		if (uri_redirect_matches((char *) lfirst(lc), redirect_uri))
			return (char *) lfirst(lc);
	}
	return NULL;
}

/*
 * Whether an error of c's authorization request to redirect_uri may be
 * redirected there, with no person involved (RFC 9700 section 4.11.2:
 * redirect only to a URI the server trusts).  An administrator made the
 * builtin and static clients; a dynamic or metadata client's redirect URI
 * is trusted once a person approved a request to it: until then anyone
 * could register (or publish) a redirect URI and use our 302 to send people
 * there.  It matches as at
 * the request (a loopback URI on another port is the same URI).
 */
bool
mo_client_redirects_errors(const MoClientRow *c, const char *redirect_uri)
{
	return strcmp(c->kind, "builtin") == 0 || strcmp(c->kind, "static") == 0 ||
		matching_uri(c->approved_redirect_uris, redirect_uri) != NULL;
}

/*
 * Record that a person approved a request of c to redirect_uri: the
 * registered URI it matched joins approved_redirect_uris, once.  The first
 * time changes the row, which empties every backend's copy (once per
 * client and URI; later approvals find it there and change nothing).
 * Nothing is recorded while the schema is older than the library.
 */
void
mo_client_consented(const MoClientRow *c, const char *redirect_uri)
{
	static SPIPlanPtr plan = NULL;
	const char *registered = matching_uri(c->redirect_uris, redirect_uri);
	Datum		values[2];

	if (!c->records_consent || registered == NULL ||
		mo_client_redirects_errors(c, redirect_uri))
		return;
	mo_spi_plan(&plan,
				"UPDATE mcp_oauth.clients"
				" SET approved_redirect_uris"
				" = pg_catalog.array_append(coalesce(approved_redirect_uris, '{}'), $2)"
				" WHERE client_id = $1"
				" AND NOT $2 = ANY (coalesce(approved_redirect_uris, '{}'))",
				2, (Oid[]) {TEXTOID, TEXTOID});
	values[0] = CStringGetTextDatum(c->client_id);
	values[1] = CStringGetTextDatum(registered);
	mo_spi_check_write(SPI_execute_plan(plan, values, NULL, false, 0),
					   SPI_OK_UPDATE, "clients");
}
