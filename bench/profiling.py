"""--profile: py-spy on the pod's workers during c32 runs, summarized per part of the read path."""

from __future__ import annotations

import collections
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import ROOT, SOURCE, VENV_BIN, BenchError
from load import Vendor
from measure import children, measure

if TYPE_CHECKING:
    from servers import Pod

PY_SPY = str(VENV_BIN / "py-spy")
STACKS_PREFIX = ""  # set from --out: where --profile writes its collapsed stacks


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
        out[mode] = summarize_profile(stacks, run, mode, len(children(pod.proc.pid)))
        if STACKS_PREFIX:  # collapsed stacks, both workers: for flamegraph tools
            path = Path(f"{STACKS_PREFIX}-{pod.backend}-{mode}.collapsed")
            path.write_text("".join(f"{';'.join(k)} {n}\n" for k, n in stacks.most_common()))
            out[mode]["stacks_file"] = str(path)
        time.sleep(1.0)
    return out


def _frame(raw: str) -> str:
    # "handle_request (gunicorn/workers/sync.py:134)" -> "handle_request (gunicorn/workers/sync.py)"
    raw = re.sub(r":\d+\)$", ")", raw.strip())
    raw = re.sub(r"\(/[^()]*?/(lib/python3\.\d+/site-packages|lib/python3\.\d+)/", "(", raw)
    return raw.replace(f"({SOURCE}/", "(").replace(f"({ROOT}/", "(")


def summarize_profile(stacks: collections.Counter, run: dict, mode: str, workers: int) -> dict:
    """Shares from py-spy's samples; ms per request from measured time, not from the sample
    count (py-spy falls behind its rate when it competes for the CPUs). "wall": each worker's
    wall time (workers x run seconds / requests) x the share of samples inside a request.
    "cpu": the server's measured CPU per request x the share of on-CPU samples in a request."""
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
    requests = max(run["requests"], 1)
    if mode == "wall":
        ms_per_request = workers * run["seconds"] * 1000 / requests * busy / total
    else:
        ms_per_request = run["cpu"]["server_cpu_ms_per_request"] * busy / total

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
        "server_cpu_ms_per_request": run["cpu"]["server_cpu_ms_per_request"],
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
    "  VendorData._admit (grant, proof, database work)": r"VendorData\._admit \(",
    "    verify_proof (DPoP proof: parse, signature, claims)": r"verify_proof \(pds/consent/dpop",
    "    GrantVerifier.verify (grant, cached signature)": r"GrantVerifier\.verify \(",
    "    check_and_record (one transaction or statement)": r"check_and_record \(",
    "      taking the write turn (SQLite)": r"WriteLock\.held \(",
    "      driver execute": r"check_and_record \(.*\((sqlite3|psycopg)|"
    r"_(sqlite|postgresql) \(pds/store/vendor_reads.*execute",
    "  Documents.represent (cached body)": r"Documents\.represent \(",
    "  _answer (conditional request, headers)": r"_answer \(pds/server/data",
    "  connection pool checkout/return": r"_ConnectionFairy\._checkout|"
    r"_finalize_fairy|_ConnectionFairy\._checkin|_reset \(sqlalchemy/pool",
    "  SQLAlchemy statement compilation": r"_compile_w_cache|SQLCompiler\.__init__",
    "Flask/Werkzeug/gunicorn outside the view": r"^(?!.*Flask\.dispatch_request \().*",
    "  gunicorn access log": r"Logger\.access \(",
    "  sending the response (socket write)": r"Response\.write \(gunicorn|write \(gunicorn/util",
}
