"""The package itself: it finds the installed binary, starts the server on
a free port, reports a server that cannot start, and leaves no process
behind however the test or the test process ends."""

import os
import re
import signal
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import ecs_mock_server
from ecs_mock_server import BINARY_ENV, EcsError, MockServer, ServerStartError, binary_path

pytest_plugins = ["pytester"]


def alive(pid: int) -> bool:
    # A zombie is dead: it only waits for its parent to read its status.
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_until_dead(pid: int) -> bool:
    # Not timing: the server's input ends with its parent, and the loop
    # only waits for the scheduler to run the stopping server.
    for _ in range(100_000):
        if not alive(pid):
            return True
        os.sched_yield()
    return False


@pytest.mark.skipif(BINARY_ENV in os.environ, reason=f"${BINARY_ENV} names the binary")
def test_the_package_and_binary_are_the_ones_the_wheel_installed():
    assert Path(ecs_mock_server.__file__).parent.parent == Path(sysconfig.get_path("purelib"))
    assert binary_path().parent == Path(sysconfig.get_path("scripts"))


def test_it_answers_as_soon_as_it_is_started():
    with MockServer(manual=True) as server:
        host, port = server.endpoint.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        assert server.control().advance_copies() == 0
        assert server.wait_for_log("MockAdvanceCopies testing 200").startswith("127.0.0.1:")


def test_a_server_that_cannot_start_is_an_error_with_its_log():
    with pytest.raises(ServerStartError) as error:
        MockServer(extra_args=["--step", "0"]).start()
    assert "exited (2)" in str(error.value)
    assert any("--step" in line for line in error.value.log), error.value.log


def test_an_error_in_the_block_stops_the_server():
    with pytest.raises(ZeroDivisionError):
        with MockServer() as server:
            pid = server.pid
            1 / 0
    assert not alive(pid)
    with pytest.raises(RuntimeError, match="not running"):
        server.endpoint


def test_control_errors_carry_status_code_and_message():
    with MockServer() as server:
        with pytest.raises(EcsError) as error:
            server.control().complete_copy("cn-beijing", "m-nothing")
    assert (error.value.status, error.value.code, error.value.message) == (
        404,
        "InvalidImageId.NotFound",
        "The specified ImageId does not exist.",
    )


def test_a_state_file_outlives_the_server(tmp_path):
    state = tmp_path / "world.json"
    with MockServer(manual=True, state=state) as server:
        image = server.control().create_image("cn-hangzhou", "kept")
    # Stopped with SIGINT, it wrote its final snapshot.
    assert state.is_file()
    with MockServer(manual=True, state=state) as server:
        answer = server.control().call("DescribeImages", RegionId="cn-hangzhou", ImageId=image)
    assert [found["ImageName"] for found in answer["Images"]["Image"]] == ["kept"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="alive() reads /proc")
def test_the_server_stops_when_its_test_process_is_killed_by_sigkill():
    script = textwrap.dedent(
        """
        import os, signal, sys
        from ecs_mock_server import MockServer
        server = MockServer().start()
        print(server.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind runs
        """
    )
    parent = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert parent.returncode == -signal.SIGKILL, parent.stderr
    assert wait_until_dead(int(parent.stdout))


def test_a_forgotten_server_is_stopped_at_exit():
    script = "from ecs_mock_server import MockServer; print(MockServer().start().pid)"
    parent = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert parent.returncode == 0, parent.stderr
    assert not alive(int(parent.stdout))



def test_the_fixture_stops_the_server_of_a_failing_test(pytester):
    pytester.makepyfile(
        """
        def test_fails(ecs_mock_server):
            print("pid", ecs_mock_server.pid)
            assert False
        """
    )
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(failed=1)
    (pid,) = re.findall(r"pid (\d+)", result.stdout.str())
    assert not alive(int(pid))


def test_fixture_scopes_and_markers(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def ecs_mock_server_options():
            return {"manual": True}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_a(ecs_mock_server, ecs_mock_server_session):
            print("function", ecs_mock_server.pid, ecs_mock_server.args)
            print("session", ecs_mock_server_session.pid)

        @pytest.mark.ecs_mock_server(copy_limit=2)
        def test_b(ecs_mock_server, ecs_mock_server_session):
            print("function", ecs_mock_server.pid, ecs_mock_server.args)
            print("session", ecs_mock_server_session.pid)
        """
    )
    result = pytester.runpytest_subprocess("-s", "--strict-markers")
    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    function = re.findall(r"function (\d+) (.*)", output)
    session = set(re.findall(r"session (\d+)", output))
    assert len(session) == 1 and len({pid for pid, _ in function}) == 2, output
    assert function[0][1].endswith("'--manual']"), output
    assert function[1][1].endswith("'--manual', '--copy-limit', '2']"), output
