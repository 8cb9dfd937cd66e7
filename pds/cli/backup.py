"""Backing up the whole database and restoring it: `pds backup` and `pds restore`.

A backup is the database as it was at one instant, taken while `pds serve` runs and writes:
SQLite's online backup API, or pg_dump (which reads one snapshot). It holds every pod of the
database with its keys, tokens and audit log. `pds export` is something else: one pod, as an
archive, to move it to another pod or backend.

The file is written beside its final name and renamed when it is complete and checked, so a
failed run never leaves half a file under that name; a restore is published the same way
(SQLite) or in one transaction (PostgreSQL), so a refused one leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from pds.cli.group import Context, main, pod_options
from pds.cli.moving import size_text
from pds.cli.pods import cannot_use, existing_sqlite_file, sqlite_file
from pds.settings import redacted_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"  # an archive from `pds export`

Rows = Callable[[str], Sequence[Sequence[Any]]]


@dataclasses.dataclass(frozen=True)
class Contents:
    """What a database holds, as a backup or a restore reports it."""

    revision: str
    pods: list[str]
    documents: int

    def __str__(self) -> str:
        count = len(self.pods)
        pods = "no pod" if not count else f"1 pod ({self.pods[0]})"
        if count > 1:
            more = f" and {count - 5} more" if count > 5 else ""
            pods = f"{count} pods ({', '.join(self.pods[:5])}{more})"
        documents = "1 document" if self.documents == 1 else f"{self.documents} documents"
        return f"{pods}, {documents}, schema {self.revision}"


def contents_of(rows: Rows) -> Contents:
    # Tables every revision has had since the first: this reads a backup of any age.
    return Contents(
        revision=str(rows("SELECT version_num FROM alembic_version")[0][0]),
        pods=[str(r[0]) for r in rows("SELECT id FROM pods ORDER BY id")],
        documents=int(rows("SELECT count(*) FROM resources")[0][0]),
    )


# -- pds backup -----------------------------------------------------------------------------------


@main.command("backup")
@pod_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_obj
def backup_command(ctx: Context, file: Path, force: bool) -> None:
    """Copy the whole database to FILE, safely while the pod runs and writes.

    SQLite: a copy made by SQLite's online backup, checked with PRAGMA integrity_check.
    PostgreSQL: pg_dump --format=custom, which must be installed, of the server's version or
    newer (a password in the URL goes to it in PGPASSWORD, never on its command line).

    Every pod of the database is in FILE, whatever --pod says, with its keys, tokens and
    audit log. Only you can read FILE (mode 0600): keep it safe. `pds restore FILE` puts it
    back into an empty database. The secret key of the data directory (browser sessions) is
    not in it. To move one pod elsewhere, use `pds export`.
    """
    settings = ctx.settings()
    database = existing_sqlite_file(settings)
    _check_backup_file(file, force, database)
    with _partial_beside(file) as partial:
        if database is not None:
            contents = _backup_sqlite(database, partial)
        else:
            from pds.cli import pg_backup  # which imports this module

            contents = pg_backup.backup(settings, partial)
        _publish(partial, file, replace=force)
    click.echo(
        f"Backed up {contents} to {file} ({size_text(file.stat().st_size)}). Keep it safe: "
        "it holds the pods' keys and personal data."
    )


def _check_backup_file(file: Path, force: bool, database: Path | None) -> None:
    if file.is_dir():
        raise click.ClickException(f"cannot write {file}: it is a directory. Name the file.")
    if database is not None and file.resolve() in _sqlite_files(database):
        raise click.ClickException(f"{file} is the pod's own database: name another file")
    if file.exists() and not force:
        raise click.ClickException(
            f"{file} exists: choose another name, or pass --force to replace it"
        )


def _backup_sqlite(database: Path, partial: Path) -> Contents:
    try:
        # Read-write (though it only reads), as the server's connections are: a read-only one
        # would leave the -wal and -shm files behind when no server runs.
        source = sqlite3.connect(f"file:{quote(str(database))}?mode=rw", uri=True, timeout=30)
        with contextlib.closing(source), contextlib.closing(sqlite3.connect(partial)) as copy:
            # In one step: the copy reads a single snapshot, and WAL lets the server write on.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, with no -wal beside it
            if problems := _integrity_problems(copy):
                raise click.ClickException(
                    f"the copy of {database} fails SQLite's integrity check ({problems}): "
                    "no backup was written"
                )
            if not _has_schema(copy):
                raise click.ClickException(f"no pod here: the database {database} is empty")
            return contents_of(lambda sql: copy.execute(sql).fetchall())
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot back up {database}: {exc}") from None


# -- pds restore ----------------------------------------------------------------------------------


@main.command("restore")
@pod_options
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def restore_command(ctx: Context, file: Path) -> None:
    """Put a backup made by `pds backup` into an empty database, then update its schema.

    SQLite: into a data directory without a database (--data-dir); the copy is checked with
    PRAGMA integrity_check. PostgreSQL: into an empty database (make one with createdb),
    with pg_restore --no-owner --no-acl --single-transaction --exit-on-error.

    It never merges or overwrites: a target that holds anything is refused. A damaged file,
    or one of the other backend, is refused too, and the target is left as it was. A backup
    of an older version of the pod is migrated to this one's schema; one of a newer version
    is refused.
    """
    settings = ctx.settings()
    database = sqlite_file(settings)
    kind = _kind_of(file)
    wanted = "SQLite" if database is not None else "PostgreSQL"
    if kind != wanted:
        raise click.ClickException(
            f"{file} is a {kind} backup and this pod's database is {wanted}: nothing was "
            "restored. Restore it into a database of its kind; `pds export` and `pds import` "
            "move a pod between the two"
        )
    if database is not None:
        before, after = _restore_sqlite(file, database)
        where = str(database)
    else:
        from pds.cli import pg_backup

        before, after = pg_backup.restore(settings, file)
        where = redacted_url(settings.database_url)
    migrated = f" (migrated from {before})" if before != after.revision else ""
    click.echo(f"Restored {after}{migrated} into {where}.")


def _kind_of(file: Path) -> str:
    try:
        with file.open("rb") as source:
            start = source.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None
    if start.startswith(SQLITE_MAGIC):
        return "SQLite"
    if start.startswith(PG_DUMP_MAGIC):
        return "PostgreSQL"
    hint = " It is an archive: load it with `pds import`." if start.startswith(GZIP_MAGIC) else ""
    raise click.ClickException(
        f"{file} is not a backup made by `pds backup` (neither a SQLite database nor a "
        f"pg_dump archive): nothing was restored.{hint}"
    )


def _restore_sqlite(file: Path, database: Path) -> tuple[str, Contents]:
    from pds.store import migrate
    from pds.store.engine import open_engine

    _refuse_existing(database)
    source = sqlite3.connect(f"file:{quote(str(file))}?mode=ro", uri=True)
    try:
        try:  # the whole backup is checked before anything is made
            if problems := _integrity_problems(source):
                raise click.ClickException(f"{file} is damaged ({problems}): nothing was restored")
            if not _has_schema(source):
                raise click.ClickException(f"{file} holds no pod: nothing was restored")
            revision = contents_of(lambda sql: source.execute(sql).fetchall()).revision
        except sqlite3.Error as exc:
            raise _damaged(file, exc) from None
        check_known(revision, file)
        with _made_folder(database.parent), _partial_beside(database) as partial:
            try:
                copy = sqlite3.connect(partial)
                try:
                    source.backup(copy)
                    problems = _integrity_problems(copy)
                finally:
                    copy.close()
            except sqlite3.Error as exc:
                raise _damaged(file, exc) from None
            if problems:
                raise click.ClickException(
                    f"the copy of {file} fails SQLite's integrity check ({problems}): "
                    "nothing was restored"
                )
            engine = open_engine(f"sqlite:///{partial}")
            try:
                migrate(engine)
                with engine.connect() as conn:
                    after = contents_of(lambda sql: conn.exec_driver_sql(sql).all())
            except Exception as exc:
                raise click.ClickException(
                    f"updating the schema of the copy from {revision} failed "
                    f"({' '.join(str(exc).split())}): nothing was restored"
                ) from None
            finally:
                engine.dispose()  # the last connection folds the WAL back into the file
            _publish(partial, database, replace=False)
    finally:
        source.close()
    return revision, after


def _refuse_existing(database: Path) -> None:
    held = [p for p in _sqlite_files(database)[:2] if p.exists()]  # the database or its WAL
    if held:
        raise click.ClickException(
            f"{held[0]} exists: restore only goes into a data directory without a database "
            "(it never merges or overwrites). Choose a new one with --data-dir"
        )


@contextlib.contextmanager
def _made_folder(folder: Path) -> Iterator[None]:
    """The folder (0700, as pds makes it), removed again if what follows fails."""
    made = next((p for p in reversed([folder, *folder.parents]) if not p.exists()), None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if made:
            folder.chmod(0o700)
    except OSError as exc:
        raise cannot_use(folder, exc) from None
    try:
        yield
    except BaseException:
        if made:
            shutil.rmtree(made, ignore_errors=True)
        raise


# -- shared ---------------------------------------------------------------------------------------


def _sqlite_files(database: Path) -> list[Path]:
    """The database and the files SQLite and pds keep beside it."""
    return [database, *(Path(f"{database}{end}") for end in ("-wal", "-shm", "-writelock"))]


def _has_schema(conn: sqlite3.Connection) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone()
    return found is not None


def _integrity_problems(conn: sqlite3.Connection) -> str:
    """What SQLite's integrity check finds (the first few), or nothing."""
    found = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(3)").fetchall()]
    return "" if found == ["ok"] else " ".join("; ".join(found).split())  # on one line


