"""Benchmark of provider mode: one `pds serve` for 1,000 pods in one PostgreSQL database.

    .venv/bin/python bench/provider.py                # 1,000 pods, 12 s per measured run
    .venv/bin/python bench/provider.py --quick        # a smoke run (4 s runs, 1 s warm-up)
    .venv/bin/python bench/provider.py --repeat 3     # three rounds (fresh servers), medians

A fresh database gets N pods (each claimed, with the sample profile and one grant to the same
vendor), made in this process through the consent layer. Then, per round, on fresh servers:
the memory of a server (PSS of master and workers) after each worker read 1 pod, 512 and all;
vendor reads with wrk (bench/pods.lua, a fresh DPoP proof per request) all on one pod and
spread over random pods; and the spread load split over two servers on the same database.
See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import http.client
import json
import multiprocessing
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import argon2
import sqlalchemy as sa
from common import ENV, HERE, PROFILE, ROOT, BenchError, log
from load import PROOF_BUDGET
from measure import NOISE, CPUMeter, children, server_memory, wait_for_quiet
from report import _describe_source
from servers import PDS, PG_ADMIN_URL, Pod, free_port, stop, wait_until_up

from pds import schemas
from pds.consent import Provider, Store
from pds.consent.provider import OPEN_PODS
from pds.store import migrate
from vendor_client import VendorKey, make_proof
from vendor_client.client import REQUEST_TYP

LUA = HERE / "pods.lua"
HOST = "pods.test"  # the provider's public name: every server answers for it (Host header)
TEMPLATE = f"http://{HOST}/pods/{{pod}}"
PASSWORD = "bench: correct horse battery staple"  # noqa: S105 (throwaway pods')
PURPOSE = "https://w3id.org/dpv#ServiceProvision"
SECRET_KEY = secrets.token_urlsafe(32)  # one for all the provider's servers
ADMIN_TOKEN = "bench-admin-" + secrets.token_urlsafe(32)
WARM_UP_RATE = 4000  # req/s the warm-ups' proofs are made for (well above what 2 cores do)
MAX_NOT_OK = 0.005  # as bench/run.py: more than 0.5 % of responses not 200 fails the run


@dataclasses.dataclass(frozen=True)
class Target:
    """A pod and the vendor's grant to read its profile."""

    name: str
    url: str  # the profile's URL, the proofs' htu
    token: str

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


# -- the database and its pods -------------------------------------------------------------------


class ProviderDatabase:
    """A fresh database for the run in the local PostgreSQL, dropped at the end."""

    def __init__(self) -> None:
        self.db_name = f"pds_bench_{secrets.token_hex(4)}"
        self.url = sa.make_url(PG_ADMIN_URL).set(database=self.db_name).render_as_string(False)
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.db_name}"'))
        admin.dispose()
        self.engine = sa.create_engine(self.url)
        migrate(self.engine)

    # What servers.Pod counts in its database: audit events, this database's PostgreSQL
    # processes. Those methods use only `engine` and `db_name`.
    audit_mark = Pod.audit_mark
    audit_since = Pod.audit_since
    postgres_pids = Pod.postgres_pids

    def drop(self) -> None:
        self.engine.dispose()
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()


def _make_pods(job: tuple[str, list[str], bytes]) -> list[Target]:
    """Create, claim, fill and grant the pods `names` (in a forked process of its own)."""
    url, names, key_pem = job
    store = Store.from_url(url)
    # The cheapest argon2 parameters: the owner never signs in here, and the default ones would
    # spend two minutes hashing 1,000 passwords.
    hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    provider = Provider(store, TEMPLATE, default_quota=None, password_hasher=hasher)
    key = VendorKey.from_pem(key_pem)
    profile = schemas.sample_documents()[PROFILE].encode()
    made = []
    try:
        for name in names:
            _, code = provider.create(name)
            pod = provider.open_for_admin(name)
            pod.account.claim(code, PASSWORD)
            pod.data.put(PROFILE, profile, "text/turtle")
            now = int(time.time())
            claims = {
                "aud": pod.base_url, "iat": now, "exp": now + 300,
                "jti": secrets.token_urlsafe(16), "vendor": {"name": "Bench Shop"},
                "scopes": [{"resource": PROFILE, "modes": ["read"]}],  # every field
                "purpose": {"iri": PURPOSE, "description": "benchmark: read your profile"},
                "duration": 86400,
                "terms": [t["id"] for t in pod.terms.current() if t["required"]],
            }  # fmt: skip
            request = pod.requests.submit(key.sign(claims, REQUEST_TYP))
            grant = pod.decisions.approve(request.id)
            made.append(Target(name, pod.base_url + "/data" + PROFILE, grant.token))
    finally:
        provider.deliverer.stop()
        store.dispose()
    return made


