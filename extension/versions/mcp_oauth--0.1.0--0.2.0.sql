-- mcp_oauth 0.1.0 -> 0.2.0
--
-- Every table and identity sequence that holds state is dumped by pg_dump
-- (0.1.0 dumped only clients, accounts and signing_keys), and the default
-- scopes are filtered out of the scopes table's dump.  The request key row
-- an 0.1.0 install made stays.

\echo Use "ALTER EXTENSION mcp_oauth UPDATE TO '0.2.0'" to load this file. \quit

SELECT pg_catalog.pg_extension_config_dump('scopes',
	'WHERE name NOT IN (''mcp:tools'', ''mcp:resources'', ''mcp:prompts'')');
SELECT pg_catalog.pg_extension_config_dump('accounts_account_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('login_sessions', '');
SELECT pg_catalog.pg_extension_config_dump('used_requests', '');
SELECT pg_catalog.pg_extension_config_dump('request_key', '');
SELECT pg_catalog.pg_extension_config_dump('grants', '');
SELECT pg_catalog.pg_extension_config_dump('grants_grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('authorization_codes', '');
SELECT pg_catalog.pg_extension_config_dump('refresh_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('revoked_access_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('personal_access_tokens', '');
SELECT pg_catalog.pg_extension_config_dump('personal_access_tokens_pat_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('rate_limits', '');
SELECT pg_catalog.pg_extension_config_dump('audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('audit_log_audit_id_seq', '');
