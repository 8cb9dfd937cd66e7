"""Benchmark of authorized vendor reads: `GET /data/profile` with a DPoP-bound grant.

    .venv/bin/python bench/run.py                       # both backends, 12 s per measurement
    .venv/bin/python bench/run.py --quick               # a smoke run (4 s per measurement)
    .venv/bin/python bench/run.py --repeat 3            # three rounds, then the medians
    .venv/bin/python bench/run.py --backends sqlite --profile   # and where the time goes

For each backend: a fresh data dir (and PostgreSQL database), `pds init`, `pds serve --workers 2`
(gunicorn, 2 sync workers), claim, owner token, PUT the sample profile, a vendor asks through
vendor_client for read on /profile (all fields), the owner approves. Then wrk (bench/proofs.lua)
at concurrency 1 (-t1 -c1) and 32 (-t2 -c32), each request with its own fresh DPoP proof, made
just before the run. The same runs against bench/minimal_app.py (the same checks, no database)
give the floor. See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
PDS = str(VENV_BIN / "pds")
PY_SPY = str(VENV_BIN / "py-spy")
LUA = HERE / "proofs.lua"
PG_ADMIN_URL = os.environ.get(
    "PDS_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench: correct horse battery staple"  # noqa: S105 (a throwaway pod's)
PURPOSE = "https://w3id.org/dpv#ServiceProvision"
PROFILE = "/profile"
PROOF_MAX_AGE = 60  # the pod accepts a proof this many seconds after its iat
PROOF_BUDGET = 55  # generation + run must end this soon after the first proof's iat
MAX_NOT_OK = 0.005  # more than 0.5 % of responses not 200 fails the benchmark
CONCURRENCY = ((1, 1), (32, 2))  # (connections, wrk threads)
TARGETS = {"rps": 1000.0, "p99_ms": 60.0, "fraction": 0.8, "rss_mb": 80.0}


def _source() -> Path:
    """--source DIR: benchmark the pds/ and vendor_client/ in DIR (say, a `git archive` of a
    commit) instead of this work tree. Read before the imports below."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--source", type=Path, default=ROOT)
    return pre.parse_known_args()[0].source.resolve()