def make_pods(db: ProviderDatabase, count: int, key: VendorKey) -> list[Target]:
    names = [f"c{n:04d}" for n in range(count)]
    jobs = max(1, min(os.cpu_count() or 1, 4))
    chunks = [(db.url, names[i::jobs], key.to_pem()) for i in range(jobs)]
    db.engine.dispose()  # no connection of ours in the forked processes
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        made = [t for chunk in pool.map(_make_pods, chunks) for t in chunk]
    return sorted(made, key=lambda t: t.name)


# -- servers -------------------------------------------------------------------------------------


class ProviderServer:
    """`pds serve --workers N` in provider mode: every pod of the database, as pods.test/pods/."""

    def __init__(self, db: ProviderDatabase, workdir: Path, label: str, workers: int):
        self.label = label
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_file = workdir / f"server-{label}.log"
        env = {
            **ENV,
            "PDS_PROVIDER_URL": TEMPLATE,
            "PDS_DATABASE_URL": db.url,
            "PDS_SECRET_KEY": SECRET_KEY,  # the same for every server of the provider
            "PDS_ADMIN_TOKEN": ADMIN_TOKEN,
            "PDS_POD_REQUESTS_PER_MINUTE": "0",  # no rate limit: wrk reads one pod thousands
        }
        argv = [PDS, "--data-dir", str(workdir / f"data-{label}"), "serve",
                "--workers", str(workers), "--port", str(self.port)]  # fmt: skip
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=workdir, start_new_session=True, env=env,
            )  # fmt: skip
        wait_until_up(self.base + "/healthz", self.proc, self.log_file)

    @property
    def master(self) -> int:
        return self.proc.pid

    def count_pods(self) -> int:
        """The pods the admin API lists (it pages by 500)."""
        count, after = 0, ""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while True:
            conn.request("GET", f"/admin/pods?after={after}", headers={
                "Host": HOST, "Authorization": f"Bearer {ADMIN_TOKEN}",
            })  # fmt: skip
            answer = conn.getresponse()
            body = json.loads(answer.read())
            if answer.status != 200:
                raise BenchError(f"{self.label}: GET /admin/pods: {answer.status} {body}")
            count += len(body["pods"])
            if "next" not in body:
                conn.close()
                return count
            after = body["pods"][-1]["name"]


# -- memory per pod: reads through each worker ----------------------------------------------------


