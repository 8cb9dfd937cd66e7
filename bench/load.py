"""Load: DPoP proofs made just before each run, and wrk runs (bench/proofs.lua)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import secrets
import subprocess
import time
from pathlib import Path

from common import HERE, PROFILE, BenchError

from vendor_client import VendorKey, make_proof

LUA = HERE / "proofs.lua"
PROOF_MAX_AGE = 60  # the pod accepts a proof this many seconds after its iat
PROOF_BUDGET = 55  # generation + run must end this soon after the first proof's iat


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
