"""--data-dir, --database-url, --pod and --config after the command, as the README writes them."""

from __future__ import annotations

import re
import tomllib

import pytest

from pds.schemas import sample_documents
from tests.cli.cli_setup import ok
from tests.conftest import PASSWORD

SAMPLES = len(sample_documents())  # what `pds init --demo` puts in a pod
COMMANDS = [
    ["init"],
    ["serve"],
    ["migrate"],
    ["passwd"],
    ["token"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
    ["keys"],
    ["keys", "list"],
    ["keys", "rotate"],
    ["export"],
    ["import"],
    ["settings"],
]


def test_every_command_works_on_the_pod_its_options_name_after_it(pds, tmp_path, pod_args):
    ok(pds("init", "--demo", *pod_args))
    ok(pds("passwd", *pod_args, input=f"{PASSWORD}\n"))
    created = ok(pds("token", "create", "named after", *pod_args))
    token_id = re.search(r"Token (\S+) ", created.stderr)[1]
    assert "named after" in ok(pds("token", "list", *pod_args)).stdout
    # Between the group and its command too.
    assert f"Token {token_id} revoked" in ok(pds("token", *pod_args, "revoke", token_id)).stdout
    assert "active" in ok(pds("keys", "list", *pod_args)).stdout
    rotated = ok(pds("keys", "rotate", *pod_args)).stdout
    kid = re.search(r"New signing key (\S+),", rotated)[1]
    assert re.search(rf"^{re.escape(kid)}\s+next ", ok(pds("keys", "list", *pod_args)).stdout, re.M)
    assert ok(pds("migrate", *pod_args)).stdout.startswith("schema at ")
    exported = ok(pds("export", "pod.tar.gz", *pod_args))

    assert f"Exported {SAMPLES} resource(s) to pod.tar.gz" in exported.stdout
    assert not (tmp_path / "pds-data").exists(), "nothing went to the default data directory"


def test_import_puts_the_pod_where_its_options_after_it_say(pds, tmp_path):
    ok(pds("init", "--demo", "--data-dir", str(tmp_path / "a")))
    ok(pds("export", "pod.tar.gz", "--data-dir", str(tmp_path / "a")))

    imported = ok(pds("import", "pod.tar.gz", "--data-dir", str(tmp_path / "b"), "--pod", "moved"))

    assert f"Imported {SAMPLES} resource(s) into pod 'moved'" in imported.stdout
    listed = ok(pds("token", "list", "--pod", "moved", "--data-dir", str(tmp_path / "b")))
    assert listed.stdout.startswith("No tokens.")
    assert not (tmp_path / "pds-data").exists()


def test_settings_take_each_option_after_the_command_and_it_wins_over_the_same_before(
    pds, tmp_path
):
    config = tmp_path / "other.toml"
    config.write_text("port = 1234\n")

    result = pds(
        *("--pod", "before", "--data-dir", str(tmp_path / "before")),
        "settings",
        *("--pod", "after", "--data-dir", str(tmp_path / "after"), "--config", str(config)),
        *("--database-url", "sqlite:////srv/after.sqlite3"),
    )

    shown = tomllib.loads(ok(result).stdout)
    assert shown["pod"] == "after"
    assert shown["data_dir"] == str(tmp_path / "after")
    assert shown["database_url"] == "sqlite:////srv/after.sqlite3"
    assert shown["port"] == 1234


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_documents_the_options_that_name_the_pod(pds, command):
    text = ok(pds(*command, "--help")).stdout

    for option in ("--data-dir", "--database-url", "--pod", "--config"):
        assert option in text
