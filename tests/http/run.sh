#!/usr/bin/env bash
# tests/http/run.sh: the process-level HTTP layer.
#
# Runs under scripts/test.sh (PGHOST, PGPORT, PGUSER=postgres of a running
# throwaway cluster, TEST_CLUSTER_DIR).  Creates its own database and login
# role, starts demo/whoami_mcp_server.mjs and shim/mcp-oauth-server on free
# ports and checks with curl, as a browser and as MCP clients would: every
# route, the code + PKCE flow through the sign-in and consent pages, CSRF,
# CORS, discovery, the /mcp gateway, 404/405/413/415, a database restart
# and a SIGTERM drain, with the server at --log-level debug and no secret
# in its log; a stand-in database with hostile answers (hostile.sh); TLS
# and raw HTTP/2 header fields (tls.sh); client metadata documents fetched
# from a local HTTPS server (cimd.sh).  Then the same against the ASan/UBSan
# build.
#
#   HTTP_SUITES="normal asan"   which builds to test (default both)
#   HTTP_VERBOSE=1              print every check, not only failures
#   HTTP_KEEP=1                 keep the work directory (server logs)
#   HTTP_ASAN_BINARY=PATH       a prebuilt sanitizer build instead of make asan
#   HTTP_SUITES=hostile, tls or cimd  only that part (HTTP_HOSTILE_BINARY=PATH: which build)
#
# Last line: "http: N passed, M failed"; exit status non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
# shellcheck source=../../scripts/cluster.sh
. scripts/cluster.sh

: "${PGHOST:?run under scripts/test.sh}" "${PGPORT:?}" "${TEST_CLUSTER_DIR:?}"
export PGUSER=${PGUSER:-postgres}

work=$(mktemp -d /tmp/mcp_oauth_http.XXXXXX)
H=$work/headers B=$work/body
util() { node "$top/tests/http/util.mjs" "$@"; }

db=mcp_http_$$
role=mcp_http_server_$$
password=correct-horse-battery-staple
passed=0 failed=0 status=""
suite=""
srv_pid="" demo_pid="" srv_log=""

# ---- checks ----

# check NAME COMMAND...: one test; COMMAND's status is the verdict.
check() {
	local name=$1; shift
	local why
	if why=$("$@" 2>&1); then
		passed=$((passed + 1))
		[ -n "${HTTP_VERBOSE:-}" ] && echo "ok - $suite$name"
	else
		failed=$((failed + 1))
		echo "FAIL - $suite$name"
		[ -n "$why" ] && echo "$why" | sed 's/^/    /'
		echo "    last response: $status $(head -c 300 "$B" 2>/dev/null | tr '\n' ' ')"
	fi
	return 0
}

# eq GOT WANT
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }
# has HAYSTACK NEEDLE: substring
has() { case $1 in *"$2"*) return 0 ;; esac; echo "'$(echo "$1" | head -c 300)' lacks '$2'"; return 1; }
# hasnt HAYSTACK NEEDLE
hasnt() { case $1 in *"$2"*) echo "unexpected '$2'"; return 1 ;; esac; return 0; }
# matches STRING ERE
matches() { echo "$1" | grep -Eq -- "$2" || { echo "'$1' does not match /$2/"; return 1; }; }
# nonempty STRING
nonempty() { [ -n "$1" ] || { echo "empty"; return 1; }; }

# ---- HTTP ----

# req METHOD URL [curl args...]: sets $status; headers in $H, body in $B.
req() {
	local method=$1 url=$2; shift 2
	: >"$H"; : >"$B"
	status=$(curl -sS -o "$B" -D "$H" -w '%{http_code}' -X "$method" --max-time 15 \
		"$@" "$url" 2>"$work/curl.err") || status=000
}
# hdr NAME: the first value of response header NAME.
hdr() { grep -i "^$1:" "$H" | head -n 1 | sed 's/^[^:]*:[[:space:]]*//' | tr -d '\r'; }
# hdrs NAME: every value of header NAME, one per line.
hdrs() { grep -i "^$1:" "$H" | sed 's/^[^:]*:[[:space:]]*//' | tr -d '\r'; }
# j EXPR: a member of the JSON body.
j() { util json "$B" "$1"; }
# field NAME: a form field of the HTML body, as a browser would submit it.
field() { util field "$B" "$1"; }
# enc STRING: form-urlencoded.
enc() { util urlencode "$1"; }
# cookie NAME: the value set by Set-Cookie NAME=... in the last response.
cookie() { hdrs set-cookie | grep "^$1=" | head -n 1 | sed "s/^$1=//; s/;.*//"; }
# secret VALUE...: remember values that must never reach the server log.
secret() {
	local v
	for v in "$@"; do [ "${#v}" -ge 8 ] && printf '%s\n' "$v" >>"$work/secrets"; done
	return 0
}
# no_secret_logged LOG: no remembered secret occurs in LOG.
no_secret_logged() { ! grep -F -f "$work/secrets" "$1" | head -n 3 | grep .; }
# set_cookie NAME: the whole Set-Cookie line for NAME.
set_cookie() { hdrs set-cookie | grep "^$1=" | head -n 1; }

# ---- setup ----

