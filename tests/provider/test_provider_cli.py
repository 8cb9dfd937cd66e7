"""`pds pods ...` and `pds serve` in provider mode, as a provider's operator runs them."""

from __future__ import annotations

import re
import tarfile
import time

import requests

from tests.cli.cli_setup import SETUP_CODE, free_port, ok, one_line_error, start_serving, stop
from tests.cli.conftest import pds  # noqa: F401 - the fixture
from tests.conftest import PASSWORD


def test_pods_commands_on_each_backend(pds, backend, tmp_path, request):  # noqa: F811
    if backend == "sqlite":
        where = ["--data-dir", str(tmp_path / "data")]
        ok(pds("migrate", *where)) if (tmp_path / "data").exists() else ok(pds("init", *where))
    else:
        request.getfixturevalue("postgresql_store")
        where = ["--database-url", request.getfixturevalue("postgresql_url")]
    env = {"PDS_PROVIDER_URL": "https://{pod}.pods.example"}
    name = f"cli{int(time.time() * 1000) % 10**9}"
    created = ok(pds("pods", "create", name, "--quota", "5000", *where, env=env))
    assert f"https://{name}.pods.example" in created.stdout
    assert SETUP_CODE.search(created.stdout)
    assert name in ok(pds("pods", "list", *where, env=env)).stdout
    assert "suspended" in ok(pds("pods", "suspend", name, *where, env=env)).stdout
    assert "unclaimed" in ok(pds("pods", "resume", name, *where, env=env)).stdout
    shown = ok(pds("pods", "quota", name, "0", *where, env=env)).stdout
    assert "no limit" in shown
    assert SETUP_CODE.fullmatch(ok(pds("pods", "setup-code", name, *where, env=env)).stdout.strip())
    ok(pds("pods", "export", name, str(tmp_path / "out.tar.gz"), *where, env=env))
    with tarfile.open(tmp_path / "out.tar.gz") as archive:
        assert "manifest.json" in archive.getnames()
    refused = one_line_error(pds("pods", "delete", name, *where, env=env))
    assert "--yes" in refused
    ok(pds("pods", "delete", name, "--yes", *where, env=env))
    gone = one_line_error(pds("pods", "show", name, *where, env=env))
    assert name in gone
    assert "reserved" in one_line_error(
        pds("pods", "create", "admin", *where, env=env)
    ) or "provider" in one_line_error(pds("pods", "create", "admin", *where, env=env))
    off = one_line_error(pds("pods", "list", *where))
    assert "provider_url" in off


def test_serve_in_provider_mode(pds, tmp_path):  # noqa: F811
    port = free_port()
    data = tmp_path / "data"
    settings = tmp_path / "pds.toml"
    settings.write_text(
        f'provider_url = "http://127.0.0.1:{port}/pods/{{pod}}"\n'
        f'admin_token = "{"a" * 40}"\nport = {port}\nworkers = 2\n'
        f'data_dir = "{data}"\n'
    )
    log = tmp_path / "serve.log"
    server = start_serving("serve", "--config", str(settings), cwd=tmp_path, log=log)
    try:
        admin = {"Authorization": "Bearer " + "a" * 40}
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, log.read_text()
            try:
                listed = requests.get(
                    f"http://127.0.0.1:{port}/admin/pods", headers=admin, timeout=2
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert listed.status_code == 200 and listed.json()["pods"] == []
        made = requests.post(
            f"http://127.0.0.1:{port}/admin/pods", json={"name": "alice"}, headers=admin, timeout=5
        )
        assert made.status_code == 201, made.text
        url = made.json()["url"]
        assert url == f"http://127.0.0.1:{port}/pods/alice"
        claimed = requests.post(
            f"{url}/owner/claim",
            json={"setup_code": made.json()["setup_code"], "password": PASSWORD},
            timeout=5,
        )
        assert claimed.status_code == 201, claimed.text
        # Every worker serves the pod made through one of them.
        for _ in range(6):
            status = requests.get(f"{url}/owner", timeout=5)
            assert status.json() == {"pod": url, "claimed": True}
        page = requests.get(f"{url}/app/sign-in", timeout=5)
        assert page.status_code == 200
        # Every link of the page stays under the pod's prefix.
        links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page.text)
        assert links and all(link.startswith("/pods/alice/") for link in links), links
    finally:
        stop(server)
