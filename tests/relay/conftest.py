"""Fixtures of the relay tests: a relay on loopback on each backend, a fake pod, a vendor's
callback receiver. Every server here listens on 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from pds.relay import tables as relay_tables
from tests.relay.relay_setup import Clock, FakePod, LiveRelay, Receiver


@pytest.fixture
def relay_store_url(backend: str, tmp_path, request) -> str:
    """A database of the relay's own, empty: a file, or the session's PostgreSQL database
    with the relay's tables dropped first."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'relay.sqlite3'}"
    url = request.getfixturevalue("postgresql_url")
    engine = sa.create_engine(url)
    try:
        relay_tables.metadata.drop_all(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def relay(relay_store_url: str, clock: Clock) -> Iterator[LiveRelay]:
    """A development relay: pods and vendors on this machine (private addresses allowed)."""
    live = LiveRelay(relay_store_url, clock, allow_private=True)
    yield live
    live.stop()


@pytest.fixture
def pod() -> Iterator[FakePod]:
    fake = FakePod()
    yield fake
    fake.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver()
    yield live
    live.stop()
