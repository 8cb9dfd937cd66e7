"""Owner writes: the bare app, claiming the pod, wrk runs (bench/put.lua), after-run checks."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from pathlib import Path

import requests
import sqlalchemy as sa
from common import HERE, PROFILE, BenchError
from measure import CPUMeter, wait_for_quiet
from rdflib import Graph
from rdflib.compare import isomorphic
from servers import PASSWORD, Pod, free_port, wait_until_up

LUA = HERE / "put.lua"
DATA_PATH = "/data" + PROFILE
CONNECTIONS, THREADS = 8, 2


class BareApp:
    """bench/bare_app.py: minimal_app's gunicorn settings, PUT parses and answers 204."""

    def __init__(self, workdir: Path, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.args = [
            sys.executable, str(HERE / "bare_app.py"),
            "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        self.workdir, self.log_file = workdir, workdir / "bare.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        wait_until_up(self.base + "/", self.proc, self.log_file)


def owner_token(pod: Pod) -> str:
    """Claim the pod with the setup code `pds serve` printed; a new owner API token. Not
    Pod.setup(): its vendor grant on /profile would add a change notice to every write."""
    codes = re.findall(r"\b[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}\b", pod.log_file.read_text())
    if not codes:
        raise BenchError(f"no setup code in the pod's output:\n{pod.log_file.read_text()}")
    r = requests.post(
        pod.base + "/owner/claim", json={"setup_code": codes[-1], "password": PASSWORD}, timeout=30
    )
    expect(r, 201, "claim")
    r = requests.post(
        pod.base + "/owner/tokens", json={"name": "bench"}, auth=("owner", PASSWORD), timeout=30
    )
    expect(r, 201, "owner token")
    return r.json()["token"]


def expect(r: requests.Response, status: int, what: str) -> None:
    if r.status_code != status:
        raise BenchError(f"{what}: {r.status_code} {r.text[:500]}")


def run_wrk(base: str, workdir: Path, seconds: float, during: list) -> dict:
    """wrk -t2 -c8 with bench/put.lua, inside the context managers `during`."""
    bodies = sorted(str(p) for p in workdir.glob("body-*.ttl"))
    cmd = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{int(seconds)}s", "--timeout", "5s",
        "-s", str(LUA), base + DATA_PATH, "--", str(workdir / "auth.txt"), DATA_PATH, *bodies,
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        for manager in during:
            stack.enter_context(manager)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("BENCH_JSON ") :])


def measure_put(name: str, base: str, master: int, workdir: Path, seconds: float, pg=None) -> dict:
    wait_for_quiet()
    cpu = CPUMeter(master, pg)
    raw = run_wrk(base, workdir, seconds, [cpu])
    e, secs = raw["errors"], raw["duration_us"] / 1e6
    return {
        "target": name,
        "rps": raw["ok"] / secs,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "ok": raw["ok"],
        "not_2xx": raw["not_ok"],
        "socket_errors": e["connect"] + e["read"] + e["write"] + e["timeout"],
        "statuses": raw["statuses"],
        "cpu_ms_per_request": (cpu.result["server_cpu_s"] + cpu.result["postgres_cpu_s"])
        * 1000
        / max(raw["requests"], 1),
        "other_load": cpu.result["other_load"],
        "wrk": raw,
        "cpu": cpu.result,
    }


def check_stored(pod: Pod, token: str, bodies: list[str]) -> dict:
    """GET the profile as the owner: 200, Turtle, and the graph of one of the bodies sent."""
    url = pod.base + DATA_PATH
    r = requests.get(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "text/turtle"}, timeout=30
    )
    ctype = r.headers.get("Content-Type", "")
    result = {"status": r.status_code, "content_type": ctype, "intact": False}
    if r.status_code == 200 and ctype.startswith("text/turtle"):
        stored = Graph().parse(data=r.content, format="turtle", publicID=url)
        sent = [Graph().parse(data=b, format="turtle", publicID=url) for b in bodies]
        result["triples"] = len(stored)
        result["intact"] = any(isomorphic(stored, g) for g in sent)
    return result


def write_events_since(pod: Pod, mark: int) -> int:
    query = "SELECT count(*) FROM audit_events WHERE id > :m AND action = 'data.write'"
    with pod.engine.connect() as conn:
        return conn.execute(sa.text(query), {"m": mark}).scalar()