SOURCE = _source()
sys.path.insert(0, str(SOURCE))
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])),
}
from pds import schemas  # noqa: E402
from vendor_client import DPoPAuth, PodClient, VendorKey, make_proof  # noqa: E402


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log_file: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}):\n{log_file.read_text()[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise BenchError(f"server not up after {timeout} s:\n{log_file.read_text()[-3000:]}")


def stop(proc: subprocess.Popen | None) -> None:
    """TERM the gunicorn master we started; KILL its own process group if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the session started for this server only
        proc.wait(timeout=5)


# -- processes and memory ----------------------------------------------------------------------


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry))
    return sorted(out)


def rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


class CPUMeter:
    """CPU seconds used while the block runs: the server (master + workers), PostgreSQL (this
    pod's backends and the server's own background processes), wrk, and everything else on
    the machine (load from other processes makes a run noisy)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, master: int, postgres_pids=None):
        self.master = master
        self.postgres_pids = postgres_pids or (lambda: set())
        self.result: dict[str, float] = {}

    @staticmethod
    def _machine_busy() -> int:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait

    @staticmethod
    def _ticks(pids) -> dict[int, tuple[int, int]]:
        out = {}
        for pid in pids:
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                rest = stat[stat.rindex(")") + 2 :].split()
                out[pid] = (int(rest[11]), int(rest[12]))  # utime, stime
        return out

    def _snapshot(self) -> tuple[dict, dict]:
        server = self._ticks({self.master, *children(self.master)})
        return server, self._ticks(self.postgres_pids())

    def __enter__(self) -> CPUMeter:
        self._start = (time.monotonic(), self._machine_busy(), self._snapshot(), _children_cpu())
        return self

    def __exit__(self, *exc) -> None:
        t0, busy0, (server0, pg0), kids0 = self._start
        elapsed = time.monotonic() - t0
        busy = (self._machine_busy() - busy0) / self.TICK
        server1, pg1 = self._snapshot()

        def used(before: dict, after: dict, part: int | None = None) -> float:
            total = 0
            for pid, ticks in after.items():  # a process that started meanwhile counts whole
                old = before.get(pid, (0, 0))
                parts = (0, 1) if part is None else (part,)
                total += sum(ticks[i] - old[i] for i in parts)
            return total / self.TICK

        server, postgres = used(server0, server1), used(pg0, pg1)
        wrk = _children_cpu() - kids0  # wrk is the only child waited for meanwhile
        self.result = {
            "seconds": round(elapsed, 2),
            "machine_busy_share": round(busy / (elapsed * (os.cpu_count() or 1)), 3),
            "server_cpu_s": round(server, 2),
            "server_user_s": round(used(server0, server1, 0), 2),
            "server_system_s": round(used(server0, server1, 1), 2),
            "postgres_cpu_s": round(postgres, 2),
            "wrk_cpu_s": round(wrk, 2),
            "other_cpu_s": round(max(busy - server - postgres - wrk, 0.0), 2),
            "other_load": round(
                max(busy - server - postgres - wrk, 0.0) / (elapsed * (os.cpu_count() or 1)), 3
            ),
        }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class RSSSampler:
    """Samples VmRSS of each worker every `interval` s in a thread; keeps each worker's max."""

    def __init__(self, master: int, interval: float = 0.2):
        self.master, self.interval = master, interval
        self.peak: dict[int, float] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        workers = children(self.master)
        while not self._stop.is_set():
            for pid in workers:
                value = rss_mb(pid)
                if value is None:  # a worker was replaced: look again
                    workers = children(self.master)
                    break
                self.peak[pid] = max(self.peak.get(pid, 0.0), value)
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RSSSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def idle_rss(master: int) -> dict[int, float]:
    return {pid: rss_mb(pid) or 0.0 for pid in children(master)}


# -- proofs --------------------------------------------------------------------------------------


def _proof_chunk(job: tuple[bytes, str, str, int]) -> list[str]:
    pem, url, token, count = job
    key = VendorKey.from_pem(pem)
    return [make_proof(key, "GET", url, token) for _ in range(count)]


def write_proofs(path: Path, key_pem: bytes, url: str, token: str, count: int) -> float:
    """`count` fresh proofs (vendor_client.make_proof), one per line; returns the first iat."""
    first_iat = float(int(time.time()))  # make_proof truncates iat to whole seconds
    jobs = 4
    per = [count // jobs + (1 if i < count % jobs else 0) for i in range(jobs)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(min(jobs, os.cpu_count() or 1)) as pool:
        chunks = pool.map(_proof_chunk, [(key_pem, url, token, n) for n in per if n])
    lines = [p for chunk in chunks for p in chunk]
    if len(set(lines)) != len(lines):
        raise BenchError("proof generation made duplicates")
    path.write_text("\n".join(lines) + "\n")
    return first_iat


# -- wrk -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class Vendor:
    key: VendorKey
    token: str


def run_wrk(
    base: str,
    vendor: Vendor,
    workdir: Path,
    *,
    connections: int,
    threads: int,
    duration: float,
    proofs: int,
    during: list | None = None,
) -> dict:
    """Make the proofs, then run wrk inside the context managers `during` (samplers)."""
    url = base + "/data" + PROFILE
    proofs_file = workdir / f"proofs-{connections}-{secrets.token_hex(3)}.txt"
    grant_file = workdir / "grant.txt"
    grant_file.write_text(vendor.token + "\n")
    started = time.time()
    first_iat = write_proofs(proofs_file, vendor.key.to_pem(), url, vendor.token, proofs)
    generated = time.time() - started
    if time.time() + duration + 2 > first_iat + PROOF_BUDGET:
        raise BenchError(
            f"{proofs} proofs took {generated:.1f} s to make: with a {duration} s run the first "
            f"ones would be older than the pod accepts ({PROOF_MAX_AGE} s): use a shorter "
            "--duration."
        )
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "5s",
        "-s", str(LUA), url,
        "--", str(proofs_file), str(threads), str(grant_file), "/data" + PROFILE,
    ]  # fmt: skip
    with contextlib.ExitStack() as stack:
        for manager in during or []:
            stack.enter_context(manager)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    proofs_file.unlink()
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("BENCH_JSON ") :])
    result["proofs_made"] = proofs
    result["proof_seconds"] = round(generated, 2)
    result["oldest_proof_age_at_end_s"] = round(time.time() - first_iat, 1)
    return result


NOISE = {"max_other_load": 0.10, "retries": 2, "quiet_wait": 120.0}  # from the command line


def wait_for_quiet() -> float:
    """Wait (up to NOISE["quiet_wait"] s) until the machine's CPUs are mostly idle for 2 s:
    our servers are idle between runs, so what is busy then is someone else's. Returns that
    load."""
    deadline = time.monotonic() + NOISE["quiet_wait"]
    cores = os.cpu_count() or 1
    announced = False
    while True:
        before = CPUMeter._machine_busy()
        time.sleep(2.0)
        load = (CPUMeter._machine_busy() - before) / CPUMeter.TICK / (2.0 * cores)
        if load <= NOISE["max_other_load"] / 2 or time.monotonic() > deadline:
            if announced:
                log(f"  machine load now {load:.0%}: going on")
            return load
        if not announced:
            log(f"  other processes use {load:.0%} of the CPUs: waiting for a quieter moment")
            announced = True


