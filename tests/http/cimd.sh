# tests/http/cimd.sh: sourced by tests/http/run.sh.  Client ID Metadata
# Documents (issue 14) end to end: the server fetches a client's document
# from tests/fetch/server.mjs (HTTPS, a test CA) through the need-fetch
# protocol, with --fetch-allow-cidrs 127.0.0.0/8 and --fetch-ca-file, and
# host names pinned to addresses by MCP_OAUTH_TEST_FETCH_RESOLVE (the
# fetcher checks them like resolved ones).  One thread, so that concurrent
# requests meet in one fetcher; TLS with the test CA's certificate.
#
#   test_cimd BINARY NAME

cimd_resolve_names="ok:127.0.0.1 ten:10.0.0.1 meta:169.254.169.254 loop6:[::1] ula:[fd00::1] mapped:[::ffff:192.168.1.1]"

# cimd_url KIND NAME: the URL of a document server.mjs serves.
cimd_url() { echo "https://ok.fetch.test:$P/m/$1/$cimd_sid-$2"; }
# cimd_set NAME QUERY: how server.mjs answers for NAME from now on.
cimd_set() {
	curl -sS -o /dev/null --cacert "$cimd_ca" --resolve "ok.fetch.test:$P:127.0.0.1" \
		"https://ok.fetch.test:$P/set?name=$cimd_sid-$1&$2"
}
# cimd_hits PATH: requests server.mjs saw for PATH ("inm:" PATH: with If-None-Match).
cimd_hits() {
	curl -sS --cacert "$cimd_ca" --resolve "ok.fetch.test:$P:127.0.0.1" \
		"https://ok.fetch.test:$P/hits?path=$(enc "$1")" | sed -n 's/.*"hits":\([0-9]*\).*/\1/p'
}
# cimd_sql SQL: one value from the suite's database.
cimd_sql() { psql -X -tA -d "$cimd_db" -c "$1"; }
# cimd_query CLIENT_ID REDIRECT_URI: an authorization request's query (sets verifier).
cimd_query() {
	local pair
	pair=$(util pkce)
	verifier=$(echo "$pair" | sed -n 1p)
	secret "$verifier"
	query="response_type=code&client_id=$(enc "$1")&redirect_uri=$(enc "$2")&state=cimd"
	query="$query&code_challenge=$(echo "$pair" | sed -n 2p)&code_challenge_method=S256"
	query="$query&scope=mcp:tools&resource=$(enc "$base/mcp")"
}
# cimd_authorize CLIENT_ID REDIRECT_URI [SESSION]: GET /authorize.
cimd_authorize() {
	cimd_query "$1" "$2"
	if [ -n "${3:-}" ]; then
		req GET "$base/authorize?$query" -H "Cookie: __Host-mcp_oauth_session=$3"
	else
		req GET "$base/authorize?$query"
	fi
}
# cimd_start BINARY PORT LOG [FLAGS...]: a server of the suite on PORT; pid in cimd_pid.
cimd_start() {
	local bin=$1 p=$2 log=$3 resolve="" e
	shift 3
	for e in $cimd_resolve_names; do
		resolve="$resolve${resolve:+,}${e%%:*}.fetch.test:$P:${e#*:}"
	done
	MCP_OAUTH_TEST_FETCH_RESOLVE=$resolve "$bin" --listen "127.0.0.1:$p" --issuer "$base" \
		--database "host=$PGHOST port=$PGPORT dbname=$cimd_db user=$role" --threads 1 \
		--log-level debug --fetch-allow-cidrs 127.0.0.0/8 --fetch-ca-file "$cimd_ca" \
		--fetch-connect-timeout 1000 --fetch-timeout 1500 --tls-cert "$work/testca/srv.pem" \
		--tls-key "$work/testca/srv.key" "$@" >>"$log" 2>&1 &
	cimd_pid=$!
	wait_ready "https://127.0.0.1:$p"
}
# cimd_stop PID: SIGTERM, wait; the exit status in cimd_rc.
cimd_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	cimd_rc=$?
}
# cimd_audit URL: "count reason" of the fetch_failed audit rows of URL.
cimd_audit() {
	cimd_sql "SELECT count(*) || ' ' || coalesce(string_agg(DISTINCT detail->>'reason', ','), '-')
		FROM mcp_oauth.audit_log WHERE event = 'fetch_failed' AND client_id = '$1'"
}
# cimd_approve SESSION: approve the consent page in $B.
cimd_approve() {
	req POST "$base/consent" -H "Cookie: __Host-mcp_oauth_session=$1" \
		--data-urlencode "request_id=$(field request_id)" --data-urlencode "csrf=$(field csrf)" \
		--data-urlencode "decision=approve"
}

