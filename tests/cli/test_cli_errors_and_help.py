"""What an operator meets: database errors without tracebacks, `--help`, and `pds migrate`."""

from __future__ import annotations

import re

import click
import pytest

from pds.cli import serve as serve_command
from pds.store import pods
from tests.cli.cli_setup import ok, sqlite_store

UNREACHABLE_DB = "postgresql+psycopg://postgres:hunter2-db-password@127.0.0.1:1/x"


# -- errors an operator meets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["init"], ["migrate"], ["token", "list"]], ids=["init", "migrate", "token list"]
)
def test_unreachable_database_gives_one_paragraph_saying_what_to_check(pds, tmp_path, command):
    result = pds(
        *("--data-dir", str(tmp_path / "data"), "--database-url", UNREACHABLE_DB, *command)
    )

    assert result.returncode == 1
    error = result.stderr.strip()
    assert "Traceback" not in error
    assert error.startswith("Error: cannot open the database postgresql+psycopg://postgres:***@")
    assert "Connection refused" in error
    assert "Check --database-url / PDS_DATABASE_URL" in error
    assert "\n\n" not in error, "one paragraph"
    assert "hunter2-db-password" not in result.stdout + result.stderr


def test_unparsable_database_url_is_an_error_not_a_traceback(pds, tmp_path):
    result = pds("--data-dir", str(tmp_path / "data"), "--database-url", "db:pw@nowhere", "init")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Check --database-url / PDS_DATABASE_URL" in result.stderr
    assert "pw@nowhere" not in result.stderr


# -- help -----------------------------------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def test_serve_help_lists_every_option_with_its_environment_variable(pds):
    text = flat(ok(pds("serve", "--help")).stdout)

    options = [p for p in serve_command.params if isinstance(p, click.Option)]
    assert {o.name for o in options} >= {"host", "port", "base_url", "workers"}
    for option in options:
        flag = option.opts[0]
        assert re.search(rf"{flag} [^\[]*\[env: PDS_{option.name.upper()}\]", text), (
            f"{flag} is not listed with PDS_{option.name.upper()} in `pds serve --help`"
        )


def test_main_help_lists_the_global_options_with_their_environment_variables(pds):
    text = flat(ok(pds("--help")).stdout)

    for flag, env in [
        ("--data-dir", "PDS_DATA_DIR"),
        ("--database-url", "PDS_DATABASE_URL"),
        ("--pod", "PDS_POD"),
        ("--config", "PDS_CONFIG"),
    ]:
        assert re.search(rf"{flag} [^\[]*\[env: {env}\]", text), f"{flag} lacks {env}"
    for command in ("init", "serve", "migrate", "passwd", "token", "export", "import", "settings"):
        assert re.search(rf"\b{command}\b", text)


def test_migrate_brings_an_empty_database_to_the_latest_schema_and_is_safe_to_repeat(pds, tmp_path):
    data = tmp_path / "data"

    first = ok(pds("--data-dir", str(data), "migrate"))
    again = ok(pds("--data-dir", str(data), "migrate"))

    assert re.fullmatch(r"schema empty -> \w+\n", first.stdout)
    head = first.stdout.split()[-1]
    assert again.stdout == f"schema at {head}\n"
    store = sqlite_store(data)
    try:
        with store.begin() as conn:
            pods.create(conn, "after-migrate", "http://127.0.0.1:1")
    finally:
        store.dispose()
