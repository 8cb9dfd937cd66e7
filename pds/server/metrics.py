"""Prometheus metrics of the pod's server, at /metrics (text exposition format).

- `pds_http_requests_total`, `pds_http_request_duration_seconds`: by route (the URL rule, never
  the path: a bounded set), method and status class ("2xx").
- `pds_grants_issued_total` by how (`via`: request, offer, share) and
  `pds_grants_revoked_total` by whom (`by`: owner, vendor), counted once the use case is done.
- `pds_refusals_total` by reason: the problem type a 4xx answer named.
- `pds_notifications_queued`, `pds_notifications_failed`: the outbox of every pod, read from
  the database when scraped.

/metrics is operational data: it answers loopback clients (not a request a proxy forwarded),
and others with the admin token (`admin_token`) as a Bearer token.

Under `pds serve` each worker process counts in files of a directory the server shares (see
pds.server.metrics_dir), and /metrics sums them all; an app on its own counts in memory.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, has_app_context, request
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from werkzeug.exceptions import Forbidden

from pds.consent import InvalidCredentials, NotAuthenticated
from pds.consent.health import DatabaseHealth
from pds.server import observed
from pds.server.metrics_dir import ENV as MULTIPROCESS_DIR
from pds.settings import Settings

bp = Blueprint("metrics", __name__)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_ROUTE = "(none)"  # requests that matched no route: 404s, mostly
# Seconds. The pod answers most requests in milliseconds; argon2 checks take a tenth of one.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class OutboxCollector(Collector):
    """The notification outbox, read from the database at each scrape."""

    def __init__(self, database: DatabaseHealth):
        self.database = database

    def collect(self) -> Iterator[Metric]:
        backlog = self.database.notification_backlog()
        if backlog is None:  # the database does not answer: /readyz says so, and the gauges
            return  # are absent rather than wrong
        yield GaugeMetricFamily(
            "pds_notifications_queued",
            "Notifications to vendors waiting to be delivered or retried, of every pod.",
            value=backlog.queued,
        )
        yield GaugeMetricFamily(
            "pds_notifications_failed",
            "Notifications to vendors given up after their last retry, of every pod.",
            value=backlog.failed,
        )


class PodMetrics:
    """The metrics of one app."""

    def __init__(self, database: DatabaseHealth):
        self.registry = CollectorRegistry()
        request_labels = ("route", "method", "status")
        self.requests = Counter(
            "pds_http_requests",
            "Requests answered, by route, method and status class.",
            request_labels,
            registry=self.registry,
        )
        self.durations = Histogram(
            "pds_http_request_duration_seconds",
            "Time the app took to answer, by route, method and status class.",
            request_labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.grants_issued = Counter(
            "pds_grants_issued",
            "Grants the owner gave, by how: an access request, an offer, a share of records.",
            ("via",),
            registry=self.registry,
        )
        self.grants_revoked = Counter(
            "pds_grants_revoked",
            "Grants ended before their time, by whom: the owner, or the vendor giving it back.",
            ("by",),
            registry=self.registry,
        )
        self.refusals = Counter(
            "pds_refusals",
            "Requests refused (4xx), by the problem type's name.",
            ("reason",),
            registry=self.registry,
        )
        self.outbox = OutboxCollector(database)
        self.registry.register(self.outbox)

    def count(self, exchange: observed.Exchange) -> None:
        method = exchange.method if exchange.method in METHODS else "other"
        labels = (exchange.route or NO_ROUTE, method, f"{exchange.status // 100}xx")
        self.requests.labels(*labels).inc()
        self.durations.labels(*labels).observe(exchange.seconds)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics as the scraper asked for them (`accept`), and their media type."""
        registry = self.registry
        directory = os.environ.get(MULTIPROCESS_DIR)
        if directory:  # every worker's counts, from their files
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, directory)
            registry.register(self.outbox)
        encode, media_type = choose_encoder(accept)
        return encode(registry), media_type


def install(app: Flask, settings: Settings, database: DatabaseHealth) -> None:
    metrics = PodMetrics(database)
    app.extensions["pds.metrics"] = metrics
    app.extensions["pds.admin_token"] = settings.admin_token
    app.extensions["pds.trusted_proxies"] = settings.trusted_proxies
    observed.observe(app, metrics.count)
    app.register_blueprint(bp)


@bp.get("/metrics")
def scrape():
    _require_operator()
    body, media_type = _metrics().exposition(request.headers.get("Accept", ""))
    return Response(body, content_type=media_type, headers={"Cache-Control": "no-store"})


def _require_operator() -> None:
    """Loopback clients, or the admin token; anyone else is refused."""
    if _from_loopback():
        return
    token: str = current_app.extensions["pds.admin_token"]
    if not token:
        raise Forbidden("metrics are served to loopback clients only (set admin_token for others)")
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if not header:
        raise NotAuthenticated("metrics need the admin token as 'Authorization: Bearer ...'")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    ):
        raise InvalidCredentials("this is not the admin token")


def _from_loopback() -> bool:
    # Forwarded by a proxy this pod was not told to trust (trusted_proxies): a proxy on this
    # machine makes every client look local, so such a request is not taken for one.
    if not current_app.extensions["pds.trusted_proxies"] and (
        "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    ):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:  # a Unix socket, or no address at all
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _metrics() -> PodMetrics:
    metrics: PodMetrics = current_app.extensions["pds.metrics"]
    return metrics


# -- what the routes and the problem renderer count ------------------------------------------


def grant_issued(via: str) -> None:
    """A grant was made (via "request", "offer" or "share"): call once the use case returned."""
    _metrics().grants_issued.labels(via).inc()


def grant_revoked(by: str) -> None:
    """A grant was ended now (by "owner" or "vendor"): not one that had already ended."""
    _metrics().grants_revoked.labels(by).inc()


def problem(status: int, slug: str) -> None:
    """A problem answer was made: a 4xx counts as a refusal, by its type."""
    if 400 <= status < 500 and has_app_context():
        metrics: PodMetrics | None = current_app.extensions.get("pds.metrics")
        if metrics is not None:
            metrics.refusals.labels(slug).inc()