# A document end to end: sign-in, consent naming its host, code, tokens;
# fetched once.
test_cimd_flow() {
	local id code at
	id=$(cimd_url good e2e)
	cimd_authorize "$id" https://app.example/cb
	check "a document: fetched, then the sign-in page" has "$(cat "$B")" 'type="password"'
	check "a document: fetched once" eq "$(cimd_hits "/m/good/$cimd_sid-e2e")" 1
	sign_in
	cimd_session=$session
	secret "$cimd_session"
	check "a document: signed in" eq "$status" 303
	cimd_authorize "$id" https://app.example/cb "$cimd_session"
	check "a document: the consent page" eq "$status" 200
	check "consent: the name is the client's claim" has "$(cat "$B")" \
		"calls itself <strong>Test app $cimd_sid-e2e</strong>"
	check "consent: the document's host, prominent" has "$(cat "$B")" \
		"<p>Its description is published by</p>
<p class=\"host\">ok.fetch.test"
	check "consent: the redirect host" has "$(cat "$B")" '<p class="host">app.example</p>'
	check "consent: no loopback warning for an https redirect URI" hasnt "$(cat "$B")" "Approve only if"
	cimd_approve "$cimd_session"
	check "consent approved: 302 to the document's redirect URI" has "$(hdr location)" \
		"https://app.example/cb?code="
	code=$(util param "$(hdr location)" code)
	secret "$code"
	req POST "$base/token" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=authorization_code" --data-urlencode "code=$code" \
		--data-urlencode "redirect_uri=https://app.example/cb" --data-urlencode "client_id=$id" \
		--data-urlencode "code_verifier=$verifier" --data-urlencode "resource=$base/mcp"
	check "a document's client: tokens" eq "$status" 200
	at=$(j .access_token)
	secret "$at" "$(j .refresh_token)"
	check "a document's client: the token's client_id is the URL" \
		eq "$(util b64url-json "$(echo "$at" | cut -d. -f2)" | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).client_id))')" "$id"
	check "a document's client: a clients row of kind metadata" \
		eq "$(cimd_sql "SELECT kind FROM mcp_oauth.clients WHERE client_id = '$id'")" metadata
	check "a document: still fetched once (three authorizations, a token)" \
		eq "$(cimd_hits "/m/good/$cimd_sid-e2e")" 1
}

# A document shaped like Claude Code's: portless loopback redirect URIs, the
# callback on an ephemeral port; the consent page warns.
test_cimd_loopback() {
	local id p
	id=$(cimd_url loopback cc)
	p=$((49152 + RANDOM % 16000))
	cimd_authorize "$id" "http://localhost:$p/callback" "$cimd_session"
	check "loopback document: the consent page" eq "$status" 200
	check "loopback document: the host that publishes it" has "$(cat "$B")" \
		'<p class="host">ok.fetch.test'
	check "loopback document: the warning" has "$(cat "$B")" \
		"Approve only if you started a tool on this computer yourself"
	check "loopback document: its name is not verified" has "$(cat "$B")" \
		"Its name is not verified: ok.fetch.test"
	cimd_approve "$cimd_session"
	check "loopback document: the code to the ephemeral port" has "$(hdr location)" \
		"http://localhost:$p/callback?code="
}

