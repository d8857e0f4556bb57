"""The control actions (``MockCreateImage``, ``MockSetCopyProgress``, ...)
and any other action, sent as signed RPC requests (signature V1), so that
they work whether or not the server checks signatures (``--auth``)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import quote

__all__ = ["AccessKey", "Control", "CopyState", "EcsError"]

API_VERSION = "2014-05-26"


@dataclass(frozen=True)
class AccessKey:
    """An access key the server knows (``--key ID:SECRET[:ACCOUNT]``).

    Without ``--auth`` the server checks no secret, and the key ID names
    the account; with it, the key belongs to ``account``.
    """

    id: str
    secret: str
    #: The account the key acts as; the key ID when not given.
    account: Optional[str] = None

    @property
    def account_name(self) -> str:
        """The account this key acts as."""
        return self.account or self.id

    def flag(self) -> str:
        """The key as the server's ``--key`` flag takes it."""
        return f"{self.id}:{self.secret}:{self.account_name}"


@dataclass(frozen=True)
class CopyState:
    """A copy as a control action left it."""

    image_id: str
    #: ``Waiting``, ``Creating``, ``Available`` or ``CreateFailed``.
    status: str
    #: ``"0%"`` to ``"100%"``, as DescribeImages shows it.
    progress: str
    cancellable: bool


class EcsError(Exception):
    """An error the server answered: HTTP status, ``Code``, ``Message``."""

    def __init__(self, status: int, code: str, message: str, request_id: str) -> None:
        super().__init__(f"{status} {code}: {message} (RequestId {request_id})")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


def _encode(text: str) -> str:
    # POP's encoding: RFC 3986's unreserved characters stay, all else is %XX.
    return quote(text, safe="-_.~")


def _signed_query(key: AccessKey, action: str, params: Mapping[str, str]) -> str:
    signed = {
        "Action": action,
        "Version": API_VERSION,
        "Format": "JSON",
        "AccessKeyId": key.id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **params,
    }
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(signed.items()))
    string_to_sign = f"GET&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{key.secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    signature = base64.b64encode(digest).decode()
    return f"{canonical}&Signature={_encode(signature)}"


def _copy_state(answer: Mapping[str, Any]) -> CopyState:
    return CopyState(
        image_id=answer["ImageId"],
        status=answer["Status"],
        progress=answer["Progress"],
        cancellable=bool(answer["Cancellable"]),
    )


Percent = Union[int, str]


class Control:
    """Signed requests to one server as one access key: the control actions
    that move copies (see docs/mock-server.md, "Control actions"), and
    :meth:`call` for any action.

    Each control action acts on the key's own images, as any action does.
    """

    def __init__(self, address: str, key: AccessKey, timeout: float = 10.0) -> None:
        #: ``HOST:PORT`` of the server.
        self.address = address
        #: The key every request is signed with.
        self.key = key
        self.timeout = timeout

    def call(self, action: str, **params: Any) -> Dict[str, Any]:
        """Sends ``action`` with ``params`` (a ``bool`` is sent as ``true``
        or ``false``, anything else as ``str()``) and returns the JSON
        answer; raises :class:`EcsError` for an error answer."""
        texts = {name: _text(value) for name, value in params.items() if value is not None}
        host, port = split_address(self.address)
        connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            connection.request("GET", "/?" + _signed_query(self.key, action, texts))
            response = connection.getresponse()
            body: Dict[str, Any] = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        if response.status >= 300:
            raise EcsError(
                response.status,
                body.get("Code", ""),
                body.get("Message", ""),
                body.get("RequestId", ""),
            )
        return body

    def create_image(self, region_id: str, image_name: str) -> str:
        """``MockCreateImage``: a new ``Available`` image of this key's
        account; returns its ID."""
        return str(self.call("MockCreateImage", RegionId=region_id, ImageName=image_name)["ImageId"])

    def set_copy_progress(self, region_id: str, image_id: str, progress: Percent) -> CopyState:
        """``MockSetCopyProgress``: moves a copying copy to ``progress``
        (0-100; 100 makes it Finalizing, ``Creating`` at ``100%``).
        Progress never goes back."""
        return _copy_state(
            self.call("MockSetCopyProgress", RegionId=region_id, ImageId=image_id, Progress=progress)
        )

    def complete_copy(self, region_id: str, image_id: str) -> CopyState:
        """``MockCompleteCopy``: the copy becomes ``Available``; a copying
        copy passes through 100%."""
        return _copy_state(self.call("MockCompleteCopy", RegionId=region_id, ImageId=image_id))

    def fail_copy(self, region_id: str, image_id: str) -> CopyState:
        """``MockFailCopy``: the copy becomes ``CreateFailed``, keeping its
        progress."""
        return _copy_state(self.call("MockFailCopy", RegionId=region_id, ImageId=image_id))

    def set_cancellable(self, region_id: str, image_id: str, cancellable: bool) -> CopyState:
        """``MockSetCancellable``: whether ``CancelCopyImage`` may cancel the
        copy while it is queued or copying."""
        return _copy_state(
            self.call(
                "MockSetCancellable", RegionId=region_id, ImageId=image_id, Cancellable=cancellable
            )
        )

    def advance_copies(self, step: Optional[Percent] = None) -> int:
        """``MockAdvanceCopies``: one tick for every account's copies (each
        running copy gains ``step`` percent, 15 by default; each finalizing
        one completes); returns how many moved."""
        return int(self.call("MockAdvanceCopies", Step=step)["Moved"])


def split_address(address: str) -> Tuple[str, int]:
    """``HOST:PORT`` (``[V6]:PORT``) as ``http.client`` takes it."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
