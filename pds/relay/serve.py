"""Serving the relay with gunicorn, as `pds relay` does (docs/relay.md §12).

As for the pod (pds.server.gunicorn): asyncio workers read whole requests before the app sees
them, so slow clients hold no worker, and the app is built once in the master and forked.
Unlike the pod, the relay waits on other servers (a customer's pod, for offers and polls, up
to 3 s to connect and 5 s to read): so each worker calls the app from a small thread pool,
and one slow pod does not hold up everyone else's requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from pds.relay.protocol import MAX_BODY
from pds.server.buffered import BufferedWSGI, gunicorn_settings

THREADS_PER_WORKER = 8


@dataclasses.dataclass(frozen=True)
class RelaySettings:
    """What `run_relay` needs; the CLI fills it from flags, environment and file."""

    data_dir: Path = Path("relay-data")  # holds relay.sqlite3 when database_url is empty
    database_url: str = ""  # SQLAlchemy URL; empty: SQLite in data_dir
    base_url: str = ""  # public URL; empty: http://<host>:<port>
    host: str = "127.0.0.1"
    port: int = 8100
    workers: int = 2
    allow_private_callbacks: bool = False  # development only: http and private addresses
    trusted_proxies: int = 0  # reverse proxies whose X-Forwarded-For/-Proto to trust
    log_level: str = "INFO"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'relay.sqlite3').resolve()}"

    @property
    def effective_base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (self.base_url or f"http://{host}:{self.port}").rstrip("/")


class ThreadedWSGI(BufferedWSGI):
    """BufferedWSGI, with the app called from a thread pool instead of the event loop."""

    def __init__(self, app: Callable[..., Iterable[bytes]], max_body_bytes: int, threads: int):
        super().__init__(app, max_body_bytes)
        self.threads = threads
        self._pool: ThreadPoolExecutor | None = None  # made in the worker, after the fork

    async def _respond(self, environ: dict[str, Any], send: Callable[..., Awaitable[None]]) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="relay-request")
        environ["wsgi.multithread"] = True
        loop = asyncio.get_running_loop()
        status, headers, body = await loop.run_in_executor(self._pool, _call, self.app, environ)
        await send(
            {
                "type": "http.response.start",
                "status": int(status[:3]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _call(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return _no_write

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], started[1], body


def _no_write(_data: bytes) -> None:
    raise NotImplementedError("the relay's app returns its body, it never calls write()")


class RelayServer(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, settings: RelaySettings):
        self.settings = settings
        self._app: Flask | None = None  # built in load(), in the master
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        for key, value in {
            **gunicorn_settings(
                settings.host,
                settings.port,
                settings.workers,
                settings.log_level,
                settings.trusted_proxies,
            ),
            # No client address, no query: the relay keeps no record of which network
            # announced what or read which part of the feed (docs/relay.md §9).
            "access_log_format": '"%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            # Each worker starts delivering notices as it starts, so those left waiting for a
            # retry when the relay last stopped go out without waiting for a new one.
            "post_fork": self._start_delivery,
        }.items():
            self.cfg.set(key, value)

    def _start_delivery(self, _server: object, _worker: object) -> None:
        if self._app is not None:
            self._app.extensions["pds.relay"].outbox.kick()

    def load(self) -> ThreadedWSGI:
        from pds.relay.app import create_relay_app

        app = create_relay_app(
            self.settings.effective_database_url,
            self.settings.effective_base_url,
            allow_private_callbacks=self.settings.allow_private_callbacks,
            trusted_proxies=self.settings.trusted_proxies,
        )
        app.test_client().get("/.well-known/intent-relay")  # warm what workers will share
        app.extensions["pds.relay"].store.dispose()  # each worker opens its own connections
        self._app = app
        gc.freeze()
        return ThreadedWSGI(app, MAX_BODY, THREADS_PER_WORKER)


def run_relay(settings: RelaySettings) -> None:
    """Serve the relay with gunicorn until stopped (SIGTERM or Ctrl-C)."""
    RelayServer(settings).run()