cleanup() {
	stop_server
	[ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
	[ -n "${testca_pid:-}" ] && kill "$testca_pid" 2>/dev/null && wait "$testca_pid" 2>/dev/null
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1
	if [ -n "${HTTP_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

port=$(free_port) || exit 1
up_port=$(free_port) || exit 1
base=http://127.0.0.1:$port
issuer=$base
resource=$base/mcp

# Failed sign-ins allowed per 15 minutes in the test database; the
# throttling test forgets the counts before and after, so that the other
# sign-ins from 127.0.0.1 are never throttled.
login_limit=5

# Database, extension, login role, settings, accounts, clients, PATs.
setup_database() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" >"$work/setup.out" <<-SQL
		CREATE EXTENSION pgcrypto;
		CREATE EXTENSION mcp_oauth;
		CREATE ROLE $role LOGIN IN ROLE mcp_oauth_server;
		SELECT mcp_oauth.create_account('alice', '$password', false, 'Alice Example');
		SELECT mcp_oauth.create_account('bob', '$password');
		SELECT mcp_oauth.rotate_signing_key() IS NOT NULL;
		SET mcp_oauth.issuer = '$issuer';
		SET mcp_oauth.resources = '$resource';
		ALTER DATABASE $db SET mcp_oauth.issuer = '$issuer';
		ALTER DATABASE $db SET mcp_oauth.resources = '$resource';
		ALTER DATABASE $db SET mcp_oauth.login_attempt_limit = $login_limit;
		-- every registration of both suites comes from 127.0.0.1
		ALTER DATABASE $db SET mcp_oauth.registration_rate_limit = 100000;
		\\pset format unaligned
		\\pset tuples_only on
		\\o $work/pat_tools
		SELECT mcp_oauth.create_personal_access_token('alice', 'tools', ARRAY['mcp:tools']);
		\\o $work/pat_resources
		SELECT mcp_oauth.create_personal_access_token('alice', 'resources only', ARRAY['mcp:resources']);
		\\o $work/confidential
		SELECT client_id || ' ' || client_secret FROM mcp_oauth.create_client(
			'Confidential test client', ARRAY['https://app.example.com/cb'], true);
		\\o
		SQL
}

# Start the demo upstream.
start_demo() {
	node demo/whoami_mcp_server.mjs --port "$up_port" --sse-hold-ms 2500 \
		>"$work/demo.log" 2>&1 &
	demo_pid=$!
	for _ in $(seq 1 50); do
		curl -s -o /dev/null "http://127.0.0.1:$up_port/" && return 0
		sleep 0.1
	done
	echo "demo upstream did not start"; cat "$work/demo.log"; return 1
}

# start_server BINARY [PORT ISSUER DATABASE]: start the HTTP server and
# wait until it answers.
start_server() {
	local p=${2:-$port} iss=${3:-$issuer} d=${4:-$db}
	srv_log=$work/server.$suite_name.log
	"$1" --listen "127.0.0.1:$p" --issuer "$iss" \
		--database "host=$PGHOST port=$PGPORT dbname=$d user=$role" \
		--upstream "http://127.0.0.1:$up_port/mcp" --threads 2 --log-level debug \
		--request-timeout 5000 --shutdown-timeout 10000 >>"$srv_log" 2>&1 &
	srv_pid=$!
	for _ in $(seq 1 100); do
		if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/readyz")" = 200 ]; then
			return 0
		fi
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "server did not start"; cat "$srv_log"; return 1
}

# Stop the server (if running) and record its exit status in srv_rc.
stop_server() {
	srv_rc=""
	[ -z "$srv_pid" ] && return 0
	kill -TERM "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_rc=$?
	srv_pid=""
}

# ---- discovery ----

test_discovery() {
	req GET "$base/.well-known/oauth-authorization-server" -H "Origin: https://app.example"
	check "AS metadata 200" eq "$status" 200
	check "AS metadata issuer byte-exact" eq "$(j .issuer)" "$issuer"
	check "AS metadata is JSON" matches "$(hdr content-type)" '^application/json'
	check "AS metadata CORS" eq "$(hdr access-control-allow-origin)" "*"
	check "AS metadata S256" has "$(j .code_challenge_methods_supported)" S256
	check "AS metadata iss parameter (RFC 9207)" eq "$(j .authorization_response_iss_parameter_supported)" true
	authorization_endpoint=$(j .authorization_endpoint)
	token_endpoint=$(j .token_endpoint)
	registration_endpoint=$(j .registration_endpoint)
	revocation_endpoint=$(j .revocation_endpoint)
	jwks_uri=$(j .jwks_uri)
	check "authorization endpoint on this server" eq "$authorization_endpoint" "$base/authorize"
	check "token endpoint on this server" eq "$token_endpoint" "$base/token"

	req GET "$base/.well-known/openid-configuration"
	check "OIDC discovery 200" eq "$status" 200
	check "OIDC discovery same issuer" eq "$(j .issuer)" "$issuer"

	req GET "$base/.well-known/oauth-protected-resource/mcp" -H "Origin: https://app.example"
	check "PRM for /mcp 200" eq "$status" 200
	check "PRM resource" eq "$(j .resource)" "$resource"
	check "PRM names the AS" eq "$(j .authorization_servers[0])" "$issuer"
	check "PRM CORS" eq "$(hdr access-control-allow-origin)" "*"

	req GET "$base/.well-known/oauth-protected-resource"
	check "PRM root 200" eq "$status" 200
	check "PRM root resource" eq "$(j .resource)" "$resource"

	req GET "$base/.well-known/oauth-protected-resource/other"
	check "PRM unknown path 404" eq "$status" 404

	req GET "$jwks_uri"
	check "JWKS 200" eq "$status" 200
	check "JWKS has keys" matches "$(j .keys[0].kid)" '.'

	req OPTIONS "$base/.well-known/oauth-authorization-server" -H "Origin: https://app.example" \
		-H "Access-Control-Request-Method: GET"
	check "metadata preflight 204" eq "$status" 204
	check "plain http: no Strict-Transport-Security" eq "$(hdr strict-transport-security)" ""
}

# ---- registration, token, revocation errors ----

test_routes() {
	req POST "$registration_endpoint" -H "Content-Type: application/json" -H "Origin: https://app.example" \
		-d '{"redirect_uris":["http://127.0.0.1:3000/callback"],"token_endpoint_auth_method":"none","client_name":"HTTP layer test"}'
	check "register 201" eq "$status" 201
	check "register returns client_id" nonempty "$(j .client_id)"
	check "register CORS" eq "$(hdr access-control-allow-origin)" "*"
	check "register no-store" has "$(hdr cache-control)" no-store
	dcr_client=$(j .client_id)

	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d '{"redirect_uris":["http://evil.example/cb"],"token_endpoint_auth_method":"none"}'
	check "register non-https web redirect 400" eq "$status" 400
	check "register invalid_redirect_uri" eq "$(j .error)" invalid_redirect_uri

	# Redirect URI and name rules (issue 12): an app's own scheme only, no
	# planted response parameters, nothing in a name that reorders or hides.
	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d '{"redirect_uris":["ms-settings:privacy"],"token_endpoint_auth_method":"none"}'
	check "register a system scheme: invalid_redirect_uri" eq "$(j .error)" invalid_redirect_uri
	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d '{"redirect_uris":["https://app.example/cb?iss=https://evil.example"],"token_endpoint_auth_method":"none"}'
	check "register a planted iss: invalid_redirect_uri" eq "$(j .error)" invalid_redirect_uri
	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d '{"redirect_uris":["http://127.0.0.1:3000/cb"],"token_endpoint_auth_method":"none","client_name":"Goo\u202eelg"}'
	check "register a name with U+202E: 400" eq "$status" 400
	check "register a name with U+202E: invalid_client_metadata" eq "$(j .error)" invalid_client_metadata
	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d '{"redirect_uris":["cursor://anysphere.cursor-mcp/oauth/callback"],"token_endpoint_auth_method":"none","client_name":"Cursor"}'
	check "register Cursor's redirect URI: 201" eq "$status" 201

	req POST "$registration_endpoint" -H "Content-Type: text/plain" -d '{}'
	check "register wrong content type 415" eq "$status" 415

	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		-H "Origin: https://app.example" -d "grant_type=nonsense&client_id=mcp-agent"
	check "token unsupported grant 400" eq "$status" 400
	check "token unsupported_grant_type" eq "$(j .error)" unsupported_grant_type
	check "token error CORS" eq "$(hdr access-control-allow-origin)" "*"
	check "token error no-store" has "$(hdr cache-control)" no-store

	req POST "$token_endpoint" -H "Content-Type: application/json" -d '{}'
	check "token JSON body 415" eq "$status" 415

	head -c 70000 /dev/zero | tr '\0' 'a' >"$work/big"
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-binary "@$work/big"
	check "token oversized body 413" eq "$status" 413

	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		-H "Authorization: Basic YTpi" -H "Authorization: Basic YzpkZA==" -d "grant_type=client_credentials"
	check "token with two Authorization headers 400" eq "$status" 400
	check "token with two Authorization headers invalid_request" eq "$(j .error)" invalid_request
	req POST "$token_endpoint" -H "Content-Type: Application/X-WWW-Form-Urlencoded;charset=UTF-8" \
		-d "grant_type=nonsense&client_id=mcp-agent"
	check "token content type: case and charset accepted" eq "$status" 400
	check "token content type: reaches the grant check" eq "$(j .error)" unsupported_grant_type
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencodedx" -d "grant_type=nonsense"
	check "token content type: no prefix match 415" eq "$status" 415
	req HEAD "$base/.well-known/oauth-authorization-server" -I
	check "HEAD metadata 200" eq "$status" 200
	check "HEAD metadata has no body" hasnt "$(cat "$B")" '"issuer"'
	req TRACE "$token_endpoint"
	check "TRACE /token 405" eq "$status" 405
	check "TRACE 405 Allow" eq "$(hdr allow)" "POST, OPTIONS"
	req TRACE "$base/.well-known/jwks.json"
	check "TRACE 405 Allow on metadata" eq "$(hdr allow)" "GET, HEAD, OPTIONS"
	local page
	for page in /authorize /login /consent /logout; do
		req OPTIONS "$base$page" -H "Origin: https://app.example" -H "Access-Control-Request-Method: POST"
		check "no CORS on $page preflight" eq "$(hdr access-control-allow-origin)" ""
		req GET "$base$page" -H "Origin: https://app.example"
		check "no CORS on $page" eq "$(hdr access-control-allow-origin)" ""
	done
	req POST "$base/introspect" -H "Content-Type: application/x-www-form-urlencoded" -H "Origin: https://app.example" -d "token=x"
	check "no CORS on introspect" eq "$(hdr access-control-allow-origin)" ""

	req GET "$token_endpoint"
	check "GET /token 405" eq "$status" 405
	check "405 names POST in Allow" has "$(hdr allow)" POST

	req PUT "$base/authorize"
	check "PUT /authorize 405" eq "$status" 405

	req GET "$base/no/such/path"
	check "unknown path 404" eq "$status" 404

	# A browser (its Accept prefers HTML) gets a page, a program JSON.
	local browser_accept='text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'
	req GET "$base/" -H "Accept: $browser_accept"
	check "/ to a browser: 404" eq "$status" 404
	check "/ to a browser: an HTML page" page_headers_ok
	check "/ to a browser: says there is nothing here" has "$(cat "$B")" "There is no page at this address"
	req GET "$base/" -H "Accept: application/json"
	check "/ to a program: JSON" eq "$(j .error)" not_found
	req GET "$base/"
	check "/ to curl (*/*): JSON" eq "$(j .error)" not_found
	req GET "$base/" -H "Accept: text/html;q=0.5, application/json"
	check "/ when JSON ranks higher: JSON" eq "$(j .error)" not_found
	req GET "$base/" -H "Accept: text/*, application/json;q=0.9"
	check "/ to text/* above JSON: HTML" has "$(hdr content-type)" text/html
	req GET "$base/" -H "Accept: text/html;q=x, application/json;q=0.1"
	check "/ with a malformed q: JSON" eq "$(j .error)" not_found
	req PUT "$base/authorize" -H "Accept: $browser_accept"
	check "PUT /authorize to a browser: 405" eq "$status" 405
	check "PUT /authorize to a browser: an HTML page" page_headers_ok
	check "PUT /authorize to a browser: Allow" eq "$(hdr allow)" "GET, HEAD, OPTIONS"
	req GET "$token_endpoint" -H "Accept: $browser_accept"
	check "GET /token to a browser: an HTML 405" has "$(hdr content-type)" text/html
	req GET "$token_endpoint" -H "Accept: application/json"
	check "GET /token to a program: a JSON 405" eq "$(j .error)" method_not_allowed

	req OPTIONS "$token_endpoint" -H "Origin: https://app.example" \
		-H "Access-Control-Request-Method: POST" \
		-H "Access-Control-Request-Headers: authorization, content-type"
	check "token preflight 204" eq "$status" 204
	check "token preflight allows origin" eq "$(hdr access-control-allow-origin)" "*"
	check "token preflight allows Authorization" has "$(hdr access-control-allow-headers)" Authorization
	check "token preflight allows POST" has "$(hdr access-control-allow-methods)" POST

	req POST "$revocation_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		-d "token=not-a-token&client_id=mcp-agent"
	check "revoke unknown token 200" eq "$status" 200

	read -r conf_id conf_secret <"$work/confidential"
	req POST "$base/introspect" -H "Content-Type: application/x-www-form-urlencoded" \
		-u "$conf_id:$conf_secret" --data-urlencode "token=not-a-token"
	check "introspect 200" eq "$status" 200
	check "introspect unknown token inactive" eq "$(j .active)" false
	check "introspect answer no-store" has "$(hdr cache-control)" no-store
	req POST "$base/introspect" -H "Content-Type: application/x-www-form-urlencoded" \
		-u "$conf_id:wrong-secret" -d "token=x"
	check "introspect bad client 401" eq "$status" 401
	secret wrong-secret

	# Refusals of the client endpoints are logged at info level with the
	# OAuth error and the client id, never a secret, token or code.
	check "log: a refused token request names its error and client" grep -qF \
		'token: refused 400 error=unsupported_grant_type client_id="mcp-agent"' "$srv_log"
	check "log: a refused introspection names the Basic client" grep -qF \
		"introspect: refused 401 error=invalid_client client_id=\"$conf_id\"" "$srv_log"
	check "log: a refused registration" grep -qF \
		'register: refused 400 error=invalid_redirect_uri client_id="-"' "$srv_log"
	check "log: a refusal before the database" grep -qF \
		'token: refused 415 error=invalid_request client_id="-"' "$srv_log"
	local long_id
	long_id=$(printf 'y%.0s' $(seq 1 100))
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode $'client_id=ev"il\nx'"$long_id" \
		--data-urlencode "grant_type=authorization_code" --data-urlencode "code=a-code-never-logged-1234"
	secret a-code-never-logged-1234
	check "log: a client id is sanitised and cut to 64 bytes" grep -qF \
		"client_id=\"ev?il?x${long_id:0:57}\"" "$srv_log"
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		-H "Authorization: Basic $(printf 'basic%%20user:a-secret-never-logged' | base64 -w0)" \
		-d "grant_type=refresh_token&refresh_token=a-token-never-logged-5678"
	secret a-secret-never-logged a-token-never-logged-5678
	check "log: the Basic user name, form-decoded" grep -qF 'client_id="basic?user"' "$srv_log"
	check "log: no secret of a refused request" no_secret_logged "$srv_log"
}

# ---- pages: sign-in, consent, code + PKCE, token, /mcp ----

# The page security headers of the last response.
page_headers_ok() {
	has "$(hdr content-type)" "text/html; charset=utf-8" &&
		eq "$(hdr x-frame-options)" DENY &&
		has "$(hdr content-security-policy)" "default-src 'none'" &&
		has "$(hdr content-security-policy)" "frame-ancestors 'none'" &&
		has "$(hdr content-security-policy)" "form-action 'self'" &&
		hasnt "$(hdr content-security-policy)" "script-src" &&
		has "$(hdr cache-control)" no-store &&
		eq "$(hdr referrer-policy)" no-referrer
}

# Cookie attributes a __Host- cookie needs.
host_cookie_ok() {
	has "$1" "; Path=/" && has "$1" "; Secure" && has "$1" "; HttpOnly" &&
		has "$1" "; SameSite=Lax" && hasnt "$1" "Domain="
}

# authorize_query STATE: a fresh PKCE pair in verifier/challenge and the query.
authorize_query() {
	local pair
	pair=$(util pkce)
	verifier=$(echo "$pair" | sed -n 1p)
	challenge=$(echo "$pair" | sed -n 2p)
	redirect_uri="http://127.0.0.1:$cb_port/callback"
	query="response_type=code&client_id=mcp-agent&redirect_uri=$(enc "$redirect_uri")"
	query="$query&code_challenge=$challenge&code_challenge_method=S256&state=$1"
	query="$query&scope=$(enc "mcp:tools mcp:resources")&resource=$(enc "$resource")"
}

# sign_in_holding SESSION RETURN_TO: sign in as alice from a fresh sign-in
# page while the browser holds session cookie SESSION; sets new_session.
sign_in_holding() {
	local lc
	req GET "$base/login"
	lc=$(cookie __Host-mcp_oauth_login)
	req POST "$base/login" \
		-H "Cookie: __Host-mcp_oauth_login=$lc; __Host-mcp_oauth_session=$1" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=$2" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	new_session=$(cookie __Host-mcp_oauth_session)
	secret "$new_session"
}

# sign_in: from the sign-in page in $B, submit as a browser; sets session.
sign_in() {
	local csrf return_to login_cookie
	login_cookie=$(cookie __Host-mcp_oauth_login)
	csrf=$(field csrf)
	return_to=$(field return_to)
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	session=$(cookie __Host-mcp_oauth_session)
}

# Forget the failed sign-ins counted in the test database.
forget_login_failures() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
		-c "DELETE FROM mcp_oauth.rate_limits WHERE bucket LIKE 'login-%'" >/dev/null
}

# A Retry-After of the whole sliding 15-minute counting window: every
# counted failure has left it by then.
retry_after_ok() {
	[ "$1" = 900 ] || { echo "Retry-After '$1'"; return 1; }
}

