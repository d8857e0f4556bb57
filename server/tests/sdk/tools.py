"""The call sequences of Terraform's `alicloud_image_copy` and Packer's
alicloud builder, replayed parameter for parameter (image-lifecycle.md,
section 7) through the classic SDK's `CommonRequest`: signature V1, as the
Go SDK under both tools signs.

Run by server/tests/sdk/run.sh, which starts the server with --manual, --auth and
the keys of two accounts, alice and bob, so that alice can share with bob.
"""
import json
import sys

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

ENDPOINT = sys.argv[1]
ALICE = AcsClient("alice-key", "alice-secret", "cn-hangzhou")
BOB = AcsClient("bob-key", "bob-secret", "cn-hangzhou")
# A poll that has not seen its status after this many tries never will:
# each try moves the copies on by MockAdvanceCopies' step.
POLLS = 20
ERROR_FIELDS = {"RequestId", "HostId", "Code", "Message", "Recommend"}
passed = []


class FormRequest(CommonRequest):
    """A request whose API parameters, `RegionId` included, travel in the
    form body only, as Terraform's second client (tea-rpc) sends them. The
    classic SDK would add its client's region to the query when the query
    has none, and a parameter given twice is refused."""

    def get_url(self, region_id, ak, secret):
        inner = self.request
        url, inner.string_to_sign = rpc_signature_composer.get_signed_url(
            dict(inner._get_sign_params()), ak, secret, inner.get_accept_format(),
            inner.get_method(), inner.get_body_params(), inner._signer)
        return url


def request(action, query=(), body=(), fmt="JSON"):
    """A POST as the Go SDK sends it: every parameter in the query, unless
    given as `body`, which travels as a form and is signed as well."""
    built = FormRequest() if body else CommonRequest()
    built.set_protocol_type("http")
    built.set_domain(ENDPOINT)
    built.set_method("POST")
    built.set_version("2014-05-26")
    built.set_action_name(action)
    built.set_accept_format(fmt)
    for name, value in query:
        built.add_query_param(name, value)
    for name, value in body:
        built.add_body_params(name, value)
    return built


def call(client, action, query=(), body=(), fmt="JSON"):
    answer = client.do_action_with_exception(request(action, query, body, fmt))
    return json.loads(answer)


def refused(client, action, query=()):
    """The status and `Code` of a call that must fail; its raw body must be
    the JSON error the Go SDK reads, with every field."""
    # The public calls hand over the code and message only, not the body.
    status, _, body, _ = client._implementation_of_do_action(request(action, query))
    assert status >= 400, (action, status, body)
    error = json.loads(body)
    assert set(error) == ERROR_FIELDS, (action, error)
    assert all(isinstance(error[field], str) and error[field] for field in ERROR_FIELDS), error
    try:
        client.do_action_with_exception(request(action, query))
    except ServerException as exception:
        assert exception.get_error_code() == error["Code"], (exception, error)
        return exception.get_http_status(), exception.get_error_code()
    raise AssertionError("%s should have failed again" % action)


def image_fields(image):
    """Checks the types the Go SDK's model reads, and gives the image."""
    assert isinstance(image["Progress"], str) and image["Progress"].endswith("%"), image
    assert isinstance(image["IsCopied"], bool), image
    for mapping in image["DiskDeviceMappings"]["DiskDeviceMapping"]:
        snapshot = mapping["SnapshotId"]
        assert snapshot.startswith("s-") and len(snapshot) == 22, mapping
    return image


def images(client, region, query):
    listed = call(client, "DescribeImages", [("RegionId", region)] + query)
    return [image_fields(image) for image in listed["Images"]["Image"]]


def snapshots(image):
    return [m["SnapshotId"] for m in image["DiskDeviceMappings"]["DiskDeviceMapping"]]


def advance():
    """The backend's progress, which the server's ticker would make."""
    call(ALICE, "MockAdvanceCopies", [("Step", "50")])


def source_image(name):
    """An image of alice's in Hangzhou, as a build would have made it."""
    query = [("RegionId", "cn-hangzhou"), ("ImageName", name)]
    return call(ALICE, "MockCreateImage", query)["ImageId"]


# --- Terraform: alicloud_image_copy ---------------------------------------
TF_STATUS = ("Status", "Creating,Waiting,Available,UnAvailable,CreateFailed")


def terraform_describe(image):
    return images(ALICE, "cn-beijing", [("ImageId", image), TF_STATUS])


