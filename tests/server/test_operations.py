"""What the operator of a pod's server sees: /healthz, /readyz, /metrics and request ids, on a
live server on both backends.

Tests that ask for `database` get one of their own: the notification gauges count every pod of
a database, and the readiness tests break theirs on purpose.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from pds.store import Store, migrate
from pds.store.engine import SCHEMA_HEAD
from pds.store.tables import notifications
from tests.conftest import PG_ADMIN_URL, LiveServer
from tests.relay.relay_setup import Receiver
from tests.server.records_setup import known
from tests.server.vendor_setup import EMAIL, granted, new_vendor
from vendor_client import AccessDenied, GrantRevoked

PROBLEMS = "https://w3id.org/vrm-pod/problems#"
ADMIN_TOKEN = "admin-" + "x" * 40
PROFILE_EMAIL = [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}]


@dataclasses.dataclass(frozen=True)
class Database:
    store: Store
    address: tuple[str, ...]  # what names it: no answer of the pod may show any of it


@pytest.fixture
def database(backend: str, tmp_path, request) -> Iterator[Database]:
    if backend == "sqlite":
        path = tmp_path / "own.sqlite3"
        store = Store.from_url(f"sqlite:///{path}")
        migrate(store.engine)
        yield Database(store, (str(path), str(tmp_path)))
        store.dispose()
        return
    request.getfixturevalue("postgresql_url")  # skips when PostgreSQL is not running
    name = f"pds_ops_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    store = Store.from_url(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        migrate(store.engine)
        yield Database(store, (name, "127.0.0.1", "5432", "postgres@"))
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(store: Store, request) -> Store:
    """The shared store, or for a test that asks for `database`, that one."""
    if "database" in request.fixturenames:
        return request.getfixturevalue("database").store
    return store


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, allow_private_callbacks=True)  # vendors on loopback


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def scrape(server) -> dict[tuple[str, frozenset], float]:
    """Every sample /metrics shows, by name and labels."""
    response = get(f"{server.url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_to(samples: dict, route: str, method: str = "GET", status: str = "2xx") -> float:
    return value(samples, "pds_http_requests_total", route=route, method=method, status=status)


# -- liveness and readiness ------------------------------------------------------------------


def test_healthz_answers_ok_to_anyone_with_no_session_and_nothing_cached(server):
    response = get(f"{server.url}/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_when_the_database_answers_at_the_schema_this_code_needs(server):
    response = get(f"{server.url}/readyz")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_refuses_while_the_database_schema_is_at_another_revision(server, database):
    with database.store.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))

    response = get(f"{server.url}/readyz")

    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Cache-Control"] == "no-store"
    problem = response.json()
    assert problem["type"] == PROBLEMS + "not-ready"
    assert problem["checks"]["database"] == "ok"
    assert f"at 0001, this server needs {SCHEMA_HEAD}" in problem["checks"]["schema"]
    assert "pds migrate" in problem["detail"]
    assert not [part for part in database.address if part in response.text]
    assert get(f"{server.url}/healthz").status_code == 200, "the process itself is alive"

    with database.store.begin() as conn:
        conn.execute(
            sa.text("UPDATE alembic_version SET version_num = :head"), {"head": SCHEMA_HEAD}
        )
    assert get(f"{server.url}/readyz").status_code == 200, "ready again once migrated"


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgresql)])
def test_readyz_says_the_database_does_not_answer_once_it_is_gone_without_naming_it(
    server, database
):
    name = database.store.engine.url.database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()

    for _ in range(2):  # the pooled connection the drop cut, then a new one it cannot open
        response = get(f"{server.url}/readyz")
        assert response.status_code == 503
        problem = response.json()
        assert problem["type"] == PROBLEMS + "not-ready"
        assert problem["checks"]["database"] == "the database does not answer"
        assert problem["checks"]["schema"].startswith("not checked")
        assert not [part for part in database.address if part in response.text]
    assert get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_probes_answer_in_provider_mode_at_any_host_before_any_pod_is_looked_up(store, settings):
    live = LiveServer(store, dataclasses.replace(settings, provider_url="http://{pod}.pods.test"))
    try:
        for host in ("pods.test", "no-such-pod.pods.test", "elsewhere.example"):
            assert get(f"{live.url}/healthz", headers={"Host": host}).json() == {"status": "ok"}
            ready = get(f"{live.url}/readyz", headers={"Host": host})
            assert ready.status_code == 200, ready.text
            assert get(f"{live.url}/owner", headers={"Host": host}).status_code == 404, "no pod"
    finally:
        live.stop()


# -- metrics -----------------------------------------------------------------------------------


@pytest.fixture
def failing_callback() -> Iterator[Receiver]:
    """A vendor's callback that answers 503: what the pod tells it stays queued."""
    receiver = Receiver()
    receiver.answer = 503
    yield receiver
    receiver.stop()


