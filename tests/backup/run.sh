#!/usr/bin/env bash
# Backup test (make test's backup layer): a database filled through the
# endpoint functions (tests/lib/state_fill.sql) is dumped and restored, in
# pg_dump's custom format with --create (database settings included) and in
# plain SQL into a new database; every mcp_oauth table and sequence must
# come back with the same content, and the state must still work
# (tests/lib/state_check.sql).  Needs the cluster of scripts/test.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."

out=$(mktemp -d /tmp/mcp_oauth_backup.XXXXXX)
chmod 755 "$out"
trap 'rm -rf "$out"' EXIT
# shellcheck source=../lib/state.sh
. tests/lib/state.sh

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Each table's and sequence's content in database $1, one line each: a
# digest of the rows in a fixed order.
content_of() {
	q -tA -d "$1" <<'SQL'
SELECT c.relname || ' ' || CASE c.relkind
	WHEN 'S' THEN (xpath('/row/l/text()', query_to_xml(format(
		'SELECT last_value AS l FROM %s', c.oid::regclass), false, false, '')))[1]::text
	ELSE (xpath('/row/d/text()', query_to_xml(format(
		'SELECT count(*) || '':'' || md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) AS d FROM %s t',
		c.oid::regclass), false, false, '')))[1]::text END
  FROM pg_class c
 WHERE c.relnamespace = 'mcp_oauth'::regnamespace AND c.relkind IN ('r', 'S')
 ORDER BY c.relname;
SQL
}

# Every table of state has rows (so that the comparison compares something).
all_filled() {
	! grep -E ' 0:' "$1"
}

src=mo_backup_src
for d in "$src" mo_backup_orig mo_backup_plain; do dropdb --if-exists "$d" 2>/dev/null; done
check "source database" createdb "$src"
check "settings and extension" q -d "$src" -c "SET client_min_messages = warning" \
	-c "ALTER DATABASE $src SET mcp_oauth.issuer = 'https://as.example.com'" \
	-c "ALTER DATABASE $src SET mcp_oauth.resources = 'https://as.example.com/mcp'" \
	-c "CREATE EXTENSION mcp_oauth CASCADE"
check "filled through the endpoints" q -d "$src" -f tests/lib/state_fill.sql
content_of "$src" >"$out/before"
check "every table of state has rows" all_filled "$out/before"

check "pg_dump --format=custom --create" pg_dump -Fc --create -d "$src" -f "$out/dump.custom"
check "pg_dump (plain SQL)" pg_dump -d "$src" -f "$out/dump.sql"
check "the source renamed away" q -d postgres -c "ALTER DATABASE $src RENAME TO mo_backup_orig"
check "pg_restore --create --exit-on-error" pg_restore --create --exit-on-error -d postgres "$out/dump.custom"
content_of "$src" >"$out/after"
check "custom: every table and sequence has the same content" diff -u "$out/before" "$out/after"
state_check "$src"

check "plain: a new database" createdb mo_backup_plain
check "plain: psql restores with no error" q -d mo_backup_plain -f "$out/dump.sql"
content_of mo_backup_plain >"$out/plain"
check "plain: every table and sequence has the same content" diff -u "$out/before" "$out/plain"
check "plain: database settings (not in a dump without --create)" q -d postgres \
	-c "ALTER DATABASE mo_backup_plain SET mcp_oauth.issuer = 'https://as.example.com'" \
	-c "ALTER DATABASE mo_backup_plain SET mcp_oauth.resources = 'https://as.example.com/mcp'"
state_check mo_backup_plain

dropdb "$src"; dropdb mo_backup_orig; dropdb mo_backup_plain
echo "backup: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
