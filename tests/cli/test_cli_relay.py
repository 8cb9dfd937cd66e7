"""`pds relay` serves an intent relay, configured by flags or PDS_RELAY_* variables."""

from __future__ import annotations

import socket
import subprocess
import time

import requests

from tests.cli.cli_setup import PDS, clean_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pds_relay_serves_discovery_from_its_environment(tmp_path):
    port = _free_port()
    env = clean_env(tmp_path, {"PDS_RELAY_PORT": str(port), "PDS_RELAY_WORKERS": "1"})
    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(PDS), "relay", "--data-dir", str(tmp_path / "relay")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                found = requests.get(f"http://127.0.0.1:{port}/.well-known/intent-relay", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert found.status_code == 200
        assert found.json()["relay"] == f"http://127.0.0.1:{port}"
        assert (tmp_path / "relay" / "relay.sqlite3").is_file()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_pds_relay_on_a_taken_port_says_so_at_once(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [str(PDS), "relay", "--port", str(port), "--data-dir", str(tmp_path / "r")],
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode != 0
    assert str(port) in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 5
