#!/usr/bin/env bash
# exports_test.sh
#	The extension's library exports its fmgr entry points (each
#	PG_FUNCTION_INFO_V1 function and its pg_finfo_ record), Pg_magic_func
#	and _PG_init, and nothing else: a generic name (authorize, json_get,
#	uri_*) exported into every backend could bind another library's calls.
#	Nor is any of them a test hook.
#	Run by make check, after the library is built (make at the top).
cd "$(dirname "$0")/../.." || exit 1
lib=mcp_oauth.so
passed=0 failed=0

if [ ! -f "$lib" ]; then
	echo "FAIL $lib is not built (run make first)"
	echo "exports: 0 passed, 1 failed"
	exit 1
fi
allowed=$( { printf '%s\n' Pg_magic_func _PG_init;
	sed -n 's/^PG_FUNCTION_INFO_V1(\([a-z_0-9]*\));$/\1\npg_finfo_\1/p' extension/*.c; } | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//' | sort -u)

while read -r sym; do
	if grep -qxF "$sym" <<<"$allowed"; then
		passed=$((passed + 1))
	else
		echo "FAIL $lib exports $sym, not an entry point"
		failed=$((failed + 1))
	fi
done <<<"$exported"
while read -r sym; do
	if ! grep -qxF "$sym" <<<"$exported"; then
		echo "FAIL $lib does not export the entry point $sym"
		failed=$((failed + 1))
	fi
done <<<"$allowed"
# every C function of every install script, current or released, is there
# (read from the scripts, not from the sources the map is made from)
while read -r sym; do
	if grep -qxF "$sym" <<<"$exported"; then
		passed=$((passed + 1))
	else
		echo "FAIL $lib does not export $sym, which an install script names"
		failed=$((failed + 1))
	fi
done < <(cat extension/schema/*.sql extension/versions/*.sql |
	sed -n "s/.*'MODULE_PATHNAME', *'\([A-Za-z_0-9]*\)'.*/\1/p" | sort -u)
# no test hook ships in the library (tests/signing is the tests' own)
if grep -q '_for_test$' <<<"$exported"; then
	echo "FAIL $lib exports a test hook: $(grep '_for_test$' <<<"$exported" | tr '\n' ' ')"
	failed=$((failed + 1))
else
	passed=$((passed + 1))
fi
echo "exports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
