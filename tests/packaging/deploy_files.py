"""Reading compose.yaml, the env file examples and the systemd unit as compose and systemd do,
without either of them."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.packaging.dockerfile import ROOT

COMPOSE = ROOT / "compose.yaml"
DEPLOY = ROOT / "deploy"
PROVIDER_ENV = DEPLOY / "provider.env.example"
UNIT = DEPLOY / "pds.service"
SELFHOST_ENV = DEPLOY / "pds.env.example"


# -- the tools that check the files ---------------------------------------------------------------


def installed(name: str) -> str:
    """A checker's path; skips the test where it is missing, but fails it in CI."""
    beside = Path(sys.executable).with_name(name)  # installed by a wheel of the test extra
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (pip install -e .[test]); CI must check this")
        pytest.skip(f"{name} is not installed")
    return found


def run_caddy(*args: str, env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """`caddy ARGS` with only `env` (the Caddyfile's variables), keeping its state in `home`."""
    return subprocess.run(
        [installed("caddy"), *args],
        env={"PATH": os.environ["PATH"], **caddy_home(home), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def caddy_home(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}


# -- compose ------------------------------------------------------------------------------------


class MissingVariable(KeyError):
    """A `${NAME:?message}` whose variable is unset or empty: compose refuses to start."""


# $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}, $NAME
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>\w+))"
)


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """A compose value with its variables replaced as `docker compose` does."""

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"] or match["bare"], match["op"] or "", match["arg"]
        have = env.get(name)
        unset = have is None or (op.startswith(":") and have == "")
        if op.endswith("-"):
            return arg if unset else have
        if op.endswith("?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        return have or ""

    return _VARIABLE.sub(one, value)


def variables(value: str) -> list[re.Match[str]]:
    return [m for m in _VARIABLE.finditer(value) if not m["escaped"]]


def compose() -> dict[str, Any]:
    """compose.yaml as compose reads it (YAML merge keys applied), before interpolation."""
    return yaml.safe_load(COMPOSE.read_text())


def environment(service: dict[str, Any], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A service's environment; interpolated with `env` when given."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    values = {name: str(value) for name, value in raw.items()}
    if env is None:
        return values
    return {name: interpolate(value, env) for name, value in values.items()}


def pod_servers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the image's own command: `pds serve`."""
    return {
        name: service
        for name, service in spec["services"].items()
        if service.get("build") == "." and "command" not in service
    }


def env_file(path: Path) -> dict[str, str]:
    """NAME=value lines, as compose reads .env and systemd an EnvironmentFile (no quoting)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"{path.name}: not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values


# -- the systemd unit ---------------------------------------------------------------------------


def unit_entries(path: Path = UNIT) -> list[tuple[str, str, str]]:
    """(section, key, value) in order: keys such as Environment= may repeat."""
    entries, section = [], ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_value(key: str, path: Path = UNIT) -> str | None:
    values = [value for _, k, value in unit_entries(path) if k == key]
    return values[-1] if values else None


def unit_environment(path: Path = UNIT) -> dict[str, str]:
    env: dict[str, str] = {}
    for _, key, value in unit_entries(path):
        if key == "Environment":
            env |= dict(item.split("=", 1) for item in shlex.split(value))
    return env


def unit_exec_start(path: Path = UNIT) -> list[str]:
    value = unit_value("ExecStart", path)
    assert value, f"{path.name} has no ExecStart="
    return shlex.split(value.lstrip("-@:+!"))
