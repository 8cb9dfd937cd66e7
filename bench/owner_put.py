"""Benchmark of owner writes: `PUT /data/profile` (Turtle, owner token, no If-Match) at c8.

    .venv/bin/python bench/owner_put.py                      # both backends, 10 s per run
    .venv/bin/python bench/owner_put.py --repeat 3           # three rounds, then the medians
    .venv/bin/python bench/owner_put.py --vary               # two bodies in turn (see README)

For each backend and round: a fresh pod (`pds init`, `pds serve --workers 2`, claimed, an owner
token, the sample profile PUT once), and bench/bare_app.py (rdflib parse, 204) under the same
gunicorn settings as bench/minimal_app.py. wrk (bench/put.lua, -t2 -c8) PUTs the sample profile
to each, pod first. Then: the pod's stored profile must still read back (200, Turtle, the same
graph) and every 2xx must have written its data.write audit event.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import PROFILE, BenchError, log
from measure import NOISE
from put_load import (
    CONNECTIONS,
    DATA_PATH,
    BareApp,
    check_stored,
    expect,
    measure_put,
    owner_token,
    run_wrk,
    write_events_since,
)
from report import _describe_source
from servers import Pod, stop

from pds import schemas

PHONE = '"+44 20 7946 0958"'  # --vary changes this literal in the second body


def bench_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict:
    sample = schemas.sample_documents()[PROFILE]
    if args.vary and PHONE not in sample:
        raise BenchError(f"--vary: the sample profile no longer has {PHONE}")
    bodies = [sample] + ([sample.replace(PHONE, PHONE[:-2] + '9"')] if args.vary else [])
    for n, body in enumerate(bodies):
        (workdir / f"body-{n}.ttl").write_text(body)
    pod, bare = Pod(backend, workdir, args.workers), BareApp(workdir, args.workers)
    try:
        log(f"{backend}: init + serve on {pod.base}")
        pod.start()
        token = owner_token(pod)
        (workdir / "auth.txt").write_text(f"Bearer {token}\n")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/turtle"}
        expect(
            requests.put(pod.base + DATA_PATH, data=sample.encode(), headers=headers, timeout=30),
            201,
            "first PUT of the profile",
        )
        bare.start()
        expect(
            requests.put(bare.base + DATA_PATH, data=sample.encode(), headers=headers, timeout=30),
            204,
            "bare app PUT",
        )
        targets = [("pod", pod.base, pod.proc.pid), ("bare", bare.base, bare.proc.pid)]
        for name, base, _ in targets:
            log(f"{backend}: warm-up {name} ({args.warmup} s)")
            run_wrk(base, workdir, args.warmup, [])
        result = {}
        for name, base, master in targets:
            mark = pod.audit_mark() if name == "pod" else 0
            log(f"{backend}: {name} c{CONNECTIONS} for {args.duration} s")
            row = measure_put(
                name,
                base,
                master,
                workdir,
                args.duration,
                pod.postgres_pids if name == "pod" else None,
            )
            if name == "pod":
                time.sleep(0.5)  # requests in flight when wrk stopped
                row["write_events"] = write_events_since(pod, mark)
                row["stored"] = check_stored(pod, token, bodies)
            log(
                f"  {row['rps']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f}"
                f" ms, statuses {row['statuses']}, socket errors {row['socket_errors']}"
            )
            if row["not_2xx"]:
                log(f"  first non-2xx body: {row['wrk']['first_bad_body'][:300]}")
            result[name] = row
        result["ratio"] = result["pod"]["rps"] / result["bare"]["rps"]
        return result
    finally:
        stop(bare.proc)
        pod.stop()


def print_round(rounds: dict[str, dict], title: str) -> None:
    head = (
        f"{'backend':<12} {'target':<6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'non-2xx':>7} {'sock':>5} {'pod/bare':>8} {'events/2xx':>13} {'CPU ms':>7} {'other':>6}"
    )
    print(f"\n{title}\n{head}\n{'-' * len(head)}")
    for backend, r in rounds.items():
        for name in ("pod", "bare"):
            row = r[name]
            ratio = f"{r['ratio']:.2f}" if name == "pod" else "-"
            events = f"{row['write_events']}/{row['ok']}" if "write_events" in row else "-"
            print(
                f"{backend:<12} {name:<6} {row['rps']:>7.0f} {row['p50_ms']:>7.1f} "
                f"{row['p99_ms']:>7.1f} {row['not_2xx']:>7} {row['socket_errors']:>5} "
                f"{ratio:>8} {events:>13} {row['cpu_ms_per_request']:>7.2f} "
                f"{row['other_load']:>6.0%}"
            )


def medians(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for backend in rounds[0]:
        runs = [r[backend] for r in rounds]
        out[backend] = {"ratio": statistics.median(r["ratio"] for r in runs)}
        for name in ("pod", "bare"):
            rows = [r[name] for r in runs]
            med = {
                k: statistics.median(x[k] for x in rows)
                for k in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request", "other_load")
            }
            med.update({k: sum(x[k] for x in rows) for k in ("ok", "not_2xx", "socket_errors")})
            if name == "pod":
                med["write_events"] = sum(x["write_events"] for x in rows)
            out[backend][name] = med
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server (2)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds, fresh pods each (1)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (production: 2)")
    parser.add_argument("--vary", action="store_true", help="alternate two different bodies")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="seconds to wait for a quiet machine before each run (120)",
    )
    parser.add_argument("--out", type=Path, help="JSON (default /tmp/pds-owner-put-<time>.json)")
    parser.add_argument("--source", type=Path, help="the pds/ to benchmark (see run.py)")
    args = parser.parse_args()
    NOISE["quiet_wait"] = args.quiet_wait
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y --no-install-recommends wrk")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"pds-owner-put-{stamp}.json"

    rounds, failures = [], []
    for round_no in range(1, args.repeat + 1):
        results = {}
        for backend in backends:
            workdir = Path(tempfile.mkdtemp(prefix=f"pds-put-{backend}-"))
            try:
                results[backend] = bench_backend(backend, args, workdir)
            except BaseException:
                log(f"failed: the servers' logs are kept in {workdir}")
                raise
            shutil.rmtree(workdir, ignore_errors=True)
            pod = results[backend]["pod"]
            where = f"round {round_no}, {backend}"
            for name in ("pod", "bare"):
                row = results[backend][name]
                if row["not_2xx"] or row["socket_errors"]:
                    failures.append(
                        f"{where}, {name}: {row['not_2xx']} non-2xx "
                        f"{row['statuses']}, {row['socket_errors']} socket errors"
                    )
            if not pod["stored"]["intact"]:
                failures.append(f"{where}: stored profile not intact: {pod['stored']}")
            if pod["write_events"] < pod["ok"]:
                failures.append(
                    f"{where}: {pod['write_events']} data.write events < {pod['ok']} 2xx"
                )
        rounds.append(results)
        print_round(
            results, f"Round {round_no} of {args.repeat} ({args.duration} s, c{CONNECTIONS})"
        )
    final = medians(rounds)
    if args.repeat > 1:
        print_round(final, f"Medians of {args.repeat} rounds (non-2xx, sock, events: totals)")
    print(
        "req/s: 2xx per second. pod/bare: the pod's req/s over the bare app's, same round.\n"
        "events/2xx: data.write audit events during the run / 2xx counted by wrk.\n"
        "CPU ms: server (+ PostgreSQL) CPU per request. other: other processes' CPU share."
    )
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "settings": {k: str(v) for k, v in vars(args).items()},
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "source": _describe_source(),
                "rounds": rounds,
                "medians": final,
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
