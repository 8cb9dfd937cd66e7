"""The schema: what the migration scripts make, what the code describes, and what a new
database is made with, are one and the same, on each backend."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from pds.store import migrate
from pds.store.engine import (
    SCHEMA_HEAD,
    migration_head,
    open_engine,
    run_migration_scripts,
    schema_revision,
)
from pds.store.tables import metadata
from tests.conftest import PG_ADMIN_URL


def test_the_servers_schema_head_is_the_last_migration():
    assert migration_head() == SCHEMA_HEAD


def test_a_migrated_store_is_at_the_head_on_each_backend(store):
    assert schema_revision(store.engine) == (SCHEMA_HEAD, SCHEMA_HEAD)


@pytest.fixture
def empty_engine(backend: str, tmp_path) -> Iterator[sa.Engine]:
    """A database with no tables at all, on each backend."""
    if backend == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    name = f"pds_empty_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = open_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _differences(engine: sa.Engine) -> list:
    """What Alembic's autogenerate finds between the database and the code's tables."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_the_migration_scripts_make_exactly_the_tables_the_code_describes(empty_engine):
    run_migration_scripts(empty_engine)

    assert schema_revision(empty_engine) == (SCHEMA_HEAD, SCHEMA_HEAD)
    assert _differences(empty_engine) == []


def test_a_new_database_is_made_at_the_head_and_the_scripts_agree(empty_engine):
    migrate(empty_engine)

    assert schema_revision(empty_engine) == (SCHEMA_HEAD, SCHEMA_HEAD)
    assert _differences(empty_engine) == []
    run_migration_scripts(empty_engine)  # Alembic reads the stamp: nothing left to do
    migrate(empty_engine)  # and so does a second start
    assert schema_revision(empty_engine) == (SCHEMA_HEAD, SCHEMA_HEAD)


def test_a_difference_between_code_and_scripts_would_be_found(empty_engine):
    run_migration_scripts(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_grants_pod_vendor"))

    assert [d[0] for d in _differences(empty_engine)] == ["add_index"]
