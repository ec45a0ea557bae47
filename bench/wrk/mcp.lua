-- An authorized MCP request: POST /mcp with a bearer token (BENCH_TOKEN)
-- and a JSON-RPC ping, through the gateway to the upstream.
wrk.method = "POST"
wrk.path = "/mcp"
local token = assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN not set")
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"ping"}'
