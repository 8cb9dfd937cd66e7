"""The pod's WSGI app behind an asyncio front that reads whole requests first.

A sync worker reads a request while it serves it: a client that sends half a header, then a
byte every few seconds, holds the worker (and the pod has two) for as long as it likes. Here
gunicorn's asyncio worker reads every connection at once, and the app is called only when a
request has fully arrived, headers and body (up to the pod's body limit). Responses go out
through the event loop's buffers, so a slow reader does not hold the app either.

The app is still called on the event loop's thread, one request at a time per process, as a
sync worker would: rdflib's SPARQL parser is not thread-safe, and a request that takes the
database's time takes it from no other request than in the sync model.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from a2wsgi.wsgi import build_environ

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BufferedWSGI:
    """An ASGI app that buffers each request, then calls `app` (WSGI) with all of it."""

    def __init__(self, app: WSGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: the pod speaks none
            return
        read = await self._read_body(receive)
        if read is None:  # the client left before its request was whole: nothing to serve
            return
        body, length = read
        environ: dict[str, Any] = dict(build_environ(scope, io.BytesIO(body)))  # type: ignore[arg-type]
        # The request target as the client sent it: DPoP's htu is compared with it (§7.3).
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        environ["RAW_URI"] = (raw_path + (b"?" + query if query else b"")).decode("latin-1")
        environ["wsgi.errors"] = sys.stderr
        environ["wsgi.multithread"] = False
        if length is not None:  # a body over the limit: the app answers 413 from its length
            environ["CONTENT_LENGTH"] = str(length)
        await self._respond(environ, send)

    async def _read_body(self, receive: Callable) -> tuple[bytes, int | None] | None:
        """The whole body, or none and a length over the limit; None if the client left."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", size  # read no further: the app refuses it unread
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), None

    async def _respond(self, environ: dict[str, Any], send: Callable) -> None:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return _no_write

        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        await send(
            {
                "type": "http.response.start",
                "status": int(status[:3]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})


def gunicorn_settings(
    host: str, port: int, workers: int, log_level: str, trusted_proxies: int
) -> dict[str, Any]:
    """gunicorn's settings for a server of this kind (the pod, a relay): asyncio workers that
    hand the app whole requests, the app built once in the master, no control socket."""
    bind_host = f"[{host}]" if ":" in host else host
    return {
        "bind": f"{bind_host}:{port}",
        "workers": workers,
        # asyncio workers read every connection at once and call the app only with a whole
        # request (see BufferedWSGI): slow clients cannot hold a worker.
        "worker_class": "asgi",
        "preload_app": True,
        # No control socket: nothing here needs one, and gunicorn's default path is shared by
        # every server of the user (~/.gunicorn/gunicorn.ctl), in the image the data volume.
        "control_socket_disable": True,
        "timeout": 60,
        "graceful_timeout": 8,  # under docker stop's default 10 s
        "loglevel": log_level.lower(),
        "accesslog": "-",
        "forwarded_allow_ips": "*" if trusted_proxies else "127.0.0.1",
    }


def _no_write(_data: bytes) -> None:
    raise NotImplementedError("the pod's app returns its body, it never calls write()")


async def _lifespan(receive: Callable, send: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