def _socket_owner(client_port: int, server: ProviderServer) -> int | None:
    """The worker that accepted our connection from `client_port` (/proc/net/tcp's inode)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{server.port:04X}") and fields[2].endswith(f":{client_port:04X}"):
            inode = fields[9]
    for pid in children(server.master):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
    return None


def worker_connections(server: ProviderServer) -> dict[int, http.client.HTTPConnection]:
    """A kept-alive connection to each worker: connect until every worker has accepted one."""
    workers = set(children(server.master))
    found: dict[int, http.client.HTTPConnection] = {}
    tried = []
    while len(tried) < 100 and set(found) != workers:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", "/healthz", headers={"Host": HOST})
        conn.getresponse().read()
        tried.append(conn)
        owner = _socket_owner(conn.sock.getsockname()[1], server)
        if owner is not None:
            found.setdefault(owner, conn)
    for conn in tried:
        if conn not in found.values():
            conn.close()
    if set(found) != workers:
        raise BenchError(f"could not reach every worker: {sorted(found)} of {sorted(workers)}")
    return found


def touch(server: ProviderServer, key: VendorKey, targets: list[Target]) -> None:
    """One vendor read of each of `targets` through every worker of `server` (each opens the
    pods); every read must answer 200 on the same connection."""

    def read_all(conn: http.client.HTTPConnection) -> None:
        sock = conn.sock
        for t in targets:
            conn.request("GET", t.path, headers={
                "Host": HOST, "Authorization": f"DPoP {t.token}", "Accept": "text/turtle",
                "DPoP": make_proof(key, "GET", t.url, t.token),
            })  # fmt: skip
            answer = conn.getresponse()
            body = answer.read()
            if answer.status != 200 or b"Alex Example" not in body:
                raise BenchError(f"read of {t.name}: {answer.status} {body[:300]!r}")
            if conn.sock is not sock:
                raise BenchError("the server closed a worker's connection: reads went elsewhere")
        conn.close()

    connections = worker_connections(server)
    with concurrent.futures.ThreadPoolExecutor(len(connections)) as pool:
        list(pool.map(read_all, connections.values()))


def memory_per_pod(server: ProviderServer, key: VendorKey, targets: list[Target]) -> dict:
    """PSS of the whole server, idle, after every worker read 0, 1, OPEN_PODS and all pods."""
    points: list[dict] = []
    done = 0
    for upto in sorted({0, 1, min(OPEN_PODS, len(targets)), len(targets)}):
        if upto > done:
            touch(server, key, targets[done:upto])
            done = upto
        time.sleep(1.0)  # idle: let the last responses and the collector settle
        points.append({"pods": upto, **server_memory(server.master)})
        log(f"  {upto} pods read through each worker: PSS {points[-1]['pss_mb']:.1f} MB")
    base = next(p for p in points if p["pods"] == 1)
    for p in points:
        if p["pods"] > 1:
            p["kb_per_extra_pod"] = round(
                (p["pss_mb"] - base["pss_mb"]) * 1024 / (p["pods"] - 1), 1
            )
    return {"points": points, "workers": len(children(server.master))}


# -- vendor reads with wrk ------------------------------------------------------------------------


def _proof_chunk(job: tuple[bytes, list[Target], list[int]]) -> list[str]:
    pem, targets, picks = job
    key = VendorKey.from_pem(pem)
    return [f"{k + 1} {make_proof(key, 'GET', targets[k].url, targets[k].token)}" for k in picks]


def write_proofs(path: Path, key: VendorKey, targets: list[Target], picks: list[int]) -> None:
    """A fresh proof for each pick (an index of `targets`), one "K PROOF" line each."""
    jobs = 4
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(min(jobs, os.cpu_count() or 1)) as pool:
        chunks = pool.map(_proof_chunk, [(key.to_pem(), targets, picks[i::jobs]) for i in range(4)])
    path.write_text("\n".join(line for chunk in chunks for line in chunk) + "\n")


@dataclasses.dataclass(frozen=True)
class Load:
    """What a run sends: reads of `pods` pods (the first ones; 1: always the first) from
    `connections` connections to each of `servers`."""

    label: str
    servers: list[ProviderServer]
    pods: int
    connections: int


def run_load(
    load: Load, key: VendorKey, targets: list[Target], workdir: Path, seconds: float, rate: float
) -> list[dict]:
    """One wrk per server at once, each with proofs for `rate` req/s (and a margin)."""
    threads = 2 if load.connections >= 32 else 1
    per_server = int(rate / len(load.servers) * seconds * 1.6) + 200 * load.connections
    targets_file = workdir / "targets.txt"
    targets_file.write_text("".join(f"{t.path} {t.token}\n" for t in targets))
    first_iat = time.time()
    runs = []
    for server in load.servers:
        picks = [random.randrange(load.pods) for _ in range(per_server)]
        proofs = workdir / f"proofs-{server.label}.txt"
        write_proofs(proofs, key, targets, picks)
        runs.append((server, proofs))
    if time.time() + seconds + 2 > first_iat + PROOF_BUDGET:
        raise BenchError(
            f"making the proofs took {time.time() - first_iat:.1f} s: with {seconds} s runs the "
            "first would be older than the pod accepts: use a shorter --duration"
        )
    procs = []
    for server, proofs in runs:
        argv = [
            "wrk", f"-t{threads}", f"-c{load.connections}", f"-d{int(seconds)}s",
            "--timeout", "5s", "-s", str(LUA), server.base + "/",
            "--", str(proofs), str(threads), str(targets_file), HOST,
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    results = []
    for proc, (server, proofs) in zip(procs, runs, strict=True):
        out, err = proc.communicate(timeout=seconds + 60)
        proofs.unlink()
        line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise BenchError(
                f"wrk against {server.label} failed ({proc.returncode}):\n{out}\n{err}"
            )
        results.append(json.loads(line[len("BENCH_JSON ") :]))
    return results


def measure_load(
    load: Load, key: VendorKey, targets: list[Target], db: ProviderDatabase, args, workdir: Path
) -> dict:
    """Warm-up, then the measured run (again while other processes load the machine, keeping the
    quietest; again with twice the proofs if wrk ran out)."""
    # Every worker opens the load's pods first (it keeps the last OPEN_PODS): a run measures
    # pods already open, or the cache's churn, not workers meeting pods for the first time.
    log(f"{load.label}: each pod read through each worker, then a {args.warmup} s warm-up")
    for server in load.servers:
        touch(server, key, targets[: load.pods])
    warm = run_load(load, key, targets, workdir, args.warmup, WARM_UP_RATE)
    rate = sum(w["requests"] / (w["duration_us"] / 1e6) for w in warm)
    best, attempts = None, 0
    while True:
        attempts += 1
        wait_for_quiet()
        meters = [CPUMeter(s.master, db.postgres_pids) for s in load.servers]
        mark = db.audit_mark()
        with contextlib.ExitStack() as stack:
            for meter in meters:
                stack.enter_context(meter)
            results = run_load(load, key, targets, workdir, args.duration, rate)
        time.sleep(0.5)  # let the requests in flight when wrk stopped finish
        audit = {"allowed": 0, **db.audit_since(mark)}
        if any(r["exhausted"] for r in results):
            if attempts > 3:
                raise BenchError("still out of proofs after 3 tries")
            log("  ran out of proofs: again with twice as many")
            rate *= 2
            continue
        row = _row(load, results, [m.result for m in meters], audit)
        row["attempts"] = attempts
        if best is None or row["other_load"] < best["other_load"]:
            best = row
        if row["other_load"] <= NOISE["max_other_load"] or attempts > NOISE["retries"]:
            break
        log(f"  other processes used {row['other_load']:.0%} of the machine: again in 5 s")
        time.sleep(5)
    log(
        f"  {best['rps']:.0f} req/s, p50 {best['p50_ms']:.2f} ms, p99 {best['p99_ms']:.2f} ms, "
        f"errors {best['errors']}, server CPU {best['server_cpu_ms']:.2f} + PostgreSQL "
        f"{best['postgres_cpu_ms']:.2f} ms/request, audit {best['audit']['allowed']}/{best['ok']}"
    )
    return best


def _row(load: Load, results: list[dict], cpu: list[dict], audit: dict) -> dict:
    ok = sum(r["ok"] for r in results)
    not_ok = sum(r["not_ok"] for r in results)
    sockets = sum(
        sum(r["errors"][e] for e in ("connect", "read", "write", "timeout")) for r in results
    )
    requests = max(sum(r["requests"] for r in results), 1)
    server_cpu = sum(c["server_cpu_s"] for c in cpu)
    # Each meter counts the other server as "other": take it out.
    other = max(cpu[0]["other_cpu_s"] - sum(c["server_cpu_s"] for c in cpu[1:]), 0.0)
    return {
        "label": load.label,
        "servers": len(load.servers),
        "connections": load.connections,
        "pods": load.pods,
        "rps": sum(r["ok"] / (r["duration_us"] / 1e6) for r in results),
        # Two wrk processes: the worse of their percentiles (each is in "wrk").
        "p50_ms": max(r["latency_us"]["p50"] for r in results) / 1000,
        "p99_ms": max(r["latency_us"]["p99"] for r in results) / 1000,
        "ok": ok,
        "errors": not_ok + sockets,
        "error_fraction": (not_ok + sockets) / max(ok + not_ok + sockets, 1),
        "server_cpu_ms": server_cpu * 1000 / requests,
        "postgres_cpu_ms": cpu[0]["postgres_cpu_s"] * 1000 / requests,
        "other_load": other / (cpu[0]["seconds"] * (os.cpu_count() or 1)),
        "audit": audit,
        "cpu": cpu,
        "wrk": results,
    }


# -- a round ------------------------------------------------------------------------------------


def bench_round(
    db: ProviderDatabase, key: VendorKey, targets: list[Target], args, workdir: Path
) -> dict:
    servers: list[ProviderServer] = []
    try:
        one = ProviderServer(db, workdir, "a", args.workers)
        servers.append(one)
        listed = one.count_pods()
        if listed != len(targets):
            raise BenchError(f"the admin API lists {listed} pods, not {len(targets)}")
        log(f"server a on {one.base} serves the {listed} pods; reading each through each worker")
        memory = memory_per_pod(one, key, targets)
        spread, cached = len(targets), min(len(targets), OPEN_PODS * 9 // 10)
        loads = [Load("one pod", [one], 1, 32)]
        if cached < spread:
            loads.append(Load(f"spread over {cached} pods", [one], cached, 32))
        loads.append(Load(f"spread over {spread} pods", [one], spread, 32))
        runs = [measure_load(load, key, targets, db, args, workdir) for load in loads]
        two = ProviderServer(db, workdir, "b", args.workers)
        servers.append(two)
        log(f"server b on {two.base}, same database, secret key and provider URL")
        split = Load(f"spread over {spread} pods, 2 servers", [one, two], spread, 16)
        runs.append(measure_load(split, key, targets, db, args, workdir))
    finally:
        for server in servers:
            stop(server.proc)
    return {"memory": memory, "runs": runs}


# -- report ---------------------------------------------------------------------------------------

HEADER = (
    f"{'run':<36} {'conn':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
    f"{'audit/200':>13} {'CPU ms*':>7} {'PG ms*':>6} {'other*':>6}"
)
FOOTNOTE = """\
conn: wrk connections (2x16: two wrk processes at once, one per server; their p50/p99 is the
worse of the two). req/s: responses 200 per second. audit/200: data.read events recorded
'allowed' during the run / 200s counted by wrk. CPU ms*: CPU of the servers' processes per
request; PG ms*: of PostgreSQL (this database's backends and its background processes).
other*: CPU of other processes, as a share of the machine (noise)."""


def print_round(result: dict, title: str, setup: dict) -> None:
    print(f"\n{title}")
    print(
        f"{setup['pods']:,} pods in one PostgreSQL database (made in {setup['seconds']:.0f} s); "
        f"each server: pds serve --workers {setup['workers']}, provider URL {TEMPLATE}"
    )
    print(
        f"\nMemory of server a, idle, after every worker read N pods (each worker keeps at most "
        f"{OPEN_PODS} open)\n{'N':>7} {'PSS MB':>8} {'KB per pod after the first':>28}"
    )
    for p in result["memory"]["points"]:
        extra = f"{p['kb_per_extra_pod']:>28.1f}" if "kb_per_extra_pod" in p else ""
        print(f"{p['pods']:>7,} {p['pss_mb']:>8.1f} {extra}")
    print(f"\nVendor reads (GET <pod>/data/profile, a fresh DPoP proof each)\n{HEADER}")
    print("-" * len(HEADER))
    for r in result["runs"]:
        conn = f"{r['servers']}x{r['connections']}" if r["servers"] > 1 else str(r["connections"])
        audit = f"{r['audit']['allowed']}/{r['ok']}"
        print(
            f"{r['label']:<36} {conn:>6} {r['rps']:>7.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
            f"{r['errors']:>6} {audit:>13} {r['server_cpu_ms']:>7.2f} {r['postgres_cpu_ms']:>6.2f} "
            f"{r['other_load']:>6.0%}"
        )
    for name, value in ratios(result["runs"]).items():
        print(f"  {name}: {value:.2f}")
    print(FOOTNOTE)


def ratios(runs: list[dict]) -> dict[str, float]:
    one, *spread, split = runs
    return {
        "spread / one pod": spread[-1]["rps"] / one["rps"],
        "two servers / one (same spread)": split["rps"] / spread[-1]["rps"],
    }


def medians(rounds: list[dict]) -> dict:
    def med(values):
        return statistics.median(values)

    points = [
        {k: p[k] if k == "pods" else med(r["memory"]["points"][i][k] for r in rounds) for k in p}
        for i, p in enumerate(rounds[0]["memory"]["points"])
    ]
    numeric = ("rps", "p50_ms", "p99_ms", "errors", "ok", "server_cpu_ms", "postgres_cpu_ms",
               "other_load")  # fmt: skip
    runs = []
    for i, first in enumerate(rounds[0]["runs"]):
        row = {k: first[k] for k in ("label", "servers", "connections", "pods")}
        row.update({k: med(r["runs"][i][k] for r in rounds) for k in numeric})
        row["audit"] = {"allowed": int(med(r["runs"][i]["audit"]["allowed"] for r in rounds))}
        row["ok"], row["errors"] = int(row["ok"]), int(row["errors"])
        runs.append(row)
    return {"memory": {"points": points}, "runs": runs}


def failures_of(round_no: int, result: dict) -> list[str]:
    out = []
    for r in result["runs"]:
        if r["error_fraction"] > MAX_NOT_OK:
            out.append(f"round {round_no}, {r['label']}: {r['errors']} responses not 200")
        if r["audit"]["allowed"] < r["ok"]:
            out.append(
                f"round {round_no}, {r['label']}: {r['audit']['allowed']} data.read events for "
                f"{r['ok']} reads"
            )
    return out


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=1000, help="pods in the database (1000)")
    parser.add_argument("--duration", type=int, default=12, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--quick", action="store_true", help="4 s runs, 1 s warm-ups")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (fresh servers each)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--out", type=Path, help="JSON (default /tmp/pds-provider-<time>.json)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--max-other-load", type=float, default=0.10, help="as bench/run.py")
    parser.add_argument("--noise-retries", type=int, default=2, help="as bench/run.py")
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="as bench/run.py")
    parser.add_argument("--source", type=Path, default=ROOT, help="as bench/run.py")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.warmup = 4, 1
    if not 1 <= args.duration <= 45:
        parser.error("--duration must be 1 to 45 s: proofs expire 60 s after they are made")
    if args.pods < 2:
        parser.error("--pods must be at least 2")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y --no-install-recommends wrk")
    NOISE.update(
        max_other_load=args.max_other_load, retries=args.noise_retries, quiet_wait=args.quiet_wait
    )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"pds-provider-{stamp}.json"
    workdir = Path(tempfile.mkdtemp(prefix="pds-bench-provider-"))
    key = VendorKey.generate()
    rounds, failures = [], []
    db = None
    try:
        db = ProviderDatabase()
        log(f"database {db.db_name}: making {args.pods} pods (claim, profile, a vendor grant)")
        started = time.monotonic()
        targets = make_pods(db, args.pods, key)
        setup = {"pods": len(targets), "seconds": round(time.monotonic() - started, 1),
                 "workers": args.workers}  # fmt: skip
        log(f"  {len(targets)} pods made in {setup['seconds']:.0f} s")
        for round_no in range(1, args.repeat + 1):
            result = bench_round(db, key, targets, args, workdir)
            rounds.append(result)
            failures += failures_of(round_no, result)
            title = f"Round {round_no} of {args.repeat} ({args.duration} s per run)"
            print_round(result, title, setup)
    except BaseException:
        log(f"failed: the servers' logs are kept in {workdir}")
        args.keep = True
        raise
    finally:
        if db is not None:
            db.drop()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    final = medians(rounds)
    if args.repeat > 1:
        print_round(final, f"Medians of {args.repeat} rounds", setup)
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "settings": {
                    k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                },
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "source": _describe_source(),
                "setup": setup,
                "rounds": rounds,
                "medians": {**final, "ratios": ratios(final["runs"])},
                "failures": failures,
            },
            indent=2,
            default=str,
        )
    )
    print(f"\nResults written to {out}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
