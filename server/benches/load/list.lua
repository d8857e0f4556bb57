-- DescribeImages, first page, of alice's copies in Beijing (every one of
-- load_world's COUNT copies is hers), in JSON. A static request, sent to
-- the mock and to its floor alike: no Lua per request.
wrk.path = "/?Action=DescribeImages&Version=2014-05-26&Format=JSON&AccessKeyId=alice"
  .. "&RegionId=cn-beijing&Status=Creating,Waiting"
