"""Start-up times of the `pds` command and of a served pod, whole process, wall clock.

    .venv/bin/python bench/startup.py                 # 5 runs of each, then min/median/max
    .venv/bin/python bench/startup.py --repeat 10 --out /tmp/startup.json

Measures, each `--repeat` times (after one unmeasured round, so that no run pays for writing
.pyc files or for a cold page cache):

* `pds --version` and `pds --help`: spawn to exit;
* first serve: spawn `pds --data-dir <empty dir> serve --port <free> --workers 2` (it creates
  the data dir, secret key and SQLite database) to the first 200 of
  GET /.well-known/pds-configuration;
* restart: the same on that data dir after the first server exited on SIGTERM;
* stop: SIGTERM to the gunicorn master until it exited (for information, no target).

Every process gets a clean environment: no PDS_* variables, HOME an empty temporary directory.
With PYTHONDONTWRITEBYTECODE=1 (set here and in the Dockerfile) and an editable install, no
.pyc exists for pds/ and every start compiles it; `--compiled` measures a byte-compiled copy
instead, as pip leaves the wheel in the container image.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ENV, SOURCE, VENV_BIN, BenchError, log
from report import _describe_source

PDS = str(VENV_BIN / "pds")
PATH = "/.well-known/pds-configuration"
POLL = 0.01  # seconds between attempts while the server comes up
TARGETS = {"first serve": 0.7, "restart": 0.7, "pds --version": 0.3}  # median, seconds
ORDER = ("pds --version", "pds --help", "first serve", "restart", "stop")


def clean_env(home: Path, source: Path) -> dict[str, str]:
    """The bench's environment without PDS_* settings, so that nothing from the caller's shell
    (a PDS_DATABASE_URL, say) changes what is measured; pds imported from `source`."""
    env = {k: v for k, v in ENV.items() if not k.startswith("PDS_")}
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
    return env


def compiled_copy(dest: Path) -> Path:
    """--compiled: pds/ and vendor_client/ copied and byte-compiled (what pip does when it
    installs the wheel), so that the starts measured load .pyc files."""
    for name in ("pds", "vendor_client"):
        shutil.copytree(SOURCE / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(dest)], check=True, capture_output=True
    )
    return dest


def bytecode_note(source: Path) -> str:
    cached = any((source / "pds").glob("__pycache__/*.pyc"))
    if cached:
        return "pds/ has .pyc files: loaded, not compiled"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "pds/ has no .pyc and PYTHONDONTWRITEBYTECODE is set: compiled on every start"
    return "pds/ had no .pyc: the unmeasured round wrote them"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_200(port: int) -> bool:
    """One plain HTTP/1.1 request on a new connection; True on a 200. A bare socket: nothing
    (pools, proxy settings, retries) between the pod's answer and the clock stopping."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            head = s.recv(64)
    except OSError:  # refused (not listening yet), reset, timeout: not up yet
        return False
    return head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))


def timed_command(argv: list[str], env: dict, cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]!r}")
    return elapsed


def serve_until_up(data_dir: Path, env: dict, cwd: Path, log_file: Path):
    """Spawn `pds serve` and poll until it answers 200; returns (process, seconds)."""
    port = free_port()
    argv = [PDS, "--data-dir", str(data_dir), "serve", "--port", str(port), "--workers", "2"]
    with log_file.open("ab") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=cwd, env=env, start_new_session=True,
        )  # fmt: skip
    deadline = t0 + 30
    while not answers_200(port):
        if proc.poll() is not None:
            raise BenchError(
                f"pds serve exited ({proc.returncode}):\n{log_file.read_text()[-3000:]}"
            )
        if time.perf_counter() > deadline:
            with contextlib.suppress(BenchError):
                stop(proc)
            raise BenchError(f"pds serve not up after 30 s:\n{log_file.read_text()[-3000:]}")
        time.sleep(POLL)
    return proc, time.perf_counter() - t0


