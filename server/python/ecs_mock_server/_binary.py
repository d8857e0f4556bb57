"""Where the ``ecs-mock-server`` binary is: the wheel installs it among the
environment's scripts, beside ``pip`` and ``pytest``."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Iterator

__all__ = ["BINARY_ENV", "binary_path"]

#: An environment variable naming the binary to run instead of the installed
#: one (a ``cargo build`` of a checkout, for instance).
BINARY_ENV = "ECS_MOCK_SERVER_BINARY"

_NAME = "ecs-mock-server" + (".exe" if os.name == "nt" else "")


def _script_dirs() -> Iterator[Path]:
    yield Path(sysconfig.get_path("scripts"))
    # `pip install --user` puts scripts in the user scheme's folder.
    user_scheme = f"{os.name}_user" if sys.platform != "darwin" else "osx_framework_user"
    if user_scheme in sysconfig.get_scheme_names():
        yield Path(sysconfig.get_path("scripts", user_scheme))
    # A virtual environment used without activation: its interpreter's folder.
    yield Path(sys.executable).parent


def binary_path() -> Path:
    """The server binary: ``$ECS_MOCK_SERVER_BINARY`` if set, else the one
    this package's wheel installed, else the first on ``PATH``.

    Raises ``FileNotFoundError`` naming the places looked at.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError(f"${BINARY_ENV} names {path}, which is not a file")
        return path
    looked = []
    for folder in _script_dirs():
        candidate = folder / _NAME
        if candidate.is_file():
            return candidate
        looked.append(str(folder))
    on_path = shutil.which(_NAME)
    if on_path:
        return Path(on_path)
    raise FileNotFoundError(
        f"no {_NAME} in {', '.join(looked)} or on PATH: install the ecs-mock-server "
        f"wheel, `cargo install --path server` from a checkout, or set ${BINARY_ENV}"
    )
