"""The official Python SDKs against the mock server: the classic SDK
(signature V1, XML or JSON) and the Tea SDK (signature V3, headers).

Run by server/tests/sdk/run.sh, which starts the server with --auth.
"""
import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkecs.request.v20140526.CancelCopyImageRequest import CancelCopyImageRequest
from aliyunsdkecs.request.v20140526.CopyImageRequest import CopyImageRequest
from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest
from alibabacloud_ecs20140526 import models
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi.models import Config

ENDPOINT = sys.argv[1]
KEY, SECRET = "alice-key", "alice-secret"


def classic(request):
    request.set_protocol_type("http")
    request.set_endpoint(ENDPOINT)
    return request


def server_error(client, request):
    try:
        client.do_action_with_exception(request)
    except ServerException as error:
        return error.get_http_status(), error.get_error_code(), error.get_error_msg()
    raise AssertionError("the call should have failed")


client = AcsClient(KEY, SECRET, "cn-hangzhou")

create = classic(CommonRequest())
create.set_domain(ENDPOINT)
create.set_version("2014-05-26")
create.set_action_name("MockCreateImage")
create.add_query_param("RegionId", "cn-hangzhou")
create.add_query_param("ImageName", "web")
create.set_accept_format("json")
source = json.loads(client.do_action_with_exception(create))["ImageId"]

copy_request = classic(CopyImageRequest())
copy_request.set_ImageId(source)
copy_request.set_DestinationRegionId("cn-beijing")
copy_request.set_DestinationImageName("web-copy")
copy_request.set_Tags([{"Key": "team", "Value": "web"}])
copy = json.loads(client.do_action_with_exception(copy_request))["ImageId"]

describe = classic(DescribeImagesRequest())
describe.add_query_param("RegionId", "cn-beijing")
describe.set_ImageId(copy)
describe.set_Status("Creating,Waiting")
image = json.loads(client.do_action_with_exception(describe))["Images"]["Image"][0]
assert (image["ImageName"], image["Status"], image["Progress"]) == ("web-copy", "Creating", "0%"), image
assert image["Tags"]["Tag"] == [{"TagKey": "team", "TagValue": "web"}], image

cancel = classic(CancelCopyImageRequest())
cancel.set_ImageId(copy)
cancel.add_query_param("RegionId", "cn-beijing")
assert "RequestId" in json.loads(client.do_action_with_exception(cancel))
assert server_error(client, cancel) == (404, "InvalidImageId.NotFound", "The specified ImageId does not exist.")

# The classic SDK compares its string to sign with the one the server
# appends to SignatureDoesNotMatch, and so tells a wrong secret apart.
wrong = AcsClient(KEY, "wrong-secret", "cn-hangzhou")
status, code, _ = server_error(wrong, describe)
assert (status, code) == (400, "InvalidAccessKeySecret"), (status, code)

tea = Client(Config(access_key_id=KEY, access_key_secret=SECRET, endpoint=ENDPOINT,
                    protocol="http", region_id="cn-hangzhou"))
listed = tea.describe_images(models.DescribeImagesRequest(region_id="cn-hangzhou", image_id=source))
assert listed.body.total_count == 1 and listed.body.images.image[0].image_id == source
second = tea.copy_image(models.CopyImageRequest(
    region_id="cn-hangzhou", image_id=source, destination_region_id="cn-beijing")).body.image_id
tea.cancel_copy_image(models.CancelCopyImageRequest(region_id="cn-beijing", image_id=second))
try:
    tea.cancel_copy_image(models.CancelCopyImageRequest(region_id="cn-beijing", image_id=second))
    raise AssertionError("the second cancel should have failed")
except Exception as error:  # the Tea SDK raises TeaException
    assert getattr(error, "code", None) == "InvalidImageId.NotFound", error

wrong_tea = Client(Config(access_key_id=KEY, access_key_secret="wrong", endpoint=ENDPOINT,
                          protocol="http", region_id="cn-hangzhou"))
try:
    wrong_tea.describe_images(models.DescribeImagesRequest(region_id="cn-hangzhou"))
    raise AssertionError("a wrong secret should have failed")
except Exception as error:
    assert getattr(error, "code", None) == "SignatureDoesNotMatch", error

print("python SDKs: 2 passed, 0 failed")
