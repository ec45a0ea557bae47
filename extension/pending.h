/*
 * pending.h
 *		A pending authorization request, kept in its handle (pending.c).
 */
#ifndef MCP_OAUTH_PENDING_H
#define MCP_OAUTH_PENDING_H

#include "mcp_oauth.h"

/* A validated authorization request awaiting the person's decision. */
typedef struct MoPending
{
	char	   *client_id;
	TimestampTz client_created_at;	/* binds the request to this registration */
	char	   *redirect_uri;
	bool		redirect_uri_provided;
	List	   *scopes;
	char	   *state;			/* NULL when the client sent none */
	char	   *code_challenge;
	char	   *resource;
	TimestampTz expires_at;
	bytea	   *nonce_hash;		/* SHA-256 of the handle's nonce (open only) */
} MoPending;

extern void mo_pending_init(void);
extern char *mo_pending_seal(const MoPending *p);
extern bool mo_pending_open(const char *handle, MoPending *p);

/* Hex digits of mo_secret_digest (128 bits). */
#define MO_SECRET_DIGEST_LEN 32

extern char *mo_secret_digest(const char *label, const char *data);

#endif
