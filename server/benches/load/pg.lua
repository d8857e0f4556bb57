-- The floor of the PostgreSQL load test (bare_pg.rs): every request
-- updates a row chosen at random among ROWS (1,000,000).
--
-- Every request is formatted here, before the run, as cancel.lua explains:
-- a request made during the run is garbage, and LuaJIT's collector pauses
-- wrk's thread, which wrk counts as the server's latency. Choosing one
-- (math.random) allocates nothing.
local rows = tonumber(os.getenv("ROWS") or "1000000")
local requests = {}
for id = 1, rows do
  requests[id] = wrk.format("GET", "/?id=" .. id)
end
collectgarbage("collect")

local threads = 0
function setup(thread)
  thread:set("thread", threads)
  threads = threads + 1
end

function init(args)
  -- Each thread its own sequence, the same in every run.
  math.randomseed(1 + (thread or 0))
end

function request()
  return requests[math.random(rows)]
end
