-- GET /authorize to the consent descriptor (authorize()'s 200 answer, the
-- consent page's content) for the request :query (-D query=...); anything
-- else, a need-fetch answer included, fails the transaction (division by
-- zero)
SELECT 1 / ((r).status = 200 AND (r).body::json->>'request_id' IS NOT NULL)::int AS ok
FROM (SELECT mcp_oauth.authorize(:query, '127.0.0.1') AS r) a;
