"""Rows of the pod's own signing keys: the newest live one signs, retired ones still verify."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.tables import signing_keys as t


@dataclasses.dataclass(frozen=True)
class KeyRow:
    kid: str
    alg: str
    private_pem: str
    public_jwk: dict[str, Any]
    created_at: dt.datetime
    retired_at: dt.datetime | None


_COLUMNS = (t.c.kid, t.c.alg, t.c.private_pem, t.c.public_jwk, t.c.created_at, t.c.retired_at)


def list_keys(conn: sa.Connection, pod_id: str) -> list[KeyRow]:
    """Every key of the pod, newest first."""
    query = sa.select(*_COLUMNS).where(t.c.pod_id == pod_id).order_by(t.c.created_at.desc())
    return [KeyRow(*r) for r in conn.execute(query)]


def add(conn: sa.Connection, pod_id: str, key: KeyRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(key)))


def retire_others(conn: sa.Connection, pod_id: str, keep_kid: str, now: dt.datetime) -> None:
    conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.kid != keep_kid, t.c.retired_at.is_(None))
        .values(retired_at=now)
    )
