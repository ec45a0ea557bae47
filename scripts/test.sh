#!/usr/bin/env bash
# make test: every test layer on a throwaway cluster.
#
# Installs missing Debian packages (as root), builds with -Werror, installs
# the extension and the tests' signing hook (tests/signing), starts a
# cluster as the postgres user on a free port, runs the layers, stops the
# cluster, and exits non-zero on any failure.
#
#   TEST_LAYERS="regress isolation"  run only these layers
#   KEEP_CLUSTER=1                   leave the cluster and its directory
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD

# One run at a time on a machine (installs go to the shared PostgreSQL).
exec 9>/tmp/mcp_oauth_test.lock
flock 9

all_layers="unit fuzz regress isolation upgrade backup jwt http fetch embedded interop browser pg17 pg18"
# The layers run on PostgreSQL 17 and 18 (scripts/pgroot.sh): the extension's.
root_layers="unit regress isolation upgrade backup"
layers=${TEST_LAYERS:-$all_layers}

extra_packages=()
case " $layers " in *" browser "*) extra_packages+=(chromium fonts-liberation) ;; esac
case " $layers " in *" fuzz "*) extra_packages+=(clang libclang-rt-dev) ;; esac
case " $layers " in *" pg17 "* | *" pg18 "*) extra_packages+=(debootstrap) ;; esac
bash scripts/deps.sh "${extra_packages[@]}" || exit 1
# shellcheck source=cluster.sh
. scripts/cluster.sh

echo "== build"
make -s >/dev/null || { make; exit 1; }
# the tests' signing hook (tests/signing): installed here, never by make install
make -s -C tests/signing >/dev/null || { make -C tests/signing; exit 1; }
if [ -w "$(pg_config --pkglibdir)" ]; then
	make -s install >/dev/null || exit 1
	make -s -C tests/signing install >/dev/null || exit 1
else
	echo "cannot write $(pg_config --pkglibdir): run make test as root, or make install first" >&2
	exit 1
fi

mkdir -p tests/out
tmp=$(mktemp -d /tmp/mcp_oauth_test.XXXXXX)
port=$(free_port)
cleanup() {
	[ -n "${KEEP_CLUSTER:-}" ] && { echo "cluster kept: PGHOST=$tmp PGPORT=$port"; return; }
	cluster_stop "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
cluster_init "$tmp" || exit 1
cluster_start "$tmp" "$port" fsync=off max_connections=100 \
	max_prepared_transactions=10 || exit 1
export TEST_CLUSTER_DIR=$tmp

passed=0 failed=0 failed_layers=""
# Count a layer's result from its own summary line.
tally() {
	local name=$1 rc=$2 log=$3 p=0 f=0 line
	# a whole make test inside a root of another version (pg17, pg18)
	if line=$(grep -E '^make test: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	elif line=$(grep -E '^(# )? *All [0-9]+ tests passed\.' "$log" | tail -n 1) && [ -n "$line" ]; then
		p=$(echo "$line" | grep -oE '[0-9]+' | head -n 1)
	elif line=$(grep -E '^(# )? *[0-9]+ of [0-9]+ tests failed\.' "$log" | tail -n 1) && [ -n "$line" ]; then
		f=$(echo "$line" | grep -oE '[0-9]+' | head -n 1)
		p=$(( $(echo "$line" | grep -oE '[0-9]+' | sed -n 2p) - f ))
	elif line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
		p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
		f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" -ne 0 ] && failed_layers="$failed_layers $name"
	echo "== $name: $p passed, $f failed"
}

# Run one layer, its output both shown and kept for the tally.
run_layer() {
	local name=$1; shift
	local log="tests/out/$name.log"
	echo "== $name"
	# the layer's processes do not hold the lock: one left behind by a
	# failed test must not block the next make test
	{ "$@" 2>&1 | tee "$log"; } 9>&-
	tally "$name" "${PIPESTATUS[0]}" "$log"
}

for layer in $layers; do
	case $layer in
	unit) run_layer unit make -s -C tests/unit check ;;
	regress) run_layer regress make -s installcheck ISOLATION= ;;
	isolation) [ -n "$(ls tests/isolation/specs/*.spec 2>/dev/null)" ] &&
		run_layer isolation make -s installcheck REGRESS= ;;
	pg17 | pg18) run_layer "$layer" bash scripts/pgroot.sh "${layer#pg}" "$root_layers" ;;
	*) [ -x "tests/$layer/run.sh" ] && run_layer "$layer" "tests/$layer/run.sh" ;;
	esac
done

[ -f regression.diffs ] && [ "$failed" -ne 0 ] && head -n 200 regression.diffs
[ -f output_iso/regression.diffs ] && [ "$failed" -ne 0 ] && head -n 200 output_iso/regression.diffs
echo
[ -n "$failed_layers" ] && echo "failed layers:$failed_layers"
echo "make test: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
