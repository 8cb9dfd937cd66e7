"""Connections that drip their request a byte at a time, and a check that the pod still answers
others at once while they are open."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time

import requests

SLOW_CLIENTS = 200
DRIP_SECONDS = 1.0  # each slow connection sends one more byte this often
MEASURED_REQUESTS = 20
MAX_DELAY = 1.0  # what a legitimate request may wait, at most, with the slow clients there

HEADERS = (
    b"GET /.well-known/pds-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    b"a" * 60,
)
BODIES = (
    b"POST /owner/claim HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{",
    b" " * 60,
)


class Drippers:
    """Connections that each send `opening`, then one byte of `tail` every DRIP_SECONDS."""

    def __init__(self, port: int, opening: bytes, tail: bytes):
        self.sockets = []
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(opening)
            self.sockets.append(sock)
        self.tail = tail
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        sent = 0
        while not self.stop.wait(DRIP_SECONDS) and sent < len(self.tail):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # closed by the server: so much the better
                    sock.send(self.tail[sent : sent + 1])
            sent += 1

    def still_open(self) -> int:
        """How many connections the server has not closed (nor answered)."""
        selector = selectors.DefaultSelector()
        for sock in self.sockets:
            selector.register(sock, selectors.EVENT_READ)
        readable = {key.fileobj for key, _ in selector.select(timeout=0)}
        selector.close()
        return sum(1 for sock in self.sockets if sock not in readable)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def _delays(url: str) -> list[float]:
    delays = []
    for _ in range(MEASURED_REQUESTS):
        started = time.monotonic()
        response = requests.get(url + "/.well-known/pds-configuration", timeout=10)
        delays.append(time.monotonic() - started)
        assert response.status_code == 200
        time.sleep(0.05)
    return delays


def check_not_starved(url: str, opening: bytes, tail: bytes) -> None:
    port = int(url.rsplit(":", 1)[1])
    drippers = Drippers(port, opening, tail)
    try:
        time.sleep(DRIP_SECONDS * 1.5)  # every slow connection has sent more than its opening
        delays = _delays(url)
        assert drippers.still_open() > SLOW_CLIENTS // 2, "the test must hold its connections"
    finally:
        drippers.close()
    assert max(delays) < MAX_DELAY, f"a legitimate request waited {max(delays):.2f} s"
