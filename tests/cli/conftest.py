"""Fixtures of the tests in tests/cli: the `pds` command as a self-hoster runs it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.cli_setup import PDS, clean_env

Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def pds(tmp_path: Path) -> Run:
    """Run `pds ARGS...`; returns the finished process (exit code, stdout, stderr)."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return subprocess.run(
            [str(PDS), *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=clean_env(tmp_path, env),
            timeout=60,
            check=False,
        )

    return run
