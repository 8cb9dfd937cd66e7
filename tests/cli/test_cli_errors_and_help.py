"""What an operator meets: one line for every error they can cause (never a traceback), and a
`--help` that documents every setting."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from pds.cli.serving import serve as serve_command
from pds.settings import FIELDS, default_text
from tests.cli.cli_setup import listing, ok, one_line_error

UNREACHABLE_DB = "postgresql+psycopg://postgres:hunter2-db-password@127.0.0.1:1/x"


# -- errors an operator meets ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["init"], ["migrate"], ["token", "list"]], ids=["init", "migrate", "token list"]
)
def test_unreachable_database_gives_one_line_saying_what_to_check(pds, tmp_path, command):
    result = pds(
        *("--data-dir", str(tmp_path / "data"), "--database-url", UNREACHABLE_DB, *command)
    )

    error = one_line_error(result)
    assert error.startswith("Error: cannot open the database postgresql+psycopg://postgres:***@")
    assert "Connection refused" in error
    assert "Check --database-url / PDS_DATABASE_URL" in error
    assert "hunter2-db-password" not in result.stdout + result.stderr


def test_unparsable_database_url_is_an_error_not_a_traceback(pds, tmp_path):
    result = pds("--data-dir", str(tmp_path / "data"), "--database-url", "db:pw@nowhere", "init")

    assert "Check --database-url / PDS_DATABASE_URL" in one_line_error(result)
    assert "pw@nowhere" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [["init"], ["serve", "--port", "0"]],
    ids=["init", "serve"],
)
def test_a_data_directory_that_cannot_be_made_is_one_line_naming_it(
    pds, tmp_path, read_only_dir, command
):
    a_file = tmp_path / "a-file"
    a_file.write_text("")

    for data, reason in [(a_file / "data", "Not a directory"), (read_only_dir / "data", "")]:
        result = pds(*command, "--data-dir", str(data))

        error = one_line_error(result)
        assert error.startswith(f"Error: cannot use the data directory {data}: {reason}")
        assert "--data-dir / PDS_DATA_DIR" in error
        assert not data.exists()


@pytest.fixture
def data_dir(pds, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    ok(pds("init", "--demo", "--data-dir", str(data)))
    return data


def test_export_to_a_directory_that_does_not_exist_is_one_line_and_writes_nothing(
    pds, tmp_path, data_dir
):
    archive = tmp_path / "missing" / "pod.tar.gz"

    result = pds("export", str(archive), "--data-dir", str(data_dir))

    assert one_line_error(result) == (
        f"Error: cannot write {archive}: the directory {archive.parent} does not exist"
    )
    assert not archive.parent.exists()


def test_export_to_a_path_it_cannot_write_is_one_line_and_leaves_no_partial_file(
    pds, tmp_path, data_dir, read_only_dir
):
    (tmp_path / "a-folder").mkdir()
    before = listing(tmp_path / "a-folder")

    for archive, reason in [
        (read_only_dir / "pod.tar.gz", "cannot write"),
        (tmp_path / "a-folder", "it is a directory"),
    ]:
        result = pds("export", str(archive), "--data-dir", str(data_dir))

        error = one_line_error(result)
        assert error.startswith(f"Error: cannot write {archive}")
        assert reason in error
        assert not Path(f"{archive}.partial").exists()
    assert listing(tmp_path / "a-folder") == before


@pytest.mark.parametrize(
    "command",
    [["settings"], ["init"], ["serve"], ["export", "x.tar.gz"], ["token", "list"]],
    ids=" ".join,
)
def test_a_config_file_that_is_not_toml_is_one_line_naming_it(pds, tmp_path, command):
    config = tmp_path / "pds.toml"
    config.write_text("[server\nport = 8000\n")

    result = pds(*command, "--config", str(config))

    error = one_line_error(result, exit_code=2)
    assert error.startswith(f"Error: config file {config} is not valid TOML: ")
    assert listing(tmp_path) == [("pds.toml", config.stat().st_size)], "nothing was made"


def test_a_config_file_that_does_not_exist_is_one_line_naming_it(pds, tmp_path):
    result = pds("settings", "--config", str(tmp_path / "nowhere.toml"))

    assert one_line_error(result, exit_code=2) == (
        f"Error: cannot read config file {tmp_path / 'nowhere.toml'}: No such file or directory"
    )


# -- help -----------------------------------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def test_serve_help_lists_every_setting_with_its_default_and_environment_variable(pds):
    text = flat(ok(pds("serve", "--help")).stdout)

    for name in FIELDS:
        env = f"PDS_{name.upper()}"
        assert re.search(rf"{env}\b[^\[]*\]? \[default: {re.escape(default_text(name))}\]", text), (
            f"{env} or its default ({default_text(name)}) is missing from `pds serve --help`"
        )
    assert "[default: ./pds-data]" in text
    assert "[default: 8000]" in text
    assert "[env: PDS_CONFIG]" in text


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
