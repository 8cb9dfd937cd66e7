"""Moving a pod: `pds export` and `pds import`, with progress on a terminal."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from pds.settings import (
    Settings,
)

if TYPE_CHECKING:
    from pds.consent import Pod
    from pds.store import Store

from pds.cli.group import Context, help_of, main, pod_options
from pds.cli.pods import cannot_open, cannot_use, existing_pod, sqlite_file, store_of


class ProgressLine:
    """Documents and bytes done so far, on one line of a terminal, redrawn as they grow.

    At most ten redraws a second; nothing at all when the stream is not a terminal (a log or
    a pipe gets the command's summary line on stdout instead).
    """

    def __init__(
        self,
        label: str,
        total_bytes: int | None = None,
        *,
        stream: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.total_bytes = total_bytes
        self.stream = stream if stream is not None else sys.stderr
        self.shown = self.stream.isatty()
        self.clock = clock
        self.documents = 0
        self.bytes = 0
        self._drawn_at: float | None = None

    def add_documents(self, count: int) -> None:
        self.documents += count
        self._draw()

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        self._draw()

    def text(self) -> str:
        size = size_text(self.bytes)
        if self.total_bytes is not None:
            size += f" of {size_text(self.total_bytes)}"
        documents = "1 document" if self.documents == 1 else f"{self.documents:,} documents"
        return f"{self.label}: {documents}, {size}"

    def __enter__(self) -> ProgressLine:
        self._draw()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._draw(last=True)  # also before an error, so that it starts on a line of its own

    def _draw(self, *, last: bool = False) -> None:
        if not self.shown:
            return
        now = self.clock()
        if not last and self._drawn_at is not None and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self.stream.write(f"\r{self.text()}\x1b[K" + ("\n" if last else ""))
        self.stream.flush()


def size_text(count: int) -> str:
    if count < 1000:
        return "1 byte" if count == 1 else f"{count} bytes"
    scaled = count / 1000
    for unit in ("kB", "MB"):
        if scaled < 1000:
            return f"{scaled:.1f} {unit}"
        scaled /= 1000
    return f"{scaled:.1f} GB"


class _CountedFile(io.FileIO):
    """A file that reports the size of each write: how far an export has got."""

    def __init__(self, fd: int, counted: Callable[[int], None]):
        super().__init__(fd, "wb")
        self._counted = counted

    def write(self, data: Any) -> int:
        written = super().write(data) or 0
        self._counted(written)
        return written


@main.command("export")
@pod_options
@click.argument("archive", type=click.Path(readable=False, path_type=Path))
@click.pass_obj
def export_command(ctx: Context, archive: Path) -> None:
    """Write the whole pod to ARCHIVE (.tar.gz): data, grants, audit and settings.

    Only you can read the archive (it holds your data). On a terminal, a line on stderr counts
    the documents and bytes written so far.
    """
    with existing_pod(ctx.settings()) as pod:
        count = _write_archive(pod, archive)
    click.echo(f"Exported {count} resource(s) to {archive} (keep it safe: it holds your data).")


def _write_archive(pod: Pod, archive: Path) -> int:
    """Write to ARCHIVE.partial, then rename: an interrupted export leaves no half archive."""
    partial = archive.with_name(archive.name + ".partial")
    try:
        if archive.is_dir():
            raise click.ClickException(
                f"cannot write {archive}: it is a directory. Name the file, e.g. "
                f"{archive / 'pod.tar.gz'}"
            )
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # a stale .partial left by an interrupted export keeps its mode
            with ProgressLine("Exporting") as shown, _CountedFile(fd, shown.add_bytes) as out:
                count = pod.export_archive(out, progress=shown.add_documents)
                os.fsync(out.fileno())
            os.replace(partial, archive)
        finally:
            partial.unlink(missing_ok=True)  # gone after the rename; else not left behind
    except FileNotFoundError:
        raise click.ClickException(
            f"cannot write {archive}: the directory {archive.parent} does not exist"
        ) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {archive}: {exc.strerror or exc}") from None
    return count


@main.command("import")
@pod_options
@click.argument("archive", type=click.Path(readable=False, path_type=Path))
@click.option("--base-url", help=help_of("base_url"))
@click.pass_obj
def import_command(ctx: Context, archive: Path, base_url: str | None) -> None:
    """Load ARCHIVE (made by `pds export`) into a new, empty pod. All or nothing.

    The archive is read and checked in full before anything is written. If it is refused
    (damaged, altered, or the pod there is not empty), the data directory is left exactly as
    it was. On a terminal, a line on stderr counts the bytes read and documents checked.
    """
    from pds.archive import ArchiveError, check_archive, load_archive
    from pds.resources import PodRef, ResourceError

    settings = ctx.settings(base_url=base_url)
    pod = PodRef(settings.pod, settings.effective_base_url)
    with ProgressLine("Importing", _size_of(archive)) as shown:
        data = _read(archive, shown.add_bytes)
        try:
            checked = check_archive(io.BytesIO(data), pod, shown.add_documents)
            with _import_target(settings) as store:
                count = load_archive(store, checked)
        except (ArchiveError, ResourceError) as exc:
            raise click.ClickException(f"import refused, nothing was changed: {exc}") from None
    click.echo(f"Imported {count} resource(s) into pod {pod.id!r} at {pod.base_url}.")


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None  # reading it says why


def _read(path: Path, counted: Callable[[int], None]) -> bytes:
    chunks = []
    try:
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                chunks.append(chunk)
                counted(len(chunk))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None
    return b"".join(chunks)


@contextlib.contextmanager
def _import_target(settings: Settings) -> Iterator[Store]:
    """The database to import into, made if need be; if the import then fails, the SQLite
    database's folder is put back as it was: removed if it did not exist, else without the
    files this import added (the database, its lock and journal)."""
    from pds.store import migrate
    from pds.store.engine import schema_revision

    database = sqlite_file(settings)
    folder = database.parent if database else None
    made, before = None, set()
    if folder:
        try:
            made = _first_missing(folder)
            if made:
                folder.mkdir(parents=True)  # private: pds runs with umask 077
            else:
                before = set(os.listdir(folder))
        except OSError as exc:
            if made:
                shutil.rmtree(made, ignore_errors=True)
            raise cannot_use(folder, exc) from None
    try:
        store = store_of(settings)
        try:
            try:
                current, head = schema_revision(store.engine)
                if current is None:
                    migrate(store.engine)
            except Exception as exc:  # connection refused, permissions...: say what to check
                raise cannot_open(settings, exc) from None
            if current not in (None, head):
                raise click.ClickException(
                    f"the database schema is at {current}, this pod needs {head}: "
                    "run `pds migrate` first"
                )
            yield store
        finally:
            store.dispose()
    except BaseException:  # refused or interrupted
        if made:
            shutil.rmtree(made, ignore_errors=True)
        elif folder:
            for name in set(os.listdir(folder)) - before:
                (folder / name).unlink(missing_ok=True)
        raise


def _first_missing(folder: Path) -> Path | None:
    """The outermost folder `mkdir -p folder` would create, if any."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing = path
    return missing
