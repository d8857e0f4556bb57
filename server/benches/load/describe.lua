-- DescribeImages of one copy by ID, in JSON. IMAGE names the copy.
-- A static request, as the floor's (no `request` function: wrk then runs
-- no Lua per request, so the client costs the same against both servers).
wrk.path = "/?Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice"
  .. "&RegionId=cn-beijing&Status=Creating,Waiting,Available&ImageId=" .. os.getenv("IMAGE")
