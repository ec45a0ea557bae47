# Shared by bench/compare.sh and bench/verify_many.sh: the extension built
# from $base and from the work tree, in $libs, and use(): install one of them
# as $libdir/mcp_oauth.so (a rename: running backends keep the file they
# loaded).  Source it from the repository root, holding make test's lock.

bash scripts/deps.sh
libdir=$(pg_config --pkglibdir)
libs=$(mktemp -d /tmp/mcp_oauth_compare.XXXXXX)
git worktree add -q --detach "$libs/base" "$base"
make -s -C "$libs/base" >/dev/null
cp "$libs/base/mcp_oauth.so" "$libs/base.so"
git worktree remove --force "$libs/base"
make -s >/dev/null && make -s install >/dev/null
cp mcp_oauth.so "$libs/current.so"

use() {
	cp "$libs/$1.so" "$libdir/.mcp_oauth.so.new"
	mv -f "$libdir/.mcp_oauth.so.new" "$libdir/mcp_oauth.so"
}
