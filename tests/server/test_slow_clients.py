"""Slow clients cannot starve the pod: `pds serve` (which the image runs) with its default two
workers keeps answering while 200 connections drip their headers or bodies a byte at a time."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.cli.cli_setup import PDS, clean_env
from tests.conftest import free_base_url
from tests.server.slow_clients import BODIES, HEADERS, check_not_starved


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pod_url(backend: str, tmp_path: Path, request, pod_name: str) -> Iterator[str]:
    """A real `pds serve` (defaults: 2 workers) on a free loopback port."""
    port = _free_port()
    argv = [str(PDS), "--data-dir", str(tmp_path / "data")]
    if backend == "postgresql":
        argv += ["--database-url", request.getfixturevalue("postgresql_url"), "--pod", pod_name]
        free_base_url(request.getfixturevalue("postgresql_store"), f"http://127.0.0.1:{port}")
    argv += ["serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=clean_env(tmp_path), stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"pds serve exited:\n{log.read_text()}"
            try:
                requests.get(url + "/.well-known/pds-configuration", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, f"pds serve did not answer:\n{log.read_text()}"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_connections_dripping_headers_do_not_delay_other_requests(pod_url: str):
    check_not_starved(pod_url, *HEADERS)


def test_connections_dripping_bodies_do_not_delay_other_requests(pod_url: str):
    check_not_starved(pod_url, *BODIES)