# audit_counts MARK: "checked throttled" of alice's sign-ins audited after
# audit_id MARK (a checked one is login_failed or login_succeeded).
audit_counts() {
	psql -X -q -tA -F ' ' -d "$db" -c "
		SELECT count(*) FILTER (WHERE event IN ('login_failed', 'login_succeeded')),
			   count(*) FILTER (WHERE event = 'login_throttled')
		  FROM mcp_oauth.audit_log WHERE audit_id > $1 AND subject = 'alice'"
}

# 40 sign-ins for one username at once: login() counts each attempt before
# it checks the password, so at most login_attempt_limit passwords are
# checked, however the requests interleave.
test_login_race() {
	local lc i mark pids=() n403 n429
	check "race: counts forgotten" forget_login_failures
	req GET "$base/login"
	lc=$(cookie __Host-mcp_oauth_login)
	mark=$(psql -X -q -tA -d "$db" -c "SELECT coalesce(max(audit_id), 0) FROM mcp_oauth.audit_log")
	for i in $(seq 1 40); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST "$base/login" \
			-H "Cookie: __Host-mcp_oauth_login=$lc" \
			--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
			--data-urlencode "username=alice" --data-urlencode "password=wrong race $i" \
			>"$work/race.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	n403=$(cat "$work"/race.* | grep -c '^403$')
	n429=$(cat "$work"/race.* | grep -c '^429$')
	check "race: $login_limit of 40 concurrent wrong passwords refused as wrong" eq "$n403" "$login_limit"
	check "race: the other $((40 - login_limit)) throttled" eq "$n429" "$((40 - login_limit))"
	check "race: audit says $login_limit passwords checked, $((40 - login_limit)) throttled" \
		eq "$(audit_counts "$mark")" "$login_limit $((40 - login_limit))"
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	check "race: then even the right password 429" eq "$status" 429
	check "race: counts forgotten after" forget_login_failures
}

# mcp_oauth.login_attempt_limit: repeated wrong passwords get a 429.
test_login_throttle() {
	local lc i
	check "throttle: counts forgotten" forget_login_failures
	req GET "$base/login"
	lc=$(cookie __Host-mcp_oauth_login)
	for i in $(seq 1 "$login_limit"); do
		req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
			--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
			--data-urlencode "username=alice" --data-urlencode "password=wrong $i"
		check "throttle: wrong password $i of $login_limit is 403" eq "$status" 403
	done
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=alice" --data-urlencode "password=wrong again"
	check "throttle: one more wrong password 429" eq "$status" 429
	check "throttle: Retry-After" retry_after_ok "$(hdr retry-after)"
	check "throttle: says to wait" has "$(cat "$B")" "Too many sign-in attempts. Try again in a few minutes."
	check "throttle: not the wrong-password message" hasnt "$(cat "$B")" "username or password is incorrect"
	check "throttle: page headers" page_headers_ok
	check "throttle: the form again" has "$(cat "$B")" 'type="password"'
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	check "throttle: even the right password 429" eq "$status" 429
	check "throttle: right password sets no session" eq "$(cookie __Host-mcp_oauth_session)" ""
	# another user from the same address: the per-address count
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=bob" --data-urlencode "password=$password"
	check "throttle: another user from the address 429" eq "$status" 429
	check "throttle: counts forgotten again" forget_login_failures
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$lc" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=bob" --data-urlencode "password=$password"
	check "throttle: signs in once the counts are gone" eq "$status" 303
}

