"""Rows of the pod's own signing keys: published from `created_at`, signing from `signs_from`
until the next key's `signs_from` (its `retired_at`), then still published for verification."""

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
    signs_from: dt.datetime
    retired_at: dt.datetime | None


_COLUMNS = (
    t.c.kid,
    t.c.alg,
    t.c.private_pem,
    t.c.public_jwk,
    t.c.created_at,
    t.c.signs_from,
    t.c.retired_at,
)


def list_keys(conn: sa.Connection, pod_id: str) -> list[KeyRow]:
    """Every key of the pod, newest first: the one that signs last comes first."""
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id)
        .order_by(t.c.signs_from.desc(), t.c.created_at.desc())
    )
    return [KeyRow(*r) for r in conn.execute(query)]


def add(conn: sa.Connection, pod_id: str, key: KeyRow) -> None:
    conn.execute(t.insert().values(pod_id=pod_id, **dataclasses.asdict(key)))


def retire_others(conn: sa.Connection, pod_id: str, keep_kid: str, at: dt.datetime) -> None:
    """The keys not yet given a successor retire `at`, when `keep_kid` starts signing."""
    conn.execute(
        t.update()
        .where(t.c.pod_id == pod_id, t.c.kid != keep_kid, t.c.retired_at.is_(None))
        .values(retired_at=at)
    )
