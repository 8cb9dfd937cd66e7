"""Every request the app answers, as it ends: its id, route, status and duration.

The access log and the metrics read them here, from one WSGI middleware around the whole app:
it sees every request, also those a request hook answers before any view (a provider's
refusals, a size limit), and it times all of the app's work.

The request id is the client's `X-Request-Id` if that is a sane token, else a new one; it is
echoed in the response's `X-Request-Id` and held in a context variable while the app works, so
every log line of the request can carry it (see pds.server.logs).
"""

from __future__ import annotations

import contextvars
import dataclasses
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ROUTE = "pds.route"  # WSGI environ key: the URL rule the app matched

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pds_request_id", default=None
)


@dataclasses.dataclass(frozen=True)
class Exchange:
    request_id: str
    method: str
    route: str | None  # the app's URL rule ("/data/<path:path>"); None if none matched
    path: str  # as requested, without the query string
    status: int
    seconds: float


Observer = Callable[[Exchange], None]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ObservedRequests:
    """WSGI middleware: a request id for each request, and its `Exchange` to each observer."""

    def __init__(self, app: WSGIApp):
        self.app = app
        self.observers: list[Observer] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        started = time.perf_counter()
        given = environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if _SANE_REQUEST_ID.fullmatch(given) else secrets.token_urlsafe(12)
        statuses: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            statuses.append(status)
            return start_response(status, [*headers, (REQUEST_ID_HEADER, rid)], exc_info)

        token = request_id.set(rid)
        try:
            return self.app(environ, start)
        finally:
            # No status: the app raised past its error handlers, and the server answers 500.
            status = int(statuses[-1][:3]) if statuses else 500
            exchange = Exchange(
                rid,
                environ.get("REQUEST_METHOD", ""),
                environ.get(_ROUTE),
                environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                status,
                time.perf_counter() - started,
            )
            for observer in self.observers:
                observer(exchange)
            request_id.reset(token)


def observe(app: Flask, observer: Observer) -> None:
    """Call `observer` with every request `app` answers, once answered."""
    _middleware(app).observers.append(observer)


def install(app: Flask) -> None:
    """Request ids (and the observers' middleware) for `app`, with no observer yet."""
    _middleware(app)


def _middleware(app: Flask) -> ObservedRequests:
    middleware: ObservedRequests | None = app.extensions.get("pds.observed")
    if middleware is None:
        middleware = ObservedRequests(app.wsgi_app)
        # Flask's documented way to add WSGI middleware; mypy forbids replacing a method.
        app.wsgi_app = middleware  # type: ignore[method-assign]
        app.extensions["pds.observed"] = middleware
        app.after_request(_note_route)
    return middleware


def _note_route(response: Response) -> Response:
    # The request object is gone when the middleware reads the environ: keep the rule there.
    if request.url_rule is not None:
        request.environ[_ROUTE] = request.url_rule.rule
    return response