def measure(
    base: str,
    vendor: Vendor,
    workdir: Path,
    *,
    connections: int,
    threads: int,
    duration: float,
    rate_guess: float,
    master: int,
    during: list | None = None,
    postgres_pids=None,
    audit: Pod | None = None,
) -> dict:
    """One measured run; repeated with more proofs if a thread ran out (never replays), and
    repeated (keeping the quietest) while other processes load the machine."""
    proofs = int(rate_guess * duration * 1.6) + 200 * connections
    best = None
    attempts = 0
    while True:
        attempts += 1
        wait_for_quiet()
        sampler, cpu = RSSSampler(master), CPUMeter(master, postgres_pids)
        mark = audit.audit_mark() if audit else None
        result = run_wrk(
            base, vendor, workdir, connections=connections, threads=threads,
            duration=duration, proofs=proofs, during=[sampler, cpu, *(during or [])],
        )  # fmt: skip
        if audit:
            time.sleep(0.5)  # let requests in flight when wrk stopped finish
            result["audit"] = {"allowed": 0, "refused": 0, **audit.audit_since(mark)}
        if result["exhausted"]:
            if attempts > 3:
                raise BenchError("still out of proofs after 3 tries")
            log(f"  ran out of proofs ({proofs}); again with twice as many")
            proofs *= 2
            continue
        result["_sampler"], result["_cpu"] = sampler, cpu.result
        if best is None or cpu.result["other_load"] < best["_cpu"]["other_load"]:
            best = result
        if cpu.result["other_load"] <= NOISE["max_other_load"] or during:
            break
        if attempts > NOISE["retries"]:
            log(
                f"  other processes still used {cpu.result['other_load']:.0%}: keeping the quietest"
            )
            break
        log(
            f"  other processes used {cpu.result['other_load']:.0%} of the machine: "
            "measuring again in 5 s"
        )
        time.sleep(5)
    result, sampler = best, best.pop("_sampler")
    cpu_result = best.pop("_cpu")
    result["attempts"] = attempts
    audited = result.pop("audit", None)
    seconds = result["duration_us"] / 1e6
    e = result["errors"]
    socket_errors = e["connect"] + e["read"] + e["write"] + e["timeout"]
    answered = result["ok"] + result["not_ok"]
    lat = result["latency_us"]
    return {
        "connections": connections,
        "threads": threads,
        "seconds": round(seconds, 2),
        "requests": result["requests"],
        "ok": result["ok"],
        "not_ok": result["not_ok"],
        "socket_errors": socket_errors,
        "error_fraction": (result["not_ok"] + socket_errors) / max(answered + socket_errors, 1),
        "rps": result["ok"] / seconds,
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "p999_ms": lat["p999"] / 1000,
        "mean_ms": lat["mean"] / 1000,
        "max_ms": lat["max"] / 1000,
        "rss_peak_mb": {str(pid): round(v, 1) for pid, v in sampler.peak.items()},
        "rss_samples": sampler.samples,
        "cpu": {
            **cpu_result,
            "server_cpu_ms_per_request": round(
                cpu_result["server_cpu_s"] * 1000 / max(result["requests"], 1), 3
            ),
            "postgres_cpu_ms_per_request": round(
                cpu_result["postgres_cpu_s"] * 1000 / max(result["requests"], 1), 3
            ),
        },
        **({"audit": audited} if audited else {}),
        "attempts": attempts,
        "wrk": result,
    }


def warm_up(base: str, vendor: Vendor, workdir: Path, seconds: float) -> float:
    """A short concurrency-32 run (caches, connections, imports); returns its rate in req/s."""
    result = run_wrk(
        base, vendor, workdir, connections=32, threads=2, duration=seconds,
        proofs=int(6000 * seconds),
    )  # fmt: skip
    rate = result["requests"] / (result["duration_us"] / 1e6)
    if result["ok"] == 0:
        raise BenchError(f"warm-up: no request succeeded: {result}")
    return rate


# -- the pod -------------------------------------------------------------------------------------


