"""The `pds` command: set up, run and look after a pod (see `pds.cli.group` for the rules every
command follows). Each module adds its commands to the `main` group when imported."""

from pds.cli import backup, moving, owner, provider, relay, serving, settings_command
from pds.cli.group import main

__all__ = ["backup", "main", "moving", "owner", "provider", "relay", "serving", "settings_command"]
