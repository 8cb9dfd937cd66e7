"""The `pds` command: set up, run and look after a pod.

Settings come from flags, then PDS_* environment variables, then the config file
(--config, PDS_CONFIG, or <data dir>/pds.toml), then defaults. `pds settings` shows the result.

The pod itself (database, RDF, crypto) is imported by the commands that use it, so that
`pds --help` and `pds --version` answer at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pds.settings import FIELDS, Settings, SettingsError, ensure_secret_key, load_settings

if TYPE_CHECKING:
    from pds.consent import Pod


@dataclasses.dataclass
class Context:
    flags: dict
    config: Path | None

    def settings(self, **more) -> Settings:
        try:
            return load_settings({**self.flags, **more}, config_file=self.config)
        except SettingsError as exc:
            raise click.UsageError(str(exc)) from None


def _help(name: str) -> str:
    return FIELDS[name].metadata["help"] + f" [env: PDS_{name.upper()}]"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=_help("data_dir") + " [default: ./pds-data]",
)
@click.option("--database-url", help=_help("database_url"))
@click.option("--pod", help=_help("pod"))
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="TOML file with settings (keys as in `pds settings`). [env: PDS_CONFIG]",
)
@click.version_option(package_name="vrm-pod")
@click.pass_context
def main(ctx: click.Context, data_dir, database_url, pod, config) -> None:
    """A personal data pod: your profile and preferences, shared with vendors on your terms.

    \b
    Quick start:
      pds serve            # creates ./pds-data, prints a setup code, serves on 127.0.0.1:8000
    Then open the pod, or claim it with the setup code through the owner API (see README).
    """
    # Everything pds writes (database, WAL, exports, keys) is private to the user running it.
    os.umask(0o077)
    ctx.obj = Context({"data_dir": data_dir, "database_url": database_url, "pod": pod}, config)


def _open(settings: Settings, *, create: bool = True) -> Pod:
    """Open the store (migrated) and the pod, with readable errors."""
    from pds.consent import open_pod
    from pds.store import Store, migrate
    from pds.store.engine import schema_revision

    try:
        store = Store.from_url(settings.effective_database_url)
        current, head = schema_revision(store.engine)
        if current != head:
            if not create:
                raise click.ClickException(
                    f"the database schema is at {current or 'nothing'}, this pod needs {head}: "
                    "run `pds migrate`"
                )
            migrate(store.engine)
        return open_pod(
            store,
            settings.pod,
            settings.effective_base_url,
            allow_private_callbacks=settings.allow_private_callbacks,
        )
    except click.ClickException:
        raise
    except Exception as exc:  # connection refused, bad URL, permissions...: say what to check
        raise _cannot_open(settings, exc) from None


def _cannot_open(settings: Settings, exc: Exception) -> click.ClickException:
    return click.ClickException(
        f"cannot open the database {_redacted(settings.effective_database_url)}: {exc}\n"
        "Check --database-url / PDS_DATABASE_URL and that the database server is running."
    )


def _redacted(url: str) -> str:
    from sqlalchemy import exc, make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:  # unparsable: it may still hold a password, so show none of it
        return "(an unreadable URL)"


def _prepare(settings: Settings) -> tuple[Settings, Pod]:
    """Everything `init` does: data directory (0700), secret key (0600), schema, pod."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(settings.data_dir, 0o700)
    settings = ensure_secret_key(settings)
    return settings, _open(settings)


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


@main.command()
@click.option("--base-url", help=_help("base_url"))
@click.option("--demo", is_flag=True, help="Fill the pod with sample profile and preferences.")
@click.pass_obj
def init(ctx: Context, base_url, demo) -> None:
    """Create the data directory, secrets and database; print a setup code."""
    from pds import schemas
    from pds.resources import ResourceExists

    settings, pod = _prepare(ctx.settings(base_url=base_url))
    click.echo(f"Pod {pod.id!r} at {pod.base_url}, data in {settings.data_dir.resolve()}")
    if demo:
        for path, turtle in schemas.sample_documents().items():
            try:
                pod.data.put(path, turtle.encode(), "text/turtle", if_none_match=True)
                click.echo(f"  added sample {path}")
            except ResourceExists:
                click.echo(f"  kept existing {path}")
    _announce_setup_code(pod)


@main.command()
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
    host,
    port,
    base_url,
    workers,
    max_body_bytes,
    trusted_proxies,
    log_level,
    allow_private_callbacks,
) -> None:
    """Run the pod with gunicorn (initialising it on first run).

    The session secret is never a flag (it would show in `ps`): set PDS_SECRET_KEY or leave it
    to the generated <data dir>/secret_key.
    """
    # Start-up creates some 80,000 long-lived objects (imports, the app) that the workers share
    # after the fork: collecting garbage among them now only costs time (about a tenth of the
    # start). The server turns the collector back on once the app is built and frozen.
    gc.disable()
    settings, pod = _prepare(
        ctx.settings(
            host=host,
            port=port,
            base_url=base_url,
            workers=workers,
            max_body_bytes=max_body_bytes,
            trusted_proxies=trusted_proxies,
            log_level=log_level,
            allow_private_callbacks=allow_private_callbacks,
        )
    )
    _announce_setup_code(pod)
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {settings.host}: put TLS in front of the pod.", err=True)
    from pds.server.gunicorn import serve as run_gunicorn

    run_gunicorn(settings, pod)


