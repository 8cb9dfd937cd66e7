"""Export and import through the `pds` command: data directories, and SQLite -> PostgreSQL."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import URIRef

from pds.store import Store, migrate, pods
from pds.store import resources as resource_rows
from tests.cli.archive_setup import (
    POD_SETTINGS,
    _flip_a_byte,
    audit_trail,
    documents_of,
    filled_pod,
    members_of,
    tar_of,
    with_checksums,
)
from tests.cli.cli_setup import listing, one_line_error, pod_of
from tests.conftest import PASSWORD

PDS = Path(sys.executable).parent / "pds"


# -- through the CLI ------------------------------------------------------------------------------


def pds(*args: str, home: Path) -> subprocess.CompletedProcess:
    """Run the installed `pds` command with no PDS_* settings from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    return subprocess.run(
        [str(PDS), *args],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(home)},
        timeout=60,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def sqlite_store(data_dir: Path) -> Store:
    return Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")


@pytest.fixture(scope="module")
def cli_source(tmp_path_factory) -> tuple[Path, str]:
    """A SQLite data directory holding a filled, claimed pod named "default"; and a token."""
    data_dir = tmp_path_factory.mktemp("source")
    store = sqlite_store(data_dir)
    try:
        migrate(store.engine)
        _pod, secret, _revoked = filled_pod(store, "default")
    finally:
        store.dispose()
    return data_dir, secret


@pytest.fixture(scope="module")
def cli_archive(cli_source, tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("export") / "pod.tar.gz"
    ok(pds("--data-dir", str(cli_source[0]), "export", str(archive), home=archive.parent))
    return archive


def assert_same_pod(store_a: Store, pod_a: str, store_b: Store, pod_b: str, secret: str) -> None:
    with store_a.read() as conn:
        rows_a = {r.path: r for r in resource_rows.all_rows(conn, pod_a)}
        settings_a = pods.get(conn, pod_a).settings
    with store_b.read() as conn:
        rows_b = {r.path: r for r in resource_rows.all_rows(conn, pod_b)}
        settings_b = pods.get(conn, pod_b).settings
    # Stored bodies do not depend on the base URL, so they match byte for byte.
    assert rows_b == rows_a
    assert set(rows_a) == set(documents_of())
    assert settings_b == settings_a == POD_SETTINGS
    owner = pod_of(store_b, pod_b).account
    owner.verify_password(PASSWORD)
    assert owner.authenticate_token(secret).name == "backup script"
    assert audit_trail(store_b, pod_b) == audit_trail(store_a, pod_a)


def test_cli_moves_a_pod_from_one_data_directory_to_another(cli_source, cli_archive, tmp_path):
    source, secret = cli_source
    target = tmp_path / "b"

    result = pds(
        *("--data-dir", str(target), "import", str(cli_archive)),
        *("--base-url", "https://pod.example"),
        home=tmp_path,
    )

    output = ok(result)
    assert f"Imported {len(documents_of())} resource" in output
    assert "into pod 'default' at https://pod.example" in output
    store_a, store_b = sqlite_store(source), sqlite_store(target)
    try:
        assert_same_pod(store_a, "default", store_b, "default", secret)
        profile = pod_of(store_b).data.document("/profile").graph
        assert (URIRef("https://pod.example/data/profile#me"), None, None) in profile
    finally:
        store_a.dispose()
        store_b.dispose()
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / "pds.sqlite3").stat().st_mode) == 0o600


@pytest.mark.postgresql
def test_cli_moves_a_pod_from_sqlite_to_postgresql(
    cli_source, cli_archive, tmp_path, postgresql_url, postgresql_store
):
    source, secret = cli_source
    pod = f"moved-{secrets.token_hex(4)}"

    result = pds(
        *("--data-dir", str(tmp_path / "pg"), "--database-url", postgresql_url, "--pod", pod),
        *("import", str(cli_archive), "--base-url", f"https://{pod}.example"),
        home=tmp_path,
    )

    output = ok(result)
    assert f"Imported {len(documents_of())} resource" in output
    assert f"into pod {pod!r} at https://{pod}.example" in output
    store_a = sqlite_store(source)
    try:
        assert_same_pod(store_a, "default", postgresql_store, pod, secret)
    finally:
        store_a.dispose()


def test_cli_refuses_a_tampered_archive_with_a_clear_message_and_creates_nothing(
    cli_archive, tmp_path
):
    archive = tmp_path / "tampered.tar.gz"
    archive.write_bytes(_flip_a_byte(members_of(cli_archive.read_bytes())))
    target = tmp_path / "new" / "b"

    result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

    error = one_line_error(result)
    assert "import refused, nothing was changed: resources.trig was altered" in error
    assert not (tmp_path / "new").exists(), "the data directory it would have made is not there"


