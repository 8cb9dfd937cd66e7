"""The `pds` command as a self-hoster runs it: the installed script, in a subprocess.

Every run gets a clean environment (no PDS_* from the developer's shell) and its own HOME and
working directory, so nothing outside `tmp_path` is read or written.
"""

from __future__ import annotations

import stat
from pathlib import Path

import requests
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pds import schemas
from pds.store import resources as resource_rows
from tests.cli.cli_setup import (
    DEFAULT_BASE_URL,
    SETUP_CODE,
    free_port,
    ok,
    pod_of,
    sqlite_store,
    start_serving,
    stop,
    wait_until_served,
)
from tests.conftest import PASSWORD


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- init -----------------------------------------------------------------------------------------


def test_init_makes_a_private_data_directory_and_prints_a_setup_code_that_claims_the_pod(
    pds, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)

    result = ok(pds("--data-dir", str(data), "init"))

    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    key = (data / "secret_key").read_text().strip()
    assert len(key) >= 32
    assert key not in result.stdout + result.stderr
    assert "Pod 'default' at http://127.0.0.1:8000" in result.stdout
    codes = SETUP_CODE.findall(result.stderr)
    assert len(codes) == 1, result.stderr
    assert not SETUP_CODE.search(result.stdout), "the code belongs on stderr, not in piped output"
    store = sqlite_store(data)
    try:
        with store.read() as conn:
            assert resource_rows.all_rows(conn, "default") == [], "no sample data without --demo"
        owner = pod_of(store).account
        owner.claim(codes[0], PASSWORD)
        owner.verify_password(PASSWORD)
    finally:
        store.dispose()


def test_init_demo_fills_the_pod_and_running_init_again_keeps_key_data_and_owner(pds, tmp_path):
    data = tmp_path / "data"
    first = ok(pds("--data-dir", str(data), "init", "--demo"))
    key = (data / "secret_key").read_text()
    store = sqlite_store(data)
    try:
        pod = pod_of(store)
        for path, turtle in schemas.sample_documents().items():
            assert f"added sample {path}" in first.stdout
            iri = f"{DEFAULT_BASE_URL}/data{path}"
            expected = Graph().parse(data=turtle, format="turtle", publicID=iri)
            assert isomorphic(pod.data.document(path).graph, expected)
        with store.read() as conn:
            rows_before = resource_rows.all_rows(conn, "default")
        owner = pod.account
        owner.claim(SETUP_CODE.search(first.stderr).group(), PASSWORD)

        again = ok(pds("--data-dir", str(data), "init", "--demo"))

        assert (data / "secret_key").read_text() == key
        assert "kept existing /profile" in again.stdout
        assert "kept existing /preferences" in again.stdout
        with store.read() as conn:
            assert resource_rows.all_rows(conn, "default") == rows_before
        owner.verify_password(PASSWORD)
        assert not SETUP_CODE.search(again.stderr), "a claimed pod needs no setup code"
    finally:
        store.dispose()


# -- serve ----------------------------------------------------------------------------------------


def test_setup_code_printed_by_serve_claims_the_pod_over_http(pds, tmp_path):
    data = tmp_path / "data"
    ok(pds("--data-dir", str(data), "init", "--demo"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    process = start_serving(
        *("--data-dir", str(data), "serve", "--port", str(port), "--workers", "1"),
        cwd=tmp_path,
        log=log,
    )
    try:
        status = wait_until_served(process, url, log)
        assert status == {"pod": url, "claimed": False}
        code = SETUP_CODE.search(log.read_text()).group()

        claim = requests.post(
            f"{url}/owner/claim", json={"setup_code": code, "password": PASSWORD}, timeout=10
        )
        assert claim.status_code == 201, claim.text
        created = requests.post(
            f"{url}/owner/tokens", json={"name": "cli test"}, auth=("owner", PASSWORD), timeout=10
        )
        assert created.status_code == 201, created.text
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}
        profile = requests.get(
            f"{url}/data/profile", headers={**bearer, "Accept": "text/turtle"}, timeout=10
        )
        assert profile.status_code == 200, profile.text
        graph = Graph().parse(data=profile.text, format="turtle", publicID=f"{url}/data/profile")
        me = URIRef(f"{url}/data/profile#me")
        assert (me, URIRef("https://schema.org/name"), Literal("Alex Example")) in graph
        again = requests.post(
            f"{url}/owner/claim", json={"setup_code": code, "password": "x" * 12}, timeout=10
        )
        assert again.status_code >= 400, "a setup code works once"
    finally:
        stop(process)
