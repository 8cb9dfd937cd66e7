"""Benchmark of authorized vendor reads: `GET /data/profile` with a DPoP-bound grant.

    .venv/bin/python bench/run.py                       # both backends, 12 s per measurement
    .venv/bin/python bench/run.py --quick               # a smoke run (4 s per measurement)
    .venv/bin/python bench/run.py --repeat 3            # three rounds, then the medians
    .venv/bin/python bench/run.py --backends sqlite --profile   # and where the time goes

For each backend: a fresh data dir (and PostgreSQL database), `pds init`, `pds serve --workers 2`
(gunicorn, 2 asyncio workers), claim, owner token, PUT the sample profile, a vendor asks through
vendor_client for read on /profile (all fields), the owner approves. Then wrk (bench/proofs.lua)
at concurrency 1 (-t1 -c1) and 32 (-t2 -c32), each request with its own fresh DPoP proof, made
just before the run. The same runs against bench/minimal_app.py (the same checks, no database)
give the floor. See bench/README.md for how to read the output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import profiling
import requests
from common import PROFILE, ROOT, BenchError, log
from load import warm_up
from measure import NOISE, idle_rss, measure, server_memory
from profiling import profile_pod
from report import (
    FOOTNOTE,
    TARGETS,
    _describe_source,
    check_targets,
    median_rows,
    print_profile,
    print_table,
)
from servers import MinimalApp, Pod

from vendor_client import DPoPAuth

MAX_NOT_OK = 0.005  # more than 0.5 % of responses not 200 fails the benchmark
CONCURRENCY = ((1, 1), (32, 2))  # (connections, wrk threads)


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
        rates, idle, server_idle = {}, {}, {}
        for name, base, master in targets:
            log(f"{backend}: warm-up {name} ({args.warmup} s at c32)")
            rates[name] = warm_up(base, vendor, workdir, args.warmup)
            time.sleep(1.0)
            idle[name] = idle_rss(master)
            server_idle[name] = server_memory(master)
            log(
                f"  ~{rates[name]:.0f} req/s; idle RSS per worker: {_mb(idle[name])}; whole "
                f"server (master and workers): PSS {server_idle[name]['pss_mb']:.0f} MB, "
                f"RSS summed {server_idle[name]['rss_mb']:.0f} MB"
            )

        results: dict[tuple[str, int], dict] = {}
        for connections, threads in [] if args.profile_only else CONCURRENCY:
            for name, base, master in targets:
                log(f"{backend}: {name} c{connections} for {args.duration} s")
                r = measure(
                    base, vendor, workdir, connections=connections, threads=threads,
                    duration=args.duration, rate_guess=rates[name], master=master,
                    postgres_pids=pod.postgres_pids, audit=pod if name == "pod" else None,
                )  # fmt: skip
                r["rss_idle_mb"] = {str(k): round(v, 1) for k, v in idle[name].items()}
                r["server_idle_mb"] = server_idle[name]["pss_mb"]
                r["server_idle_rss_sum_mb"] = server_idle[name]["rss_mb"]
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
                "server_idle_mb": r["server_idle_mb"],
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
        "--profile-only", action="store_true", help="only the py-spy runs (no measurements)"
    )
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
    args.profile = args.profile or args.profile_only
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
    profiling.STACKS_PREFIX = str(out.with_suffix(""))

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
        if rows:
            print_table(rows, f"Round {round_no} of {args.repeat} ({args.duration:g} s per run)")
            print(FOOTNOTE)
    for name, profile in profiles.items():
        for mode, p in profile.items():
            run = p["run"]
            answered = run["ok"] + run["not_ok"]
            if run["not_ok"] > MAX_NOT_OK * answered:
                failures.append(f"profile {name} ({mode}): {run['not_ok']} of {answered} not 200")

    final = median_rows(rounds) if args.repeat > 1 else rounds[0]
    if args.repeat > 1 and final:
        print_table(final, f"Medians of {args.repeat} rounds")
    if final:
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