# cimd_code CLIENT_ID REDIRECT_URI: through consent to a code (in code).
cimd_code() {
	cimd_authorize "$1" "$2" "$cimd_session"
	cimd_approve "$cimd_session"
	code=$(util param "$(hdr location)" code)
	secret "$code"
}
# cimd_assertion CLIENT_ID: a client assertion signed by server.mjs's key.
cimd_assertion() {
	curl -sS --cacert "$cimd_ca" --resolve "ok.fetch.test:$P:127.0.0.1" \
		"https://ok.fetch.test:$P/assertion?client_id=$(enc "$1")&aud=$(enc "$base/token")"
}

# A document shaped like ChatGPT's: private_key_jwt with a jwks_uri.  The
# token endpoint asks for the key set (need-fetch at /token), the server
# fetches it once; a replayed assertion is refused.
test_cimd_private_key_jwt() {
	local id a
	req GET "$base/.well-known/oauth-authorization-server"
	check "metadata: CIMD supported, none and private_key_jwt offered" \
		eq "$(j .client_id_metadata_document_supported) $(j .token_endpoint_auth_methods_supported)" \
		'true ["none","client_secret_basic","client_secret_post","private_key_jwt"]'
	id=$(cimd_url pkjwt pk)
	cimd_code "$id" https://app.example/cb
	check "private_key_jwt document: a code" nonempty "$code"
	a=$(cimd_assertion "$id")
	secret "$a"
	req POST "$base/token" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=authorization_code" --data-urlencode "code=$code" \
		--data-urlencode "redirect_uri=https://app.example/cb" --data-urlencode "code_verifier=$verifier" \
		--data-urlencode "resource=$base/mcp" \
		--data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
		--data-urlencode "client_assertion=$a"
	check "private_key_jwt: tokens" eq "$status" 200
	secret "$(j .access_token)" "$(j .refresh_token)"
	check "private_key_jwt: the key set fetched once, through the server" \
		eq "$(cimd_hits "/keys/$cimd_sid-pk")" 1
	check "private_key_jwt: the key set kept as a jwks document" \
		eq "$(cimd_sql "SELECT purpose FROM mcp_oauth.fetched_documents WHERE url LIKE '%/keys/$cimd_sid-pk'")" jwks
	req POST "$base/token" -H "Content-Type: application/x-www-form-urlencoded" \
		--data-urlencode "grant_type=refresh_token" --data-urlencode "refresh_token=$(j .refresh_token)" \
		--data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
		--data-urlencode "client_assertion=$a"
	check "private_key_jwt: a replayed assertion, 401 invalid_client" eq "$status $(j .error)" "401 invalid_client"
}

# cimd_refused LABEL URL REASON: a document that cannot be used gives the
# person an error page, no redirect, no clients row and one audit row
# naming REASON ("-": refused before any fetch, no audit row).
cimd_refused() {
	local label=$1 url=$2 reason=$3
	cimd_authorize "$url" https://app.example/cb "$cimd_session"
	cp "$B" "$work/cimd.page.${label//[^a-z0-9]/_}.html"	# kept with HTTP_KEEP=1
	check "$label: an error page for the person" eq "$status" 400
	check "$label: the page explains" has "$(cat "$B")" '<p class="error">'
	check "$label: page headers" page_headers_ok
	check "$label: no redirect to the client" eq "$(hdr location)" ""
	check "$label: no clients row" \
		eq "$(cimd_sql "SELECT count(*) FROM mcp_oauth.clients WHERE client_id = '${url//\'/\'\'}'")" 0
	if [ "$reason" = - ]; then
		check "$label: nothing fetched, nothing stored" \
			eq "$(cimd_sql "SELECT count(*) FROM mcp_oauth.fetched_documents WHERE url = '${url//\'/\'\'}'")" 0
	else
		check "$label: one audit row, reason $reason" eq "$(cimd_audit "$url")" "1 $reason"
	fi
}

