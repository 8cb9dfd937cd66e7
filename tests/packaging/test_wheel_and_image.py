"""The container image, checked without a Docker engine.

The wheel is built from what `docker build` would see (the builder stage's COPY lines, less
.dockerignore), installed into a fresh virtualenv, and the image's ENTRYPOINT/CMD, ENV and
HEALTHCHECK are run as the Dockerfile states them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
import requests

from tests.packaging.dockerfile import PACKAGES, builder_context, exec_form, image_env, stages
from tests.server.slow_clients import BODIES, HEADERS, check_not_starved

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


@pytest.fixture
def running_pod(pod_venv: Path, tmp_path) -> Iterator[RunningPod]:
    """The image's command with the image's environment, on loopback and a temporary /data."""
    final = stages()[-1]
    argv = exec_form(final, "ENTRYPOINT") + exec_form(final, "CMD")
    data_dir, port = tmp_path / "data", _free_port()
    data_dir.mkdir(mode=0o700)  # as the image creates /data
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PDS_", "PYTHON", "VIRTUAL"))}
    env |= image_env(final)
    env |= {
        "PDS_DATA_DIR": str(data_dir),
        "PDS_HOST": "127.0.0.1",
        "PDS_PORT": str(port),
        "PYTHONPATH": _dependencies_path(),
        "PATH": f"{pod_venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    }
    program = shutil.which(argv[0], path=str(pod_venv / "bin"))
    assert program, f"{argv[0]!r} is not a console script of the wheel"
    stderr = tmp_path / "stderr.log"
    with (tmp_path / "stdout.log").open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [program, *argv[1:]],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=err,
            start_new_session=True,  # one process group with gunicorn's workers, to kill them all
        )
    pod = RunningPod(process, f"http://127.0.0.1:{port}", env, pod_venv, tmp_path, data_dir, stderr)
    try:
        pod.wait_until_up()
        yield pod
    finally:
        with contextlib.suppress(ProcessLookupError):  # gone already: it stopped cleanly
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
    installs = [args for kw, args in stages()[-1] if kw == "RUN" and "pip install" in args]
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

    healthcheck = exec_form(stages()[-1], "HEALTHCHECK")
    health = subprocess.run(healthcheck, env=pod.env, capture_output=True, timeout=10)
    assert health.returncode == 0, health.stderr

    assert re.search(r"setup code:\s+\S+", pod.stderr.read_text()), pod.log()
    assert (pod.data_dir / "pds.sqlite3").is_file()
    assert stat.S_IMODE((pod.data_dir / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(pod.data_dir.stat().st_mode) == 0o700

    pod.process.send_signal(signal.SIGTERM)  # what `docker stop` sends
    assert pod.process.wait(timeout=10) == 0, pod.log()


@pytest.mark.parametrize("dripping", [HEADERS, BODIES], ids=["headers", "bodies"])
def test_image_command_is_not_starved_by_slow_clients(running_pod: RunningPod, dripping):
    check_not_starved(running_pod.url, *dripping)
    assert not list(running_pod.data_dir.rglob("*.ctl")), "no control socket in the data volume"
