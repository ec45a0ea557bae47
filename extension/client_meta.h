/*
 * client_meta.h
 *		Client metadata (RFC 7591 section 2) read and validated
 *		(client_meta.c), as dynamic registration (register.c), create_client()
 *		and Client ID Metadata Documents (cimd.c) describe clients.
 */
#ifndef MCP_OAUTH_CLIENT_META_H
#define MCP_OAUTH_CLIENT_META_H

#include "mcp_oauth.h"

#include "lib/json.h"

#define CLIENT_META_MAX_URIS	16	/* redirect URIs per client */
#define CLIENT_META_MAX_TEXT	256 /* bytes of a name, id or version */

/* RFC 7591's error codes. */
#define CLIENT_META_ERR_METADATA	"invalid_client_metadata"
#define CLIENT_META_ERR_REDIRECT	"invalid_redirect_uri"

/* Who describes the client: what is required, allowed and assumed differs. */
typedef enum ClientMetaSource
{
	CLIENT_META_REGISTRATION,	/* RFC 7591 request, create_client() */
	CLIENT_META_DOCUMENT		/* a Client ID Metadata Document */
} ClientMetaSource;

/* Informational metadata: plain strings and URLs, validated alike. */
typedef enum ClientInfoField
{
	INFO_CLIENT_NAME,
	INFO_CLIENT_URI,
	INFO_LOGO_URI,
	INFO_TOS_URI,
	INFO_POLICY_URI,
	INFO_SOFTWARE_ID,
	INFO_SOFTWARE_VERSION,
	INFO_COUNT
} ClientInfoField;

/* The metadata of a client, validated. */
typedef struct ClientMeta
{
	List	   *redirect_uris;
	const char *auth_method;
	List	   *grant_types;
	List	   *response_types;
	const char *application_type;
	const char *scope;			/* normalized; NULL: every known scope */
	List	   *contacts;
	const char *info[INFO_COUNT];
	char	   *jwks;			/* JWK Set (JSON text), private_key_jwt only */
	const char *jwks_uri;		/* or where it is, private_key_jwt only */
} ClientMeta;

/* What an error answer says: an RFC 7591 error code and a description. */
typedef struct ClientMetaError
{
	const char *error;
	char	   *description;
} ClientMetaError;

/*
 * Read text (what, "the request body" or "the document", names it in
 * errors) as one JSON object of at most max_len bytes; false with e set if
 * it is not one.  *not_json (may be NULL) tells a text that is no JSON
 * object from one with a member twice.
 */
extern bool mo_client_meta_parse(const char *text, size_t max_len,
								 const char *what, json_doc *doc,
								 bool *not_json, ClientMetaError *e);

/* Read and validate the metadata of doc into m, with the defaults of source. */
extern bool mo_client_meta_read(const json_doc *doc, ClientMetaSource source,
								ClientMeta *m, ClientMetaError *e);

/* Validate a ClientMeta whose defaults are filled in (create_client()). */
extern bool mo_client_meta_check(ClientMeta *m, ClientMetaError *e);

/* Check a requested client scope (every name known); normalized into *out. */
extern bool mo_client_meta_scope(const char *scope, const char **out,
								 ClientMetaError *e);

/* "native" when every redirect URI is loopback or a private-use scheme, else "web". */
extern const char *mo_client_meta_application_type(List *uris);

/*
 * Why the text s of member name may not be kept (too long, or not fit to
 * be shown to a person: lib/text.h), or NULL.
 */
extern char *mo_client_meta_text_problem(const char *name, const char *s,
										 size_t maxlen);

/* Whether the client authenticates with none (a public client). */
extern bool mo_client_meta_is_public(const ClientMeta *m);

/* Whether the client authenticates with a secret (client_secret_*). */
extern bool mo_client_meta_has_secret(const ClientMeta *m);

/*
 * The client information (RFC 7591 section 3.2.1) as JSON, client_secret
 * included when secret is not NULL, client_id_issued_at when issued_at is
 * not 0; clients.metadata keeps it without the secret.
 */
extern char *mo_client_meta_json(const ClientMeta *m, const char *client_id,
								 int64 issued_at, const char *secret);

/*
 * Why json (len bytes) is no JWK Set (RFC 7517 section 5) this server can
 * use, or NULL: lib/jwk.h's jwk_set_parse() must find at most JWK_MAX_KEYS
 * keys with a usable one among them (the same reading that later checks a
 * client assertion).  *not_json is set when json is not a JSON object at
 * all.  The text is kept as given: unusable keys in it are ignored.
 */
extern const char *mo_jwks_problem(const char *json, size_t len,
								   bool *not_json);

/* Whether clients has the 0.5.0 columns jwks and jwks_uri. */
extern bool mo_clients_have_jwks(void);

#endif							/* MCP_OAUTH_CLIENT_META_H */