# Every failure class.
test_cimd_failures() {
	local n
	for n in ten meta loop6 ula mapped; do
		cimd_refused "a name resolving to a refused address ($n)" \
			"https://$n.fetch.test:$P/m/good/$cimd_sid-$n" refused_address
	done
	cimd_refused "an IPv4 literal" "https://10.0.0.1:$P/m/good/$cimd_sid-v4" -
	cimd_refused "an allowed IPv4 literal" "https://127.0.0.1:$P/m/good/$cimd_sid-v4l" -
	cimd_refused "an IPv6 literal" "https://[::1]:$P/m/good/$cimd_sid-v6" -
	cimd_refused "a redirect" "$(cimd_url redirect redir)" redirect
	cimd_set st500 "status=500"
	cimd_refused "a 500" "$(cimd_url good st500)" status
	cimd_set st404 "status=404"
	cimd_refused "a 404" "$(cimd_url good st404)" gone
	cimd_refused "oversize" "$(cimd_url big big)" size
	cimd_refused "a slow drip past the timeout" "$(cimd_url drip drip)" timeout
	cimd_refused "text/html" "$(cimd_url html html)" content_type
	cimd_refused "not JSON" "$(cimd_url notjson nj)" json
	cimd_refused "client_id mismatch" "$(cimd_url mismatch mm)" validation
	cimd_refused "no redirect_uris" "$(cimd_url missing miss)" validation
	cimd_refused "an http URL" "http://ok.fetch.test:$P/m/good/$cimd_sid-http" -
	cimd_refused "userinfo" "https://u:p@ok.fetch.test:$P/m/good/$cimd_sid-ui" -
	cimd_refused "a fragment" "https://ok.fetch.test:$P/m/good/$cimd_sid-frag#f" -
	check "refused before any fetch: no request reached the document server" \
		eq "$(cimd_hits "/m/good/$cimd_sid-v4l")$(cimd_hits "/m/good/$cimd_sid-v6")$(cimd_hits "/m/good/$cimd_sid-http")$(cimd_hits "/m/good/$cimd_sid-ui")" 0000
	check "a refused address: no request reached the document server" \
		eq "$(cimd_hits "/m/good/$cimd_sid-loop6")" 0
}

# cimd_lifetime NAME: seconds between fetched_at and fresh_until of NAME's document.
cimd_lifetime() {
	cimd_sql "SELECT extract(epoch FROM fresh_until - fetched_at)::int
		FROM mcp_oauth.fetched_documents WHERE url = '$(cimd_url good "$1")'"
}
# cimd_expire NAME: the stored copy of NAME's document is no longer fresh.
cimd_expire() {
	cimd_sql "UPDATE mcp_oauth.fetched_documents SET fresh_until = now() - interval '1 second'
		WHERE url = '$(cimd_url good "$1")'" >/dev/null
}

# Freshness from Cache-Control, clamped (300 s .. 24 h by default).
test_cimd_lifetimes() {
	cimd_set ma1000 "cc=max-age%3D1000"
	cimd_set mahuge "cc=max-age%3D999999"
	cimd_set masmall "cc=max-age%3D5"
	cimd_set nostore "cc=no-store"
	for n in ma1000 mahuge masmall nostore; do
		cimd_authorize "$(cimd_url good $n)" https://app.example/cb
	done
	check "max-age=1000 honoured" eq "$(cimd_lifetime ma1000)" 1000
	check "max-age=999999 clamped to 24 h" eq "$(cimd_lifetime mahuge)" 86400
	check "max-age=5 clamped to 300 s" eq "$(cimd_lifetime masmall)" 300
	check "no-store: the shortest lifetime" eq "$(cimd_lifetime nostore)" 300
	cimd_authorize "$(cimd_url good ma1000)" https://app.example/cb
	check "a fresh copy: no second fetch" eq "$(cimd_hits "/m/good/$cimd_sid-ma1000")" 1
}

