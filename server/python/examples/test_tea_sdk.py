"""The Tea SDK (alibabacloud-ecs20140526, alibabacloud-tea-openapi,
signature V3) against the pytest fixtures: CancelCopyImage in every phase
of a copy, signed requests, and one server shared by a whole session."""

import uuid

import pytest
from alibabacloud_ecs20140526 import models
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi.models import Config

from ecs_mock_server import AccessKey, MockServer


def client_for(server: MockServer, key: AccessKey = None) -> Client:
    key = key or server.credentials
    return Client(
        Config(
            access_key_id=key.id,
            access_key_secret=key.secret,
            endpoint=server.endpoint,
            protocol="http",
            region_id="cn-hangzhou",
        )
    )


def copy_image(client: Client, source: str) -> str:
    request = models.CopyImageRequest(
        region_id="cn-hangzhou", image_id=source, destination_region_id="cn-beijing"
    )
    return client.copy_image(request).body.image_id


def cancel(client: Client, copy: str):
    """CancelCopyImage's answer: None on success, else (status, code, message)."""
    request = models.CancelCopyImageRequest(region_id="cn-beijing", image_id=copy)
    try:
        client.cancel_copy_image(request)
    except Exception as error:  # the Tea SDK raises its own exception types
        return error.data["statusCode"], error.code, error.data["Message"]
    return None


def statuses(client: Client, copy: str) -> list:
    request = models.DescribeImagesRequest(
        region_id="cn-beijing",
        image_id=copy,
        status="Creating,Waiting,Available,UnAvailable,CreateFailed",
    )
    return [image.status for image in client.describe_images(request).body.images.image]


NOT_COPYING = (400, "IncorrectImageStatus", "The specified snapshot is not coping.")
NOT_CANCELLABLE = (400, "CancelNotSupported", "The specified image copying can not be cancelled.")

# Each phase as the control actions reach it, and what CancelCopyImage then
# answers (docs/semantics.md, "What CancelCopyImage answers").
PHASES = {
    "queued": (["queue"], None, []),
    "queued, not cancellable": (["queue", "not cancellable"], NOT_CANCELLABLE, ["Waiting"]),
    "copying": (["progress 40"], None, []),
    "copying, not cancellable": (["progress 40", "not cancellable"], NOT_CANCELLABLE, ["Creating"]),
    "finalizing": (["progress 100"], NOT_COPYING, ["Creating"]),
    "finalizing, not cancellable": (["progress 100", "not cancellable"], NOT_COPYING, ["Creating"]),
    "completed": (["complete"], (400, "IncorrectImageStatus", "The image is copied finished."), ["Available"]),
    "failed": (["fail"], (400, "IncorrectImageStatus", "The Image copy has been failed."), ["CreateFailed"]),
    "cancelled": (["cancel"], (404, "InvalidImageId.NotFound", "The specified ImageId does not exist."), []),
}


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.ecs_mock_server(manual=True, copy_limit=1)
def test_cancel_in_every_phase(ecs_mock_server, phase):
    steps, answer, left = PHASES[phase]
    control = ecs_mock_server.control()
    client = client_for(ecs_mock_server)
    source = control.create_image("cn-hangzhou", "web")
    if "queue" in steps:
        running = copy_image(client, source)  # takes the only slot
    copy = copy_image(client, source)
    for step in steps:
        if step.startswith("progress"):
            control.set_copy_progress("cn-beijing", copy, int(step.split()[1]))
        elif step == "not cancellable":
            control.set_cancellable("cn-beijing", copy, False)
        elif step == "complete":
            control.complete_copy("cn-beijing", copy)
        elif step == "fail":
            control.fail_copy("cn-beijing", copy)
        elif step == "cancel":
            assert cancel(client, copy) is None
    if "queue" in steps:
        assert statuses(client, copy) == ["Waiting"]

    assert cancel(client, copy) == answer
    # A cancelled copy's image is gone; a refused cancel changes nothing.
    assert statuses(client, copy) == left
    if "queue" in steps:
        assert statuses(client, running) == ["Creating"]


KEYS = [AccessKey("alice-key", "alice-secret", "alice")]


@pytest.mark.ecs_mock_server(auth=True, keys=KEYS)
def test_v3_signatures_are_checked(ecs_mock_server):
    source = ecs_mock_server.control("alice").create_image("cn-hangzhou", "web")
    assert copy_image(client_for(ecs_mock_server), source).startswith("m-")

    wrong = client_for(ecs_mock_server, AccessKey("alice-key", "not-the-secret"))
    with pytest.raises(Exception) as error:
        copy_image(wrong, source)
    assert error.value.code == "SignatureDoesNotMatch"


# One server for the whole session: its world is shared by every test that
# uses it, so each names what it makes uniquely.
@pytest.mark.parametrize("round", range(3))
def test_the_session_server_is_shared(ecs_mock_server_session, round):
    name = f"web-{uuid.uuid4().hex[:8]}"
    client = client_for(ecs_mock_server_session)
    source = ecs_mock_server_session.control().create_image("cn-hangzhou", name)
    copy = copy_image(client, source)
    assert cancel(client, copy) is None
