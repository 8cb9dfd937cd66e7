"""Running the installed `pds` command in a clean environment, for the CLI tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pds.consent import Pod, open_pod
from pds.store import Store, pods
from tests.conftest import CHEAP_HASHER

PDS = Path(sys.executable).parent / "pds"
SETUP_CODE = re.compile(r"\b[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}\b")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    # gunicorn and click look at HOME and COLUMNS: keep them inside the test's directory.
    return {**env, "HOME": str(home), "COLUMNS": "100", **(extra or {})}


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def sqlite_store(data_dir: Path) -> Store:
    return Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")


def pod_of(store: Store, pod_id: str = "default", hasher=CHEAP_HASHER) -> Pod:
    """The pod `pod_id` as stored (at its own base URL), to check what a command did."""
    with store.read() as conn:
        base_url = pods.get(conn, pod_id).base_url
    return open_pod(store, pod_id, base_url, password_hasher=hasher)
