"""A raw HTTP/1.1 client: sends exactly the bytes a fuzz example asks for.

`requests` and `http.client` normalise or refuse odd request targets (dot segments, non-ASCII,
control characters) and header values; the fuzzer wants to send them as they are.
"""

from __future__ import annotations

import dataclasses
import http.client
import socket

MAX_SHOWN = 1500


@dataclasses.dataclass
class WireRequest:
    method: str
    target: bytes  # path and query as sent on the request line
    headers: list[tuple[str, bytes]]
    body: bytes = b""
    chunked: bool = False

    def header(self, name: str) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def encode(self, port: int) -> bytes:
        lines = [self.method.encode("latin-1") + b" " + self.target + b" HTTP/1.1"]
        names = {k.lower() for k, _ in self.headers}
        if "host" not in names:
            lines.append(f"Host: 127.0.0.1:{port}".encode())
        for key, value in self.headers:
            lines.append(key.encode("latin-1") + b": " + value)
        if self.chunked:
            lines.append(b"Transfer-Encoding: chunked")
            payload = b""
            for start in range(0, len(self.body), 4096):
                piece = self.body[start : start + 4096]
                payload += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            payload += b"0\r\n\r\n"
        else:
            if self.body or self.method not in ("GET", "HEAD", "DELETE"):
                lines.append(f"Content-Length: {len(self.body)}".encode())
            payload = self.body
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + payload

    def describe(self, port: int) -> str:
        """The request as it went on the wire, long values cut, for failure messages."""
        raw = self.encode(port)
        head, _, body = raw.partition(b"\r\n\r\n")
        shown = [_show(line) for line in head.split(b"\r\n")]
        text = "\n".join(shown)
        if body:
            text += f"\n\n{_show(body)}"
            if len(body) > MAX_SHOWN:
                text += f"\n({len(body)} bytes in all)"
        return text


@dataclasses.dataclass
class WireResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def describe(self) -> str:
        head = "\n".join(f"{k}: {v}" for k, v in self.headers)
        return f"HTTP {self.status}\n{head}\n\n{_show(self.body)}"


def _show(data: bytes) -> str:
    cut = data[:MAX_SHOWN]
    text = repr(cut)[2:-1]
    return text + ("…" if len(data) > MAX_SHOWN else "")


def send(port: int, request: WireRequest, timeout: float = 20.0) -> WireResponse:
    """Send `request` on a fresh connection and read the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request.encode(port))
        response = http.client.HTTPResponse(sock, method=request.method)
        response.begin()
        body = response.read()
        return WireResponse(response.status, list(response.getheaders()), body)
