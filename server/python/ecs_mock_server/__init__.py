"""A mock Alibaba Cloud ECS endpoint for image copies, started from Python.

The wheel carries the ``ecs-mock-server`` binary; this package starts it on
a free port and stops it::

    from ecs_mock_server import MockServer

    with MockServer(manual=True) as ecs:
        image_id = ecs.control().create_image("cn-hangzhou", "web")
        # point an SDK at ecs.endpoint over http, with ecs.credentials

With pytest, the plugin's fixtures do the same: ``ecs_mock_server`` (one
server per test) and ``ecs_mock_server_session`` (one for the session).
See the package's README and docs/mock-server.md.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._binary import BINARY_ENV, binary_path
from ._control import AccessKey, Control, CopyState, EcsError
from ._server import DEFAULT_KEY, MockServer, ServerStartError

try:
    __version__ = version("ecs-mock-server")
except PackageNotFoundError:  # imported from a checkout
    __version__ = "0+unknown"

__all__ = [
    "BINARY_ENV",
    "DEFAULT_KEY",
    "AccessKey",
    "Control",
    "CopyState",
    "EcsError",
    "MockServer",
    "ServerStartError",
    "binary_path",
]
