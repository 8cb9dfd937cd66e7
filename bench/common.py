"""Shared by the benchmark's modules: paths, the code under test (--source), errors, logging.

Import this before `pds` or `vendor_client`: it puts the --source tree first on sys.path.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
PROFILE = "/profile"


def _source() -> Path:
    """--source DIR: benchmark the pds/ and vendor_client/ in DIR (say, a `git archive` of a
    commit) instead of this work tree. Read when this module is imported, before any module
    imports pds or vendor_client."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--source", type=Path, default=ROOT)
    return pre.parse_known_args()[0].source.resolve()


SOURCE = _source()
sys.path.insert(0, str(SOURCE))
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])),
}


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