test_pages() {
	local login_cookie csrf return_to request_id consent_csrf location code
	cb_port=$(free_port)
	authorize_query st-$RANDOM
	local state=${query##*state=}; state=${state%%&*}

	# Signed out: the sign-in page.
	req GET "$base/authorize?$query"
	check "authorize signed out shows sign-in page" eq "$status" 200
	check "sign-in page headers" page_headers_ok
	check "sign-in page has username label" has "$(cat "$B")" '<label for="username">'
	check "sign-in page has password field" has "$(cat "$B")" 'type="password"'
	check "sign-in CSRF cookie is __Host-" host_cookie_ok "$(set_cookie __Host-mcp_oauth_login)"
	login_cookie=$(cookie __Host-mcp_oauth_login)
	csrf=$(field csrf)
	return_to=$(field return_to)
	check "sign-in CSRF field equals cookie" eq "$csrf" "$login_cookie"
	secret "$csrf" "$verifier"
	check "return_to is the original request" eq "$return_to" "/authorize?$query"
	check "no script on the page" hasnt "$(cat "$B")" "<script"
	check "sign-in form-action allows the redirect origin" \
		has "$(hdr content-security-policy)" "form-action 'self' http://127.0.0.1:$cb_port;"

	# The request is checked before anyone signs in; the sign-in page's
	# form-action names only a redirect URI the database accepted.
	req GET "$base/authorize?${query/client_id=mcp-agent/client_id=no-such-client}"
	check "signed out, unknown client: the error page at once" eq "$status" 400
	check "signed out, unknown client: no sign-in form" hasnt "$(cat "$B")" 'type="password"'
	check "signed out, unknown client: says why" has "$(cat "$B")" "unknown client_id"
	check "signed out, unknown client: page headers" page_headers_ok
	req GET "$base/authorize?response_type=code&client_id=$dcr_client&redirect_uri=$(enc https://evil.example/cb)&code_challenge=$challenge&code_challenge_method=S256&state=s"
	check "signed out, unregistered redirect URI: the error page" eq "$status" 400
	check "signed out, unregistered redirect URI: no sign-in form" hasnt "$(cat "$B")" 'type="password"'
	check "signed out, unregistered redirect URI: never in form-action" \
		hasnt "$(hdr content-security-policy)" evil.example
	check "signed out, unregistered redirect URI: not redirected" eq "$(hdr location)" ""
	req GET "$base/authorize?${query/code_challenge_method=S256/code_challenge_method=plain}"
	check "signed out, an error for the client: sign in first" eq "$status" 200
	check "signed out, an error for the client: the sign-in form" has "$(cat "$B")" 'type="password"'
	check "signed out, an error for the client: not redirected before sign-in" eq "$(hdr location)" ""
	check "signed out, an error for the client: form-action allows its redirect origin" \
		has "$(hdr content-security-policy)" "form-action 'self' http://127.0.0.1:$cb_port;"

	# Sign-in refusals.
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "return_to=$return_to" --data-urlencode "username=alice" \
		--data-urlencode "password=$password"
	check "sign-in without CSRF field 403" eq "$status" 403
	check "sign-in without CSRF sets no session" eq "$(cookie __Host-mcp_oauth_session)" ""
	req POST "$base/login" --data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	check "sign-in without CSRF cookie 403" eq "$status" 403
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=${csrf%?}x" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	check "sign-in with wrong CSRF 403" eq "$status" 403
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=https://evil.example/" \
		--data-urlencode "username=alice" --data-urlencode "password=$password"
	check "sign-in with foreign return_to 400" eq "$status" 400
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		-H "Content-Type: text/plain" --data-binary "csrf=$csrf"
	check "sign-in as text/plain 415" eq "$status" 415
	req GET "$base/authorize?${query/redirect_uri=/redirect_uri=javascript%3Aalert(1)%2F%2F&x=}"
	check "javascript: redirect never in form-action" \
		matches "$(hdr content-security-policy)" "form-action 'self'; "
	req GET "$base/authorize?${query/redirect_uri=/redirect_uri=http%3A%2F%2F$(printf 'a%.0s' $(seq 1 600)).example%2Fcb&x=}"
	check "a long redirect host keeps frame-ancestors in the CSP" page_headers_ok
	check "a long redirect host keeps base-uri in the CSP" has "$(hdr content-security-policy)" "base-uri 'none'"
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password="
	check "empty password 400" eq "$status" 400
	check "empty password sets no session" eq "$(cookie __Host-mcp_oauth_session)" ""
	check "empty password: form-action keeps the checked redirect origin" \
		has "$(hdr content-security-policy)" "form-action 'self' http://127.0.0.1:$cb_port;"
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "username=alice" --data-urlencode "password=" \
		--data-urlencode "return_to=/authorize?response_type=code&client_id=$dcr_client&redirect_uri=$(enc https://evil.example/cb)&code_challenge=$challenge&code_challenge_method=S256"
	check "sign-in page again, forged return_to: 400" eq "$status" 400
	check "sign-in page again, forged return_to: its redirect never in form-action" \
		hasnt "$(hdr content-security-policy)" evil.example
	local rt
	for rt in "//evil.example/authorize?x" $'/authorize?x\r\nSet-Cookie: a=b' '/authorize?x\y' \
		"https://evil.example/authorize?x" "/authorize" "/%61uthorize?x" "/login?x" " /authorize?x"; do
		req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
			--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$rt" \
			--data-urlencode "username=alice" --data-urlencode "password=$password"
		rt=${rt//[$'\r\n']/.}
		check "return_to '$rt' refused" eq "$status" 400
		check "return_to '$rt' sets no session" eq "$(cookie __Host-mcp_oauth_session)" ""
	done
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=$password" \
		--data-urlencode "password=other"
	check "repeated form field 400" eq "$status" 400
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		-H "Content-Type: Application/X-WWW-Form-Urlencoded; Charset=UTF-8" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=wrong"
	check "form content type: case and charset accepted" eq "$status" 403
	check "wrong password never echoed" hasnt "$(cat "$B")" 'value="wrong"'
	req POST "$base/login" -H "Cookie: __Host-mcp_oauth_login=$login_cookie" \
		--data-urlencode "csrf=$csrf" --data-urlencode "return_to=$return_to" \
		--data-urlencode "username=alice" --data-urlencode "password=wrong"
	check "wrong password 403 (a 401 would need a WWW-Authenticate challenge)" eq "$status" 403
	check "wrong password says so" has "$(cat "$B")" "username or password is incorrect"
	check "wrong password keeps return_to" eq "$(field return_to)" "$return_to"
	check "wrong password sets no session" eq "$(cookie __Host-mcp_oauth_session)" ""
	check "wrong password page headers" page_headers_ok
	check "wrong password: form-action keeps the checked redirect origin" \
		has "$(hdr content-security-policy)" "form-action 'self' http://127.0.0.1:$cb_port;"

	# Sign in.
	req GET "$base/authorize?$query"
	sign_in
	check "sign-in 303" eq "$status" 303
	check "sign-in goes back to /authorize" eq "$(hdr location)" "$return_to"
	check "session cookie is __Host-" host_cookie_ok "$(set_cookie __Host-mcp_oauth_session)"
	check "session cookie set" nonempty "$session"
	secret "$session"

	# Consent page.
	req GET "$base$return_to" -H "Cookie: __Host-mcp_oauth_session=$session"
	check "consent page 200" eq "$status" 200
	check "consent page headers" page_headers_ok
	check "consent names the client" has "$(cat "$B")" "MCP agent (local tools)"
	check "consent shows the redirect host" has "$(cat "$B")" '<p class="host">127.0.0.1'
	check "consent shows the redirect URI" has "$(cat "$B")" "$redirect_uri"
	check "consent scope in plain words" has "$(cat "$B")" "Use the tools of this MCP server on your behalf"
	check "consent names the resource" has "$(cat "$B")" "$resource"
	check "consent names the account" has "$(cat "$B")" "<strong>alice</strong>"
	check "consent offers sign out" has "$(cat "$B")" "Not you? Sign out"
	check "consent form-action allows the redirect origin" \
		has "$(hdr content-security-policy)" "form-action 'self' http://127.0.0.1:$cb_port;"
	request_id=$(field request_id)
	consent_csrf=$(field csrf)
	check "consent has request_id" nonempty "$request_id"
	check "consent has csrf" nonempty "$consent_csrf"
	secret "$consent_csrf"
	check "consent for mcp-agent: approve only a tool started on this computer" \
		has "$(cat "$B")" "Approve only if you started a tool on this computer yourself"
	check "consent for mcp-agent: an administrator's name, not its own claim" \
		hasnt "$(cat "$B")" "calls itself"

	# A registered client's name is its own claim: the redirect host is the signal.
	req GET "$base/authorize?response_type=code&client_id=$(enc "$dcr_client")&redirect_uri=$(enc http://127.0.0.1:3000/callback)&code_challenge=$challenge&code_challenge_method=S256&state=dyn" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "consent for a registered client 200" eq "$status" 200
	check "consent: a registered client 'calls itself'" \
		has "$(cat "$B")" "Allow an application that calls itself <strong>HTTP layer test</strong>"
	check "consent: a registered client's name is unverified" has "$(cat "$B")" "nobody has checked it"
	check "consent: no local-tool warning for a registered client" \
		hasnt "$(cat "$B")" "Approve only if you started a tool"

	# mcp-agent's loopback redirect URI may not have a query (a local open
	# redirector would carry the code away): an error page, never a redirect.
	local planted
	for planted in "?next=https://evil.example/" "?code=planted&iss=https://evil.example"; do
		req GET "$base/authorize?${query/redirect_uri=/redirect_uri=$(enc "http://127.0.0.1:$cb_port/callback$planted")&x=}" \
			-H "Cookie: __Host-mcp_oauth_session=$session"
		check "mcp-agent redirect_uri '$planted': 400 page" eq "$status" 400
		check "mcp-agent redirect_uri '$planted': never redirected" eq "$(hdr location)" ""
		check "mcp-agent redirect_uri '$planted': says why" matches "$(cat "$B")" "must not (have a query|name code)"
	done

	# Consent CSRF.
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$request_id" --data-urlencode "decision=approve"
	check "consent without CSRF 403" eq "$status" 403
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$request_id" --data-urlencode "csrf=x$consent_csrf" \
		--data-urlencode "decision=approve"
	check "consent with wrong CSRF 403" eq "$status" 403
	check "consent refusal page headers" page_headers_ok
	req POST "$base/consent" --data-urlencode "request_id=$request_id" \
		--data-urlencode "csrf=$consent_csrf" --data-urlencode "decision=approve"
	check "consent without session 403" eq "$status" 403

	# Session fixation: signing in never keeps a session the browser brought.
	local session2 session3
	sign_in_holding fixed-by-attacker-0123456789 "$return_to"
	session2=$new_session
	check "sign-in with a planted session: 303" eq "$status" 303
	check "sign-in with a planted session: a new session token" matches "$session2" '^.{16,}$'
	check "sign-in with a planted session: not the planted one" hasnt "$session2" fixed-by-attacker
	check "a second sign-in: another session token" hasnt "$session2" "$session"
	# Signing in again ends the session the browser held.
	sign_in_holding "$session2" ""
	session3=$new_session
	check "sign-in again: 303" eq "$status" 303
	check "sign-in again: a new session token" hasnt "$session3" "$session2"
	req GET "$base/login" -H "Cookie: __Host-mcp_oauth_session=$session3"
	check "sign-in again: the new session is signed in" has "$(cat "$B")" "You are signed in"
	req GET "$base/login" -H "Cookie: __Host-mcp_oauth_session=$session2"
	check "sign-in again: the earlier session is over" has "$(cat "$B")" "<h1>Sign in</h1>"
	# The consent CSRF token is bound to its session.
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session3" \
		--data-urlencode "request_id=$request_id" --data-urlencode "csrf=$consent_csrf" \
		--data-urlencode "decision=approve"
	check "consent with another session's CSRF token 403" eq "$status" 403

	# Approve.
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$request_id" --data-urlencode "csrf=$consent_csrf" \
		--data-urlencode "decision=approve"
	location=$(hdr location)
	check "approve 302" eq "$status" 302
	check "approve redirects to the client" has "$location" "$redirect_uri?"
	check "approve returns state" eq "$(util param "$location" state)" "$state"
	check "approve returns iss" eq "$(util param "$location" iss)" "$issuer"
	code=$(util param "$location" code)
	secret "$code"
	check "approve returns a code" nonempty "$code"

	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$request_id" --data-urlencode "csrf=$consent_csrf" \
		--data-urlencode "decision=approve"
	check "consent replay is an error page" eq "$status" 400
	check "consent replay does not redirect" eq "$(hdr location)" ""
	check "consent replay page is HTML" has "$(hdr content-type)" text/html
	check "consent replay page says the request was used" has "$(cat "$B")" "authorization request was already used"

	# Token.
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=authorization_code" --data-urlencode "code=$code" \
		--data-urlencode "redirect_uri=$redirect_uri" --data-urlencode "client_id=mcp-agent" \
		--data-urlencode "code_verifier=$verifier" --data-urlencode "resource=$resource"
	check "code exchange 200" eq "$status" 200
	check "token_type Bearer" matches "$(j .token_type)" '^[Bb]earer$'
	check "token response no-store" has "$(hdr cache-control)" no-store
	access_token=$(j .access_token)
	refresh_token=$(j .refresh_token)
	check "access token issued" nonempty "$access_token"
	check "refresh token issued" nonempty "$refresh_token"
	secret "$access_token" "$refresh_token"
	check "access token is a JWT for the resource" \
		eq "$(util b64url-json "$(echo "$access_token" | cut -d. -f2)" | node -e \
			'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const c=JSON.parse(s);process.stdout.write(String(Array.isArray(c.aud)?c.aud[0]:c.aud))})')" \
		"$resource"

	# /mcp with the token.
	req POST "$base/mcp" -H "Authorization: Bearer $access_token" -H "Content-Type: application/json" \
		-H "Accept: application/json, text/event-stream" -H "X-MCP-Subject: mallory" \
		-H "X-Mcp-Scopes: admin" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "mcp with OAuth token 200" eq "$status" 200
	check "mcp identity: subject" eq "$(j .result.structuredContent.subject)" alice
	check "mcp identity: client" eq "$(j .result.structuredContent.client_id)" mcp-agent
	check "mcp identity: scopes" eq "$(j .result.structuredContent.scopes)" '["mcp:tools","mcp:resources"]'
	check "mcp: Authorization never reaches upstream" \
		eq "$(j .result.structuredContent.authorization_header_received)" false
	check "mcp: client X-MCP-Subject replaced" \
		eq "$(j '.result.structuredContent.x_mcp_headers.x-mcp-subject')" alice
	check "mcp: client X-MCP-Scopes replaced" \
		eq "$(j '.result.structuredContent.x_mcp_headers.x-mcp-scopes')" "mcp:tools mcp:resources"

	# Refresh, then revoke the refresh token: the grant's access tokens stop.
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=refresh_token" --data-urlencode "refresh_token=$refresh_token" \
		--data-urlencode "client_id=mcp-agent" --data-urlencode "resource=$resource"
	check "refresh 200" eq "$status" 200
	check "refresh rotates" nonempty "$(j .refresh_token)"
	local rt2=$(j .refresh_token) at2=$(j .access_token)
	secret "$rt2" "$at2"
	req POST "$revocation_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "token=$rt2" --data-urlencode "client_id=mcp-agent"
	check "revoke refresh token 200" eq "$status" 200
	req POST "$base/mcp" -H "Authorization: Bearer $at2" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "mcp after revocation 401" eq "$status" 401
	check "mcp after revocation invalid_token" has "$(hdr www-authenticate)" 'error="invalid_token"'

	# Deny.
	authorize_query deny-$RANDOM
	req GET "$base/authorize?$query" -H "Cookie: __Host-mcp_oauth_session=$session"
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$(field request_id)" --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "decision=deny"
	check "deny 302" eq "$status" 302
	check "deny access_denied" eq "$(util param "$(hdr location)" error)" access_denied
	check "deny keeps iss" eq "$(util param "$(hdr location)" iss)" "$issuer"

	# A bad request for the person: an error page, never a redirect.
	req GET "$base/authorize?response_type=code&client_id=no-such-client&redirect_uri=$(enc https://evil.example/cb)&code_challenge=$challenge&code_challenge_method=S256" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "unknown client 400 page" eq "$status" 400
	check "unknown client not redirected" eq "$(hdr location)" ""
	check "unknown client page headers" page_headers_ok

	# A self-registered client no person approved: its errors are a page for
	# the person, never a 302 to its redirect URI (open redirector, RFC 9700
	# 4.11.2).  Trust is per redirect URI: an insider registers a harmless
	# URI and a phishing page and approves a request to the harmless one;
	# the phishing page, which no person approved, stays untrusted.
	local phish ok_uri=https://ok.example/cb evil_uri=https://evil.example/phish
	req POST "$base/register" -H "Content-Type: application/json" \
		-d "{\"redirect_uris\":[\"$ok_uri\",\"$evil_uri\"],\"token_endpoint_auth_method\":\"none\",\"client_name\":\"phish $$\"}"
	phish=$(j .client_id)
	check "phishing client registered" eq "$status" 201
	req GET "$base/authorize?response_type=x&client_id=$phish&redirect_uri=$(enc "$evil_uri")" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "unapproved client's error 400 page" eq "$status" 400
	check "unapproved client's error not redirected" eq "$(hdr location)" ""
	req GET "$base/authorize?response_type=code&client_id=$phish&redirect_uri=$(enc "$ok_uri")&code_challenge=$challenge&code_challenge_method=S256&state=s" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "phishing client: consent page for the harmless URI" eq "$status" 200
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "request_id=$(field request_id)" --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "decision=approve"
	check "phishing client: approved with the harmless URI" has "$(hdr location)" "$ok_uri?code="
	secret "$(util param "$(hdr location)" code)"
	req GET "$base/authorize?response_type=x&client_id=$phish&redirect_uri=$(enc "$evil_uri")" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "never approved URI: error 400 page" eq "$status" 400
	check "never approved URI: not redirected" eq "$(hdr location)" ""
	req GET "$base/authorize?response_type=x&client_id=$phish&redirect_uri=$(enc "$ok_uri")" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "approved URI: error redirected" eq "$status" 302
	check "approved URI: error to it" has "$(hdr location)" "$ok_uri?error=unsupported_response_type"

	# A request the client may hear about: redirected with the error.
	authorize_query pkce-$RANDOM
	req GET "$base/authorize?${query/code_challenge_method=S256/code_challenge_method=plain}" \
		-H "Cookie: __Host-mcp_oauth_session=$session"
	check "plain PKCE redirected with an error" eq "$status" 302
	check "plain PKCE error names the redirect" has "$(hdr location)" "$redirect_uri?"

	# Sign out.
	req GET "$base/authorize?$query" -H "Cookie: __Host-mcp_oauth_session=$session"
	local sign_out_csrf
	sign_out_csrf=$(field csrf)
	req POST "$base/logout" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "csrf=wrong" --data-urlencode "return_to=/authorize?$query"
	check "sign out with wrong CSRF 403" eq "$status" 403
	req POST "$base/logout" -H "Cookie: __Host-mcp_oauth_session=$session" \
		--data-urlencode "csrf=$sign_out_csrf" --data-urlencode "return_to=/authorize?$query"
	check "sign out 303" eq "$status" 303
	check "sign out back to the request" eq "$(hdr location)" "/authorize?$query"
	check "sign out clears the cookie" has "$(set_cookie __Host-mcp_oauth_session)" "Max-Age=0"
	req GET "$base/authorize?$query" -H "Cookie: __Host-mcp_oauth_session=$session"
	check "old session shows the sign-in page" has "$(cat "$B")" 'type="password"'
	req GET "$base/logout"
	check "GET /logout signed out 200" eq "$status" 200
	req GET "$base/login"
	check "GET /login 200" eq "$status" 200
	check "GET /login page headers" page_headers_ok
}

# ---- a loopback redirect URI registered without a port (issue 14) ----

# A token request exchanging code for client $1, naming redirect URI $2
# (verifier $verifier); sets status.
exchange_code() {
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=authorization_code" --data-urlencode "code=$code" \
		--data-urlencode "redirect_uri=$2" --data-urlencode "client_id=$1" \
		--data-urlencode "code_verifier=$verifier" --data-urlencode "resource=$resource"
}

# Claude Code registers (and publishes) http://localhost/callback and
# http://127.0.0.1/callback, without a port or application_type, and
# listens on the port the system gives it at each sign-in: end to end
# through the sign-in and consent pages to /mcp, the code sent to that
# port and exchanged naming it (RFC 8252 7.3).
test_loopback_ports() {
	local cid s p other code pair at
	req POST "$registration_endpoint" -H "Content-Type: application/json" \
		-d "{\"redirect_uris\":[\"http://localhost/callback\",\"http://127.0.0.1/callback\"],\"token_endpoint_auth_method\":\"none\",\"client_name\":\"Claude Code shaped $$\"}"
	check "portless loopback: registered" eq "$status" 201
	check "portless loopback: native" eq "$(j .application_type)" native
	check "portless loopback: kept without a port" eq "$(j .redirect_uris[0])" http://localhost/callback
	cid=$(j .client_id)
	p=$((49152 + RANDOM % 16000))	# the dynamic range, where systems pick ports
	other=$((p + 1))
	pair=$(util pkce)
	verifier=$(echo "$pair" | sed -n 1p)
	secret "$verifier"
	query="response_type=code&client_id=$cid&redirect_uri=$(enc "http://localhost:$p/callback")&state=lp"
	query="$query&code_challenge=$(echo "$pair" | sed -n 2p)&code_challenge_method=S256"
	query="$query&scope=mcp:tools&resource=$(enc "$resource")"
	req GET "$base/authorize?$query"
	check "portless loopback: the sign-in page for port $p" has "$(cat "$B")" 'type="password"'
	check "portless loopback: sign-in form-action allows that port" \
		has "$(hdr content-security-policy)" "form-action 'self' http://localhost:$p;"
	sign_in
	s=$session
	secret "$s"
	check "portless loopback: signed in" eq "$status" 303
	req GET "$base/authorize?$query" -H "Cookie: __Host-mcp_oauth_session=$s"
	check "portless loopback: consent page" eq "$status" 200
	check "portless loopback: consent names the host and port" \
		has "$(cat "$B")" "<p class=\"host\">localhost:$p <span class=\"muted\">(an application on this computer)"
	check "portless loopback: consent shows the URI with its port" \
		has "$(cat "$B")" "http://localhost:$p/callback"
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$s" \
		--data-urlencode "request_id=$(field request_id)" --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "decision=approve"
	check "portless loopback: approved, 302" eq "$status" 302
	check "portless loopback: to the port of the request" has "$(hdr location)" "http://localhost:$p/callback?code="
	code=$(util param "$(hdr location)" code)
	secret "$code"
	exchange_code "$cid" http://localhost/callback
	check "portless loopback: the registered form at the token endpoint: invalid_grant" \
		eq "$(j .error)" invalid_grant
	exchange_code "$cid" "http://localhost:$p/callback"
	check "portless loopback: the URI of the request: tokens" eq "$status" 200
	at=$(j .access_token)
	secret "$at" "$(j .refresh_token)"
	req POST "$base/mcp" -H "Authorization: Bearer $at" -H "Content-Type: application/json" \
		-H "Accept: application/json, text/event-stream" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "portless loopback: /mcp with the token" eq "$(j .result.structuredContent.client_id)" "$cid"

	# The next run listens on another port: the URI the person approved is
	# trusted there too, so an error goes back to the app; 127.0.0.1, which
	# nobody approved, gets the person's page, and [::1] was never registered.
	req GET "$base/authorize?response_type=token&client_id=$cid&redirect_uri=$(enc "http://localhost:$other/callback")&state=lp" \
		-H "Cookie: __Host-mcp_oauth_session=$s"
	check "portless loopback: another port, an error redirected" \
		has "$(hdr location)" "http://localhost:$other/callback?error=unsupported_response_type"
	req GET "$base/authorize?response_type=token&client_id=$cid&redirect_uri=$(enc "http://127.0.0.1:$other/callback")&state=lp" \
		-H "Cookie: __Host-mcp_oauth_session=$s"
	check "portless loopback: the unapproved host, the person's page" eq "$status" 400
	check "portless loopback: the unapproved host, not redirected" eq "$(hdr location)" ""
	req GET "$base/authorize?${query/localhost%3A$p/%5B%3A%3A1%5D%3A$p}" -H "Cookie: __Host-mcp_oauth_session=$s"
	check "portless loopback: [::1] is not localhost" has "$(cat "$B")" "redirect_uri is not registered for this client"
}

# ---- the gateway ----

test_gateway() {
	local pat pat_res challenge sid
	pat=$(cat "$work/pat_tools")
	pat_res=$(cat "$work/pat_resources")
	challenge="Bearer resource_metadata=\"$base/.well-known/oauth-protected-resource/mcp\""

	req POST "$base/mcp" -H "Content-Type: application/json" -H "Origin: $base" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "mcp without token 401" eq "$status" 401
	check "401 challenge names resource_metadata" has "$(hdr www-authenticate)" "$challenge"
	check "401 challenge names scope" has "$(hdr www-authenticate)" 'scope="mcp:tools"'
	check "401 without token has no error code" hasnt "$(hdr www-authenticate)" 'error='
	check "401 CORS origin" eq "$(hdr access-control-allow-origin)" "*"
	check "401 CORS exposes WWW-Authenticate" has "$(hdr access-control-expose-headers)" WWW-Authenticate

	req POST "$base/mcp" -H "Authorization: Basic YTpi" -H "Content-Type: application/json" -d '{}'
	check "mcp with Basic 401" eq "$status" 401
	check "Basic gets the Bearer challenge" has "$(hdr www-authenticate)" "$challenge"

	req POST "$base/mcp" -H "Authorization: Bearer not-a-real-token" -H "Content-Type: application/json" -d '{}'
	check "mcp with unknown token 401" eq "$status" 401
	check "unknown token invalid_token" has "$(hdr www-authenticate)" 'error="invalid_token"'
	check "unknown token challenge keeps resource_metadata" has "$(hdr www-authenticate)" resource_metadata=

	req POST "$base/mcp" -H "Authorization: Bearer bad token!" -H "Content-Type: application/json" -d '{}'
	check "mcp with malformed bearer 401" eq "$status" 401

	# RFC 6750 3.1: a method we do not support is no credentials at all.
	req POST "$base/mcp?access_token=$pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "token only in the query string: 401" eq "$status" 401
	check "token only in the query string: the challenge" \
		eq "$(hdr www-authenticate)" "$challenge, scope=\"mcp:tools\""
	check "token only in the query string: no error code" hasnt "$(hdr www-authenticate)" "error="
	check "token only in the query string: never forwarded" hasnt "$(cat "$B")" structuredContent
	check "token only in the query string: CORS" eq "$(hdr access-control-allow-origin)" "*"

	# Origin (MCP Streamable HTTP, against DNS rebinding): none, or the
	# server's own unless --allowed-origins names more.
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Origin: https://evil.example" -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "foreign Origin 403" eq "$status" 403
	check "foreign Origin: a JSON error" eq "$(j .error)" forbidden
	check "foreign Origin: never forwarded" hasnt "$(cat "$B")" structuredContent
	req OPTIONS "$base/mcp" -H "Origin: https://evil.example" -H "Access-Control-Request-Method: POST"
	check "foreign Origin preflight 403" eq "$status" 403
	req POST "$base/mcp" -H "Content-Type: application/json" -H "Origin: null" -d '{}'
	check "Origin null 403" eq "$status" 403
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Origin: http://localhost:$port" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "another name for this server (rebinding) 403" eq "$status" 403
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Origin: $base" -H "Origin: https://evil.example" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "two Origin headers 403" eq "$status" 403
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Origin: ${base/http:/HTTP:}" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "own Origin, scheme in capitals: 200" eq "$status" 200
	check "log: a refused Origin" grep -qF 'gateway: refused Origin "https://evil.example"' "$srv_log"

	req POST "$base/mcp" -H "Authorization: Bearer $pat_res" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "PAT without mcp:tools 403" eq "$status" 403
	check "403 insufficient_scope" has "$(hdr www-authenticate)" 'error="insufficient_scope"'
	check "403 names the needed scope" has "$(hdr www-authenticate)" 'scope="mcp:tools"'

	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Accept: application/json, text/event-stream" -H "Origin: $base" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	check "initialize through the gateway 200" eq "$status" 200
	check "initialize result" eq "$(j .result.serverInfo.name)" whoami
	sid=$(hdr mcp-session-id)
	check "Mcp-Session-Id passed back" nonempty "$sid"
	check "proxied answer CORS origin" eq "$(hdr access-control-allow-origin)" "*"
	check "proxied answer exposes Mcp-Session-Id" has "$(hdr access-control-expose-headers)" Mcp-Session-Id
	check "upstream saw no Authorization" eq "$(hdr x-demo-saw-authorization)" no

	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Mcp-Session-Id: $sid" -H "MCP-Protocol-Version: 2025-06-18" \
		-H "Cookie: __Host-mcp_oauth_session=secret-session; theme=dark" \
		-d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami"}}'
	check "PAT whoami 200" eq "$status" 200
	check "PAT identity subject" eq "$(j .result.structuredContent.subject)" alice
	check "PAT identity scopes" eq "$(j .result.structuredContent.scopes)" '["mcp:tools"]'
	check "consent cookies not forwarded" eq "$(j .result.structuredContent.cookie_header)" "theme=dark"

	req POST "$base/mcp?sse=1" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "Accept: application/json, text/event-stream" \
		-d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami"}}'
	check "SSE answer passed through" has "$(hdr content-type)" text/event-stream
	util sse "$B" >"$work/sse.json"
	check "SSE event carries the identity" eq "$(util json "$work/sse.json" .result.structuredContent.subject)" alice

	req GET "$base/mcp" -H "Authorization: Bearer $pat" -H "Accept: text/event-stream" -H "Mcp-Session-Id: $sid"
	check "GET stream 200" eq "$status" 200
	check "GET stream is SSE" has "$(hdr content-type)" text/event-stream
	check "GET stream event arrives" has "$(cat "$B")" "notifications/message"
	# The upstream holds the stream open for 2.5 s after its event: the event
	# must arrive through the gateway long before the stream ends.
	curl -sS -o "$work/stream.body" --max-time 1.5 "$base/mcp" -H "Authorization: Bearer $pat" \
		-H "Accept: text/event-stream" -H "Mcp-Session-Id: $sid" 2>/dev/null
	check "GET stream event streams before the stream ends" \
		has "$(cat "$work/stream.body")" "notifications/message"

	req DELETE "$base/mcp" -H "Authorization: Bearer $pat" -H "Mcp-Session-Id: $sid"
	check "DELETE session 204" eq "$status" 204
	req DELETE "$base/mcp" -H "Mcp-Session-Id: $sid"
	check "DELETE without token 401" eq "$status" 401

	req OPTIONS "$base/mcp" -H "Origin: $base" -H "Access-Control-Request-Method: POST" \
		-H "Access-Control-Request-Headers: authorization, content-type, mcp-protocol-version, mcp-session-id"
	check "mcp preflight 204" eq "$status" 204
	check "mcp preflight origin" eq "$(hdr access-control-allow-origin)" "*"
	check "mcp preflight allows Authorization" has "$(hdr access-control-allow-headers)" Authorization
	check "mcp preflight allows MCP-Protocol-Version" has "$(hdr access-control-allow-headers)" MCP-Protocol-Version
	check "mcp preflight allows Mcp-Session-Id" has "$(hdr access-control-allow-headers)" Mcp-Session-Id
	check "mcp preflight allows DELETE" has "$(hdr access-control-allow-methods)" DELETE

	req PUT "$base/mcp" -H "Authorization: Bearer $pat"
	check "PUT /mcp 405" eq "$status" 405
	req POST "$base/mcp/other" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" -d '{}'
	check "/mcp/other 404" eq "$status" 404

	# Identity headers in every spelling a backend might fold into one.
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "X_MCP_Subject: mallory" -H "x-mcp-SUBJECT: eve" -H "X-Mcp-Client-Id: evil" \
		-H "X-MCP-Extra: 1" -H "Proxy-Authorization: Bearer $pat" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "identity headers: 200" eq "$status" 200
	check "identity headers: only ours reach the upstream" \
		eq "$(j .result.structuredContent.x_mcp_headers)" '{"x-mcp-subject":"alice","x-mcp-client-id":"","x-mcp-scopes":"mcp:tools"}'
	check "identity headers: subject" eq "$(j .result.structuredContent.subject)" alice

	# RFC 6750 / 7235: the scheme is case-insensitive; one Authorization only.
	req POST "$base/mcp" -H "Authorization: bEaReR $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "bearer scheme case-insensitive" eq "$status" 200
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Authorization: Bearer $pat" \
		-H "Content-Type: application/json" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "two Authorization headers 400" eq "$status" 400
	req POST "$base/mcp" -H "Authorization: Bearer $pat, Bearer $pat_res" \
		-H "Content-Type: application/json" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "two tokens in one header 401" eq "$status" 401
	check "two tokens in one header invalid_token" has "$(hdr www-authenticate)" 'error="invalid_token"'

	# A token in the query string, however it is spelled, is refused.
	local q
	for q in "a=1&access_token=$pat" "access_token" "%61ccess_token=$pat" "a=%zz"; do
		req POST "$base/mcp?$q" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
			-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
		check "query '${q%%=*}' refused 400" eq "$status" 400
	done

	# Only the exact path is the protected resource.
	for q in /MCP /mcpx /mcp/ /%6dcp /x/../mcp /mcp/. "/mcp;a"; do
		req POST "$base$q" --path-as-is -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
			-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
		check "path $q is not the resource (404)" eq "$status" 404
	done

	# Methods and sizes.
	req HEAD "$base/mcp" -I -H "Authorization: Bearer $pat"
	check "HEAD /mcp 405" eq "$status" 405
	req TRACE "$base/mcp" -H "Authorization: Bearer $pat"
	check "TRACE /mcp 405" eq "$status" 405
	check "405 Allow names the gateway methods" eq "$(hdr allow)" "GET, POST, DELETE, OPTIONS"
	head -c 70000 /dev/zero | tr '\0' 'a' >"$work/big"
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		--data-binary "@$work/big"
	check "oversized /mcp body 413" eq "$status" 413

	# Upstream down: a gateway error, then service again once it is back.
	kill "$demo_pid" && wait "$demo_pid" 2>/dev/null
	demo_pid=""
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "upstream down 502" eq "$status" 502
	start_demo
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "upstream back 200" eq "$status" 200
}

