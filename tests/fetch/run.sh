#!/usr/bin/env bash
# tests/fetch/run.sh: the outbound fetcher (shim/fetch.c) against a local
# HTTPS server.
#
# Makes a test CA and a server certificate (localhost, *.fetch.test,
# 127.0.0.1) with openssl, starts tests/fetch/server.mjs, builds
# tests/fetch/driver.c (the fetcher on an h2o evloop, with the server's own
# option parsing) normally and with ASan/UBSan, and runs every case with
# both builds.  Host names are pinned to addresses with the driver's
# --resolve (the test cannot change DNS); the fetcher checks those
# addresses like any resolved ones.  Then the server itself starts with
# --fetch-allow-cidrs and --fetch-ca-file and stops cleanly (both builds).
#
#   FETCH_SUITES="normal asan"   which builds (default both)
#   FETCH_VERBOSE=1              print every check
#   FETCH_KEEP=1                 keep the work directory
#
# Last line: "fetch: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
# shellcheck source=../../scripts/cluster.sh
. scripts/cluster.sh

work=$(mktemp -d /tmp/mcp_oauth_fetch.XXXXXX)
passed=0 failed=0 suite="" out=""

cleanup() {
	[ -n "${testca_pid:-}" ] && kill "$testca_pid" 2>/dev/null && wait "$testca_pid" 2>/dev/null
	if [ -n "${FETCH_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- checks ----

# check NAME COMMAND...: one test; COMMAND's status is the verdict.
check() {
	local name=$1; shift
	local why
	if why=$("$@" 2>&1); then
		passed=$((passed + 1))
		[ -n "${FETCH_VERBOSE:-}" ] && echo "ok - $suite$name"
	else
		failed=$((failed + 1))
		echo "FAIL - $suite$name"
		[ -n "$why" ] && echo "$why" | sed 's/^/    /'
	fi
	return 0
}
# has HAYSTACK NEEDLE
has() { case $1 in *"$2"*) return 0 ;; esac; echo "'$(echo "$1" | head -c 400)' lacks '$2'"; return 1; }
# hasnt HAYSTACK NEEDLE
hasnt() { case $1 in *"$2"*) echo "unexpected '$2' in '$(echo "$1" | head -c 400)'"; return 1 ;; esac; return 0; }
# eq GOT WANT
eq() { [ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }; }

# ---- setup ----

# shellcheck source=testca.sh
. tests/fetch/testca.sh

cflags="-DH2O_USE_LIBUV=0 -D_GNU_SOURCE -Ishim -Iextension -Iextension/lib -I$(pg_config --includedir)
	-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare"
sources="tests/fetch/driver.c shim/fetch.c shim/config.c shim/log.c extension/lib/netaddr.c
	extension/lib/uri.c"
libs="$(pkg-config --libs libh2o-evloop 2>/dev/null || echo -lh2o-evloop) -lcurl -lssl -lcrypto -lz -lpthread"

