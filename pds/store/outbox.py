"""The notification outbox: signed messages for vendors' callbacks, delivered with retries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.tables import grants
from pds.store.tables import notifications as t


@dataclasses.dataclass(frozen=True)
class NotificationRow:
    pod_id: str
    id: int
    grant_id: str
    url: str
    body: str
    attempts: int
    next_attempt_at: dt.datetime


_COLUMNS = tuple(t.c[f.name] for f in dataclasses.fields(NotificationRow))


def queue(
    conn: sa.Connection, pod_id: str, grant_id: str, url: str, body: str, now: dt.datetime
) -> None:
    conn.execute(
        t.insert().values(
            pod_id=pod_id,
            grant_id=grant_id,
            url=url,
            body=body,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


def due(
    conn: sa.Connection, pod_id: str | None, now: dt.datetime, limit: int = 20
) -> list[NotificationRow]:
    """Notifications to try now: of one pod, or of every pod (None)."""
    query = (
        sa.select(*_COLUMNS)
        .where(
            t.c.delivered_at.is_(None),
            t.c.next_attempt_at <= now,
            t.c.failed_at.is_(None),
        )
        .order_by(t.c.next_attempt_at)
        .limit(limit)
    )
    if pod_id is not None:
        query = query.where(t.c.pod_id == pod_id)
    return [NotificationRow(*r) for r in conn.execute(query)]


def _one(item: NotificationRow) -> sa.ColumnElement[bool]:
    return sa.and_(t.c.pod_id == item.pod_id, t.c.id == item.id)


def claim(conn: sa.Connection, item: NotificationRow, lease_until: dt.datetime) -> bool:
    """Take a due notification for one delivery attempt; False if another worker took it."""
    result = conn.execute(
        t.update()
        .where(
            _one(item),
            t.c.next_attempt_at == item.next_attempt_at,
            t.c.delivered_at.is_(None),
            t.c.failed_at.is_(None),
        )
        .values(next_attempt_at=lease_until)
    )
    return result.rowcount == 1


def attempted(
    conn: sa.Connection,
    item: NotificationRow,
    *,
    delivered_at: dt.datetime | None,
    error: str | None,
    next_attempt_at: dt.datetime,
    failed_at: dt.datetime | None,
) -> None:
    conn.execute(
        t.update()
        .where(_one(item))
        .values(
            attempts=t.c.attempts + 1,
            delivered_at=delivered_at,
            last_error=error[:500] if error else None,
            next_attempt_at=next_attempt_at,
            failed_at=failed_at,
        )
    )


@dataclasses.dataclass(frozen=True)
class SentRow:
    """A notification with its grant's vendor and how its delivery went so far."""

    id: int
    grant_id: str
    vendor_id: str
    body: str  # the signed JWT, as queued
    created_at: dt.datetime  # queued
    attempts: int
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None  # the callback answered 2xx
    last_error: str | None
    failed_at: dt.datetime | None  # delivery gave up


def recent(conn: sa.Connection, pod_id: str, limit: int = 500) -> list[SentRow]:
    """The pod's latest notifications, newest first, each with the vendor of its grant."""
    query = (
        sa.select(
            t.c.id,
            t.c.grant_id,
            grants.c.vendor_id,
            t.c.body,
            t.c.created_at,
            t.c.attempts,
            t.c.next_attempt_at,
            t.c.delivered_at,
            t.c.last_error,
            t.c.failed_at,
        )
        .join(grants, sa.and_(grants.c.pod_id == t.c.pod_id, grants.c.id == t.c.grant_id))
        .where(t.c.pod_id == pod_id)
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    return [SentRow(**row) for row in conn.execute(query).mappings()]
