"""Output: the results tables, medians over rounds, target checks, profiles, the source."""

from __future__ import annotations

import collections
import statistics
import subprocess

from common import SOURCE

# The bars of the "one door" issue, at concurrency 32: a share of the minimal app's rate in the
# same round per backend, p99 on SQLite, and the idle memory of the whole server.
TARGETS = {
    "fraction": {"sqlite": 0.8, "postgresql": 0.7},
    "p99_ms": {"sqlite": 60.0},
    "server_idle_mb": 120.0,
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
        f"{row['p99_ms']:>7.2f} {row['errors']:>6} {rss:>10} {row['server_idle_mb']:>7.0f} "
        f"{frac:>7} {audit_s:>15} "
        f"{row['cpu_ms_per_request']:>8.2f} {row['other_load']:>6.0%}"
    )


HEADER = (
    f"{'backend':<19} {'conc':>4} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
    f"{'RSS MB*':>10} {'PSS MB*':>7} {'/ min.':>7} {'audit/200':>15} {'CPU ms*':>8} "
    f"{'other*':>6}"
)
FOOTNOTE = (
    "RSS MB*: largest worker, idle after warm-up / peak during that run (VmRSS, every 0.2 s).\n"
    "PSS MB*: the whole server idle after warm-up, master and workers: proportional set size,\n"
    "each page shared by forked processes counted once in all (RSS would count it per process).\n"
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
            "server_idle_mb",
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
        med["ok"], med["errors"] = int(med["ok"]), int(med["errors"])
        out.append(med)
    return out


def check_targets(rows: list[dict]) -> list[str]:
    lines = []
    for row in rows:
        if row["target"].startswith("minimal") or row["concurrency"] != 32:
            continue
        b, p99 = row["target"], row["p99_ms"]
        fraction = row.get("fraction_of_minimal") or 0.0
        events = row["audit"]["allowed"] if row.get("audit") else 0
        server = row.get("server_idle_mb", 0.0)
        checks = [
            (
                f"{b}: >= {TARGETS['fraction'][b]} of the minimal app",
                fraction >= TARGETS["fraction"][b],
                f"{fraction:.2f}",
            ),
            (
                f"{b}: idle server, PSS of master and workers <= "
                f"{TARGETS['server_idle_mb']:.0f} MB",
                server <= TARGETS["server_idle_mb"],
                f"{server:.0f} MB",
            ),
            (
                f"{b}: an audit event per read",
                events >= row["ok"],
                f"{events} events / {row['ok']} reads",
            ),
        ]
        if b in TARGETS["p99_ms"]:
            limit = TARGETS["p99_ms"][b]
            checks.insert(1, (f"{b}: p99 <= {limit:.0f} ms at c32", p99 <= limit, f"{p99:.1f} ms"))
        for name, ok, value in checks:
            lines.append(f"  {'MET   ' if ok else 'MISSED'} {name}: {value}")
    return lines


def print_profile(backend: str, profile: dict) -> None:
    for mode, title in (
        ("wall", "wall time in requests, waiting included"),
        ("cpu", "on-CPU samples only"),
    ):
        p = profile[mode]
        print(f"\nProfile of the pod, {backend}, c32, {title} (py-spy, both workers)")
        what = "worker wall time" if mode == "wall" else "worker CPU time"
        print(
            f"  {p['run']['rps']:.0f} req/s under py-spy (not a measurement); {what} inside "
            f"requests: {p['worker_ms_per_request']:.3f} ms per request (server CPU in all: "
            f"{p['server_cpu_ms_per_request']:.3f} ms per request)"
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
        if p.get("stacks_file"):
            print(f"  Collapsed stacks (for flamegraph tools): {p['stacks_file']}")


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
