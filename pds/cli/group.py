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

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pds.settings import (
    FIELDS,
    Resolved,
    Settings,
    SettingsError,
    default_text,
    env_name,
    resolve_settings,
)

if TYPE_CHECKING:
    pass

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


def help_of(name: str) -> str:
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
            help=help_of("data_dir"),
            **shared,
        ),
        click.option("--database-url", metavar="URL", help=help_of("database_url"), **shared),
        click.option("--pod", metavar="NAME", help=help_of("pod"), **shared),
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
