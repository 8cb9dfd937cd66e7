"""`pds serve` as an operator runs it: two worker processes whose metrics /metrics sums, and
JSON log lines that carry request ids and none of what a request must not leave in a log."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import subprocess
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.cli_setup import (
    PDS,
    SETUP_CODE,
    clean_env,
    free_port,
    ok,
    pod_of,
    sqlite_store,
    stop,
    wait_until_served,
)
from tests.conftest import PASSWORD

ACCESS_FIELDS = {"method", "route", "path", "status", "duration_ms"}
SCHEMA = "https://schema.org/"
LINE_FIELDS = {"time", "level", "logger", "message", "pid", "request_id"}


def claimed_pod(pds, data: Path) -> None:
    """A pod with an owner: `pds serve` then prints no setup code (plain text) on stderr."""
    code = SETUP_CODE.findall(ok(pds("--data-dir", str(data), "init")).stderr)[0]
    store = sqlite_store(data)
    try:
        pod_of(store).account.claim(code, PASSWORD)
    finally:
        store.dispose()


def access_lines(stderr: Path) -> dict[str, dict]:
    """The access log lines written so far, by request id."""
    lines = [json.loads(line) for line in stderr.read_text().splitlines() if line.strip()]
    return {line["request_id"]: line for line in lines if line["logger"] == "pds.access"}


def test_two_workers_sum_their_metrics_and_log_json_lines_with_no_secret_in_them(pds, tmp_path):
    data, scratch = tmp_path / "data", tmp_path / "tmp"
    scratch.mkdir()
    claimed_pod(pds, data)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = clean_env(tmp_path, {"PDS_LOG_FORMAT": "json", "TMPDIR": str(scratch)})
    command = [str(PDS), "--data-dir", str(data), "serve", "--port", str(port), "--workers", "2"]
    with stdout.open("w") as out, stderr.open("w") as err:
        server = subprocess.Popen(
            command, stdout=out, stderr=err, cwd=tmp_path, env=env, start_new_session=True
        )
    private_value = f"Alex {secrets.token_hex(6)}"
    query_value = f"filter-{secrets.token_hex(6)}"
    try:
        wait_until_served(server, url, stderr)
        assert next(scratch.iterdir()).name.startswith("pds-metrics-")
        minted = requests.post(
            f"{url}/owner/tokens", json={"name": "ops"}, auth=("owner", PASSWORD), timeout=10
        )
        token = minted.json()["token"]
        owner = {"Authorization": f"Bearer {token}"}
        written = requests.put(
            f"{url}/data/profile?note={query_value}",
            data=f'<#me> a <{SCHEMA}Person> ; <{SCHEMA}name> "{private_value}" .',
            headers={**owner, "Content-Type": "text/turtle", "X-Request-Id": "put-profile-1"},
            timeout=10,
        )
        assert written.status_code == 201, written.text
        read = requests.get(f"{url}/data/profile?q={query_value}", headers=owner, timeout=10)
        assert private_value in read.text
        echoed = {"put-profile-1": "/data/<anypath:_subpath>"}
        assert written.headers["X-Request-Id"] == "put-profile-1"
        echoed[read.headers["X-Request-Id"]] = "/data/<anypath:_subpath>"

        # Fresh connections, until both workers have answered some.
        sent: list[str] = []
        while len(sent) < 10 or len({access_lines(stderr)[r]["pid"] for r in sent}) < 2:
            assert len(sent) < 200, "one worker answered every request"
            # A worker writes the line before the response leaves: it is there when read.
            response = requests.get(
                f"{url}/healthz", headers={"X-Request-Id": f"h{len(sent)}"}, timeout=10
            )
            sent.append(response.headers["X-Request-Id"])
        metrics = requests.get(f"{url}/metrics", timeout=10)
    finally:
        stop(server)

    samples = {
        (s.name, s.labels.get("method"), s.labels.get("route"), s.labels.get("status")): s.value
        for family in text_string_to_metric_families(metrics.text)
        for s in family.samples
    }
    requests_total = "pds_http_requests_total"
    assert samples[(requests_total, "GET", "/healthz", "2xx")] == len(sent)
    assert samples[(requests_total, "PUT", "/data/<anypath:_subpath>", "2xx")] == 1
    assert samples[(requests_total, "GET", "/data/<anypath:_subpath>", "2xx")] == 1

    text = stderr.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line, or this raises
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "pds.access"}
    for line in lines:
        assert set(line) <= LINE_FIELDS | ACCESS_FIELDS, line
        at = dt.datetime.fromisoformat(line["time"])
        assert line["time"].endswith("Z") and at.utcoffset() == dt.timedelta(0)
    logged = access_lines(stderr)
    for request_id, route in {**echoed, **dict.fromkeys(sent, "/healthz")}.items():
        assert logged[request_id]["route"] == route
        assert "path" not in logged[request_id], "a route was matched: no path"
    assert logged["put-profile-1"]["method"] == "PUT"
    assert logged["put-profile-1"]["status"] == 201
    everything = text + stdout.read_text()
    for secret in (token, PASSWORD, query_value, private_value):
        assert secret not in everything
    assert list(scratch.iterdir()) == [], "the metrics directory goes with the server"
