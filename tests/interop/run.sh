#!/usr/bin/env bash
# tests/interop/run.sh: real client libraries against mcp-oauth-server.
#
# Runs under scripts/test.sh (PGHOST, PGPORT, PGUSER=postgres of a running
# throwaway cluster).  Installs the locked npm dependencies (npm ci), brings
# up a database, the demo MCP upstream and the server (tests/lib/stack.sh),
# and runs with node's test runner:
#   sdk.test.mjs       the official MCP TypeScript SDK client, as Claude Desktop connects
#   strict.test.mjs    oauth4webapi (strict OAuth 2.1 client) and jose (JWT verification)
#   negative.test.mjs  the same libraries attempting what must fail
#   cimd.test.mjs      clients identified by a Client ID Metadata Document
#                      (the SDK's client metadata URL, documents shaped like
#                      Claude Code's and ChatGPT's), served over HTTPS by the
#                      test with a certificate of the test CA of
#                      tests/fetch/testca.sh
#   conformance.test.mjs  the official MCP conformance suite's authorization
#                      server scenarios (conformance/, its own npm package)
#
# The server runs with --fetch-allow-cidrs 127.0.0.0/8,::1 (the documents
# are at https://localhost:PORT/..., and localhost resolves to both) and
# --fetch-ca-file naming the test CA.
#
#   STACK_KEEP=1   keep the work directory (server and demo logs)
#
# Last line: "interop: N passed, M failed"; exit status non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/stack.sh
. "$here/../lib/stack.sh"
# shellcheck source=../fetch/testca.sh
. "$here/../fetch/testca.sh"

fail() { echo "$1"; echo "interop: 0 passed, 1 failed"; exit 1; }

stack_npm_ci "$here" || fail "npm ci failed"
stack_npm_ci "$here/conformance" || fail "npm ci failed (conformance)"
stack_init interop || fail "no free port"
trap stack_stop EXIT
stack_database || fail "database setup failed"
testca_make "$STACK_WORK" || fail "could not make the test certificates"
export INTEROP_TLS_CERT=$STACK_WORK/srv.pem INTEROP_TLS_KEY=$STACK_WORK/srv.key
export STACK_SERVER_ARGS="--fetch-allow-cidrs 127.0.0.0/8,::1 --fetch-ca-file $STACK_WORK/ca.pem"
stack_start || fail "the stack did not start"

cd "$here" || exit 1
stack_node_test interop sdk.test.mjs strict.test.mjs negative.test.mjs cimd.test.mjs conformance.test.mjs
