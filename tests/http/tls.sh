# tests/http/tls.sh: sourced by tests/http/run.sh.  The server with TLS,
# where browsers and MCP clients speak HTTP/2: header fields a client sends
# as raw HPACK literals (CR/LF in a value, a repeated Authorization, one
# cookie per field, names with underscores) must not get past the gateway.

# test_tls BINARY NAME
test_tls() {
	local tp tb tdb=${db}_${2//-/_} pat out
	tp=$(free_port) || return
	tb=https://127.0.0.1:$tp
	suite_name=$2
	suite="[$2] "
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" \
		-days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 ||
		{ check "TLS certificate" false; return; }
	extra_database "$tdb" "$tb" "$tb/mcp" || { check "TLS database" false; return; }
	pat=$(psql -X -tA -d "$tdb" -c "SELECT mcp_oauth.create_personal_access_token('alice', 'tls', ARRAY['mcp:tools'])")
	secret "$pat"
	srv_log=$work/server.$suite_name.log
	"$1" --listen "127.0.0.1:$tp" --issuer "$tb" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" \
		--database "host=$PGHOST port=$PGPORT dbname=$tdb user=$role" --log-level debug \
		--upstream "http://127.0.0.1:$up_port/mcp" --threads 1 >>"$srv_log" 2>&1 &
	srv_pid=$!
	wait_ready "$tb" -k || {
		tail -n 20 "$srv_log" | sed 's/^/    server log: /'
		check "TLS server starts" false; stop_server; return
	}

	req GET "$tb/.well-known/oauth-authorization-server" -k --http2
	check "metadata over HTTP/2" eq "$(curl -sk -o /dev/null -w '%{http_version}' --http2 "$tb/readyz")" 2
	check "metadata issuer over TLS" eq "$(j .issuer)" "$tb"
	req GET "$tb/login" -k --http2
	check "sign-in page over HTTP/2: headers" page_headers_ok
	check "sign-in page over HTTP/2: __Host- cookie" host_cookie_ok "$(set_cookie __Host-mcp_oauth_login)"

	# Strict-Transport-Security on every answer of a server that terminates
	# TLS: its own (metadata, pages, errors, the gateway's) and proxied ones.
	check "HSTS on a page" eq "$(hdr strict-transport-security)" "max-age=31536000"
	req GET "$tb/.well-known/oauth-authorization-server" -k
	check "HSTS on metadata" eq "$(hdr strict-transport-security)" "max-age=31536000"
	req GET "$tb/no/such/path" -k
	check "HSTS on a 404" eq "$(hdr strict-transport-security)" "max-age=31536000"
	req POST "$tb/token" -k -H "Content-Type: application/x-www-form-urlencoded" -d "grant_type=x"
	check "HSTS on a token error" eq "$(hdr strict-transport-security)" "max-age=31536000"
	req POST "$tb/mcp" -k -H "Content-Type: application/json" -d '{}'
	check "HSTS on the gateway's 401" eq "$(hdr strict-transport-security)" "max-age=31536000"
	check "HSTS once" eq "$(hdrs strict-transport-security | wc -l)" 1
	req POST "$tb/mcp" -k -H "Authorization: Bearer $pat" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	check "a proxied answer over TLS: 200" eq "$status" 200
	check "HSTS on a proxied answer" eq "$(hdr strict-transport-security)" "max-age=31536000"

	out=$(util h2 "$tp" POST /mcp authorization "Bearer $pat")
	check "h2: a plain request is forwarded" eq "$(echo "$out" | head -n 1)" 200
	out=$(util h2 "$tp" POST /mcp authorization "Bearer $pat" x-note $'a\r\nx-mcp-subject: mallory')
	check "h2: CR/LF in a header value is refused" matches "$(echo "$out" | head -n 1)" '^(400|reset)$'
	check "h2: CR/LF in a header value never reaches the upstream" hasnt "$out" structuredContent
	out=$(util h2 "$tp" POST $'/mcp HTTP/1.1\r\nx-mcp-subject: mallory\r\nx: ' authorization "Bearer $pat")
	check "h2: CR/LF in :path never reaches the upstream" hasnt "$out" structuredContent
	out=$(util h2 "$tp" POST /mcp authorization "Bearer $pat" authorization "Bearer $pat")
	check "h2: two Authorization fields 400" eq "$(echo "$out" | head -n 1)" 400
	out=$(util h2 "$tp" POST "/mcp?access_token=$pat" authorization "Bearer $pat")
	check "h2: token in the query 400" eq "$(echo "$out" | head -n 1)" 400
	util h2 "$tp" POST /mcp authorization "Bearer $pat" x_mcp_subject mallory x-mcp-subject eve \
		cookie "__Host-mcp_oauth_session=s1" cookie "theme=dark" cookie "__Host-mcp_oauth_login=l" |
		tail -n +2 >"$B"
	check "h2: identity headers replaced" \
		eq "$(j .result.structuredContent.x_mcp_headers)" '{"x-mcp-subject":"alice","x-mcp-client-id":"","x-mcp-scopes":"mcp:tools"}'
	check "h2: one cookie per field, ours removed" eq "$(j .result.structuredContent.cookie_header)" "theme=dark"
	check "h2: Authorization never reaches the upstream" \
		eq "$(j .result.structuredContent.authorization_header_received)" false

	# This TLS server as the upstream of a plain one: its certificate is
	# checked (chain and name), and the token never crosses.
	tls_upstream "$1" "$tb/mcp" ""
	check "https upstream, untrusted certificate: 502" eq "$status" 502
	check "https upstream, untrusted certificate: no crash" eq "$up_rc" 0
	tls_upstream "$1" "$tb/mcp" "$work/tls.crt"
	check "https upstream, trusted: reached (its 401, no token forwarded)" eq "$status" 401
	check "https upstream, trusted: the upstream's answer" eq "$(j .error_description)" "An access token is required."
	tls_upstream "$1" "https://localhost:$tp/mcp" "$work/tls.crt"
	check "https upstream, wrong name: 502" eq "$status" 502

	stop_server
	check "TLS server exits 0" eq "$srv_rc" 0
	check "TLS: no token in the debug log" no_secret_logged "$srv_log"
	[ "$2" = tls-asan ] && check "TLS: no sanitizer report" sanitizer_clean "$srv_log"
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $tdb" >/dev/null 2>&1
}

# tls_upstream BINARY UPSTREAM CAFILE: a plain server on the main database
# with an https:// UPSTREAM trusted through CAFILE ("": the system store
# only); one POST /mcp with a PAT; its status in $status, the server's exit
# status after SIGTERM in up_rc.
tls_upstream() {
	local pid
	env ${3:+SSL_CERT_FILE=$3} "$1" --listen "127.0.0.1:$port" --issuer "$issuer" --threads 1 \
		--database "host=$PGHOST port=$PGPORT dbname=$db user=$role" \
		--upstream "$2" >>"$work/server.$suite_name.upstream.log" 2>&1 &
	pid=$!
	wait_ready "$base" || { status=000; up_rc=none; kill "$pid"; wait "$pid"; return; }
	req POST "$base/mcp" -H "Authorization: Bearer $(cat "$work/pat_tools")" \
		-H "Content-Type: application/json" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	kill -TERM "$pid"
	wait "$pid"
	up_rc=$?
}
