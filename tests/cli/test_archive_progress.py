"""Export and import show how far they have got on a terminal, and nothing elsewhere."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
from pathlib import Path

import pytest

from pds.cli.moving import ProgressLine
from pds.store import migrate
from tests.cli.archive_setup import documents_of, filled_pod
from tests.cli.cli_setup import PDS, clean_env, ok, sqlite_store


def on_a_terminal(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run `pds ARGS...` with stderr on a pseudo-terminal: (exit code, stdout, terminal text)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(PDS), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        cwd=cwd,
        env=clean_env(cwd),
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the command has closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    stdout = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=30), stdout, shown.decode()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding a pod of COUNT documents."""
    data = tmp_path / "data"
    store = sqlite_store(data)
    try:
        migrate(store.engine)
        filled_pod(store, "default")
    finally:
        store.dispose()
    return data


COUNT = len(documents_of())


def test_export_and_import_count_documents_and_bytes_on_a_terminal(data_dir, tmp_path):
    archive = tmp_path / "pod.tar.gz"

    code, stdout, terminal = on_a_terminal(
        "export", str(archive), "--data-dir", str(data_dir), cwd=tmp_path
    )

    assert code == 0, terminal
    assert f"Exported {COUNT} resource(s)" in stdout
    lines = [line for line in re.split(r"[\r\n]+", terminal) if line]
    assert lines[0] == "Exporting: 0 documents, 0 bytes\x1b[K"
    size = f"{archive.stat().st_size / 1000:.1f} kB"
    assert lines[-1] == f"Exporting: {COUNT} documents, {size}\x1b[K", "the last line: all"

    code, stdout, terminal = on_a_terminal(
        "import", str(archive), "--data-dir", str(tmp_path / "b"), cwd=tmp_path
    )

    assert code == 0, terminal
    assert f"Imported {COUNT} resource(s)" in stdout
    lines = [line for line in re.split(r"[\r\n]+", terminal) if line]
    assert lines[0] == f"Importing: 0 documents, 0 bytes of {size}\x1b[K"
    assert lines[-1] == f"Importing: {COUNT} documents, {size} of {size}\x1b[K"


def test_export_and_import_show_no_progress_where_stderr_is_not_a_terminal(pds, data_dir, tmp_path):
    exported = ok(pds("export", "pod.tar.gz", "--data-dir", str(data_dir)))
    imported = ok(pds("import", "pod.tar.gz", "--data-dir", str(tmp_path / "b")))

    assert exported.stderr == imported.stderr == ""
    assert exported.stdout.startswith(f"Exported {COUNT} resource(s) to pod.tar.gz")
    assert imported.stdout.startswith(f"Imported {COUNT} resource(s) into pod 'default'")


def test_refused_import_ends_its_progress_line_before_the_error(tmp_path):
    archive = tmp_path / "not-an-export.tar.gz"
    archive.write_bytes(b"just some text")

    code, _stdout, terminal = on_a_terminal(
        "import", str(archive), "--data-dir", str(tmp_path / "b"), cwd=tmp_path
    )

    assert code == 1
    assert "Importing: 0 documents, 14 bytes of 14 bytes\x1b[K\r\nError: import refused" in terminal
    assert not (tmp_path / "b").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_redraws_as_counts_grow_at_most_ten_times_a_second():
    now = [0.0]
    terminal = Terminal()

    with ProgressLine("Exporting", stream=terminal, clock=lambda: now[0]) as shown:
        shown.add_documents(1)  # too soon after the first line: not drawn
        now[0] = 0.15
        shown.add_documents(1)
        now[0] = 0.2
        shown.add_bytes(999)
        now[0] = 0.3
        shown.add_bytes(1_500_000)

    assert terminal.getvalue().split("\r")[1:] == [
        "Exporting: 0 documents, 0 bytes\x1b[K",
        "Exporting: 2 documents, 0 bytes\x1b[K",
        "Exporting: 2 documents, 1.5 MB\x1b[K",
        "Exporting: 2 documents, 1.5 MB\x1b[K\n",
    ]


def test_progress_line_writes_nothing_where_the_stream_is_not_a_terminal():
    log = io.StringIO()

    with ProgressLine("Importing", 2048, stream=log) as shown:
        shown.add_bytes(2048)
        shown.add_documents(3)

    assert log.getvalue() == ""
    assert shown.text() == "Importing: 3 documents, 2.0 kB of 2.0 kB"
