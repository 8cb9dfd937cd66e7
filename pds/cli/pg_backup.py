"""The PostgreSQL half of `pds backup` and `pds restore`: pg_dump and pg_restore, run with the
database's credentials in libpq's environment (never on a command line), one snapshot out and
one transaction in."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import click

from pds.cli.backup import Contents, check_known, contents_of
from pds.cli.pods import cannot_open, store_of
from pds.settings import Settings, redacted_url


def backup(settings: Settings, partial: Path) -> Contents:
    import sqlalchemy as sa

    pg_dump = _client_tool("pg_dump")
    conninfo, env = _libpq(settings)
    store = store_of(settings)
    try:
        try:
            with store.engine.connect() as conn:
                conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    if not sa.inspect(conn).has_table("alembic_version"):
                        raise click.ClickException(
                            f"no pod here: the database {redacted_url(settings.database_url)} "
                            "is empty"
                        )
                    # pg_dump reads the snapshot this transaction reads: the summary is the dump's.
                    snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                    contents = contents_of(lambda sql: conn.exec_driver_sql(sql).all())
                    _run(
                        pg_dump,
                        "--format=custom",
                        "--no-password",
                        f"--snapshot={snapshot}",
                        f"--file={partial}",
                        f"--dbname={conninfo}",
                        env=env,
                        failed="backup failed",
                    )
        except click.ClickException:
            raise
        except Exception as exc:  # connection refused, permissions...: say what to check
            raise cannot_open(settings, exc) from None
    finally:
        store.dispose()
    return contents


def restore(settings: Settings, file: Path) -> tuple[str, Contents]:
    from pds.store import migrate

    pg_restore = _client_tool("pg_restore")
    conninfo, env = _libpq(settings)
    revision = _dumped_revision(pg_restore, file, env)
    check_known(revision, file)
    store = store_of(settings)
    try:
        try:
            with store.engine.connect() as conn:
                tables = conn.exec_driver_sql(_USER_TABLES).scalar_one()
            if tables:
                raise click.ClickException(
                    f"the database {redacted_url(settings.database_url)} is not empty (it holds "
                    f"{tables} tables, views or sequences): restore only goes into an empty "
                    "database (it never merges or overwrites). Make one with createdb"
                )
            # One transaction: a failure on the way leaves the database empty as it was.
            _run(
                pg_restore,
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={conninfo}",
                str(file),
                env=env,
                failed="restore failed, nothing was restored",
            )
            try:
                migrate(store.engine)
            except Exception as exc:
                raise click.ClickException(
                    f"the backup was restored at schema {revision}, but updating the schema "
                    f"failed: {' '.join(str(exc).split())} Run `pds migrate` once it is fixed"
                ) from None
            with store.engine.connect() as conn:
                after = contents_of(lambda sql: conn.exec_driver_sql(sql).all())
        except click.ClickException:
            raise
        except Exception as exc:  # connection refused, permissions...: say what to check
            raise cannot_open(settings, exc) from None
    finally:
        store.dispose()
    return revision, after


# Tables, views and sequences outside PostgreSQL's own schemas: an empty database has none.
_USER_TABLES = """
SELECT count(*) FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
"""


def _dumped_revision(pg_restore: str, file: Path, env: dict[str, str]) -> str:
    """The schema revision in a dump, read without a database: it is also a first check
    that the archive can be read and that it is a pod's."""
    script = _run(
        pg_restore,
        "--data-only",
        "--table=alembic_version",
        "--file=-",
        str(file),
        env=env,
        failed=f"{file} is damaged, nothing was restored",
    )
    lines = script.splitlines()
    for at, line in enumerate(lines[:-1]):
        if line.startswith("COPY ") and "alembic_version" in line and lines[at + 1] != "\\.":
            return lines[at + 1].strip()
    raise click.ClickException(f"{file} holds no pod: nothing was restored")


def _client_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise click.ClickException(
            f"{name} is not installed (or not on PATH): install PostgreSQL's client tools of "
            "the server's version or newer (Debian: apt install postgresql-client)"
        )
    return found


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The database as libpq connection parameters for pg_dump and pg_restore, and their
    environment: the password goes in PGPASSWORD, never on a command line (`ps` shows those)."""
    from psycopg.conninfo import make_conninfo
    from sqlalchemy import make_url

    url = make_url(settings.database_url)
    query = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
    password = query.pop("password", None) or url.password
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    conninfo = make_conninfo(
        "", **{k: str(v) for k, v in {**params, **query}.items() if v is not None}
    )
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return conninfo, env


def _run(tool: str, *args: str, env: dict[str, str], failed: str) -> str:
    """Run a PostgreSQL client tool; its own words on one line if it fails."""
    try:
        result = subprocess.run(  # noqa: S603 - a tool found on PATH, arguments as a list
            [tool, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise click.ClickException(f"cannot run {tool}: {exc.strerror or exc}") from None
    if result.returncode != 0:
        said = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise click.ClickException(f"{failed}: {Path(tool).name} said: {said}")
    return result.stdout