def test_metrics_count_requests_by_route_grants_refusals_and_the_notification_queue(
    database, server, owner, customer_data, failing_callback
):
    shop = known(server, owner, "Example Shop", PROFILE_EMAIL, callback=failing_callback.callback)
    shop.client.read("/profile", shop.grant)
    with pytest.raises(AccessDenied):
        shop.client.read("/preferences", shop.grant)  # outside the grant
    revoke = f"{server.url}/owner/grants/{shop.grant.id}/revoke"
    assert owner.post(revoke).status_code == 200
    assert owner.post(revoke).status_code == 200, "revoking again is harmless, and counts not"
    with pytest.raises(GrantRevoked):
        shop.client.read("/profile", shop.grant)
    returner = granted(server, owner, new_vendor(server), PROFILE_EMAIL)
    returner.client.give_back(returner.grant)
    for _ in range(3):
        get(f"{server.url}/healthz")
    assert len(failing_callback.wait_for(1)) == 1, "the pod tried to tell the shop, and failed"

    samples = scrape(server)

    assert requests_to(samples, "/healthz") == 3
    assert requests_to(samples, "/owner/grants/<grant_id>/revoke", "POST") == 2
    assert requests_to(samples, "/data/<anypath:_subpath>", "GET", "4xx") == 2
    histogram = "pds_http_request_duration_seconds_count"
    assert value(samples, histogram, route="/healthz", method="GET", status="2xx") == 3
    routes = {dict(labels).get("route") for _name, labels in samples} - {None}
    assert not [r for r in routes if shop.grant.id in r or "/profile" in r], "paths, not rules"
    assert value(samples, "pds_grants_issued_total", via="request") == 2
    assert value(samples, "pds_grants_revoked_total", by="owner") == 1
    assert value(samples, "pds_grants_revoked_total", by="vendor") == 1
    assert value(samples, "pds_refusals_total", reason="insufficient-scope") == 1
    assert value(samples, "pds_refusals_total", reason="grant-revoked") == 1
    assert value(samples, "pds_notifications_queued") == 1
    assert value(samples, "pds_notifications_failed") == 0

    # The outbox gives up after its last retry, hours later: here, at once.
    with database.store.begin() as conn:
        conn.execute(sa.update(notifications).values(failed_at=dt.datetime.now(dt.UTC)))
    samples = scrape(server)
    assert value(samples, "pds_notifications_queued") == 0
    assert value(samples, "pds_notifications_failed") == 1


def test_metrics_are_refused_to_a_remote_client_without_the_admin_token(store, settings):
    # Behind one trusted proxy, the client is the one its X-Forwarded-For names.
    live = LiveServer(
        store, dataclasses.replace(settings, trusted_proxies=1, admin_token=ADMIN_TOKEN)
    )
    try:
        url, remote = f"{live.url}/metrics", {"X-Forwarded-For": "203.0.113.7"}
        get(f"{live.url}/healthz")
        for headers in ({}, {"Authorization": "Bearer " + "y" * 46}):
            refused = get(url, headers={**remote, **headers})
            assert refused.status_code == 401, refused.text
            assert refused.headers["Content-Type"] == "application/problem+json"
            assert "pds_http_requests_total" not in refused.text
        allowed = get(url, headers={**remote, "Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert allowed.status_code == 200
        assert 'pds_http_requests_total{method="GET",route="/healthz",status="2xx"} 1.0' in (
            allowed.text
        )
        assert get(url).status_code == 200, "the proxy's own (loopback) request needs no token"
    finally:
        live.stop()


def test_metrics_are_refused_to_a_request_an_untrusted_proxy_forwarded(server):
    # A proxy on this machine makes every client look local: without trusted_proxies, a
    # forwarded request is not taken for a local one, whatever it says.
    refused = get(f"{server.url}/metrics", headers={"X-Forwarded-For": "127.0.0.1"})

    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEMS + "forbidden"
    assert "admin_token" in refused.json()["detail"]


# -- request ids -------------------------------------------------------------------------------


def test_a_fit_request_id_is_echoed_and_any_other_replaced_by_a_new_one(server):
    mine = "trace-42.a_B"
    echoed = get(f"{server.url}/healthz", headers={"X-Request-Id": mine})
    assert echoed.headers["X-Request-Id"] == mine

    given = {"with spaces", "x" * 65, "semi;colon", ""}
    answered = {
        get(f"{server.url}/nowhere", headers={"X-Request-Id": g}).headers["X-Request-Id"]
        for g in given
    }
    assert not answered & given
    assert len(answered) == len(given), "a new id for each request"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", a) for a in answered)
