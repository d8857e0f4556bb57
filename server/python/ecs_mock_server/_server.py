"""The server as a child process: started on a free port, stopped on exit."""

from __future__ import annotations

import collections
import http.client
import os
import subprocess
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Deque, List, Optional, Sequence, Tuple, Type, Union

from ._binary import binary_path
from ._control import AccessKey, Control, split_address

__all__ = ["DEFAULT_KEY", "MockServer", "ServerStartError"]

#: The key a server is given when none is: moto's ``testing``/``testing``.
DEFAULT_KEY = AccessKey("testing", "testing")

_LISTENING = "listening on "
_LOG_LINES = 10_000

# Servers started and not yet stopped, stopped at interpreter exit so that
# a forgotten `start()` leaves no process behind.
_running: "weakref.WeakSet[MockServer]" = weakref.WeakSet()


class ServerStartError(RuntimeError):
    """The server exited, or did not listen in time; carries its log."""

    def __init__(self, message: str, log: Sequence[str]) -> None:
        super().__init__(message + "".join(f"\n  {line}" for line in log))
        self.log = list(log)


class MockServer:
    """A mock ECS server on a free loopback port, for the length of a
    ``with`` block (or from :meth:`start` to :meth:`stop`).

    Each option maps to a flag of ``ecs-mock-server --help``::

        with MockServer(manual=True) as ecs:
            ecs.endpoint        # "127.0.0.1:PORT", for the SDKs' endpoint
            ecs.credentials     # AccessKey("testing", "testing")
            image = ecs.control().create_image("cn-hangzhou", "web")

    Leaving the block stops the server, also when the block raised: killed
    at once without ``state``, else stopped cleanly so that it writes its
    final snapshot (and killed if it takes more than ``stop_timeout``). The
    server also stops when the process that started it dies, however it
    dies: it watches its standard input (``--stop-on-stdin-close``).
    """

    def __init__(
        self,
        *,
        manual: bool = False,
        copy_limit: Optional[int] = None,
        keys: Sequence[AccessKey] = (DEFAULT_KEY,),
        auth: bool = False,
        state: Union[str, "os.PathLike[str]", None] = None,
        step: Optional[int] = None,
        tick_ms: Optional[int] = None,
        mock_actions: bool = True,
        quiet: bool = False,
        host: str = "127.0.0.1",
        extra_args: Sequence[str] = (),
        binary: Union[str, "os.PathLike[str]", None] = None,
        start_timeout: float = 10.0,
        stop_timeout: float = 10.0,
    ) -> None:
        """
        :param manual: ``--manual``: copies move only through the control
            actions, never by themselves. What a test wants most often.
        :param copy_limit: ``--copy-limit``: copies each account runs at
            once into each region (5 if not given); more are queued.
        :param keys: the access keys (``--key``); the first is
            :attr:`credentials`. Without ``auth``, any key ID works and
            names its account; these keys are still the ones the helpers use.
        :param auth: ``--auth``: check signatures (V1 and V3) against ``keys``.
        :param state: ``--state``: keep the world in this file (and its
            journals) and restore it at start.
        :param step: ``--step``: percent a running copy gains per tick.
        :param tick_ms: ``--tick-ms``: milliseconds between two ticks.
        :param mock_actions: ``False`` for ``--no-mock-actions``.
        :param quiet: ``--quiet``: no log line per request.
        :param host: the loopback address to listen on; the port is free.
        :param extra_args: more flags, passed as they are.
        :param binary: the server binary (default: :func:`binary_path`).
        :param start_timeout: seconds to wait for the server to answer.
        :param stop_timeout: seconds a server with ``state`` may take to stop.
        """
        if not keys:
            raise ValueError("keys: at least one access key")
        if auth and len({key.id for key in keys}) != len(keys):
            raise ValueError("keys: each access key ID once")
        if any(":" in key.id or ":" in key.secret for key in keys):
            raise ValueError("keys: no ':' in an access key ID or secret (--key ID:SECRET:ACCOUNT)")
        self.keys: Tuple[AccessKey, ...] = tuple(keys)
        self.auth = auth
        self.state = Path(state) if state is not None else None
        listen = f"[{host}]:0" if ":" in host else f"{host}:0"
        args: List[str] = ["--listen", listen]
        args += ["--manual"] if manual else []
        args += ["--copy-limit", str(copy_limit)] if copy_limit is not None else []
        args += ["--auth"] if auth else []
        for key in self.keys if auth else ():
            args += ["--key", key.flag()]
        args += ["--state", str(self.state)] if self.state is not None else []
        args += ["--step", str(step)] if step is not None else []
        args += ["--tick-ms", str(tick_ms)] if tick_ms is not None else []
        args += [] if mock_actions else ["--no-mock-actions"]
        args += ["--quiet"] if quiet else []
        self.args: List[str] = args + list(extra_args)
        self._binary = binary
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._process: Optional["subprocess.Popen[str]"] = None
        self._log: Deque[str] = collections.deque(maxlen=_LOG_LINES)
        self._log_changed = threading.Condition()
        self._address: Optional[str] = None
        self._drainer: Optional[threading.Thread] = None

    # -- what a test uses ---------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``HOST:PORT``: what the SDKs take as their ECS endpoint (with
        protocol ``http``)."""
        if self._address is None:
            raise RuntimeError("the server is not running")
        return self._address

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``."""
        return f"http://{self.endpoint}/"

    @property
    def credentials(self) -> AccessKey:
        """The first access key."""
        return self.keys[0]

    def key(self, account: str) -> AccessKey:
        """The first access key of ``account``."""
        for key in self.keys:
            if key.account_name == account:
                return key
        raise KeyError(f"no access key of account {account!r}")

    def control(self, account: Optional[str] = None) -> Control:
        """The control actions, signed with the first key of ``account``
        (default: :attr:`credentials`)."""
        key = self.credentials if account is None else self.key(account)
        return Control(self.endpoint, key)

    @property
    def pid(self) -> int:
        """The server's process ID."""
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    @property
    def log(self) -> List[str]:
        """What the server has logged so far: the start, then a line per
        request (the last 10,000 lines). The server writes a request's line
        after its answer, so it may come a moment later: see
        :meth:`wait_for_log`."""
        with self._log_changed:
            return list(self._log)

    def wait_for_log(self, text: str, timeout: float = 10.0) -> str:
        """The first line of the log that contains ``text``, once there is
        one; ``TimeoutError`` after ``timeout`` seconds."""
        def found() -> Optional[str]:
            return next((line for line in self._log if text in line), None)

        with self._log_changed:
            if not self._log_changed.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"no line with {text!r} in the server's log")
            line = found()
        assert line is not None
        return line

    # -- start and stop -----------------------------------------------------

    def start(self) -> "MockServer":
        """Starts the server and returns once it answers."""
        if self._process is not None:
            raise RuntimeError("the server is already running")
        binary = Path(self._binary) if self._binary is not None else binary_path()
        self._log.clear()
        # The server stops when its standard input ends: when stop() closes
        # the pipe, or when this process dies, however it dies (SIGKILL,
        # os._exit), so that no server outlives its test run.
        process = subprocess.Popen(
            [str(binary), "--stop-on-stdin-close", *self.args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        self._process = process
        _running.add(self)
        try:
            assert process.stderr is not None
            self._address = self._read_address(process, process.stderr)
            self._drainer = threading.Thread(
                target=self._drain, args=(process.stderr,), name="ecs-mock-server log", daemon=True
            )
            self._drainer.start()
            self._wait_for_answer()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stops the server (idempotent). Without ``state`` it is killed;
        with it, stopped as Ctrl-C stops it, so that it writes its final
        snapshot."""
        process, self._process = self._process, None
        self._address = None
        _running.discard(self)
        if process is None:
            return
        if self.state is None:
            process.kill()  # nothing to save: the fastest stop
        assert process.stdin is not None
        try:
            process.stdin.close()  # a clean stop, with the final snapshot
        except OSError:
            pass  # the server is gone already
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drainer, self._drainer = self._drainer, None
        if drainer is not None:
            drainer.join(5)
        elif process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._address or "stopped"
        return f"MockServer({where}, {' '.join(self.args[2:])})"

    def _read_address(self, process: "subprocess.Popen[str]", stderr: IO[str]) -> str:
        # The server prints the address once the world is loaded and the
        # socket bound; before it, only errors or a journal's repair.
        timed_out = threading.Event()

        def give_up() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(self.start_timeout, give_up)
        timer.start()
        try:
            for line in stderr:
                line = line.rstrip("\n")
                if line.startswith(_LISTENING):
                    return line[len(_LISTENING) :]
                self._log.append(line)
        finally:
            timer.cancel()
        code = process.wait()
        why = "did not listen in time" if timed_out.is_set() else f"exited ({code})"
        raise ServerStartError(f"ecs-mock-server {why} before it listened", self._log)

    def _drain(self, stderr: IO[str]) -> None:
        # Read all along, so that a full pipe never blocks the server; the
        # pipe ends when the server does.
        with stderr:
            for line in stderr:
                with self._log_changed:
                    self._log.append(line.rstrip("\n"))
                    self._log_changed.notify_all()

    def _wait_for_answer(self) -> None:
        # The socket is bound before the line is printed, so the first try
        # succeeds; the loop is for a machine that is slow to schedule it.
        host, port = split_address(self.endpoint)
        deadline = time.monotonic() + self.start_timeout
        while True:
            connection = http.client.HTTPConnection(host, port, timeout=self.start_timeout)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
            finally:
                connection.close()


def _stop_all() -> None:
    for server in list(_running):
        server.stop()


import atexit  # noqa: E402  (registered once the class exists)

atexit.register(_stop_all)
