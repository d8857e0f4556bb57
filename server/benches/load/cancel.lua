-- CancelCopyImage on a different queued copy every request, so that every
-- answer is a success. IDS names the file of copy IDs (load_world's).
--
-- Every request is formatted here, before the run: a request made during
-- the run is garbage, and LuaJIT's collector (which walks the whole table
-- of IDs) and its string table then pause the client itself for up to
-- 270 ms, which wrk counts as the server's latency (seen against the bare
-- server, with 300,000 and with 1,000,000 IDs).
local requests = {}
for line in io.lines(os.getenv("IDS")) do
  requests[#requests + 1] = wrk.format("GET",
    "/?Action=CancelCopyImage&Version=2014-05-26&Format=JSON"
    .. "&AccessKeyId=alice&RegionId=cn-beijing&ImageId=" .. line)
end
collectgarbage("collect")

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local step = tonumber(os.getenv("THREADS") or "1")
  return requests[(n * step + id) % #requests + 1]
end
