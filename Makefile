# mcp_oauth: PostgreSQL extension (PGXS) plus the HTTP server in shim/.
#
#   make            build the extension and the server
#   make install    install the extension into the local PostgreSQL 15
#   make test       every test layer on a throwaway cluster (README)
#   make run        the embedded default: cluster, extension, server, demo
#   make bench      benchmarks (bench/README.md)
#   make bench-compare BASE=COMMIT   refresh and verification against COMMIT
#   make bench-scale    the same figures near-empty and at volume (bench/scale.sh)

EXTENSION = mcp_oauth
EXTVERSION = 0.5.0

MODULE_big = mcp_oauth
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard extension/*.c extension/lib/*.c)))
DATA_built = mcp_oauth--$(EXTVERSION).sql
# Released versions' install scripts, frozen, and the upgrade scripts
# between them (README, "Upgrades").
DATA = $(sort $(wildcard extension/versions/*.sql))

# pg_regress: sql/*.sql against expected/*.out
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=pgcrypto --load-extension=mcp_oauth

# pg_isolation_regress: tests/isolation/specs/*.spec
ISOLATION = $(patsubst tests/isolation/specs/%.spec,%,$(sort $(wildcard tests/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=tests/isolation --load-extension=pgcrypto --load-extension=mcp_oauth

PG_CPPFLAGS = -Iextension -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-sign-compare
# Only the fmgr entry points (PG_FUNCTION_INFO_V1: the function and its
# pg_finfo_ record), Pg_magic_func and _PG_init leave the library, on every
# PostgreSQL version: a GNU ld version script made from the sources
# (tests/unit/exports_test.sh checks the result).
SHLIB_LINK = -lcrypto -Wl,--version-script=mcp_oauth.map

EXTRA_CLEAN = tests/unit/*_test mcp_oauth.map

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies by itself.
$(OBJS): $(wildcard extension/*.h extension/lib/*.h)

# Linked again when the exports may have changed (.SECONDARY in PGXS: a
# missing mcp_oauth.map alone would not relink).
$(shlib): mcp_oauth.map Makefile
mcp_oauth.map: $(wildcard extension/*.c)
	{ echo '{ global: Pg_magic_func; _PG_init;'; \
	  sed -n 's/^PG_FUNCTION_INFO_V1(\([a-z_0-9]*\));$$/\1; pg_finfo_\1;/p' $^; \
	  echo 'local: *; };'; } > $@

# The install script is the install fragments, in order.
mcp_oauth--$(EXTVERSION).sql: $(sort $(wildcard extension/schema/*.sql))
	cat $^ > $@

# MO_EXTENSION_ONLY=1: the extension alone (a root without libh2o).
ifndef MO_EXTENSION_ONLY
all: shim
endif
.PHONY: shim test run bench bench-compare bench-scale unit
shim:
	$(MAKE) -C shim

clean: clean-shim
clean-shim:
	$(MAKE) -C shim clean

# Unit tests of the pure C parsers (no PostgreSQL headers).
unit:
	$(MAKE) -C tests/unit

test:
	bash scripts/test.sh

run:
	bash scripts/run.sh

bench:
	bash bench/run.sh

bench-compare:
	bash bench/compare.sh

bench-scale:
	bash bench/scale.sh
