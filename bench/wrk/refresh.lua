-- Refresh-token grant with rotation: each response's refresh_token goes
-- back into the thread's pool for a later request, so every request uses a
-- token exactly once.  The pool starts from BENCH_POOL_FILE (see pool.lua).
local pool = dofile(os.getenv("BENCH_WRK_DIR") .. "/pool.lua")
local prefix = "grant_type=refresh_token&client_id=mcp-agent&refresh_token="
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

setup = pool.setup
init = pool.load
done = pool.done

function request()
	return wrk.format("POST", "/token", headers, prefix .. pool.pop())
end

function response(status, _, body)
	if status == 200 then
		local rt = body:match('"refresh_token"%s*:%s*"([^"]+)"')
		if rt then
			pool.push(rt)
		end
	end
end
