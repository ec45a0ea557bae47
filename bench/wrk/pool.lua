-- Per-thread pools of single-use secrets for wrk (refresh.lua, code.lua).
-- BENCH_POOL_FILE holds one secret per line; thread k of BENCH_WRK_THREADS
-- takes lines k, k+n, k+2n...  Each request pops one; a request made when
-- the pool is empty sends "exhausted" (the server answers 400, which wrk
-- counts as a non-2xx response) and is counted in the summary.
local M = {}
local threads = {}
local pool, top = {}, 0

-- Main state: number the threads.
function M.setup(thread)
	thread:set("tid", #threads)
	thread:set("exhausted", 0)
	threads[#threads + 1] = thread
end

-- Thread state: load this thread's slice of the pool file.
function M.load()
	local n = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
	local i = 0
	local path = assert(os.getenv("BENCH_POOL_FILE"), "BENCH_POOL_FILE not set")
	for line in io.lines(path) do
		if i % n == tid and #line > 0 then
			top = top + 1
			pool[top] = line
		end
		i = i + 1
	end
end

function M.push(s)
	top = top + 1
	pool[top] = s
end

-- The next secret, or "exhausted".
function M.pop()
	if top == 0 then
		exhausted = exhausted + 1
		return "exhausted"
	end
	local s = pool[top]
	pool[top] = nil
	top = top - 1
	return s
end

-- Main state: report requests made with an empty pool.
function M.done()
	local n = 0
	for _, t in ipairs(threads) do
		n = n + t:get("exhausted")
	end
	if n > 0 then
		io.stderr:write(string.format("wrk: pool exhausted for %d requests\n", n))
	end
end

return M
