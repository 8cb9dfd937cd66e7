"""`pds relay`: run an intent relay (docs/relay.md), a server of its own beside any pod."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pds.cli.group import main
from pds.cli.serving import check_port_is_free

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@main.command(context_settings={"auto_envvar_prefix": "PDS_RELAY", "show_default": True})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("relay-data"),
    help="Where the relay keeps its SQLite database (without --database-url). "
    "[env: PDS_RELAY_DATA_DIR]",
)
@click.option(
    "--database-url",
    default="",
    metavar="URL",
    help="postgresql+psycopg://... for an operator; empty: SQLite in the data directory. "
    "[env: PDS_RELAY_DATABASE_URL]",
)
@click.option(
    "--base-url",
    default="",
    metavar="URL",
    help="The relay's public URL, as pods and vendors write it; empty: http://<host>:<port>. "
    "[env: PDS_RELAY_BASE_URL]",
)
@click.option("--host", default="127.0.0.1", help="Address to listen on. [env: PDS_RELAY_HOST]")
@click.option("--port", default=8100, type=click.IntRange(1, 65535), help="[env: PDS_RELAY_PORT]")
@click.option("--workers", default=2, type=click.IntRange(1, 64), help="[env: PDS_RELAY_WORKERS]")
@click.option(
    "--allow-private-callbacks",
    is_flag=True,
    help="Let pods and vendors on private addresses and plain http take part (development "
    "only). [env: PDS_RELAY_ALLOW_PRIVATE_CALLBACKS]",
)
@click.option(
    "--trusted-proxies",
    default=0,
    type=click.IntRange(0, 10),
    help="Reverse proxies whose X-Forwarded-For/-Proto to trust. [env: PDS_RELAY_TRUSTED_PROXIES]",
)
@click.option("--log-level", default="INFO", metavar="LEVEL", help="[env: PDS_RELAY_LOG_LEVEL]")
def relay(
    data_dir: Path,
    database_url: str,
    base_url: str,
    host: str,
    port: int,
    workers: int,
    allow_private_callbacks: bool,
    trusted_proxies: int,
    log_level: str,
) -> None:
    """Run an intent relay: pods announce intents to it, vendors find them in its feed or by
    subscription, and offers reach the pods through it without vendors learning which pod."""
    from pds.relay import RelaySettings, run_relay

    check_port_is_free(host, port)
    if not database_url:
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise click.ClickException(
                f"cannot make the data directory {data_dir}: {exc}"
            ) from None
    if host not in LOOPBACK:
        click.echo(f"Warning: listening on {host}: put TLS in front of the relay.", err=True)
    os.umask(0o077)
    run_relay(
        RelaySettings(
            data_dir=data_dir,
            database_url=database_url,
            base_url=base_url,
            host=host,
            port=port,
            workers=workers,
            allow_private_callbacks=allow_private_callbacks,
            trusted_proxies=trusted_proxies,
            log_level=log_level.upper(),
        )
    )