# Revalidation, a stale copy on error, a remembered failure.
test_cimd_revalidation() {
	local before
	cimd_set rv 'etag=%22r1%22&cc=max-age%3D600'
	cimd_authorize "$(cimd_url good rv)" https://app.example/cb
	check "an ETag kept" eq "$(cimd_sql "SELECT etag FROM mcp_oauth.fetched_documents WHERE url = '$(cimd_url good rv)'")" '"r1"'
	cimd_expire rv
	before=$(cimd_sql "SELECT fetched_at FROM mcp_oauth.fetched_documents WHERE url = '$(cimd_url good rv)'")
	cimd_authorize "$(cimd_url good rv)" https://app.example/cb
	check "an expired copy revalidated: the sign-in page" has "$(cat "$B")" 'type="password"'
	check "an expired copy revalidated: one more request, with If-None-Match" \
		eq "$(cimd_hits "/m/good/$cimd_sid-rv") $(cimd_hits "inm:/m/good/$cimd_sid-rv")" "2 1"
	check "a 304: fresh again for max-age" \
		eq "$(cimd_sql "SELECT fetched_at > '$before' AND fresh_until > now() + interval '590 seconds' FROM mcp_oauth.fetched_documents WHERE url = '$(cimd_url good rv)'")" t

	cimd_authorize "$(cimd_url good stale)" https://app.example/cb
	cimd_set stale "status=503"
	cimd_expire stale
	cimd_authorize "$(cimd_url good stale)" https://app.example/cb
	check "a 503 after a good copy: the stale copy serves" has "$(cat "$B")" 'type="password"'
	check "a 503 after a good copy: refetched, and audited" \
		eq "$(cimd_hits "/m/good/$cimd_sid-stale") $(cimd_audit "$(cimd_url good stale)")" "2 1 status"

	cimd_set remember "status=500"
	cimd_authorize "$(cimd_url good remember)" https://app.example/cb
	cimd_set remember ""
	cimd_authorize "$(cimd_url good remember)" https://app.example/cb
	check "a remembered failure: refused again" eq "$status" 400
	check "a remembered failure: not fetched again" eq "$(cimd_hits "/m/good/$cimd_sid-remember")" 1
	check "an operator forgets the URL: fetched again, now good" \
		eq "$(cimd_sql "SELECT mcp_oauth.forget_fetched('$(cimd_url good remember)')")" t
	cimd_authorize "$(cimd_url good remember)" https://app.example/cb
	check "forgotten: the sign-in page" has "$(cat "$B")" 'type="password"'
}

