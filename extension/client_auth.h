/*
 * client_auth.h
 *		Private to the token, revocation and introspection endpoints:
 *		client authentication (RFC 6749 section 2.3), SPI plan caching,
 *		and the refresh token and grant lookups they share.
 */
#ifndef MCP_OAUTH_CLIENT_AUTH_H
#define MCP_OAUTH_CLIENT_AUTH_H

#include "mcp_oauth.h"

#include "executor/spi.h"

/* An authenticated client. */
typedef struct MoClient
{
	char	   *client_id;
	bool		confidential;	/* authenticated with a secret */
	List	   *grant_types;	/* List of char * */
} MoClient;

/*
 * Authenticate the client of a token, revocation or introspection request
 * from the Authorization header and the parsed form body.  On failure fills
 * err (400 invalid_request or 401 invalid_client, with a Basic challenge
 * when the client tried Basic), audits client_auth_failed, returns false.
 */
extern bool mo_client_authenticate(const char *authorization, const form *params,
								   const char *client_addr, MoClient *client,
								   MoResponse *err);

/* The part of an endpoint that runs once the client is authenticated. */
typedef void (*MoClientHandler) (const form *params, const MoClient *client,
								 const char *client_addr, MoResponse *r);

/*
 * Run an endpoint taking (content_type, authorization, body, client_addr):
 * connect SPI, parse the form body, authenticate the client, call handler,
 * and return the http_response row (always Cache-Control: no-store).
 */
extern Datum mo_client_endpoint(FunctionCallInfo fcinfo, MoClientHandler handler);

/* Prepare sql once per backend and keep the plan in *plan. */
extern SPIPlanPtr mo_spi_plan(SPIPlanPtr *plan, const char *sql, int nargs,
							  Oid *argtypes);

/* Run a kept plan (read_only false); raise if SPI fails. */
extern void mo_spi_run(SPIPlanPtr plan, Datum *values, long limit);

/* Prepare (once) and run a plan of one parameter of type argtype. */
extern void mo_spi_exec1(SPIPlanPtr *plan, const char *sql, Oid argtype,
						 Datum arg, long limit);

/* The int8 in column 1 of the first result row, or 0 when there is none. */
extern int64 mo_spi_first_int8(void);

/*
 * A text Datum of s (for files that include lib/json.h, whose json_object
 * clashes with utils/builtins.h).
 */
extern Datum mo_text_datum(const char *s);

/* Column colno of row 0 of SPI_tuptable as a palloc'd C string, or NULL. */
extern char *mo_spi_text(int colno);

/* Column colno of row 0 of SPI_tuptable as a Datum; *isnull set. */
extern Datum mo_spi_datum(int colno, bool *isnull);

/* A grant row, as the token and revocation paths read it. */
typedef struct MoGrant
{
	int64		grant_id;
	char	   *subject;
	char	   *client_id;
	List	   *scopes;
	char	   *resource;
	bool		revoked;
	bool		expired;
} MoGrant;

/* Read the grant grant_id into *g, locking it FOR UPDATE; false if none. */
extern bool mo_lock_grant(int64 grant_id, MoGrant *g);

/* What mo_grant_id_of looks a grant up by. */
typedef enum MoGrantKey
{
	MO_CODE,					/* SHA-256 of an authorization code (bytea) */
	MO_REFRESH_TOKEN,			/* SHA-256 of a refresh token (bytea) */
	MO_ACCESS_TOKEN				/* jti of an access token (text) */
} MoGrantKey;

/* The grant of a code, refresh token or access token (no lock), or 0. */
extern int64 mo_grant_id_of(MoGrantKey kind, Datum key);

#endif							/* MCP_OAUTH_CLIENT_AUTH_H */
