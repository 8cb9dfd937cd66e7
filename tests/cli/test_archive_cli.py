"""Export and import through the `pds` command: data directories, and SQLite -> PostgreSQL."""

from __future__ import annotations

import os
import secrets
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
    assert_untouched,
    audit_trail,
    filled_pod,
    members_of,
)
from tests.cli.cli_setup import pod_of
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
    assert set(rows_a) == {"/profile", "/preferences", "/notes/today"}
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
    assert "Imported 3 resource" in output
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
    assert stat.S_IMODE((target / "secret_key").stat().st_mode) == 0o600


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
    assert "Imported 3 resource" in output
    assert f"into pod {pod!r} at https://{pod}.example" in output
    store_a = sqlite_store(source)
    try:
        assert_same_pod(store_a, "default", postgresql_store, pod, secret)
    finally:
        store_a.dispose()


def test_cli_refuses_a_tampered_archive_with_a_clear_message_and_changes_nothing(
    cli_archive, tmp_path
):
    archive = tmp_path / "tampered.tar.gz"
    archive.write_bytes(_flip_a_byte(members_of(cli_archive.read_bytes())))
    target = tmp_path / "b"

    result = pds("--data-dir", str(target), "import", str(archive), home=tmp_path)

    assert result.returncode == 1
    assert "import refused, nothing was changed: resources.trig was altered" in result.stderr
    assert "Traceback" not in result.stderr
    store = sqlite_store(target)
    try:
        assert_untouched(store, pod_of(store))
    finally:
        store.dispose()


def test_cli_export_is_readable_by_its_owner_only_even_over_older_files(cli_source, tmp_path):
    archive = tmp_path / "pod.tar.gz"
    archive.write_bytes(b"an older export")
    archive.chmod(0o644)
    stale = tmp_path / "pod.tar.gz.partial"
    stale.write_bytes(b"left over from an export that was interrupted")
    stale.chmod(0o644)

    result = pds("--data-dir", str(cli_source[0]), "export", str(archive), home=tmp_path)

    assert "Exported 3 resource" in ok(result)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not stale.exists()
    assert set(members_of(archive.read_bytes())) >= {"manifest.json", "resources.trig"}