# cimd_concurrently N CLIENT_ID: N authorization requests at once, signed
# out; prints " COUNT STATUS" for each status they got.
cimd_concurrently() {
	local i pids=()
	cimd_query "$2" https://app.example/cb
	rm -f "$work"/cimd.many.*
	for i in $(seq 1 "$1"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$base/authorize?$query" >"$work/cimd.many.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$work"/cimd.many.* | sort | uniq -c | tr -s ' '
}

# Many concurrent authorizations, one fetch; a second server process on
# the same database does not fetch; a busy fetcher answers 503; a client
# that leaves while its fetch runs is never called back.
test_cimd_sharing() {
	local bin=$1 i codes p2 pid2 gone pids
	cimd_set many "delay=700"
	codes=$(cimd_concurrently 8 "$(cimd_url good many)")
	check "8 concurrent authorizations: all answered" eq "$codes" " 8 200"
	check "8 concurrent authorizations: one fetch" eq "$(cimd_hits "/m/good/$cimd_sid-many")" 1
	cimd_set manyfail "delay=700&status=500"
	codes=$(cimd_concurrently 8 "$(cimd_url good manyfail)")
	check "8 concurrent authorizations of a failing document: all refused" eq "$codes" " 8 400"
	check "8 concurrent authorizations of a failing document: one fetch, one audit row" \
		eq "$(cimd_hits "/m/good/$cimd_sid-manyfail") $(cimd_audit "$(cimd_url good manyfail)")" "1 1 status"

	p2=$(free_port)
	if ! cimd_start "$bin" "$p2" "$srv_log.second" --fetch-max-per-host 1; then
		check "a second server starts" false
		return
	fi
	pid2=$cimd_pid
	cimd_authorize "$(cimd_url good e2e)" https://app.example/cb
	base=https://127.0.0.1:$p2 cimd_authorize "$(cimd_url good e2e)" https://app.example/cb
	check "a second server: the sign-in page from the shared copy" has "$(cat "$B")" 'type="password"'
	check "a second server: no fetch of its own" eq "$(cimd_hits "/m/good/$cimd_sid-e2e")" 1

	cimd_set busy1 "delay=700"
	cimd_set busy2 "delay=700"
	pids=()
	for i in 1 2; do
		cimd_query "$(cimd_url good busy$i)" https://app.example/cb
		curl -s -o /dev/null -D "$work/cimd.busy.h$i" -w '%{http_code}\n' --max-time 10 \
			"https://127.0.0.1:$p2/authorize?$query" >"$work/cimd.busy.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	codes=$(cat "$work"/cimd.busy.[12] | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
	check "one fetch per host at once: the other request 503" eq "$codes" " 1 200  1 503 "
	check "a busy fetcher: Retry-After" eq "$(grep -il '^retry-after: 5' "$work"/cimd.busy.h[12] | wc -l)" 1
	check "a busy fetcher: nothing reported for the URL not fetched" \
		eq "$(cimd_sql "SELECT count(*) FROM mcp_oauth.fetched_documents WHERE url LIKE '%/$cimd_sid-busy_'")" 1
	cimd_stop "$pid2"
	check "the second server exits 0" eq "$cimd_rc" 0

	cimd_query "$(cimd_url drip gone)" https://app.example/cb
	curl -s -o /dev/null --http2 --max-time 0.3 "$base/authorize?$query"
	sleep 2
	check "a client gone during its fetch: the server still answers" \
		eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 200
	gone=$(cimd_sql "SELECT count(*) FROM mcp_oauth.fetched_documents WHERE url = '$(cimd_url drip gone)'")
	check "a client gone during its fetch: never called back, nothing reported" eq "$gone" 0
}

# cimd_until TEXT CLIENT_ID: GET /authorize of CLIENT_ID until the page has
# TEXT; false after 5 s (pg_reload_conf() reaches the server's open
# sessions as soon as each has the signal).
cimd_until() {
	local i
	for i in $(seq 1 25); do
		cimd_authorize "$2" https://app.example/cb
		grep -qF "$1" "$B" && return 0
		sleep 0.2
	done
	return 1
}
# cimd_system SQL: ALTER SYSTEM ... and reload the configuration (before
# PostgreSQL 17, ALTER SYSTEM knows mcp_oauth.* once the library is loaded).
cimd_system() {
	psql -X -q -d "$cimd_db" -c "LOAD 'mcp_oauth'" -c "ALTER SYSTEM $1" -c "SELECT pg_reload_conf()" >/dev/null
}

# The operator's controls (cimd_policy.c).  An address past
# mcp_oauth.client_metadata_fetch_rate_limit (its bucket filled up to the
# database's limit) gets a 429 page with Retry-After, and nothing is
# fetched or stored, while a stored copy still serves.  ALTER SYSTEM and
# pg_reload_conf() reach the sessions the server has open: a denied host,
# then documents turned off, are refused with a page and not fetched.
test_cimd_operator() {
	local bucket="cimd-fetch:addr:127.0.0.1" url known
	url=$(cimd_url good limited)
	known=$(cimd_url good e2e)
	cimd_sql "INSERT INTO mcp_oauth.rate_limits (bucket, window_start, hits)
		VALUES ('$bucket', now(), current_setting('mcp_oauth.client_metadata_fetch_rate_limit')::int)" >/dev/null
	cimd_authorize "$url" https://app.example/cb
	check "fetch limit: 429" eq "$status" 429
	check "fetch limit: Retry-After, the limit's hour" eq "$(hdr retry-after)" 3600
	check "fetch limit: the page explains" has "$(cat "$B")" \
		"too many client metadata documents were fetched for your network address"
	check "fetch limit: page headers" page_headers_ok
	check "fetch limit: no redirect to the client" eq "$(hdr location)" ""
	check "fetch limit: nothing fetched" eq "$(cimd_hits "/m/good/$cimd_sid-limited")" 0
	check "fetch limit: nothing stored" \
		eq "$(cimd_sql "SELECT (SELECT count(*) FROM mcp_oauth.fetched_documents WHERE url = '$url')
			+ (SELECT count(*) FROM mcp_oauth.clients WHERE client_id = '$url')")" 0
	cimd_authorize "$known" https://app.example/cb
	check "fetch limit: a stored copy still serves" has "$(cat "$B")" 'type="password"'
	check "fetch limit: no Retry-After then" eq "$(hdr retry-after)" ""
	cimd_sql "DELETE FROM mcp_oauth.rate_limits WHERE bucket = '$bucket'" >/dev/null
	cimd_authorize "$url" https://app.example/cb
	check "under the limit again: the sign-in page" has "$(cat "$B")" 'type="password"'
	check "under the limit again: fetched" eq "$(cimd_hits "/m/good/$cimd_sid-limited")" 1

	cimd_system "SET mcp_oauth.client_metadata_denied_hosts = 'localhost, *.fetch.test'"
	cimd_until "refuses client metadata documents published on this host" "$known"
	check "a host denied by ALTER SYSTEM: the open sessions refuse it" eq "$?" 0
	check "a denied host: a 400 page, no redirect" eq "$status $(hdr location)" "400 "
	cimd_authorize "$(cimd_url good denied)" https://app.example/cb
	check "a denied host: a new document is not fetched" \
		eq "$status $(cimd_hits "/m/good/$cimd_sid-denied")" "400 0"
	cimd_system "RESET mcp_oauth.client_metadata_denied_hosts"
	cimd_system "SET mcp_oauth.client_metadata_documents = off"
	cimd_until "does not accept a client metadata document URL as client_id" "$known"
	check "documents turned off by ALTER SYSTEM: the open sessions refuse them" eq "$?" 0
	check "documents turned off: a 400 page, no redirect" eq "$status $(hdr location)" "400 "
	cimd_system "RESET mcp_oauth.client_metadata_documents"
	cimd_until 'type="password"' "$known"
	check "documents turned on again: the sign-in page" eq "$?" 0
}

# test_cimd BINARY NAME
test_cimd() {
	local cp base cimd_db=${db}_${2//-/_} cimd_sid=$2 cimd_ca=$work/testca/ca.pem cimd_session=""
	# the server speaks TLS (HTTP/2: a client that leaves resets its stream,
	# which HTTP/1.1 does not tell the server) with the test CA's certificate
	local -x CURL_CA_BUNDLE=$cimd_ca
	suite_name=$2
	suite="[$2] "
	srv_log=$work/server.$suite_name.log
	cp=$(free_port) || return
	base=https://127.0.0.1:$cp
	if [ -z "${testca_pid:-}" ]; then
		mkdir -p "$work/testca"
		testca_make "$work/testca" && testca_server "$work/testca" ||
			{ check "the test CA and document server" false; return; }
	fi
	extra_database "$cimd_db" "$base" "$base/mcp" || { check "CIMD database" false; return; }
	if ! cimd_start "$1" "$cp" "$srv_log"; then
		tail -n 20 "$srv_log" | sed 's/^/    server log: /'
		check "server starts with the fetch options" false
		return
	fi
	local main_pid=$cimd_pid
	test_cimd_flow
	test_cimd_loopback
	test_cimd_private_key_jwt
	test_cimd_failures
	test_cimd_lifetimes
	test_cimd_revalidation
	test_cimd_sharing "$1"
	test_cimd_operator
	cimd_stop "$main_pid"
	check "CIMD server exits 0" eq "$cimd_rc" 0
	check "no secret in the CIMD server's log" no_secret_logged "$srv_log"
	check "no document body in the log" hasnt "$(cat "$srv_log")" "Test app"
	if [ "$2" = cimd-asan ]; then
		check "CIMD: no sanitizer report" sanitizer_clean "$srv_log"
		check "CIMD, second server: no sanitizer report" sanitizer_clean "$srv_log.second"
	fi
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $cimd_db" >/dev/null 2>&1
}
