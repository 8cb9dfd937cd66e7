"""`pds serve` where the port is taken or the pod is already served: one line, at once."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.cli_setup import (
    PDS,
    SETUP_CODE,
    clean_env,
    free_port,
    listing,
    ok,
    one_line_error,
    start_serving,
    stop,
    wait_until_served,
)
from tests.conftest import PASSWORD


@pytest.fixture
def claimed_data_dir(pds, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    ok(pds("--data-dir", str(data), "init"))
    ok(pds("--data-dir", str(data), "passwd", input=f"{PASSWORD}\n"))
    return data


@pytest.fixture
def taken_port():
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def timed(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    began = time.monotonic()
    result = subprocess.run(
        [str(PDS), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(cwd),
        timeout=30,
        check=False,
    )
    return result, time.monotonic() - began


def test_serve_on_a_taken_port_says_which_and_how_to_choose_another_at_once(
    claimed_data_dir, taken_port, tmp_path
):
    before = listing(claimed_data_dir)

    result, took = timed(
        "serve", "--port", str(taken_port), "--data-dir", str(claimed_data_dir), cwd=tmp_path
    )

    error = one_line_error(result)
    assert f"port {taken_port} on 127.0.0.1 is already in use" in error
    assert "--port / PDS_PORT" in error
    assert took < 3, f"took {took:.1f} s: gunicorn's five seconds of retries were not avoided"
    assert not SETUP_CODE.search(result.stdout + result.stderr)
    assert listing(claimed_data_dir) == before


def test_serve_on_a_taken_port_prints_no_setup_code_and_creates_no_data_directory(
    taken_port, tmp_path
):
    data = tmp_path / "data"

    result, _took = timed("serve", "--data-dir", str(data), "--port", str(taken_port), cwd=tmp_path)

    assert f"port {taken_port}" in one_line_error(result)
    assert not SETUP_CODE.search(result.stdout + result.stderr), "a code for a pod not served"
    assert not data.exists()


def test_second_server_of_one_sqlite_data_directory_is_refused_until_the_first_stops(
    claimed_data_dir, tmp_path
):
    first_port, second_port = free_port(), free_port()
    first_log = tmp_path / "first.log"
    first = start_serving(
        *("serve", "--port", str(first_port), "--workers", "2"),
        *("--data-dir", str(claimed_data_dir)),
        cwd=tmp_path,
        log=first_log,
    )
    second = None
    try:
        # Answering means gunicorn has forked its workers: the lock outlived the fork.
        status = wait_until_served(first, f"http://127.0.0.1:{first_port}", first_log)
        assert status["claimed"] is True
        assert not SETUP_CODE.search(first_log.read_text()), "a claimed pod needs no setup code"

        refused, took = timed(
            "serve", "--port", str(second_port), "--data-dir", str(claimed_data_dir), cwd=tmp_path
        )

        error = one_line_error(refused)
        assert f"{claimed_data_dir} is already served by another `pds serve` (pid " in error
        assert "stop that one first" in error
        assert took < 3
        assert wait_until_served(first, f"http://127.0.0.1:{first_port}", first_log) == status

        stop(first)
        second_log = tmp_path / "second.log"
        second = start_serving(
            *("--data-dir", str(claimed_data_dir), "serve", "--port", str(second_port)),
            cwd=tmp_path,
            log=second_log,
        )
        again = wait_until_served(second, f"http://127.0.0.1:{second_port}", second_log)
        assert again == {"pod": f"http://127.0.0.1:{second_port}", "claimed": True}
    finally:
        stop(first)
        if second:
            stop(second)


@pytest.mark.postgresql
def test_several_servers_may_serve_one_postgresql_pod(postgresql_url, postgresql_store, tmp_path):
    pod = f"shared-{secrets.token_hex(4)}"
    base_url = f"https://{pod}.example"
    servers = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"{name}.log"
            process = start_serving(
                *("serve", "--port", str(port), "--workers", "1", "--base-url", base_url),
                *("--database-url", postgresql_url, "--pod", pod),
                *("--data-dir", str(tmp_path / "data")),
                cwd=tmp_path,
                log=log,
            )
            servers.append(process)
            status = wait_until_served(process, f"http://127.0.0.1:{port}", log)
            assert status == {"pod": base_url, "claimed": False}
    finally:
        for process in servers:
            stop(process)
