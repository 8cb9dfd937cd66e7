"""`pds token` and `pds passwd`: the owner's credentials, checked from outside the command."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from pds.consent import InvalidCredentials, open_pod
from pds.store import Store, migrate
from tests.cli.cli_setup import (
    DEFAULT_BASE_URL,
    PDS,
    clean_env,
    ok,
    one_line_error,
    pod_of,
    sqlite_store,
)
from tests.conftest import PASSWORD


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
    pod_of(store).account.set_password(password)


# -- owner credentials ----------------------------------------------------------------------------


def test_token_create_prints_a_working_token_that_list_never_shows_and_revoke_stops(
    pds, data_dir, data_store
):
    claimed(data_store)
    owner = pod_of(data_store).account

    created = ok(pds("--data-dir", str(data_dir), "token", "create", "backup script"))
    secret = created.stdout.strip()
    assert secret.startswith("pds_") and "\n" not in secret, "stdout is the token alone"
    token = owner.authenticate_token(secret)
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
        owner.authenticate_token(secret)


def test_token_create_on_an_unclaimed_pod_says_to_claim_it_first(pds, data_dir, data_store):
    result = pds("--data-dir", str(data_dir), "token", "create", "too early")

    assert result.returncode == 1
    assert "claim the pod before creating tokens" in result.stderr
    assert result.stdout == ""
    assert pod_of(data_store).account.list_tokens() == []


@pytest.mark.parametrize(
    "typed",
    ["{pw}\n", "{pw}", "{pw}\n{pw}\n", "{pw}\r\n{pw}\r\n"],
    ids=["one line", "no newline", "twice", "CRLF"],
)
def test_passwd_reads_a_new_password_from_a_pipe_without_warnings(pds, data_dir, data_store, typed):
    new_password = "a brand new passphrase"

    result = ok(pds("--data-dir", str(data_dir), "passwd", input=typed.format(pw=new_password)))

    assert result.stdout == "Password changed.\n"
    assert result.stderr == "", "no prompt, no GetPassWarning"
    owner = pod_of(data_store, hasher=None).account
    owner.verify_password(new_password)
    assert owner.is_claimed(), "setting a password claims an unclaimed pod"


def test_passwd_help_says_how_to_give_the_password_on_standard_input(pds):
    text = " ".join(ok(pds("passwd", "--help")).stdout.split())

    assert "the first line is the password" in text
    assert "a second line, if there is one, must repeat it" in text
    assert """printf '%s\\n' "$NEW_PASSWORD" | pds passwd""" in text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("short\n", "the password needs at least 10 characters"),
        ("long enough one\nnot the same one\n", "the two lines on standard input differ"),
        ("long enough one\nlong enough one\nlong enough one\n", "more than two lines"),
        ("", "no password on standard input"),
        ("\nlong enough one\n", "no password on standard input"),
    ],
    ids=["too short", "confirmation differs", "three lines", "nothing", "empty first line"],
)
def test_passwd_refuses_a_bad_password_and_keeps_the_old_one(
    pds, data_dir, data_store, typed, message
):
    claimed(data_store)

    result = pds("--data-dir", str(data_dir), "passwd", input=typed)

    assert message in one_line_error(result)
    assert result.stdout == ""
    pod_of(data_store).account.verify_password(PASSWORD)


def test_passwd_on_a_terminal_asks_twice_without_showing_the_password(
    tmp_path, data_dir, data_store
):
    new_password = "typed at a terminal"
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(PDS), "passwd", "--data-dir", str(data_dir)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=clean_env(tmp_path),
    )
    os.close(terminal)
    shown = b""
    for prompt in (b"New password: ", b"Repeat for confirmation: "):
        while prompt not in shown:
            shown += os.read(controller, 1024)
        os.write(controller, new_password.encode() + b"\n")
    try:
        while chunk := os.read(controller, 1024):
            shown += chunk
    except OSError:  # EIO: the command has closed its end
        pass
    os.close(controller)

    assert process.wait(timeout=30) == 0, shown
    assert b"Password changed." in shown
    assert new_password.encode() not in shown, "the terminal did not echo it"
    pod_of(data_store, hasher=None).account.verify_password(new_password)
