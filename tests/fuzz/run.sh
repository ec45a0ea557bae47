#!/usr/bin/env bash
# The fuzz layer of make test: build each libFuzzer harness with ASan and
# UBSan, run it for a bounded time on a copy of its seeds (in a temporary
# directory), and count one pass per harness that ran clean.
#
#   FUZZ_SECONDS=60   run each harness this long (default 20)
#
# A failure prints the end of the fuzzer's output and keeps the input that
# failed in tests/out/fuzz/ (replay: the binary named there, with the file).
set -uo pipefail
cd "$(dirname "$0")/../.."

harnesses="base64url form uri json jwt jwk text netaddr"
seconds=${FUZZ_SECONDS:-20}
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wall -Wextra -Werror -Iextension -Itests/fuzz"

count() { echo $#; }

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is not installed (scripts/deps.sh installs clang and libclang-rt-dev)" >&2
	echo "fuzz: 0 passed, $(count $harnesses) failed"
	exit 1
fi

# The extension/lib/*.c that a file needs: the .c of every lib/ header it
# includes, directly or through the headers and lib/ files it includes.
lib_sources() {
	local queue=("$1") seen=" " sources=() file inc path
	while [ ${#queue[@]} -gt 0 ]; do
		file=${queue[0]}
		queue=("${queue[@]:1}")
		for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file"); do
			for path in "$(dirname "$file")/$inc" "extension/$inc" "tests/fuzz/$inc"; do
				[ -f "$path" ] && break
			done
			[ -f "$path" ] || continue
			path=$(realpath --relative-to=. "$path")
			case $seen in *" $path "*) continue ;; esac
			seen="$seen$path "
			queue+=("$path")
			if [[ $path == extension/lib/*.h && -f ${path%.h}.c ]]; then
				queue+=("${path%.h}.c")
				sources+=("${path%.h}.c")
			fi
		done
	done
	echo "${sources[@]}"
}

# Show why harness $1 failed (its log $2) and keep what it left in $3.
report_failure() {
	local name=$1 log=$2 dir=$3 kept=tests/out/fuzz
	tail -n 40 "$log"
	mkdir -p "$kept"
	cp "$dir"/bin "$kept/$name" 2>/dev/null
	for f in "$dir"/artifacts/*; do
		[ -f "$f" ] || continue
		cp "$f" "$kept/"
		echo "$name: failing input kept: $kept/$(basename "$f") (base64 below)"
		base64 -w 76 "$f" | head -n 60
	done
}

# Build and run harness $1 in directory $2; whether it ran clean.
run_harness() {
	local name=$1 dir=$2 src=tests/fuzz/fuzz_$1.c log=$2/log
	mkdir -p "$dir/corpus" "$dir/artifacts"
	# shellcheck disable=SC2086,SC2046
	if ! clang $cflags -o "$dir/bin" "$src" $(lib_sources "$src") -lcrypto >"$log" 2>&1; then
		echo "fuzz_$name: FAILED to build"
		cat "$log"
		return 1
	fi
	[ -d "tests/fuzz/seeds/$name" ] && cp tests/fuzz/seeds/"$name"/* "$dir/corpus/"
	if ! "$dir/bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$log" 2>&1; then
		echo "fuzz_$name: FAILED"
		report_failure "fuzz_$name" "$log" "$dir"
		return 1
	fi
	echo "fuzz_$name: ok, $(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+') runs in ${seconds} s, corpus $(ls "$dir/corpus" | wc -l)"
}

tmp=$(mktemp -d /tmp/mcp_oauth_fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
for name in $harnesses; do
	if run_harness "$name" "$tmp/$name"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
