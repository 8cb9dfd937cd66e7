"""Pod rows: identity, base URL, owner credentials (hashed) and customer settings."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from pds.store.errors import AlreadyExists, NotFound
from pds.store.store import utcnow
from pds.store.tables import metadata
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
    suspended_at: dt.datetime | None
    quota_bytes: int | None


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


def several(conn: sa.Connection, pod_ids: list[str]) -> list[PodRow]:
    """The rows of those of `pod_ids` that exist."""
    rows = conn.execute(sa.select(t).where(t.c.id.in_(pod_ids)))
    return [PodRow(**row) for row in rows.mappings()]


def listed(conn: sa.Connection, *, after: str = "", limit: int = 1000) -> list[PodRow]:
    """Pods in the order of their names, from the first after `after`."""
    rows = conn.execute(sa.select(t).where(t.c.id > after).order_by(t.c.id).limit(limit))
    return [PodRow(**row) for row in rows.mappings()]


def delete_everything(conn: sa.Connection, pod_id: str) -> dict[str, int]:
    """Delete the pod and every row of every table keyed by it; returns rows deleted by table.

    Each table is emptied explicitly, children first, rather than trusting ON DELETE CASCADE,
    which SQLite applies only when its foreign keys are switched on for the connection.
    """
    deleted = {}
    for table in reversed(metadata.sorted_tables):
        if table is t:
            continue
        deleted[table.name] = conn.execute(table.delete().where(table.c.pod_id == pod_id)).rowcount
    if conn.execute(t.delete().where(t.c.id == pod_id)).rowcount != 1:
        raise NotFound(pod_id)
    return deleted
