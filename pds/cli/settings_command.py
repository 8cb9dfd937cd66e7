"""`pds settings`: the settings in force, as TOML, with where each came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pds.settings import (
    as_toml,
)

if TYPE_CHECKING:
    pass

from pds.cli.group import Context, main, pod_options


@main.command("settings")
@pod_options
@click.pass_obj
def settings_command(ctx: Context) -> None:
    """Print the settings in force as a config file, and where each value came from.

    Secrets are never printed. The output is TOML that `pds --config FILE` reads back:
    `pds settings > pds.toml`.
    """
    click.echo(as_toml(ctx.resolve()), nl=False)
