"""The `pds` command as a self-hoster runs it: the installed script, in a subprocess.

Every run gets a clean environment (no PDS_* from the developer's shell) and its own HOME and
working directory, so nothing outside `tmp_path` is read or written.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from pds import schemas
from pds.cli import serve as serve_command
from pds.consent import InvalidCredentials, OwnerAccount, open_pod
from pds.resources.documents import Documents
from pds.store import Store, migrate, pods
from pds.store import resources as resource_rows
from tests.conftest import CHEAP_HASHER, PASSWORD

PDS = Path(sys.executable).parent / "pds"
SETUP_CODE = re.compile(r"\b[0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6}\b")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
UNREACHABLE_DB = "postgresql+psycopg://postgres:hunter2-db-password@127.0.0.1:1/x"

Run = Callable[..., subprocess.CompletedProcess]


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    # gunicorn and click look at HOME and COLUMNS: keep them inside the test's directory.
    return {**env, "HOME": str(home), "COLUMNS": "100", **(extra or {})}


@pytest.fixture
def pds(tmp_path: Path) -> Run:
    """Run `pds ARGS...`; returns the finished process (exit code, stdout, stderr)."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
        return subprocess.run(
            [str(PDS), *args],
            input=input,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=clean_env(tmp_path, env),
            timeout=60,
            check=False,
        )

    return run


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def sqlite_store(data_dir: Path) -> Store:
    return Store.from_url(f"sqlite:///{data_dir / 'pds.sqlite3'}")


@pytest.fixture
def data_dir(tmp_path: Path):
    """A migrated data directory holding the unclaimed pod "default", made without the CLI."""
    path = tmp_path / "data"
    store = sqlite_store(path)
    migrate(store.engine)
    open_pod(store, "default", DEFAULT_BASE_URL)
    yield path
    store.dispose()


@pytest.fixture
def data_store(data_dir: Path):
    """The store of `data_dir`, to check from outside what the command did."""
    store = sqlite_store(data_dir)
    yield store
    store.dispose()


def claimed(store: Store, password: str = PASSWORD) -> None:
    OwnerAccount(store, CHEAP_HASHER).set_password("default", password)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- init -----------------------------------------------------------------------------------------


def test_init_makes_a_private_data_directory_and_prints_a_setup_code_that_claims_the_pod(
    pds, tmp_path
):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)

    result = ok(pds("--data-dir", str(data), "init"))

    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    key = (data / "secret_key").read_text().strip()
    assert len(key) >= 32
    assert key not in result.stdout + result.stderr
    assert "Pod 'default' at http://127.0.0.1:8000" in result.stdout
    codes = SETUP_CODE.findall(result.stderr)
    assert len(codes) == 1, result.stderr
    assert not SETUP_CODE.search(result.stdout), "the code belongs on stderr, not in piped output"
    store = sqlite_store(data)
    try:
        with store.read() as conn:
            assert resource_rows.all_rows(conn, "default") == [], "no sample data without --demo"
        owner = OwnerAccount(store, CHEAP_HASHER)
        owner.claim("default", codes[0], PASSWORD)
        owner.verify_password("default", PASSWORD)
    finally:
        store.dispose()


def test_init_demo_fills_the_pod_and_running_init_again_keeps_key_data_and_owner(pds, tmp_path):
    data = tmp_path / "data"
    first = ok(pds("--data-dir", str(data), "init", "--demo"))
    key = (data / "secret_key").read_text()
    store = sqlite_store(data)
    try:
        pod = open_pod(store, "default", DEFAULT_BASE_URL)
        for path, turtle in schemas.sample_documents().items():
            assert f"added sample {path}" in first.stdout
            iri = f"{DEFAULT_BASE_URL}/data{path}"
            expected = Graph().parse(data=turtle, format="turtle", publicID=iri)
            assert isomorphic(Documents(store).read(pod, path).graph, expected)
        with store.read() as conn:
            rows_before = resource_rows.all_rows(conn, "default")
        owner = OwnerAccount(store, CHEAP_HASHER)
        owner.claim("default", SETUP_CODE.search(first.stderr).group(), PASSWORD)

        again = ok(pds("--data-dir", str(data), "init", "--demo"))

        assert (data / "secret_key").read_text() == key
        assert "kept existing /profile" in again.stdout
        assert "kept existing /preferences" in again.stdout
        with store.read() as conn:
            assert resource_rows.all_rows(conn, "default") == rows_before
        owner.verify_password("default", PASSWORD)
        assert not SETUP_CODE.search(again.stderr), "a claimed pod needs no setup code"
    finally:
        store.dispose()


