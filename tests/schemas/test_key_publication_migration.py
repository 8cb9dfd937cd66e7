"""Migration 0003 (keys are published before they sign) keeps a pod's keys as they were: the
key that signed before the upgrade signs after it, and the retired ones stay retired."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pds.consent import open_pod
from pds.consent.keys import KeyState
from pds.store import Store
from pds.store.engine import open_engine, run_migration_scripts
from tests.conftest import CHEAP_HASHER, PG_ADMIN_URL

# The two tables as revision 0002 made them: history, not today's description.
_history = sa.MetaData()
PODS_0002 = sa.Table(
    "pods",
    _history,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("base_url", sa.String(512)),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("settings", sa.JSON),
)
KEYS_0002 = sa.Table(
    "signing_keys",
    _history,
    sa.Column("pod_id", sa.String(64), primary_key=True),
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("alg", sa.String(16)),
    sa.Column("private_pem", sa.Text),
    sa.Column("public_jwk", sa.JSON),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("retired_at", sa.DateTime(timezone=True)),
)


@pytest.fixture
def engine_at_0002(backend: str, tmp_path) -> Iterator[sa.Engine]:
    """A new database migrated to revision 0002 only, on each backend."""
    if backend == "sqlite":
        engine = open_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        run_migration_scripts(engine, "0002")
        yield engine
        engine.dispose()
        return
    name = f"pds_0002_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = open_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        run_migration_scripts(engine, "0002")
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _key_row(pod_id: str, kid: str, made: dt.datetime, retired: dt.datetime | None) -> dict:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "pod_id": pod_id,
        "kid": kid,
        "alg": "EdDSA",
        "private_pem": pem,
        "public_jwk": {"kty": "OKP", "crv": "Ed25519", "x": "unused-by-this-test"},
        "created_at": made,
        "retired_at": retired,
    }


def test_the_key_that_signed_before_the_upgrade_signs_after_it(engine_at_0002):
    rotated = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    made = rotated - dt.timedelta(days=30)
    url = "http://migrated.localhost:9999"
    with engine_at_0002.begin() as conn:
        conn.execute(
            sa.insert(PODS_0002).values(id="p", base_url=url, created_at=made, settings={})
        )
        conn.execute(
            sa.insert(KEYS_0002),
            [_key_row("p", "old", made, rotated), _key_row("p", "current", rotated, None)],
        )

    run_migration_scripts(engine_at_0002)

    pod = open_pod(Store(engine_at_0002), "p", url, password_hasher=CHEAP_HASHER)
    assert pod.signing_kid == "current"
    assert [(k.kid, k.state, k.signs_from, k.signs_until) for k in pod.signing_keys()] == [
        ("current", KeyState.ACTIVE, rotated, None),
        ("old", KeyState.RETIRED, made, rotated),
    ]
