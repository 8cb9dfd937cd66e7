"""A provider's pods, from the command line: `pds pods create|list|show|suspend|resume|quota|
setup-code|export|delete`. They work on the database directly (reaching it is the credential);
the admin API (`/admin/pods`) does the same over HTTP with the admin token."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pds.cli.group import Context, main, pod_options
from pds.cli.pods import cannot_open, store_of

if TYPE_CHECKING:
    from pds.consent import PodSummary, Provider


@contextlib.contextmanager
def provider_of(ctx: Context) -> Iterator[Provider]:
    from pds.consent import Provider
    from pds.store.engine import schema_revision

    settings = ctx.settings()
    if not settings.provider_url:
        raise click.ClickException(
            "provider mode is off: set provider_url (PDS_PROVIDER_URL), e.g. "
            "https://{pod}.pods.example, to serve and manage many pods"
        )
    store = store_of(settings)
    try:
        try:
            current, head = schema_revision(store.engine)
            if current != head:
                raise click.ClickException(
                    f"the database schema is at {current or 'nothing'}, this server needs "
                    f"{head}: run `pds migrate`"
                )
            provider = Provider(
                store,
                settings.provider_url,
                default_quota=settings.pod_quota_bytes,
                allow_private_callbacks=settings.allow_private_callbacks,
            )
        except click.ClickException:
            raise
        except Exception as exc:
            raise cannot_open(settings, exc) from None
        yield provider
    finally:
        store.dispose()


def _consent_errors():
    from pds.consent import ConsentError

    return ConsentError


def _show(pod: PodSummary) -> str:
    state = "suspended" if pod.suspended_at else ("claimed" if pod.claimed else "unclaimed")
    quota = f"{pod.quota_bytes:,} bytes" if pod.quota_bytes else "no limit"
    used = f", {pod.used_bytes:,} used" if pod.used_bytes >= 0 else ""
    return f"{pod.name}  {pod.url}  {state}  quota {quota}{used}"


@main.group()
def pods() -> None:
    """A provider's pods (provider mode: provider_url is set)."""


@pods.command("create")
@pod_options
@click.argument("name")
@click.option("--quota", type=click.IntRange(0), help="Storage in bytes (0: no limit).")
@click.pass_obj
def create(ctx: Context, name: str, quota: int | None) -> None:
    """Create the pod NAME and print the setup code its customer claims it with."""
    with provider_of(ctx) as provider:
        try:
            pod, code = provider.create(name, quota_bytes=quota)
        except _consent_errors() as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(_show(pod))
    click.echo(f"setup code (once, 24 hours): {code}")


@pods.command("list")
@pod_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def list_pods(ctx: Context, as_json: bool) -> None:
    """Every pod, by name."""
    with provider_of(ctx) as provider:
        after = ""
        while page := provider.listed(after=after):
            for pod in page:
                if as_json:
                    click.echo(json.dumps(_as_json(pod)))
                else:
                    click.echo(_show(pod))
            after = page[-1].name


def _as_json(pod: PodSummary) -> dict:
    return {
        "name": pod.name,
        "url": pod.url,
        "claimed": pod.claimed,
        "suspended_at": pod.suspended_at.isoformat() if pod.suspended_at else None,
        "quota_bytes": pod.quota_bytes,
    }


def _one(action: str, doc: str):
    @pods.command(action, help=doc)
    @pod_options
    @click.argument("name")
    @click.pass_obj
    def command(ctx: Context, name: str) -> None:
        with provider_of(ctx) as provider:
            try:
                pod = getattr(provider, "get" if action == "show" else action)(name)
            except _consent_errors() as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(_show(pod))

    return command


_one("show", "Show the pod NAME, with the storage it uses.")
_one("suspend", "Suspend the pod NAME: it answers nothing (403) until resumed; nothing is lost.")
_one("resume", "Let the suspended pod NAME answer again.")


@pods.command("quota")
@pod_options
@click.argument("name")
@click.argument("size")
@click.pass_obj
def quota(ctx: Context, name: str, size: str) -> None:
    """Set the storage quota of NAME: SIZE in bytes, 0 for no limit, or `default`."""
    value = None if size == "default" else _bytes(size)
    with provider_of(ctx) as provider:
        try:
            pod = provider.set_quota(name, value)
        except _consent_errors() as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(_show(pod))


def _bytes(size: str) -> int:
    try:
        value = int(size.replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise click.BadParameter(f"{size!r} is not a number of bytes, 0 or `default`")
    return value


@pods.command("setup-code")
@pod_options
@click.argument("name")
@click.pass_obj
def setup_code(ctx: Context, name: str) -> None:
    """A new setup code for the unclaimed pod NAME (the last one stops working)."""
    with provider_of(ctx) as provider:
        try:
            if provider.get(name).claimed:
                raise click.ClickException(f"{name} has an owner already")
            code = provider.open_for_admin(name).account.issue_setup_code()
        except _consent_errors() as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(code)


@pods.command("export")
@pod_options
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def export(ctx: Context, name: str, file: Path) -> None:
    """Export the pod NAME to FILE (`pds import` reads it), suspended or not."""
    if file.exists():
        raise click.ClickException(f"{file} exists: choose a new file name")
    with provider_of(ctx) as provider:
        try:
            with file.open("xb") as out:
                count = provider.export(name, out)
        except _consent_errors() as exc:
            file.unlink(missing_ok=True)
            raise click.ClickException(str(exc)) from None
    click.echo(f"exported {name}: {count} documents to {file}")


@pods.command("delete")
@pod_options
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do it: everything of the pod is deleted for good.")
@click.pass_obj
def delete(ctx: Context, name: str, yes: bool) -> None:
    """Delete the pod NAME and everything of it: documents, grants, audit log, keys."""
    if not yes:
        raise click.ClickException(
            f"deleting {name} cannot be undone: export it first (`pds pods export`), then "
            "run this again with --yes"
        )
    with provider_of(ctx) as provider:
        try:
            rows = provider.delete(name)
        except _consent_errors() as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"deleted {name}: {sum(rows.values())} rows")
