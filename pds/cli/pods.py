"""Finding the pod a command works on: creating nothing where there is none."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pds.settings import (
    Settings,
    SettingsError,
    ensure_secret_key,
    redacted_url,
)

if TYPE_CHECKING:
    from pds.consent import Pod, Provider
    from pds.store import Store

from pds.cli.group import CREATE_POD


def sqlite_file(settings: Settings) -> Path | None:
    """The pod's SQLite database file; None for PostgreSQL."""
    if not settings.database_url:
        return (settings.data_dir / "pds.sqlite3").resolve()
    from sqlalchemy import exc, make_url

    try:
        url = make_url(settings.database_url)
    except exc.ArgumentError:
        return None  # opening it says what is wrong
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve()
    return None


def store_of(settings: Settings) -> Store:
    from pds.store import Store

    try:
        return Store.from_url(settings.effective_database_url)
    except Exception as exc:  # bad URL, unknown driver...: say what to check
        raise cannot_open(settings, exc) from None


def cannot_open(settings: Settings, exc: Exception) -> click.ClickException:
    # The driver's own words, on one line: not SQLAlchemy's wrapping (statement, links).
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if not reason.endswith((".", "?", "!")):
        reason += "."
    return click.ClickException(
        f"cannot open the database {redacted_url(settings.effective_database_url)}: {reason} "
        "Check --database-url / PDS_DATABASE_URL and that the database server is running."
    )


def existing_sqlite_file(settings: Settings) -> Path | None:
    """The pod's SQLite file, which must exist (opening it would make it); None for PostgreSQL."""
    database = sqlite_file(settings)
    if database is None:
        return None
    try:
        if database.exists():
            return database
    except OSError as exc:  # a folder this user may not look into
        raise cannot_use(database.parent, exc) from None
    raise click.ClickException(
        f"no pod here: {database} does not exist. {CREATE_POD}, or point --data-dir at the "
        "data directory of an existing one."
    )


@contextlib.contextmanager
def existing_pod(settings: Settings) -> Iterator[Pod]:
    """The pod as it is, for the commands that look after one, closed afterwards.

    Where there is none (no SQLite file, an empty database, no row for this pod) they stop
    with one line, having created nothing on disk or in the database. The pod keeps the base
    URL it has: only `serve`, `init` and `import` move it.
    """
    from pds.consent import open_pod
    from pds.store import NotFound, pods
    from pds.store.engine import schema_revision

    database = existing_sqlite_file(settings)
    store = store_of(settings)
    where = str(database) if database else redacted_url(settings.database_url)
    try:
        try:
            current, head = schema_revision(store.engine)
            if current is None:
                raise click.ClickException(
                    f"no pod here: the database {where} is empty. {CREATE_POD}."
                )
            if current != head:
                raise click.ClickException(
                    f"the database schema is at {current}, this pod needs {head}: run `pds migrate`"
                )
            with store.read() as conn:
                row = pods.get(conn, settings.pod)
            pod = open_pod(
                store,
                row.id,
                row.base_url,
                allow_private_callbacks=settings.allow_private_callbacks,
            )
        except NotFound:
            raise click.ClickException(
                f"no pod {settings.pod!r} in the database {where}. Create it with `pds init` "
                "or `pds serve`, or name another with --pod."
            ) from None
        except click.ClickException:
            raise
        except Exception as exc:  # connection refused, permissions...: say what to check
            raise cannot_open(settings, exc) from None
        yield pod
    finally:
        store.dispose()  # SQLite removes its -wal and -shm files as the last connection closes


def open_or_create(settings: Settings) -> tuple[Settings, Pod]:
    """Everything `init` does: data directory (0700), secret key (0600), schema, pod."""
    from pds.consent import open_pod
    from pds.store import migrate
    from pds.store.engine import schema_revision

    settings, store = _secrets_and_store(settings)
    try:
        current, head = schema_revision(store.engine)
        if current != head:
            migrate(store.engine)
        pod = open_pod(
            store,
            settings.pod,
            settings.effective_base_url,
            allow_private_callbacks=settings.allow_private_callbacks,
        )
    except Exception as exc:  # connection refused, permissions...: say what to check
        raise cannot_open(settings, exc) from None
    return settings, pod


def _secrets_and_store(settings: Settings) -> tuple[Settings, Store]:
    """The data directory (0700) where one is needed, the secret key (0600), the database."""
    if not (settings.database_url and settings.secret_key):
        make_data_dir(settings.data_dir)
    try:
        settings = ensure_secret_key(settings)
    except OSError as exc:
        raise cannot_use(settings.data_dir, exc) from None
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    return settings, store_of(settings)


def open_provider(settings: Settings) -> tuple[Settings, Provider]:
    """What `serve` needs in provider mode: secrets, the schema at head, no pod made."""
    from pds.consent import Provider
    from pds.store import migrate

    settings, store = _secrets_and_store(settings)
    try:
        migrate(store.engine)
        provider = Provider(
            store,
            settings.provider_url,
            default_quota=settings.pod_quota_bytes,
            allow_private_callbacks=settings.allow_private_callbacks,
        )
    except Exception as exc:
        raise cannot_open(settings, exc) from None
    return settings, provider


def make_data_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise cannot_use(folder, exc) from None
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)


def cannot_use(folder: Path, exc: OSError) -> click.ClickException:
    return click.ClickException(
        f"cannot use the data directory {folder.resolve()}: {exc.strerror or exc}. "
        "Choose another with --data-dir / PDS_DATA_DIR, or let this user write there."
    )


def announce_setup_code(pod: Pod) -> None:
    if pod.account.is_claimed():
        return
    code = pod.account.issue_setup_code()
    click.echo(
        f"\n  This pod has no owner yet. Claim it at {pod.base_url}/ with the setup code:\n\n"
        f"      {code}\n\n"
        "  It works once, for 24 hours, until `pds init` or `pds serve` prints a new one.\n",
        err=True,
    )
