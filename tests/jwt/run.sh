#!/usr/bin/env bash
# An independent check that our JWT access tokens verify with jose (npm)
# against our JWKS, for ES256 and EdDSA keys (check.mjs); and client
# assertions (private_key_jwt) that jose signs with RS256, PS256, ES256 and
# EdDSA keys, accepted and refused by the token, revocation and
# introspection endpoints (assertions.mjs).  Run by scripts/test.sh as
# the "jwt" layer (TEST_LAYERS=jwt make test), which exports PGHOST, PGPORT
# and PGUSER of the test cluster.  Ends with "jwt: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")"

issuer=https://as.jwt-check.example
audience=https://mcp.jwt-check.example/mcp
db=jwt_check
fail() { echo "$1" >&2; echo "jwt: 0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d /tmp/mcp_oauth_jwt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci failed"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" \
	-c "CREATE DATABASE $db" >/dev/null || fail "could not create database $db"

# One token per algorithm, through the whole flow, then the JWKS.
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION mcp_oauth;
SET mcp_oauth.issuer = '$issuer';
SET mcp_oauth.resources = '$audience';
SELECT 1 FROM mcp_oauth.create_client('JWT check', ARRAY['http://127.0.0.1/cb'], client_id => 'jwt-check');
CREATE FUNCTION pg_temp.flow(subject text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	verifier text := 'jwt-check-verifier-0123456789-0123456789-0123456789';
	challenge text := rtrim(translate(encode(sha256(convert_to(verifier, 'UTF8')), 'base64'),
									  '+/', '-_'), '=');
	r mcp_oauth.http_response;
BEGIN
	r := mcp_oauth.authorize('response_type=code&client_id=jwt-check&redirect_uri=http://127.0.0.1:5555/cb'
		|| '&code_challenge=' || challenge || '&code_challenge_method=S256&scope=mcp:tools'
		|| '&resource=$audience', '127.0.0.1');
	r := mcp_oauth.authorize_decision(r.body::json->>'request_id', subject, true, NULL, '127.0.0.1');
	r := mcp_oauth.token('application/x-www-form-urlencoded', NULL,
		'grant_type=authorization_code&client_id=jwt-check&redirect_uri=http://127.0.0.1:5555/cb'
		|| '&code=' || (regexp_match(r.location, '[?&]code=([^&]*)'))[1]
		|| '&code_verifier=' || verifier || '&resource=$audience', '127.0.0.1');
	RETURN r.body::json->>'access_token';
END
\$\$;
SELECT 1 FROM mcp_oauth.rotate_signing_key('ES256', interval '0');
SELECT 'ES256 ' || pg_temp.flow('jwt-user-es');
SELECT 1 FROM mcp_oauth.rotate_signing_key('EdDSA', interval '0');
SELECT 'EdDSA ' || pg_temp.flow('jwt-user-ed');
SELECT 'JWKS ' || (mcp_oauth.jwks()).body;
SQL
) || fail "could not get tokens from the database"

es=$(printf '%s\n' "$out" | sed -n 's/^ES256 //p')
ed=$(printf '%s\n' "$out" | sed -n 's/^EdDSA //p')
jwks=$(printf '%s\n' "$out" | sed -n 's/^JWKS //p')
[ -n "$es" ] && [ -n "$ed" ] && [ -n "$jwks" ] || fail "missing token or JWKS: $(printf '%s\n' "$out" | cut -c1-40)"

printf '{"issuer":"%s","audience":"%s","jwks":%s,"tokens":[{"alg":"ES256","token":"%s"},{"alg":"EdDSA","token":"%s"}]}' \
	"$issuer" "$audience" "$jwks" "$es" "$ed" | /usr/bin/node check.mjs | tee "$tmp/check.out"
rc=${PIPESTATUS[1]}

# private_key_jwt client assertions signed by jose (assertions.mjs), in the
# same database: its issuer and resources set for every session
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
	-c "ALTER DATABASE $db SET mcp_oauth.issuer = '$issuer'" \
	-c "ALTER DATABASE $db SET mcp_oauth.resources = '$audience'" >/dev/null ||
	fail "could not configure $db"
/usr/bin/node assertions.mjs "$db" | tee "$tmp/assertions.out"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1

# the layer's summary: both scripts' counts
p=0 f=0
for out in "$tmp/check.out" "$tmp/assertions.out"; do
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	p=$((p + $(echo "${line:-0 passed}" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')))
	f=$((f + $(echo "${line:-1 failed}" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')))
done
echo "jwt: $p passed, $f failed"
exit $rc
