-- mcp_oauth 0.2.0 -> 0.3.0
--
-- The security review's fixes (issue 12): redirect URI rules, atomic login
-- throttling with a sliding window, registration limits on by default,
-- audit retention, introspection rights.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.3.0'" to load this file. \quit
