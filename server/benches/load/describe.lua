-- DescribeImages of one copy by ID, in JSON. IMAGE names the copy.
-- A static request (no `request` function: wrk then runs no Lua per
-- request), sent to the mock and to its floor alike, so that the client,
-- and hyper's reading of the request, cost the same against both.
wrk.path = "/?Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice"
  .. "&RegionId=cn-beijing&Status=Creating,Waiting,Available&ImageId=" .. os.getenv("IMAGE")
