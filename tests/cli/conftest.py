"""Fixtures of the tests in tests/cli: the `pds` command as a self-hoster runs it."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.cli.cli_setup import PDS, clean_env
from tests.conftest import PG_ADMIN_URL

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


@pytest.fixture
def pod_args(backend: str, tmp_path: Path, request) -> list[str]:
    """Options that name a pod of its own on each backend: a data directory, or a new pod name
    in the shared (migrated) PostgreSQL database, at its own base URL."""
    if backend == "sqlite":
        return ["--data-dir", str(tmp_path / "data")]
    request.getfixturevalue("postgresql_store")  # migrated
    pod = f"cli-{secrets.token_hex(6)}"
    return [
        *("--database-url", request.getfixturevalue("postgresql_url"), "--pod", pod),
        *("--data-dir", str(tmp_path / "data")),
    ]


@pytest.fixture
def empty_postgresql_url(postgresql_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own, with no tables at all."""
    name = f"pds_empty_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder this user cannot write in."""
    if os.geteuid() == 0:  # root writes through permissions, but not into sysfs
        if not Path("/sys/kernel").is_dir():
            pytest.skip("running as root without /sys: no folder is read-only")
        yield Path("/sys")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder
    folder.chmod(0o700)
