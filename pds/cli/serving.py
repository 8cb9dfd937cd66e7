"""Making and serving a pod: `pds init`, `pds serve`, `pds migrate`."""

from __future__ import annotations

import errno
import fcntl
import gc
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pds.settings import (
    FIELDS,
    default_text,
    env_name,
)

if TYPE_CHECKING:
    pass

from pds.cli.group import Context, help_of, main, pod_options
from pds.cli.pods import (
    announce_setup_code,
    cannot_open,
    cannot_use,
    existing_sqlite_file,
    open_or_create,
    open_provider,
    sqlite_file,
    store_of,
)


@main.command()
@pod_options
@click.option("--base-url", help=help_of("base_url"))
@click.option("--demo", is_flag=True, help="Fill the pod with sample profile and preferences.")
@click.pass_obj
def init(ctx: Context, base_url: str | None, demo: bool) -> None:
    """Create the data directory, secrets and database; print a setup code."""
    from pds import schemas
    from pds.resources import ResourceExists

    settings, pod = open_or_create(ctx.settings(base_url=base_url))
    click.echo(f"Pod {pod.id!r} at {pod.base_url}, data in {settings.data_dir.resolve()}")
    if demo:
        for path, turtle in schemas.sample_documents().items():
            try:
                pod.data.put(path, turtle.encode(), "text/turtle", if_none_match=True)
                click.echo(f"  added sample {path}")
            except ResourceExists:
                click.echo(f"  kept existing {path}")
    announce_setup_code(pod)
    pod.close()


@main.command(
    epilog=f"{env_name('secret_key')} (or secret_key in the config file; never a flag, which "
    f"would show in `ps`): {FIELDS['secret_key'].metadata['help']} "
    f"[default: {default_text('secret_key')}]\n\n"
    f"{env_name('admin_token')} (or admin_token in the config file, never a flag): "
    f"{FIELDS['admin_token'].metadata['help']} [default: {default_text('admin_token')}]"
)
@pod_options
@click.option("--host", help=help_of("host"))
@click.option("--port", type=int, help=help_of("port"))
@click.option("--base-url", help=help_of("base_url"))
@click.option("--workers", type=click.IntRange(1, 64), help=help_of("workers"))
@click.option("--max-body-bytes", type=click.IntRange(1024), help=help_of("max_body_bytes"))
@click.option("--trusted-proxies", type=click.IntRange(0, 10), help=help_of("trusted_proxies"))
@click.option("--log-level", metavar="LEVEL", help=help_of("log_level"))
@click.option("--log-format", metavar="FORMAT", help=help_of("log_format"))
@click.option(
    "--allow-private-callbacks", is_flag=True, default=None, help=help_of("allow_private_callbacks")
)
@click.option("--provider-url", metavar="URL", help=help_of("provider_url"))
@click.option("--pod-quota-bytes", type=click.IntRange(0), help=help_of("pod_quota_bytes"))
@click.option(
    "--pod-requests-per-minute", type=click.IntRange(0), help=help_of("pod_requests_per_minute")
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
    log_format: str | None,
    allow_private_callbacks: bool | None,
    provider_url: str | None,
    pod_quota_bytes: int | None,
    pod_requests_per_minute: int | None,
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
        log_format=log_format,
        allow_private_callbacks=allow_private_callbacks,
        provider_url=provider_url,
        pod_quota_bytes=pod_quota_bytes,
        pod_requests_per_minute=pod_requests_per_minute,
    )
    check_port_is_free(settings.host, settings.port)
    database = sqlite_file(settings)
    if database is not None:
        _hold_serve_lock(database.parent)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {settings.host}: put TLS in front of the pod.", err=True)
    from pds.server.gunicorn import serve as run_gunicorn

    if settings.provider_url:
        settings, provider = open_provider(settings)
        click.echo(f"Serving the pods of the database at {settings.provider_url}", err=True)
        run_gunicorn(settings, provider=provider)
        return
    settings, pod = open_or_create(settings)
    announce_setup_code(pod)
    run_gunicorn(settings, pod=pod)


def check_port_is_free(host: str, port: int) -> None:
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
        raise cannot_use(folder, exc) from None
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
    existing_sqlite_file(settings)
    store = store_of(settings)
    try:
        before, head = schema_revision(store.engine)
        migrate(store.engine)
    except Exception as exc:  # as in existing_pod: a readable error, not a traceback
        raise cannot_open(settings, exc) from None
    finally:
        store.dispose()
    click.echo(f"schema {before or 'empty'} -> {head}" if before != head else f"schema at {head}")
