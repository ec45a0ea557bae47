#!/usr/bin/env bash
# Shell functions to run a PostgreSQL 15 cluster as an unprivileged user
# (PostgreSQL refuses to run as root).  Source it, then:
#   cluster_init DIR     initdb into DIR/data if needed
#   cluster_peer DIR     make run's authentication (peer, a map); else trust
#   cluster_start DIR PORT [extra postgres -c options...]
#   cluster_stop DIR
# Exports PGHOST (the socket directory DIR) and PGPORT after start.
#
# A cluster listens on its Unix socket in DIR only, never on TCP, and DIR
# is private to the cluster user (0700; root passes too).  A throwaway
# cluster (make test, make bench) trusts the socket; make run's persistent
# one (cluster_peer) asks the kernel who connects (peer authentication).

PG_BIN=${PG_BIN:-$(pg_config --bindir)}

# The user that owns and runs the cluster: postgres when we are root.
cluster_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# Run a command as the cluster user.
as_cluster_user() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A TCP port nobody listens on.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 12000))	# below Linux's ephemeral ports (32768-)
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo $p; return 0; fi
	done
	return 1
}

cluster_init() {
	local dir=$1
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_cluster_user "$PG_BIN/initdb" -D "$dir/data" -U postgres \
			--auth-local=trust --auth-host=reject \
			--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
}

# cluster_peer DIR: DIR's cluster authenticates by peer (the kernel names
# the OS user on the socket): the user running this may connect as
# postgres (superuser) and as mcp_oauth_shim (the HTTP server's role), the
# cluster user as postgres, nobody else as anyone; TCP is refused.  Written
# at every make run (a cluster of an earlier version trusted 127.0.0.1) and
# reloaded if the cluster runs.
cluster_peer() {
	local dir=$1 me cu
	me=$(id -un) cu=$(cluster_user)
	as_cluster_user tee "$dir/data/pg_hba.conf" >/dev/null <<-EOF
	# make run's cluster: written by scripts/cluster.sh at every start.
	# The Unix socket only, peer authentication through the map mcp_oauth
	# (pg_ident.conf); no TCP.
	local	all	all	peer	map=mcp_oauth
	host	all	all	all	reject
	EOF
	as_cluster_user tee "$dir/data/pg_ident.conf" >/dev/null <<-EOF
	# make run's cluster: written by scripts/cluster.sh at every start.
	# MAPNAME	SYSTEM-USER	PG-USER
	mcp_oauth	$me	postgres
	mcp_oauth	$me	mcp_oauth_shim
	EOF
	[ "$cu" != "$me" ] && echo "mcp_oauth	$cu	postgres" | as_cluster_user tee -a "$dir/data/pg_ident.conf" >/dev/null
	if as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" reload >/dev/null
	fi
	return 0
}

cluster_start() {
	local dir=$1 port=$2; shift 2
	local opts="-p $port -k $dir -c listen_addresses="
	for o in "$@"; do opts="$opts -c $o"; done
	# fd 9 is scripts/test.sh's lock: the postmaster must not inherit it.
	as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-o "$opts" -w -t 60 start >/dev/null 9>&- ||
		{ tail -n 30 "$dir/postgres.log" >&2; return 1; }
	export PGHOST=$dir PGPORT=$port PGUSER=postgres
}

cluster_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] &&
		as_cluster_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
	return 0
}

# mcp_database DB ISSUER: database DB (created if missing) with the
# extension, mcp_oauth.issuer = ISSUER and mcp_oauth.resources = ISSUER/mcp,
# and the HTTP server's login role mcp_oauth_shim, which holds nothing but
# its membership of mcp_oauth_server (no attribute, no password; only that
# role may connect to DB).  Needs PGHOST/PGPORT.
mcp_database() {
	local db=$1 issuer=$2
	psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
		psql -X -q -d postgres -c "CREATE DATABASE $db" || return 1
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mcp_oauth CASCADE;
ALTER EXTENSION mcp_oauth UPDATE;
ALTER DATABASE $db SET mcp_oauth.issuer = '$issuer';
ALTER DATABASE $db SET mcp_oauth.resources = '$issuer/mcp';
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mcp_oauth_shim') THEN
		CREATE ROLE mcp_oauth_shim LOGIN IN ROLE mcp_oauth_server;
	END IF;
END \$\$;
ALTER ROLE mcp_oauth_shim NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
	NOBYPASSRLS INHERIT LOGIN PASSWORD NULL;
REVOKE ALL ON DATABASE $db FROM PUBLIC;
GRANT CONNECT ON DATABASE $db TO mcp_oauth_server;
SQL
}