# ---- database restart ----

test_db_restart() {
	local pat ok=""
	pat=$(cat "$work/pat_tools")
	as_cluster_user "$PG_BIN/pg_ctl" -D "$TEST_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1
	req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
		-d "grant_type=nonsense&client_id=mcp-agent"
	check "database down: token 503" eq "$status" 503
	check "database down: Retry-After" nonempty "$(hdr retry-after)"
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "database down: mcp 503" eq "$status" 503
	req GET "$base/authorize?x=1" -H "Cookie: __Host-mcp_oauth_session=abc"
	check "database down: page 503" eq "$status" 503
	req GET "$base/readyz"
	check "database down: readyz 503" eq "$status" 503
	cluster_start "$TEST_CLUSTER_DIR" "$PGPORT" fsync=off max_connections=100 \
		max_prepared_transactions=10 >/dev/null
	for _ in $(seq 1 60); do
		req POST "$token_endpoint" -H "Content-Type: application/x-www-form-urlencoded" \
			-d "grant_type=nonsense&client_id=mcp-agent"
		[ "$status" = 400 ] && { ok=1; break; }
		sleep 0.25
	done
	check "database back: token recovers without restart" eq "${ok:-no}" 1
	req POST "$base/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "database back: mcp 200" eq "$status" 200
}

