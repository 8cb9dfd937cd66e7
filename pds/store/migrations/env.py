"""Alembic environment: one set of migration scripts for SQLite and PostgreSQL."""

import os

from alembic import context
from sqlalchemy import create_engine, pool


def run(connection):
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if (conn := context.config.attributes.get("connection")) is not None:
    run(conn)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ["PDS_DATABASE_URL"]
    with create_engine(url, poolclass=pool.NullPool).connect() as conn:
        run(conn)
