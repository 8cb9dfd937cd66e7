"""Fixtures shared by every test layer: databases on both backends, the app, a live server."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
import threading
from collections.abc import Iterator

import argon2
import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from pds.consent import Pod
from pds.server import create_app
from pds.settings import Settings
from pds.store import Store, migrate
from pds.store.tables import pods as pods_table

PG_ADMIN_URL = os.environ.get(
    "PDS_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CHEAP_HASHER = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
PASSWORD = "correct horse battery staple"


def _loopback_only(event: str, args: tuple) -> None:
    """Backstop: no test may reach beyond this machine (rdflib, requests, anything)."""
    if event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode()
        if host in (None, "localhost") or _is_loopback(host):
            return
        raise RuntimeError(f"test tried to resolve {host!r}: network access outside loopback")
    if event == "urllib.Request":
        url = args[0]
        if not url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
            raise RuntimeError(f"test tried to fetch {url!r}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


sys.addaudithook(_loopback_only)


# -- databases ---------------------------------------------------------------------------------


def _postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgresql_url(worker_id: str) -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (or xdist worker)."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI must test it)")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"pds_test_{worker_id}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgresql_store(postgresql_url: str) -> Iterator[Store]:
    store = Store.from_url(postgresql_url)
    migrate(store.engine)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store(backend: str, tmp_path, request) -> Iterator[Store]:
    """A migrated store on each backend. Tests isolate by pod name, so PostgreSQL is shared."""
    if backend == "postgresql":
        yield request.getfixturevalue("postgresql_store")
        return
    store = Store.from_url(f"sqlite:///{tmp_path / 'pds.sqlite3'}")
    migrate(store.engine)
    yield store
    store.dispose()


@pytest.fixture
def pod_name() -> str:
    return f"pod-{secrets.token_hex(6)}"


# -- the app and a live server -----------------------------------------------------------------


def free_base_url(store: Store, url: str) -> None:
    """Pods of earlier tests share the PostgreSQL database and may have had this port: base
    URLs are unique, so move theirs out of the way."""
    with store.begin() as conn:
        conn.execute(
            sa.update(pods_table)
            .where(pods_table.c.base_url == url)
            .values(base_url=pods_table.c.base_url + "/stale-" + pods_table.c.id)
        )


class LiveServer:
    """The real app behind werkzeug's threaded server on 127.0.0.1, on a free port."""

    def __init__(self, store: Store, settings: Settings):
        self._forward = None
        self.store = store  # for tests that check what is stored, byte for byte
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = Settings(**{**settings.__dict__, "base_url": self.url, "port": self.port})
        free_base_url(store, self.url)
        self.app = create_app(self.settings, store=store, password_hasher=CHEAP_HASHER)
        self._forward = self.app.wsgi_app
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def _dispatch(self, environ, start_response):
        return self._forward(environ, start_response)

    @property
    def pod(self) -> Pod:
        """The pod the app serves: the same use cases the pages and APIs call."""
        return self.app.extensions["pds.pod"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        # Its notification thread must not outlive the test's database (dropped at session end).
        pod = self.app.extensions.get("pds.pod")
        if pod is not None:
            pod.ctx.outbox.deliverer.stop()


@pytest.fixture
def settings(tmp_path, pod_name: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", pod=pod_name, secret_key=secrets.token_hex(16))


@pytest.fixture
def server(store: Store, settings: Settings) -> Iterator[LiveServer]:
    live = LiveServer(store, settings)
    yield live
    live.stop()


@pytest.fixture
def anonymous(server: LiveServer) -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "pds-tests"
    return session


def claim(server: LiveServer, password: str = PASSWORD) -> None:
    code = server.pod.account.issue_setup_code()
    response = requests.post(
        f"{server.url}/owner/claim", json={"setup_code": code, "password": password}, timeout=10
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def owner_token(server: LiveServer) -> str:
    claim(server)
    response = requests.post(
        f"{server.url}/owner/tokens", json={"name": "tests"}, auth=("owner", PASSWORD), timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


@pytest.fixture
def owner(server: LiveServer, owner_token: str) -> requests.Session:
    """A session authenticated as the pod's owner with an API token."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {owner_token}"
    return session


@pytest.fixture
def loopback_relay(tmp_path):
    """A real intent relay on loopback, on the real time, that forwards to pods on this machine
    (pods that announce to it must allow private callbacks)."""
    from tests.relay.relay_setup import LiveRelay, RealTime  # only the tests that use a relay

    live = LiveRelay(f"sqlite:///{tmp_path / 'relay.sqlite3'}", RealTime(), allow_private=True)
    yield live
    live.stop()
