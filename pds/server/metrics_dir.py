"""Where the worker processes of one `pds serve` keep their metrics, so that /metrics, whichever
worker answers it, sums them all (prometheus_client's multiprocess mode).

prometheus_client chooses between counting in memory and counting in files when it is first
imported: `shared_directory` must set the directory up before that, which is why this module
imports it only inside its functions.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def shared_directory() -> Iterator[Path]:
    """A fresh, private directory for the counts of this server and its workers, for as long
    as the block runs (in the master: the workers are forked inside it).

    Fresh: counts left by an earlier server, or one the environment named, are not this
    server's. Removed by the process that made it only: a forked worker leaves through the same
    block when it exits.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its directory was set up")
    path = Path(tempfile.mkdtemp(prefix="pds-metrics-"))  # mode 0700
    maker = os.getpid()
    os.environ[ENV] = str(path)
    try:
        yield path
    finally:
        if os.getpid() == maker:
            os.environ.pop(ENV, None)
            shutil.rmtree(path, ignore_errors=True)


def worker_exited(_arbiter: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges no longer count (its counters
    do: what it counted happened)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def forget_this_process() -> None:
    """Drop what this process counted so far: the master's warm-up request was no client's.
    (The master serves no requests: it counts nothing more.)"""
    directory = os.environ.get(ENV)
    if directory:
        for path in Path(directory).glob(f"*_{os.getpid()}.db"):
            path.unlink()
