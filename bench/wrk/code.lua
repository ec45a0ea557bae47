-- Authorization-code grant with PKCE: each request exchanges one code from
-- the thread's slice of BENCH_POOL_FILE (pre-minted; see pool.lua).
local pool = dofile(os.getenv("BENCH_WRK_DIR") .. "/pool.lua")
local prefix = "grant_type=authorization_code&client_id=mcp-agent" ..
	"&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback" ..
	"&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code="
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

setup = pool.setup
init = pool.load
done = pool.done

function request()
	return wrk.format("POST", "/token", headers, prefix .. pool.pop())
end
