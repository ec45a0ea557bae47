# Shared by tests/upgrade/run.sh and tests/backup/run.sh: counted checks.
# Source it with $out (a scratch directory) set; it counts into $passed and
# $failed.
passed=0 failed=0

# Count one check.
check() {
	local name=$1; shift
	if "$@" >"$out/last" 2>&1; then
		passed=$((passed + 1)); echo "ok $name"
	else
		failed=$((failed + 1)); echo "FAIL $name"; head -n 40 "$out/last"
	fi
}

# Run tests/lib/state_check.sql in database $1 and count its "ok"/"FAIL"
# lines; the script stopping on an error is a failure of its own.
state_check() {
	local file=$out/check rc=0
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f tests/lib/state_check.sql >"$file" 2>&1 || rc=$?
	grep -E '^(ok|FAIL) ' "$file"
	passed=$((passed + $(grep -c '^ok ' "$file")))
	failed=$((failed + $(grep -c '^FAIL ' "$file")))
	if [ "$rc" -ne 0 ] || ! grep -q '^ok ' "$file"; then
		failed=$((failed + 1)); echo "FAIL state_check.sql stopped (status $rc)"; grep -v -E '^(ok|FAIL) ' "$file" | head -n 20
	fi
}

