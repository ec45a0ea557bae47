-- One dynamic registration (RFC 7591) of a new public client per
-- transaction, its name distinct, its redirect URI :uri; anything but a
-- 201 fails the transaction (division by zero).
\set r random(1, 2000000000)
SELECT 1 / ((mcp_oauth.register('application/json', NULL,
	'{"redirect_uris": ["' || :uri || '"], "client_name": "bench ' || :client_id || ' ' || :r || '",'
	' "token_endpoint_auth_method": "none"}', '127.0.0.1')).status = 201)::int AS ok;
