-- DescribeImages, first page, of alice's copies in Beijing (every one of
-- load_world's COUNT copies is hers), in JSON.
local path = "/?Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice"
  .. "&RegionId=cn-beijing&Status=Creating,Waiting"
function request()
  return wrk.format("GET", path)
end