def terraform_create(source, name, tags):
    query = [
        ("RegionId", "cn-hangzhou"),
        ("ImageId", source),
        ("DestinationRegionId", "cn-beijing"),
        ("DestinationImageName", name),
        ("DestinationDescription", "copied by terraform"),
        ("Encrypted", "false"),
    ]
    for n, (key, value) in enumerate(tags, 1):
        query += [("Tag.%d.Key" % n, key), ("Tag.%d.Value" % n, value)]
    return call(ALICE, "CopyImage", query)["ImageId"]


source = source_image("tf-source")
copy = terraform_create(source, "tf-copy", [("team", "web"), ("env", "test")])
seen = []
for _ in range(POLLS):
    [image] = terraform_describe(copy)
    seen.append((image["Status"], image["Progress"]))
    assert image["Status"] in ("Creating", "Waiting", "Available"), seen
    if image["Status"] == "Available":
        break
    advance()
assert seen[-1] == ("Available", "100%"), seen
assert seen[0][0] == "Creating", seen
assert image["IsCopied"] is True, image
assert (image["ImageName"], image["Description"]) == ("tf-copy", "copied by terraform"), image
tags = {tag["TagKey"]: tag["TagValue"] for tag in image["Tags"]["Tag"]}
assert tags == {"team": "web", "env": "test"}, image

# Update: the tags' difference, then the attributes, then the tags read back.
resource = [("RegionId", "cn-beijing"), ("ResourceType", "image"), ("ResourceId.1", copy)]
call(ALICE, "UntagResources", resource + [("TagKey.1", "env"), ("All", "false")])
call(ALICE, "TagResources", resource + [("Tag.1.Key", "owner"), ("Tag.1.Value", "ops")])
call(ALICE, "ModifyImageAttribute", [
    ("RegionId", "cn-beijing"),
    ("ImageId", copy),
    ("ImageName", "tf-copy-renamed"),
    ("Description", "renamed by terraform"),
])
# Terraform's second client: parameters in the form body, `Format=json`.
listed = call(ALICE, "ListTagResources", body=resource, fmt="json")
tagged = {(t["ResourceId"], t["ResourceType"], t["TagKey"], t["TagValue"])
          for t in listed["TagResources"]["TagResource"]}
assert tagged == {(copy, "image", "team", "web"), (copy, "image", "owner", "ops")}, listed
[image] = terraform_describe(copy)
assert (image["ImageName"], image["Description"]) == ("tf-copy-renamed", "renamed by terraform")

# Delete: look it up, delete it, wait for it to go, then its snapshots.
[image] = terraform_describe(copy)
call(ALICE, "DeleteImage", [("RegionId", "cn-beijing"), ("ImageId", copy), ("Force", "true")])
for _ in range(POLLS):
    if not terraform_describe(copy):
        break
else:
    raise AssertionError("the deleted copy is still listed")
for snapshot in snapshots(image):
    call(ALICE, "DeleteSnapshot", [("SnapshotId", snapshot)])
assert refused(ALICE, "DeleteSnapshot", [("SnapshotId", snapshots(image)[0])]) == (
    404, "InvalidSnapshotId.NotFound")

# Destroyed while the copy runs: refused, so cancelled, then gone.
running = terraform_create(source, "tf-running", [])
assert terraform_describe(running)[0]["Status"] == "Creating"
delete = [("RegionId", "cn-beijing"), ("ImageId", running)]
assert refused(ALICE, "DeleteImage", delete) == (403, "OperationDenied.ImageCopying")
call(ALICE, "CancelCopyImage", delete)
assert terraform_describe(running) == []
assert refused(ALICE, "DeleteImage", delete) == (404, "InvalidImageId.NotFound")
passed.append("terraform alicloud_image_copy")

# --- Packer: build, share, destroy ----------------------------------------
PACKER_STATUS = ("Status", "Waiting,Creating,CreateFailed,Available")
# Packer signs an empty token on every call.
TOKEN = ("SecurityToken", "")


def packer(action, query):
    return call(ALICE, action, [TOKEN] + query)


regions = packer("DescribeRegions", [])["Regions"]["Region"]
endpoints = {region["RegionId"]: region["RegionEndpoint"] for region in regions}
for region in ("cn-hangzhou", "cn-beijing", "cn-shanghai"):
    assert endpoints.get(region) == "ecs.%s.aliyuncs.com" % region, endpoints


def packer_describe(region, query):
    return [image_fields(image) for image in
            packer("DescribeImages", [("RegionId", region), PACKER_STATUS] + query)["Images"]["Image"]]


