"""Measurement: worker RSS and CPU time during a run, and noise control around each run."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import BenchError, log
from load import Vendor, run_wrk

if TYPE_CHECKING:
    from servers import Pod


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


def pss_mb(pid: int) -> float | None:
    """Proportional set size: private pages, plus each shared page divided among its sharers.

    Summed over a server's processes it is what the server costs the machine; RSS counts a
    page shared by the master and two forked workers three times.
    """
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return None


def server_memory(master: int) -> dict[str, float]:
    """The whole server (master and workers), idle: PSS and RSS summed, in MB."""
    pids = [master, *children(master)]
    return {
        "pss_mb": round(sum(pss_mb(p) or 0.0 for p in pids), 1),
        "rss_mb": round(sum(rss_mb(p) or 0.0 for p in pids), 1),
    }


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
