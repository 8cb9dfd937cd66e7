"""Structured logs (log_format = "json"): one JSON object per line on stderr, for collectors.

Each line has `time` (RFC 3339, UTC), `level`, `logger`, `message`, `pid`, and `request_id`
when it was written while a request was served. Each request adds one line of its own (logger
`pds.access`) with `method`, `route` (the URL rule, such as "/data/<path:path>"), `status` and
`duration_ms`; `path` only when no route matched (a path names the owner's documents, a route
does not).

Never logged: headers (Authorization, Cookie, DPoP...), query strings, bodies, and client
addresses (they identify people, and a pod has nothing to do with them that its rate limits
and the audit log do not already do). An exception is logged as its type and stack, without
its message: messages may quote what a client sent.

The text format (the default) is left as it was: gunicorn's access and error logs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger as GunicornLogger

from pds.server import observed

ACCESS_LOGGER = "pds.access"
_PATH_CHARACTERS = 200  # of an unmatched path: enough to see what was probed
_ACCESS_FIELDS = ("method", "route", "path", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being served (if any) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = observed.request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        for field in _ACCESS_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _message, stack = record.exc_info
            line["exception"] = kind.__qualname__
            line["stack"] = "".join(traceback.format_tb(stack))
        return json.dumps(line)


def json_handler() -> logging.Handler:
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def install(app: Flask, *, access_log: bool) -> None:
    """Request ids for every request of `app`; with `access_log`, one line per request."""
    observed.install(app)
    if access_log:
        observed.observe(app, _log_exchange)


_access = logging.getLogger(ACCESS_LOGGER)


def _log_exchange(exchange: observed.Exchange) -> None:
    path = None
    if exchange.route is None:  # PEP 3333: the environ holds the path's bytes as latin-1
        path = exchange.path.encode("latin-1").decode("utf-8", "replace")[:_PATH_CHARACTERS]
    _access.info(
        "%s %s %d",
        exchange.method,
        exchange.route or path,
        exchange.status,
        extra={
            "method": exchange.method,
            "route": exchange.route,
            "path": path,
            "status": exchange.status,
            "duration_ms": round(exchange.seconds * 1000, 1),
        },
    )


class JsonGunicornLogger(GunicornLogger):
    """gunicorn's logger when log_format is json: its error log and the app's logs as JSON
    lines on stderr. It writes no access log: the app writes one line per request itself
    (`install`), where the route and the request id are known."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        handler = json_handler()
        for logger in (self.error_log, logging.getLogger()):
            for old in list(logger.handlers):
                logger.removeHandler(old)
            logger.addHandler(handler)
        self.error_log.propagate = False
        logging.getLogger().setLevel(self.loglevel)
        # Every request is logged, whatever the level (as gunicorn's access log is).
        _access.setLevel(logging.INFO)
        logging.captureWarnings(True)  # a warning, too, is one JSON line

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None


def gunicorn_settings(log_format: str) -> dict[str, Any]:
    """What gunicorn needs for `log_format`: nothing more for text."""
    if log_format != "json":
        return {}
    return {"logger_class": JsonGunicornLogger, "accesslog": None}
