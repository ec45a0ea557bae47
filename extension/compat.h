/*
 * compat.h
 *		The one place where PostgreSQL major versions differ for mcp_oauth.
 *
 * The extension builds on PostgreSQL 15 to 18.  It keeps to APIs that are
 * stable across those versions (SPI, fmgr, the relcache callbacks, its own
 * JSON reader in lib/); what still moved is wrapped here, so that the other
 * files read as if there were one version.
 */
#ifndef MO_COMPAT_H
#define MO_COMPAT_H

#include "storage/proc.h"

#if PG_VERSION_NUM < 150000
#error "mcp_oauth needs PostgreSQL 15 or later"
#endif

/* This backend's local transaction id (PGPROC.lxid moved into vxid in 17). */
#if PG_VERSION_NUM >= 170000
#define MO_LOCAL_XID()	(MyProc->vxid.lxid)
#else
#define MO_LOCAL_XID()	(MyProc->lxid)
#endif

#endif							/* MO_COMPAT_H */
