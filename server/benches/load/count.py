"""Sends exactly COUNT requests for PATH over CONNECTIONS kept-alive
connections, each a request after its answer, as wrk does; exits 1 if an
answer is not 200.

    python3 count.py PORT PATH COUNT CONNECTIONS
"""

import socket
import sys
import threading

port, path = int(sys.argv[1]), sys.argv[2]
count, connections = int(sys.argv[3]), int(sys.argv[4])
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
failed = []


def send(requests):
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        answers = connection.makefile("rb")
        for _ in range(requests):
            connection.sendall(request)
            status = answers.readline()
            if b" 200 " not in status:
                failed.append(status)
            length = 0
            while (line := answers.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answers.read(length)


threads = [threading.Thread(target=send, args=(count // connections,)) for _ in range(connections)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failed:
    sys.exit(f"{len(failed)} answers not 200, the first: {failed[0]!r}")
