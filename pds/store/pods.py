"""Pod rows: identity, base URL, owner credentials (hashed) and customer settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import AlreadyExists, NotFound
from pds.store.store import utcnow
from pds.store.tables import pods as t


@dataclasses.dataclass(frozen=True)
class PodRow:
    id: str
    base_url: str
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    owner_password_hash: str | None
    setup_code_hash: str | None
    setup_code_expires_at: dt.datetime | None
    settings: dict[str, Any]


def get(conn: sa.Connection, pod_id: str) -> PodRow:
    row = conn.execute(sa.select(t).where(t.c.id == pod_id)).mappings().first()
    if row is None:
        raise NotFound(pod_id)
    return PodRow(**row)


def create(conn: sa.Connection, pod_id: str, base_url: str) -> PodRow:
    if conn.execute(sa.select(t.c.id).where(t.c.id == pod_id)).first() is not None:
        raise AlreadyExists(pod_id)
    conn.execute(t.insert().values(id=pod_id, base_url=base_url, created_at=utcnow(), settings={}))
    return get(conn, pod_id)


def update(conn: sa.Connection, pod_id: str, **values: Any) -> None:
    unknown = set(values) - set(t.c.keys())
    if unknown:
        raise TypeError(f"not pod columns: {unknown}")
    if conn.execute(t.update().where(t.c.id == pod_id).values(**values)).rowcount != 1:
        raise NotFound(pod_id)


def lock(conn: sa.Connection, pod_id: str) -> PodRow:
    """Read the pod row for update: concurrent claims or password changes serialise on it."""
    row = conn.execute(sa.select(t).where(t.c.id == pod_id).with_for_update()).mappings().first()
    if row is None:
        raise NotFound(pod_id)
    return PodRow(**row)