# The name is free before the build and taken after it.
by_name = [("ImageName", "packer-web")]
assert packer_describe("cn-hangzhou", by_name) == []
built = source_image("packer-web")
assert [i["ImageId"] for i in packer_describe("cn-hangzhou", by_name)] == [built]
artifact = {"cn-hangzhou": built}
for region in ("cn-beijing", "cn-shanghai"):
    artifact[region] = packer("CopyImage", [
        ("RegionId", "cn-hangzhou"),
        ("ImageId", built),
        ("DestinationRegionId", region),
        ("DestinationImageName", "packer-web"),
        ("DestinationDescription", ""),
        ("Encrypted", "false"),
    ])["ImageId"]

# Every image at once, the copies still running; then with nothing to change.
for region, image in artifact.items():
    share = [("RegionId", region), ("ImageId", image)]
    packer("ModifyImageSharePermission", share + [("AddAccount.1", "bob")])
    packer("ModifyImageSharePermission", share)
for region, image in artifact.items():
    shared = BOB.do_action_with_exception(request("DescribeImages", [
        ("RegionId", region), ("ImageId", image), ("ImageOwnerAlias", "others"), PACKER_STATUS]))
    [seen_by_bob] = json.loads(shared)["Images"]["Image"]
    assert seen_by_bob["ImageOwnerAlias"] == "others", seen_by_bob
# Sharing is alice's to undo, and the image hers to delete.
bob_delete = [("RegionId", "cn-beijing"), ("ImageId", artifact["cn-beijing"])]
assert refused(BOB, "DeleteImage", bob_delete) == (404, "InvalidImageId.NotFound")
hangzhou = [("RegionId", "cn-hangzhou"), ("ImageId", built)]
assert refused(ALICE, "DeleteImage", hangzhou) == (403, "ImageUseShared")

# Shanghai's copy completes; Beijing's is still copying at destroy.
packer("MockCompleteCopy", [("RegionId", "cn-shanghai"), ("ImageId", artifact["cn-shanghai"])])

copying, done = {}, {}
for region, image in artifact.items():
    [found] = packer_describe(region, [("ImageId", image)])
    if found["IsCopied"] and found["Status"] != "Available":
        copying[region] = image
    else:
        done[region] = found
assert sorted(copying) == ["cn-beijing"] and sorted(done) == ["cn-hangzhou", "cn-shanghai"]


def unshare(region, image):
    query = [("RegionId", region), ("ImageId", image)]
    permission = packer("DescribeImageSharePermission", query)
    accounts = [a["AliyunId"] for a in permission["Accounts"]["Account"]]
    assert accounts == ["bob"], permission
    removals = [("RemoveAccount.%d" % n, a) for n, a in enumerate(accounts, 1)]
    packer("ModifyImageSharePermission", query + removals)
    after = packer("DescribeImageSharePermission", query)
    assert after["Accounts"]["Account"] == [], after


for region, image in copying.items():
    unshare(region, image)
    packer("CancelCopyImage", [("RegionId", region), ("ImageId", image)])
for region, found in done.items():
    unshare(region, found["ImageId"])
    packer("DeleteImage", [("RegionId", region), ("ImageId", found["ImageId"])])
    for snapshot in snapshots(found):
        packer("DeleteSnapshot", [("SnapshotId", snapshot)])
for region, image in artifact.items():
    assert packer_describe(region, [("ImageId", image)]) == [], region
    assert images(BOB, region, [("ImageOwnerAlias", "others")]) == [], region
passed.append("packer build, share and destroy")

# --- Every error of the image actions around a copy: the JSON the Go SDK reads
# (DescribeRegions has none: every parameter of it is optional.)
missing = [("RegionId", "cn-beijing"), ("ImageId", "m-none")]
for action, query, expected in [
    ("DeleteImage", missing, (404, "InvalidImageId.NotFound")),
    ("ModifyImageAttribute", missing, (404, "InvalidImageId.NotFound")),
    ("ModifyImageSharePermission", missing, (404, "InvalidImageId.NotFound")),
    ("DescribeImageSharePermission", missing, (404, "InvalidImageId.NotFound")),
    ("TagResources", [("RegionId", "cn-beijing"), ("ResourceType", "disk")],
     (404, "InvalidResourceType.NotFound")),
    ("UntagResources", [("RegionId", "cn-beijing"), ("ResourceType", "image")],
     (400, "MissingParameter")),
    ("ListTagResources", [("RegionId", "cn-beijing"), ("ResourceType", "image")],
     (403, "BothEmpty.TagsAndResources")),
    ("DeleteSnapshot", [], (400, "MissingParameter")),
]:
    assert refused(ALICE, action, query) == expected, (action, expected)
passed.append("errors in the JSON the Go SDK reads")

print("tools: %d passed, 0 failed (%s)" % (len(passed), "; ".join(passed)))