def _damaged(file: Path, exc: sqlite3.Error) -> click.ClickException:
    return click.ClickException(f"{file} is damaged ({exc}): nothing was restored")


def check_known(revision: str, file: Path) -> None:
    """A backup of a newer pod than this one cannot be read by it: refuse before restoring."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from pds.store.engine import MIGRATIONS

    try:
        ScriptDirectory(str(MIGRATIONS)).get_revision(revision)
    except CommandError:
        raise click.ClickException(
            f"{file} is from a newer version of the pod (schema {revision}): nothing was "
            "restored. Upgrade pds to restore it"
        ) from None


@contextlib.contextmanager
def _partial_beside(final: Path) -> Iterator[Path]:
    """A new private file beside `final` (same file system, for the rename), removed with the
    files SQLite may have made beside it, unless it was published."""
    try:
        fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
    except FileNotFoundError:
        raise click.ClickException(
            f"cannot write {final}: the directory {final.parent} does not exist"
        ) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {final}: {exc.strerror or exc}") from None
    os.close(fd)  # mkstemp made it 0600
    partial = Path(name)
    try:
        yield partial
    finally:
        for path in _sqlite_files(partial):
            path.unlink(missing_ok=True)


def _publish(partial: Path, final: Path, *, replace: bool) -> None:
    """Give the finished file its name: durably, in one step, over nothing unless `replace`."""
    try:
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        if replace:
            os.replace(partial, final)
        else:
            os.link(partial, final)  # unlike a rename, fails if `final` appeared meanwhile
            partial.unlink()
        folder = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except FileExistsError:
        raise click.ClickException(f"{final} appeared meanwhile: nothing was replaced") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {final}: {exc.strerror or exc}") from None
