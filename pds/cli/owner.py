"""The owner's credentials and the pod's keys: `pds passwd`, `pds token`, `pds keys`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    pass

from pds.cli.group import Context, main, pod_options
from pds.cli.pods import existing_pod


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

    with existing_pod(ctx.settings()) as pod:
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

    with existing_pod(ctx.settings()) as pod:
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
    with existing_pod(ctx.settings()) as pod:
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

    with existing_pod(ctx.settings()) as pod:
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
    with existing_pod(ctx.settings()) as pod:
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
    with existing_pod(ctx.settings()) as pod:
        key = pod.rotate_keys()
    click.echo(
        f"New signing key {key.kid}, published now; it signs from "
        f"{key.signs_from:%Y-%m-%d %H:%M:%S} UTC."
    )
