"""Provider mode: one server for every pod of the database, each at its own URL.

`PodRouter` (WSGI) finds the pod a request is for, by host name (`alice.pods.example`) or by
path prefix (`pods.example/alice/...`, moved into SCRIPT_NAME so that the app's routes and the
links it makes are those of a single pod). `install` then opens that pod for the request,
refuses suspended or unknown pods, and holds each pod to its request rate.
"""

from __future__ import annotations

import collections
import threading
import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from pds.consent import PodNotFound, PodSuspended, Provider
from pds.server.problems import problem_response

POD_NAME = "pds.pod_name"  # the WSGI environ key PodRouter sets
# What a provider's server answers itself, with no pod: health, metrics, the admin API.
PROVIDER_BLUEPRINTS = frozenset({"health", "metrics", "admin"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _netloc(host: str, scheme: str) -> str:
    host = host.strip().lower().rstrip(".")
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    return name if port in ("", _DEFAULT_PORTS.get(scheme)) else host


class PodRouter:
    def __init__(self, app, template: str):
        self.app = app
        parts = urlsplit(template)
        self.scheme = parts.scheme
        netloc = parts.netloc.lower()
        if netloc.startswith("{pod}."):  # host form: {pod}.pods.example[:port]
            self.host_suffix: str | None = _netloc(netloc[len("{pod}") :], parts.scheme)
            self.host = _netloc(netloc[len("{pod}.") :], parts.scheme)
            self.prefix = ""
        else:  # path form: pods.example[:port]/some/prefix/{pod}
            self.host_suffix = None
            self.host = _netloc(netloc, parts.scheme)
            self.prefix = parts.path[: -len("/{pod}")]

    def __call__(self, environ, start_response):
        environ[POD_NAME] = self.pod_name(environ)
        return self.app(environ, start_response)

    def pod_name(self, environ) -> str | None:
        """The pod's name, or None for a request to the provider itself."""
        scheme = environ.get("wsgi.url_scheme", "http")
        host = _netloc(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""), scheme)
        if self.host_suffix is not None:
            name, dot, rest = host.partition(".")
            return name if dot and "." + rest == self.host_suffix else None
        if host != self.host:
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.prefix + "/"):
            return None
        name, slash, rest = path[len(self.prefix) + 1 :].partition("/")
        if not name:
            return None
        if name in _PROVIDER_PATHS:
            return None
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"{self.prefix}/{name}"
        environ["PATH_INFO"] = slash + rest
        return name


# In the path form, these first segments are the provider's own (pods cannot take the names).
_PROVIDER_PATHS = frozenset({"admin", "healthz", "readyz", "metrics"})


class RateLimits:
    """Requests each pod may have answered per minute by this process: a token bucket per pod."""

    def __init__(self, per_minute: int, remembered: int = 10_000):
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.remembered = remembered
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def take(self, name: str) -> float:
        """0 if the request may go on, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.pop(name, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[name] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self.remembered:
                self._buckets.popitem(last=False)
        return wait


def install(app: Flask, provider: Provider, template: str, requests_per_minute: int) -> None:
    """Serve `provider`'s pods from `app` (before any other request hook is registered)."""
    app.extensions["pds.provider"] = provider
    app.wsgi_app = PodRouter(app.wsgi_app, template)  # type: ignore[method-assign]
    limits = RateLimits(requests_per_minute) if requests_per_minute else None

    @app.before_request
    def _open_the_pod() -> Response | None:
        name = request.environ.get(POD_NAME)
        if request.blueprint in PROVIDER_BLUEPRINTS:
            return None
        if name is None:
            return _refusal(404, "pod-not-found", "No pod here", "there is no pod at this address")
        try:
            g.pod = provider.pod(name)
        except PodNotFound as exc:
            return _refusal(404, "pod-not-found", "No pod here", str(exc))
        except PodSuspended as exc:
            return _refusal(403, "pod-suspended", "Pod suspended", str(exc))
        if limits is not None:
            wait = limits.take(name)
            if wait:
                return _refusal(
                    429,
                    "rate-limited",
                    "Too many requests",
                    "this pod has answered too many requests this minute: try again shortly",
                    {"Retry-After": str(int(wait) + 1)},
                )
        return None


def _refusal(
    status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    if request.accept_mimetypes.accept_html and not request.accept_mimetypes.accept_json:
        # A person at the page: words, not JSON.
        page = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>{t}</title>"
            "<h1>{t}</h1><p>{d}.</p></html>"
        )
        from markupsafe import escape

        response = Response(
            page.format(t=escape(title), d=escape(detail[:1].upper() + detail[1:])),
            status=status,
            mimetype="text/html",
        )
        response.headers.update(headers or {})
        return response
    return problem_response(status, slug, title, detail, headers)


def current_provider() -> Provider | None:
    provider: Provider | None = current_app.extensions.get("pds.provider")
    return provider
