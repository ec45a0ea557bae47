#!/usr/bin/env bash
# Upgrade test (make test's upgrade layer).  For every released version V
# (extension/versions/mcp_oauth--V.sql): create the extension at V in a new
# database, fill it through the endpoint functions (tests/lib/state_fill.sql),
# ALTER EXTENSION mcp_oauth UPDATE, check that the kept state still works
# (tests/lib/state_check.sql), and that the updated schema equals a fresh
# install of the current version: pg_dump --binary-upgrade dumps every
# member object of the extension, and the two dumps must be the same but
# for OIDs.  Needs the cluster of scripts/test.sh (PGHOST, PGPORT).
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../../scripts/cluster.sh
. scripts/cluster.sh

out=$(mktemp -d /tmp/mcp_oauth_upgrade.XXXXXX)
trap 'rm -rf "$out"' EXIT
# shellcheck source=../lib/state.sh
. tests/lib/state.sh
current=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" mcp_oauth.control)

# A new database with the settings the state scripts need.
new_db() {
	local db=$1
	dropdb --if-exists "$db" 2>/dev/null; createdb "$db" &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "
		ALTER DATABASE $db SET mcp_oauth.issuer = 'https://as.example.com';
		ALTER DATABASE $db SET mcp_oauth.resources = 'https://as.example.com/mcp'"
}

# The extension's objects as pg_dump --binary-upgrade writes them, with OIDs
# and the dump's random \restrict key left out, and its configuration tables
# (pg_extension_config_dump) by name instead of by OID.
schema_of() {
	pg_dump --binary-upgrade --schema-only --no-comments -d "$1" |
		grep -vE 'binary_upgrade_set_next_|binary_upgrade_create_empty_extension|^\\(un)?restrict |^SET |^SELECT pg_catalog.set_config|^SELECT pg_catalog.setval' |
		sed -E "s/'[0-9]+'::pg_catalog\.oid/OID/g; s/oid = '[0-9]+'/oid = OID/" 
	psql -X -tA -d "$1" -c "
		SELECT c.t::regclass, c.cond
		  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS c(t, cond)
		 WHERE e.extname = 'mcp_oauth' ORDER BY c.t::regclass::text"
}

# Create at version $1 in database $2.
create_at() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$2" -c "SET client_min_messages = warning" \
		-c "CREATE EXTENSION mcp_oauth VERSION '$1' CASCADE"
}

# The extension's version in database $1 is $2.
version_is() {
	[ "$(psql -X -tA -d "$1" -c "SELECT extversion FROM pg_extension WHERE extname = 'mcp_oauth'")" = "$2" ]
}

# How many members of database $1's RFC 8414 metadata name what needs the
# 0.5.0 schema: private_key_jwt in a *_auth_methods_supported list, a
# *_auth_signing_alg_values_supported list, CIMD supported.
pkjwt_members() {
	psql -X -tA -d "$1" -c "
		SELECT count(*) FROM jsonb_each((mcp_oauth.authorization_server_metadata()).body::jsonb) e(k, v)
		 WHERE k LIKE '%_auth_signing_alg_values_supported'
			OR (k LIKE '%_auth_methods_supported' AND v ? 'private_key_jwt')
			OR (k = 'client_id_metadata_document_supported' AND v = 'true')"
}

# Database $1's metadata has $2 such members (0 on an old schema, 7 once
# updated: three method lists, three algorithm lists, CIMD).
pkjwt_members_are() {
	local n
	n=$(pkjwt_members "$1") && [ "$n" = "$2" ] || { echo "$n such members, not $2"; return 1; }
}

check "fresh install of $current" new_db mo_upgrade_fresh
check "CREATE EXTENSION mcp_oauth ($current)" create_at "$current" mo_upgrade_fresh
schema_of mo_upgrade_fresh >"$out/fresh.sql"

# a database of another encoding is refused at install
dropdb --if-exists mo_upgrade_latin1 2>/dev/null
createdb -E LATIN1 -T template0 --locale=C mo_upgrade_latin1
refused_latin1() {
	! psql -X -q -d mo_upgrade_latin1 -c "CREATE EXTENSION mcp_oauth CASCADE" >"$out/latin1" 2>&1 &&
		grep -q "requires a database with UTF8 encoding" "$out/latin1"
}
check "CREATE EXTENSION is refused in a LATIN1 database" refused_latin1
dropdb mo_upgrade_latin1

for f in extension/versions/mcp_oauth--*.sql; do
	v=${f#extension/versions/mcp_oauth--}; v=${v%.sql}
	case $v in *--*) continue ;; esac		# an upgrade script
	[ "$v" = "$current" ] && continue
	db=mo_upgrade_${v//./_}
	echo "-- from $v"
	check "$v: new database" new_db "$db"
	check "$v: CREATE EXTENSION mcp_oauth VERSION '$v'" create_at "$v" "$db"
	check "$v: filled through the endpoints" \
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f tests/lib/state_fill.sql
	check "$v: the new library advertises no private_key_jwt or CIMD on it" \
		pkjwt_members_are "$db" 0
	# make run's set-up of its database: CREATE EXTENSION IF NOT EXISTS,
	# then ALTER EXTENSION mcp_oauth UPDATE
	check "$v: ALTER EXTENSION mcp_oauth UPDATE (make run's mcp_database)" \
		mcp_database "$db" https://as.example.com
	check "$v: now at $current" version_is "$db" "$current"
	check "$v: updated, private_key_jwt and CIMD are advertised" pkjwt_members_are "$db" 7
	state_check "$db"
	psql -X -q -d "$db" -c "DROP TABLE public.state_kept"
	schema_of "$db" >"$out/$v.sql"
	check "$v: updated schema equals a fresh install" diff -u "$out/fresh.sql" "$out/$v.sql"
	[ -n "${KEEP_DB:-}" ] || dropdb "$db"
done
dropdb mo_upgrade_fresh

echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
