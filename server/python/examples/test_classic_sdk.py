"""The classic SDK (aliyun-python-sdk-ecs, aliyun-python-sdk-core, signature
V1) against the pytest fixture: a copy's whole life, two accounts, signed
requests. Each test gets a server of its own (``ecs_mock_server``)."""

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkecs.request.v20140526.CancelCopyImageRequest import CancelCopyImageRequest
from aliyunsdkecs.request.v20140526.CopyImageRequest import CopyImageRequest
from aliyunsdkecs.request.v20140526.DescribeImagesRequest import DescribeImagesRequest

from ecs_mock_server import AccessKey, EcsError, MockServer

ALL_STATUSES = "Creating,Waiting,Available,UnAvailable,CreateFailed"


def client_for(server: MockServer, account=None) -> AcsClient:
    key = server.credentials if account is None else server.key(account)
    return AcsClient(key.id, key.secret, "cn-hangzhou")


def send(server: MockServer, client: AcsClient, request) -> dict:
    # The classic SDK takes the endpoint and protocol per request.
    request.set_protocol_type("http")
    request.set_endpoint(server.endpoint)
    return json.loads(client.do_action_with_exception(request))


def refused(server: MockServer, client: AcsClient, request) -> tuple:
    with pytest.raises(ServerException) as error:
        send(server, client, request)
    return error.value.get_http_status(), error.value.get_error_code(), error.value.get_error_msg()


def copy_image(server, client, source, region="cn-beijing", name=None) -> str:
    request = CopyImageRequest()
    request.set_ImageId(source)
    request.set_DestinationRegionId(region)
    if name:
        request.set_DestinationImageName(name)
    return send(server, client, request)["ImageId"]


def describe(server, client, region, image_id, status=ALL_STATUSES) -> list:
    request = DescribeImagesRequest()
    request.add_query_param("RegionId", region)
    request.set_ImageId(image_id)
    request.set_Status(status)
    return send(server, client, request)["Images"]["Image"]


def cancel(region, image_id) -> CancelCopyImageRequest:
    request = CancelCopyImageRequest()
    request.add_query_param("RegionId", region)
    request.set_ImageId(image_id)
    return request


@pytest.mark.ecs_mock_server(manual=True)
def test_a_copy_from_creating_to_available(ecs_mock_server):
    server, control = ecs_mock_server, ecs_mock_server.control()
    client = client_for(server)
    source = control.create_image("cn-hangzhou", "web")
    copy = copy_image(server, client, source, name="web-copy")

    def seen():
        (image,) = describe(server, client, "cn-beijing", copy)
        return image["Status"], image["Progress"]

    assert seen() == ("Creating", "0%")
    control.set_copy_progress("cn-beijing", copy, 60)
    assert seen() == ("Creating", "60%")
    control.set_copy_progress("cn-beijing", copy, 100)  # Finalizing
    assert seen() == ("Creating", "100%")
    control.complete_copy("cn-beijing", copy)
    assert seen() == ("Available", "100%")
    (image,) = describe(server, client, "cn-beijing", copy, status="Available")
    assert (image["ImageName"], image["IsCopied"]) == ("web-copy", True)
    assert refused(server, client, cancel("cn-beijing", copy)) == (
        400,
        "IncorrectImageStatus",
        "The image is copied finished.",
    )


@pytest.mark.ecs_mock_server(tick_ms=10, step=50)
def test_copies_advance_by_themselves_without_manual(ecs_mock_server):
    # A poller, as Terraform's: no control action moves the copy.
    server = ecs_mock_server
    client = client_for(server)
    source = server.control().create_image("cn-hangzhou", "web")
    copy = copy_image(server, client, source)
    seen = set()
    for _ in range(10_000):
        (image,) = describe(server, client, "cn-beijing", copy)
        seen.add(image["Status"])
        if image["Status"] == "Available":
            break
    assert seen <= {"Creating", "Available"} and "Available" in seen, seen


TWO_ACCOUNTS = dict(
    manual=True,
    copy_limit=1,
    auth=True,
    keys=[
        AccessKey("alice-key", "alice-secret", "alice"),
        AccessKey("bob-key", "bob-secret", "bob"),
    ],
)


@pytest.mark.ecs_mock_server(**TWO_ACCOUNTS)
def test_two_accounts_see_and_queue_apart(ecs_mock_server):
    server = ecs_mock_server
    alice, bob = client_for(server, "alice"), client_for(server, "bob")
    alice_copy = copy_image(server, alice, server.control("alice").create_image("cn-hangzhou", "web"))
    bob_copy = copy_image(server, bob, server.control("bob").create_image("cn-hangzhou", "web"))

    # Each account has a slot of its own: bob's copy is not queued behind
    # alice's, though the limit is one copy.
    assert [image["Status"] for image in describe(server, bob, "cn-beijing", bob_copy)] == ["Creating"]
    # Neither sees, cancels nor moves the other's copy.
    assert describe(server, bob, "cn-beijing", alice_copy) == []
    assert refused(server, bob, cancel("cn-beijing", alice_copy))[:2] == (404, "InvalidImageId.NotFound")
    with pytest.raises(EcsError) as error:
        server.control("bob").complete_copy("cn-beijing", alice_copy)
    assert (error.value.status, error.value.code) == (404, "InvalidImageId.NotFound")
    assert [image["Status"] for image in describe(server, alice, "cn-beijing", alice_copy)] == ["Creating"]


@pytest.mark.ecs_mock_server(**TWO_ACCOUNTS)
def test_signatures_are_checked(ecs_mock_server):
    server = ecs_mock_server
    request = DescribeImagesRequest()
    request.add_query_param("RegionId", "cn-hangzhou")
    assert send(server, client_for(server, "alice"), request)["TotalCount"] == 0

    # The classic SDK reads the server's string to sign from
    # SignatureDoesNotMatch and so tells a wrong secret apart.
    wrong_secret = AcsClient("alice-key", "not-the-secret", "cn-hangzhou")
    assert refused(server, wrong_secret, request)[:2] == (400, "InvalidAccessKeySecret")
    unknown_key = AcsClient("carol-key", "carol-secret", "cn-hangzhou")
    assert refused(server, unknown_key, request)[:2] == (404, "InvalidAccessKeyId.NotFound")