# ---- the metadata cache (--metadata-cache-ms) ----

# resp_save NAME: the last response's headers (without Date, names lowercased,
# sorted) and body as $work/NAME.h and $work/NAME.b.
resp_save() {
	tr -d '\r' <"$H" | grep -vi '^date:' | sed 's/^\([^:]*\):/\L\1:/' | sort >"$work/$1.h"
	cp "$B" "$work/$1.b"
}
# same_resp A B: saved responses A and B are byte-identical (but for Date).
same_resp() {
	cmp -s "$work/$1.h" "$work/$2.h" && cmp -s "$work/$1.b" "$work/$2.b" && return 0
	diff "$work/$1.h" "$work/$2.h"; cmp "$work/$1.b" "$work/$2.b"; return 1
}
# differ_resp A B: the bodies of saved responses A and B differ.
differ_resp() { ! cmp -s "$work/$1.b" "$work/$2.b" || { echo "same body"; return 1; }; }

# start_extra BINARY PORT CACHE_MS: a one-thread server for the same issuer; pid in extra_pid.
start_extra() {
	"$1" --listen "127.0.0.1:$2" --issuer "$issuer" --threads 1 --metadata-cache-ms "$3" \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role" \
		--upstream "http://127.0.0.1:$up_port/mcp" >>"$work/server.$suite_name.cache$3.log" 2>&1 &
	extra_pid=$!
}

# wait_ready URL [curl args...]: until URL/readyz answers 200 (false after
# 30 s: a sanitizer build under a loaded CI machine can take more than 10).
wait_ready() {
	local url=$1; shift
	for _ in $(seq 1 300); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url/readyz")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

test_metadata_cache() {
	# Three servers: a 2 s window (to see it end), a 60 s window (to see it
	# hold, with no race against a slow machine) and no cache.
	local binary=$1 pc pl pu bc bl bu cpid lpid upid path n i ok
	pc=$(free_port) && pl=$(free_port) && pu=$(free_port) || return
	bc=http://127.0.0.1:$pc bl=http://127.0.0.1:$pl bu=http://127.0.0.1:$pu
	start_extra "$binary" "$pc" 2000; cpid=$extra_pid
	start_extra "$binary" "$pl" 60000; lpid=$extra_pid
	start_extra "$binary" "$pu" 0; upid=$extra_pid
	if ! { wait_ready "$bc" && wait_ready "$bl" && wait_ready "$bu"; }; then
		check "cache: test servers start" false
		tail -n 5 "$work"/server."$suite_name".cache*.log >&2
		kill "$cpid" "$lpid" "$upid" 2>/dev/null
		return
	fi

	# First answer (from the database), second (from the cache) and an
	# uncached server's: byte-identical headers and bodies.
	n=0
	for path in /.well-known/oauth-authorization-server /.well-known/openid-configuration \
		/.well-known/oauth-protected-resource /.well-known/oauth-protected-resource/mcp \
		/.well-known/jwks.json; do
		n=$((n + 1))
		req GET "$bc$path" -H "Origin: https://app.example"; resp_save "miss$n"
		check "cache: $path 200" eq "$status" 200
		req GET "$bc$path" -H "Origin: https://app.example"; resp_save "hit$n"
		req GET "$bu$path" -H "Origin: https://app.example"; resp_save "off$n"
		check "cache: $path cached answer identical to the first" same_resp "miss$n" "hit$n"
		check "cache: $path cached answer identical to an uncached server's" same_resp "hit$n" "off$n"
		check "cache: $path cached answer keeps CORS" eq "$(hdr access-control-allow-origin)" "*"
	done
	check "cache: AS metadata keeps its content type" matches "$(grep '^content-type:' "$work/hit1.h")" application/json

	# A new signing key: the uncached server shows it at once, a cached one
	# not within its window, and after it.
	req GET "$bc/.well-known/jwks.json"; resp_save jwks_c0
	req GET "$bl/.well-known/jwks.json"; resp_save jwks_l0
	psql -X -q -d "$db" -c "SELECT mcp_oauth.rotate_signing_key() IS NOT NULL" >/dev/null
	req GET "$bu/.well-known/jwks.json"; resp_save jwks_u1
	check "cache: uncached server shows the new key at once" differ_resp jwks_c0 jwks_u1
	req GET "$bl/.well-known/jwks.json"; resp_save jwks_l1
	check "cache: within the window the cached JWKS is served" same_resp jwks_l0 jwks_l1
	sleep 2.1
	req GET "$bc/.well-known/jwks.json"; resp_save jwks_c2
	check "cache: after the window the new key shows" same_resp jwks_c2 jwks_u1

	# Stale while revalidating: with the server's database sessions stalled
	# (SIGSTOP), the request that finds the entry stale waits for the
	# database; the others get the stale copy at once instead of queueing.
	local stalled swr
	req GET "$bc/.well-known/oauth-authorization-server"; resp_save swr0
	sleep 2.1
	stalled=$(psql -X -tA -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE usename = '$role'")
	# shellcheck disable=SC2086
	kill -STOP $stalled
	curl -s -o "$work/swr1.b" -w '%{http_code}' --max-time 10 \
		"$bc/.well-known/oauth-authorization-server" >"$work/swr1.status" &
	swr=$!
	sleep 0.3
	req GET "$bc/.well-known/oauth-authorization-server" --max-time 1.5; resp_save swr2
	check "cache: stale entry under refresh: 200 at once" eq "$status" 200
	check "cache: stale entry under refresh: the stale answer" same_resp swr0 swr2
	# shellcheck disable=SC2086
	kill -CONT $stalled
	wait "$swr"
	check "cache: the refreshing request gets its answer" eq "$(cat "$work/swr1.status")" 200
	check "cache: the refreshing request's answer is the metadata" cmp -s "$work/swr1.b" "$work/swr0.b"

	# Database down: cached metadata is still served within the window (it is
	# public and at most seconds old); readiness and uncached answers say 503.
	req GET "$bc/.well-known/oauth-authorization-server"
	req GET "$bl/.well-known/oauth-authorization-server"; resp_save down0
	as_cluster_user "$PG_BIN/pg_ctl" -D "$TEST_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1
	req GET "$bl/.well-known/oauth-authorization-server"; resp_save down1
	check "cache: database down, cached metadata still 200" eq "$status" 200
	check "cache: database down, the same answer" same_resp down0 down1
	req GET "$bu/.well-known/oauth-authorization-server"
	check "cache: database down, uncached metadata 503" eq "$status" 503
	req GET "$bc/readyz"
	check "cache: database down, readyz 503 despite the cache" eq "$status" 503
	sleep 2.1
	req GET "$bc/.well-known/oauth-authorization-server"
	check "cache: database down, after the window 503" eq "$status" 503
	cluster_start "$TEST_CLUSTER_DIR" "$PGPORT" fsync=off max_connections=100 \
		max_prepared_transactions=10 >/dev/null
	ok=""
	for i in $(seq 1 60); do
		req GET "$bc/.well-known/oauth-authorization-server"
		[ "$status" = 200 ] && { ok=1; break; }
		sleep 0.25
	done
	check "cache: database back, metadata 200" eq "${ok:-no}" 1
	kill -TERM "$cpid" "$lpid" "$upid" 2>/dev/null
	wait "$cpid"; ok=$?
	wait "$lpid"; ok=$ok,$?
	wait "$upid"; ok=$ok,$?
	check "cache: test servers exit 0" eq "$ok" 0,0,0
	if [ "$suite_name" = asan ]; then
		check "cache: no sanitizer report" sanitizer_clean "$work/server.asan.cache2000.log"
		check "cache: no sanitizer report (long window)" sanitizer_clean "$work/server.asan.cache60000.log"
		check "cache: no sanitizer report (uncached)" sanitizer_clean "$work/server.asan.cache0.log"
	fi
}

# ---- SIGTERM drain ----

test_drain() {
	local pat slow_pid
	pat=$(cat "$work/pat_tools")
	curl -sS -o "$work/slow.body" -w '%{http_code}' --max-time 20 -X POST "$base/mcp" \
		-H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-H "X-Demo-Delay-Ms: 1500" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}' \
		>"$work/slow.status" 2>&1 &
	slow_pid=$!
	sleep 0.5
	kill -TERM "$srv_pid"
	wait "$slow_pid"
	check "drain: request in flight completes" eq "$(cat "$work/slow.status")" 200
	check "drain: with its answer" eq "$(util json "$work/slow.body" .result.structuredContent.subject)" alice
	wait "$srv_pid"
	local rc=$?
	srv_pid=""
	check "drain: exit status 0" eq "$rc" 0
}

# extra_database DB ISSUER RESOURCE: a database with the extension, the
# account alice, mcp_oauth.issuer and mcp_oauth.resources.
extra_database() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $1" >/dev/null &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$1" >/dev/null <<-SQL
		CREATE EXTENSION pgcrypto;
		CREATE EXTENSION mcp_oauth;
		SELECT mcp_oauth.create_account('alice', '$password');
		ALTER DATABASE $1 SET mcp_oauth.issuer = '$2';
		ALTER DATABASE $1 SET mcp_oauth.resources = '$3';
		ALTER DATABASE $1 SET mcp_oauth.registration_rate_limit = 100000;
		ALTER DATABASE $1 SET mcp_oauth.client_metadata_fetch_rate_limit = 100000;
		SQL
}

