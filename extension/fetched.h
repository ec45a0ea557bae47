/*
 * fetched.h
 *		Documents the HTTP server fetched for the database (fetched.c):
 *		Client ID Metadata Documents and clients' JWK Sets, one row per URL
 *		and purpose in fetched_documents, shared by every server process.
 *
 * The database never opens a connection.  An endpoint that needs a document
 * it has no servable copy of answers the need-fetch row (status 0,
 * mo_need_fetch_response); the server fetches the URL, reports the outcome
 * with fetched(), and calls the endpoint again.  The decision an endpoint
 * makes from mo_fetched_get(): servable -> use body; else failure ->
 * refuse, naming it; else need-fetch (if_none_match = etag when there is a
 * body).
 */
#ifndef MCP_OAUTH_FETCHED_H
#define MCP_OAUTH_FETCHED_H

#include "mcp_oauth.h"

/* The content type of the need-fetch answer. */
#define MO_FETCH_CONTENT_TYPE	"application/vnd.mcp-oauth.fetch+json"

/* The purposes of a fetch, and the most bytes a body of each may have. */
#define MO_FETCH_CLIENT_METADATA	"client_metadata"
#define MO_FETCH_JWKS				"jwks"
#define MO_FETCH_MAX_CLIENT_METADATA	5120
#define MO_FETCH_MAX_JWKS			65536

/* The fetched_documents row of a URL, as an endpoint decides from it. */
typedef struct MoFetchedDoc
{
	char	   *body;			/* last valid copy, or NULL */
	char	   *etag;			/* or NULL */
	TimestampTz fetched_at;		/* DT_NOBEGIN when never fetched */
	bool		fresh;			/* fresh_until > now() */
	bool		servable;		/* fresh (whatever failed since), or stale
								 * within fetch_max_stale after a transient
								 * failure */
	char	   *failure;		/* remembered failure (retry_after > now()),
								 * or NULL */
	bool		gone;			/* 404/410 since the last success */
} MoFetchedDoc;

/*
 * The row of url fetched for purpose (MO_FETCH_*; false when there is none,
 * or when the schema has no fetched_documents: before 0.5.0), from this
 * backend's copy of the rows it read (emptied by any change to the table).
 * Inside SPI; out is allocated in the current memory context.
 */
extern bool mo_fetched_get(const char *url, const char *purpose,
						   MoFetchedDoc *out);

/* The need-fetch answer (status 0) for url in r. */
extern void mo_need_fetch_response(MoResponse *r, const char *url,
								   const char *purpose,
								   const char *if_none_match, int max_body,
								   bool refuse_ip_literal);

/* Register the per-backend copy's invalidation callback (_PG_init). */
extern void mo_fetched_init(void);

/* Whether the schema has fetched_documents (0.5.0). */
extern bool mo_fetched_available(void);

/* A phrase for a person telling what failure (a fetched() reason) means. */
extern const char *mo_fetch_failure_text(const char *failure);

#endif							/* MCP_OAUTH_FETCHED_H */
