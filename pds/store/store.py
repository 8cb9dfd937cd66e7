"""The handle the rest of the pod holds on its database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa

from pds.store.engine import open_engine


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """One database (SQLite file or PostgreSQL), shared by every pod it holds."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._quick_engine: sa.Engine | None = None

    def _quick(self) -> sa.Engine:
        """PostgreSQL connections whose commits do not wait for the WAL to reach the disk."""
        if self._quick_engine is None:
            self._quick_engine = sa.create_engine(
                self.engine.url,
                pool_size=5,
                max_overflow=5,
                pool_recycle=3600,
                connect_args={"options": "-c synchronous_commit=off"},
            )
        return self._quick_engine

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(open_engine(url))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def begin(self, *, durable: bool = True) -> Iterator[sa.Connection]:
        """A transaction: committed when the block ends, rolled back if it raises.

        `durable=False` is for records that may be lost with the last moments before a power
        failure (replay records and audit events of reads): their commit does not wait for
        the disk. Data, grants and decisions are always durable.
        """
        engine = self._quick() if not durable and self.backend == "postgresql" else self.engine
        with engine.connect() as conn:
            conn.execution_options(pds_durable=durable)  # SQLite: see engine._sqlite_on_begin
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(pds_read_only=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()
        if self._quick_engine is not None:
            self._quick_engine.dispose()
