"""The vendor library is a distribution of its own (vendor_client/pyproject.toml).

`pip install ./vendor_client` gives a vendor the library and its four dependencies, none of the
pod's server, and the installed library gets access to a real pod. Everything comes from PyPI
through pip: without it these tests fail, they never skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import requests
from packaging.requirements import Requirement
from rdflib import Graph, URIRef

import vendor_client
from pds import schemas
from tests.packaging.dockerfile import ROOT

SOURCE = ROOT / "vendor_client"
DEPENDENCIES = {"cryptography", "pyjwt", "rdflib", "requests"}
SERVER_ONLY = {
    "flask",
    "gunicorn",
    "sqlalchemy",
    "pyshacl",
    "psycopg",
    "psycopg-binary",
    "alembic",
    "werkzeug",
    "argon2-cffi",
    "a2wsgi",
    "vrm-pod",
}
EMAIL = "https://schema.org/email"
PIP = ("-m", "pip", "--disable-pip-version-check")


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _source_files() -> list[Path]:
    """The library's files as a vendor's clone has them (no caches, no build leftovers)."""
    skipped = {"__pycache__", "build", "dist"}
    return [
        path
        for path in SOURCE.rglob("*")
        if path.is_file()
        and not skipped & set(path.relative_to(SOURCE).parts)
        and not any(part.endswith(".egg-info") for part in path.parts)
        and path.suffix != ".pyc"
    ]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The vendor_client folder of a clean clone: building in the work tree would leave
    setuptools' build/ and egg-info there, where other checks (mypy, Docker) would meet them."""
    folder = tmp_path_factory.mktemp("clone") / "vendor_client"
    for path in _source_files():
        target = folder / path.relative_to(SOURCE)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return folder


@pytest.fixture(scope="module")
def wheel(clone: Path, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, *PIP, "wheel", "--no-deps", "-q", "-w", dist, clone],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def vendor_python(clone: Path, tmp_path_factory) -> Path:
    """A fresh virtualenv where a vendor ran `pip install ./vendor_client`; its python."""
    venv = tmp_path_factory.mktemp("vendor-venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    done = subprocess.run(
        [python, *PIP, "install", "-q", clone],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=clone.parent,
    )
    assert done.returncode == 0, done.stderr
    return python


@pytest.fixture
def backend() -> str:
    """Packaging does not depend on the backend: the pod runs on SQLite only here."""
    return "sqlite"


# -- the wheel ----------------------------------------------------------------------------------


def test_the_wheel_ships_every_module_and_py_typed_and_nothing_else(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"vrm_vendor_client-{vendor_client.__version__}.dist-info/"
    package = {name for name in names if not name.startswith(dist_info)}
    expected = {
        f"vendor_client/{path.relative_to(SOURCE).as_posix()}"
        for path in _source_files()
        if path.suffix == ".py" or path.name == "py.typed"
    }
    assert "vendor_client/py.typed" in expected and "vendor_client/client.py" in expected
    assert package == expected


def test_the_wheel_declares_the_four_libraries_the_package_imports_and_no_more(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    assert metadata["Name"] == "vrm-vendor-client"
    assert metadata["Version"] == vendor_client.__version__
    required = {_normalised(Requirement(r).name) for r in metadata.get_all("Requires-Dist")}
    assert required == DEPENDENCIES


def test_the_version_names_the_protocol_the_library_speaks():
    year, month, release = vendor_client.__version__.split(".")
    assert f"{int(year)}-{int(month):02d}" == vendor_client.PROTOCOL_VERSION
    assert release.isdigit()


# -- installed alone ----------------------------------------------------------------------------


def test_installing_the_library_pulls_none_of_the_server(vendor_python: Path):
    listed = subprocess.run(
        [vendor_python, *PIP, "list", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    installed = {_normalised(d["name"]): d["version"] for d in json.loads(listed.stdout)}
    assert installed["vrm-vendor-client"] == vendor_client.__version__
    assert installed.keys() >= DEPENDENCIES
    assert sorted(SERVER_ONLY & installed.keys()) == []
    unimportable = subprocess.run(
        [vendor_python, "-I", "-c", "import pds"], capture_output=True, text=True, timeout=60
    )
    assert "ModuleNotFoundError: No module named 'pds'" in unimportable.stderr


VENDOR_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, importlib.metadata, sys
    from rdflib import URIRef
    import vendor_client
    from vendor_client import PodClient, VendorKey

    print("library", importlib.metadata.version("vrm-vendor-client"),
          vendor_client.PROTOCOL_VERSION, vendor_client.__file__, flush=True)
    pod = PodClient(sys.argv[1], VendorKey.generate())
    pending = pod.request_access(
        [{"resource": "/profile", "modes": ["read"], "fields": [sys.argv[2]]}],
        purpose="https://w3id.org/dpv#ServiceProvision",
        description="to send order confirmations",
        duration=dt.timedelta(days=1),
        vendor={"name": "Installed Shop"},
    )
    grant = pending.wait(timeout=30, interval=0.2)
    profile = pod.read("/profile", grant)
    for email in sorted(str(o) for o in profile.objects(None, URIRef(sys.argv[2]))):
        print("email", email, flush=True)
    """
)


def test_the_installed_library_gets_access_to_a_real_pod_and_reads_the_profile(
    vendor_python: Path, server, owner, tmp_path
):
    sample = schemas.sample_documents()["/profile"]
    put = owner.put(
        f"{server.url}/data/profile", data=sample.encode(), headers={"Content-Type": "text/turtle"}
    )
    assert put.status_code == 201, put.text
    script = subprocess.Popen(
        [vendor_python, "-I", "-c", VENDOR_SCRIPT, server.url, EMAIL],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
    )
    try:
        deadline = time.monotonic() + 30
        pending: list[dict] = []
        while not pending and time.monotonic() < deadline and script.poll() is None:
            pending = owner.get(
                f"{server.url}/owner/access-requests", params={"status": "pending"}
            ).json()["requests"]
            time.sleep(0.1)
        assert pending, f"the installed library never asked for access: {script.stdout.read()}"
        assert pending[0]["vendor"]["name"] == "Installed Shop"
        approved = owner.post(f"{server.url}/owner/access-requests/{pending[0]['id']}/approve")
        assert approved.status_code == 201, approved.text
        output, _ = script.communicate(timeout=60)
    finally:
        script.kill()
    assert script.returncode == 0, output

    [library] = _printed(output, "library")
    version, protocol, module = library.split(" ")
    discovery = requests.get(f"{server.url}/.well-known/pds-configuration", timeout=10).json()
    assert version == vendor_client.__version__
    assert protocol == discovery["protocol_version"]
    assert Path(module).is_relative_to(vendor_python.parent.parent), "imported from the checkout"

    profile = Graph().parse(data=sample, format="turtle", publicID=f"{server.url}/data/profile")
    emails = sorted(str(o) for o in profile.objects(None, URIRef(EMAIL)))
    assert emails
    assert _printed(output, "email") == emails


def _printed(output: str, label: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in output.splitlines() if line.startswith(label + " ")]
