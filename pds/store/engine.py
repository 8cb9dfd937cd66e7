"""Opening the database: SQLite (embedded default) or PostgreSQL (providers), and migrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pds.store.tables import metadata

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_HEAD = "0009"
"""The latest migration. Servers compare the database with it without loading Alembic (which
costs each worker ~12 MB); a test checks it against the migration scripts."""


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
        # No pre-ping: it is a round trip on every checkout. A connection dropped by a database
        # restart fails one request, and SQLAlchemy then replaces the whole pool.
        return sa.create_engine(url_obj, pool_size=5, max_overflow=5, pool_recycle=3600)
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
    options = conn.get_execution_options()
    if options.get("pds_read_only", False):
        conn.exec_driver_sql("BEGIN")  # commits nothing: the sync level does not matter
        return
    # FULL fsyncs the WAL at every commit; NORMAL leaves it to the next FULL commit or checkpoint
    # (survives a crash of the process, may lose the last commits if the machine loses power).
    level = "FULL" if options.get("pds_durable", True) else "NORMAL"
    if conn.info.get("pds_synchronous") != level:
        conn.exec_driver_sql(f"PRAGMA synchronous={level}")
        conn.info["pds_synchronous"] = level
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config():
    from alembic.config import Config  # only for migrating: see SCHEMA_HEAD

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the latest revision. Safe to run repeatedly.

    An empty database is made in one step from the tables this code describes and stamped at
    the latest revision, without loading Alembic (a pod's first start is a third faster); any
    other goes through the migration scripts. A test holds the two to the same schema.
    """
    with engine.begin() as conn:
        if not sa.inspect(conn).get_table_names():
            _create_at_head(conn)
            return
    run_migration_scripts(engine)


def run_migration_scripts(engine: sa.Engine, revision: str = "head") -> None:
    """Alembic's upgrade to `revision`, script by script."""
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


# What Alembic itself would create to record the revision (see alembic.runtime.migration).
_ALEMBIC_VERSION = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _create_at_head(conn: sa.Connection) -> None:
    metadata.create_all(conn)
    _ALEMBIC_VERSION.create(conn)
    conn.execute(_ALEMBIC_VERSION.insert().values(version_num=SCHEMA_HEAD))


def schema_revision(engine: sa.Engine) -> tuple[str | None, str]:
    """(current revision in the database, latest revision this code knows)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None, SCHEMA_HEAD
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return current, SCHEMA_HEAD


def migration_head() -> str | None:
    """The head revision according to the migration scripts (Alembic); None if there are none."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def require_current_schema(engine: sa.Engine) -> None:
    current, head = schema_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, this pod needs {head}: "
            "run `pds migrate`"
        )