class Pod:
    """A fresh pod served by `pds serve --workers 2`, claimed, with a profile and a vendor grant."""

    def __init__(self, backend: str, workdir: Path, workers: int):
        self.backend = backend
        self.workdir = workdir
        self.workers = workers
        self.data_dir = workdir / "data"
        self.db_name: str | None = None
        self.proc: subprocess.Popen | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_file = workdir / f"pod-{backend}.log"
        self.engine: sa.Engine | None = None

    def _flags(self) -> list[str]:
        flags = ["--data-dir", str(self.data_dir)]
        if self.db_name:
            flags += ["--database-url", self.database_url]
        return flags

    @property
    def database_url(self) -> str:
        if self.db_name:
            return sa.make_url(PG_ADMIN_URL).set(database=self.db_name).render_as_string(False)
        return f"sqlite:///{(self.data_dir / 'pds.sqlite3').resolve()}"

    def start(self) -> None:
        if self.backend == "postgresql":
            self.db_name = f"pds_bench_{secrets.token_hex(4)}"
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.db_name}"'))
            admin.dispose()
        elif self.backend != "sqlite":
            raise BenchError(f"unknown backend {self.backend!r}")
        init = subprocess.run(
            [PDS, *self._flags(), "init"], capture_output=True, text=True, env=ENV
        )
        if init.returncode != 0:
            raise BenchError(f"pds init failed:\n{init.stdout}\n{init.stderr}")
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                [PDS, *self._flags(), "serve",
                 "--workers", str(self.workers), "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True, env=ENV,
            )  # fmt: skip
        wait_until_up(self.base + "/.well-known/pds-configuration", self.proc, self.log_file)
        self.engine = sa.create_engine(self.database_url)

    def stop(self) -> None:
        stop(self.proc)
        if self.engine is not None:
            self.engine.dispose()
        if self.db_name:
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            admin.dispose()

    def setup(self) -> tuple[Vendor, bytes, str, dict]:
        """Claim, owner token, profile, vendor grant. Returns the vendor, the body it reads, its
        Content-Type and the pod's JWKS."""
        codes = re.findall(r"\b[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}\b", self.log_file.read_text())
        if not codes:
            raise BenchError(f"no setup code in the pod's output:\n{self.log_file.read_text()}")
        r = requests.post(
            self.base + "/owner/claim",
            json={"setup_code": codes[-1], "password": PASSWORD},
            timeout=30,
        )
        _expect(r, 201, "claim")
        r = requests.post(
            self.base + "/owner/tokens",
            json={"name": "bench"},
            auth=("owner", PASSWORD),
            timeout=30,
        )
        _expect(r, 201, "owner token")
        owner = requests.Session()
        owner.headers["Authorization"] = f"Bearer {r.json()['token']}"
        sample = schemas.sample_documents()[PROFILE]
        r = owner.put(
            self.base + "/data" + PROFILE,
            data=sample.encode(),
            headers={"Content-Type": "text/turtle"},
            timeout=30,
        )
        _expect(r, 201, "PUT profile")

        key = VendorKey.generate()
        client = PodClient(self.base, key)
        pending = client.request_access(
            [{"resource": PROFILE, "modes": ["read"]}],  # no "fields": every field
            purpose=PURPOSE,
            description="benchmark: read your profile",
            duration=dt.timedelta(days=1),
            vendor={"name": "Bench Shop"},
        )
        r = owner.post(f"{self.base}/owner/access-requests/{pending.id}/approve", timeout=30)
        _expect(r, 201, "approve")
        grant = pending.wait(timeout=30, interval=0.2)
        graph = client.read(PROFILE, grant)
        if len(graph) < 5:
            raise BenchError(f"the vendor read only {len(graph)} triples of the profile")
        r = requests.get(
            self.base + "/data" + PROFILE,
            auth=DPoPAuth(key, grant.token),
            headers={"Accept": "text/turtle"},
            timeout=30,
        )
        _expect(r, 200, "vendor read")
        jwks = requests.get(self.base + "/.well-known/jwks.json", timeout=30).json()
        return Vendor(key, grant.token), r.content, r.headers["Content-Type"], jwks

    def postgres_pids(self) -> set[int]:
        """This pod's PostgreSQL backends and the server's background processes (WAL writer,
        checkpointer...): their CPU is part of what a read costs."""
        if not self.db_name:
            return set()
        query = sa.text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = :db OR (backend_type <> 'client backend' AND datname IS NULL)"
        )
        with self.engine.connect() as conn:
            return {pid for (pid,) in conn.execute(query, {"db": self.db_name})} - {
                conn.connection.dbapi_connection.info.backend_pid
            }

    def audit_mark(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar()

    def audit_since(self, mark: int) -> dict[str, int]:
        query = sa.text(
            "SELECT outcome, count(*) FROM audit_events "
            "WHERE id > :mark AND action = 'data.read' GROUP BY outcome"
        )
        with self.engine.connect() as conn:
            return {o: n for o, n in conn.execute(query, {"mark": mark})}


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what}: {response.status_code} {response.text[:500]}")


