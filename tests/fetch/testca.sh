# tests/fetch/testca.sh: sourced by tests/fetch/run.sh and tests/http/cimd.sh.
# A test CA, a certificate for localhost, *.fetch.test and 127.0.0.1 signed
# by it, and tests/fetch/server.mjs serving HTTPS with that certificate.
#
#   testca_make DIR      DIR/ca.pem (the CA to trust), DIR/srv.pem, DIR/srv.key
#   testca_server DIR    start server.mjs; sets P (HTTPS port), HOLE (a port
#                        that accepts and never answers), testca_pid

# testca_make DIR: the CA and the server's certificate, made with openssl.
testca_make() {
	(
		cd "$1" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
			-out ca.pem -days 2 -subj "/CN=mcp_oauth fetch test CA" 2>/dev/null &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
			-out srv.csr -subj "/CN=fetch.test" 2>/dev/null &&
		printf 'subjectAltName=DNS:localhost,DNS:*.fetch.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
			-days 2 -extfile ext.cnf 2>/dev/null
	)
}

# testca_server DIR: server.mjs on 127.0.0.1 with DIR's certificate.
testca_server() {
	node "$(dirname "${BASH_SOURCE[0]}")/server.mjs" "$1/srv.pem" "$1/srv.key" >"$1/ports" 2>"$1/node.log" &
	testca_pid=$!
	for _ in $(seq 1 50); do
		[ -s "$1/ports" ] && break
		sleep 0.1
	done
	P=$(sed -n 's/.*"https":\([0-9]*\).*/\1/p' "$1/ports")
	HOLE=$(sed -n 's/.*"hole":\([0-9]*\).*/\1/p' "$1/ports")
	[ -n "$P" ] && [ -n "$HOLE" ] || { echo "server.mjs did not start"; cat "$1/node.log"; return 1; }
}
