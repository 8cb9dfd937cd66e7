"""`pds settings`: where each setting comes from, bad config files, and secrets masked."""

from __future__ import annotations

import ast
import re
import subprocess

import pytest

from tests.cli.cli_setup import ok

# -- settings -------------------------------------------------------------------------------------


def shown_settings(result: subprocess.CompletedProcess) -> dict[str, object]:
    """`pds settings` output as {name: value}."""
    out = {}
    for line in ok(result).stdout.splitlines():
        match = re.fullmatch(r"(\w+)\s+= (.*?)\s+# PDS_(\w+)", line)
        assert match, f"unexpected line: {line!r}"
        assert match[3] == match[1].upper()
        out[match[1]] = ast.literal_eval(match[2])
    return out


def test_settings_flag_beats_environment_beats_config_file_beats_default(pds, tmp_path):
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

    shown = shown_settings(result)
    assert shown["pod"] == "from-flag"
    assert shown["port"] == 2222
    assert shown["database_url"] == "sqlite:////srv/from-env.sqlite3"
    assert shown["log_level"] == "WARNING"
    assert shown["workers"] == 2, "untouched settings keep their defaults"


def test_settings_come_from_pds_toml_in_the_data_directory_unless_pds_config_names_another(
    pds, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    (data / "pds.toml").write_text('pod = "from-data-dir"\nport = 1111\n')
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('pod = "from-pds-config"\n')

    assert shown_settings(pds("--data-dir", str(data), "settings"))["pod"] == "from-data-dir"
    shown = shown_settings(
        pds("--data-dir", str(data), "settings", env={"PDS_CONFIG": str(elsewhere)})
    )
    assert shown["pod"] == "from-pds-config"
    assert shown["port"] == 8000, "one config file is read, not both"


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

    assert result.returncode == 2
    assert message.format(config=config) in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_mask_the_secret_key_and_the_database_password(pds, tmp_path):
    config = tmp_path / "pds.toml"
    config.write_text('secret_key = "secret-from-the-config-file"\n')

    result = pds(
        *("--config", str(config), "settings"),
        env={"PDS_DATABASE_URL": "postgresql+psycopg://pod:s3cret-db-pw@db.internal/pods"},
    )

    shown = shown_settings(result)
    assert shown["secret_key"] == "********"
    assert shown["database_url"] == "postgresql+psycopg://pod:***@db.internal/pods"
    assert "secret-from-the-config-file" not in result.stdout + result.stderr
    assert "s3cret-db-pw" not in result.stdout + result.stderr