@main.command("migrate")
@click.pass_obj
def migrate_command(ctx: Context) -> None:
    """Bring the database schema up to date (safe to repeat)."""
    from pds.store import Store, migrate
    from pds.store.engine import schema_revision

    settings = ctx.settings()
    try:
        store = Store.from_url(settings.effective_database_url)
        before, head = schema_revision(store.engine)
        migrate(store.engine)
    except Exception as exc:  # as in _open: a readable error, not a traceback
        raise _cannot_open(settings, exc) from None
    click.echo(f"schema {before or 'empty'} -> {head}" if before != head else f"schema at {head}")


@main.command()
@click.pass_obj
def passwd(ctx: Context) -> None:
    """Set the owner's password (also claims an unclaimed pod)."""
    from pds.consent import ConsentError

    pod = _open(ctx.settings(), create=False)
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        pod.account.set_password(password)
    except ConsentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Password changed.")


@main.group()
def token() -> None:
    """API tokens for scripts (sent as `Authorization: Bearer <token>`)."""


@token.command("create")
@click.argument("name")
@click.pass_obj
def token_create(ctx: Context, name: str) -> None:
    """Create a token called NAME and print it (it is shown only once)."""
    from pds.consent import ConsentError

    pod = _open(ctx.settings(), create=False)
    try:
        created, secret = pod.account.create_token(name)
    except ConsentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {created.id} ({created.name}), shown only this once:", err=True)
    click.echo(secret)


@token.command("list")
@click.pass_obj
def token_list(ctx: Context) -> None:
    """List tokens (never their secrets)."""
    rows = _open(ctx.settings(), create=False).account.list_tokens()
    if not rows:
        click.echo("No tokens. Create one with `pds token create NAME`.")
    for t in rows:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        click.echo(f"{t.id}  {t.name:<24} {state:<18} created {t.created_at:%Y-%m-%d}, {used}")


@token.command("revoke")
@click.argument("token_id")
@click.pass_obj
def token_revoke(ctx: Context, token_id: str) -> None:
    """Revoke the token TOKEN_ID: it stops working at once."""
    from pds.consent import ConsentError

    pod = _open(ctx.settings(), create=False)
    try:
        pod.account.revoke_token(token_id)
    except ConsentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Token {token_id} revoked.")


@main.command("export")
@click.argument("archive", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.pass_obj
def export_command(ctx: Context, archive: Path) -> None:
    """Write the whole pod to ARCHIVE (.tar.gz): data, grants, audit and settings."""
    pod = _open(ctx.settings(), create=False)
    tmp = archive.with_name(archive.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds personal data
    os.fchmod(fd, 0o600)  # a stale .partial left by an interrupted export keeps its old mode
    with (
        os.fdopen(fd, "wb") as out,
        click.progressbar(length=0, label="Exporting", file=sys.stderr) as bar,
    ):
        count = pod.export_archive(out, progress=bar.update)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, archive)
    click.echo(f"Exported {count} resource(s) to {archive} (keep it safe: it holds your data).")


@main.command("import")
@click.argument("archive", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--base-url", help=_help("base_url"))
@click.pass_obj
def import_command(ctx: Context, archive: Path, base_url) -> None:
    """Load ARCHIVE (made by `pds export`) into a new, empty pod. All or nothing."""
    from pds.consent import ArchiveError
    from pds.resources import ResourceError

    _settings, pod = _prepare(ctx.settings(base_url=base_url))
    try:
        with (
            archive.open("rb") as source,
            click.progressbar(length=0, label="Importing", file=sys.stderr) as bar,
        ):
            count = pod.import_archive(source, progress=bar.update)
    except (ArchiveError, ResourceError) as exc:
        raise click.ClickException(f"import refused, nothing was changed: {exc}") from None
    click.echo(f"Imported {count} resource(s) into pod {pod.id!r} at {pod.base_url}.")


@main.group()
def keys() -> None:
    """The pod's signing keys (grants, receipts, status list, notifications)."""


@keys.command("list")
@click.pass_obj
def keys_list(ctx: Context) -> None:
    """List signing keys: the active one signs, retired ones still verify."""
    pod = _open(ctx.settings(), create=False)
    for key in pod.jwks()["keys"]:
        state = "active " if key["kid"] == pod.signing_kid else "retired"
        click.echo(f"{key['kid']}  {state}  {key['alg']}  {key['crv']}  {key['x']}")


@keys.command("rotate")
@click.pass_obj
def keys_rotate(ctx: Context) -> None:
    """Sign with a new key from now on. Grants signed earlier keep working."""
    kid = _open(ctx.settings(), create=False).rotate_keys()
    click.echo(f"New signing key {kid}. Running servers switch to it within 30 seconds.")


@main.command("settings")
@click.pass_obj
def settings_command(ctx: Context) -> None:
    """Show the settings in force (secrets masked) and where each can be set."""
    settings = ctx.settings()
    for name, value in settings.describe().items():
        if name == "database_url" and value:
            value = _redacted(value)  # a password in the URL is as secret as secret_key
        click.echo(f"{name:<16} = {value!r:<40}  # PDS_{name.upper()}")
