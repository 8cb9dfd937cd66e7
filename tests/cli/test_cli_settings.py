"""`pds settings`: a config file of the settings in force, where each came from, no secrets."""

from __future__ import annotations

import re
import subprocess
import tomllib

import pytest

from pds.settings import FIELDS
from tests.cli.cli_setup import ok, one_line_error

# -- settings -------------------------------------------------------------------------------------


def shown_settings(result: subprocess.CompletedProcess) -> tuple[dict, dict[str, str]]:
    """`pds settings` output as ({name: value} as TOML reads it, {name: where it came from})."""
    text = ok(result).stdout
    values = tomllib.loads(text)
    sources = {}
    for line in text.splitlines():
        match = re.fullmatch(r"#? ?(\w+)(?: = .*?|: .*?)\s+# (.+)", line)
        if match:
            sources[match[1]] = match[2]
    return values, sources


def test_settings_flag_beats_environment_beats_config_file_beats_default_and_says_so(pds, tmp_path):
    config = tmp_path / "pods.toml"
    config.write_text(
        'pod = "from-file"\nport = 1111\nlog_level = "WARNING"\n'
        'database_url = "sqlite:////srv/from-file.sqlite3"\n'
    )

    result = pds(
        *("--config", str(config), "--pod", "from-flag", "settings"),
        env={
            "PDS_POD": "from-env",
            "PDS_PORT": "2222",
            "PDS_DATABASE_URL": "sqlite:////srv/from-env.sqlite3",
        },
    )

    values, sources = shown_settings(result)
    assert (values["pod"], sources["pod"]) == ("from-flag", "flag --pod")
    assert (values["port"], sources["port"]) == (2222, "env PDS_PORT")
    assert values["database_url"] == "sqlite:////srv/from-env.sqlite3"
    assert sources["database_url"] == "env PDS_DATABASE_URL"
    assert (values["log_level"], sources["log_level"]) == ("WARNING", f"config file {config}")
    assert (values["workers"], sources["workers"]) == (2, "default")
    assert values["data_dir"] == str(tmp_path / "pds-data"), "an absolute path"
    assert sources["base_url"] == "default: http://<host>:<port>"


def test_settings_come_from_pds_toml_in_the_data_directory_unless_pds_config_names_another(
    pds, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "pds.toml").write_text('pod = "from-data-dir"\nport = 1111\n')
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('pod = "from-pds-config"\n')

    values, sources = shown_settings(pds("--data-dir", str(data), "settings"))
    assert values["pod"] == "from-data-dir"
    assert sources["pod"] == f"config file {data / 'pds.toml'}"
    values, _ = shown_settings(
        pds("--data-dir", str(data), "settings", env={"PDS_CONFIG": str(elsewhere)})
    )
    assert values["pod"] == "from-pds-config"
    assert values["port"] == 8000, "one config file is read, not both"


def test_settings_output_read_back_with_config_gives_the_same_settings(pds, tmp_path):
    config = tmp_path / "first.toml"
    config.write_text('log_level = "DEBUG"\nallow_private_callbacks = true\n')
    first = pds(
        *("settings", "--config", str(config), "--pod", 'a "quoted" pod\\name'),
        *("--data-dir", "relative/data", "--database-url", "postgresql+psycopg://pod@db/pods"),
        env={"PDS_PORT": "8443", "PDS_BASE_URL": "https://pod.example", "PDS_WORKERS": "4"},
    )
    written = tmp_path / "written.toml"
    written.write_text(ok(first).stdout)

    again = pds("--config", str(written), "settings")

    values, sources = shown_settings(again)
    assert values == shown_settings(first)[0]
    assert values["pod"] == 'a "quoted" pod\\name'
    assert values["data_dir"] == str(tmp_path / "relative" / "data")
    assert values["allow_private_callbacks"] is True
    assert set(values) == set(FIELDS) - {"secret_key", "admin_token"}
    assert {sources[name] for name in values} == {f"config file {written}"}


def test_settings_never_show_the_secret_key_nor_the_database_password(pds, tmp_path):
    config = tmp_path / "pds.toml"
    config.write_text('secret_key = "secret-from-the-config-file"\n')

    result = pds(
        *("--config", str(config), "settings"),
        env={"PDS_DATABASE_URL": "postgresql+psycopg://pod:s3cret-db-pw@db.internal/pods"},
    )

    values, sources = shown_settings(result)
    assert "secret_key" not in values
    assert f"# secret_key: set by config file {config}, not shown" in result.stdout
    assert "database_url" not in values, "a URL with its password masked would not connect"
    assert '# database_url = "postgresql+psycopg://pod:***@db.internal/pods"' in result.stdout
    assert sources["database_url"] == "env PDS_DATABASE_URL, password not shown: set it there"
    assert "secret-from-the-config-file" not in result.stdout + result.stderr
    assert "s3cret-db-pw" not in result.stdout + result.stderr


def test_settings_say_where_a_generated_secret_key_is_kept(pds, tmp_path):
    result = pds("settings", "--data-dir", str(tmp_path / "data"))

    expected = f"# secret_key: generated, kept in {tmp_path / 'data' / 'secret_key'}"
    assert expected in ok(result).stdout
    assert not (tmp_path / "data").exists(), "showing settings makes nothing"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('colour = "red"\nport = 1111\n', "{config} has unknown settings: colour"),
        ('port = "eighty"\n', "port must be a non-negative whole number, not 'eighty'"),
        ("port = \n", "config file {config} is not valid TOML"),
    ],
    ids=["unknown key", "wrong type", "not TOML"],
)
def test_settings_refuse_a_config_file_they_cannot_use_and_say_why(pds, tmp_path, toml, message):
    config = tmp_path / "pds.toml"
    config.write_text(toml)

    result = pds("--config", str(config), "settings")

    assert message.format(config=config) in one_line_error(result, exit_code=2)
