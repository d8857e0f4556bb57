-- DescribeImages of one copy by ID, in JSON. IMAGE names the copy.
local path = "/?Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice"
  .. "&RegionId=cn-beijing&Status=Creating,Waiting,Available&ImageId=" .. os.getenv("IMAGE")
function request()
  return wrk.format("GET", path)
end