# ---- an issuer with a path: discovery variants and page paths ----

test_issuer_path() {
	local p2 b2 iss2 db2=${db}_path q rt lc
	p2=$(free_port) || return
	b2=http://127.0.0.1:$p2
	iss2=$b2/tenant
	suite_name=issuer-path
	suite="[issuer-path] "
	extra_database "$db2" "$iss2" "$b2/mcp"
	if ! start_server "$top/shim/mcp-oauth-server" "$p2" "$iss2" "$db2"; then
		check "server starts" false
		return
	fi
	req GET "$b2/.well-known/oauth-authorization-server/tenant"
	check "path insertion AS metadata 200" eq "$status" 200
	check "path insertion AS metadata issuer" eq "$(j .issuer)" "$iss2"
	check "endpoints under the issuer path" eq "$(j .authorization_endpoint)" "$iss2/authorize"
	req GET "$b2/.well-known/openid-configuration/tenant"
	check "path insertion OIDC 200" eq "$status" 200
	check "path insertion OIDC issuer" eq "$(j .issuer)" "$iss2"
	req GET "$b2/tenant/.well-known/openid-configuration"
	check "path appended OIDC 200" eq "$status" 200
	check "path appended OIDC issuer" eq "$(j .issuer)" "$iss2"
	req GET "$b2/.well-known/oauth-protected-resource/mcp"
	check "PRM names the issuer with its path" eq "$(j .authorization_servers[0])" "$iss2"
	req POST "$b2/mcp" -H "Content-Type: application/json" -d '{}'
	check "401 resource_metadata at the origin" has "$(hdr www-authenticate)" \
		"resource_metadata=\"$b2/.well-known/oauth-protected-resource/mcp\""

	q="response_type=code&client_id=mcp-agent&redirect_uri=$(enc http://127.0.0.1:9/cb)&code_challenge=$challenge&code_challenge_method=S256&state=s"
	req GET "$iss2/authorize?$q"
	check "sign-in page under the issuer path" eq "$status" 200
	check "sign-in form posts under the issuer path" has "$(cat "$B")" 'action="/tenant/login"'
	rt=$(field return_to)
	check "return_to under the issuer path" eq "$rt" "/tenant/authorize?$q"
	lc=$(cookie __Host-mcp_oauth_login)
	req POST "$iss2/login" -H "Cookie: __Host-mcp_oauth_login=$lc" --data-urlencode "csrf=$lc" \
		--data-urlencode "return_to=/authorize?$q" --data-urlencode "username=alice" \
		--data-urlencode "password=$password"
	check "return_to outside the issuer path refused" eq "$status" 400
	req POST "$iss2/login" -H "Cookie: __Host-mcp_oauth_login=$lc" --data-urlencode "csrf=$lc" \
		--data-urlencode "return_to=$rt" --data-urlencode "username=alice" \
		--data-urlencode "password=$password"
	check "sign-in under the issuer path 303" eq "$status" 303
	check "sign-in returns under the issuer path" eq "$(hdr location)" "$rt"
	stop_server
	check "issuer-path server exits 0" eq "$srv_rc" 0
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db2" >/dev/null 2>&1
}

# ---- --trusted-proxies: the client address behind a reverse proxy ----

# start_proxied BINARY PORT LOG [CONNINFO...]: a server on PORT that trusts
# 127.0.0.1 as a proxy, its database connections with CONNINFO added;
# sets proxied_pid.
start_proxied() {
	local binary=$1 p=$2 log=$3; shift 3
	"$binary" --listen "127.0.0.1:$p" --issuer "$issuer" --threads 1 \
		--trusted-proxies 127.0.0.1/32 \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role $*" \
		--upstream "http://127.0.0.1:$up_port/mcp" >>"$log" 2>&1 &
	proxied_pid=$!
	wait_ready "http://127.0.0.1:$p" && return 0
	kill "$proxied_pid"; wait "$proxied_pid"; return 1
}

# proxy_login BASE ADDR USER PASSWORD: a sign-in through BASE from the
# client ADDR (X-Forwarded-For); sets status.
proxy_login() {
	local lc
	req GET "$1/login"
	lc=$(cookie __Host-mcp_oauth_login)
	req POST "$1/login" -H "Cookie: __Host-mcp_oauth_login=$lc" -H "X-Forwarded-For: $2" \
		--data-urlencode "csrf=$lc" --data-urlencode "return_to=" \
		--data-urlencode "username=$3" --data-urlencode "password=$4"
}

# Stop the server of start_proxied; check it exits 0 (and, under ASan, clean).
stop_proxied() {
	local rc
	kill -TERM "$proxied_pid" 2>/dev/null
	wait "$proxied_pid"; rc=$?
	check "$1: server exits 0" eq "$rc" 0
	if [ "$suite_name" = asan ]; then
		check "$1: no sanitizer report" sanitizer_clean "$2"
	fi
}

# xff_register BASE NAME [curl args...]: register a client through BASE and
# print the client_addr of its newest 'client_registered' audit row.
xff_register() {
	local b=$1 name=$2 cid; shift 2
	req POST "$b/register" -H "Content-Type: application/json" "$@" \
		-d "{\"redirect_uris\":[\"http://127.0.0.1:3000/callback\"],\"token_endpoint_auth_method\":\"none\",\"client_name\":\"xff $name $$\"}"
	cid=$(j .client_id)
	[ "$status" = 201 ] && [ -n "$cid" ] || { echo "register $status"; return; }
	psql -X -q -A -t -d "$db" -c "SELECT host(client_addr) FROM mcp_oauth.audit_log
		WHERE event = 'client_registered' AND client_id = '$cid'
		ORDER BY audit_id DESC LIMIT 1"
}

test_trusted_proxies() {
	local binary=$1 pt bt log=$work/server.$suite_name.trusted.log
	pt=$(free_port) || return
	bt=http://127.0.0.1:$pt
	start_proxied "$binary" "$pt" "$log" || { check "trusted proxies: server starts" false; return; }

	check "trusted proxies: X-Forwarded-For of a trusted peer names the client" eq \
		"$(xff_register "$bt" one -H 'X-Forwarded-For: 203.0.113.9')" 203.0.113.9
	check "trusted proxies: the rightmost entry wins, the spoofable left is ignored" eq \
		"$(xff_register "$bt" two -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9')" 203.0.113.9
	check "trusted proxies: trusted entries are skipped from the right" eq \
		"$(xff_register "$bt" three -H 'X-Forwarded-For: 203.0.113.9, 127.0.0.1')" 203.0.113.9
	check "trusted proxies: repeated headers are one list in order" eq \
		"$(xff_register "$bt" four -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-For: 198.51.100.2, 127.0.0.1')" 198.51.100.2
	check "trusted proxies: IPv6 client in canonical form" eq \
		"$(xff_register "$bt" five -H 'X-Forwarded-For: 2001:DB8:0:0::7')" 2001:db8::7
	check "trusted proxies: garbage entry, the peer address" eq \
		"$(xff_register "$bt" six -H 'X-Forwarded-For: 198.51.100.1, not-an-address')" 127.0.0.1
	check "trusted proxies: address with a port is not an address, the peer" eq \
		"$(xff_register "$bt" seven -H 'X-Forwarded-For: 203.0.113.9:4711')" 127.0.0.1
	check "trusted proxies: empty header, the peer address" eq \
		"$(xff_register "$bt" eight -H 'X-Forwarded-For;')" 127.0.0.1
	check "trusted proxies: no header, the peer address" eq "$(xff_register "$bt" nine)" 127.0.0.1
	check "trusted proxies: untrusted peer's X-Forwarded-For ignored" eq \
		"$(xff_register "$base" ten -H 'X-Forwarded-For: 203.0.113.9')" 127.0.0.1
	stop_proxied "trusted proxies" "$log"
}

# ---- rate limits: an IPv6 client counts by its /64; READ COMMITTED only ----

# Sign-ins rotating through one IPv6 /64, under a new username each time,
# share the address's count; at REPEATABLE READ or SERIALIZABLE, where the
# counts could not see concurrent attempts, a sign-in fails with a 500
# before its password is checked (issue 12 follow-ups A and B).
# proxy_register BASE ADDR NAME: register a public loopback client through
# BASE from the client ADDR (X-Forwarded-For), as a browser page would.
proxy_register() {
	req POST "$1/register" -H "Content-Type: application/json" -H "Origin: https://app.example" \
		-H "X-Forwarded-For: $2" \
		-d "{\"redirect_uris\":[\"http://127.0.0.1/callback\"],\"token_endpoint_auth_method\":\"none\",\"client_name\":\"$3 $$\"}"
}

# A registration refused by the limit says when to come back (issue 14):
# Retry-After, the limit's hour, readable by a page (CORS); the address's
# bucket is filled up to the test database's limit beforehand.  BASE LOG:
# a server that trusts 127.0.0.1 as a proxy, and its log.
test_register_retry_after() {
	local bucket="register:addr:203.0.113.77"
	psql -X -q -d "$db" -c "INSERT INTO mcp_oauth.rate_limits (bucket, window_start, hits)
		VALUES ('$bucket', now(), current_setting('mcp_oauth.registration_rate_limit')::int)"
	proxy_register "$1" 203.0.113.77 "over the limit"
	check "registration over the limit: 429" eq "$status" 429
	check "registration over the limit: temporarily_unavailable" eq "$(j .error)" temporarily_unavailable
	check "registration over the limit: Retry-After, the limit's hour" eq "$(hdr retry-after)" 3600
	check "registration over the limit: a page may read Retry-After" \
		has "$(hdr access-control-expose-headers)" Retry-After
	check "log: the refused registration" grep -qF 'register: refused 429 error=temporarily_unavailable' "$2"
	proxy_register "$1" 203.0.113.78 "under the limit"
	check "registration under the limit: 201" eq "$status" 201
	check "registration under the limit: no Retry-After" eq "$(hdr retry-after)" ""
	psql -X -q -d "$db" -c "DELETE FROM mcp_oauth.rate_limits WHERE bucket = '$bucket'"
}

