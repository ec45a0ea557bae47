# tests/http/hostile.sh: sourced by tests/http/run.sh.  The server against a
# database that answers with hostile values: CR/LF in every column that
# becomes a header (Location, WWW-Authenticate, Cache-Control, Content-Type,
# the session cookie, the X-MCP-* identity), markup in everything a page
# shows, NULL columns, out-of-range statuses, malformed JSON.  The schema
# mcp_oauth here is a stand-in written in SQL (no extension): each function
# picks its answer from its input, so the checks need no shared state.
# The server must never split a response, run markup, or crash.

# The stand-in functions (only those the server's prepared statements need).
hostile_setup() {
	local hdb=$1 iss=$2
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $hdb" >/dev/null &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$hdb" >/dev/null <<-SQL
		ALTER DATABASE $hdb SET mcp_oauth.issuer = '$iss';
		ALTER DATABASE $hdb SET mcp_oauth.resources = '$iss/mcp';
		CREATE SCHEMA mcp_oauth;
		GRANT USAGE ON SCHEMA mcp_oauth TO PUBLIC;
		CREATE TYPE mcp_oauth.http_response AS (status integer, content_type text,
			location text, www_authenticate text, cache_control text, body text);
		CREATE TYPE mcp_oauth.token_verification AS (active boolean, subject text,
			client_id text, scopes text[], expires_at timestamptz, kind text, error text,
			error_description text, www_authenticate text);
		CREATE TYPE mcp_oauth.login_result AS (ok boolean, session_token text,
			subject text, error text);
		CREATE FUNCTION mcp_oauth.authorization_server_metadata() RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT 200, 'application/json', NULL, NULL, NULL,
				json_build_object('issuer', '$iss')::text \$\$;
		-- Header values with CR/LF, and a Content-Type with one.
		CREATE FUNCTION mcp_oauth.jwks() RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT 200, E'application/json\r\nX-Injected: ct', NULL, NULL,
				E'no-store\r\nX-Injected: cc', '{"keys":[]}' \$\$;
		-- Every column NULL.
		CREATE FUNCTION mcp_oauth.openid_configuration() RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT NULL::int, NULL, NULL, NULL, NULL, NULL \$\$;
		-- The body names the answer: status out of range, no row.
		CREATE FUNCTION mcp_oauth.token(text, text, body text, inet) RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT CASE body WHEN 'status=99' THEN 99 ELSE 1000 END,
				'application/json', NULL, NULL, NULL, '{}' WHERE body <> 'none' \$\$;
		-- The need-fetch protocol: what the server reported, and the
		-- function that asks for a document again and again.
		CREATE TABLE mcp_oauth.fetch_calls (n serial, url text, purpose text,
			outcome text, status integer, body text, etag text, lifetime integer,
			detail text, client_addr inet);
		CREATE FUNCTION mcp_oauth.fetched(url text, purpose text, outcome text,
			status integer, body text, etag text, lifetime integer, detail text,
			client_addr inet) RETURNS text LANGUAGE sql SECURITY DEFINER AS \$\$
			INSERT INTO mcp_oauth.fetch_calls (url, purpose, outcome, status, body, etag,
				lifetime, detail, client_addr)
			VALUES (url, purpose, outcome, status, body, etag, lifetime, detail, client_addr)
			RETURNING outcome \$\$;
		CREATE FUNCTION mcp_oauth.need_fetch(doc text) RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT 0, 'application/vnd.mcp-oauth.fetch+json', NULL, NULL,
				NULL, doc \$\$;
		CREATE FUNCTION mcp_oauth.revoke(text, text, body text, inet) RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT (mcp_oauth.need_fetch(json_build_object('url',
				'https://10.0.0.1/jwks', 'purpose', 'jwks', 'max_body', 65536,
				'refuse_ip_literal', false)::text)).* \$\$;
		-- The query names the answer.
		CREATE FUNCTION mcp_oauth.authorize(query text, inet) RETURNS mcp_oauth.http_response
			LANGUAGE sql AS \$\$ SELECT status, content_type, location, www_authenticate,
				cache_control, body FROM (VALUES
			('mode=crlf', 302, NULL, E'https://app.example/cb?code=1\r\nSet-Cookie: injected=1', NULL, NULL, NULL),
			('mode=nolocation', 302, NULL, NULL, NULL, NULL, NULL),
			('mode=error', 400, 'application/json', NULL, NULL, NULL,
				'{"error":"<b>bad</b>","error_description":"<img src=x onerror=alert(1)> \\" & \\u0027"}'),
			('mode=badjson', 400, 'application/json', NULL, NULL, NULL, '{"error":'),
			('mode=deepjson', 400, 'application/json', NULL, NULL, NULL, repeat('[', 5000)),
			('mode=nullstatus', NULL::int, NULL, NULL, NULL, NULL, NULL),
			('mode=consent', 200, 'application/json', NULL, NULL, NULL, json_build_object(
				'request_id', '"><script>alert(1)</script>',
				'client_id', '<i>cid</i>',
				'client_name', '<script>alert("name")</script>',
				'redirect_uri', 'https://app.example/cb?a="><svg onload=alert(1)>',
				'redirect_host', '<u>host</u>',
				'resource', '<s>resource</s>',
				'scopes', json_build_array(json_build_object('name', '<em>s</em>',
					'description', '</li><script>alert(2)</script>'),
					json_build_object('name', 42), 'not an object', NULL))::text),
			('mode=consent-csp', 200, 'application/json', NULL, NULL, NULL, json_build_object(
				'request_id', 'r', 'redirect_uri', E'https://x.example;script-src \'unsafe-inline\' *')::text),
			('mode=consent-js', 200, 'application/json', NULL, NULL, NULL, json_build_object(
				'request_id', 'r', 'redirect_uri', 'javascript:alert(1)')::text),
			('mode=consent-bidi', 200, 'application/json', NULL, NULL, NULL, json_build_object(
				'request_id', 'r1', 'client_id', 'c1', 'client_kind', 'dynamic', 'loopback_only', true,
				'client_name', E'Goo\u202Eelg\u2028Verified by your admin\u200B\u0085',
				'redirect_uri', 'http://127.0.0.1:9/cb', 'redirect_host', E'127.0.0.1:9\u2066',
				'resource', 'https://r.example/mcp',
				'scopes', json_build_array(json_build_object('name', 's',
					'description', E'Read \u2067files\u2069\u061C')))::text),
			('mode=consent-badjson', 200, 'application/json', NULL, NULL, NULL, '[1,2'),
			('mode=consent-noid', 200, 'application/json', NULL, NULL, NULL, '{"client_name":"x"}'),
			('mode=consent-dup', 200, 'application/json', NULL, NULL, NULL,
				'{"request_id":"r","redirect_uri":"https://app.example/cb",'
				'"redirect_uri":"https://evil.example/cb","scopes":[]}')
			) AS v(q, status, content_type, location, www_authenticate, cache_control, body)
			WHERE q = query
			UNION ALL SELECT (mcp_oauth.need_fetch(doc)).* FROM (VALUES
			('mode=fetch-loop', json_build_object('url', 'https://10.0.0.1/doc',
				'purpose', 'client_metadata', 'max_body', 5120, 'refuse_ip_literal', false,
				'if_none_match', '"e1"')::text),
			('mode=fetch-literal', json_build_object('url', 'https://10.0.0.2/doc',
				'purpose', 'client_metadata', 'max_body', 5120, 'refuse_ip_literal', true)::text),
			('mode=fetch-nourl', json_build_object('purpose', 'client_metadata',
				'max_body', 5120, 'refuse_ip_literal', true)::text),
			('mode=fetch-hugecap', json_build_object('url', 'https://10.0.0.3/doc',
				'purpose', 'jwks', 'max_body', 1e12, 'refuse_ip_literal', false)::text),
			('mode=fetch-badjson', '{"url":')
			) AS f(q, doc) WHERE q = query
			UNION ALL SELECT 0, 'application/json', NULL, NULL, NULL,
				'{"url":"https://10.0.0.4/doc"}' WHERE query = 'mode=fetch-othertype' \$\$;
		CREATE FUNCTION mcp_oauth.session_subject(token text)
			RETURNS TABLE (subject text, csrf_token text, is_admin boolean)
			LANGUAGE sql AS \$\$ SELECT '<b>mallory</b>"', 'csrf-x', false WHERE token = 'good'
				UNION ALL SELECT NULL, NULL, NULL WHERE token = 'nulls' \$\$;
		-- The username names the session token handed back.
		CREATE FUNCTION mcp_oauth.login(username text, text, inet, text) RETURNS mcp_oauth.login_result
			LANGUAGE sql AS \$\$ SELECT true, CASE username
				WHEN 'crlf' THEN E'tok\r\nSet-Cookie: injected=1'
				WHEN 'attr' THEN 'tok; Domain=evil.example'
				WHEN 'null' THEN NULL ELSE 'tok' END, username, NULL \$\$;
		CREATE FUNCTION mcp_oauth.logout(text) RETURNS void LANGUAGE sql AS \$\$ SELECT \$\$;
		-- The token names the verdict.
		CREATE FUNCTION mcp_oauth.verify_access_token(token text, text, text[])
			RETURNS mcp_oauth.token_verification LANGUAGE sql AS \$\$
			SELECT active, subject, client_id, scopes, expires_at, kind, error,
				error_description, www_authenticate FROM (VALUES
			('crlf-subject', true, E'alice\r\nX-Injected: 1', 'c', '{mcp:tools}'::text[], NULL::timestamptz, 'pat', NULL, NULL, NULL),
			('crlf-challenge', false, NULL, NULL, NULL, NULL, NULL, 'invalid_token', NULL,
				E'Bearer error="invalid_token"\r\nX-Injected: 1'),
			('null-active', NULL, 'alice', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			('null-client', true, 'alice', NULL, NULL, NULL, 'pat', NULL, NULL, NULL),
			('quoted-scopes', true, 'alice', 'c', '{"a\\\\\\"b","x,y"}', NULL, 'pat', NULL, NULL, NULL)
			) AS v(t, active, subject, client_id, scopes, expires_at, kind, error,
				error_description, www_authenticate) WHERE t = token \$\$;
		SQL
}

# no_injected: the last response has no header a database value smuggled in.
no_injected() {
	! grep -iE '^(x-injected|set-cookie: injected)' "$H" || return 1
	! tr -d '\r' <"$H" | grep -E '^[^:]*$' | grep -v '^HTTP/' | grep . || return 1
}

# no_hidden_chars FILE: no bidi control, line or paragraph separator, zero
# width space or C1 control (UTF-8) in FILE.
no_hidden_chars() {
	! LC_ALL=C grep -naP '\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c|\xc2[\x80-\x9f]' "$1" |
		head -n 3 | grep . || return 1
}

# fetch_calls DB WHERE: what the server reported to the stand-in fetched(),
# one line "purpose|outcome|status|body|etag|lifetime|detail|client_addr"
# per call, in order.
fetch_calls() {
	psql -X -tA -d "$1" -c "SELECT purpose, outcome, status, coalesce(body, '(null)'),
		coalesce(etag, '(null)'), coalesce(lifetime::text, '(null)'), detail, client_addr
		FROM mcp_oauth.fetch_calls WHERE $2 ORDER BY n"
}

# The need-fetch protocol (docfetch.c) on the stand-in: the server fetches
# the URL a status 0 answer names, reports the outcome with fetched() and
# calls the function again, at most twice, then answers 503 itself.  The
# URLs are in 10.0.0.0/8, which the fetcher refuses: nothing leaves.
test_hostile_fetch() {
	local hdb=$1 m two
	req GET "$hb/authorize?mode=fetch-loop"
	check "need-fetch for ever: 503" eq "$status" 503
	check "need-fetch for ever: Retry-After" eq "$(hdr retry-after)" 5
	check "need-fetch for ever: the person's page" page_headers_ok
	check "need-fetch for ever: the page says why" has "$(cat "$B")" "could not be stored"
	two="client_metadata|refused_address|0|(null)|(null)|(null)|private|127.0.0.1"
	check "need-fetch for ever: two fetches, each reported, no body, ETag or lifetime" \
		eq "$(fetch_calls "$hdb" "url = 'https://10.0.0.1/doc'")" "$two
$two"
	req GET "$hb/authorize?mode=fetch-literal"
	check "an IP literal refused: reported as bad_url with the reason" \
		eq "$(fetch_calls "$hdb" "url = 'https://10.0.0.2/doc'" | head -n 1)" \
		"client_metadata|bad_url|0|(null)|(null)|(null)|must name its host, not an IP address|127.0.0.1"
	req POST "$hb/revoke" -H "Content-Type: application/x-www-form-urlencoded" -d "token=x"
	check "need-fetch at /revoke: 503" eq "$status" 503
	check "need-fetch at /revoke: JSON temporarily_unavailable" eq "$(j .error)" temporarily_unavailable
	check "need-fetch at /revoke: Retry-After" eq "$(hdr retry-after)" 5
	check "need-fetch at /revoke: the JWKS fetch reported twice" \
		eq "$(fetch_calls "$hdb" "url = 'https://10.0.0.1/jwks'" | cut -d'|' -f1,2 | sort | uniq -c | tr -s ' ')" \
		" 2 jwks|refused_address"
	for m in fetch-nourl fetch-hugecap fetch-badjson; do
		req GET "$hb/authorize?mode=$m"
		check "$m: 500" eq "$status" 500
		check "$m: an HTML page" page_headers_ok
	done
	req GET "$hb/authorize?mode=fetch-othertype"
	check "status 0 of another type: no need-fetch, an error page" eq "$status" 400
	check "an unreadable need-fetch answer: nothing fetched or reported" \
		eq "$(fetch_calls "$hdb" "url NOT IN ('https://10.0.0.1/doc', 'https://10.0.0.2/doc', 'https://10.0.0.1/jwks')")" ""
}

# test_hostile BINARY NAME
test_hostile() {
	local hp hb hdb=${db}_${2//-/_} lc
	hp=$(free_port) || return
	hb=http://127.0.0.1:$hp
	suite_name=$2
	suite="[$2] "
	if ! hostile_setup "$hdb" "$hb" || ! start_server "$1" "$hp" "$hb" "$hdb"; then
		check "server starts on the stand-in database" false
		return
	fi

	# Accept headers a browser never sends: a page or JSON, never a crash.
	local accept
	for accept in ';;, text/html' ';' ',,,' 'text/html;;q=;q' 'text/html;q=1.5, application/json;q=0.' \
		'*/*;q=0.9, text/html;q=0.8' 'text/html/x' "text/html;q=0.$(printf '9%.0s' $(seq 1 300))" \
		"$(printf 'a/b;q=0.1,%.0s' $(seq 1 200))text/html"; do
		req GET "$hb/" -H "Accept: $accept"
		check "Accept '${accept:0:40}': 404" eq "$status" 404
	done
	req GET "$hb/" -H "Accept: ;;, text/html"
	check "Accept ';;, text/html': a page" has "$(hdr content-type)" text/html
	req GET "$hb/" -H "Accept: */*;q=0.9, text/html;q=0.8"
	check "Accept ranking any type above HTML: JSON" eq "$(j .error)" not_found

	req GET "$hb/.well-known/jwks.json"
	check "CR/LF in Content-Type and Cache-Control: 500" eq "$status" 500
	check "CR/LF in Content-Type and Cache-Control: no header smuggled" no_injected
	req GET "$hb/.well-known/openid-configuration"
	check "all columns NULL: 500" eq "$status" 500
	req POST "$hb/token" -H "Content-Type: application/x-www-form-urlencoded" -d "status=99"
	check "status 99: 500" eq "$status" 500
	req POST "$hb/token" -H "Content-Type: application/x-www-form-urlencoded" -d "status=1000"
	check "status 1000: 500" eq "$status" 500
	req POST "$hb/token" -H "Content-Type: application/x-www-form-urlencoded" -d "none"
	check "no row: 500" eq "$status" 500

	req GET "$hb/authorize?mode=crlf" -H "Cookie: __Host-mcp_oauth_session=good"
	check "CR/LF in Location: 500" eq "$status" 500
	check "CR/LF in Location: no header smuggled" no_injected
	check "CR/LF in Location: no Location" eq "$(hdr location)" ""
	check "CR/LF in Location: page headers" page_headers_ok
	req GET "$hb/authorize?mode=nolocation" -H "Cookie: __Host-mcp_oauth_session=good"
	check "302 without Location: an error page" eq "$status" 400
	req GET "$hb/authorize?mode=error" -H "Cookie: __Host-mcp_oauth_session=good"
	check "error page: status kept" eq "$status" 400
	check "error page: description escaped" has "$(cat "$B")" "&lt;img src=x onerror=alert(1)&gt; &quot; &amp; &#39;"
	check "error page: code escaped" has "$(cat "$B")" "&lt;b&gt;bad&lt;/b&gt;"
	check "error page: no markup from the database" hasnt "$(cat "$B")" "<img"
	check "error page: page headers" page_headers_ok
	for m in badjson deepjson nullstatus consent-badjson consent-noid consent-dup; do
		req GET "$hb/authorize?mode=$m" -H "Cookie: __Host-mcp_oauth_session=good"
		check "$m: an HTML page, no crash" page_headers_ok
	done
	req GET "$hb/authorize?mode=nullstatus" -H "Cookie: __Host-mcp_oauth_session=good"
	check "NULL status: 500" eq "$status" 500
	req GET "$hb/authorize?mode=consent" -H "Cookie: __Host-mcp_oauth_session=nulls"
	check "session row of NULLs: signed out" has "$(cat "$B")" 'type="password"'

	# Signed out: authorize() answers first.  Its errors are pages (no
	# sign-in); its redirect URI reaches form-action only as a checked origin.
	req GET "$hb/authorize?mode=error"
	check "signed out, an error: the error page" eq "$status" 400
	check "signed out, an error: no sign-in form" hasnt "$(cat "$B")" 'type="password"'
	req GET "$hb/authorize?mode=consent"
	check "signed out, hostile descriptor: the sign-in page" has "$(cat "$B")" 'type="password"'
	check "signed out, hostile descriptor: form-action names its origin only" \
		has "$(hdr content-security-policy)" "form-action 'self' https://app.example;"
	check "signed out, hostile descriptor: no markup in the CSP" hasnt "$(hdr content-security-policy)" svg
	for m in consent-csp consent-js; do
		req GET "$hb/authorize?mode=$m"
		check "signed out, $m: form-action 'self' only" \
			has "$(hdr content-security-policy)" "form-action 'self'; frame-ancestors 'none'"
		check "signed out, $m: no script-src" hasnt "$(hdr content-security-policy)" "script-src"
		check "signed out, $m: page headers" page_headers_ok
	done
	req GET "$hb/authorize?mode=crlf"
	check "signed out, CR/LF in an error redirect: sign in first" eq "$status" 200
	check "signed out, CR/LF in an error redirect: no header smuggled" no_injected
	check "signed out, CR/LF in an error redirect: page headers" page_headers_ok
	req GET "$hb/authorize?mode=nolocation"
	check "signed out, 302 without Location: an error page" eq "$status" 400

	req GET "$hb/authorize?mode=consent" -H "Cookie: __Host-mcp_oauth_session=good"
	check "hostile consent: 200" eq "$status" 200
	check "hostile consent: page headers" page_headers_ok
	check "hostile consent: no script" hasnt "$(cat "$B")" "<script"
	check "hostile consent: no svg" hasnt "$(cat "$B")" "<svg"
	check "hostile consent: no markup from the database" hasnt "$(cat "$B")" "<i>cid"
	check "hostile consent: client name escaped" has "$(cat "$B")" "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;"
	check "hostile consent: scope description escaped" has "$(cat "$B")" "&lt;/li&gt;&lt;script&gt;"
	check "hostile consent: a scope, its description then its name" has "$(cat "$B")" \
		'<li>&lt;/li&gt;&lt;script&gt;alert(2)&lt;/script&gt; <span class="muted">(<code>&lt;em&gt;s&lt;/em&gt;</code>)</span></li>'
	check "hostile consent: elements without a name listed empty, in place" \
		eq "$(grep -c '^<li> <span class="muted">(<code></code>)</span></li>$' "$B")" 3
	check "hostile consent: scopes never shown as none" hasnt "$(cat "$B")" "with no other permission"
	check "hostile consent: subject escaped" has "$(cat "$B")" "&lt;b&gt;mallory&lt;/b&gt;&quot;"
	check "hostile consent: request_id round-trips" eq "$(field request_id)" '"><script>alert(1)</script>'

	# Characters that reorder, hide or break lines never reach the page,
	# whatever the database sends; a name the client chose is marked so.
	req GET "$hb/authorize?mode=consent-bidi" -H "Cookie: __Host-mcp_oauth_session=good"
	check "bidi consent: 200" eq "$status" 200
	check "bidi consent: no bidi, separator or invisible character" \
		no_hidden_chars "$B"
	check "bidi consent: the name, cleaned" has "$(cat "$B")" "GooelgVerified by your admin"
	check "bidi consent: a dynamic client 'calls itself'" has "$(cat "$B")" "calls itself"
	check "bidi consent: the local-tool warning" has "$(cat "$B")" "Approve only if you started a tool"
	check "bidi consent: hidden field values kept" eq "$(field request_id)" r1
	check "bidi consent: the scope, cleaned" has "$(cat "$B")" \
		'<li>Read files <span class="muted">(<code>s</code>)</span></li>'
	req GET "$hb/authorize?mode=consent-csp" -H "Cookie: __Host-mcp_oauth_session=good"
	check "consent without scopes: no other permission" has "$(cat "$B")" \
		'<ul>
<li>Connect to your account, with no other permission</li>
</ul>'
	# A name twice is no descriptor: which redirect URI would the page show?
	req GET "$hb/authorize?mode=consent-dup" -H "Cookie: __Host-mcp_oauth_session=good"
	check "a descriptor with redirect_uri twice: the error page" eq "$status" 500
	check "a descriptor with redirect_uri twice: neither shown" hasnt "$(cat "$B")" "example/cb"
	req GET "$hb/authorize?mode=consent" -H "Cookie: __Host-mcp_oauth_session=good"
	check "consent without client_kind: the name is the client's own claim" has "$(cat "$B")" "calls itself"

	test_hostile_fetch "$hdb"

	req GET "$hb/login"
	lc=$(cookie __Host-mcp_oauth_login)
	for u in crlf attr null; do
		req POST "$hb/login" -H "Cookie: __Host-mcp_oauth_login=$lc" --data-urlencode "csrf=$lc" \
			--data-urlencode "return_to=" --data-urlencode "username=$u" --data-urlencode "password=pw"
		check "session token '$u' from the database: 500" eq "$status" 500
		check "session token '$u': no session cookie" eq "$(set_cookie __Host-mcp_oauth_session)" ""
		check "session token '$u': no header smuggled" no_injected
		check "session token '$u': no Domain" hasnt "$(hdrs set-cookie)" "Domain="
	done
	req POST "$hb/login" -H "Cookie: __Host-mcp_oauth_login=$lc" --data-urlencode "csrf=$lc" \
		--data-urlencode "return_to=" --data-urlencode "username=ok" --data-urlencode "password=pw"
	check "a plain session token: 303" eq "$status" 303

	req POST "$hb/mcp" -H "Authorization: Bearer crlf-subject" -H "Content-Type: application/json" -d '{}'
	check "CR/LF in the subject: 502, not forwarded" eq "$status" 502
	check "CR/LF in the subject: no header smuggled" no_injected
	req POST "$hb/mcp" -H "Authorization: Bearer crlf-challenge" -H "Content-Type: application/json" -d '{}'
	check "CR/LF in the challenge: 401" eq "$status" 401
	check "CR/LF in the challenge: no header smuggled" no_injected
	check "CR/LF in the challenge: our own challenge" has "$(hdr www-authenticate)" "resource_metadata=\"$hb/.well-known/oauth-protected-resource/mcp\""
	req POST "$hb/mcp" -H "Authorization: Bearer crlf-subject" -H "Origin: https://evil.example" \
		-H "Content-Type: application/json" -d '{}'
	check "foreign Origin: refused before verification" eq "$status" 403
	check "foreign Origin: no header smuggled" no_injected
	req POST "$hb/mcp" -H "Authorization: Bearer null-client" -H $'Origin: https://evil.example\t' \
		-H "Content-Type: application/json" -d '{}'
	check "foreign Origin with a tab: 403" eq "$status" 403
	req POST "$hb/mcp?access_token=null-client" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "a token only in the query: 401, never verified or forwarded" eq "$status" 401
	check "a token only in the query: no error code" hasnt "$(hdr www-authenticate)" "error="
	req POST "$hb/mcp" -H "Authorization: Bearer null-active" -H "Content-Type: application/json" -d '{}'
	check "NULL active: 500" eq "$status" 500
	req POST "$hb/mcp" -H "Authorization: Bearer null-client" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "NULL client_id and scopes: forwarded" eq "$status" 200
	check "NULL client_id and scopes: subject" eq "$(j .result.structuredContent.subject)" alice
	req POST "$hb/mcp" -H "Authorization: Bearer quoted-scopes" -H "Content-Type: application/json" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}'
	check "quoted array elements: forwarded" eq "$status" 200

	stop_server
	check "hostile: server exits 0" eq "$srv_rc" 0
	if [ "$2" = hostile-asan ]; then
		check "hostile: no sanitizer report" sanitizer_clean "$srv_log"
	fi
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $hdb" >/dev/null 2>&1
}
