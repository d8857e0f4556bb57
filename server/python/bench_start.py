"""The fixture's start-to-first-answer time: the median of N starts of
``MockServer`` (spawn, `listening on` read, one HTTP answer) and of its
floors in the same run: spawning `true` (a process, from this Python), the
server's `--version` (the binary loaded, no world, no socket), and the bare
server until it prints `listening on` (the kill and wait included).

    python server/python/bench_start.py [N]      # N defaults to 20

Prints one line per measure: median, min and max in milliseconds.
"""

import statistics
import subprocess
import sys
import time

from ecs_mock_server import MockServer, binary_path


def timed(action, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    binary = str(binary_path())
    floors = {
        "spawn `true`": lambda: subprocess.run(["true"], check=True),
        "spawn ecs-mock-server --version": lambda: subprocess.run(
            [binary, "--version"], check=True, stdout=subprocess.DEVNULL
        ),
    }
    def listening_line():
        # The server alone: spawned without the fixture, until its line.
        process = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--manual"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        assert process.stderr.readline().startswith("listening on ")
        process.kill()
        process.wait()
        process.stderr.close()

    floors["spawn ecs-mock-server to `listening on`"] = listening_line
    results = {name: timed(action, runs) for name, action in floors.items()}
    for label, options in [("MockServer start to first answer", {}),
                           ("MockServer(manual=True) start to first answer", {"manual": True})]:
        starts, stops = [], []
        for _ in range(runs):
            begin = time.perf_counter()
            server = MockServer(**options).start()
            middle = time.perf_counter()
            server.stop()
            starts.append((middle - begin) * 1000)
            stops.append((time.perf_counter() - middle) * 1000)
        results[label] = starts
        results[label.replace("start to first answer", "stop")] = stops
    print(f"binary: {binary}; {runs} runs each")
    for name, times in results.items():
        print(f"{name:48} median {statistics.median(times):6.2f} ms"
              f"  min {min(times):6.2f}  max {max(times):6.2f}")


if __name__ == "__main__":
    main()