test_rate_limit_addresses() {
	local binary=$1 pt bt i n403=0 mark log=$work/server.$suite_name.ratelimit.log
	pt=$(free_port) || return
	bt=http://127.0.0.1:$pt
	psql -X -q -d "$db" -c "DELETE FROM mcp_oauth.rate_limits WHERE bucket ~ '^login-(addr:2001:db8:|user:rotator-)'"
	start_proxied "$binary" "$pt" "$log" || { check "rate limits: server starts" false; return; }
	for i in $(seq 1 "$login_limit"); do
		proxy_login "$bt" "2001:db8:5::$i" "rotator-$i" "wrong $i"
		[ "$status" = 403 ] && n403=$((n403 + 1))
	done
	check "rate limits: $login_limit wrong sign-ins from addresses of one /64 are checked" eq "$n403" "$login_limit"
	proxy_login "$bt" "2001:db8:5::ffff" rotator-next "wrong next"
	check "rate limits: the next from another address of the /64 is 429" eq "$status" 429
	proxy_login "$bt" "2001:db8:5:1::1" rotator-other "wrong other"
	check "rate limits: another /64 is not throttled" eq "$status" 403
	psql -X -q -d "$db" -c "DELETE FROM mcp_oauth.rate_limits WHERE bucket ~ '^login-(addr:2001:db8:|user:rotator-)'"
	test_register_retry_after "$bt" "$log"
	stop_proxied "rate limits" "$log"

	start_proxied "$binary" "$pt" "$log" "options=-cdefault_transaction_isolation=serializable" ||
		{ check "serializable: server starts" false; return; }
	mark=$(psql -X -q -tA -d "$db" -c "SELECT coalesce(max(audit_id), 0) FROM mcp_oauth.audit_log")
	proxy_login "$bt" 192.0.2.77 bob "$password"
	check "serializable: the right password is not checked, 500" eq "$status" 500
	check "serializable: no session cookie" eq "$(cookie __Host-mcp_oauth_session)" ""
	check "serializable: no sign-in audited" eq \
		"$(psql -X -q -tA -d "$db" -c "SELECT count(*) FROM mcp_oauth.audit_log WHERE audit_id > $mark AND subject = 'bob'")" 0
	check "serializable: the log names the cause" grep -q "rate limits need READ COMMITTED isolation" "$log"
	stop_proxied "serializable" "$log"
}

# ---- --allowed-origins: browser origins /mcp accepts ----

test_allowed_origins() {
	local binary=$1 po bo pid rc o pat log=$work/server.$suite_name.origins.log
	pat=$(cat "$work/pat_tools")
	po=$(free_port) || return
	bo=http://127.0.0.1:$po
	"$binary" --listen "127.0.0.1:$po" --issuer "$issuer" --threads 1 \
		--allowed-origins "https://app.example, HTTPS://Other.Example:443" \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role" \
		--upstream "http://127.0.0.1:$up_port/mcp" >>"$log" 2>&1 &
	pid=$!
	wait_ready "$bo" || { check "allowed origins: server starts" false; kill "$pid"; wait "$pid"; return; }
	for o in https://app.example https://other.example "$base"; do
		req POST "$bo/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
			-H "Origin: $o" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
		check "allowed origins: $o accepted" eq "$status" 200
	done
	for o in https://evil.example https://app.example:8443 http://app.example https://app.example/ \
		https://app.example.evil.example; do
		req POST "$bo/mcp" -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
			-H "Origin: $o" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
		check "allowed origins: $o refused" eq "$status" 403
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	check "allowed origins: server exits 0" eq "$rc" 0
	if [ "$suite_name" = asan ]; then
		check "allowed origins: no sanitizer report" sanitizer_clean "$log"
	fi
}

# ---- a whole suite against one build ----

# sanitizer_clean LOG: no ASan/UBSan/LSan report in the server's log.
sanitizer_clean() {
	! grep -E "AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer" "$1" |
		head -n 5 | grep .
}

run_suite() {
	local name=$1 binary=$2
	suite_name=$name
	suite="[$name] "
	echo "== http suite: $name ($binary)"
	if ! start_server "$binary"; then
		check "server starts" false
		return
	fi
	test_discovery
	test_routes
	test_trusted_proxies "$binary"
	test_rate_limit_addresses "$binary"
	test_pages
	test_loopback_ports
	test_login_throttle
	test_login_race
	test_gateway
	test_allowed_origins "$binary"
	test_resilience
	test_request_timeout "$binary"
	test_db_restart
	test_metadata_cache "$binary"
	wait_ready "$base" || check "server ready after the cache test" false
	test_drain
	if [ "$name" = asan ]; then
		check "no sanitizer report" sanitizer_clean "$srv_log"
	fi
	grep -iE "token|password" "$srv_log" | grep -E "mcp_pat_|mcp_rt_|$password" | head -n 3 >"$work/leak"
	check "no secret in the server log" eq "$(cat "$work/leak")" ""
	check "server log is at debug level" grep -q " DEBUG " "$srv_log"
	check "no token, code, cookie, CSRF token or password in the debug log" no_secret_logged "$srv_log"
}


# shellcheck source=resilience.sh
. "$top/tests/http/resilience.sh"
# shellcheck source=hostile.sh
. "$top/tests/http/hostile.sh"
# shellcheck source=tls.sh
. "$top/tests/http/tls.sh"
# shellcheck source=../fetch/testca.sh
. "$top/tests/fetch/testca.sh"
# shellcheck source=cimd.sh
. "$top/tests/http/cimd.sh"

# ---- configuration (no database needed for most) ----

# exits_with CODE OUTPUT_NEEDLE COMMAND...: COMMAND exits CODE and prints NEEDLE.
exits_with() {
	local want=$1 needle=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want: $out"; return 1; }
	has "$out" "$needle"
}

test_config() {
	local bin=$top/shim/mcp-oauth-server p2 conf=$work/server.conf
	check "config: --help exits 0 with usage" exits_with 0 "Usage:" "$bin" --help
	check "config: unknown flag" exits_with 2 'unknown setting "bogus"' "$bin" --bogus
	check "config: flag without value" exits_with 2 "needs a value" "$bin" --threads
	check "config: port out of range" exits_with 2 "out of range" "$bin" --listen 127.0.0.1:99999
	check "config: zero threads" exits_with 2 "out of range" "$bin" --threads 0
	check "config: metadata cache out of range" exits_with 2 "out of range" "$bin" --metadata-cache-ms 61s
	check "config: --help names the metadata cache" exits_with 0 "--metadata-cache-ms" "$bin" --help
	check "config: --help names trusted proxies" exits_with 0 "--trusted-proxies" "$bin" --help
	check "config: trusted proxy prefix out of range" exits_with 2 "trusted-proxies" "$bin" --trusted-proxies 10.0.0.0/33
	check "config: trusted proxy not an address" exits_with 2 "trusted-proxies" "$bin" --trusted-proxies nonsense
	check "config: trusted proxy IPv6 prefix out of range" exits_with 2 "trusted-proxies" "$bin" --trusted-proxies 10.0.0.1,::1/129
	check "config: --help names allowed origins" exits_with 0 "--allowed-origins" "$bin" --help
	check "config: allowed origin with a path" exits_with 2 "allowed-origins" "$bin" --allowed-origins https://a.example/x
	check "config: allowed origin '*'" exits_with 2 "allowed-origins" "$bin" --allowed-origins '*'
	check "config: allowed origin 'null'" exits_with 2 "allowed-origins" "$bin" --allowed-origins https://a.example,null
	printf 'trusted-proxies = 10.0.0.0/8, bogus\n' >"$conf"
	check "config: trusted proxy error in the config file" exits_with 2 '"bogus"' "$bin" --config "$conf"
	check "config: upstream not http" exits_with 2 "not an http" "$bin" --upstream ftp://x
	check "config: issuer with query" exits_with 2 "query or fragment" "$bin" --issuer "http://127.0.0.1:1/a?b"
	check "config: issuer with a quote" exits_with 2 "quotes" "$bin" --issuer 'http://127.0.0.1:1/a"b'
	check "config: mcp-path with a quote" exits_with 2 "mcp-path" "$bin" --mcp-path '/m"cp'
	check "config: mcp-path with a control character" exits_with 2 "mcp-path" "$bin" --mcp-path $'/mcp\tx'
	check "config: missing file" exits_with 2 "could not open config file" "$bin" --config "$work/none.conf"
	printf 'threads = 2\nthis is not a setting\n' >"$conf"
	check "config: bad line names file and line" exits_with 2 "server.conf:2" "$bin" --config "$conf"
	p2=$(free_port)
	check "config: issuer differing from the database refuses to start" exits_with 2 "issuer" \
		"$bin" --listen "127.0.0.1:$p2" --issuer "http://127.0.0.1:$p2" \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role"
	# A config file is read, and flags win over it.
	printf 'listen = 127.0.0.1:1\nissuer = %s\ndatabase = host=%s port=%s dbname=%s user=%s\nupstream = http://127.0.0.1:%s/mcp\n' \
		"$issuer" "$PGHOST" "$PGPORT" "$db" "$role" "$up_port" >"$conf"
	"$bin" --config "$conf" --listen "127.0.0.1:$port" >"$work/config-server.log" 2>&1 &
	local pid=$! ready=""
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] && { ready=1; break; }
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	check "config: file settings used, flag overrides listen" eq "$ready" 1
	req GET "$base/.well-known/oauth-authorization-server"
	check "config: server from a config file serves metadata" eq "$(j issuer)" "$issuer"
	kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	check "config: SIGTERM exits 0" eq "$?" 0
}

setup_database || { echo "database setup failed"; echo "http: 0 passed, 1 failed"; exit 1; }
secret "$password" "$(cat "$work/pat_tools")" "$(cat "$work/pat_resources")" \
	"$(cut -d' ' -f2 "$work/confidential")"
start_demo || { echo "http: 0 passed, 1 failed"; exit 1; }

for s in ${HTTP_SUITES:-normal asan}; do
	case $s in
	normal)
		run_suite normal "$top/shim/mcp-oauth-server"
		suite="[config] "
		test_config
		test_issuer_path
		test_hostile "$top/shim/mcp-oauth-server" hostile
		test_tls "$top/shim/mcp-oauth-server" tls
		test_cimd "$top/shim/mcp-oauth-server" cimd ;;
	cimd)
		test_cimd "${HTTP_HOSTILE_BINARY:-$top/shim/mcp-oauth-server}" cimd ;;
	tls)
		test_tls "${HTTP_HOSTILE_BINARY:-$top/shim/mcp-oauth-server}" tls ;;
	hostile)
		test_hostile "${HTTP_HOSTILE_BINARY:-$top/shim/mcp-oauth-server}" hostile ;;
	asan)
		asan_bin=${HTTP_ASAN_BINARY:-$top/shim/asan/mcp-oauth-server}
		if [ -n "${HTTP_ASAN_BINARY:-}" ] ||
			make -s -C "$top/shim" asan >"$work/asan-build.log" 2>&1; then
			export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:exitcode=86"
			export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
			export LSAN_OPTIONS="suppressions=$top/tests/http/lsan.supp:print_suppressions=0"
			run_suite asan "$asan_bin"
			test_hostile "$asan_bin" hostile-asan
			test_tls "$asan_bin" tls-asan
			test_cimd "$asan_bin" cimd-asan
			unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
		else
			cat "$work/asan-build.log"
			check "[asan] build" false
		fi ;;
	esac
done

echo "http: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