def test_cli_import_the_database_refuses_removes_the_data_directory_it_made(cli_archive, tmp_path):
    members = members_of(cli_archive.read_bytes())
    tokens = json.loads(members["tables/api_tokens.json"])
    tokens[0]["name"] = None  # passes every check of the archive; the database says NOT NULL
    archive = tmp_path / "nameless-token.tar.gz"
    archive.write_bytes(
        tar_of(with_checksums({**members, "tables/api_tokens.json": json.dumps(tokens).encode()}))
    )
    target = tmp_path / "new" / "data"

    result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

    error = one_line_error(result)
    assert "import refused, nothing was changed: tables/api_tokens.json has values" in error
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text", "not a pod export"),
        (gzip.compress(b"just some text"), "not a pod export"),
        (b"", "not a pod export"),
    ],
    ids=["text", "gzipped text", "empty file"],
)
def test_cli_refuses_what_is_not_an_export_and_leaves_an_existing_pod_as_it_was(
    cli_source, tmp_path, content, message
):
    target = tmp_path / "target"
    shutil.copytree(cli_source[0], target)
    archive = tmp_path / "not-an-export.tar.gz"
    archive.write_bytes(content)
    before = listing(target)

    result = pds("--data-dir", str(target), "--pod", "new", "import", str(archive), home=tmp_path)

    assert message in one_line_error(result)
    assert listing(target) == before


def test_cli_refuses_to_import_over_a_pod_in_use_and_leaves_its_folder_as_it_was(
    cli_source, cli_archive, tmp_path
):
    target = tmp_path / "target"
    shutil.copytree(cli_source[0], target)
    (target / "pds.sqlite3-writelock").unlink(missing_ok=True)  # as if only `pds migrate` ran
    rows_before = _rows(target, "default")
    before = listing(target)

    result = pds("import", str(cli_archive), "--data-dir", str(target), home=tmp_path)

    error = one_line_error(result)
    assert "import refused, nothing was changed: the target pod is not empty" in error
    assert listing(target) == before
    assert _rows(target, "default") == rows_before


@pytest.mark.postgresql
def test_cli_refuses_to_import_over_a_postgresql_pod_in_use_and_creates_no_folder(
    cli_archive, tmp_path, postgresql_url, postgresql_store
):
    pod = f"busy-{secrets.token_hex(4)}"
    filled_pod(postgresql_store, pod)
    rows_before = _rows_in(postgresql_store, pod)
    target = tmp_path / "data"

    result = pds(
        *("import", str(cli_archive), "--base-url", f"https://{pod}.example"),
        *("--database-url", postgresql_url, "--pod", pod, "--data-dir", str(target)),
        home=tmp_path,
    )

    assert "the target pod is not empty" in one_line_error(result)
    assert _rows_in(postgresql_store, pod) == rows_before
    assert not target.exists()


def _rows(data_dir: Path, pod: str):
    store = sqlite_store(data_dir)
    try:
        return _rows_in(store, pod)
    finally:
        store.dispose()


def _rows_in(store: Store, pod: str):
    with store.read() as conn:
        return pods.get(conn, pod), resource_rows.all_rows(conn, pod)


def test_cli_import_of_a_file_it_cannot_read_says_so_and_creates_nothing(tmp_path):
    target = tmp_path / "data"
    (tmp_path / "a-folder.tar.gz").mkdir()

    for archive, reason in [
        (tmp_path / "missing.tar.gz", "No such file or directory"),
        (tmp_path / "a-folder.tar.gz", "Is a directory"),
    ]:
        result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

        assert one_line_error(result) == f"Error: cannot read {archive}: {reason}"
        assert not target.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_cli_import_of_an_unreadable_file_says_so_and_creates_nothing(cli_archive, tmp_path):
    archive = tmp_path / "private.tar.gz"
    archive.write_bytes(cli_archive.read_bytes())
    archive.chmod(0)
    target = tmp_path / "data"

    result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

    assert one_line_error(result) == f"Error: cannot read {archive}: Permission denied"
    assert not target.exists()


def test_cli_import_into_a_data_directory_it_cannot_make_says_so(
    cli_archive, tmp_path, read_only_dir
):
    a_file = tmp_path / "a-file"
    a_file.write_text("")

    for target in (a_file / "data", read_only_dir / "data"):
        result = pds("--data-dir", str(target), "import", str(cli_archive), home=tmp_path)

        error = one_line_error(result)
        assert f"cannot use the data directory {target}" in error
        assert "--data-dir / PDS_DATA_DIR" in error
        assert not target.exists()


def test_cli_export_is_readable_by_its_owner_only_even_over_older_files(cli_source, tmp_path):
    archive = tmp_path / "pod.tar.gz"
    archive.write_bytes(b"an older export")
    archive.chmod(0o644)
    stale = tmp_path / "pod.tar.gz.partial"
    stale.write_bytes(b"left over from an export that was interrupted")
    stale.chmod(0o644)

    result = pds("--data-dir", str(cli_source[0]), "export", str(archive), home=tmp_path)

    assert f"Exported {len(documents_of())} resource" in ok(result)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not stale.exists()
    assert set(members_of(archive.read_bytes())) >= {"manifest.json", "resources.trig"}
