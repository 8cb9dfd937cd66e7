"""`pds token` and `pds passwd`: the owner's credentials, checked from outside the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from pds.consent import InvalidCredentials, open_pod
from pds.store import Store, migrate
from tests.cli.cli_setup import DEFAULT_BASE_URL, ok, pod_of, sqlite_store
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


def test_passwd_sets_a_password_the_owner_can_sign_in_with(pds, data_dir, data_store):
    new_password = "a brand new passphrase"

    result = ok(pds("--data-dir", str(data_dir), "passwd", input=f"{new_password}\n" * 2))

    assert "Password changed." in result.stdout
    assert new_password not in result.stdout + result.stderr
    owner = pod_of(data_store, hasher=None).account
    owner.verify_password(new_password)
    assert owner.is_claimed(), "setting a password claims an unclaimed pod"


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
    pod_of(data_store).account.verify_password(PASSWORD)
