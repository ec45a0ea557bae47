/*
 * approval_commit.h
 *		An approval's commit without waiting for its WAL flush
 *		(approval_commit.c).
 */
#ifndef MCP_OAUTH_APPROVAL_COMMIT_H
#define MCP_OAUTH_APPROVAL_COMMIT_H

#include "mcp_oauth.h"

extern bool mo_approval_alone(void);
extern void mo_approval_commit_async(void);

#endif
