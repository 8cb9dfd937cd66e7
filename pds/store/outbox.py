"""The notification outbox: signed messages for vendors' callbacks, delivered with retries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from pds.store.tables import grants
from pds.store.tables import notifications as t


@dataclasses.dataclass(frozen=True)
class NotificationRow:
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
    conn: sa.Connection, pod_id: str, now: dt.datetime, limit: int = 20
) -> list[NotificationRow]:
    query = (
        sa.select(*_COLUMNS)
        .where(t.c.pod_id == pod_id, t.c.delivered_at.is_(None), t.c.next_attempt_at <= now)
        .order_by(t.c.id)
        .limit(limit)
    )
    return [NotificationRow(*r) for r in conn.execute(query)]


def claim(
    conn: sa.Connection, notification_id: int, due_at: dt.datetime, lease_until: dt.datetime
) -> bool:
    """Take a due notification for one delivery attempt; False if another worker took it."""
    result = conn.execute(
        t.update()
        .where(t.c.id == notification_id, t.c.next_attempt_at == due_at, t.c.delivered_at.is_(None))
        .values(next_attempt_at=lease_until)
    )
    return result.rowcount == 1


def attempted(
    conn: sa.Connection,
    notification_id: int,
    *,
    delivered_at: dt.datetime | None,
    error: str | None,
    next_attempt_at: dt.datetime,
) -> None:
    conn.execute(
        t.update()
        .where(t.c.id == notification_id)
        .values(
            attempts=t.c.attempts + 1,
            delivered_at=delivered_at,
            last_error=error[:500] if error else None,
            next_attempt_at=next_attempt_at,
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
        )
        .join(grants, sa.and_(grants.c.pod_id == t.c.pod_id, grants.c.id == t.c.grant_id))
        .where(t.c.pod_id == pod_id)
        .order_by(t.c.id.desc())
        .limit(limit)
    )
    return [SentRow(*r) for r in conn.execute(query)]
