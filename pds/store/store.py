"""The handle the rest of the pod holds on its database."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import PoolProxiedConnection

from pds.store.engine import open_engine


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WriteLock:
    """Writers to one SQLite file take turns here before `BEGIN IMMEDIATE`.

    SQLite makes a second writer sleep and retry (1, 2, 5, 10... ms), which under load costs far
    more than the transaction it waits for; a lock on a file beside the database blocks in the
    kernel and wakes the next writer at once, across processes. Other programs that skip it
    (sqlite3, an old `pds`) are still kept out by SQLite's own lock: this only orders turns.
    """

    def __init__(self, path: Path):
        self.path = path
        self._threads = threading.RLock()  # flock is per open file: threads need their own turn
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0  # guarded by _threads: a nested turn must not unlock the outer one

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            fd = self._file()
            if self._depth == 0:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


class Store:
    """One database (SQLite file or PostgreSQL), shared by every pod it holds."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._quick_engine: sa.Engine | None = None
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._write_lock = WriteLock(Path(f"{database}-writelock")) if database else None

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
        with self._turn(), engine.connect() as conn:
            conn.execution_options(pds_durable=durable)  # SQLite: see engine._sqlite_on_begin
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def access_records(self) -> Iterator[sa.Connection]:
        """Where a vendor request's records are written, as cheaply as each backend allows.

        PostgreSQL: autocommit, so a single statement is a single round trip (and atomic by
        itself); several statements each commit on their own. SQLite: one non-durable
        transaction. Either way, nothing waits for the disk (see `begin(durable=False)`).
        """
        if self.backend != "postgresql":
            with self.begin(durable=False) as conn:
                yield conn
            return
        with self._quick().connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    @contextlib.contextmanager
    def raw_write(self) -> Iterator[Any]:
        """SQLite only: a driver cursor in a non-durable write transaction (for the hot path).

        The same turn-taking and sync level as `begin(durable=False)`, without SQLAlchemy. Only
        the transaction itself takes the turn: the other writers wait for nothing else.
        """
        pooled = self.engine.raw_connection()
        try:
            connection = _driver(pooled)
            if pooled.info.get("pds_synchronous") != "NORMAL":
                connection.execute("PRAGMA synchronous=NORMAL")
                pooled.info["pds_synchronous"] = "NORMAL"
            cursor = connection.cursor()
            with self._turn():
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
        finally:
            pooled.close()

    @contextlib.contextmanager
    def raw_autocommit(self) -> Iterator[Any]:
        """PostgreSQL only: a driver cursor whose statements each commit on their own, without
        waiting for the disk: one round trip per statement (for the hot path)."""
        pooled = self._quick().raw_connection()
        connection = _driver(pooled)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                yield cursor
        finally:
            if connection.closed:  # the server went away: let the pool open a new one
                pooled.invalidate()
            else:
                connection.autocommit = False  # the pool hands it to SQLAlchemy next
            pooled.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction: on SQLite it does not take the write lock."""
        with self.engine.connect() as conn:
            conn.execution_options(pds_read_only=True)
            with conn.begin():
                yield conn

    def _turn(self) -> contextlib.AbstractContextManager[None]:
        return self._write_lock.held() if self._write_lock else contextlib.nullcontext()

    def dispose(self) -> None:
        self.engine.dispose()
        if self._quick_engine is not None:
            self._quick_engine.dispose()


def _driver(pooled: PoolProxiedConnection) -> Any:
    """The driver's own connection (sqlite3 or psycopg) behind a pooled one."""
    connection = pooled.driver_connection
    if connection is None:  # only after the pool invalidated it
        raise RuntimeError("the pooled connection was closed")
    return connection