# build_driver OUT EXTRA-FLAGS: the driver.
build_driver() {
	# shellcheck disable=SC2086
	cc $2 $cflags -o "$1" $sources $libs
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$top/tests/http/lsan.supp
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# drive ARGS... [-- SERVER-OPTIONS]: run the driver; $out is its output,
# $err its log; fails on a sanitizer report or a non-zero exit.
drive() {
	out=$(timeout 60 "$driver" "$@" 2>"$work/err") || { echo "driver exited $?"; cat "$work/err"; return 1; }
	err=$(cat "$work/err")
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$work/err"; then
		cat "$work/err"
		return 1
	fi
}
# line N: line N (from 0) of the last output.
line() { echo "$out" | grep -E "^$1 " || echo "(no line $1)"; }
# hits PATH: how many requests server.mjs saw for PATH (path and query).
hits() {
	curl -sS --cacert "$work/ca.pem" --resolve "ok.fetch.test:$P:127.0.0.1" \
		"https://ok.fetch.test:$P/hits?path=$(node -e 'console.log(encodeURIComponent(process.argv[1]))' "$1")" |
		sed -n 's/.*"hits":\([0-9]*\).*/\1/p'
}

# The options of most cases: the test CA, 127.0.0.0/8 reachable, short timeouts.
allow=(--fetch-allow-cidrs 127.0.0.0/8 --fetch-ca-file "$work/ca.pem"
	--fetch-connect-timeout 1000 --fetch-timeout 1500 --fetch-max-concurrent 64 --fetch-max-per-host 64)
ok=ok.fetch.test

# 1. A document: body, ETag, lifetime from max-age; +json and charset types.
case_success() {
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/ok.json" "https://$ok:$P/jwks" \
		"https://$ok:$P/charset" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200 len=11 etag="v1" lifetime=600 no_store=0 detail=- body={"ok":true}' &&
	has "$(line 1)" 'reason=ok status=200' && has "$(line 1)" 'body={"keys":[]}' &&
	has "$(line 2)" 'reason=ok status=200' &&
	has "$out" 'pending_after_destroy=0'
}

# 2. Host names resolving to every refused class, with 127.0.0.0/8 allowed.
refused_names=(
	"ten:10.0.0.1:private" "rfc172:172.31.255.255:private" "rfc192:192.168.1.1:private"
	"cgn:100.64.0.1:shared address space" "meta:169.254.169.254:link-local"
	"zero:0.0.0.0:this network" "mcast:224.0.0.1:multicast" "bcast:255.255.255.255:broadcast"
	"bench:198.18.0.1:benchmarking" "doc:192.0.2.1:documentation" "doc3:203.0.113.9:documentation"
	"resv:240.0.0.1:reserved" "ietf:192.0.0.8:IETF protocol assignments"
	"v6loop:[::1]:loopback" "v6any:[::]:unspecified" "ula:[fd00::1]:unique local"
	"ll6:[fe80::1]:link-local" "mapped:[::ffff:10.0.0.1]:IPv4-mapped"
	"compat:[::10.0.0.1]:IPv4-compatible" "nat64:[64:ff9b::a9fe:a9fe]:NAT64 of a refused IPv4 address"
	"nat64l:[64:ff9b:1::808:808]:NAT64 local-use"
	"sixtofour:[2002:c0a8:101::1]:6to4 of a refused IPv4 address"
	"teredo:[2001:0:808:808::80ff:fffe]:Teredo with a refused IPv4 address"
	"doc6:[2001:db8::1]:documentation" "mcast6:[ff02::1]:multicast"
)
case_refused_names() {
	local args=() urls=() i=0 e name addr class rc=0
	for e in "${refused_names[@]}"; do
		name=${e%%:*}; e=${e#*:}; addr=${e%:*}
		args+=(--resolve "$name.fetch.test:$P:$addr")
		urls+=("https://$name.fetch.test:$P/ok.json")
	done
	drive "${args[@]}" "${urls[@]}" -- "${allow[@]}" || return 1
	for e in "${refused_names[@]}"; do
		class=${e##*:}
		has "$(line $i)" "reason=refused_address status=0 len=0" || rc=1
		has "$(line $i)" "detail=$class body=" || rc=1
		i=$((i + 1))
	done
	hasnt "$err" "/ok.json" || rc=1
	return $rc
}

# 3. Loopback is refused by default, through pinned and resolved names and a literal.
case_loopback_default() {
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/ok.json" "https://127.0.0.1:$P/ok.json" \
		-- --fetch-ca-file "$work/ca.pem" || return 1
	has "$(line 0)" 'reason=refused_address status=0 len=0 etag=- lifetime=0 no_store=0 detail=loopback' &&
	has "$(line 1)" 'reason=refused_address' && has "$(line 1)" 'detail=loopback' &&
	has "$err" "fetch from $ok:$P: refused_address (loopback)" || return 1
	# a name libcurl resolves itself (not pinned): refused, then allowed with both loopbacks
	drive "https://localhost:$P/ok.json" -- --fetch-ca-file "$work/ca.pem" || return 1
	has "$(line 0)" 'reason=refused_address' && has "$(line 0)" 'detail=loopback' || return 1
	drive "https://localhost:$P/ok.json" -- --fetch-ca-file "$work/ca.pem" \
		--fetch-allow-cidrs "127.0.0.0/8,::1" || return 1
	has "$(line 0)" 'reason=ok status=200'
}

# 4. Literals: allowed by 127.0.0.0/8 unless IP literals are refused; others refused.
case_literals() {
	drive "https://127.0.0.1:$P/ok.json" "https://[::1]:$P/ok.json" \
		"https://[::ffff:10.0.0.1]:$P/ok.json" "https://[64:ff9b::7f00:1]:$P/ok.json" \
		"https://169.254.169.254/latest/meta-data" "https://10.0.0.1:$P/x" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200' &&
	has "$(line 1)" 'detail=loopback' &&
	has "$(line 2)" 'detail=IPv4-mapped' &&
	has "$(line 3)" 'detail=NAT64 of a refused IPv4 address' &&
	has "$(line 4)" 'reason=refused_address' && has "$(line 4)" 'detail=link-local' &&
	has "$(line 5)" 'detail=private' || return 1
	drive --refuse-ip-literal "https://127.0.0.1:$P/ok.json" "https://[::1]:$P/ok.json" \
		"https://127.1:$P/ok.json" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=bad_url status=0' &&
	has "$(line 0)" 'detail=must name its host, not an IP address' &&
	has "$(line 1)" 'reason=bad_url' && has "$(line 2)" 'reason=bad_url'
}

# 5. URLs refused before any traffic.
case_bad_urls() {
	drive --resolve "$ok:$P:127.0.0.1" "http://$ok:$P/ok.json" "https://user:pw@$ok:$P/ok.json" \
		"https://$ok:$P/ok.json#frag" "https://$ok:$P" "https://$ok:$P/" "ftp://$ok/x" \
		"https://$ok:$P/a/../ok.json" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=bad_url' && has "$(line 0)" 'detail=must be an https URL' &&
	has "$(line 1)" 'detail=must not contain user information' &&
	has "$(line 2)" 'detail=must not contain a fragment' &&
	has "$(line 3)" 'detail=must have a path' && has "$(line 4)" 'detail=must have a path' &&
	has "$(line 5)" 'detail=must be an https URL' &&
	has "$(line 6)" 'detail=must not have . or .. path segments' &&
	eq "$(hits /ok.json#frag)" 0 && hasnt "$err" "pw@" && hasnt "$err" "user:"
}

# 6. Redirects are not followed; other statuses refused.
case_statuses() {
	local before redirects
	before=$(hits /ok.json)
	redirects=$(hits /redirect)
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/redirect" "https://$ok:$P/notfound" \
		"https://$ok:$P/error" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=redirect status=302 len=0' &&
	has "$(line 1)" 'reason=status status=404 len=0' &&
	has "$(line 2)" 'reason=status status=500 len=0' &&
	eq "$(hits /ok.json)" "$before" && eq "$(hits /redirect)" $((redirects + 1))
}

# 7. The body cap: by Content-Length, while growing without one, at the edge.
case_size() {
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/size?n=6000" "https://$ok:$P/grow" \
		"https://$ok:$P/size?n=5120" "https://$ok:$P/size?n=5121" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=size status=200 len=0' &&
	has "$(line 1)" 'reason=size status=200 len=0' &&
	has "$(line 2)" 'reason=ok status=200 len=5120' &&
	has "$(line 3)" 'reason=size status=200 len=0' || return 1
	drive --max-body 100 --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/size?n=100" \
		"https://$ok:$P/size?n=101" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200 len=100' && has "$(line 1)" 'reason=size'
}

# 8. Timeouts: a body that drips past the total, a server that never answers, a closed port.
case_timeouts() {
	local t0 t1 closed
	closed=$(free_port)
	t0=$(date +%s%N)
	drive --resolve "$ok:$P:127.0.0.1" --resolve "hole.fetch.test:$HOLE:127.0.0.1" \
		--resolve "closed.fetch.test:$closed:127.0.0.1" "https://$ok:$P/drip" \
		"https://hole.fetch.test:$HOLE/ok.json" "https://closed.fetch.test:$closed/ok.json" \
		-- "${allow[@]}" || return 1
	t1=$(date +%s%N)
	has "$(line 0)" 'reason=timeout status=200 len=0' &&
	has "$(line 1)" 'reason=timeout status=0' &&
	has "$(line 2)" 'reason=connect status=0' &&
	[ $(((t1 - t0) / 1000000)) -lt 4000 ] || { echo "took $(((t1 - t0) / 1000000)) ms"; return 1; }
}

# 9. Content types that are not JSON.
case_content_type() {
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/html" "https://$ok:$P/no-type" \
		-- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=content_type status=200 len=0' &&
	has "$(line 1)" 'reason=content_type status=200 len=0'
}

# 10. TLS: without the test CA the certificate does not verify; nor for another name.
case_tls() {
	drive --resolve "$ok:$P:127.0.0.1" --resolve "other.example:$P:127.0.0.1" \
		"https://$ok:$P/ok.json" -- --fetch-allow-cidrs 127.0.0.0/8 || return 1
	has "$(line 0)" 'reason=tls status=0' || return 1
	drive --resolve "other.example:$P:127.0.0.1" "https://other.example:$P/ok.json" \
		-- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=tls status=0'
}

# 11. Single flight: 10 requests of one URL, one request seen; 2 of 5 cancelled.
case_single_flight() {
	drive --repeat 10 --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/slow?sf=$sid" \
		-- "${allow[@]}" || return 1
	eq "$(echo "$out" | grep -c 'reason=ok status=200 len=13')" 10 &&
	eq "$(hits "/slow?sf=$sid")" 1 || return 1
	drive --repeat 5 --cancel 2 --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/slow?sfc=$sid" \
		-- "${allow[@]}" || return 1
	eq "$(echo "$out" | grep -c 'reason=ok status=200')" 3 &&
	eq "$(echo "$out" | grep -c 'reason=cancelled')" 2 &&
	eq "$(hits "/slow?sfc=$sid")" 1 || return 1
	# another URL is another fetch
	drive --repeat 3 --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/slow?sfa=$sid" \
		"https://$ok:$P/slow?sfb=$sid" -- "${allow[@]}" || return 1
	eq "$(echo "$out" | grep -c 'reason=ok status=200')" 6 &&
	eq "$(hits "/slow?sfa=$sid")" 1 && eq "$(hits "/slow?sfb=$sid")" 1
}

# 12. Concurrency caps: per host, and in all.
case_caps() {
	local caps=(--fetch-allow-cidrs 127.0.0.0/8 --fetch-ca-file "$work/ca.pem")
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/slow?c1=$sid" \
		"https://$ok:$P/slow?c2=$sid" "https://$ok:$P/slow?c3=$sid" \
		-- "${caps[@]}" --fetch-max-per-host 2 || return 1
	has "$(line 0)" 'reason=ok' && has "$(line 1)" 'reason=ok' &&
	has "$(line 2)" 'reason=busy status=0' && eq "$(hits "/slow?c3=$sid")" 0 || return 1
	drive --resolve "h1.fetch.test:$P:127.0.0.1" --resolve "h2.fetch.test:$P:127.0.0.1" \
		--resolve "h3.fetch.test:$P:127.0.0.1" --resolve "h4.fetch.test:$P:127.0.0.1" \
		"https://h1.fetch.test:$P/slow?t=$sid" "https://h2.fetch.test:$P/slow?t=$sid" \
		"https://h3.fetch.test:$P/slow?t=$sid" "https://h4.fetch.test:$P/slow?t=$sid" \
		-- "${caps[@]}" --fetch-max-concurrent 3 || return 1
	has "$(line 0)" 'reason=ok' && has "$(line 1)" 'reason=ok' && has "$(line 2)" 'reason=ok' &&
	has "$(line 3)" 'reason=busy' &&
	# one waiter joining a running fetch is never busy
	drive --repeat 4 --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/slow?c4=$sid" \
		-- "${caps[@]}" --fetch-max-concurrent 1 || return 1
	eq "$(echo "$out" | grep -c 'reason=ok')" 4
}

# 13. Freshness lifetimes less Age, clamped (defaults 300 s .. 24 h; then 60 .. 7200).
case_lifetimes() {
	local base="https://$ok:$P/cache" now later past
	now=$(date -u '+%a, %d %b %Y %H:%M:%S GMT')
	later=$(date -u -d '+1 hour' '+%a, %d %b %Y %H:%M:%S GMT')
	past=$(date -u -d '-1 hour' '+%a, %d %b %Y %H:%M:%S GMT')
	enc() { node -e 'console.log(encodeURIComponent(process.argv[1]))' "$1"; }
	drive --resolve "$ok:$P:127.0.0.1" "$base?cc=max-age%3D1" "$base?cc=max-age%3D999999" \
		"$base?cc=public,%20max-age%3D1000" "$base?cc=no-store" "$base?cc=no-cache" \
		"$base?expires=$(enc "$later")&date=$(enc "$now")" "$base?expires=$(enc "$past")" \
		"$base?expires=0" "$base?x=none" "$base?cc=max-age%3D2000&expires=$(enc "$past")" \
		"$base?cc=max-age%3D1000&age=400" "$base?cc=max-age%3D1000&age=99999" \
		-- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200 len=2 etag=- lifetime=300 no_store=0' &&
	has "$(line 1)" 'lifetime=86400 no_store=0' &&
	has "$(line 2)" 'lifetime=1000 no_store=0' &&
	has "$(line 3)" 'lifetime=300 no_store=1' &&
	has "$(line 4)" 'lifetime=300 no_store=1' &&
	has "$(line 5)" 'lifetime=3600 no_store=0' &&
	has "$(line 6)" 'lifetime=300 no_store=0' &&
	has "$(line 7)" 'lifetime=300 no_store=0' &&
	has "$(line 8)" 'lifetime=300 no_store=0' &&
	has "$(line 9)" 'lifetime=2000 no_store=0' &&
	has "$(line 10)" 'lifetime=600 no_store=0' &&
	has "$(line 11)" 'lifetime=300 no_store=0' || return 1
	drive --resolve "$ok:$P:127.0.0.1" "$base?cc=max-age%3D30" "$base?cc=max-age%3D10000" \
		"$base?cc=max-age%3D100" -- "${allow[@]}" --fetch-min-lifetime 60 \
		--fetch-max-lifetime 7200 || return 1
	has "$(line 0)" 'lifetime=60 ' && has "$(line 1)" 'lifetime=7200 ' && has "$(line 2)" 'lifetime=100 '
}

# 14. Revalidation: If-None-Match gives not_modified on 304; another ETag a body.
case_revalidate() {
	drive --if-none-match '"v1"' --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/etag" \
		-- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=not_modified status=304 len=0 etag="v1" lifetime=1000' || return 1
	drive --if-none-match '"v0"' --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/etag" \
		-- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200 len=7 etag="v1"' || return 1
	# a 304 nobody asked for is a refused status
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/etag" -- "${allow[@]}" || return 1
	has "$(line 0)" 'reason=ok status=200'
}

# 15. The log names host and reason, never a body or a path.
case_log() {
	drive --resolve "$ok:$P:127.0.0.1" "https://$ok:$P/notfound" "https://$ok:$P/html" \
		-- "${allow[@]}" || return 1
	has "$err" "fetch from $ok:$P: status (status 404)" &&
	has "$err" "fetch from $ok:$P: content_type" &&
	hasnt "$err" "not found" && hasnt "$err" "<p>" && hasnt "$err" "/notfound"
}

run_cases() {
	suite="$1: "
	sid=$1
	check "1. success, ETag, max-age, +json" case_success
	check "2. host names of every refused class" case_refused_names
	check "3. loopback refused without --fetch-allow-cidrs" case_loopback_default
	check "4. IP literals" case_literals
	check "5. http, userinfo, fragment, no path, dot segments" case_bad_urls
	check "6. redirect not followed, 404, 500" case_statuses
	check "7. body cap: Content-Length, growing body, edge" case_size
	check "8. drip past the total timeout, silent server, closed port" case_timeouts
	check "9. content types" case_content_type
	check "10. TLS without the test CA, wrong name" case_tls
	check "11. single flight" case_single_flight
	check "12. concurrency caps" case_caps
	check "13. lifetimes clamped" case_lifetimes
	check "14. If-None-Match and 304" case_revalidate
	check "15. log lines" case_log
}

# ---- the server with the fetch options ----

# server_starts BINARY: the server starts with the fetch options, answers, stops with 0.
server_starts() {
	local bin=$1 port pid rc i
	port=$(free_port)
	"$bin" --listen "127.0.0.1:$port" --issuer "$STACK_BASE" --threads 2 \
		--database "host=$PGHOST port=$PGPORT dbname=$STACK_DB user=$stack_role" \
		--fetch-allow-cidrs "127.0.0.0/8, ::1" --fetch-ca-file "$work/ca.pem" \
		>"$work/server.log" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	eq "$rc" 0 && has "$(cat "$work/server.log")" "stopped" &&
	hasnt "$(cat "$work/server.log")" "Sanitizer" && hasnt "$(cat "$work/server.log")" "runtime error"
}

# server_refuses ARGS...: a bad fetch option stops the server with 2 and a message.
server_refuses() {
	local msg=$1; shift
	local o
	o=$(shim/mcp-oauth-server "$@" 2>&1)
	eq "$?" 2 && has "$o" "$msg"
}

server_cases() {
	# shellcheck source=../lib/stack.sh
	. tests/lib/stack.sh
	if [ -z "${PGHOST:-}" ]; then
		echo "fetch: no cluster (run under scripts/test.sh): server start not tested"
		failed=$((failed + 1))
		return
	fi
	stack_init fetch && stack_database || { failed=$((failed + 1)); return; }
	suite="server: "
	check "starts and stops with curl and the fetch options" server_starts shim/mcp-oauth-server
	if [ -n "$asan_server" ]; then
		suite="server asan: "
		check "starts and stops with curl and the fetch options" server_starts "$asan_server"
	fi
	suite="server: "
	check "--help lists the fetch options" has "$(shim/mcp-oauth-server --help)" "--fetch-allow-cidrs"
	check "a bad CIDR exits 2" server_refuses 'fetch-allow-cidrs: "10.0.0.0/33"' \
		--fetch-allow-cidrs "127.0.0.0/8,10.0.0.0/33"
	check "an unreadable CA file exits 2" server_refuses 'fetch-ca-file: cannot read' \
		--fetch-ca-file /nonexistent/ca.pem
	echo "not a certificate" >"$work/junk.pem"
	check "a CA file without a certificate exits 2" server_refuses 'no usable CA certificate' \
		--fetch-ca-file "$work/junk.pem"
	check "min lifetime above max exits 2" server_refuses 'fetch-min-lifetime (100) is above' \
		--fetch-min-lifetime 100 --fetch-max-lifetime 50
	check "a lifetime with a suffix exits 2" server_refuses 'not a number of seconds' \
		--fetch-min-lifetime 5s
	stack_stop
}

testca_make "$work" || { echo "could not make the test certificates"; echo "fetch: 0 passed, 1 failed"; exit 1; }
testca_server "$work" || { echo "fetch: 0 passed, 1 failed"; exit 1; }
make -s -C shim >/dev/null || { echo "fetch: 0 passed, 1 failed"; exit 1; }
asan_server=""
for s in ${FETCH_SUITES:-normal asan}; do
	driver=$work/driver_$s
	case $s in
	normal) build_driver "$driver" "-O2 -g" ;;
	asan) build_driver "$driver" "-fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g" &&
		make -s -C shim asan >/dev/null && asan_server=shim/asan/mcp-oauth-server ;;
	esac || { echo "FAIL - could not build the $s driver"; failed=$((failed + 1)); continue; }
	run_cases "$s"
done
server_cases

echo "fetch: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