class MinimalApp:
    def __init__(
        self, workdir: Path, issuer: str, jwks: dict, body: bytes, ctype: str, workers: int
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        (workdir / "jwks.json").write_text(json.dumps(jwks))
        (workdir / "body").write_bytes(body)
        self.args = [
            sys.executable, str(HERE / "minimal_app.py"), "--port", str(self.port),
            "--workers", str(workers), "--base-url", self.base, "--issuer", issuer,
            "--jwks", str(workdir / "jwks.json"), "--body", str(workdir / "body"),
            "--content-type", ctype,
        ]  # fmt: skip
        self.log_file = workdir / "minimal.log"
        self.proc: subprocess.Popen | None = None
        self.body = body

    def start(self) -> None:
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        wait_until_up(self.base + "/", self.proc, self.log_file)

    def stop(self) -> None:
        stop(self.proc)


# -- profiling -----------------------------------------------------------------------------------


class PySpy:
    """py-spy record on each worker of `master` while the block runs (raw collapsed stacks)."""

    def __init__(self, master: int, workdir: Path, rate_hz: int, idle: bool):
        self.master, self.workdir, self.rate_hz, self.idle = master, workdir, rate_hz, idle
        self.spies: list[tuple[subprocess.Popen, Path]] = []

    def __enter__(self) -> PySpy:
        for pid in children(self.master):
            out = self.workdir / f"pyspy-{pid}-{secrets.token_hex(3)}.txt"
            cmd = [
                PY_SPY, "record", "--pid", str(pid), "--rate", str(self.rate_hz), "--format", "raw",
                "--nonblocking", "--output", str(out), *(["--idle"] if self.idle else []),
            ]  # fmt: skip
            spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.spies.append((spy, out))
        time.sleep(0.5)  # attached before the load starts
        return self

    def __exit__(self, *exc) -> None:
        for spy, _ in self.spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for spy, _ in self.spies:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()

    def stacks(self) -> collections.Counter:
        stacks: collections.Counter[tuple[str, ...]] = collections.Counter()
        for _, out in self.spies:
            if not out.exists():
                continue
            for line in out.read_text().splitlines():
                frames, _, count = line.rpartition(" ")
                if frames:
                    stacks[tuple(_frame(f) for f in frames.split(";"))] += int(count)
        return stacks


def profile_pod(pod: Pod, vendor: Vendor, workdir: Path, duration: float, rate: float) -> dict:
    """py-spy on both workers during two concurrency-32 runs: where a request's time goes.

    "wall": every sample while a request is handled, waiting included (lock waits, fsync,
    database round trips): explains latency. "cpu": only samples of a running thread
    (py-spy's default): explains throughput when the workers are CPU-bound.
    """
    if not Path(PY_SPY).exists():
        raise BenchError(f"--profile needs py-spy: {VENV_BIN}/pip install py-spy")
    out = {}
    for mode in ("wall", "cpu"):
        spy = PySpy(pod.proc.pid, workdir, rate_hz=200, idle=mode == "wall")
        run = measure(
            pod.base, vendor, workdir, connections=32, threads=2, duration=duration,
            rate_guess=rate, master=pod.proc.pid, during=[spy], postgres_pids=pod.postgres_pids,
        )  # fmt: skip
        stacks = spy.stacks()
        if not stacks:
            raise BenchError("py-spy recorded nothing (ptrace not allowed?)")
        out[mode] = summarize_profile(stacks, run, spy.rate_hz)
        time.sleep(1.0)
    return out


def _frame(raw: str) -> str:
    # "handle_request (gunicorn/workers/sync.py:134)" -> "handle_request (gunicorn/workers/sync.py)"
    raw = re.sub(r":\d+\)$", ")", raw.strip())
    return re.sub(r"\(/.*?/(site-packages|lib/python3\.\d+)/", "(", raw).replace(
        str(ROOT) + "/", ""
    )


def summarize_profile(stacks: collections.Counter, run: dict, rate_hz: int) -> dict:
    in_request = {
        s: n for s, n in stacks.items() if any("SyncWorker.handle_request (" in f for f in s)
    }
    total = sum(stacks.values())
    busy = sum(in_request.values())
    if not busy:
        raise BenchError("py-spy saw no request being handled")
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    for stack, n in in_request.items():
        top = next(i for i, f in enumerate(stack) if "SyncWorker.handle_request (" in f)
        for frame in set(stack[top + 1 :]):  # below the request handler: no trunk frames
            inclusive[frame] += n
        own[stack[-1]] += n
    ms_per_request = busy / rate_hz * 1000 / max(run["ok"] + run["not_ok"], 1)

    def table(counter: collections.Counter, top: int) -> list[dict]:
        return [
            {
                "function": f,
                "share": round(n / busy, 4),
                "ms_per_request": round(n / busy * ms_per_request, 3),
            }
            for f, n in counter.most_common(top)
        ]

    groups = dict.fromkeys(PROFILE_GROUPS, 0)
    compiled = {name: re.compile(pattern) for name, pattern in PROFILE_GROUPS.items()}
    for stack, n in in_request.items():
        joined = ";".join(stack)
        for name, pattern in compiled.items():
            if pattern.search(joined):
                groups[name] += n
    return {
        "samples": total,
        "in_request_samples": busy,
        "worker_ms_per_request": round(ms_per_request, 3),
        "run": {k: run[k] for k in ("rps", "p50_ms", "p99_ms", "ok", "not_ok")},
        "groups": {
            k: {"share": round(v / busy, 4), "ms_per_request": round(v / busy * ms_per_request, 3)}
            for k, v in groups.items()
        },
        "inclusive": table(inclusive, 45),
        "self": table(own, 30),
    }


# Named parts of the read path: regular expressions over the sampled stack ("a;b;c"). They
# overlap (indented ones are inside the one above them). With --idle, waiting counts too, so
# these are shares of the workers' wall time spent in requests.
PROFILE_GROUPS = {
    "Flask dispatch (the view, all of it)": r"Flask\.dispatch_request \(",
    "  DataAccess.authorize": r"DataAccess\.authorize \(",
    "    verify_proof (DPoP proof: parse, signature, claims)": r"verify_proof \(pds/consent/dpop",
    "    _verify_grant (grant, cached signature)": r"DataAccess\._verify_grant \(",
    "    write transaction (revoked? + replay + audit)": (
        r"DataAccess\.authorize \([^;]*;.*Store\.begin"
    ),
    "      BEGIN (IMMEDIATE on SQLite: waits for the lock)": r"Store\.begin .*Connection\.begin \(",
    "      grant_revoked_at (SELECT)": r"grant_revoked_at \(",
    "      remember_proof (SAVEPOINT + INSERT)": r"remember_proof \(",
    "      audit.record (INSERT)": r"record \(pds/store/audit\.py",
    "      COMMIT": r"DataAccess\.authorize .*Transaction\.commit \(",
    "  Documents.read (read transaction: ETag SELECT)": r"Documents\.read \(",
    "  _representation (negotiate, cached body, headers)": r"_representation \(",
    "  connection pool checkout/return (incl. pre-ping)": r"_ConnectionFairy\._checkout|"
    r"_finalize_fairy|_ConnectionFairy\._checkin|_reset \(sqlalchemy/pool",
    "    pre-ping (PostgreSQL: a SELECT 1 round trip)": r"do_ping|_do_ping_w_event",
    "  SQLAlchemy statement compilation": r"_compile_w_cache|SQLCompiler\.__init__",
    "Flask/Werkzeug/gunicorn outside the view": r"^(?!.*Flask\.dispatch_request \().*",
    "  gunicorn access log": r"Logger\.access \(",
}


# -- report --------------------------------------------------------------------------------------


def fmt_row(row: dict) -> str:
    rss = f"{row['rss_idle_mb']:.0f}/{row['rss_peak_mb']:.0f}"
    frac = (
        f"{row['fraction_of_minimal']:.2f}" if row.get("fraction_of_minimal") is not None else "-"
    )
    audit = row.get("audit")
    audit_s = f"{audit['allowed']}/{row['ok']}" if audit else "-"
    return (
        f"{row['target']:<19} {row['concurrency']:>4} {row['rps']:>8.0f} {row['p50_ms']:>7.2f} "
        f"{row['p99_ms']:>7.2f} {row['errors']:>6} {rss:>10} {frac:>7} {audit_s:>15} "
        f"{row['cpu_ms_per_request']:>8.2f} {row['other_load']:>6.0%}"
    )


HEADER = (
    f"{'backend':<19} {'conc':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
    f"{'RSS MB*':>10} {'/ min.':>7} {'audit/200':>15} {'CPU ms*':>8} {'other*':>6}"
)
FOOTNOTE = (
    "RSS MB*: largest worker, idle after warm-up / peak during that run (VmRSS, every 0.2 s).\n"
    "/ min.: pod req/s as a fraction of bench/minimal_app.py at the same concurrency, same round.\n"
    "audit/200: data.read events recorded 'allowed' during the run / responses 200 counted by wrk\n"
    "(a few more events than 200s is normal: requests in flight when wrk stops are served,\n"
    "not counted).\n"
    "CPU ms*: CPU time of the server's processes (and PostgreSQL's) per request.\n"
    "other*: CPU used by processes other than the server, PostgreSQL and wrk, as a share of the\n"
    "machine: anything above a few % makes that run noisy."
)


def print_table(rows: list[dict], title: str) -> None:
    print(f"\n{title}\n{HEADER}\n{'-' * len(HEADER)}")
    for row in rows:
        print(fmt_row(row))


def median_rows(rounds: list[list[dict]]) -> list[dict]:
    keyed: dict[tuple, list[dict]] = collections.defaultdict(list)
    order = []
    for rows in rounds:
        for row in rows:
            key = (row["target"], row["concurrency"])
            if key not in keyed:
                order.append(key)
            keyed[key].append(row)
    out = []
    for key in order:
        rows = keyed[key]
        med = {"target": key[0], "concurrency": key[1], "rounds": len(rows)}
        for field in (
            "rps", "p50_ms", "p99_ms", "errors", "rss_idle_mb", "rss_peak_mb", "ok",
            "cpu_ms_per_request", "other_load",
        ):  # fmt: skip
            med[field] = statistics.median(r[field] for r in rows)
        fractions = [
            r["fraction_of_minimal"] for r in rows if r.get("fraction_of_minimal") is not None
        ]
        med["fraction_of_minimal"] = statistics.median(fractions) if fractions else None
        audits = [r["audit"] for r in rows if r.get("audit")]
        med["audit"] = (
            {"allowed": int(statistics.median(a["allowed"] for a in audits))} if audits else None
        )
        med["ok"] = int(med["ok"])
        out.append(med)
    return out


def check_targets(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        if row["target"].startswith("minimal") or row["concurrency"] != 32:
            continue
        b, rps, p99, rss = row["target"], row["rps"], row["p99_ms"], row["rss_peak_mb"]
        fraction = row.get("fraction_of_minimal") or 0.0
        events = row["audit"]["allowed"] if row.get("audit") else 0
        checks = [
            (
                f"{b}: >= {TARGETS['rps']:.0f} req/s at c32",
                rps >= TARGETS["rps"],
                f"{rps:.0f} req/s ({rps / TARGETS['rps']:.0%} of target)",
            ),
            (
                f"{b}: p99 < {TARGETS['p99_ms']:.0f} ms at c32",
                p99 < TARGETS["p99_ms"],
                f"{p99:.1f} ms",
            ),
            (
                f"{b}: >= {TARGETS['fraction']} of the minimal app",
                fraction >= TARGETS["fraction"],
                f"{fraction:.2f}",
            ),
            (
                f"{b}: < {TARGETS['rss_mb']:.0f} MB RSS per worker",
                rss < TARGETS["rss_mb"],
                f"peak {rss:.1f} MB",
            ),
            (
                f"{b}: an audit event per read",
                events >= row["ok"],
                f"{events} events / {row['ok']} reads",
            ),
        ]
        for name, ok, value in checks:
            lines.append(f"  {'MET   ' if ok else 'MISSED'} {name}: {value}")
    return lines


# -- main ----------------------------------------------------------------------------------------


def bench_backend(
    backend: str, args: argparse.Namespace, workdir: Path
) -> tuple[list[dict], dict | None]:
    rows: list[dict] = []
    profile = None
    pod = Pod(backend, workdir, args.workers)
    minimal = None
    try:
        log(f"{backend}: init + serve on {pod.base}")
        pod.start()
        vendor, body, ctype, jwks = pod.setup()
        log(f"{backend}: pod claimed, profile stored ({len(body)} bytes as {ctype}), grant issued")
        minimal = MinimalApp(workdir, pod.base, jwks, body, ctype, args.workers)
        minimal.start()
        check = requests.get(
            minimal.base + "/data" + PROFILE, auth=DPoPAuth(vendor.key, vendor.token), timeout=10
        )
        if check.status_code != 200 or check.content != body:
            raise BenchError(f"minimal app answered {check.status_code}: {check.text[:300]}")

        targets = [("pod", pod.base, pod.proc.pid), ("minimal", minimal.base, minimal.proc.pid)]
        rates, idle = {}, {}
        for name, base, master in targets:
            log(f"{backend}: warm-up {name} ({args.warmup} s at c32)")
            rates[name] = warm_up(base, vendor, workdir, args.warmup)
            time.sleep(1.0)
            idle[name] = idle_rss(master)
            log(f"  ~{rates[name]:.0f} req/s; idle RSS per worker: {_mb(idle[name])}")

        results: dict[tuple[str, int], dict] = {}
        for connections, threads in CONCURRENCY:
            for name, base, master in targets:
                log(f"{backend}: {name} c{connections} for {args.duration} s")
                r = measure(
                    base, vendor, workdir, connections=connections, threads=threads,
                    duration=args.duration, rate_guess=rates[name], master=master,
                    postgres_pids=pod.postgres_pids, audit=pod if name == "pod" else None,
                )  # fmt: skip
                r["rss_idle_mb"] = {str(k): round(v, 1) for k, v in idle[name].items()}
                results[(name, connections)] = r
                log(
                    f"  {r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                    f"not 200: {r['not_ok']}, socket errors: {r['socket_errors']}, "
                    f"peak RSS {_mb(r['rss_peak_mb'])}, CPU {_cpu(r['cpu'])}"
                    + (f", audit {r['audit']}" if "audit" in r else "")
                )
                if r["not_ok"]:
                    wrk = r["wrk"]
                    log(f"  statuses: {wrk['bad_statuses'][:100]}")
                    log(f"  first body: {wrk['first_bad_body'][:200]}")
                time.sleep(1.0)

        for (name, connections), r in results.items():
            row = {
                "target": backend if name == "pod" else f"minimal ({backend})",
                "concurrency": connections,
                "rps": r["rps"],
                "p50_ms": r["p50_ms"],
                "p99_ms": r["p99_ms"],
                "errors": r["not_ok"] + r["socket_errors"],
                "error_fraction": r["error_fraction"],
                "ok": r["ok"],
                "rss_idle_mb": max(r["rss_idle_mb"].values()),
                "rss_peak_mb": max(r["rss_peak_mb"].values()),
                "fraction_of_minimal": (
                    r["rps"] / results[("minimal", connections)]["rps"] if name == "pod" else None
                ),
                "audit": r.get("audit"),
                "cpu_ms_per_request": r["cpu"]["server_cpu_ms_per_request"]
                + r["cpu"]["postgres_cpu_ms_per_request"],
                "other_load": r["cpu"]["other_load"],
                "detail": r,
            }
            rows.append(row)
        rows.sort(key=lambda x: (x["target"].startswith("minimal"), x["concurrency"]))

        if args.profile:
            log(f"{backend}: profiling the pod with py-spy (c32, {args.duration} s)")
            profile = profile_pod(pod, vendor, workdir, args.duration, rates["pod"])
    finally:
        if minimal is not None:
            minimal.stop()
        pod.stop()
        log(f"{backend}: stopped, cleaned up")
    return rows, profile


def _cpu(cpu: dict) -> str:
    return (
        f"server {cpu['server_cpu_ms_per_request']:.2f} (sys "
        f"{cpu['server_system_s'] / max(cpu['server_cpu_s'], 1e-9):.0%}) + postgres "
        f"{cpu['postgres_cpu_ms_per_request']:.2f} ms/request, wrk {cpu['wrk_cpu_s']:.1f} s, "
        f"other processes {cpu['other_cpu_s']:.1f} s"
    )


def _mb(values: dict) -> str:
    return ", ".join(f"{v:.1f}" for v in values.values()) + " MB"


def print_profile(backend: str, profile: dict) -> None:
    for mode, title in (
        ("wall", "wall time in requests, waiting included"),
        ("cpu", "on-CPU samples only"),
    ):
        p = profile[mode]
        print(f"\nProfile of the pod, {backend}, c32, {title} (py-spy, both workers)")
        print(
            f"  {p['run']['rps']:.0f} req/s under py-spy; sampled worker time in requests "
            f"{p['worker_ms_per_request']:.3f} ms per request"
        )
        print("  Parts of the read path (inclusive; indented ones are inside the one above):")
        for name, g in p["groups"].items():
            print(f"    {g['share']:>6.1%} {g['ms_per_request']:>7.3f} ms  {name}")
        print("  Top functions below the request handler, inclusive:")
        for f in p["inclusive"][:30]:
            print(f"    {f['share']:>6.1%} {f['ms_per_request']:>7.3f} ms  {f['function']}")
        print("  Top functions, self time:")
        for f in p["self"][:20]:
            print(f"    {f['share']:>6.1%} {f['ms_per_request']:>7.3f} ms  {f['function']}")


def _describe_source() -> dict:
    def git(*argv: str) -> str:
        done = subprocess.run(["git", *argv], cwd=SOURCE, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    if not commit and (SOURCE / "COMMIT").is_file():  # a snapshot: see README
        return {"path": str(SOURCE), "commit": (SOURCE / "COMMIT").read_text().strip()}
    return {
        "path": str(SOURCE),
        "commit": commit or None,
        "dirty": bool(git("status", "--porcelain", "--", "pds", "vendor_client"))
        if commit
        else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per measured run (<= 45)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--quick", action="store_true", help="4 s runs, 1 s warm-up")
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds (fresh pods each); medians printed"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (production: 2)")
    parser.add_argument("--profile", action="store_true", help="also py-spy the pod at c32")
    parser.add_argument(
        "--out", type=Path, help="JSON results (default /tmp/pds-bench-results-<time>.json)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--max-other-load",
        type=float,
        default=0.10,
        help="repeat a run while other processes use more than this share of the CPUs (0.10)",
    )
    parser.add_argument(
        "--noise-retries", type=int, default=2, help="repeats of a noisy run (2); then the quietest"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="seconds to wait for other processes to quieten before each run (120)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=ROOT,
        help="directory with the pds/ and vendor_client/ to benchmark (default: this work tree)",
    )
    args = parser.parse_args()
    NOISE.update(
        max_other_load=args.max_other_load, retries=args.noise_retries, quiet_wait=args.quiet_wait
    )
    if args.quick:
        args.duration, args.warmup = 4, 1
    if not 1 <= args.duration <= 45:
        parser.error("--duration must be 1 to 45 s: proofs expire 60 s after they are made")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y --no-install-recommends wrk")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"pds-bench-results-{stamp}.json"

    rounds, profiles, failures = [], {}, []
    for round_no in range(1, args.repeat + 1):
        rows = []
        for backend in backends:
            workdir = Path(tempfile.mkdtemp(prefix=f"pds-bench-{backend}-"))
            try:
                backend_rows, profile = bench_backend(backend, args, workdir)
            except BaseException:
                log(f"failed: the servers' logs are kept in {workdir}")
                raise
            if args.keep:
                log(f"kept {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
            rows += backend_rows
            if profile:
                profiles[f"{backend} round {round_no}"] = profile
        rows.sort(key=lambda x: (x["target"].startswith("minimal"), x["target"], x["concurrency"]))
        for row in rows:
            if row["error_fraction"] > MAX_NOT_OK:
                failures.append(
                    f"round {round_no}, {row['target']} c{row['concurrency']}: "
                    f"{row['errors']} of {row['errors'] + row['ok']} responses not 200 "
                    f"({row['error_fraction']:.2%} > {MAX_NOT_OK:.1%})"
                )
        rounds.append(rows)
        print_table(rows, f"Round {round_no} of {args.repeat} ({args.duration:g} s per run)")
        print(FOOTNOTE)

    final = median_rows(rounds) if args.repeat > 1 else rounds[0]
    if args.repeat > 1:
        print_table(final, f"Medians of {args.repeat} rounds")
    print("\nTargets (concurrency 32):")
    print("\n".join(check_targets(final)))
    for name, profile in profiles.items():
        print_profile(name, profile)

    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "settings": {
                    k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                },
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "source": _describe_source(),
                "targets": TARGETS,
                "rounds": rounds,
                "medians": median_rows(rounds),
                "profiles": profiles,
                "failures": failures,
            },
            indent=2,
            default=str,
        )
    )
    print(f"\nResults written to {out}")
    if failures:
        print(
            "\nFAILED: too many responses were not 200:\n  " + "\n  ".join(failures),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
