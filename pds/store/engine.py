"""Opening the database: SQLite (embedded default) or PostgreSQL (providers), and migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDate(RuntimeError):
    """The database was made by another version of the pod; `pds migrate` brings it forward."""


def open_engine(url: str) -> sa.Engine:
    """An engine configured for durable, serialisable writes on either backend."""
    url_obj = sa.make_url(url)
    if url_obj.get_backend_name() == "sqlite":
        if url_obj.database in (None, "", ":memory:"):
            raise ValueError(
                "SQLite needs a file: WAL and concurrent workers do not work in memory"
            )
        Path(url_obj.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url_obj, pool_pre_ping=False)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if url_obj.get_backend_name() == "postgresql":
        if url_obj.drivername == "postgresql":
            url_obj = url_obj.set(drivername="postgresql+psycopg")
        return sa.create_engine(url_obj, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ValueError(
        f"unsupported database {url_obj.get_backend_name()!r}: use sqlite or postgresql"
    )


def _sqlite_on_connect(dbapi_conn, _record):
    dbapi_conn.isolation_level = None  # no implicit BEGIN from pysqlite; we issue our own
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000", "synchronous=FULL"):
        dbapi_conn.execute(f"PRAGMA {pragma}")


def _sqlite_on_begin(conn):
    # Take the write lock at BEGIN: a deferred read-then-write transaction could otherwise lose
    # an update to a concurrent writer.
    read_only = conn.get_execution_options().get("pds_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the latest). Safe to run repeatedly."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def schema_revision(engine: sa.Engine) -> tuple[str | None, str]:
    """(current revision in the database, latest revision this code knows)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


def require_current_schema(engine: sa.Engine) -> None:
    current, head = schema_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this pod needs {head}: "
            "run `pds migrate`"
        )
