"""The `pds` command: set up, run and look after a pod.

Settings come from flags, then PDS_* environment variables, then the config file
(--config, PDS_CONFIG, or <data dir>/pds.toml), then defaults. `pds settings` shows the result.
The options that say where the pod is (--data-dir, --database-url, --pod, --config) are taken
before the command and after it, as in `pds export pod.tar.gz --data-dir elsewhere`.

Only `init`, `serve` and `import` make a pod. The commands that look after one (`migrate`,
`passwd`, `token`, `keys`, `export`) say so where there is none, and create nothing. Every
error an operator can cause is one line on stderr and a non-zero exit, never a traceback.

The pod itself (database, RDF, crypto) is imported by the commands that use it, so that
`pds --help` and `pds --version` answer at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import gc
import io
import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from pds.settings import (
    FIELDS,
    Resolved,
    Settings,
    SettingsError,
    as_toml,
    default_text,
    ensure_secret_key,
    env_name,
    redacted_url,
    resolve_settings,
)

if TYPE_CHECKING:
    from pds.consent import Pod
    from pds.store import Store

CREATE_POD = "Create a pod with `pds init` or `pds serve`"


class BadSettings(click.ClickException):
    """A setting the pod cannot use (bad config file, wrong value): exit 2, as for bad usage."""

    exit_code = 2


@dataclasses.dataclass
class Context:
    """Where the pod is, as given before the command and after it (after wins)."""

    flags: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: Path | None = None

    def resolve(self, **more: Any) -> Resolved:
        try:
            return resolve_settings({**self.flags, **more}, config_file=self.config)
        except SettingsError as exc:
            raise BadSettings(str(exc)) from None

    def settings(self, **more: Any) -> Settings:
        return self.resolve(**more).settings


def _help(name: str) -> str:
    return (
        f"{FIELDS[name].metadata['help']} [env: {env_name(name)}] [default: {default_text(name)}]"
    )


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None:
        return
    where = ctx.ensure_object(Context)
    if param.name == "config":
        where.config = value
    else:
        where.flags[str(param.name)] = value


def pod_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir, --database-url, --pod and --config, on the group and on every command.

    The values are not passed to the command: they go to the `Context`, where one given after
    the command replaces one given before it.
    """
    shared: dict[str, Any] = {"expose_value": False, "callback": _remember}
    options = [
        click.option(
            "--data-dir",
            type=click.Path(readable=False, path_type=Path),
            help=_help("data_dir"),
            **shared,
        ),
        click.option("--database-url", metavar="URL", help=_help("database_url"), **shared),
        click.option("--pod", metavar="NAME", help=_help("pod"), **shared),
        click.option(
            "--config",
            type=click.Path(readable=False, path_type=Path),
            metavar="FILE",
            help="TOML file with settings, as `pds settings` prints them. [env: PDS_CONFIG] "
            "[default: <data dir>/pds.toml if it exists]",
            **shared,
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@pod_options
@click.version_option(package_name="vrm-pod")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A personal data pod: your profile and preferences, shared with vendors on your terms.

    \b
    Quick start:
      pds serve            # creates ./pds-data, prints a setup code, serves on 127.0.0.1:8000
    Then open the pod, or claim it with the setup code through the owner API (see README).

    --data-dir, --database-url, --pod and --config go before the command or after it.
    """
    # Everything pds writes (database, WAL, exports, keys) is private to the user running it.
    os.umask(0o077)
    ctx.ensure_object(Context)


# -- finding the pod ---------------------------------------------------------------------------


def _sqlite_file(settings: Settings) -> Path | None:
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


def _store(settings: Settings) -> Store:
    from pds.store import Store

    try:
        return Store.from_url(settings.effective_database_url)
    except Exception as exc:  # bad URL, unknown driver...: say what to check
        raise _cannot_open(settings, exc) from None


def _cannot_open(settings: Settings, exc: Exception) -> click.ClickException:
    # The driver's own words, on one line: not SQLAlchemy's wrapping (statement, links).
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if not reason.endswith((".", "?", "!")):
        reason += "."
    return click.ClickException(
        f"cannot open the database {redacted_url(settings.effective_database_url)}: {reason} "
        "Check --database-url / PDS_DATABASE_URL and that the database server is running."
    )


def _existing_sqlite_file(settings: Settings) -> Path | None:
    """The pod's SQLite file, which must exist (opening it would make it); None for PostgreSQL."""
    database = _sqlite_file(settings)
    if database is None:
        return None
    try:
        if database.exists():
            return database
    except OSError as exc:  # a folder this user may not look into
        raise _cannot_use(database.parent, exc) from None
    raise click.ClickException(
        f"no pod here: {database} does not exist. {CREATE_POD}, or point --data-dir at the "
        "data directory of an existing one."
    )


@contextlib.contextmanager
def _existing_pod(settings: Settings) -> Iterator[Pod]:
    """The pod as it is, for the commands that look after one, closed afterwards.

    Where there is none (no SQLite file, an empty database, no row for this pod) they stop
    with one line, having created nothing on disk or in the database. The pod keeps the base
    URL it has: only `serve`, `init` and `import` move it.
    """
    from pds.consent import open_pod
    from pds.store import NotFound, pods
    from pds.store.engine import schema_revision

    database = _existing_sqlite_file(settings)
    store = _store(settings)
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
            raise _cannot_open(settings, exc) from None
        yield pod
    finally:
        store.dispose()  # SQLite removes its -wal and -shm files as the last connection closes


def _open_or_create(settings: Settings) -> tuple[Settings, Pod]:
    """Everything `init` does: data directory (0700), secret key (0600), schema, pod."""
    from pds.consent import open_pod
    from pds.store import migrate
    from pds.store.engine import schema_revision

    if not (settings.database_url and settings.secret_key):
        _make_data_dir(settings.data_dir)
    try:
        settings = ensure_secret_key(settings)
    except OSError as exc:
        raise _cannot_use(settings.data_dir, exc) from None
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    store = _store(settings)
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
        raise _cannot_open(settings, exc) from None
    return settings, pod


def _make_data_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_use(folder, exc) from None
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)


def _cannot_use(folder: Path, exc: OSError) -> click.ClickException:
    return click.ClickException(
        f"cannot use the data directory {folder.resolve()}: {exc.strerror or exc}. "
        "Choose another with --data-dir / PDS_DATA_DIR, or let this user write there."
    )


def _announce_setup_code(pod: Pod) -> None:
    if pod.account.is_claimed():
        return
    code = pod.account.issue_setup_code()
    click.echo(
        f"\n  This pod has no owner yet. Claim it at {pod.base_url}/ with the setup code:\n\n"
        f"      {code}\n\n"
        "  It works once, for 24 hours, until `pds init` or `pds serve` prints a new one.\n",
        err=True,
    )


# -- making and serving a pod ------------------------------------------------------------------


@main.command()
@pod_options
@click.option("--base-url", help=_help("base_url"))
@click.option("--demo", is_flag=True, help="Fill the pod with sample profile and preferences.")
@click.pass_obj
def init(ctx: Context, base_url: str | None, demo: bool) -> None:
    """Create the data directory, secrets and database; print a setup code."""
    from pds import schemas
    from pds.resources import ResourceExists

    settings, pod = _open_or_create(ctx.settings(base_url=base_url))
    click.echo(f"Pod {pod.id!r} at {pod.base_url}, data in {settings.data_dir.resolve()}")
    if demo:
        for path, turtle in schemas.sample_documents().items():
            try:
                pod.data.put(path, turtle.encode(), "text/turtle", if_none_match=True)
                click.echo(f"  added sample {path}")
            except ResourceExists:
                click.echo(f"  kept existing {path}")
    _announce_setup_code(pod)
    pod.close()


@main.command(
    epilog=f"{env_name('secret_key')} (or secret_key in the config file; never a flag, which "
    f"would show in `ps`): {FIELDS['secret_key'].metadata['help']} "
    f"[default: {default_text('secret_key')}]"
)
@pod_options
@click.option("--host", help=_help("host"))
@click.option("--port", type=int, help=_help("port"))
@click.option("--base-url", help=_help("base_url"))
@click.option("--workers", type=click.IntRange(1, 64), help=_help("workers"))
@click.option("--max-body-bytes", type=click.IntRange(1024), help=_help("max_body_bytes"))
@click.option("--trusted-proxies", type=click.IntRange(0, 10), help=_help("trusted_proxies"))
@click.option("--log-level", metavar="LEVEL", help=_help("log_level"))
@click.option(
    "--allow-private-callbacks", is_flag=True, default=None, help=_help("allow_private_callbacks")
)
@click.pass_obj
def serve(
    ctx: Context,
    host: str | None,
    port: int | None,
    base_url: str | None,
    workers: int | None,
    max_body_bytes: int | None,
    trusted_proxies: int | None,
    log_level: str | None,
    allow_private_callbacks: bool | None,
) -> None:
    """Run the pod with gunicorn (initialising it on first run).

    A pod in SQLite is served by one `pds serve` at a time: it holds serve.lock in the data
    directory while it runs. Pods in PostgreSQL may have any number of servers.
    """
    # Start-up creates some 80,000 long-lived objects (imports, the app) that the workers share
    # after the fork: collecting garbage among them now only costs time (about a tenth of the
    # start). The server turns the collector back on once the app is built and frozen.
    gc.disable()
    settings = ctx.settings(
        host=host,
        port=port,
        base_url=base_url,
        workers=workers,
        max_body_bytes=max_body_bytes,
        trusted_proxies=trusted_proxies,
        log_level=log_level,
        allow_private_callbacks=allow_private_callbacks,
    )
    _check_port_is_free(settings.host, settings.port)
    database = _sqlite_file(settings)
    if database is not None:
        _hold_serve_lock(database.parent)
    settings, pod = _open_or_create(settings)
    _announce_setup_code(pod)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {settings.host}: put TLS in front of the pod.", err=True)
    from pds.server.gunicorn import serve as run_gunicorn

    run_gunicorn(settings, pod)


def _check_port_is_free(host: str, port: int) -> None:
    """Bind the port as gunicorn will, and let it go: gunicorn itself retries a taken port for
    five seconds and then exits with a log, where one line at once says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn does: a server stopped a moment ago (its port in TIME_WAIT) is no conflict.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                message = (
                    f"port {port} on {host} is already in use (another `pds serve`?): stop "
                    "the program that listens there, or choose another port with --port / "
                    "PDS_PORT"
                )
            elif exc.errno == errno.EACCES:
                message = (
                    f"port {port} on {host} needs privileges this user lacks: choose a port "
                    "above 1023 with --port / PDS_PORT"
                )
            else:
                reason = exc.strerror or exc
                message = f"cannot listen on {host} port {port}: {reason}. Check --host / PDS_HOST"
            raise click.ClickException(message) from None


def _hold_serve_lock(folder: Path) -> None:
    """Lock serve.lock in `folder` (the SQLite database's) for the life of this process.

    A second server of the same SQLite pod is refused: started by mistake, on another port,
    it would move the pod to its own base URL under the first one. The lock is on the open
    file, which the gunicorn workers inherit when they are forked; it goes when the master
    and its workers have exited, however they stop. The descriptor is never closed here.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _cannot_use(folder, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise click.ClickException(
            f"{folder} is already served by another `pds serve` (pid {holder}): a SQLite pod "
            "is served by one server at a time, so stop that one first"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())


@main.command("migrate")
@pod_options
@click.pass_obj
def migrate_command(ctx: Context) -> None:
    """Bring the database schema up to date (safe to repeat).

    It updates a database that exists; it does not make a SQLite one (`pds init` does).
    """
    from pds.store import migrate
    from pds.store.engine import schema_revision

    settings = ctx.settings()
    _existing_sqlite_file(settings)
    store = _store(settings)
    try:
        before, head = schema_revision(store.engine)
        migrate(store.engine)
    except Exception as exc:  # as in _existing_pod: a readable error, not a traceback
        raise _cannot_open(settings, exc) from None
    finally:
        store.dispose()
    click.echo(f"schema {before or 'empty'} -> {head}" if before != head else f"schema at {head}")


# -- the owner's credentials -------------------------------------------------------------------


@main.command()
@pod_options
@click.pass_obj
def passwd(ctx: Context) -> None:
    """Set the owner's password (also claims an unclaimed pod).

    On a terminal it asks for the password twice, without showing it. Otherwise it reads
    standard input: the first line is the password, and a second line, if there is one, must
    repeat it.

    \b
      printf '%s\\n' "$NEW_PASSWORD" | pds passwd
    """
    from pds.consent import ConsentError

    with _existing_pod(ctx.settings()) as pod:
        password = _new_password()
        try:
            pod.account.set_password(password)
        except ConsentError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo("Password changed.")


def _new_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("New password", hide_input=True, confirmation_prompt=True))
    lines = sys.stdin.read().splitlines()
    if not lines or not lines[0]:
        raise click.ClickException(
            "no password on standard input: give it on the first line (see `pds passwd --help`)"
        )
    if len(lines) > 2:
        raise click.ClickException(
            "standard input has more than two lines: give the password on one line, or twice "
            "on two lines. Nothing was changed."
        )
    if len(lines) == 2 and lines[1] != lines[0]:
        raise click.ClickException(
            "the two lines on standard input differ: the second must repeat the password. "
            "Nothing was changed."
        )
    return lines[0]


@main.group()
@pod_options
def token() -> None:
    """API tokens for scripts (sent as `Authorization: Bearer <token>`)."""


@token.command("create")
@pod_options
@click.argument("name")
@click.pass_obj
def token_create(ctx: Context, name: str) -> None:
    """Create a token called NAME and print it (it is shown only once)."""
    from pds.consent import ConsentError

    with _existing_pod(ctx.settings()) as pod:
        try:
            created, secret = pod.account.create_token(name)
        except ConsentError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Token {created.id} ({created.name}), shown only this once:", err=True)
    click.echo(secret)


@token.command("list")
@pod_options
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List tokens (never their secrets)."""
    with _existing_pod(ctx.settings()) as pod:
        rows = pod.account.list_tokens()
    if not rows:
        click.echo("No tokens. Create one with `pds token create NAME`.")
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        click.echo(f"{t.id}  {t.name:<24} {state:<18} created {t.created_at:%Y-%m-%d}, {used}")


@token.command("revoke")
@pod_options
@click.argument("token_id")
@click.pass_obj
def token_revoke(ctx: Context, token_id: str) -> None:
    """Revoke the token TOKEN_ID: it stops working at once."""
    from pds.consent import ConsentError

    with _existing_pod(ctx.settings()) as pod:
        try:
            pod.account.revoke_token(token_id)
        except ConsentError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Token {token_id} revoked.")


@main.group()
@pod_options
def keys() -> None:
    """The pod's signing keys (grants, receipts, status list, notifications)."""


@keys.command("list")
@pod_options
@click.pass_obj
def keys_list(ctx: Context) -> None:
    """List signing keys: the active one signs, a next one signs from the time shown, retired
    ones still verify what they signed."""
    with _existing_pod(ctx.settings()) as pod:
        keys = pod.signing_keys()
    for key in keys:
        jwk = key.jwk
        line = f"{key.kid}  {key.state:<7}  {jwk['alg']}  {jwk['crv']}  {jwk['x']}"
        if key.state == "next":
            line += f"  signs from {key.signs_from:%Y-%m-%d %H:%M:%S} UTC"
        click.echo(line)


@keys.command("rotate")
@pod_options
@click.pass_obj
def keys_rotate(ctx: Context) -> None:
    """Make a new signing key, published now, that signs once every server and cache has it.
    Grants signed by earlier keys keep working."""
    with _existing_pod(ctx.settings()) as pod:
        key = pod.rotate_keys()
    click.echo(
        f"New signing key {key.kid}, published now; it signs from "
        f"{key.signs_from:%Y-%m-%d %H:%M:%S} UTC."
    )


# -- moving a pod ------------------------------------------------------------------------------


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
        size = _size(self.bytes)
        if self.total_bytes is not None:
            size += f" of {_size(self.total_bytes)}"
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


def _size(count: int) -> str:
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
    with _existing_pod(ctx.settings()) as pod:
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
@click.option("--base-url", help=_help("base_url"))
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

    database = _sqlite_file(settings)
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
            raise _cannot_use(folder, exc) from None
    try:
        store = _store(settings)
        try:
            try:
                current, head = schema_revision(store.engine)
                if current is None:
                    migrate(store.engine)
            except Exception as exc:  # connection refused, permissions...: say what to check
                raise _cannot_open(settings, exc) from None
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


# -- settings ----------------------------------------------------------------------------------


@main.command("settings")
@pod_options
@click.pass_obj
def settings_command(ctx: Context) -> None:
    """Print the settings in force as a config file, and where each value came from.

    Secrets are never printed. The output is TOML that `pds --config FILE` reads back:
    `pds settings > pds.toml`.
    """
    click.echo(as_toml(ctx.resolve()), nl=False)
