"""The intent relay's Flask application factory (docs/relay.md).

The relay is its own small server: its own database and tables, its own signing key, no
state shared with any pod. Every error becomes an RFC 9457 problem here, and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix

from pds.relay import api, keys
from pds.relay.errors import RelayError
from pds.relay.limits import RelayLimits
from pds.relay.service import Relay
from pds.relay.store import RelayStore

PROBLEM_TYPES = "https://w3id.org/vrm-pod/problems#"
PROBLEM_JSON = "application/problem+json"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_relay_app(
    store_url: str,
    base_url: str,
    *,
    allow_private_callbacks: bool = False,
    clock: Callable[[], dt.datetime] = utcnow,
    limits: RelayLimits | None = None,
    trusted_proxies: int = 0,
) -> Flask:
    """Build the relay at public URL `base_url`, keeping its state in `store_url` (a SQLAlchemy
    URL: `sqlite:////path/relay.sqlite3`, or `postgresql+psycopg://...` for an operator).

    The tables and the signing key are made on first start. `allow_private_callbacks` lets
    pods' forwarding addresses and vendors' callbacks be http and private or loopback
    addresses: for development only. `trusted_proxies`: how many reverse proxies in front
    of the relay set X-Forwarded-For (the relay counts requests per network).

    >>> app = create_relay_app("sqlite:///relay.sqlite3", "https://relay.example")  # doctest: +SKIP
    """
    base_url = base_url.rstrip("/")
    store = RelayStore(store_url)
    store.create()
    relay = Relay(
        store,
        base_url,
        keys.load_or_make(store, clock()),
        clock,
        limits=limits or RelayLimits(),
        allow_private=allow_private_callbacks,
    )

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=None, JSON_SORT_KEYS=False)
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    if trusted_proxies:
        # Flask's documented way to add WSGI middleware; mypy forbids replacing a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies
        )
    app.extensions["pds.relay"] = relay
    app.register_blueprint(api.bp)
    _register_problems(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def problem(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"type": PROBLEM_TYPES + slug, "title": title, "status": status, "detail": detail}
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_problems(app: Flask) -> None:
    @app.errorhandler(RelayError)
    def _relay_error(error: RelayError) -> Response:
        return problem(error.status, error.slug, error.title, str(error), error.headers)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        slug = (error.name or "error").lower().replace(" ", "-")
        response = problem(error.code or 500, slug, error.name, error.description or "")
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(
            500,
            "internal-error",
            "Internal server error",
            "the relay failed to handle this request; the error is logged",
        )
