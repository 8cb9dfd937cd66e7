"""deploy/Caddyfile at work, on loopback: Caddy in front of a real pod server (as app1) and of a
stand-in server (as app2) whose readiness the test switches.

Only what cannot run here is changed in Caddy's config (adapted from the Caddyfile by Caddy
itself): the addresses it listens on and proxies to, and its certificate issuer (its own local
CA instead of Let's Encrypt). The proxying, the health checks and On-Demand TLS with its ask
endpoint are the file's own.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.packaging.deploy_files import (
    DEPLOY,
    caddy_home,
    compose,
    installed,
    pod_servers,
    run_caddy,
)
from tests.packaging.dockerfile import image, image_env

POD_HOST = "alex.pods.test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StandIn(ThreadingHTTPServer):
    """A pod server that says who it is, records the headers it was sent, and is ready or not
    as the test says."""

    def __init__(self):
        self.ready = True
        self.requests: list[dict[str, str]] = []  # every request but the health checks
        self.probes_while_unready = 0
        super().__init__(("127.0.0.1", 0), _StandInHandler)


class _StandInHandler(BaseHTTPRequestHandler):
    server: StandIn

    def do_GET(self):
        if self.path == "/readyz":
            status = 200 if self.server.ready else 503
            if not self.server.ready:
                self.server.probes_while_unready += 1
        else:
            status = 200
            self.server.requests.append({k.lower(): v for k, v in self.headers.items()})
        body = json.dumps({"stand_in": True}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def https_port() -> int:
    return _free_port()


@pytest.fixture
def pod_server(tmp_path, https_port) -> Iterator[str]:
    """`pds serve` on SQLite, public at https://alex.pods.test:<port>, behind one proxy."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env |= {
        "PDS_DATA_DIR": str(tmp_path / "pod"),
        "PDS_PORT": str(port),
        "PDS_BASE_URL": f"https://{POD_HOST}:{https_port}",
        "PDS_TRUSTED_PROXIES": "1",
        "PDS_WORKERS": "1",
    }
    with (tmp_path / "pod.log").open("wb") as log:
        process = subprocess.Popen(
            [Path(sys.executable).with_name("pds"), "serve"],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        _wait_for_port(port, process, tmp_path / "pod.log")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {seconds} s: {log.read_text()[-3000:]}")


def _loopback_config(tmp_path: Path, https_port: int, app1: str, app2: str) -> Path:
    """deploy/Caddyfile adapted by Caddy, moved onto loopback ports and Caddy's local CA."""
    adapted = run_caddy(
        "adapt",
        "--adapter",
        "caddyfile",
        "--config",
        str(DEPLOY / "Caddyfile"),
        env={"PODS_DOMAIN": POD_HOST.split(".", 1)[1]},
        home=tmp_path,
    )
    assert adapted.returncode == 0, adapted.stderr
    port = image_env(image())["PDS_PORT"]
    app1_name, app2_name = sorted(pod_servers(compose()))
    ask_port = _free_port()
    text = (
        adapted.stdout.replace(f'"{app1_name}:{port}"', f'"{app1}"')
        .replace(f'"{app2_name}:{port}"', f'"{app2}"')
        .replace('"127.0.0.1:5555"', f'"127.0.0.1:{ask_port}"')
        .replace("http://127.0.0.1:5555/", f"http://127.0.0.1:{ask_port}/")
        .replace('":443"', f'"127.0.0.1:{https_port}"')
    )
    config = json.loads(text)
    assert "5555" not in text and "app1" not in text, "the adapted config has changed shape"
    config["admin"] = {"disabled": True}
    config["storage"] = {"module": "file_system", "root": str(tmp_path / "caddy")}
    config["apps"]["http"] |= {"http_port": _free_port(), "https_port": https_port}
    for server in config["apps"]["http"]["servers"].values():
        if server["listen"] == [f"127.0.0.1:{https_port}"]:
            server.setdefault("automatic_https", {})["disable_redirects"] = True
    for policy in config["apps"]["tls"]["automation"]["policies"]:
        policy["issuers"] = [{"module": "internal"}]
    config["apps"]["pki"] = {"certificate_authorities": {"local": {"install_trust": False}}}
    path = tmp_path / "caddy.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def caddy(tmp_path, https_port, pod_server, stand_in) -> Iterator[Path]:
    """Caddy running deploy/Caddyfile; yields its local CA's root certificate."""
    config = _loopback_config(tmp_path, https_port, pod_server, f"127.0.0.1:{stand_in.server_port}")
    env = {"PATH": os.environ["PATH"], **caddy_home(tmp_path / "home")}
    with (tmp_path / "caddy.log").open("wb") as log:
        process = subprocess.Popen(
            [installed("caddy"), "run", "--config", str(config)], env=env, stdout=log, stderr=log
        )
    try:
        _wait_for_port(https_port, process, tmp_path / "caddy.log")
        yield tmp_path / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    finally:
        process.terminate()
        process.wait(timeout=15)


def _get(https_port: int, root: Path, path: str) -> tuple[int, dict]:
    """GET https://alex.pods.test:<port><path> through Caddy, the certificate checked against
    Caddy's root (connecting to loopback: the name resolves nowhere)."""
    context = ssl.create_default_context(cafile=str(root))
    raw = socket.create_connection(("127.0.0.1", https_port), timeout=10)
    connection = http.client.HTTPSConnection(POD_HOST, https_port, timeout=10)
    connection.sock = context.wrap_socket(raw, server_hostname=POD_HOST)
    try:
        connection.request("GET", path, headers={"Host": f"{POD_HOST}:{https_port}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _wait_for_root(root: Path, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not root.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_caddy_gets_a_pod_certificate_on_demand_and_sends_only_to_ready_servers(
    caddy: Path, https_port: int, stand_in: StandIn
):
    _wait_for_root(caddy)
    issuer = f"https://{POD_HOST}:{https_port}"
    # The first request's handshake makes Caddy ask the pod servers, then issue the certificate.
    answers = [_get(https_port, caddy, "/.well-known/pds-configuration") for _ in range(6)]
    assert {status for status, _ in answers} == {200}
    by_pod = [body for _, body in answers if body.get("issuer") == issuer]
    by_stand_in = [body for _, body in answers if body.get("stand_in")]
    assert len(by_pod) + len(by_stand_in) == 6 and by_pod and by_stand_in, answers

    # What a pod server is told of the client: the host it asked for, over https, from where.
    sent = stand_in.requests[-1]
    assert sent["host"] == f"{POD_HOST}:{https_port}"
    assert sent["x-forwarded-proto"] == "https"
    assert sent["x-forwarded-host"] == f"{POD_HOST}:{https_port}"
    assert sent["x-forwarded-for"] == "127.0.0.1"

    stand_in.ready = False
    deadline = time.monotonic() + 15  # health_interval is 5 s
    while stand_in.probes_while_unready == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stand_in.probes_while_unready, "Caddy never checked /readyz again"
    time.sleep(0.2)  # Caddy records the failed check after the answer arrives
    sent_before = len(stand_in.requests)
    answers = [_get(https_port, caddy, "/.well-known/pds-configuration") for _ in range(6)]
    assert [body.get("issuer") for _, body in answers] == [issuer] * 6
    assert len(stand_in.requests) == sent_before, "a server that is not ready got requests"