# -- serve ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn's master and workers (their own process group), however the test went."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_setup_code_printed_by_serve_claims_the_pod_over_http(pds, tmp_path):
    data = tmp_path / "data"
    ok(pds("--data-dir", str(data), "init", "--demo"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(PDS), "--data-dir", str(data), "serve", "--port", str(port), "--workers", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=clean_env(tmp_path),
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, f"pds serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"pds serve did not answer:\n{log.read_text()}"
            try:
                status = requests.get(f"{url}/owner", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert status.json() == {"pod": url, "claimed": False}
        code = SETUP_CODE.search(log.read_text()).group()

        claim = requests.post(
            f"{url}/owner/claim", json={"setup_code": code, "password": PASSWORD}, timeout=10
        )
        assert claim.status_code == 201, claim.text
        created = requests.post(
            f"{url}/owner/tokens", json={"name": "cli test"}, auth=("owner", PASSWORD), timeout=10
        )
        assert created.status_code == 201, created.text
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}
        profile = requests.get(
            f"{url}/data/profile", headers={**bearer, "Accept": "text/turtle"}, timeout=10
        )
        assert profile.status_code == 200, profile.text
        graph = Graph().parse(data=profile.text, format="turtle", publicID=f"{url}/data/profile")
        me = URIRef(f"{url}/data/profile#me")
        assert (me, URIRef("https://schema.org/name"), Literal("Alex Example")) in graph
        again = requests.post(
            f"{url}/owner/claim", json={"setup_code": code, "password": "x" * 12}, timeout=10
        )
        assert again.status_code >= 400, "a setup code works once"
    finally:
        stop(process)


# -- owner credentials ----------------------------------------------------------------------------


def test_token_create_prints_a_working_token_that_list_never_shows_and_revoke_stops(
    pds, data_dir, data_store
):
    claimed(data_store)
    owner = OwnerAccount(data_store, CHEAP_HASHER)

    created = ok(pds("--data-dir", str(data_dir), "token", "create", "backup script"))
    secret = created.stdout.strip()
    assert secret.startswith("pds_") and "\n" not in secret, "stdout is the token alone"
    token = owner.authenticate_token("default", secret)
    assert token.name == "backup script"
    assert token.id in created.stderr

    listed = ok(pds("--data-dir", str(data_dir), "token", "list"))
    assert token.id in listed.stdout
    assert "backup script" in listed.stdout
    assert "active" in listed.stdout
    assert secret.split("_", 2)[2] not in listed.stdout + listed.stderr

    revoked = ok(pds("--data-dir", str(data_dir), "token", "revoke", token.id))
    assert f"Token {token.id} revoked" in revoked.stdout
    with pytest.raises(InvalidCredentials, match="revoked"):
        owner.authenticate_token("default", secret)


def test_token_create_on_an_unclaimed_pod_says_to_claim_it_first(pds, data_dir, data_store):
    result = pds("--data-dir", str(data_dir), "token", "create", "too early")

    assert result.returncode == 1
    assert "claim the pod before creating tokens" in result.stderr
    assert result.stdout == ""
    assert OwnerAccount(data_store).list_tokens("default") == []


def test_passwd_sets_a_password_the_owner_can_sign_in_with(pds, data_dir, data_store):
    new_password = "a brand new passphrase"

    result = ok(pds("--data-dir", str(data_dir), "passwd", input=f"{new_password}\n" * 2))

    assert "Password changed." in result.stdout
    assert new_password not in result.stdout + result.stderr
    owner = OwnerAccount(data_store)
    owner.verify_password("default", new_password)
    assert owner.is_claimed("default"), "setting a password claims an unclaimed pod"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("short\nshort\n", "the password needs at least 10 characters"),
        ("long enough one\nnot the same one\n", "The two entered values do not match"),
    ],
    ids=["too short", "confirmation differs"],
)
def test_passwd_refuses_a_bad_password_and_keeps_the_old_one(
    pds, data_dir, data_store, typed, message
):
    claimed(data_store)

    result = pds("--data-dir", str(data_dir), "passwd", input=typed)

    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    OwnerAccount(data_store, CHEAP_HASHER).verify_password("default", PASSWORD)


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
