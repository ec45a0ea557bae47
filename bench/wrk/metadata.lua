-- GET the authorization server metadata (RFC 8414).
wrk.method = "GET"
wrk.path = "/.well-known/oauth-authorization-server"
wrk.headers["Accept"] = "application/json"
