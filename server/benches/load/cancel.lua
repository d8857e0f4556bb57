-- CancelCopyImage on a different queued copy every request, so that every
-- answer is a success. IDS names the file of copy IDs (load_world's).
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local n = 0
function request()
  n = n + 1
  local step = tonumber(os.getenv("THREADS") or "1")
  local image = ids[(n * step + id) % #ids + 1]
  return wrk.format("GET", "/?Action=CancelCopyImage&Version=2014-05-26&Format=JSON"
    .. "&AccessKeyId=alice&RegionId=cn-beijing&ImageId=" .. image)
end
