"""Holds COUNT idle TCP connections to HOST:PORT until killed.

    python3 idle.py HOST PORT COUNT

Connects without blocking, so that connections the server has not
accepted (past its descriptor limit, in the listen backlog or not even
there) do not stop the script, then sends nothing. Prints "held N" once
every connect has been started, and how many completed.
"""

import select
import signal
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect((host, port))
    except BlockingIOError:
        pass
    held.append(sock)
# Give the handshakes a moment, then count the established ones.
poll = select.poll()
by_fd = {sock.fileno(): sock for sock in held}
for fd in by_fd:
    poll.register(fd, select.POLLOUT)
deadline = time.monotonic() + 2
connected = 0
while by_fd and time.monotonic() < deadline:
    for fd, _ in poll.poll(100):
        if by_fd.pop(fd).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            connected += 1
        poll.unregister(fd)
print(f"held {len(held)} ({connected} connected)", flush=True)
signal.pause()
