"""pytest fixtures for the mock ECS server, loaded by the ``pytest11``
entry point whenever the package is installed.

- ``ecs_mock_server``: a server of its own for each test, configured by
  ``ecs_mock_server_options`` and the test's ``ecs_mock_server`` marker.
- ``ecs_mock_server_session``: one server for the whole session (its world
  is shared: name images uniquely), configured by
  ``ecs_mock_server_options``.
- ``ecs_mock_server_options``: a session fixture returning the options
  (``MockServer``'s keyword arguments), ``{}`` unless a conftest overrides
  it.

Credentials are given to the SDKs explicitly (``server.credentials``), never
through the environment: a credential chain that finds nothing there goes
on to the ECS metadata service, a real network address.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from ._server import MockServer

MARKER = "ecs_mock_server"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): MockServer options for this test's ecs_mock_server fixture",
    )


@pytest.fixture(scope="session")
def ecs_mock_server_options() -> Dict[str, Any]:
    """``MockServer``'s keyword arguments for both server fixtures; override
    it in a conftest.py to configure them."""
    return {}


@pytest.fixture
def ecs_mock_server(
    request: pytest.FixtureRequest, ecs_mock_server_options: Dict[str, Any]
) -> Iterator[MockServer]:
    """A server for this test alone, stopped when the test ends, passed or
    failed. ``@pytest.mark.ecs_mock_server(manual=True, ...)`` adds options
    to ``ecs_mock_server_options``."""
    options = dict(ecs_mock_server_options)
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        options.update(marker.kwargs)
    with MockServer(**options) as server:
        yield server


@pytest.fixture(scope="session")
def ecs_mock_server_session(ecs_mock_server_options: Dict[str, Any]) -> Iterator[MockServer]:
    """One server for the whole session, stopped when it ends."""
    with MockServer(**ecs_mock_server_options) as server:
        yield server

