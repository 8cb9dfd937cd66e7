"""Commands that look after a pod, run where there is none: one line, and nothing created.

"No pod" is what the store says: no SQLite file, a database without the pod's tables, or no
row for the pod's name. `init`, `serve` and `import` make pods; the others never do.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from pds.store import NotFound, pods
from tests.cli.cli_setup import listing, ok, one_line_error, sqlite_store

LOOKING_AFTER = {
    "export": (["export", "pod.tar.gz"], None),
    "passwd": (["passwd"], "a long new password\n"),
    "token create": (["token", "create", "script"], None),
    "token list": (["token", "list"], None),
    "token revoke": (["token", "revoke", "tok_nothing"], None),
    "keys list": (["keys", "list"], None),
    "keys rotate": (["keys", "rotate"], None),
}
WITH_MIGRATE = {**LOOKING_AFTER, "migrate": (["migrate"], None)}


def says_there_is_no_pod(result, *names: str) -> None:
    error = one_line_error(result)
    assert "no pod" in error
    for name in names:
        assert name in error, error
    assert "`pds init` or `pds serve`" in error
    assert result.stdout == ""


@pytest.mark.parametrize("command", list(WITH_MIGRATE), ids=list(WITH_MIGRATE))
def test_command_in_a_sqlite_data_directory_that_does_not_exist_creates_nothing(
    pds, tmp_path, command
):
    args, stdin = WITH_MIGRATE[command]
    data = tmp_path / "nowhere"
    before = listing(tmp_path)

    result = pds(*args, "--data-dir", str(data), input=stdin)

    says_there_is_no_pod(result, str(data / "pds.sqlite3"))
    assert listing(tmp_path) == before
    assert not data.exists()


@pytest.mark.parametrize("command", list(LOOKING_AFTER), ids=list(LOOKING_AFTER))
def test_command_for_a_pod_name_the_sqlite_database_lacks_changes_nothing(pds, tmp_path, command):
    data = tmp_path / "data"
    ok(pds("init", "--data-dir", str(data)))
    args, stdin = LOOKING_AFTER[command]
    before = listing(tmp_path)

    result = pds(*args, "--data-dir", str(data), "--pod", "other", input=stdin)

    says_there_is_no_pod(result, "'other'", str(data / "pds.sqlite3"), "--pod")
    assert listing(tmp_path) == before
    store = sqlite_store(data)
    try:
        with store.read() as conn, pytest.raises(NotFound):
            pods.get(conn, "other")
    finally:
        store.dispose()


@pytest.mark.postgresql
@pytest.mark.parametrize("command", list(LOOKING_AFTER), ids=list(LOOKING_AFTER))
def test_command_for_a_pod_the_postgresql_database_lacks_creates_no_row_and_no_folder(
    pds, tmp_path, postgresql_url, postgresql_store, command
):
    args, stdin = LOOKING_AFTER[command]
    pod = f"absent-{secrets.token_hex(4)}"

    result = pds(
        *args,
        *("--database-url", postgresql_url, "--pod", pod, "--data-dir", str(tmp_path / "data")),
        input=stdin,
    )

    says_there_is_no_pod(result, repr(pod), "postgresql+psycopg://postgres@127.0.0.1")
    with postgresql_store.read() as conn, pytest.raises(NotFound):
        pods.get(conn, pod)
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "pod.tar.gz").exists()


@pytest.mark.postgresql
@pytest.mark.parametrize("command", list(LOOKING_AFTER), ids=list(LOOKING_AFTER))
def test_command_on_an_empty_postgresql_database_creates_no_table(
    pds, tmp_path, empty_postgresql_url, command
):
    args, stdin = LOOKING_AFTER[command]

    result = pds(*args, "--database-url", empty_postgresql_url, input=stdin)

    says_there_is_no_pod(result, "is empty")
    engine = sa.create_engine(empty_postgresql_url)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()
    assert listing(tmp_path) == []


def test_export_and_migrate_in_an_empty_folder_make_no_pod_and_no_empty_archive(pds, tmp_path):
    export = pds("export", "x.tar.gz")
    migrate = pds("migrate")
    export_again = pds("export", "x.tar.gz")

    for result in (export, migrate, export_again):
        says_there_is_no_pod(result, str(tmp_path / "pds-data" / "pds.sqlite3"))
    assert listing(tmp_path) == []


@pytest.mark.postgresql
def test_migrate_brings_an_empty_postgresql_database_to_the_latest_schema_and_is_repeatable(
    pds, empty_postgresql_url
):
    url = empty_postgresql_url

    first = ok(pds("migrate", "--database-url", url))
    again = ok(pds("migrate", "--database-url", url))

    head = first.stdout.split()[-1]
    assert first.stdout == f"schema empty -> {head}\n"
    assert again.stdout == f"schema at {head}\n"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            pods.create(conn, "after-migrate", "http://127.0.0.1:1")
    finally:
        engine.dispose()


def test_migrate_updates_a_sqlite_data_directory_that_holds_a_pod(pds, tmp_path: Path):
    data = tmp_path / "data"
    ok(pds("init", "--data-dir", str(data)))

    result = ok(pds("migrate", "--data-dir", str(data)))

    assert result.stdout.startswith("schema at ")
