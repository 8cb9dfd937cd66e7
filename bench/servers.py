"""The servers under test: the pod (`pds serve`) and bench/minimal_app.py, and their setup."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from common import ENV, HERE, PROFILE, VENV_BIN, BenchError
from load import Vendor

from pds import schemas
from vendor_client import DPoPAuth, PodClient, VendorKey

PDS = str(VENV_BIN / "pds")
PG_ADMIN_URL = os.environ.get(
    "PDS_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench: correct horse battery staple"  # noqa: S105 (a throwaway pod's)
PURPOSE = "https://w3id.org/dpv#ServiceProvision"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log_file: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited ({proc.returncode}):\n{log_file.read_text()[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise BenchError(f"server not up after {timeout} s:\n{log_file.read_text()[-3000:]}")


def stop(proc: subprocess.Popen | None) -> None:
    """TERM the gunicorn master we started; KILL its own process group if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the session started for this server only
        proc.wait(timeout=5)


# -- the pod -------------------------------------------------------------------------------------


class Pod:
    """A fresh pod served by `pds serve --workers 2`, claimed, with a profile and a vendor grant."""

    def __init__(self, backend: str, workdir: Path, workers: int):
        self.backend = backend
        self.workdir = workdir
        self.workers = workers
        self.data_dir = workdir / "data"
        self.db_name: str | None = None
        self.proc: subprocess.Popen | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_file = workdir / f"pod-{backend}.log"
        self.engine: sa.Engine | None = None

    def _flags(self) -> list[str]:
        flags = ["--data-dir", str(self.data_dir)]
        if self.db_name:
            flags += ["--database-url", self.database_url]
        return flags

    @property
    def database_url(self) -> str:
        if self.db_name:
            return sa.make_url(PG_ADMIN_URL).set(database=self.db_name).render_as_string(False)
        return f"sqlite:///{(self.data_dir / 'pds.sqlite3').resolve()}"

    def start(self) -> None:
        if self.backend == "postgresql":
            self.db_name = f"pds_bench_{secrets.token_hex(4)}"
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.db_name}"'))
            admin.dispose()
        elif self.backend != "sqlite":
            raise BenchError(f"unknown backend {self.backend!r}")
        init = subprocess.run(
            [PDS, *self._flags(), "init"], capture_output=True, text=True, env=ENV
        )
        if init.returncode != 0:
            raise BenchError(f"pds init failed:\n{init.stdout}\n{init.stderr}")
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                [PDS, *self._flags(), "serve",
                 "--workers", str(self.workers), "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True, env=ENV,
            )  # fmt: skip
        wait_until_up(self.base + "/.well-known/pds-configuration", self.proc, self.log_file)
        self.engine = sa.create_engine(self.database_url)

    def stop(self) -> None:
        stop(self.proc)
        if self.engine is not None:
            self.engine.dispose()
        if self.db_name:
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            admin.dispose()

    def claim(self) -> requests.Session:
        """Claim the pod with the setup code it printed; a session with an owner token."""
        codes = re.findall(r"\b[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}\b", self.log_file.read_text())
        if not codes:
            raise BenchError(f"no setup code in the pod's output:\n{self.log_file.read_text()}")
        r = requests.post(
            self.base + "/owner/claim",
            json={"setup_code": codes[-1], "password": PASSWORD},
            timeout=30,
        )
        _expect(r, 201, "claim")
        r = requests.post(
            self.base + "/owner/tokens",
            json={"name": "bench"},
            auth=("owner", PASSWORD),
            timeout=30,
        )
        _expect(r, 201, "owner token")
        owner = requests.Session()
        owner.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return owner

    def setup(self) -> tuple[Vendor, bytes, str, dict]:
        """Claim, owner token, profile, vendor grant. Returns the vendor, the body it reads, its
        Content-Type and the pod's JWKS."""
        owner = self.claim()
        sample = schemas.sample_documents()[PROFILE]
        r = owner.put(
            self.base + "/data" + PROFILE,
            data=sample.encode(),
            headers={"Content-Type": "text/turtle"},
            timeout=30,
        )
        _expect(r, 201, "PUT profile")

        key = VendorKey.generate()
        client = PodClient(self.base, key)
        pending = client.request_access(
            [{"resource": PROFILE, "modes": ["read"]}],  # no "fields": every field
            purpose=PURPOSE,
            description="benchmark: read your profile",
            duration=dt.timedelta(days=1),
            vendor={"name": "Bench Shop"},
        )
        r = owner.post(f"{self.base}/owner/access-requests/{pending.id}/approve", timeout=30)
        _expect(r, 201, "approve")
        grant = pending.wait(timeout=30, interval=0.2)
        graph = client.read(PROFILE, grant)
        if len(graph) < 5:
            raise BenchError(f"the vendor read only {len(graph)} triples of the profile")
        r = requests.get(
            self.base + "/data" + PROFILE,
            auth=DPoPAuth(key, grant.token),
            headers={"Accept": "text/turtle"},
            timeout=30,
        )
        _expect(r, 200, "vendor read")
        jwks = requests.get(self.base + "/.well-known/jwks.json", timeout=30).json()
        return Vendor(key, grant.token), r.content, r.headers["Content-Type"], jwks

    def postgres_pids(self) -> set[int]:
        """This pod's PostgreSQL backends and the server's background processes (WAL writer,
        checkpointer...): their CPU is part of what a read costs."""
        if not self.db_name:
            return set()
        query = sa.text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = :db OR (backend_type <> 'client backend' AND datname IS NULL)"
        )
        with self.engine.connect() as conn:
            return {pid for (pid,) in conn.execute(query, {"db": self.db_name})} - {
                conn.connection.dbapi_connection.info.backend_pid
            }

    def audit_mark(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM audit_events")).scalar()

    def audit_since(self, mark: int) -> dict[str, int]:
        query = sa.text(
            "SELECT outcome, count(*) FROM audit_events "
            "WHERE id > :mark AND action = 'data.read' GROUP BY outcome"
        )
        with self.engine.connect() as conn:
            return {o: n for o, n in conn.execute(query, {"mark": mark})}


def _expect(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise BenchError(f"{what}: {response.status_code} {response.text[:500]}")


class MinimalApp:
    def __init__(
        self, workdir: Path, issuer: str, jwks: dict, body: bytes, ctype: str, workers: int
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        (workdir / "jwks.json").write_text(json.dumps(jwks))
        (workdir / "body").write_bytes(body)
        self.args = [
            sys.executable, str(HERE / "minimal_app.py"), "--port", str(self.port),
            "--workers", str(workers), "--base-url", self.base, "--issuer", issuer,
            "--jwks", str(workdir / "jwks.json"), "--body", str(workdir / "body"),
            "--content-type", ctype,
        ]  # fmt: skip
        self.log_file = workdir / "minimal.log"
        self.proc: subprocess.Popen | None = None
        self.body = body

    def start(self) -> None:
        with self.log_file.open("wb") as out:
            self.proc = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.workdir, start_new_session=True,
            )  # fmt: skip
        wait_until_up(self.base + "/", self.proc, self.log_file)

    def stop(self) -> None:
        stop(self.proc)
