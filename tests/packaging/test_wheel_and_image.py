"""The container image, checked without a Docker engine.

The wheel is built from what `docker build` would see (the builder stage's COPY lines, less
.dockerignore), installed into a fresh virtualenv, and the image's ENTRYPOINT/CMD, ENV and
HEALTHCHECK are run as the Dockerfile states them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable, Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from rdflib import Graph, URIRef
from requests.adapters import HTTPAdapter

from pds import schemas
from tests.conftest import PASSWORD, PG_ADMIN_URL, _postgres_available
from tests.packaging.deploy_files import PROVIDER_ENV, compose, env_file, environment, pod_servers
from tests.packaging.dockerfile import PACKAGES, builder_context, exec_form, image, image_env
from tests.server.slow_clients import BODIES, HEADERS, check_not_starved
from tests.server.vendor_setup import EMAIL, PURPOSE, TURTLE
from vendor_client import Grant, PodClient, VendorKey

# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    """A snapshot of what the builder stage copies: the wheel is built from it, not from the
    work tree, where setuptools' build/ folder could carry deleted modules into the wheel."""
    return builder_context(tmp_path_factory.mktemp("context"))


@pytest.fixture(scope="module")
def wheel(build_context: Path, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, build_context],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def pod_venv(wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; dependencies come from this venv via PYTHONPATH."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python"]
    done = subprocess.run(
        [*pip, "install", "-q", "--no-deps", "--no-index", wheel],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return venv


def _dependencies_path() -> str:
    # Not a site dir, so the editable install's .pth finder there stays inactive.
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return os.pathsep.join(sorted(paths))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _image_environment(venv: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The image's ENV, on loopback, with this venv's programs and `overrides` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDS_", "PYTHON", "VIRTUAL"))}
    env |= image_env(image())
    env |= {
        "PDS_HOST": "127.0.0.1",
        "PYTHONPATH": _dependencies_path(),
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    return env | overrides


def _program(venv: Path, argv: list[str]) -> list[str]:
    program = shutil.which(argv[0], path=str(venv / "bin"))
    assert program, f"{argv[0]!r} is not a console script of the wheel"
    return [program, *argv[1:]]


@dataclasses.dataclass
class RunningPod:
    process: subprocess.Popen
    url: str
    env: dict[str, str]
    venv: Path
    cwd: Path
    data_dir: Path
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")[-4000:]

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the pod exited with {self.process.returncode}:\n{self.log()}")
            try:
                requests.get(self.url + "/owner", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        pytest.fail(f"the pod did not answer within {seconds} s:\n{self.log()}")

    def setup_code(self) -> str:
        codes = re.findall(r"setup code:\s+(\S+)", self.stderr.read_text())
        assert codes, self.log()
        return codes[-1]

    def stop(self) -> int:
        """SIGTERM, as `docker stop` and systemd send it; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=10)


@pytest.fixture
def start_pod(pod_venv: Path, tmp_path) -> Iterator[Callable[..., RunningPod]]:
    """Start the image's command with the image's environment, on loopback and a temporary
    /data; `env` adds to that environment or replaces some of it."""
    started: list[RunningPod] = []

    def start(name: str = "pod", env: dict[str, str] | None = None) -> RunningPod:
        cwd = tmp_path / name
        data_dir = cwd / "data"
        data_dir.mkdir(mode=0o700, parents=True)  # as the image creates /data
        env = _image_environment(
            pod_venv, {"PDS_DATA_DIR": str(data_dir), "PDS_PORT": str(_free_port()), **(env or {})}
        )
        argv = exec_form(image(), "ENTRYPOINT") + exec_form(image(), "CMD")
        stderr = cwd / "stderr.log"
        with (cwd / "stdout.log").open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                _program(pod_venv, argv),
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=err,
                start_new_session=True,  # one process group with gunicorn's workers, to kill all
            )
        url = f"http://127.0.0.1:{env['PDS_PORT']}"
        pod = RunningPod(process, url, env, pod_venv, cwd, data_dir, stderr)
        started.append(pod)
        pod.wait_until_up()
        return pod

    yield start
    for pod in started:
        with contextlib.suppress(ProcessLookupError):  # gone already: it stopped cleanly
            os.killpg(pod.process.pid, signal.SIGKILL)
        pod.process.wait(timeout=10)


@pytest.fixture
def running_pod(start_pod) -> RunningPod:
    return start_pod()


@pytest.fixture
def fresh_postgresql() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI must test it)")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"pds_image_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the owner and a vendor, over HTTP only ------------------------------------------------------


def _owner(url: str, setup_code: str) -> requests.Session:
    """Claim the pod with its setup code and mint an API token, as the README tour does."""
    claimed = requests.post(
        f"{url}/owner/claim", json={"setup_code": setup_code, "password": PASSWORD}, timeout=10
    )
    assert claimed.status_code == 201, claimed.text
    token = requests.post(
        f"{url}/owner/tokens", json={"name": "image test"}, auth=("owner", PASSWORD), timeout=10
    )
    assert token.status_code == 201, token.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return session


def _profile_emails(base_url: str) -> set[str]:
    sample = schemas.sample_documents()["/profile"]
    graph = Graph().parse(data=sample, format="turtle", publicID=f"{base_url}/data/profile")
    return {str(o) for o in graph.objects(None, URIRef(EMAIL))}


def _vendor_granted_the_emails(url: str, owner: requests.Session) -> tuple[PodClient, Grant]:
    """The owner writes the profile; a vendor asks for its email addresses; the owner, seeing
    the request pending, approves it; the vendor receives its grant."""
    profile = schemas.sample_documents()["/profile"].encode()
    written = owner.put(f"{url}/data/profile", data=profile, headers=TURTLE, timeout=10)
    assert written.status_code == 201, written.text
    vendor = PodClient(url, VendorKey.generate())
    pending = vendor.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [EMAIL]}],
        purpose=PURPOSE,
        description="to send order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Example Shop"},
    )
    listed = owner.get(f"{url}/owner/access-requests", params={"status": "pending"}, timeout=10)
    assert [r["id"] for r in listed.json()["requests"]] == [pending.id]
    approved = owner.post(f"{url}/owner/access-requests/{pending.id}/approve", timeout=10)
    assert approved.status_code == 201, approved.text
    return vendor, pending.wait(timeout=10)


def _read_emails(vendor: PodClient, grant: Grant) -> tuple[set[str], set[str]]:
    """(predicates, email addresses) of the profile as the vendor reads it."""
    graph = vendor.read("/profile", grant)
    return {str(p) for _, p, _ in graph}, {str(o) for o in graph.objects(None, URIRef(EMAIL))}


class _ConnectTo(HTTPAdapter):
    """Requests for the public URL go to another server, as `curl --connect-to` sends them:
    the URL the vendor signs (the DPoP proof's htu) stays the public one."""

    def __init__(self, public: str, server: str):
        super().__init__()
        self.public, self.server = public, server

    def send(self, request, **kwargs):
        request.url = self.server + request.url.removeprefix(self.public)
        return super().send(request, **kwargs)


def _through(public: str, server: str) -> requests.Session:
    session = requests.Session()
    session.mount(public, _ConnectTo(public, server))
    return session


# -- tests --------------------------------------------------------------------------------------


def test_wheel_ships_every_file_of_the_packages(wheel: Path, build_context: Path):
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for pattern in (
        "pds/schemas/*.ttl",
        "pds/schemas/context.jsonld",
        "pds/store/migrations/env.py",
        "pds/store/migrations/versions/*.py",
    ):
        assert any(fnmatch(name, pattern) for name in shipped), f"no {pattern} in {wheel.name}"
    in_context = {
        path.relative_to(build_context).as_posix()
        for package in PACKAGES
        for path in (build_context / package).rglob("*")
        if path.is_file()
    }
    assert sorted(in_context - shipped) == [], "package files missing from the wheel"
    assert not [name for name in shipped if "__pycache__" in name or name.startswith("tests/")]


def test_dockerfile_installs_the_wheel_it_builds(wheel: Path):
    installs = [args for kw, args in image() if kw == "RUN" and "pip install" in args]
    patterns = [m for args in installs for m in re.findall(r"/wheels/(\S+\.whl)", args)]
    assert patterns, "the final stage must pip install the project's wheel"
    assert any(fnmatch(wheel.name, p) for p in patterns), f"{wheel.name} matches none of {patterns}"


def test_image_command_serves_an_unclaimed_pod_and_stops_cleanly_on_sigterm(
    running_pod: RunningPod,
):
    pod = running_pod
    where = subprocess.run(
        ["python", "-c", "import pds; print(pds.__file__)"],
        env=pod.env,
        cwd=pod.cwd,  # `python -c` puts the working directory first on sys.path
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert where.stdout.startswith(str(pod.venv)), (
        f"the pod ran code from {where.stdout or where.stderr}, not from the wheel"
    )

    owner = requests.get(pod.url + "/owner", timeout=5)
    assert owner.status_code == 200, owner.text
    expected_pod = pod.env.get("PDS_BASE_URL") or pod.url
    assert owner.json() == {"claimed": False, "pod": expected_pod}
    config = requests.get(pod.url + "/.well-known/pds-configuration", timeout=5)
    assert config.headers["Content-Type"].startswith("application/json")
    assert config.json()["issuer"] == expected_pod
    context = requests.get(pod.url + "/ns/context.jsonld", timeout=5)  # package data, at run time
    assert context.status_code == 200 and "@context" in context.json()

    healthcheck = exec_form(image(), "HEALTHCHECK")
    health = subprocess.run(healthcheck, env=pod.env, capture_output=True, timeout=10)
    assert health.returncode == 0, health.stderr

    assert re.search(r"setup code:\s+\S+", pod.stderr.read_text()), pod.log()
    assert (pod.data_dir / "pds.sqlite3").is_file()
    assert stat.S_IMODE((pod.data_dir / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(pod.data_dir.stat().st_mode) == 0o700

    assert pod.stop() == 0, pod.log()
    stopped = subprocess.run(healthcheck, env=pod.env, capture_output=True, timeout=10)
    assert stopped.returncode != 0, "the HEALTHCHECK passes with no server"


@pytest.mark.parametrize("dripping", [HEADERS, BODIES], ids=["headers", "bodies"])
def test_image_command_is_not_starved_by_slow_clients(running_pod: RunningPod, dripping):
    check_not_starved(running_pod.url, *dripping)
    assert not list(running_pod.data_dir.rglob("*.ctl")), "no control socket in the data volume"


def test_image_command_serves_a_vendor_what_the_owner_approved(start_pod):
    """On any address but localhost:8000 the image needs PDS_BASE_URL (see the Dockerfile)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    pod = start_pod(env={"PDS_PORT": str(port), "PDS_BASE_URL": url})
    owner = _owner(url, pod.setup_code())
    vendor, grant = _vendor_granted_the_emails(url, owner)
    assert _read_emails(vendor, grant) == ({EMAIL}, _profile_emails(url))


@pytest.mark.postgresql
def test_two_servers_of_the_image_share_one_postgresql_database(
    start_pod, pod_venv: Path, fresh_postgresql: str, tmp_path
):
    """compose.yaml's environment, in single-pod mode (PDS_POD) rather than provider mode:
    `migrate` once, then two servers; a vendor granted through one reads through the other."""
    filled = env_file(PROVIDER_ENV) | {
        "POSTGRES_PASSWORD": "not-used-here",
        "PDS_SECRET_KEY": secrets.token_hex(32),
        "PDS_ADMIN_TOKEN": secrets.token_hex(32),
    }
    services = compose()["services"]
    local = {"PDS_DATABASE_URL": fresh_postgresql, "PDS_DATA_DIR": str(tmp_path / "unused")}
    migrate = environment(services["migrate"], filled) | local
    migrated = subprocess.run(
        _program(pod_venv, exec_form(image(), "ENTRYPOINT") + services["migrate"]["command"]),
        env=_image_environment(pod_venv, migrate),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("schema empty -> "), migrated.stdout

    server = environment(pod_servers(compose())["app1"], filled) | local
    del server["PDS_PROVIDER_URL"]  # provider mode has tests of its own
    port = _free_port()
    public = f"http://127.0.0.1:{port}"  # both servers behind one URL, as behind a proxy
    server |= {"PDS_POD": "alex", "PDS_BASE_URL": public}
    one = start_pod("app1", env=server | {"PDS_PORT": str(port)})
    two = start_pod("app2", env=server)

    owner = _owner(one.url, two.setup_code())  # each start of an unclaimed pod issues a new code
    vendor, grant = _vendor_granted_the_emails(one.url, owner)
    emails = ({EMAIL}, _profile_emails(public))
    assert _read_emails(vendor, grant) == emails

    assert one.stop() == 0, one.log()
    through_two = PodClient(public, vendor.key, session=_through(public, two.url))
    assert _read_emails(through_two, grant) == emails
    audit = owner.get(f"{two.url}/owner/audit", params={"grant": grant.id}, timeout=10)
    reads = [e["outcome"] for e in audit.json()["events"] if e["action"] == "data.read"]
    assert reads == ["allowed", "allowed"]
