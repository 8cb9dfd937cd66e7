"""Running the installed `pds` command in a clean environment, for the CLI tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

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


def one_line_error(result: subprocess.CompletedProcess, exit_code: int = 1) -> str:
    """The error a command stopped with: one line on stderr, no traceback, a non-zero exit."""
    assert result.returncode == exit_code, (
        f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr
    error = result.stderr.strip()
    assert error.startswith("Error: "), result.stderr
    assert "\n" not in error, f"more than one line:\n{result.stderr}"
    return error


def listing(folder: Path) -> list[tuple[str, int]] | None:
    """Every file and folder under `folder` with its size; None if `folder` does not exist."""
    if not folder.exists():
        return None
    return sorted(
        (str(path.relative_to(folder)), 0 if path.is_dir() else path.stat().st_size)
        for path in folder.rglob("*")
    )


def sqlite_store(data_dir: Path) -> Store:
    return Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")


def pod_of(store: Store, pod_id: str = "default", hasher=CHEAP_HASHER) -> Pod:
    """The pod `pod_id` as stored (at its own base URL), to check what a command did."""
    with store.read() as conn:
        base_url = pods.get(conn, pod_id).base_url
    return open_pod(store, pod_id, base_url, password_hasher=hasher)


# -- a running `pds serve` ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serving(*args: str, cwd: Path, log: Path) -> subprocess.Popen:
    """`pds ARGS...` (a `serve`) in the background, in its own process group, output to `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(PDS), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=clean_env(cwd),
            start_new_session=True,
        )


def wait_until_served(process: subprocess.Popen, url: str, log: Path) -> dict:
    """What the pod at `url` says of its owner, once it answers."""
    deadline = time.monotonic() + 15
    while True:
        assert process.poll() is None, f"pds serve exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"pds serve did not answer:\n{log.read_text()}"
        try:
            return requests.get(f"{url}/owner", timeout=1).json()
        except requests.ConnectionError:
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn's master and workers (their own process group), however the test went."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
