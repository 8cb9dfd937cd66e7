"""Throwaway databases with no tables at all, for the tests that make a schema themselves."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL


@contextlib.contextmanager
def new_postgresql_database(prefix: str = "pds_fresh") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards whatever holds it."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
