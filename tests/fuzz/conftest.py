"""Fixtures of the fuzz tests: one live server and world per backend and test module."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Iterator

import pytest

from pds.settings import Settings
from pds.store import Store, migrate
from tests.fuzz.world import ServerErrors, World

# Small enough that an over-limit body costs nothing to send (the limit is a pod setting).
MAX_BODY_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def server_errors() -> Iterator[ServerErrors]:
    """Whatever the in-process server logs at ERROR, tracebacks of 500s included."""
    handler = ServerErrors()
    root, requests_log = logging.getLogger(), logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)  # one line per request is noise in a failure
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    requests_log.setLevel(level)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def world(request, tmp_path_factory, server_errors) -> Iterator[World]:
    backend = request.param
    data_dir = tmp_path_factory.mktemp(f"fuzz-{backend}")
    if backend == "postgresql":
        store = request.getfixturevalue("postgresql_store")
    else:
        store = Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")
        migrate(store.engine)
    settings = dataclasses.replace(
        Settings(
            data_dir=data_dir / "data",
            pod=f"fuzz-{secrets.token_hex(6)}",
            secret_key=secrets.token_hex(16),
        ),
        max_body_bytes=MAX_BODY_BYTES,
    )
    made = World(backend, store, settings, server_errors)
    yield made
    made.stop()
    if backend == "sqlite":
        store.dispose()