def stop(proc: subprocess.Popen, timeout: float = 15) -> float:
    """SIGTERM to the master and wait; SIGKILL its session (started for it alone) after
    `timeout`. Returns the seconds it took to exit (cleanly: status 0)."""
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        raise BenchError(f"pds serve ignored SIGTERM for {timeout} s: killed") from None
    if proc.returncode != 0:
        raise BenchError(f"pds serve exited {proc.returncode} on SIGTERM")
    return time.perf_counter() - t0


def one_round(source: Path) -> dict[str, float]:
    """Each measurement once, in fresh temporary directories (removed afterwards)."""
    work = Path(tempfile.mkdtemp(prefix="pds-startup-"))
    home, data_dir, log_file = work / "home", work / "data", work / "serve.log"
    home.mkdir()
    env = clean_env(home, source)
    proc = None
    try:
        times = {
            "pds --version": timed_command([PDS, "--version"], env, work),
            "pds --help": timed_command([PDS, "--help"], env, work),
        }
        proc, times["first serve"] = serve_until_up(data_dir, env, work, log_file)
        stop(proc)
        proc, times["restart"] = serve_until_up(data_dir, env, work, log_file)
        times["stop"] = stop(proc)
    except BaseException:
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(BenchError):
                stop(proc)
        if log_file.exists():
            log(f"server output:\n{log_file.read_text()[-3000:]}")
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def summary(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for name in ORDER:
        values = [r[name] for r in runs]
        out[name] = {"min": min(values), "median": statistics.median(values), "max": max(values)}
    return out


def print_report(stats: dict, repeat: int) -> list[str]:
    print(f"\nStart-up, {repeat} runs each (seconds, wall clock)")
    print(f"{'':<16} {'min':>7} {'median':>7} {'max':>7}")
    for name in ORDER:
        s = stats[name]
        print(f"{name:<16} {s['min']:>7.3f} {s['median']:>7.3f} {s['max']:>7.3f}")
    print("first serve / restart: spawn to the first 200 of GET " + PATH)
    print("stop: SIGTERM to exit (no target)\n\nTargets (median):")
    lines = []
    for name, limit in TARGETS.items():
        value = stats[name]["median"]
        verdict = "MET" if value <= limit else "MISSED"
        lines.append(f"  {verdict:<6} {name} <= {limit} s: {value:.3f} s")
    print("\n".join(lines))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="measured runs of each (5)")
    parser.add_argument(
        "--out", type=Path, help="JSON results (default /tmp/pds-startup-<time>.json)"
    )
    parser.add_argument("--source", type=Path, help="the pds/ to measure (see run.py)")
    parser.add_argument(
        "--compiled", action="store_true", help="measure a byte-compiled copy of the source"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out or Path(tempfile.gettempdir()) / f"pds-startup-{stamp}.json"

    copy = Path(tempfile.mkdtemp(prefix="pds-startup-src-")) if args.compiled else None
    try:
        source = compiled_copy(copy) if copy else SOURCE
        note = bytecode_note(source)
        log(f"unmeasured round (pds from {source}; {note})")
        one_round(source)
        runs = []
        for n in range(1, args.repeat + 1):
            runs.append(one_round(source))
            log(f"run {n}/{args.repeat}: " + ", ".join(f"{k} {v:.3f}" for k, v in runs[-1].items()))
    finally:
        if copy:
            shutil.rmtree(copy, ignore_errors=True)
    stats = summary(runs)
    verdicts = print_report(stats, args.repeat)
    print(f"Bytecode: {note}")
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "settings": {"repeat": args.repeat, "compiled": args.compiled, "pds": PDS},
                "bytecode": note,
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "source": _describe_source(),
                "targets_median_s": TARGETS,
                "runs": runs,
                "summary": stats,
                "verdicts": verdicts,
            },
            indent=2,
        )
    )
    print(f"\nResults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
